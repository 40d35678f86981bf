"""Studies: the grid and its keys, the store, resuming after SIGKILL, a real Dask scheduler, the
analysis (exponent fit, minimal width) against synthetic rows with known answers, the exports."""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from symbolic.errors import VerifyError
from verify.cli import main
from verify.settings import Settings, from_flat
from verify.study.analysis import analyse, fit_line, minimal_width, theory_scale
from verify.study.atlas import tex_escape, to_tex
from verify.study.grid import StudyGrid, groups_and_cells, parse_activations, parse_ints
from verify.study.report import study
from verify.tables import to_csv

ROOT = Path(__file__).resolve().parent.parent
#: The 2×2×2×2 grid of the tests: small enough for seconds per cell, large enough to resume.
ARGS = ["--activations", "sin,erf", "--n", "4,6", "--widths", "8,16", "--seeds", "2"]
ARGS += ["--data", "sphere", "--steps", "40", "--quiet"]
BASE = replace(Settings(), schedule=replace(Settings().schedule, steps=40))
GRID = StudyGrid(parse_activations("sin,erf"), (4, 6), (8, 16), 2, ("sphere",), 0.8)


@pytest.fixture(scope="module", autouse=True)
def _collect_the_clusters_leftovers():
    """Dask's clusters and clients and the killed study leave sockets and pipes to the garbage
    collector; collect them here, where they belong, rather than as a ResourceWarning raised
    during some later test's setup (seen once in a full run)."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _cells(path: Path) -> dict[str, dict]:
    """{key: record without its timing} of a store: what must agree between runs."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT key, record FROM cells").fetchall()
    finally:
        db.close()
    out = {}
    for key, text in rows:
        record = json.loads(text)
        record.pop("seconds")
        out[key] = record
    return out


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    """The grid run by the command line on a local pool of two processes."""
    out = tmp_path_factory.mktemp("local")
    assert main(["study", *ARGS, "--workers", "2", "--out", str(out)]) == 0
    return out


