"""Report and study folders that keep what is there, whatever their manifest says.

The tool's files are written into a fresh temporary folder beside the target, then moved into it
file by file (each an atomic rename). A manifest, ``.deq-verify-report.json``, records each file
the tool wrote with the SHA-256 of its content. The manifest is a plain file that anyone can
edit or copy, so it is evidence, never an instruction:

* a file counts as the tool's only if it is a regular file directly inside the folder, listed in
  the manifest, and its content still has the recorded hash; a file whose hash no longer matches
  is the user's now, and is never removed nor replaced;
* a manifest that names anything else — ``..``, an absolute path, a name with a separator, a
  symbolic link (inside or pointing out), a folder, a device — or that is not a manifest of this
  format (not JSON, an older list of names without hashes) is refused whole with one line
  (:class:`UnsafeFolder`, its own exit code), before anything is written;
* a user's file of a name the tool writes is refused unless ``force`` (the user's consent, given
  on the command line); a symbolic link or a folder of that name is refused even then.

Every path that is about to be replaced or removed is resolved first: the folder is opened once
(its real path), and each rename, removal and hash is done relative to that open folder, never
following a symbolic link. The move phase runs under an advisory lock on the folder itself
(``flock`` on its directory descriptor: no lock file is written, and the kernel drops the lock if
the process dies), so two runs finishing at once into one folder take turns. The manifest is
rewritten before the files move (listing the old and the new hash of each name) and after, so an
interruption at any instant leaves every file the tool wrote recognisable. Torch-free: the
command line checks the folder before any work.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from symbolic.errors import VerifyError

try:
    import fcntl
except ImportError:  # not POSIX: no advisory lock (runs into one folder are not serialized)
    fcntl = None  # type: ignore[assignment]

#: The manifest of the files the tool wrote into a folder, with their content hashes.
MANIFEST = ".deq-verify-report.json"
#: The ``format`` field of a manifest; any other value (or none) is not ours.
MANIFEST_FORMAT = "deq-verify files 2"
#: The files every report writes (figures vary with the activations).
FIXED = ("report.md", "report.html", "report.json")
#: A manifest larger than this is not one of ours.
_MAX_MANIFEST = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class UnsafeFolder(VerifyError):
    """A folder the tool refuses to write into, because doing so could destroy a file it did not
    write: a manifest naming anything but the tool's own files, or a link, a folder or another
    program's file where the tool would write (exit code ``UNSAFE_FOLDER``)."""


