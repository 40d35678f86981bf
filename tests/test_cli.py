import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from symbolic.errors import SolverError
from verify import ExitCode, Settings, main
from verify.checks import run_checks
from verify.render import render_markdown
from verify.report import write_report
from verify.results import CheckResult, Condition, Status
from verify.settings import PrecisionSettings, StudySettings, from_flat

GOLDEN = Path(__file__).parent / "golden"
FAST = ["--no-train", "--no-width-sweep", "--quiet", "--hermite-terms", "8", "--dps", "20"]
QUICK = Settings(
    train=False,
    study=StudySettings(width_sweep=False),
    precision=PrecisionSettings(hermite_terms=8, dps=20),
)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 to accept"


def test_markdown_rendering_golden_synthetic():
    """The renderer on hand-made verdicts: layout, escaping, infinities, error bars, images."""
    v = run_checks(replace(QUICK, activation="relu", spectra=True))  # as a report runs it
    v = replace(
        v,
        conditions=(
            CheckResult(Condition.BOUNDED_PHI, Status.FAIL, float("inf"), None, "sympy", "φ → ∞"),
            CheckResult(Condition.BOUNDED_DPHI, Status.PASS, 1.0, None, "sympy", "sup|φ'| = 1 | x"),
            CheckResult(Condition.WEIGHT_SCALE, Status.INCONCLUSIVE, 0.0625, 0.125, "numeric L"),
            CheckResult(Condition.LAMBDA_STAR_POSITIVE, Status.PASS, 1e-3, 0.0, "eig", "", 2e-14),
        ),
        notes=(),
        timings=(),
    )
    _golden("synthetic.md", render_markdown(v, {"hermite": "relu_hermite.png"}))


@pytest.fixture(scope="module")
def sin_quick():
    """One quick sin run (no training, no sweep, with --spectra), shared: the Verification is
    frozen."""
    return run_checks(replace(QUICK, activation="sin", spectra=True))


def test_markdown_rendering_golden_real_run(sin_quick):
    v = replace(sin_quick, timings=())
    _golden("sin_no_train.md", render_markdown(v))
    # --spectra: λ_min of Σ* and Θ* against numpy's eigvalsh (another LAPACK driver)
    pop = v.population
    theta = pop.theta_star
    assert pop.skipped == () and pop.ntk_min == pytest.approx(np.linalg.eigvalsh(theta)[0], 1e-9)
    assert pop.lambda_min_sigma == pytest.approx(np.linalg.eigvalsh(pop.gram.sigma)[0], 1e-9)