def test_a_local_study_and_a_dask_study_store_identical_numbers(local, tmp_path):
    """The same grid on a real dask.distributed scheduler with two worker processes (started
    here on localhost): every cell's record is equal, float for float (one torch thread per
    task, each cell seeded from its own key)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        run, summary = study(GRID, tmp_path, BASE, client=client)
    assert run.cells_total == 16 and run.cells_computed == 16 and run.cells_reused == 0
    theirs, ours = _cells(tmp_path / "study.sqlite"), _cells(local / "study.sqlite")
    assert len(ours) == 16 and theirs == ours
    assert set(summary["activations"]) == {"sin", "erf"}
    assert summary["cells_computed"] == 16


def test_the_scheduler_option_runs_on_a_dask_scheduler_started_by_the_test(local, tmp_path):
    """`--scheduler tcp://…` against `dask scheduler` / `dask worker` processes: the CLI reuses
    nothing it does not have and computes all 16 cells there, with the same numbers."""
    pytest.importorskip("distributed")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port = _free_port()
    sched = subprocess.Popen(
        [*SCHEDULER, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            *WORKER,
            f"tcp://127.0.0.1:{port}",
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        summary = tmp_path / "s.json"
        args = ["--scheduler", f"tcp://127.0.0.1:{port}", "--json", str(summary)]
        assert main(["study", *ARGS, "--out", str(tmp_path), *args]) == 0
    finally:
        for p in (worker, sched):
            p.terminate()
            p.wait(30)
    data = json.loads(summary.read_text())
    assert data["cells_computed"] == 16 and data["cells_reused"] == 0
    assert _cells(tmp_path / "study.sqlite") == _cells(local / "study.sqlite")


#: `dask scheduler` / `dask worker`, as modules of this interpreter (no PATH lookup).
SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_study_killed_mid_run_resumes_with_only_the_missing_cells(local, tmp_path):
    """SIGKILL on the driver once a few cells are stored; the re-run computes exactly the cells
    the store lacks (counted), and the final store equals the uninterrupted run's."""
    cmd = [sys.executable, "-m", "verify", "study", *ARGS, "--workers", "1", "--out"]
    proc = subprocess.Popen(
        [*cmd, str(tmp_path)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    store = tmp_path / "study.sqlite"
    deadline = time.monotonic() + 240
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if store.exists():
            try:
                stored = len(_cells(store))
            except sqlite3.OperationalError:  # the schema not created yet
                continue
            if stored >= 3:
                break
    assert proc.poll() is None, f"the study ended before it could be killed: {proc.stderr.read()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    before = _cells(store)
    assert 3 <= len(before) < 16
    summary = tmp_path / "s.json"
    assert (
        main(["study", *ARGS, "--workers", "1", "--out", str(tmp_path), "--json", str(summary)])
        == 0
    )
    data = json.loads(summary.read_text())
    assert data["cells_reused"] == len(before)
    assert data["cells_computed"] == 16 - len(before)
    assert _cells(store) == _cells(local / "study.sqlite")


def test_the_atlas_and_its_exports(local):
    """Every file is written; the CSVs parse with a header and one row per group / cell; each
    LaTeX row has as many cells as the header and the environment closes."""
    names = {p.name for p in local.iterdir()}
    for name in ("atlas.md", "atlas.html", "groups.csv", "cells.csv", "exponents.csv"):
        assert name in names
    assert {"groups.tex", "exponents.tex", "minimal_width.png", "lambda_star.png"} <= names
    groups = list(csv.DictReader(io.StringIO((local / "groups.csv").read_text())))
    assert len(groups) == 4 and {g["activation"] for g in groups} == {"sin", "erf"}
    assert all(float(g["λ*"]) > 0 for g in groups)
    cells = list(csv.DictReader(io.StringIO((local / "cells.csv").read_text())))
    assert len(cells) == 16
    comment, *tex = (local / "groups.tex").read_text().splitlines()
    assert comment.startswith("% deq-verify export: needs \\usepackage{booktabs}")
    assert tex[0].startswith("\\begin{tabular}{") and tex[-1] == "\\end{tabular}"
    columns = len(tex[0].split("{")[2].rstrip("}"))
    rows = [line for line in tex if line.endswith("\\\\")]
    assert len(rows) == 5
    assert all(line.count(" & ") == columns - 1 for line in rows)
    html = (local / "atlas.html").read_text()
    assert "<img src='minimal_width.png'" in html and "What it says" in html


def test_to_tex_escapes_and_keeps_the_shape():
    tex = to_tex(["a_b", "c"], [["x&y", "50%"], ["{z}", "#1"]])
    assert r"a\_b" in tex and r"x\&y" in tex and r"50\%" in tex and r"\{z\}" in tex
    assert r"\#1" in tex
    assert tex_escape("a\\b") == r"a\textbackslash{}b"
    assert to_csv(["a", "b"], [[1, "x,y"]]) == 'a,b\n1,"x,y"\n'


def test_the_exponent_is_recovered_from_rows_with_a_known_exponent():
    """m_min = 3·n^1.5 exactly: slope 1.5, standard error 0; with noise ±10% the slope is within
    two standard errors of 1.5, and the error bar follows the textbook formula."""
    ns = [8, 16, 32, 64]
    fit = fit_line([math.log(n) for n in ns], [math.log(3 * n**1.5) for n in ns])
    assert fit.slope == pytest.approx(1.5, abs=1e-12) and fit.se == pytest.approx(0, abs=1e-12)
    noise = [1.1, 0.9, 1.05, 0.95]
    ys = [math.log(3 * n**1.5 * e) for n, e in zip(ns, noise)]
    xs = [math.log(n) for n in ns]
    fit = fit_line(xs, ys)
    mx = sum(xs) / 4
    resid = [y - fit.intercept - fit.slope * x for x, y in zip(xs, ys)]
    se = math.sqrt(sum(r * r for r in resid) / 2 / sum((x - mx) ** 2 for x in xs))
    assert fit.se == pytest.approx(se, rel=1e-12)
    assert abs(fit.slope - 1.5) < 2 * fit.se
    assert fit_line([math.log(8), math.log(16)], [1.0, 2.0]).se is None
    assert fit_line([1.0], [1.0]) is None


def test_minimal_width_and_the_analysis_on_synthetic_rows():
    """The smallest width held in ≥ fraction of replicates (not the first that held once); the
    exponent of m_min in n from the analysis; the theory's scale and ratio."""
    assert minimal_width({8: [False, True], 16: [True, True], 32: [True, True]}, 0.8) == 16
    assert minimal_width({8: [True, True, False]}, 0.6) == 8
    assert minimal_width({8: [False], 16: [False]}, 0.5) is None
    groups, cells = [], []
    for n, m_true in ((8, 64), (16, 256), (32, 1024)):  # m_min = n²
        groups.append(
            {
                "activation": "a",
                "data": "sphere",
                "n": n,
                "lambda_star": 0.01,
                "lambda_star_enclosure": [0.0099, 0.0101],
                "q_star": 0.2,
                "sigma_w2": 0.0625,
                "covered": "PASS",
                "refuted": [],
            }
        )
        for m in (64, 256, 1024):
            for k in range(2):
                cells.append(
                    {
                        "activation": "a",
                        "data": "sphere",
                        "n": n,
                        "width": m,
                        "held": m >= m_true,
                        "rate": 0.9,
                        "rate_bound": 0.99,
                        "rate_finite": 0.91,
                        "rate_infinite": None,
                        "lambda_0_ratio": 1.0,
                        "seconds": 0.1,
                        "replicate": k,
                    }
                )
    atlas = analyse(groups, cells, 0.8, 0.01)
    assert [r.minimal_width for r in atlas.groups] == [64, 256, 1024]
    (curve,) = atlas.curves
    assert curve.fit.slope == pytest.approx(2.0, abs=1e-12)
    assert curve.theory.slope == pytest.approx(
        math.log(theory_scale(32, 0.01, 0.01) / theory_scale(8, 0.01, 0.01)) / math.log(4),
        rel=1e-3,
    )
    assert atlas.groups[0].ratio == pytest.approx(64 / (64 / 0.01**2))


def test_keys_change_with_any_setting_and_seeds_follow_the_key():
    """A changed setting (here the step count) gives new keys, so a store never reuses a stale
    row; the weight seed is a function of the key alone and differs between replicates."""
    g1, c1 = groups_and_cells(GRID, BASE)
    _, c2 = groups_and_cells(GRID, Settings())
    assert len(c1) == GRID.size == 16 and len(g1) == 4
    assert not {c.key for c in c1} & {c.key for c in c2}
    seeds = {c.weight_seed for c in c1}
    assert len(seeds) == 16
    assert groups_and_cells(GRID, BASE)[1][5].weight_seed == c1[5].weight_seed


def test_grid_parsing():
    acts = parse_activations("sin,exp@0.01,Max(0, x)")
    assert [(a.name, a.sigma_w2) for a in acts] == [
        ("sin", None),
        ("exp", 0.01),
        ("Max(0, x)", None),
    ]
    assert parse_ints("16,8,8", "--n") == (8, 16)
    for bad in ("sin,sin", "exp@abc", "exp@-1", "sin,,tanh"):
        with pytest.raises(VerifyError):
            parse_activations(bad)
    with pytest.raises(VerifyError):
        parse_ints("0,8", "--n")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--activations", "nosuch"], "nosuch"),
        (["--n", "0"], "--n"),
        (["--widths", "a,b"], "--widths"),
        (["--data", "/nonexistent.npy"], "nonexistent"),
        (["--activations", "exp@abc"], "σ_w²"),
        (["--scheduler", "nonsense", "--data", "sphere"], "not a scheduler address"),
    ],
)
def test_bad_input_is_one_line_and_exit_two_before_any_work(tmp_path, capsys, extra, message):
    out = tmp_path / "s"
    args = ["study", "--out", str(out), "--quiet", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not (out / "study.sqlite").exists()


def test_a_run_that_cannot_finish_is_recorded_not_fatal(tmp_path):
    """Forward solves capped at 2 iterations cannot converge: every cell stores its error and
    counts as not held; the study still ends with its atlas (no minimal width)."""
    base = from_flat({"max_iterations": 2, "steps": 10}, BASE)
    grid = replace(GRID, activations=parse_activations("sin"), ns=(4,), widths=(8,), seeds=1)
    run, summary = study(grid, tmp_path, base, workers=0)
    (record,) = run.cells.values()
    assert record["held"] is False and "did not converge" in record["error"]
    assert summary["activations"]["sin"]["minimal_width"] == {"4": None}
    assert (tmp_path / "atlas.md").exists()


def test_a_group_without_a_fixed_point_ends_the_study_in_one_line(tmp_path, capsys):
    """exp at σ_w² = 0.1: T(q) = 0.2e^{2q} + 0.2 has no fixed point, so there is no G*; the study
    stops with one line naming the group, exit 2, and the store holds no row."""
    args = ["study", "--activations", "exp@0.1", "--n", "4", "--widths", "8", "--seeds", "1"]
    args += ["--data", "sphere", "--workers", "0", "--quiet", "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: exp, sphere, n = 4: no G*")
    assert _cells(tmp_path / "study.sqlite") == {}


def test_a_resumed_study_shows_its_cells_on_the_progress_bar(local, capsys):
    """Everything stored: the bar (asked for with --progress, stderr not being a terminal)
    reaches 16/16 at once and says nothing was computed."""
    args = [a for a in ARGS if a != "--quiet"]
    assert main(["study", *args, "--workers", "0", "--out", str(local), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "16/16" in err and "(0 computed)" in err
