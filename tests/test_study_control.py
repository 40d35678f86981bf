"""Studies that stop when asked and share a store (issue 25, points 1 and 2): claims in the
store (taken, refused, taken over from a dead or silent owner, renewed by the heartbeat), the
WAL checkpointed away on a clean exit, a real SIGINT / SIGTERM to a running `python -m verify
study` on a process pool and on Dask (exit 130, the message, the store, a resume that computes
exactly the rest), and two concurrent runs on one store computing every group and cell once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path

import pytest

from verify.cli import main
from verify.study.store import STALE_AFTER_S, Claim, Owner, Store, is_stale

ROOT = Path(__file__).resolve().parent.parent
#: Cheap groups (no certificate, 8 Hermite terms, 20 digits) and cells long enough to be caught
#: running (300 steps: about half a second each on one core).
CHEAP = ["--no-certify", "--hermite-terms", "8", "--dps", "20", "--quiet"]
ONE_GROUP = ["--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "4"]
ONE_GROUP += ["--data", "sphere", "--steps", "300", *CHEAP]
#: A hang bound for one subprocess study (they take seconds); never an assertion on speed.
HANG_S = 300


def _sqlite_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("study.sqlite"))


def _count(path: Path, sql: str) -> int:
    """One number from the store, the connection closed at once (an open reader would keep the
    WAL alive when the study exits)."""
    # mode=rw: never creates the file; and, unlike a read-only one, a read-write connection
    # that closes last removes the -wal and -shm it may have had to create
    db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
    try:
        return db.execute(sql).fetchall()[0][0]
    finally:
        db.close()


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(HANG_S)
    return proc.pid


# --- claims -------------------------------------------------------------------------------


HOST = "this-host"
FRESH, OLD = 1000.0, 1000.0 - STALE_AFTER_S - 1


@pytest.mark.parametrize(
    "heartbeat, host, alive, stale",
    [
        (FRESH, HOST, True, False),  # a live owner here, heartbeat fresh: kept
        (FRESH, HOST, False, True),  # its process is gone: taken over at once
        (FRESH, "other", False, False),  # another host's pid says nothing here
        (FRESH, "other", True, False),
        (OLD, "other", True, True),  # no heartbeat for longer than STALE_AFTER_S
        (OLD, HOST, True, True),
        (FRESH - STALE_AFTER_S, "other", True, False),  # exactly at the limit: not yet
    ],
)
def test_the_staleness_rule(heartbeat, host, alive, stale):
    claim = Claim("k", "someone", host, 42, heartbeat)
    assert is_stale(claim, FRESH, HOST, alive=lambda pid: alive) is stale


def test_claims_are_exclusive_released_with_the_result_and_a_result_is_never_replaced(tmp_path):
    path = tmp_path / "study.sqlite"
    with Store(path) as a, Store(path) as b:
        assert a.claim("k", "cells") and a.claim("k", "cells")  # twice by its owner
        assert not b.claim("k", "cells")  # held by a live run
        a.put_cell("k", "g", ("sin", "sphere", 4, 8, 0), {"v": 1})
        assert a.claims() == [] and not b.claim("k", "cells")  # stored: nobody computes it
        b.put_cell("k", "g", ("sin", "sphere", 4, 8, 0), {"v": 2})
        assert a.records("cells") == {"k": {"v": 1}}  # the first result stays
        assert a.claim("g", "groups") and not b.claim("g", "groups")
        a.put_group("g", "sin", "sphere", 4, {"lambda_star": 0.5})
        assert a.claims() == [] and not b.claim("g", "groups")


def test_a_claim_of_a_dead_run_is_taken_over_and_so_is_a_silent_one(tmp_path):
    path = tmp_path / "study.sqlite"
    here = Owner.here()
    dead = Owner("dead", here.host, _dead_pid())
    elsewhere = Owner("far", "another-host", os.getpid())
    with Store(path, dead) as d, Store(path, elsewhere) as e, Store(path) as me:
        assert d.claim("a", "cells") and e.claim("b", "cells", now=time.time() - 2 * STALE_AFTER_S)
        assert e.claim("c", "cells")
        assert me.claim("a", "cells")  # same host, process gone
        assert me.claim("b", "cells")  # no heartbeat for 2·STALE_AFTER_S
        assert not me.claim("c", "cells")  # alive as far as anyone can tell
        owners = {c.key: c.owner for c in me.claims()}
        assert owners == {"a": me.owner.token, "b": me.owner.token, "c": "far"}


def test_the_heartbeat_keeps_a_long_claim_alive(tmp_path):
    """A claim taken with an ancient heartbeat is renewed by the run's heartbeat thread, after
    which another run can no longer take it over."""
    path = tmp_path / "study.sqlite"
    with Store(path, Owner("slow", "another-host", 1)) as slow, Store(path) as other:
        assert slow.claim("k", "cells", now=0.0)
        with slow.heartbeat(every=0.02):
            deadline = time.monotonic() + HANG_S  # a hang bound, not a speed requirement
            while slow.claims()[0].heartbeat == 0.0 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert slow.claims()[0].heartbeat > 0.0
        assert not other.claim("k", "cells")


def test_a_clean_exit_checkpoints_the_wal_and_leaves_no_side_files(tmp_path):
    """-wal and -shm go with the last connection (one still open keeps them), every row in the
    database file itself, and the run's claims dropped."""
    path = tmp_path / "study.sqlite"
    with Store(path) as a:
        b = Store(path)
        a.claim("x", "cells")
        b.put_group("g", "sin", "sphere", 4, {"lambda_star": 0.5})
        assert b.group("g") == {"lambda_star": 0.5}
        b.close()
        assert "study.sqlite-wal" in _sqlite_files(tmp_path)  # a still open
    assert _sqlite_files(tmp_path) == ["study.sqlite"]
    assert _count(path, "SELECT count(*) FROM groups") == 1
    assert _count(path, "SELECT count(*) FROM claims") == 0


