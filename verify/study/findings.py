"""The findings command: run (or resume) the preset of :mod:`verify.study.preset` into one store
with the study engine, then write the document of :mod:`verify.study.findings_doc`.

``python -m verify findings --out DIR [--scale tiny|default|large] [--seed S] [--scheduler
tcp://HOST:PORT] [--workers K] [--document PATH]``: the store is ``DIR/study.sqlite``; the
document goes to PATH (default ``DIR/findings.md``) with its figures and ``cells.csv`` in the
folder beside it named after it (``docs/findings.md`` → ``docs/findings/``). A document file that
this command did not write (its first line lacks :data:`~verify.study.findings_doc.MARK`) is never
replaced.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verify.report_folder import UnsafeFolder, write_into
from verify.study.findings_doc import FIGURE_FORMATS, MARK, Document, Records, document
from verify.study.preset import Preset
from verify.study.run import WorkDone, run_work


def run_findings(
    preset: Preset,
    out: Path,
    *,
    workers: int,
    client: Any = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[Records, WorkDone]:
    """Compute what ``out``'s store lacks for ``preset``; its records and what the run did."""
    groups, cells, part_groups, part_cells = preset.work()
    done = run_work(groups, cells, out, workers=workers, client=client, progress=progress)
    return Records(preset, done.groups, done.cells, part_groups, part_cells), done


def figure_folder(path: Path) -> Path:
    """The folder of the document's figures: beside it, named after it."""
    return path.with_suffix("") if path.suffix else path.with_name(path.name + "-files")


def write_document(records: Records, path: Path) -> Document:
    """Write the document to ``path`` (atomically) and its figures and cells.csv into
    :func:`figure_folder`; refuses (UnsafeFolder) a file at ``path`` it did not write."""
    _check_document(path)
    folder = figure_folder(path)
    doc = document(records, folder.name)

    def fill(tmp: Path) -> None:
        for name, fig in doc.figures.items():
            for fmt in FIGURE_FORMATS:
                (tmp / f"{name}.{fmt}").write_bytes(fig.files[fmt])
        (tmp / "cells.csv").write_text(doc.cells_csv, encoding="utf-8")

    write_into(folder, None, fill)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(doc.text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return doc


def _check_document(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UnsafeFolder(f"{path} is not a regular file; the findings document is not written")
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        if not first.startswith(MARK):
            raise UnsafeFolder(
                f"{path} was not written by 'python -m verify findings'; it is never replaced: "
                "move it, or choose another --document"
            )


__all__ = ["figure_folder", "run_findings", "write_document"]
