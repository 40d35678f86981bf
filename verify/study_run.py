"""Run a study: every missing group and cell of a grid, on a local process pool or a Dask
cluster, each result written to the store the moment it arrives; then the atlas.

The driver only submits tasks and writes rows. Groups go first; as each group arrives its cells
are submitted (they need its λ* and Θ*). Both executors are ``concurrent.futures`` executors: a
``ProcessPoolExecutor`` (spawned processes, sized to the cores) or a Dask client's
``get_executor()``, so the same loop drives a laptop and a cluster (``--scheduler
tcp://HOST:PORT``, or a ``dask.distributed.Client`` passed in Python; a SLURM cluster started with
dask-jobqueue is just such a client). No scheduler of our own.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbolic.errors import VerifyError
from verify.settings import Settings
from verify.study_cells import run_cell, run_group
from verify.study_grid import Cell, Group, StudyGrid, groups_and_cells
from verify.study_store import Store

#: The store's file name inside the study folder.
STORE_NAME = "study.sqlite"


@dataclass(frozen=True)
class StudyRun:
    """What one invocation did: counts, the store, and every record of the grid."""

    grid: StudyGrid
    store: Path
    cells_total: int
    cells_computed: int
    cells_reused: int
    groups: dict[str, dict[str, Any]]  # group key → record
    cells: dict[str, dict[str, Any]]  # cell key → record
    group_list: tuple[Group, ...]
    cell_list: tuple[Cell, ...]
    seconds: float


def default_workers() -> int:
    """Processes for a local study: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_study(
    grid: StudyGrid,
    base: Settings,
    out: Path,
    *,
    workers: int,
    client: Any = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> StudyRun:
    """Compute what ``out``'s store lacks for ``grid`` (settings otherwise ``base``'s) and return
    every record. ``client``: a ``dask.distributed.Client`` (else a local pool of ``workers``
    processes; 0 runs in this process). ``progress(done, total, computed)`` after each cell."""
    t0 = time.perf_counter()
    groups, cells = groups_and_cells(grid, base)
    path = out / STORE_NAME
    with Store(path) as store:
        have_groups, have_cells = store.keys("groups"), store.keys("cells")
        todo_groups = [g for g in groups if g.key not in have_groups]
        todo_cells = [c for c in cells if c.key not in have_cells]
        reused = len(cells) - len(todo_cells)
        if progress:
            progress(reused, len(cells), 0)
        computed = 0

        def done_cell(cell: Cell, record: dict[str, Any]) -> None:
            nonlocal computed
            where = (cell.activation, cell.data, cell.n, cell.width, cell.replicate)
            store.put_cell(cell.key, cell.group, where, record)
            computed += 1
            if progress:
                progress(reused + computed, len(cells), computed)

        with _executor(client, workers) as pool:
            _drive(pool, store, todo_groups, todo_cells, have_groups, done_cell)
        group_records = store.records("groups", {g.key for g in groups})
        cell_records = store.records("cells", {c.key for c in cells})
    return StudyRun(
        grid,
        path,
        len(cells),
        computed,
        reused,
        group_records,
        cell_records,
        tuple(groups),
        tuple(cells),
        time.perf_counter() - t0,
    )


def _drive(pool, store: Store, groups: list[Group], cells: list[Cell], have: set[str], done_cell):
    """Submit the missing groups, then each group's missing cells as the group arrives."""
    waiting: dict[str, list[Cell]] = {}
    for c in cells:
        waiting.setdefault(c.group, []).append(c)
    running: dict[Future, tuple[str, Any]] = {}

    def submit_cells(gkey: str) -> None:
        record = store.group(gkey)
        for c in waiting.pop(gkey, []):
            running[pool.submit(run_cell, c, record)] = ("cell", c)

    for g in groups:
        running[pool.submit(run_group, g)] = ("group", g)
    for gkey in list(waiting):
        if gkey in have:
            submit_cells(gkey)
    while running:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in finished:
            kind, item = running.pop(fut)
            try:
                record = fut.result()
            except VerifyError as exc:
                for other in running:  # what has not started will not; the store keeps the rest
                    other.cancel()
                raise VerifyError(f"{_label(kind, item)}: {exc}") from None
            if kind == "group":
                store.put_group(item.key, item.activation, item.data, item.n, record)
                submit_cells(item.key)
            else:
                done_cell(item, record)


def _label(kind: str, item: Group | Cell) -> str:
    where = f"{item.activation}, {item.data}, n = {item.n}"
    return where if kind == "group" else f"{where}, m = {item.width}, replicate {item.replicate}"


class _InProcess(Executor):
    """Runs each task at submission, in this process (``workers = 0``: debugging, profiling)."""

    def submit(self, fn, /, *args, **kwargs):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, as a pool would
            fut.set_exception(exc)
        return fut


def _executor(client: Any, workers: int) -> Executor:
    if client is not None:
        return client.get_executor()
    if workers == 0:
        return _InProcess()
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_follow_parent,
        initargs=(os.getpid(),),
    )


def _follow_parent(parent: int) -> None:
    """In each pool process: exit as soon as the driver is gone (a driver killed with SIGKILL
    cannot stop its pool; the workers must not run on, orphaned)."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def connect(address: str) -> Any:
    """A Dask client for the scheduler at ``address`` (tcp://HOST:PORT); one clear error when
    Dask is missing or the scheduler does not answer."""
    try:
        from distributed import Client
    except ImportError:
        raise VerifyError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise VerifyError(f"no Dask scheduler answered at {address}: {exc}") from None


__all__ = ["STORE_NAME", "StudyRun", "connect", "default_workers", "run_study"]
