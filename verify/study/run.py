"""Run a study: every missing group and cell of a grid, on a local process pool or a Dask
cluster, each result written to the store the moment it arrives; then the atlas.

The driver only claims, submits and stores. Groups go first; once a group is stored its cells can
run (they need its λ* and Θ*). Both executors are ``concurrent.futures`` executors: a
``ProcessPoolExecutor`` (spawned processes, sized to the cores) or a Dask client's
``get_executor()``, so the same loop drives a laptop and a cluster (``--scheduler
tcp://HOST:PORT``, or a ``dask.distributed.Client`` passed in Python; a SLURM cluster started with
dask-jobqueue is just such a client). No scheduler of our own.

**Sharing a store.** The driver claims each group or cell in the store before it submits it
(:mod:`verify.study.store`), and keeps no more tasks in flight than the executor has slots, so two
runs of the same grid on one store split the work, each computing what the other has not claimed
and waiting for what the other holds; a claim whose owner died is taken over.

**Stopping.** On SIGINT (Ctrl-C) or SIGTERM the driver, at its next turn (within
:data:`POLL_S`), stores what has finished, cancels the pending tasks, stops the workers (a local
pool's processes are terminated; on Dask the study's tasks are cancelled: Dask lets a task that
has started run to its end on its worker and drops the result), releases its claims and raises
:class:`StudyInterrupted`, which the command line reports as "interrupted: K of N cells kept;
resume with the same command" and exit code 130. A second signal stops at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbolic.errors import VerifyError
from verify.settings import Settings
from verify.study.cells import run_cell, run_group
from verify.study.grid import Cell, Group, StudyGrid, groups_and_cells
from verify.study.store import Store, is_stale

#: The store's file name inside the study folder.
STORE_NAME = "study.sqlite"
#: Seconds between two looks at the stop flag and at the store while tasks run.
POLL_S = 0.25


class StudyInterrupted(KeyboardInterrupt):
    """A study stopped by SIGINT or SIGTERM: ``kept`` of the grid's ``total`` cells are stored."""

    def __init__(self, kept: int, total: int) -> None:
        super().__init__(f"interrupted: {kept} of {total} cells kept; resume with the same command")
        self.kept = kept
        self.total = total


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
    processes; 0 runs in this process). ``progress(done, total, computed)`` as cells are stored.
    Raises :class:`StudyInterrupted` on SIGINT or SIGTERM (see the module docstring)."""
    groups, cells = groups_and_cells(grid, base)
    done = run_work(groups, cells, out, workers=workers, client=client, progress=progress)
    return StudyRun(**vars(done), grid=grid, group_list=tuple(groups), cell_list=tuple(cells))


@dataclass(frozen=True)
class WorkDone:
    """What :func:`run_work` did: counts, the store, and the records of the work it was given."""

    store: Path
    cells_total: int
    cells_computed: int
    cells_reused: int
    groups: dict[str, dict[str, Any]]  # group key → record
    cells: dict[str, dict[str, Any]]  # cell key → record
    seconds: float
    cells_by_others: int


@dataclass(frozen=True)
class StudyRun(WorkDone):
    """What one study invocation did (:class:`WorkDone`: counts, the store, every record of the
    grid, ``cells_by_others`` computed meanwhile by another run on the same store), and the grid
    with its groups and cells."""

    grid: StudyGrid
    group_list: tuple[Group, ...]
    cell_list: tuple[Cell, ...]


def run_work(
    groups: list[Group],
    cells: list[Cell],
    out: Path,
    *,
    workers: int,
    client: Any = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> WorkDone:
    """:func:`run_study` for any list of groups and cells (keys distinct; several grids joined,
    as the findings preset does): the same store, claims, executors and stopping."""
    t0 = time.perf_counter()
    path = out / STORE_NAME
    with _StopSignals() as stop, Store(path) as store, store.heartbeat():
        reused = len(store.keys("cells") & {c.key for c in cells})
        driver = _Driver(store, groups, cells, progress)
        if progress:
            progress(reused, len(cells), 0)
        pool = _executor(client, workers)
        try:
            driver.run(pool, lambda: _capacity(client, workers), stop)
        except BaseException:
            _halt(pool)
            raise
        pool.shutdown(wait=True)
        group_records = store.records("groups", {g.key for g in groups})
        cell_records = store.records("cells", {c.key for c in cells})
    return WorkDone(
        path,
        len(cells),
        driver.computed,
        reused,
        group_records,
        cell_records,
        time.perf_counter() - t0,
        len(cells) - reused - driver.computed,
    )


class _Driver:
    """The loop of one run: claim and submit what is free, up to the executor's slots; store
    each result as it arrives; look at the store for what other runs stored."""

    def __init__(self, store: Store, groups: list[Group], cells: list[Cell], progress) -> None:
        self.store = store
        self.groups = {g.key: g for g in groups}  # still to store
        self.cells = {c.key: c for c in cells}
        self.total = len(cells)
        self.progress = progress
        self.running: dict[Future, tuple[str, Group | Cell]] = {}
        self.computed = 0
        self.refresh()

    def run(self, pool: Executor, capacity: Callable[[], int], stop: threading.Event) -> None:
        """Until every group and cell is stored; StudyInterrupted once ``stop`` is set."""
        while self.groups or self.cells:
            if stop.is_set():
                self.interrupt()
            self.fill(pool, capacity())
            if not self.running:  # the rest is claimed by other runs: wait for them
                stop.wait(POLL_S)
                self.refresh()
                continue
            finished, _ = wait(self.running, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for fut in finished:
                self.finish(fut)
            self.refresh()

    def refresh(self) -> None:
        """Forget what the store now holds (stored by this run or another)."""
        before = len(self.cells)
        for key in self.store.keys("groups") & self.groups.keys():
            del self.groups[key]
        for key in self.store.keys("cells") & self.cells.keys():
            del self.cells[key]
        if self.progress and len(self.cells) != before:
            self.progress(self.total - len(self.cells), self.total, self.computed)

    def fill(self, pool: Executor, capacity: int) -> None:
        """Claim and submit free groups, then free cells of stored groups, up to ``capacity``
        tasks in flight."""
        busy = {item.key for _, item in self.running.values()}
        me = self.store.owner
        now = time.time()
        held = {
            c.key
            for c in self.store.claims()
            if c.owner != me.token and not is_stale(c, now, me.host)
        }
        ready = [("group", g) for g in self.groups.values()]
        ready += [("cell", c) for c in self.cells.values() if c.group not in self.groups]
        for kind, item in ready:
            if len(self.running) >= capacity:
                return
            if item.key in busy or item.key in held:
                continue
            if self.store.claim(item.key, "groups" if kind == "group" else "cells"):
                self.running[self._submit(pool, kind, item)] = (kind, item)

    def _submit(self, pool: Executor, kind: str, item: Any) -> Future:
        if kind == "group":
            return pool.submit(run_group, item)
        return pool.submit(run_cell, item, self.store.group(item.group))

    def finish(self, fut: Future) -> None:
        """Store the result of ``fut`` (one line for a task that failed)."""
        kind, item = self.running.pop(fut)
        try:
            record = fut.result()
        except VerifyError as exc:
            raise VerifyError(f"{_label(kind, item)}: {exc}") from None
        except BrokenProcessPool:
            raise VerifyError(
                f"a worker process died while computing {_label(kind, item)} (out of memory?); "
                "the store keeps every finished cell: resume with the same command"
            ) from None
        if kind == "group":
            self.store.put_group(item.key, item.activation, item.data, item.n, record)
            self.groups.pop(item.key, None)
            return
        where = (item.activation, item.data, item.n, item.width, item.replicate)
        self.store.put_cell(item.key, item.group, where, record)
        self.cells.pop(item.key, None)
        self.computed += 1
        if self.progress:
            self.progress(self.total - len(self.cells), self.total, self.computed)

    def interrupt(self) -> None:
        """Store what has finished, then raise StudyInterrupted (the caller stops the pool)."""
        for fut in [f for f in self.running if f.done() and not f.cancelled()]:
            if fut.exception() is None:
                self.finish(fut)
        self.refresh()
        raise StudyInterrupted(self.total - len(self.cells), self.total)


def _label(kind: str, item: Group | Cell) -> str:
    where = f"{item.activation}, {item.data}, n = {item.n}"
    return where if kind == "group" else f"{where}, m = {item.width}, replicate {item.replicate}"


class _StopSignals:
    """While a study runs: the first SIGINT or SIGTERM sets the event (the driver stops at its
    next turn); a second raises KeyboardInterrupt at once. Installed only in the main thread,
    the one place Python runs signal handlers; the previous handlers come back on exit."""

    def __enter__(self) -> threading.Event:
        self.event = threading.Event()
        self.saved: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.saved[sig] = signal.signal(sig, self._handle)
        return self.event

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def _capacity(client: Any, workers: int) -> int:
    """Tasks in flight at once: the pool's processes, or the Dask cluster's worker threads."""
    if client is None:
        return max(1, workers)
    return max(1, sum(client.nthreads().values()))


def _halt(pool: Executor) -> None:
    """Stop at once: pending tasks cancelled, a local pool's processes terminated, a Dask
    client's tasks cancelled."""
    terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
    if terminate is not None:
        terminate()
        return
    if isinstance(pool, ProcessPoolExecutor):
        processes = list((pool._processes or {}).values())  # the pool's own workers, no others
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.terminate()
        for p in processes:
            p.join(10)
    else:
        pool.shutdown(wait=False)  # a ClientExecutor cancels its futures


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
    """In each pool process: ignore SIGINT (a Ctrl-C at a terminal reaches the whole process
    group; the driver stops its workers itself), and exit as soon as the driver is gone (a driver
    killed with SIGKILL cannot stop its pool; the workers must not run on, orphaned)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

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
    except ValueError as exc:  # a malformed address, or another process's inproc:// one
        raise VerifyError(f"--scheduler {address} is not a scheduler address: {exc}") from None


__all__ = [
    "STORE_NAME",
    "StudyInterrupted",
    "StudyRun",
    "WorkDone",
    "connect",
    "default_workers",
    "run_study",
    "run_work",
]