def sha256_of(folder_fd: int, name: str) -> str:
    """SHA-256 (hex) of the regular file ``name`` inside the open folder ``folder_fd``, read
    without following a symbolic link."""
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UnsafeFolder(f"{name} is not a regular file")
        digest = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_plain_name(name: object) -> bool:
    """True for the name of an entry directly inside a folder: a non-empty string without a
    path separator or NUL, not ``.``, ``..`` nor the manifest itself."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MANIFEST)
        and not any(ch in name for ch in "/\\\0")
        and len(name.encode("utf-8", "surrogateescape")) <= 255
    )


def _is_hash(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def real_folder(out: Path) -> Path:
    """``out`` with every symbolic link of its path resolved: where files are really written."""
    return Path(os.path.realpath(out))


@contextlib.contextmanager
def open_folder(folder: Path, *, lock: bool = False) -> Iterator[int]:
    """A descriptor of the existing folder ``folder`` (held under an exclusive advisory lock
    when ``lock``), closed on exit."""
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY)
    try:
        if lock and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing the descriptor drops the lock


def _lstat(folder_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _refuse_manifest(folder: Path, why: str) -> UnsafeFolder:
    return UnsafeFolder(
        f"{folder / MANIFEST} {why}; deq-verify will not remove or replace anything on its word. "
        f"Delete that file (every file in {folder} is then treated as yours) or choose another "
        "folder"
    )


def _read_manifest(folder: Path, fd: int) -> dict[str, set[str]]:
    """{name: recorded hashes} of the folder's manifest ({} when there is none); UnsafeFolder
    when it is not a manifest of this format or names anything but a plain file name."""
    st = _lstat(fd, MANIFEST)
    if st is None:
        return {}
    if not stat.S_ISREG(st.st_mode):
        raise _refuse_manifest(folder, f"is {_kind(st.st_mode)}")
    if st.st_size > _MAX_MANIFEST:
        raise _refuse_manifest(folder, "is too large to be a manifest")
    mfd = os.open(MANIFEST, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    with os.fdopen(mfd, "rb") as fh:
        raw = fh.read(_MAX_MANIFEST + 1)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse_manifest(folder, "is not JSON") from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not (isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT) or not isinstance(
        files, dict
    ):
        raise _refuse_manifest(folder, "is not a manifest of this version (no content hashes)")
    out: dict[str, set[str]] = {}
    for name, hashes in files.items():
        if not is_plain_name(name):
            raise _refuse_manifest(folder, f"names {name!r}, which is not a file of the folder")
        if not (isinstance(hashes, list) and hashes and all(_is_hash(h) for h in hashes)):
            raise _refuse_manifest(folder, f"records no valid SHA-256 for {name!r}")
        out[name] = set(hashes)
    return out


def own_files(folder: Path, fd: int) -> dict[str, str]:
    """{name: hash} of the files of the open folder that the tool wrote: listed in its manifest,
    regular, and with the recorded content. Raises UnsafeFolder when the manifest names a link,
    a folder or a device, or is not a manifest (see the module docstring)."""
    mine = {}
    for name, hashes in _read_manifest(folder, fd).items():
        st = _lstat(fd, name)
        if st is None:
            continue  # gone: nothing to keep or remove
        if not stat.S_ISREG(st.st_mode):
            raise _refuse_manifest(folder, f"names {name!r}, which is {_kind(st.st_mode)}")
        digest = sha256_of(fd, name)
        if digest in hashes:  # else: changed since, so the user's now
            mine[name] = digest
    return mine


def _clashes(
    folder: Path,
    fd: int,
    names: list[str] | tuple[str, ...],
    mine: dict[str, str],
    force: bool | None,
) -> None:
    """Raise when writing ``names`` into the open folder would replace a file the tool did not
    write (unless ``force``; None: the command has no --force), or a link, folder or device
    (always)."""
    users = []
    for name in names:
        st = _lstat(fd, name)
        if st is None or name in mine:
            continue
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFolder(
                f"{folder / name} is {_kind(st.st_mode)}, where deq-verify would write a file; "
                "it never writes through or replaces one: move it, or choose another folder"
            )
        users.append(name)
    if users and not force:
        how = (
            "move them away or choose another folder"
            if force is None
            else "choose another folder, or pass --force to replace those files (other files "
            "are never touched)"
        )
        raise VerifyError(
            f"{folder} already holds {', '.join(users)}, not written by deq-verify; {how}"
        )


def check_report_folder(
    out: Path, *, force: bool | None, names: list[str] | tuple[str, ...] | None = None
) -> None:
    """Raise VerifyError when ``out`` is not a folder, or holds one of ``names`` (by default the
    fixed report files) that the tool did not write, unless ``force`` (None: the command has no
    --force); UnsafeFolder for a manifest that is not the tool's word, or a link or folder in the
    way (even with ``force``). Reads only: nothing is written."""
    real = real_folder(out)
    if real.exists() and not real.is_dir():
        raise VerifyError(f"{out} exists and is not a folder; give a folder for the report")
    if not real.is_dir():
        return
    with open_folder(real) as fd:
        _clashes(real, fd, names if names is not None else FIXED, own_files(real, fd), force)


def write_into(out: Path, force: bool | None, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then move each file it wrote into
    ``out`` (created if needed), record them with their hashes in the manifest, and remove the
    tool's files of an earlier run that this one no longer writes (only those whose content is
    still as recorded). ``force``: replace the user's files of the same names (None: the command
    has no --force). Raises OSError, VerifyError or UnsafeFolder; the temporary folder is removed
    in every case."""
    real = real_folder(out)
    real.parent.mkdir(parents=True, exist_ok=True)
    check_report_folder(real, force=force, names=())  # the manifest, before any work
    tmp = Path(tempfile.mkdtemp(prefix=f".{real.name}.", dir=real.parent))
    try:
        write(tmp)
        names = sorted(p.name for p in tmp.iterdir() if p.is_file() and is_plain_name(p.name))
        real.mkdir(exist_ok=True)
        with open_folder(tmp) as src, open_folder(real, lock=True) as dst:
            _move_in(real, src, dst, names, force)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _move_in(real: Path, src: int, dst: int, names: list[str], force: bool | None) -> None:
    """Under the folder's lock: check again, then manifest (old and new hashes), files, stale
    files, manifest (new hashes only)."""
    mine = own_files(real, dst)
    _clashes(real, dst, names, mine, force)
    new = {name: sha256_of(src, name) for name in names}
    both = {n: sorted({h for h in (mine.get(n), new.get(n)) if h}) for n in {*mine, *new}}
    _write_manifest(src, dst, both)
    for name in names:
        os.replace(name, name, src_dir_fd=src, dst_dir_fd=dst)
    for name in sorted(set(mine) - set(names)):  # an earlier run's files this one does not write
        if sha256_of(dst, name) == mine[name]:
            os.unlink(name, dir_fd=dst)
    _write_manifest(src, dst, {n: [h] for n, h in new.items()})


def _write_manifest(src: int, dst: int, files: dict[str, list[str]]) -> None:
    doc = {"format": MANIFEST_FORMAT, "files": dict(sorted(files.items()))}
    fd = os.open(MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o644, dir_fd=src)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    os.replace(MANIFEST, MANIFEST, src_dir_fd=src, dst_dir_fd=dst)


__all__ = [
    "FIXED",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "UnsafeFolder",
    "check_report_folder",
    "is_plain_name",
    "open_folder",
    "own_files",
    "real_folder",
    "sha256_of",
    "write_into",
]
