"""The end of a study: the analysis of its records, the atlas written into the study folder, the
JSON summary and the text printed; and :func:`study`, the same run from Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from verify.report_folder import write_into
from verify.settings import Settings
from verify.study.analysis import Atlas, analyse
from verify.study.atlas import findings, summary_json, write_atlas
from verify.study.grid import StudyGrid
from verify.study.run import StudyRun, default_workers, run_study


def _tagged_cells(run: StudyRun) -> list[dict[str, Any]]:
    """The stored cell records of the grid, each with its group's coordinates."""
    return [
        {**run.cells[c.key], "activation": c.activation, "data": c.data, "n": c.n}
        for c in run.cell_list
        if c.key in run.cells
    ]


def atlas_of(run: StudyRun, base: Settings) -> Atlas:
    """The analysis of ``run``'s records."""
    groups = [run.groups[g.key] for g in run.group_list if g.key in run.groups]
    return analyse(groups, _tagged_cells(run), run.grid.fraction, base.study.confidence_t)


def where_run(workers: int, scheduler: str | None = None) -> str:
    """Where a study's cells were computed, as its summary line says it: the scheduler's address
    (or "a Dask cluster" for a client without one), "this process" for ``workers`` = 0, else
    "N local process(es)"."""
    if scheduler is not None:
        return scheduler
    if workers == 0:
        return "this process"
    return f"{workers} local process" + ("es" if workers != 1 else "")


def finish_study(run: StudyRun, base: Settings, out: Path, where: str) -> tuple[dict, str]:
    """Write the atlas into ``out`` and return (JSON summary, text to print)."""
    atlas = atlas_of(run, base)
    cells = _tagged_cells(run)
    meta = {
        "seed": str(base.seed),
        "steps": str(base.schedule.steps),
        "fraction of seeds": f"{run.grid.fraction:g}",
        "t": f"{base.study.confidence_t:g}",
        "ran on": where,
        "store": run.store.name,
    }
    write_into(out, None, lambda folder: write_atlas(atlas, cells, folder, meta))
    counts = {
        "cells_total": run.cells_total,
        "cells_computed": run.cells_computed,
        "cells_reused": run.cells_reused,
        "cells_by_others": run.cells_by_others,
        "store": str(run.store),
        "seed": base.seed,
        "seconds": round(run.seconds, 3),
    }
    summary = summary_json(atlas, counts, run.grid.data[0])
    others = f", {run.cells_by_others} by another run" if run.cells_by_others else ""
    lines = [
        f"study: {run.cells_total} cells ({run.cells_computed} computed, {run.cells_reused} "
        f"reused{others}) in {run.seconds:.1f} s on {where}; seed {base.seed}",
        *[f"- {s}" for s in findings(atlas)],
        f"atlas: {out / 'atlas.html'}",
        "",
    ]
    return summary, "\n".join(lines)


def study(
    grid: StudyGrid,
    out: str | Path,
    settings: Settings | None = None,
    *,
    workers: int | None = None,
    client: Any = None,
) -> tuple[StudyRun, dict]:
    """Run (or resume) ``grid`` into the folder ``out`` and write its atlas; returns the run and
    the JSON summary. ``settings``: every other setting (defaults when None); ``client``: a
    ``dask.distributed.Client`` (else ``workers`` local processes: the cores when None, 0 = this
    process)."""
    base = settings if settings is not None else Settings()
    out = Path(out)
    workers = default_workers() if workers is None else workers
    run = run_study(grid, base, out, workers=workers, client=client)
    where = where_run(workers, "a Dask cluster" if client is not None else None)
    summary, _ = finish_study(run, base, out, where)
    return run, summary


__all__ = ["atlas_of", "finish_study", "study", "where_run"]
