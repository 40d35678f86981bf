"""A user's files are never lost: report folders keep what was there, whatever their manifest
says (issue 28: hostile manifests), and settings outside the theory are refused before any work
(issue 13)."""

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import verify.checks
import verify.render
import verify.report as report
from symbolic.bounds import SupBound
from symbolic.errors import VerifyError
from verify import ExitCode, Settings, main
from verify.checks import run_checks
from verify.refusals import outside_theory
from verify.report import write_report
from verify.report_folder import MANIFEST, MANIFEST_FORMAT, UnsafeFolder, write_into
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


@pytest.fixture(scope="module", autouse=True)
def _each_runs_figures_drawn_once():
    """The reports of this module are about files, and their figures are the same for a run each
    time: each run's are drawn (for real, by matplotlib) by the first report that needs them and
    reused by the next (drawing was most of a report's time: 12 write_report calls here)."""
    drawn = {}
    real = report.make_plots

    def once(v, style=None):
        key = (id(v), repr(style))
        if key not in drawn:
            drawn[key] = (v, real(v, style))  # v kept alive: its id stays its own
        return drawn[key][1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "make_plots", once)
        yield


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


def _no_work(monkeypatch):
    """Make any start of the checks fail the test: a refusal must come before them."""

    def started(*args, **kwargs):
        raise AssertionError("the checks started before the refusal")

    monkeypatch.setattr(verify.checks, "run_checks", started)


