"""Report folders that keep what is there.

The tool's files are written into a fresh temporary folder beside the target, then moved into it
file by file (each an atomic rename), with a manifest listing them: an interrupted run leaves the
folder as it was, files the tool did not write are never touched, and a re-run replaces only the
files of the previous manifest (removing those it no longer writes). A file of the same name that
no report wrote is refused unless ``force``. Torch-free: the command line checks the folder
before any work.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from symbolic.errors import VerifyError

#: The list of files a report wrote into its folder: a re-run replaces those, and only those.
MANIFEST = ".deq-verify-report.json"
#: The files every report writes (figures vary with the activations).
FIXED = ("report.md", "report.html", "report.json")


def check_report_folder(out: Path, *, force: bool, names: list[str] | None = None) -> None:
    """Raise VerifyError when ``out`` is not a folder, or holds one of ``names`` (by default the
    fixed report files) that no earlier report wrote, unless ``force``."""
    if out.exists() and not out.is_dir():
        raise VerifyError(f"{out} exists and is not a folder; give a folder for the report")
    if force or not out.is_dir():
        return
    mine = previous_files(out)
    clash = [n for n in (names if names is not None else FIXED) if (out / n).exists()]
    clash = [n for n in clash if n not in mine]
    if clash:
        raise VerifyError(
            f"{out} already holds {', '.join(clash)}, not written by deq-verify; choose another "
            "folder, or pass --force to replace those files (other files are never touched)"
        )


def previous_files(out: Path) -> set[str]:
    """The files an earlier report listed in the folder's manifest (none if unreadable)."""
    try:
        names = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {n for n in names if isinstance(n, str) and "/" not in n and n not in ("", ".", "..")}


def write_into(out: Path, force: bool, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a fresh folder beside ``out``, then move each file it wrote into
    ``out`` (created if needed) and record them in the manifest. Raises OSError or VerifyError;
    the temporary folder is removed in every case."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        write(tmp)
        mine = sorted(p.name for p in tmp.iterdir())
        check_report_folder(out, force=force, names=mine)
        (tmp / MANIFEST).write_text(json.dumps({"files": mine}), encoding="utf-8")
        out.mkdir(exist_ok=True)
        stale = previous_files(out) - set(mine)
        for name in mine:
            os.replace(tmp / name, out / name)
        os.replace(tmp / MANIFEST, out / MANIFEST)
        for name in stale:  # an earlier report's files that this one does not write
            (out / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


__all__ = ["FIXED", "MANIFEST", "check_report_folder", "previous_files", "write_into"]
