"""Studies: the grid and its keys, the store, resuming after SIGKILL, a real Dask scheduler, the
analysis (exponent fit, minimal width) against synthetic rows with known answers, the exports."""

from __future__ import annotations

import csv
import gc
import io
import json
import math
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
from verify.study.report import study, where_run
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
    """The grid run once by the command line in this process (``--workers 0``: sympy and torch
    are warm here), shared by the tests below; the process pool is exercised by the killed run
    below and in test_study_control, Dask's worker processes by the scheduler test."""
    out = tmp_path_factory.mktemp("local")
    assert main(["study", *ARGS, "--workers", "0", "--out", str(out)]) == 0
    return out


#: A corner of the grid (one group, its four cells): what the Dask and kill tests recompute.
CORNER = ["--activations", "sin", "--n", "4", "--widths", "8,16", "--seeds", "2"]
CORNER += ARGS[ARGS.index("--data") :]


def test_the_scheduler_option_stores_the_same_numbers_as_a_local_run(local, tmp_path):
    """`--scheduler tcp://…` against a real dask.distributed scheduler with two worker processes
    (started here on localhost): the CLI reuses nothing it does not have, computes the corner's
    4 cells there, and every cell's record equals the local run's, float for float (one torch
    thread per task, each cell seeded from its own key, whatever the grid around it)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = tmp_path / "s.json"
        args = ["--scheduler", cluster.scheduler_address, "--json", str(summary)]
        assert main(["study", *CORNER, "--out", str(tmp_path), *args]) == 0
    data = json.loads(summary.read_text())
    assert (data["cells_total"], data["cells_computed"], data["cells_reused"]) == (4, 4, 0)
    theirs, ours = _cells(tmp_path / "study.sqlite"), _cells(local / "study.sqlite")
    assert len(theirs) == 4 and theirs == {k: ours[k] for k in theirs}


#: One cheap group (no certificate, 8 Hermite terms, 20 digits) and cells long enough to be
#: caught running (300 steps: about half a second each on one core).
KILLED = ["--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "4", "--steps", "300"]
KILLED += ["--data", "sphere", "--no-certify", "--hermite-terms", "8", "--dps", "20", "--quiet"]


def test_a_study_killed_mid_run_resumes_with_only_the_missing_cells(tmp_path):
    """SIGKILL on the driver (`python -m verify study` on a pool of one process) once a cell is
    stored: no handler runs, its claims and WAL stay behind. The same command computes exactly
    the cells the store lacks (counted), taking over the dead run's claims, and the final store
    equals an uninterrupted run's."""
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "verify", "study", *KILLED, "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store = out / "study.sqlite"
    deadline = time.monotonic() + 240  # a hang bound, not a speed requirement
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if store.exists():
            try:
                if len(_cells(store)) >= 1:
                    break
            except sqlite3.OperationalError:  # the schema not created yet
                continue
    assert proc.poll() is None, f"the study ended before it could be killed: {proc.stderr.read()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    proc.stderr.close()
    before = _cells(store)
    assert 1 <= len(before) < 4
    summary = tmp_path / "s.json"
    # the same command (in this process, where sympy and torch are warm: ``--workers 0``,
    # which the keys do not depend on)
    args = ["--workers", "0", "--out", str(out), "--json", str(summary)]
    assert main(["study", *KILLED, *args]) == 0
    data = json.loads(summary.read_text())
    assert (data["cells_reused"], data["cells_computed"]) == (len(before), 4 - len(before))
    whole = tmp_path / "whole"
    assert main(["study", *KILLED, "--workers", "0", "--out", str(whole)]) == 0
    assert _cells(store) == _cells(whole / "study.sqlite")


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


def test_keys_change_with_the_version_of_the_tool(monkeypatch):
    """A result computed by another version of deq-verify is never reused: every group and cell
    key names the installed version, so the same grid and settings under another version share
    no key with this one (and the cells draw other weights)."""
    from importlib import metadata

    groups, cells = groups_and_cells(GRID, BASE)
    real = metadata.version
    monkeypatch.setattr(
        metadata, "version", lambda name: "0.0.1" if name == "deq-verify" else real(name)
    )
    old_groups, old_cells = groups_and_cells(GRID, BASE)
    assert len(old_groups) == len(groups) == 4 and len(old_cells) == len(cells) == 16
    assert not {g.key for g in groups} & {g.key for g in old_groups}
    assert not {c.key for c in cells} & {c.key for c in old_cells}
    assert not {c.weight_seed for c in cells} & {c.weight_seed for c in old_cells}
    assert all(c.group in {g.key for g in old_groups} for c in old_cells)


def test_a_smaller_study_on_a_fuller_store_reads_only_its_own_rows(local, tmp_path):
    """The store of the whole grid, copied, and a study of one of its corners (sin, n = 4,
    width 8): everything is reused, nothing computed, and the summary and the atlas hold that
    corner's two cells and one group only, equal to the stored ones."""
    import shutil

    shutil.copy(local / "study.sqlite", tmp_path / "study.sqlite")
    corner = ["--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "2"]
    corner += ARGS[ARGS.index("--data") :]
    summary = tmp_path / "s.json"
    args = ["study", *corner, "--workers", "0", "--out", str(tmp_path), "--json", str(summary)]
    assert main(args) == 0
    data = json.loads(summary.read_text())
    assert (data["cells_total"], data["cells_computed"], data["cells_reused"]) == (2, 0, 2)
    assert set(data["activations"]) == {"sin"}
    cells = list(csv.DictReader(io.StringIO((tmp_path / "cells.csv").read_text())))
    assert len(cells) == 2 and {(c["activation"], c["n"], c["width"]) for c in cells} == {
        ("sin", "4", "8")
    }
    groups = list(csv.DictReader(io.StringIO((tmp_path / "groups.csv").read_text())))
    assert len(groups) == 1 and groups[0]["activation"] == "sin"
    assert _cells(tmp_path / "study.sqlite") == _cells(local / "study.sqlite")  # nothing added


def test_the_store_returns_the_rows_asked_for(tmp_path):
    """Store.records(table, keys): only those keys (none for an empty set); all without keys."""
    from verify.study.store import Store

    with Store(tmp_path / "study.sqlite") as store:
        for k in ("a", "b", "c"):
            store.put_cell(k, "g", ("sin", "sphere", 4, 8, 0), {"v": k})
        store.put_group("g", "sin", "sphere", 4, {"lambda_star": 0.5})
        assert store.records("cells", {"a", "c", "zz"}) == {"a": {"v": "a"}, "c": {"v": "c"}}
        assert store.records("cells", set()) == {}
        assert set(store.records("cells")) == {"a", "b", "c"}
        assert store.records("groups", {"a"}) == {}
        assert store.records("groups") == {"g": {"lambda_star": 0.5}}


def test_the_summary_says_where_the_cells_ran():
    """One phrase for the study's and the findings' summary lines and the JSON's "ran on"."""
    assert where_run(0) == "this process"
    assert where_run(1) == "1 local process"
    assert where_run(2) == "2 local processes"
    assert where_run(0, "tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"