# --- stopping -----------------------------------------------------------------------------


def _run_until_cells(cmd: list[str], store: Path, cells: int) -> subprocess.Popen:
    """Start ``cmd`` and return it once the store holds ``cells`` cells (still running)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + HANG_S
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            if _count(store, "SELECT count(*) FROM cells") >= cells:
                return proc
        except sqlite3.OperationalError:  # not created yet
            continue
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"the study ended before it could be stopped: {err.decode()}")


def _stop_and_check(proc: subprocess.Popen, sig: int, out: Path, total: int) -> int:
    """Send ``sig``; check exit 130, the one message, the store (K cells, no claims, no WAL);
    return K."""
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=HANG_S)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 130, err.decode()
    assert _sqlite_files(out) == ["study.sqlite"]  # checkpointed, before any look inside
    kept = _count(out / "study.sqlite", "SELECT count(*) FROM cells")
    assert lines == [f"interrupted: {kept} of {total} cells kept; resume with the same command"]
    assert 1 <= kept < total
    assert _count(out / "study.sqlite", "SELECT count(*) FROM claims") == 0
    return kept


def _resume(args: list[str], out: Path, kept: int, total: int) -> None:
    """The same command again (in this process, where sympy and torch are warm: ``--workers
    0``, which the keys do not depend on): it computes exactly the cells the store lacks."""
    summary = out / "summary.json"
    args = [*args, "--workers", "0", "--out", str(out), "--json", str(summary)]
    assert main(args) == 0
    data = json.loads(summary.read_text())
    assert (data["cells_reused"], data["cells_computed"]) == (kept, total - kept)
    assert _count(out / "study.sqlite", "SELECT count(*) FROM cells") == total


def test_sigint_stops_a_study_on_a_process_pool_and_the_same_command_resumes(tmp_path):
    """The command line end to end: a real SIGINT to `python -m verify study` while its pool
    process trains; exit 130 with the one line, K cells kept, no claim and no WAL left."""
    args = ["study", *ONE_GROUP]
    cmd = [sys.executable, "-m", "verify", *args, "--workers", "1", "--out", str(tmp_path)]
    proc = _run_until_cells(cmd, tmp_path / "study.sqlite", 1)
    kept = _stop_and_check(proc, signal.SIGINT, tmp_path, 4)
    _resume(args, tmp_path, kept, 4)


@pytest.mark.slow
def test_sigterm_stops_a_pool_whose_cell_would_run_for_hours(tmp_path):
    """SIGTERM while the only worker trains a cell of 10⁷ steps (16 points, width 8: the loss
    never reaches 0, so every step runs): the worker is terminated, not waited for (the timeout
    only bounds the hang a waiting driver would be), exit 130 and "0 of 2 cells kept"; the
    group, finished, is kept."""
    grid = ["--activations", "sin", "--n", "16", "--widths", "8", "--seeds", "2"]
    cmd = [sys.executable, "-m", "verify", "study", *grid, "--data", "sphere", *CHEAP]
    cmd += ["--steps", "10000000", "--workers", "1", "--out", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    store = tmp_path / "study.sqlite"
    deadline = time.monotonic() + HANG_S
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        with contextlib.suppress(sqlite3.OperationalError):
            if _count(store, "SELECT count(*) FROM groups") == 1:
                break
    time.sleep(0.5)  # the first cell is submitted as the group is stored
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 130, err.decode()
    assert err.decode().strip() == "interrupted: 0 of 2 cells kept; resume with the same command"
    assert _count(store, "SELECT count(*) FROM groups") == 1


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask LocalCluster in this process, over TCP (a study subprocess reaches its scheduler
    like any cluster's), one worker thread: tasks run one at a time."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.mark.slow
def test_sigint_stops_a_study_on_dask_and_the_same_command_resumes(dask_cluster, tmp_path):
    """The same through `--scheduler`: the study's tasks are cancelled on the cluster."""
    args = ["study", *ONE_GROUP]
    cmd = [sys.executable, "-m", "verify", *args, "--out", str(tmp_path)]
    proc = _run_until_cells(
        [*cmd, "--scheduler", dask_cluster.scheduler_address], tmp_path / "study.sqlite", 1
    )
    kept = _stop_and_check(proc, signal.SIGINT, tmp_path, 4)
    _resume(args, tmp_path, kept, 4)


