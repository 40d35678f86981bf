import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symbolic import resolve
from symbolic.result import CheckResult, Status
from verify import ExitCode, Settings, main
from verify.checks import Verification, run_checks
from verify.render import render_markdown
from verify.report import write_report

GOLDEN = Path(__file__).parent / "golden"
FAST = ["--no-train", "--no-width-sweep", "--quiet", "--hermite-terms", "8", "--dps", "20"]


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 to accept"


def test_markdown_rendering_golden_synthetic():
    """The renderer alone, on a hand-built result: layout, escaping, infinities, images."""
    v = Verification(resolve("relu"), Settings(activation="relu", train=False), 0.0625)
    v.conditions = [
        CheckResult("bounded_phi", Status.FAIL, float("inf"), None, "sympy limits", "φ → ∞"),
        CheckResult("bounded_dphi", Status.PASS, 1.0, None, "sympy", "sup|φ'| = 1 | exact"),
        CheckResult("weight_scale", Status.INCONCLUSIVE, 0.0625, 0.125, "numeric L", "detail"),
    ]
    v.pattern = "n = 0, n = 1, even n >= 2"
    _golden("synthetic.md", render_markdown(v, {"hermite": "relu_hermite.png"}))


def test_markdown_rendering_golden_real_run():
    v = run_checks(
        Settings(activation="sin", train=False, width_sweep=False, hermite_terms=8, dps=20)
    )
    v.timings.clear()
    _golden("sin_no_train.md", render_markdown(v))


def test_activation_command_exit_codes(capsys):
    assert main(["activation", "sin", *FAST]) == ExitCode.PASS
    assert "verdict: PASS" in capsys.readouterr().out
    assert main(["activation", "x", *FAST]) == ExitCode.FAIL  # finite Hermite, λ* = 0
    assert main(["activation", "swish", *FAST]) == ExitCode.INCONCLUSIVE  # L only numeric


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
    assert "NaN" in capsys.readouterr().err


def test_json_on_stdout_is_clean_and_complete(capsys):
    assert main(["activation", "tanh", *FAST, "--json", "-"]) == ExitCode.PASS
    doc = json.loads(capsys.readouterr().out)
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
    ]
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
    assert code == ExitCode.FAIL  # relu: φ'' unbounded
    assert {"report.md", "report.html", "report.json"} <= {p.name for p in out.iterdir()}
    html = (out / "report.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([^']+)'", html)
    assert len(images) == 6  # hermite, dual, gram for each activation
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "<h2>Summary</h2>" in html and "relu: <span class='FAIL'>FAIL</span>" in html
    doc = json.loads((out / "report.json").read_text())
    assert [d["activation"]["name"] for d in doc] == ["sin", "relu"]


def test_interrupted_report_leaves_the_old_report_intact(tmp_path, monkeypatch):
    v = run_checks(
        Settings(activation="sin", train=False, width_sweep=False, hermite_terms=4, dps=15)
    )
    out = write_report([v], tmp_path / "rep")
    before = (out / "report.md").read_text()
    import verify.report as report

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_html", boom)
    with pytest.raises(KeyboardInterrupt):
        write_report([v], tmp_path / "rep")
    assert (out / "report.md").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # no temporary folder left


def test_python_dash_m_verify_activation_sin():
    """The README's main command, end to end, in a subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "verify", "activation", "sin", "--json", "-"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "PASS"
    t = doc["training"]
    assert t["rate_measured"] <= t["rate_bound"] and t["well_posed"]
    assert abs(t["rate_measured"] - t["rate_predicted"]) < 5e-3


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="needs Debian's chromium",
)
def test_html_report_renders_in_a_real_browser(tmp_path):
    """Chromium loads the page and paints it: the screenshot is as tall as the window and far
    larger than an empty page (the embedded figures)."""
    from scripts.screenshot_report import screenshot

    v = run_checks(
        Settings(activation="sin", train=False, width_sweep=False, hermite_terms=8, dps=20)
    )
    out = write_report([v], tmp_path / "rep")
    png = tmp_path / "shot.png"
    screenshot(out / "report.html", png, height=1600)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[20:24], "big") == 1600  # IHDR height
    assert len(data) > 60_000


def test_width_study_option_reports_the_smallest_width(capsys):
    argv = [
        "activation",
        "sin",
        "--width-study",
        "64,256",
        "--study-seeds",
        "2",
        "--steps",
        "60",
        "--no-width-sweep",
        "--quiet",
        "--json",
        "-",
        "--hermite-terms",
        "4",
        "--dps",
        "15",
    ]
    assert main(argv) == ExitCode.PASS
    study = json.loads(capsys.readouterr().out)["width_study"]
    assert study["widths"] == [64, 256] and study["passed_fraction"][1] == 1.0
    assert study["smallest_width"] == 256 and study["theory_scale"] > 1e6
