"""A user's files are never lost: report folders keep what was there, and settings outside the
theory are refused before any work (issue 13)."""

import json
import time
from dataclasses import replace

import pytest

import verify.checks
import verify.render  # noqa: F401
import verify.report as report
from symbolic.bounds import SupBound
from verify import ExitCode, Settings, main
from verify.checks import run_checks
from verify.refusals import outside_theory
from verify.report import write_report
from verify.report_folder import MANIFEST
from verify.settings import PrecisionSettings, StudySettings

FAST = ["--no-train", "--no-width-sweep", "--quiet", "--hermite-terms", "8", "--dps", "20"]
QUICK = Settings(
    train=False,
    study=StudySettings(width_sweep=False),
    precision=PrecisionSettings(hermite_terms=8, dps=20),
)


def _snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def runs():
    return {a: run_checks(replace(QUICK, activation=a)) for a in ("sin", "tanh")}


def test_a_report_keeps_the_users_files_and_a_rerun_replaces_only_its_own(tmp_path, runs):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    (out / "figure.png").write_bytes(b"\x89PNG user figure")
    (out / "sub").mkdir()
    (out / "sub" / "keep.txt").write_text("nested")
    users = _snapshot(out)
    write_report([runs["sin"]], out, force=False)
    first = _snapshot(out)
    assert {k: first[k] for k in users} == users  # byte-identical
    assert (out / "sub" / "keep.txt").read_text() == "nested"
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert "report.html" in listed and "sin_hermite.png" in listed and "notes.txt" not in listed
    write_report([runs["tanh"]], out, force=False)  # a re-run: tanh's figures, not sin's
    second = _snapshot(out)
    assert {k: second[k] for k in users} == users
    assert "tanh_hermite.png" in second and "sin_hermite.png" not in second  # stale: removed
    assert second["report.md"] != first["report.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # no temporary folder left


def test_an_interrupted_report_leaves_the_folder_as_it_was(tmp_path, runs, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    write_report([runs["sin"]], out, force=False)
    before = _snapshot(out)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_report([runs["tanh"]], out, force=False)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_a_users_file_of_the_same_name_is_refused_unless_force(tmp_path, capsys):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.md").write_text("my own report")
    (out / "notes.txt").write_text("my notes")
    start = time.perf_counter()
    assert main(["activation", "sin", *FAST, "--report", str(out)]) == ExitCode.USAGE
    assert time.perf_counter() - start < 1  # refused before any work (which takes seconds)
    err = capsys.readouterr().err
    assert "report.md, not written by deq-verify" in err and "--force" in err
    assert (out / "report.md").read_text() == "my own report"
    assert main(["activation", "sin", *FAST, "--report", str(out), "--force"]) == ExitCode.PASS
    assert (out / "report.md").read_text().startswith("## sin")
    assert (out / "notes.txt").read_text() == "my notes"


def test_sigma_w2_outside_the_theory_is_refused_at_once_with_the_bound(capsys):
    start = time.perf_counter()
    code = main(["activation", "tanh", "--sigma-w2", "0.5"])  # training on: it must not start
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err.strip().splitlines()
    assert code == ExitCode.USAGE and len(err) == 1
    assert "1/(8L²) = 0.125" in err[0] and "--sigma-w2 below 0.125" in err[0]
    # only sympy's sup of φ' runs before the refusal (≈0.6 s here); training would take minutes
    assert elapsed < 2


def test_force_runs_outside_the_theory_and_says_so(capsys):
    code = main(["activation", "tanh", "--sigma-w2", "0.5", "--force", *FAST, "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.NOT_COVERED and doc["outcome"] == "NOT COVERED"
    assert doc["notes"][0].startswith("OUTSIDE THE HYPOTHESES (--force)")
    weight = next(c for c in doc["conditions"] if c["name"] == "weight_scale")
    assert weight["status"] == "FAIL"
    truong = next(t for t in doc["theorems"] if t["id"] == "truong2023")
    assert truong["applies"] == "DOES NOT APPLY" and truong["failed_hypotheses"] == ["weight_scale"]


def _lip(exact, value: float, bounded=True) -> SupBound:
    return SupBound(1, bounded, value, exact, "test", "", value)


def test_the_refusal_rule_at_its_boundaries():
    import sympy as sp

    one = _lip(sp.Integer(1), 1.0)
    assert outside_theory(0.125, one) is not None  # σ_w² = 1/(8L²): strict inequality fails
    assert outside_theory(0.12499999, one) is None
    root = _lip(sp.sqrt(2), 2**0.5)  # 1/(8·2) = 1/16 exactly
    assert outside_theory(1 / 16, root) is not None and outside_theory(0.0624, root) is None
    # L known only numerically: the grid value is a lower bound, refuted only above it
    numeric = _lip(None, 1.1)
    assert outside_theory(1 / (8 * 1.1**2) * 1.001, numeric) is not None
    assert outside_theory(1 / (8 * 1.1**2) * 0.999, numeric) is None
    # a grid that overflowed (∞) is no lower bound on a proved-finite L
    assert outside_theory(0.5, _lip(None, float("inf"))) is None
    # L infinite or unproved: nothing is refuted up front (the hypothesis fails on its own)
    assert outside_theory(0.5, _lip(None, float("inf"), bounded=False)) is None
    assert outside_theory(0.5, _lip(None, 1.0, bounded=None)) is None
    assert outside_theory(0.5, None) is None


def test_exp_is_not_refused_up_front():
    """L = ∞: nothing is refuted up front (the hypothesis fails on its own in the run)."""
    from symbolic.activations import resolve
    from verify.refusals import OutsideTheory, precheck

    s = replace(QUICK, activation="exp", model=replace(QUICK.model, sigma_w2=0.5))
    precheck(resolve("exp"), s)  # does not raise
    with pytest.raises(OutsideTheory, match="outside the theory"):
        precheck(resolve("tanh"), replace(s, activation="tanh"))


def test_the_refusal_needs_no_torch_and_answers_at_once_from_a_fresh_process():
    import subprocess
    import sys

    code = (
        "import sys; from verify.cli import main; "
        "rc = main(['activation', 'tanh', '--sigma-w2', '0.5']); "
        "sys.exit(100 + rc if 'torch' in sys.modules else rc)"
    )
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    elapsed = time.monotonic() - start
    assert proc.returncode == ExitCode.USAGE, proc.stderr  # 100 + 2 if torch was imported
    assert "1/(8L²) = 0.125" in proc.stderr and proc.stderr.count("\n") == 1
    # measured 1.4 s (interpreter, sympy, sympy's sup of φ'); 5 s still catches a run that
    # loads torch and starts the checks (training alone takes minutes at σ_w² = 0.5)
    assert elapsed < 5