# The driver with stand-in tasks (the claims, the store, the executors and the signals are
# real; only the mathematics is replaced, by functions that log who computed what).

#: (run, kind, key) of every stand-in computation; run is the thread's name.
CALLS: list[tuple[str, str, str]] = []


def _fake_group(group):
    CALLS.append((threading.current_thread().name, "group", group.key))
    return {"fake": "group"}


def _fake_cell(cell, group):
    CALLS.append((threading.current_thread().name, "cell", cell.key))
    return {"fake": "cell", "group": group["fake"]}


def _interrupting_cell(cell, group):
    """The second cell sends SIGINT to this process (the driver's handler must take it)."""
    record = _fake_cell(cell, group)
    if sum(kind == "cell" for _, kind, _ in CALLS) == 2:
        os.kill(os.getpid(), signal.SIGINT)
    return record


@pytest.fixture
def stand_ins(monkeypatch):
    import verify.study.run as run

    CALLS.clear()
    monkeypatch.setattr(run, "run_group", _fake_group)
    monkeypatch.setattr(run, "run_cell", _fake_cell)
    return run


def _grid():
    from verify.settings import Settings
    from verify.study.grid import StudyGrid, groups_and_cells, parse_activations

    grid = StudyGrid(parse_activations("sin,erf"), (4, 6), (8, 16), 2, ("sphere",), 0.8)
    groups, cells = groups_and_cells(grid, Settings())
    return grid, Settings(), groups, cells


