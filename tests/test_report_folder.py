"""The report and study folder (verify/report_folder.py) on its own, with stand-in writers (the
reports themselves are tested in test_cli, test_exports and test_user_files): what a run may
replace or remove, what it must refuse, and what it leaves behind, judged by the files on disk
and the one line the user reads."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from symbolic.errors import VerifyError
from verify.report_folder import (
    MANIFEST,
    MANIFEST_FORMAT,
    UnsafeFolder,
    check_report_folder,
    is_plain_name,
    open_folder,
    own_files,
    write_into,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def writer(files: dict[str, bytes]):
    def write(folder: Path) -> None:
        for name, data in files.items():
            (folder / name).write_bytes(data)

    return write


def manifest(folder: Path) -> dict[str, list[str]]:
    doc = json.loads((folder / MANIFEST).read_text())
    assert doc["format"] == MANIFEST_FORMAT
    return doc["files"]


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != MANIFEST}


def test_a_first_run_writes_its_files_and_records_each_hash(tmp_path):
    out = tmp_path / "new" / "deeper" / "rep"  # the parents are created
    assert write_into(out, False, writer({"a.md": b"A", "b.png": b"B"})) == out
    assert listing(out) == {"a.md": b"A", "b.png": b"B"}
    assert manifest(out) == {"a.md": [_sha(b"A")], "b.png": [_sha(b"B")]}
    assert sorted(p.name for p in out.parent.iterdir()) == ["rep"]  # no temporary folder left


def test_a_rerun_replaces_its_own_files_and_removes_only_its_own_stale_ones(tmp_path):
    out = tmp_path / "rep"
    write_into(out, False, writer({"a.md": b"A", "old.png": b"O", "edited.png": b"E"}))
    (out / "edited.png").write_bytes(b"the user's edit")  # no longer what the tool wrote
    (out / "notes.txt").write_bytes(b"mine")  # never listed
    write_into(out, False, writer({"a.md": b"A2"}))
    assert listing(out) == {"a.md": b"A2", "edited.png": b"the user's edit", "notes.txt": b"mine"}
    assert manifest(out) == {"a.md": [_sha(b"A2")]}  # the user's files are not the tool's now


def test_a_users_file_of_a_name_the_tool_writes_is_refused_unless_forced(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "a.md").write_bytes(b"mine")
    with pytest.raises(
        VerifyError,
        match=r"holds a\.md, not written by deq-verify; choose another folder, or pass --force to "
        r"replace those files \(other files are never touched\)$",
    ):
        write_into(out, False, writer({"a.md": b"A"}))
    with pytest.raises(VerifyError, match=r"move them away or choose another folder$"):
        write_into(out, None, writer({"a.md": b"A"}))  # a command without --force
    assert listing(out) == {"a.md": b"mine"} and not (out / MANIFEST).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    write_into(out, True, writer({"a.md": b"A"}))
    assert listing(out) == {"a.md": b"A"} and manifest(out) == {"a.md": [_sha(b"A")]}


@pytest.mark.parametrize("kind", ["a link to a file", "a dangling link", "a folder"])
@pytest.mark.parametrize("force", [False, True, None])
def test_a_link_or_a_folder_where_the_tool_writes_is_refused_even_forced(tmp_path, kind, force):
    out = tmp_path / "rep"
    out.mkdir()
    target = tmp_path / "outside.txt"
    target.write_bytes(b"outside")
    if kind == "a folder":
        (out / "a.md").mkdir()
    else:
        (out / "a.md").symlink_to(target if kind == "a link to a file" else tmp_path / "none")
    with pytest.raises(
        UnsafeFolder,
        match=r"rep/a\.md is (a symbolic link|a folder), where deq-verify would write a file; it "
        r"never writes through or replaces one: move it, or choose another folder$",
    ):
        write_into(out, force, writer({"a.md": b"A"}))
    assert target.read_bytes() == b"outside" and not (out / MANIFEST).exists()


def _hostile(out: Path, files: dict) -> None:
    (out / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT, "files": files}))


@pytest.mark.parametrize(
    "name",
    ["../outside.txt", "sub/x.txt", "sub\\x.txt", "..", ".", "", MANIFEST, "a\0b", "x" * 256],
)
def test_a_manifest_naming_anything_but_a_plain_name_is_refused_whole(tmp_path, name):
    """The content hash is right (of outside.txt): only the name can refuse it. Refused before
    anything is written, by the check and by the write, with or without force."""
    out = tmp_path / "rep"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "x.txt").write_bytes(b"outside")
    (tmp_path / "outside.txt").write_bytes(b"outside")
    _hostile(out, {name: [_sha(b"outside")], "a.md": [_sha(b"A")]})
    with pytest.raises(
        UnsafeFolder, match=r"report\.json names .*, which is not a file of the folder; deq-verify"
    ):
        check_report_folder(out, force=True)
    with pytest.raises(
        UnsafeFolder, match=r"report\.json names .*, which is not a file of the folder; deq-verify"
    ):
        write_into(out, True, writer({"a.md": b"A"}))
    assert (tmp_path / "outside.txt").read_bytes() == b"outside"
    assert (out / "sub" / "x.txt").read_bytes() == b"outside"
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, "sub"])


@pytest.mark.parametrize(
    "doc, why",
    [
        ({"format": MANIFEST_FORMAT, "files": {"a.md": []}}, "records no valid SHA-256 for 'a.md'"),
        (
            {"format": MANIFEST_FORMAT, "files": {"a.md": ["0" * 63]}},
            "records no valid SHA-256 for 'a.md'",
        ),
        (
            {"format": MANIFEST_FORMAT, "files": {"a.md": ["G" * 64]}},
            "records no valid SHA-256 for 'a.md'",
        ),
        (
            {"format": MANIFEST_FORMAT, "files": {"a.md": ["X" * 64]}},
            "records no valid SHA-256 for 'a.md'",
        ),
        (
            {"format": MANIFEST_FORMAT, "files": {"a.md": "0" * 64}},
            "records no valid SHA-256 for 'a.md'",
        ),
        (
            {"format": MANIFEST_FORMAT, "files": ["a.md"]},
            "is not a manifest of this version (no content hashes)",
        ),
        ({"files": {"a.md": ["0" * 64]}}, "is not a manifest of this version (no content hashes)"),
        (["a.md"], "is not a manifest of this version (no content hashes)"),
    ],
)
def test_a_manifest_not_of_this_format_is_refused(tmp_path, doc, why):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "a.md").write_bytes(b"A")
    (out / MANIFEST).write_text(json.dumps(doc))
    with pytest.raises(UnsafeFolder, match=rf"report\.json {re.escape(why)}; deq-verify will not"):
        check_report_folder(out, force=True)
    assert (out / "a.md").read_bytes() == b"A"


def test_a_manifest_too_large_or_not_json_is_refused(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / MANIFEST).write_bytes(b"{" + b" " * (1 << 20) + b"}")
    with pytest.raises(UnsafeFolder, match="too large to be a manifest"):
        check_report_folder(out, force=False)
    (out / MANIFEST).write_bytes(b"\xff\xfe")
    with pytest.raises(UnsafeFolder, match=r"report\.json is not JSON; deq-verify will not"):
        check_report_folder(out, force=False)


def test_own_files_are_the_listed_regular_files_with_the_recorded_content(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    for name, data in {"same.md": b"S", "changed.md": b"C2", "extra.md": b"X"}.items():
        (out / name).write_bytes(data)
    files = {n: [_sha(d)] for n, d in {"same.md": b"S", "changed.md": b"C1"}.items()}
    files["gone.md"] = [_sha(b"G")]
    files["two.md"] = [_sha(b"old"), _sha(b"T")]  # an interrupted move lists both
    (out / "two.md").write_bytes(b"T")
    _hostile(out, files)
    with open_folder(out) as fd:
        assert own_files(out, fd) == {"same.md": _sha(b"S"), "two.md": _sha(b"T")}


def test_a_link_listed_in_the_manifest_is_refused(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"outside")
    (out / "l.md").symlink_to(tmp_path / "outside.txt")
    _hostile(out, {"l.md": [_sha(b"outside")]})
    with pytest.raises(
        UnsafeFolder, match=r"report\.json names 'l\.md', which is a symbolic link; deq-verify"
    ):
        write_into(out, True, writer({"a.md": b"A"}))
    assert (out / "l.md").is_symlink() and (tmp_path / "outside.txt").read_bytes() == b"outside"


def test_a_failing_writer_leaves_the_folder_and_no_temporary_folder(tmp_path):
    out = tmp_path / "rep"
    write_into(out, False, writer({"a.md": b"A"}))

    def broken(folder: Path) -> None:
        (folder / "a.md").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_into(out, False, broken)
    assert listing(out) == {"a.md": b"A"} and manifest(out) == {"a.md": [_sha(b"A")]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_a_path_that_is_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    line = f"{tmp_path / 'f'} exists and is not a folder; give a folder for the report"
    with pytest.raises(VerifyError, match=f"^{re.escape(line)}$"):
        check_report_folder(tmp_path / "f", force=True)
    check_report_folder(tmp_path / "missing", force=False)  # nothing there yet: fine


def test_a_folder_reached_through_a_link_is_written_where_the_link_points(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "via").symlink_to(real)
    write_into(tmp_path / "via", False, writer({"a.md": b"A"}))
    assert listing(real) == {"a.md": b"A"} and (tmp_path / "via").is_symlink()


@pytest.mark.parametrize(
    "name, plain",
    [
        ("report.md", True),
        ("é.png", True),
        ("x" * 255, True),
        ("é" * 128, False),  # 256 bytes in UTF-8
        ("x" * 256, False),
        ("a/b", False),
        ("a\\b", False),
        ("a\0b", False),
        ("", False),
        (".", False),
        ("..", False),
        ("...", True),
        ("X.png", True),
        ("\udcff.png", True),  # a non-UTF-8 byte of a folder listing (surrogateescape)
        (MANIFEST, False),
        (None, False),
        (7, False),
    ],
)
def test_plain_names(name, plain):
    assert is_plain_name(name) is plain


def test_files_the_writer_puts_in_subfolders_are_not_moved(tmp_path):
    out = tmp_path / "rep"

    def nested(folder: Path) -> None:
        (folder / "a.md").write_bytes(b"A")
        (folder / "sub").mkdir()
        (folder / "sub" / "b.md").write_bytes(b"B")

    write_into(out, False, nested)
    assert sorted(os.listdir(out)) == sorted([MANIFEST, "a.md"])


def test_the_manifest_is_the_documented_file_in_the_documented_format(tmp_path):
    """`.deq-verify-report.json` (README), format "deq-verify files 2": what a report folder
    from an earlier run of this version holds, so what the next run must recognise."""
    out = tmp_path / "rep"
    write_into(out, False, writer({"a.md": b"A"}))
    assert sorted(os.listdir(out)) == [".deq-verify-report.json", "a.md"]
    doc = json.loads((out / ".deq-verify-report.json").read_text())
    assert doc == {"format": "deq-verify files 2", "files": {"a.md": [_sha(b"A")]}}


@pytest.mark.parametrize("name", ["report.md", "report.html", "report.json"])
def test_a_users_file_named_like_a_fixed_report_file_is_refused_before_any_work(tmp_path, name):
    out = tmp_path / "rep"
    out.mkdir()
    (out / name).write_bytes(b"mine")
    with pytest.raises(VerifyError, match=rf"holds {name}, not written by deq-verify"):
        check_report_folder(out, force=False)
    check_report_folder(out, force=True)  # the user's consent


def test_a_file_is_hashed_without_following_a_link(tmp_path):
    """sha256_of reads the entry itself: a link swapped in after the check (a race) is never
    followed out of the folder; and a folder is opened only if it is one."""
    from verify.report_folder import sha256_of

    (tmp_path / "outside.txt").write_bytes(b"outside")
    out = tmp_path / "rep"
    out.mkdir()
    (out / "l.md").symlink_to(tmp_path / "outside.txt")
    (out / "f.md").write_bytes(b"F")
    with open_folder(out) as fd:
        assert sha256_of(fd, "f.md") == _sha(b"F")
        with pytest.raises(OSError):
            sha256_of(fd, "l.md")
        os.mkfifo(out / "p")  # opened without blocking, then refused
        with pytest.raises(UnsafeFolder, match=r"^p is not a regular file$"):
            sha256_of(fd, "p")
    with pytest.raises(NotADirectoryError), open_folder(out / "f.md"):
        pass


def test_reading_a_folder_takes_no_lock(tmp_path):
    """Only the move phase locks the folder: the check before any work reads it while another
    run holds the lock (a lock taken there would wait for that run to finish)."""
    import threading

    out = tmp_path / "rep"
    out.mkdir()
    done = threading.Event()

    def check() -> None:
        check_report_folder(out, force=False)
        with open_folder(out):
            done.set()

    with open_folder(out, lock=True):
        thread = threading.Thread(target=check, daemon=True)
        thread.start()
        thread.join(timeout=10)  # a hang bound (it takes milliseconds), not a speed requirement
        assert done.is_set()


def test_the_move_phase_holds_the_folders_lock(tmp_path):
    """open_folder(lock=True) holds an exclusive flock on the folder: another run's attempt
    fails while it is held (tried without waiting) and succeeds once it is released."""
    import fcntl

    out = tmp_path / "rep"
    out.mkdir()
    other = os.open(out, os.O_RDONLY)
    try:
        with open_folder(out, lock=True):
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released with the descriptor
    finally:
        os.close(other)


@pytest.mark.parametrize("kind, word", [("folder", "a folder"), ("fifo", "not a regular file")])
def test_a_manifest_that_is_not_a_file_is_refused_in_one_line(tmp_path, kind, word):
    out = tmp_path / "rep"
    out.mkdir()
    if kind == "folder":
        (out / MANIFEST).mkdir()
    else:
        os.mkfifo(out / MANIFEST)
    with pytest.raises(UnsafeFolder) as refused:
        check_report_folder(out, force=True)
    assert str(refused.value) == (
        f"{out / MANIFEST} is {word}; deq-verify will not remove or replace anything on its "
        f"word. Delete that file (every file in {out} is then treated as yours) or choose another "
        "folder"
    )
    with pytest.raises(UnsafeFolder, match=r"is too large to be a manifest; deq-verify will not"):
        (out / "big").mkdir()
        (out / "big" / MANIFEST).write_bytes(b" " * ((1 << 20) + 1))
        check_report_folder(out / "big", force=True)


def test_a_manifest_of_exactly_the_largest_size_is_read_whole(tmp_path):
    """1 MiB is the largest manifest: one of exactly that size (padded inside the braces, so a
    byte short would not be JSON) is read and trusted."""
    out = tmp_path / "rep"
    out.mkdir()
    (out / "a.md").write_bytes(b"A")
    head = json.dumps({"format": MANIFEST_FORMAT, "files": {"a.md": [_sha(b"A")]}})[:-1]
    (out / MANIFEST).write_bytes(head.encode() + b" " * ((1 << 20) - len(head) - 1) + b"}")
    assert (out / MANIFEST).stat().st_size == 1 << 20
    with open_folder(out) as fd:
        assert own_files(out, fd) == {"a.md": _sha(b"A")}


def test_a_manifest_swapped_for_a_link_after_its_check_is_not_followed(tmp_path, monkeypatch):
    """The race: the manifest looked like a regular file when checked, and is a link to a
    manifest outside when opened. It is opened without following the link: refused."""
    import verify.report_folder as folder

    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps({"format": MANIFEST_FORMAT, "files": {"a.md": [_sha(b"A")]}}))
    out = tmp_path / "rep"
    out.mkdir()
    (out / "a.md").write_bytes(b"A")
    (out / MANIFEST).symlink_to(outside)
    real = folder._lstat
    monkeypatch.setattr(
        folder, "_lstat", lambda fd, name: os.stat(outside) if name == MANIFEST else real(fd, name)
    )
    with open_folder(out) as fd, pytest.raises(OSError):
        own_files(out, fd)


def test_every_users_file_in_the_way_is_named(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.md").write_bytes(b"mine")
    (out / "report.json").write_bytes(b"mine too")
    with pytest.raises(VerifyError, match=r"holds report\.md, report\.json, not written by"):
        check_report_folder(out, force=False)


def test_files_are_written_in_a_hidden_folder_beside_and_moved_in_under_the_lock(
    tmp_path, monkeypatch
):
    """The writer gets a fresh hidden folder beside the target (.rep.*, removed after); every
    rename into the target happens while the target's lock is held."""
    import fcntl

    import verify.report_folder as folder

    out = tmp_path / "rep"
    out.mkdir()
    other = os.open(out, os.O_RDONLY)
    seen, real_replace = [], os.replace

    def replace(src, dst, **kw):
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(other, fcntl.LOCK_UN)
            seen.append("free")
        except BlockingIOError:
            seen.append("held")
        real_replace(src, dst, **kw)

    def write(tmp: Path) -> None:
        assert tmp.parent == tmp_path and tmp.name.startswith(".rep.")
        (tmp / "a.md").write_bytes(b"A")

    monkeypatch.setattr(folder.os, "replace", replace)
    try:
        write_into(out, False, write)
    finally:
        os.close(other)
    assert seen == ["held"] * 3  # the manifest, a.md, the manifest again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