def test_activation_command_exit_codes(capsys):
    assert main(["activation", "sin", *FAST]) == ExitCode.PASS
    assert "verdict: PASS" in capsys.readouterr().out
    # finite Hermite (Truong's hypothesis refuted), not the ReLU: no theorem applies
    assert main(["activation", "x", *FAST]) == ExitCode.NOT_COVERED == 4
    # swish's L has no closed form: certified by branch and bound, it makes weight_scale PASS
    # (a generous step limit: on a loaded machine a 4 s sympy step may run out, INCONCLUSIVE) ...
    assert main(["activation", "swish", *FAST, "--time-limit", "60"]) == ExitCode.PASS
    # ... and without the ball arithmetic, λ* is only estimated: INCONCLUSIVE, exit 3, every
    # ERROR and INCONCLUSIVE condition with its one-line reason under the table (sin: its L is
    # exact, so one reason; swish's numeric-L reason is rendered in test_exports)
    capsys.readouterr()
    assert main(["activation", "sin", *FAST, "--no-certify"]) == ExitCode.INCONCLUSIVE == 3
    out = capsys.readouterr().out.splitlines()
    start = out.index("reasons (each ERROR and INCONCLUSIVE):")
    assert out[start + 1 : out.index("", start)] == [
        "- lambda_star_positive INCONCLUSIVE: λ* > 0 not proved: no certified enclosure: "
        "certification turned off (--no-certify)"
    ]
    assert out[-1] == "verdict: INCONCLUSIVE (truong2023 applies; lambda_star_positive undecided)"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["activation", "tanhh"], "did you mean tanh"),
        (["activation", "__import__('os').getcwd()"], "only plain function names"),
        (["activation", "sin", "--width", "0"], "positive integer"),
        (["activation", "sin", "--sigma-w2", "-1"], "positive"),
        (["activation", "sin", "--sigma-w2", "nan"], "positive"),
        (["activation", "sin", "--data", "/no/such.npy"], "not found"),
        (["activation", "sin", "--device", "tpu"], "device"),
        (["activation", "log(x)"], "not real"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_nan_in_data_file_is_rejected(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("1,2\nnan,1\n")
    assert main(["activation", "sin", "--data", str(tmp_path / "d.csv"), *FAST]) == ExitCode.USAGE
    assert "line 2, column 1 holds 'nan'; expected a finite number" in capsys.readouterr().err
    np.save(tmp_path / "d.npy", np.array([[1.0, 2.0], [np.nan, 1.0]]))
    assert main(["activation", "sin", "--data", str(tmp_path / "d.npy"), *FAST]) == ExitCode.USAGE
    assert "row 1 of d.npy holds NaN" in capsys.readouterr().err


def test_json_on_stdout_is_clean_and_complete(capsys):
    assert main(["activation", "tanh", *FAST, "--json", "-"]) == ExitCode.PASS
    doc = json.loads(capsys.readouterr().out)
    skipped = ["lambda_min_sigma", "certificate", "certificate_gershgorin", "ntk_lambda_min"]
    assert doc["gram"]["skipped"] == skipped  # no --spectra
    assert doc["gram"]["lambda_min_sigma"] is None and doc["settings"]["spectra"] is False
    assert set(doc) >= {
        "activation",
        "settings",
        "hermite",
        "dual",
        "conditions",
        "gram",
        "training",
        "verdict",
    }
    assert doc["settings"]["seed"] == 0 and doc["training"] is None
    names = [c["name"] for c in doc["conditions"]]
    assert names == [
        "bounded_phi",
        "bounded_dphi",
        "bounded_d2phi",
        "infinite_hermite",
        "weight_scale",
        "data_nonparallel",
        "lambda_star_positive",
        "relu_activation",
        "ling_weight_scale",
        "gao_well_posed",
    ]
    assert doc["version"] == 2 and doc["covered_by"] == ["truong2023"]
    assert [t["id"] for t in doc["theorems"]] == ["truong2023", "ling2023", "gao2022"]
    assert set(doc["gram"]) >= {
        "q_star",
        "lambda_star",
        "lambda_min_sigma",
        "certificate",
        "residual",
        "steps",
    }
    assert doc["hermite"]["nonzero_pattern"] == "odd n"


def test_list_command(capsys):
    assert main(["list"]) == ExitCode.PASS
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 20 and out.startswith("sin")


def test_report_command_writes_a_complete_self_contained_report(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(
        [
            "report",
            "sin",
            "relu",
            "--out",
            str(out),
            "--no-width-sweep",
            "--quiet",
            "--hermite-terms",
            "8",
            "--dps",
            "20",
        ]
    )
    assert code == ExitCode.PASS  # relu: not Truong's (φ'' unbounded) but Ling's and Gao's
    assert {"report.md", "report.html", "report.json"} <= {p.name for p in out.iterdir()}
    html = (out / "report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert len(images) == 6  # hermite, dual, gram for each activation
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "<h2>Summary</h2>" in html and "relu: <span class='PASS'>PASS</span>" in html
    doc = json.loads((out / "report.json").read_text())
    assert [d["activation"]["name"] for d in doc] == ["sin", "relu"]
    assert all(d["gram"]["skipped"] == [] and d["gram"]["lambda_min_sigma"] for d in doc)


def test_interrupted_report_leaves_the_old_report_intact(tmp_path, monkeypatch, sin_quick):
    v = sin_quick
    out = write_report([v], tmp_path / "rep", force=False)
    before = (out / "report.md").read_text()
    import verify.report as report

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_html", boom)
    with pytest.raises(KeyboardInterrupt):
        write_report([v], tmp_path / "rep", force=False)
    assert (out / "report.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # no temporary folder left


def test_report_into_an_unwritable_place_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("not a folder")
    argv = ["activation", "sin", *FAST, "--report", str(tmp_path / "file.txt" / "rep")]
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot write the report") and "\n" not in err


def test_ctrl_c_exits_130(monkeypatch, capsys):
    import verify.checks

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.checks, "run_checks", interrupt)
    assert main(["activation", "sin", *FAST]) == ExitCode.INTERRUPTED == 130
    assert "interrupted" in capsys.readouterr().err


def test_a_broken_pipe_ends_quietly():
    """stdout closed by the reader (as ``| head`` does): exit 0, no traceback."""
    argv = [sys.executable, "-m", "verify", "list"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        proc.stdout.close()  # before the child writes: its first write raises BrokenPipeError
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=60)
    assert code == 0 and "Traceback" not in err, err


def test_a_stage_that_fails_is_inconclusive_with_its_reason_and_a_bug_is_not_hidden(monkeypatch):
    import verify.checks.population as checks

    def unconverged(*a, **k):
        raise SolverError("off-diagonal recursion did not converge")

    monkeypatch.setattr(checks, "population_gram_unit", unconverged)
    with_sweep = replace(QUICK, activation="sin", study=StudySettings(width_sweep=True))
    v = run_checks(with_sweep)
    lam = v.condition(Condition.LAMBDA_STAR_POSITIVE)
    assert lam.status is Status.INCONCLUSIVE and "did not converge" in lam.detail
    sweep = v.condition(Condition.WIDTH_SWEEP)  # asked for and impossible: said, not absent
    assert sweep.status is Status.INCONCLUSIVE and "needs G*" in sweep.detail
    assert v.verdict is Status.INCONCLUSIVE

    def overflow(*a, **k):  # Python's arithmetic errors inside a check become words
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(checks, "population_gram_unit", overflow)
    lam = run_checks(replace(QUICK, activation="sin")).condition(Condition.LAMBDA_STAR_POSITIVE)
    assert lam.status is Status.INCONCLUSIVE and "a division by zero" in lam.detail
    assert "ZeroDivisionError" not in lam.detail

    def bug(*a, **k):
        raise KeyError("a bug")

    monkeypatch.setattr(checks, "population_gram_unit", bug)
    with pytest.raises(KeyError):
        run_checks(replace(QUICK, activation="sin"))


def test_python_dash_m_verify_activation_end_to_end():
    """The README's main command, end to end in a subprocess, at small settings."""
    argv = ["activation", "sin", "--n", "8", "--width", "128", "--steps", "80"]
    proc = subprocess.run(
        [sys.executable, "-m", "verify", *argv, "--no-width-sweep", "--json", "-"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "PASS" and doc["settings"]["width"] == 128
    t = doc["training"]
    assert t["rate_measured"] <= t["rate_bound"] and t["well_posed"]
    # lazy regime: the m·Θ* prediction is within O(1/sqrt(m)) of the measured rate
    assert abs(t["rate_measured"] - t["rate_predicted"]) < 1e-2


def test_width_study_trains_with_the_users_settings(monkeypatch, capsys):
    """Every training of the width study gets the user's step size, solver, tolerance, a-scale,
    margin and rate constant (recorded from the calls), and the JSON reports what was used."""
    import verify.checks.finite_width as checks

    calls = []
    real = checks.train_deq

    def spy(act, data, model, solve, schedule, **kw):
        calls.append((model, solve, schedule))
        return real(act, data, model, solve, schedule, **kw)

    monkeypatch.setattr(checks, "train_deq", spy)
    argv = [
        "activation", "sin", "--width-study", "32,64", "--study-seeds", "2", "--steps", "60",
        "--no-train", "--no-width-sweep", "--quiet", "--json", "-", "--hermite-terms", "4",
        "--dps", "15", "--lr", "0.01", "--solver", "anderson", "--a-scale", "2",
        "--init-margin", "0.1", "--rate-constant", "0.25", "--tol", "1e-11",
    ]  # fmt: skip
    main(argv)
    doc = json.loads(capsys.readouterr().out)
    assert [c[0].width for c in calls] == [32, 32, 64, 64]
    for model, solve, schedule in calls:
        assert (model.a_scale, model.init_margin) == (2.0, 0.1)
        assert (solve.method, solve.tol) == ("anderson", 1e-11)
        assert (schedule.lr, schedule.rate_constant, schedule.steps) == (0.01, 0.25, 60)
    study = doc["width_study"]
    assert study["widths"] == [32, 64] and study["lr"] == [0.01, 0.01]
    s = doc["settings"]
    used = (s["solver"], s["a_scale"], s["init_margin"], s["rate_constant"])
    assert used == ("anderson", 2.0, 0.1, 0.25)


def test_width_study_option_reports_the_smallest_width(capsys):
    argv = [
        "activation", "sin", "--width-study", "64,256", "--study-seeds", "2", "--steps", "60",
        "--no-train", "--no-width-sweep", "--quiet", "--json", "-", "--hermite-terms", "4",
        "--dps", "15",
    ]  # fmt: skip
    assert main(argv) == ExitCode.PASS
    doc = json.loads(capsys.readouterr().out)
    study = doc["width_study"]
    # measured: λ_0 ≥ mλ*/2 fails for both seeds at m = 64 and holds at 256 (n = 20, sin)
    assert study["widths"] == [64, 256] and study["passed_fraction"] == [0.0, 1.0]
    assert study["smallest_width"] == 256
    ws = next(c for c in doc["conditions"] if c["name"] == "width_study")
    assert ws["status"] == "PASS" and ws["bound"] == 0.8


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser"))
    and not os.environ.get("DEQ_VERIFY_REQUIRE_BROWSER"),
    reason="needs Debian's chromium (CI installs it and sets DEQ_VERIFY_REQUIRE_BROWSER)",
)
def test_html_report_renders_in_a_real_browser(tmp_path):
    """Chromium loads the page with no console error or uncaught exception, every figure
    decodes, and it paints: the screenshot (kept beside the report, in the test's temp dir) is
    as tall as the window and far larger than an empty page."""
    from scripts.screenshot_report import browser_check, screenshot

    v = run_checks(from_flat({"activation": "sin", "train": True, "steps": 40}, QUICK))
    out = write_report([v], tmp_path / "rep", force=False)
    seen = browser_check(out / "report.html")
    assert seen["errors"] == [] and seen["broken"] == []
    assert seen["images"] == 4  # hermite, dual, gram, training
    png = out / "screenshot.png"
    screenshot(out / "report.html", png, height=1600)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[20:24], "big") == 1600  # IHDR height
    assert len(data) > 60_000


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser"))
    and not os.environ.get("DEQ_VERIFY_REQUIRE_BROWSER"),
    reason="needs Debian's chromium (CI installs it and sets DEQ_VERIFY_REQUIRE_BROWSER)",
)
def test_the_browser_check_sees_a_broken_figure_and_a_script_error(tmp_path):
    """The probe itself: a PNG that does not decode and an uncaught exception are reported."""
    from scripts.screenshot_report import browser_check

    page = tmp_path / "bad.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        "<img alt='broken' src='data:image/png;base64,AAAA'>"
        "<script>notAFunction();</script></body></html>",
        encoding="utf-8",
    )
    seen = browser_check(page)
    assert seen["broken"] == ["broken"] and seen["images"] == 1
    assert any("notAFunction" in e for e in seen["errors"])


def test_width_sweep_runs_with_the_users_model_and_seeds(monkeypatch):
    """The default width sweep gets the run's σ_w², a-scale, margin, solver and seeds."""
    import verify.checks.finite_width as checks

    calls = []
    real = checks.gram_sweep

    def spy(act, data, gram_star, model, solve, **kw):
        calls.append((model, solve, kw["widths"], kw["seeds"]))
        return real(act, data, gram_star, model, solve, **kw)

    monkeypatch.setattr(checks, "gram_sweep", spy)
    s = from_flat(
        {"n": 8, "width": 64, "sigma_w2": 0.05, "a_scale": 3.0, "init_margin": 0.2,
         "solver": "anderson", "sweep_seeds": 2, "seed": 5, "train": False,
         "hermite_terms": 4, "dps": 15}
    )  # fmt: skip
    v = run_checks(s)
    [(model, solve, widths, seeds)] = calls
    assert (model.sigma_w2, model.a_scale, model.init_margin) == (0.05, 3.0, 0.2)
    assert solve.method == "anderson" and widths == [32, 64] and seeds == [5, 6]
    assert v.condition(Condition.WIDTH_SWEEP).status in (Status.PASS, Status.FAIL)
    assert v.sweep.widths == [32, 64]


def test_width_study_without_a_positive_lambda_star_is_inconclusive():
    """The identity at n > d has λ* = 0: a width study has nothing to hold the width against."""
    s = from_flat({"n": 12, "d": 4, "train": False, "width_sweep": False, "width_study": (64,),
                   "hermite_terms": 4, "dps": 15})  # fmt: skip
    v = run_checks(replace(s, activation="x"))
    study = v.condition(Condition.WIDTH_STUDY)
    assert study.status is Status.INCONCLUSIVE and "λ* > 0" in study.detail


def test_report_progress_bar_on_request_and_silent_otherwise(tmp_path, capsys, monkeypatch):
    """stderr is not a terminal under pytest: no bar unless --progress; with it, tqdm's bar with
    entries done/total and an estimate; --quiet wins over --progress. (The runs are real; the
    report's files, written and checked by the other report tests, are left out here.)"""
    import verify.report

    monkeypatch.setattr(verify.report, "write_report", lambda runs, out, force: out)
    args = ["report", "--no-width-sweep", "--hermite-terms", "8", "--dps", "20", "--no-certify"]
    args += ["--n", "6", "--width", "32", "--steps", "20"]
    main([*args, "sin", "--out", str(tmp_path / "a")])
    err = capsys.readouterr().err
    assert "activation/s" not in err and "1/1" not in err
    main([*args, "sin", "cos", "--out", str(tmp_path / "b"), "--progress"])
    err = capsys.readouterr().err
    assert "2/2" in err and re.search(r"\d+/2 \[\d\d:\d\d<\d\d:\d\d", err)  # elapsed<left
    main([*args, "sin", "--out", str(tmp_path / "c"), "--progress", "--quiet"])
    assert "1/1" not in capsys.readouterr().err


def test_a_bug_is_one_line_with_its_own_exit_code(monkeypatch, capsys):
    """An exception that is not the project's own (a bug) reaches the user as one line and exit
    code 70, never as a traceback."""
    import verify.cli as cli

    def broken(args):
        raise KeyError("internal table")

    monkeypatch.setattr(cli, "_cmd_list", broken)
    monkeypatch.delenv("DEQ_VERIFY_DEBUG", raising=False)
    assert cli.main(["list"]) == cli.ExitCode.INTERNAL == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "Traceback" not in err
    assert "KeyError" not in err


def test_only_a_proved_l_makes_a_network_well_posed(sin_quick):
    """The L that checks L‖W‖₂ < 1 (single run and study cells alike): sin's proved 1, and ∞ when
    sup|φ'| is only estimated (its estimate stays on record as the value)."""
    import math

    from symbolic.bounds import SupBound

    facts = sin_quick.symbolic
    assert facts.lipschitz_bound() == 1.0
    estimated = SupBound(1, None, 0.9, None, "estimate", "", 0.9)
    unproved = replace(facts, sups={**facts.sups, 1: estimated}, enclosures={})
    assert unproved.sup_value(1) == 0.9 and unproved.lipschitz_bound() == math.inf