def test_a_sigint_on_dask_cancels_and_keeps_what_finished(stand_ins, dask_cluster, tmp_path):
    """SIGINT (sent from inside the second cell) while a study runs on a Dask client: the
    driver stores what finished, cancels the rest, raises StudyInterrupted with K of 16; the
    resume on the same client computes exactly 16 - K."""
    from distributed import Client

    grid, base, _, _ = _grid()
    stand_ins.run_cell = _interrupting_cell
    before = signal.getsignal(signal.SIGINT)  # not always Python's default: earlier tests, xdist
    with Client(dask_cluster) as client:
        with pytest.raises(stand_ins.StudyInterrupted) as stop:
            stand_ins.run_study(grid, base, tmp_path, workers=1, client=client)
        kept = _count(tmp_path / "study.sqlite", "SELECT count(*) FROM cells")
        assert (stop.value.kept, stop.value.total) == (kept, 16) and 1 <= kept <= 2
        assert (
            str(stop.value) == f"interrupted: {kept} of 16 cells kept; resume with the same command"
        )
        assert _count(tmp_path / "study.sqlite", "SELECT count(*) FROM claims") == 0
        stand_ins.run_cell = _fake_cell
        again = stand_ins.run_study(grid, base, tmp_path, workers=1, client=client)
    assert (again.cells_reused, again.cells_computed) == (kept, 16 - kept)
    assert signal.getsignal(signal.SIGINT) is before  # the handler found is put back


def test_two_runs_on_one_store_split_the_work(stand_ins, tmp_path):
    """Two studies of one grid on one store, at once (two threads, tasks in-process, both
    holding a group claim, and then a cell claim, before either finishes one: the split does
    not depend on how the threads are scheduled): every group and cell computed exactly once,
    each run computed some, each ends with the whole grid, no claim or WAL left."""
    grid, base, groups, cells = _grid()
    barriers = {kind: threading.Barrier(2, timeout=HANG_S) for kind in ("group", "cell")}
    first: set[tuple[str, str]] = set()

    def once_both_started(kind: str) -> None:
        name = threading.current_thread().name
        if (name, kind) not in first:
            first.add((name, kind))
            barriers[kind].wait()

    def group_once_both_started(group):
        once_both_started("group")
        return _fake_group(group)

    def cell_once_both_started(cell, group):
        once_both_started("cell")
        return _fake_cell(cell, group)

    stand_ins.run_group = group_once_both_started
    stand_ins.run_cell = cell_once_both_started
    runs: dict[str, object] = {}

    def one(name: str) -> None:
        runs[name] = stand_ins.run_study(grid, base, tmp_path, workers=0)

    threads = [threading.Thread(target=one, args=(n,), name=n) for n in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_S)
    assert sorted((kind, key) for _, kind, key in CALLS) == sorted(
        [("group", g.key) for g in groups] + [("cell", c.key) for c in cells]
    )  # each exactly once
    by_run = {name: sum(r == name and k == "cell" for r, k, _ in CALLS) for name in "AB"}
    assert min(by_run.values()) >= 1 and {n: runs[n].cells_computed for n in "AB"} == by_run
    assert runs["A"].cells_by_others == by_run["B"] and runs["B"].cells_by_others == by_run["A"]
    assert all(len(r.cells) == 16 for r in runs.values())
    assert _sqlite_files(tmp_path) == ["study.sqlite"]
    assert _count(tmp_path / "study.sqlite", "SELECT count(*) FROM claims") == 0


class _Held(Executor):
    """An executor whose tasks never start (they stay in flight): what a busy pool looks like."""

    def submit(self, fn, /, *args, **kwargs):
        return Future()