def test_a_users_file_of_the_same_name_is_refused_unless_force(tmp_path, capsys, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.md").write_text("my own report")
    (out / "notes.txt").write_text("my notes")
    with monkeypatch.context() as m:
        _no_work(m)  # refused before any work
        assert main(["activation", "sin", *FAST, "--report", str(out)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "report.md, not written by deq-verify" in err and "--force" in err
    assert (out / "report.md").read_text() == "my own report"
    assert main(["activation", "sin", *FAST, "--report", str(out), "--force"]) == ExitCode.PASS
    assert (out / "report.md").read_text().startswith("## sin")
    doc = json.loads((out / "report.json").read_text())  # a report computes every spectrum
    assert doc["gram"]["skipped"] == [] and doc["settings"]["spectra"] is True
    assert (out / "notes.txt").read_text() == "my notes"


def test_sigma_w2_outside_the_theory_is_refused_at_once_with_the_bound(capsys, monkeypatch):
    _no_work(monkeypatch)  # only sympy's sup of φ' may run before the refusal
    code = main(["activation", "tanh", "--sigma-w2", "0.5"])  # training on: it must not start
    err = capsys.readouterr().err.strip().splitlines()
    assert code == ExitCode.USAGE and len(err) == 1
    assert "1/(8L²) = 0.125" in err[0] and "--sigma-w2 below 0.125" in err[0]


def test_force_runs_outside_the_theory_and_says_so(capsys):
    code = main(["activation", "tanh", "--sigma-w2", "0.5", "--force", *FAST, "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.NOT_COVERED and doc["outcome"] == "NOT COVERED"
    assert doc["notes"][0].startswith("OUTSIDE THE HYPOTHESES (--force)")
    weight = next(c for c in doc["conditions"] if c["name"] == "weight_scale")
    assert weight["status"] == "FAIL"
    truong = next(t for t in doc["theorems"] if t["id"] == "truong2023")
    assert truong["applies"] == "DOES NOT APPLY" and truong["failed_hypotheses"] == ["weight_scale"]


def _lip(exact, value: float, bounded=True, witness=0.0) -> SupBound:
    return SupBound(1, bounded, value, exact, "test", "", value, witness)


def test_the_refusal_rule_at_its_boundaries():
    import sympy as sp

    one = _lip(sp.Integer(1), 1.0)
    assert outside_theory(0.125, one) is not None  # σ_w² = 1/(8L²): strict inequality fails
    assert outside_theory(0.12499999, one) is None
    root = _lip(sp.sqrt(2), 2**0.5)  # 1/(8·2) = 1/16 exactly
    assert outside_theory(1 / 16, root) is not None and outside_theory(0.0624, root) is None
    # L not proved exactly: refuted only above a proved lower bound (the witness, a ball
    # evaluation at the grid's maximiser), never on the float grid value alone
    numeric = _lip(None, 1.1, witness=1.1)
    assert outside_theory(1 / (8 * 1.1**2) * 1.001, numeric) is not None
    assert outside_theory(1 / (8 * 1.1**2) * 0.999, numeric) is None
    assert outside_theory(1 / (8 * 1.1**2) * 1.001, _lip(None, 1.1)) is None
    # a witness bounds the threshold from above only: the message says so and promises nothing
    # about smaller σ_w² (those may still be outside, with L above the witness)
    why = outside_theory(0.13, _lip(None, 1.5, witness=1.0))
    assert "1/(8L²) ≤ 0.125 is needed, as L ≥ 1 " in why and "is inside" not in why
    # with L exact, the threshold printed is rounded in the direction of each statement
    third = _lip(sp.Integer(3), 3.0)  # 1/72 = 0.013888…
    why = outside_theory(0.02, third)
    assert "1/(8L²) = 0.0138889 is needed" in why and "below 0.0138888 is inside" in why
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


def test_the_refusal_needs_no_torch_from_a_fresh_process():
    """Nothing heavier than sympy is imported before the refusal (so it answers in about a
    second: benchmarks/bench_refusals.py times it); the timeout only bounds a hang."""
    code = (
        "import sys; from verify.cli import main; "
        "rc = main(['activation', 'tanh', '--sigma-w2', '0.5']); "
        "sys.exit(100 + rc if 'torch' in sys.modules else rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == ExitCode.USAGE, proc.stderr  # 100 + 2 if torch was imported
    assert "1/(8L²) = 0.125" in proc.stderr and proc.stderr.count("\n") == 1


# --- hostile manifests (issue 28) -----------------------------------------------------------


def _tree(root: Path) -> dict[str, object]:
    """Every entry under ``root``: a file's bytes, a link's target, a folder's mark."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            key = str(p.relative_to(root))
            if p.is_symlink():
                out[key] = ("link", os.readlink(p))
            elif p.is_dir():
                out[key] = "dir"
            else:
                out[key] = p.read_bytes()
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(folder: Path, files: dict[str, bytes | str]) -> None:
    """A manifest in this version's format naming ``files`` (bytes: their hash; str: as is)."""
    doc = {
        "format": MANIFEST_FORMAT,
        "files": {n: [_sha(v) if isinstance(v, bytes) else v] for n, v in files.items()},
    }
    (folder / MANIFEST).write_text(json.dumps(doc))


THESIS = b"\\documentclass{article} my thesis"


def _user_folder(tmp_path: Path) -> Path:
    """tmp/rep with the user's thesis.tex and a folder, and tmp/outside.txt beside it."""
    out = tmp_path / "rep"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.tex").write_bytes(THESIS)
    (out / "sub" / "keep.txt").write_bytes(THESIS)
    (tmp_path / "outside.txt").write_bytes(THESIS)
    return out


def _old_list(out: Path) -> None:  # the issue's case: the names alone, as version 1 wrote them
    (out / MANIFEST).write_text(json.dumps({"files": ["thesis.tex", "report.md"]}))


def _other_format(out: Path) -> None:  # right shape and hash, but not this format's mark
    doc = {"format": "deq-verify files 1", "files": {"thesis.tex": [_sha(THESIS)]}}
    (out / MANIFEST).write_text(json.dumps(doc))


def _dotdot(out: Path) -> None:  # the hash is right: only the name can refuse it
    _manifest(out, {"../outside.txt": THESIS})


def _absolute(out: Path) -> None:
    _manifest(out, {str(out.parent / "outside.txt"): THESIS})


def _nested(out: Path) -> None:
    _manifest(out, {"sub/keep.txt": THESIS})


def _link_out(out: Path) -> None:
    (out / "link.txt").symlink_to(out.parent / "outside.txt")
    _manifest(out, {"link.txt": THESIS})


def _link_in(out: Path) -> None:
    (out / "inner.tex").symlink_to("thesis.tex")
    _manifest(out, {"inner.tex": THESIS})


def _folder(out: Path) -> None:
    _manifest(out, {"sub": THESIS})


def _not_json(out: Path) -> None:
    (out / MANIFEST).write_bytes(b"\x00\xff not json {")


def _bad_hash(out: Path) -> None:
    _manifest(out, {"thesis.tex": "not-a-hash"})


def _itself(out: Path) -> None:
    _manifest(out, {MANIFEST: THESIS})


def _manifest_is_a_link(out: Path) -> None:
    outside = out.parent / "m.json"
    outside.write_text(json.dumps({"format": MANIFEST_FORMAT, "files": {}}))
    (out / MANIFEST).symlink_to(outside)


def _link_where_the_report_goes(out: Path) -> None:
    (out / "report.md").symlink_to(out.parent / "outside.txt")


HOSTILE = {
    "names only (no hashes)": _old_list,
    "another format": _other_format,
    "..": _dotdot,
    "absolute path": _absolute,
    "a name with /": _nested,
    "symlink pointing out": _link_out,
    "symlink inside": _link_in,
    "a folder": _folder,
    "not JSON": _not_json,
    "no valid hash": _bad_hash,
    "the manifest itself": _itself,
    "the manifest a symlink": _manifest_is_a_link,
    "a symlink where report.md goes": _link_where_the_report_goes,
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("force", [False, True], ids=["", "force"])
def test_a_hostile_folder_is_refused_in_one_line_and_nothing_is_touched(
    case, force, tmp_path, capsys, monkeypatch
):
    """Exit code 6, one line, before any work; every file and link in and beside the folder as
    it was (byte for byte), and no temporary folder left. --force changes nothing here."""
    out = _user_folder(tmp_path)
    HOSTILE[case](out)
    before = _tree(tmp_path)
    _no_work(monkeypatch)
    argv = ["activation", "sin", *FAST, "--report", str(out), *(["--force"] if force else [])]
    assert main(argv) == ExitCode.UNSAFE_FOLDER
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("case", ["..", "symlink pointing out", "a folder", "not JSON"])
def test_a_hostile_manifest_is_refused_at_write_time_too(case, tmp_path, runs):
    """The same refusal from the library (write_report), checked again under the folder's lock
    after the report is rendered: nothing moved in, nothing removed, no temporary folder."""
    out = _user_folder(tmp_path)
    HOSTILE[case](out)
    before = _tree(tmp_path)
    with pytest.raises(UnsafeFolder):
        write_report([runs["sin"]], out, force=True)
    assert _tree(tmp_path) == before


def test_a_file_listed_with_another_hash_is_the_users_and_is_kept(tmp_path, runs):
    """thesis.tex listed with a hash that is not its content's: the user's file, never removed
    (it is not a file this report writes, so the run goes on), and dropped from the new
    manifest."""
    out = _user_folder(tmp_path)
    _manifest(out, {"thesis.tex": b"what the tool once wrote"})
    write_report([runs["sin"]], out, force=False)
    assert (out / "thesis.tex").read_bytes() == THESIS
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert "thesis.tex" not in listed and "report.md" in listed


def test_a_users_edit_of_a_report_figure_is_never_overwritten_nor_removed(tmp_path, runs):
    """The user redraws sin_hermite.png after a report: its hash no longer matches, so a re-run
    for sin refuses to replace it (unless --force), and a re-run for tanh (which no longer
    writes it) keeps it, while the figures the tool wrote and still match are removed."""
    out = tmp_path / "rep"
    write_report([runs["sin"]], out, force=False)
    mine = b"\x89PNG my own redrawn figure"
    (out / "sin_hermite.png").write_bytes(mine)
    with pytest.raises(VerifyError, match=r"sin_hermite\.png, not written by deq-verify"):
        write_report([runs["sin"]], out, force=False)
    assert (out / "sin_hermite.png").read_bytes() == mine
    write_report([runs["tanh"]], out, force=False)
    assert (out / "sin_hermite.png").read_bytes() == mine  # the user's now: kept
    assert not (out / "sin_dual.png").exists()  # the tool's, unchanged: removed as stale
    assert (out / "tanh_hermite.png").exists()
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert "sin_hermite.png" not in listed and "sin_dual.png" not in listed
    for name, (digest,) in listed.items():  # the manifest records what is there
        assert _sha((out / name).read_bytes()) == digest


def test_the_issue_case_thesis_tex_survives_from_the_command_line(tmp_path, capsys):
    """The reported data loss, end to end in a fresh process: a manifest listing thesis.tex;
    `activation sin --no-train --report DIR` used to delete it and exit 0."""
    out = _user_folder(tmp_path)
    _old_list(out)
    argv = [sys.executable, "-m", "verify", "activation", "sin", *FAST, "--report", str(out)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == ExitCode.UNSAFE_FOLDER, proc.stderr
    assert (out / "thesis.tex").read_bytes() == THESIS
    assert "not a manifest of this version" in proc.stderr and proc.stderr.count("\n") == 1


def test_an_interrupted_move_leaves_every_tool_file_recognisable(tmp_path, runs, monkeypatch):
    """Interrupted after some files moved in: the manifest written first lists the old and the
    new hash of each name, so the next run replaces the tool's files without --force."""
    import verify.report_folder as folder

    out = tmp_path / "rep"
    write_report([runs["sin"]], out, force=False)
    real_replace, moved = os.replace, []

    def replace_then_stop(src, dst, **kw):
        if len(moved) == 3:
            raise KeyboardInterrupt
        moved.append(src)
        real_replace(src, dst, **kw)

    monkeypatch.setattr(folder.os, "replace", replace_then_stop)
    with pytest.raises(KeyboardInterrupt):
        write_report([runs["tanh"]], out, force=False)
    monkeypatch.undo()
    write_report([runs["tanh"]], out, force=False)  # no clash: every file is known
    assert (out / "tanh_hermite.png").exists() and not (out / "sin_hermite.png").exists()


def test_a_file_edited_while_the_report_moves_in_is_kept(tmp_path, runs, monkeypatch):
    """sin_dual.png is the tool's when the move starts, and the user rewrites it just then: it
    is checked again before removal, and kept."""
    import verify.report_folder as folder

    out = tmp_path / "rep"
    write_report([runs["sin"]], out, force=False)
    real_replace, calls = os.replace, []

    def replace_and_edit(src, dst, **kw):
        if not calls:  # the first rename: the manifest listing old and new hashes
            (out / "sin_dual.png").write_bytes(b"edited meanwhile")
        calls.append(src)
        real_replace(src, dst, **kw)

    monkeypatch.setattr(folder.os, "replace", replace_and_edit)
    write_report([runs["tanh"]], out, force=False)
    assert (out / "sin_dual.png").read_bytes() == b"edited meanwhile"


def test_a_study_folder_refuses_a_hostile_manifest_before_any_work(tmp_path, capsys):
    out = _user_folder(tmp_path)
    _link_out(out)
    before = _tree(tmp_path)
    argv = ["study", "--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "1"]
    assert main([*argv, "--data", "sphere", "--quiet", "--out", str(out)]) == ExitCode.UNSAFE_FOLDER
    assert capsys.readouterr().err.count("\n") == 1
    assert _tree(tmp_path) == before  # no store created


def _sqlite_of_another_program(p: Path) -> None:
    import sqlite3

    db = sqlite3.connect(p)
    db.execute("CREATE TABLE mine (x)")
    db.commit()
    db.close()


STORES = {
    "symlink to a file outside": lambda p: p.symlink_to(p.parent.parent / "outside.txt"),
    "symlink to nowhere": lambda p: p.symlink_to(p.parent / "nowhere"),
    "another program's database": _sqlite_of_another_program,
    "a text file": lambda p: p.write_bytes(THESIS),
    "an empty file": lambda p: p.write_bytes(b""),
    "a folder": lambda p: p.mkdir(),
    "a symlink for its WAL": lambda p: Path(f"{p}-wal").symlink_to(p.parent / "thesis.tex"),
}


@pytest.mark.parametrize("case", list(STORES))
def test_a_study_store_that_is_not_ours_is_never_written(case, tmp_path, capsys):
    """study.sqlite (or its WAL) as a link, a folder or another program's file: exit 6, one
    line, before any group runs; every file as it was."""
    out = _user_folder(tmp_path)
    STORES[case](out / "study.sqlite")
    before = _tree(tmp_path)
    argv = ["study", "--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "1"]
    argv += ["--data", "sphere", "--quiet", "--workers", "0", "--out", str(out)]
    assert main(argv) == ExitCode.UNSAFE_FOLDER
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "study.sqlite" in err
    assert _tree(tmp_path) == before


def test_a_users_file_in_the_study_folder_is_refused_without_a_force_hint(tmp_path):
    """The atlas never replaces the user's cells.csv (the study has no --force)."""
    out = tmp_path / "s"
    out.mkdir()
    (out / "cells.csv").write_text("mine")

    def atlas(folder: Path) -> None:
        (folder / "cells.csv").write_text("the tool's")

    with pytest.raises(VerifyError, match=r"cells\.csv, not written by deq-verify; move them"):
        write_into(out, None, atlas)
    assert (out / "cells.csv").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