def test_a_run_claims_no_more_than_its_slots_and_commits_what_finished_when_stopped(tmp_path):
    """fill() puts at most ``capacity`` tasks in flight, each claimed (a second run claims the
    next ones, not these); interrupt() stores the finished ones, drops the claims of the others
    (on close), and counts K."""
    from verify.study.run import StudyInterrupted, _Driver

    _, _, groups, cells = _grid()
    path = tmp_path / "study.sqlite"
    with Store(path) as a, Store(path) as b:
        for g in groups:
            a.put_group(g.key, g.activation, g.data, g.n, {"fake": "group"})
        mine, theirs = _Driver(a, groups, cells, None), _Driver(b, groups, cells, None)
        mine.fill(_Held(), 3)
        theirs.fill(_Held(), 2)
        held = {c.owner: set() for c in a.claims()}
        for c in a.claims():
            held[c.owner].add(c.key)
        assert sorted(len(v) for v in held.values()) == [2, 3]  # disjoint, at capacity
        assert {item.key for _, item in mine.running.values()} == held[a.owner.token]
        done, (_, first) = next(iter(mine.running.items()))
        done.set_result({"fake": "cell"})
        with pytest.raises(StudyInterrupted) as stop:
            mine.interrupt()
        assert stop.value.kept == 1 and set(a.records("cells")) == {first.key}
    assert _count(path, "SELECT count(*) FROM claims") == 0


#: Runs the study command with every group and cell computation logged (pid, kind, key) to
#: LOG, the first one held until both runs have started (so that they overlap).
_LOGGED = """
import os, sys, time
import verify.study.run as run
log, barrier = sys.argv[1], sys.argv[2]

def logged(kind, fn):
    def wrapper(item, *rest):
        with open(barrier, "a") as fh:
            fh.write(f"{os.getpid()}\\n")
        deadline = time.monotonic() + 120
        while len(set(open(barrier).read().split())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {kind} {item.key}\\n")
        return fn(item, *rest)
    return wrapper

run.run_group = logged("group", run.run_group)
run.run_cell = logged("cell", run.run_cell)
from verify.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.slow
def test_two_study_processes_on_one_store_compute_each_cell_once(tmp_path):
    """Two `study` processes started together on one folder, the real computations (in-process
    workers, so each is logged with its pid): every group and cell computed exactly once, each
    process computed some, both end with the whole grid and its atlas, no claim or WAL left."""
    from verify.settings import Settings, from_flat
    from verify.study.grid import StudyGrid, groups_and_cells, parse_activations

    out = tmp_path / "s"
    log, barrier = tmp_path / "log", tmp_path / "barrier"
    grid_args = ["--activations", "sin,erf", "--n", "4", "--widths", "8", "--seeds", "3"]
    grid_args += ["--data", "sphere", "--steps", "40", *CHEAP, "--workers", "0"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _LOGGED,
                str(log),
                str(barrier),
                "study",
                *grid_args,
                "--out",
                str(out),
                "--json",
                str(tmp_path / f"{k}.json"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for k in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=HANG_S)
        assert p.returncode == 0, err.decode()
    entries = [line.split() for line in log.read_text().splitlines()]
    base = from_flat({"steps": 40, "hermite_terms": 8, "dps": 20, "certify": False}, Settings())
    grid = StudyGrid(parse_activations("sin,erf"), (4,), (8,), 3, ("sphere",), 0.8)
    groups, cells = groups_and_cells(grid, base)
    computed = [(kind, key) for _, kind, key in entries]
    assert sorted(computed) == sorted(
        [("group", g.key) for g in groups] + [("cell", c.key) for c in cells]
    )  # each exactly once
    assert len({pid for pid, _, _ in entries}) == 2  # both processes did some of it
    summaries = [json.loads((tmp_path / f"{k}.json").read_text()) for k in range(2)]
    assert sum(s["cells_computed"] for s in summaries) == 6
    for mine, theirs in (summaries, summaries[::-1]):
        assert mine["cells_by_others"] == theirs["cells_computed"]
    assert _sqlite_files(out) == ["study.sqlite"] and (out / "atlas.html").exists()
    assert _count(out / "study.sqlite", "SELECT count(*) FROM cells") == 6
    assert _count(out / "study.sqlite", "SELECT count(*) FROM claims") == 0
