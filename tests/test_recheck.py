"""The certificate file and its independent checker: an honest file re-checks PROVED, every kind
of tampering (a ball shrunk, an entry nudged past its radius, a wrong shift, a changed input, a
claim moved) gives NOT PROVED for the claim it touches, and a malformed file is refused in one
line with exit code 2."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from flint import arb

import verify
from verify.certificate_file import array, ball, certificate_document, exact, write_certificate
from verify.cli import ExitCode, main
from verify.recheck import _array, _ball, _num, recheck

ROOT = Path(__file__).resolve().parent.parent


DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def relu_run():
    """relu, n = 6, run now: the closed-form route, Gao's λ_0 and sup|φ'| claims."""
    return verify.check("relu", n=6, train=False, width_sweep=False)


@pytest.fixture(scope="module")
def relu_doc():
    """The stored certificate of that run (``python -m verify activation relu --n 6 --no-train
    --no-width-sweep --certificate tests/data/certificate_relu.json``): a file is a standalone
    claim, so a stored one stays a valid test input whatever the producer does later."""
    return json.loads((DATA / "certificate_relu.json").read_text())


@pytest.fixture(scope="module")
def tanh_doc():
    """tanh, n = 6, stored likewise: the Hermite-series route and three supremum claims."""
    return json.loads((DATA / "certificate_tanh.json").read_text())


def _status(results) -> dict[str, bool]:
    return {r.claim: r.proved for r in results}


def _changed(doc, edit) -> dict[str, bool]:
    """The PROVED flags after ``edit`` (a function of a deep copy of the document)."""
    bad = copy.deepcopy(doc)
    edit(bad)
    return _status(recheck(json.loads(json.dumps(bad))))


def test_a_fresh_certificate_rechecks_proved(relu_run):
    """The producer as it is now against the checker: every claim of a new file re-proved."""
    assert all(_status(recheck(certificate_document(relu_run))).values())


def test_the_honest_files_recheck_proved(relu_doc, tanh_doc):
    from flint import ctx

    before = ctx.prec
    relu, tanh = _status(recheck(relu_doc)), _status(recheck(tanh_doc))
    assert ctx.prec == before  # the file's precision_bits held for the call only
    assert all(relu.values()) and all(tanh.values())
    assert {"sup|φ'|", "q*", "correlations", "λ* ≥ lower end", "Gao λ_0 ≥ lower end"} <= set(relu)
    assert {"sup|φ|", "sup|φ''|", "Hermite coefficients", "λ* ≤ upper end"} <= set(tanh)
    assert relu_doc["claims"]["lambda_star"]["route"] == "dual"
    assert tanh_doc["claims"]["lambda_star"]["route"] == "series"


def _scale_ball(pair, factor):
    b = _ball(pair)
    return [exact(b), (float(b.rad()) * factor).hex()]


def test_a_shrunk_q_star_ball_is_not_proved(relu_doc):
    """Radius 0 about the same midpoint: T(m) ≠ m at 128 bits, so T(I) ⊄ I."""
    lam = relu_doc["claims"]["lambda_star"]
    flags = _changed(
        relu_doc, lambda d: d["claims"]["lambda_star"].update(q_star=_scale_ball(lam["q_star"], 0))
    )
    assert flags["q*"] is False and flags["variance map"] is True


def test_a_shrunk_coefficient_ball_is_not_proved(tanh_doc):
    def edit(d):
        co = d["claims"]["lambda_star"]["coefficients"]
        co[1] = _scale_ball(co[1], 1e-3)

    assert _changed(tanh_doc, edit)["Hermite coefficients"] is False


@pytest.mark.parametrize("which", ["relu", "tanh"])
def test_a_correlation_nudged_past_its_radius_is_not_proved(which, relu_doc, tanh_doc):
    doc = relu_doc if which == "relu" else tanh_doc

    def edit(d):
        c = d["claims"]["lambda_star"]
        rho, rad = _array(c["rho"]), _array(c["rho_radius"])
        rho[0, 1] += 4 * rad[0, 1]  # the ball ρ̃ ± r no longer holds ρ*
        c["rho"] = array(rho, triangle=True)

    assert _changed(doc, edit)["correlations"] is False


def test_a_shrunk_correlation_radius_is_not_proved(relu_doc):
    def edit(d):
        c = d["claims"]["lambda_star"]
        rad = _array(c["rho_radius"])
        rad[2, 4] = rad[4, 2] = rad[2, 4] / 4
        c["rho_radius"] = array(rad, triangle=True)

    assert _changed(relu_doc, edit)["correlations"] is False


def test_a_wrong_shift_is_not_proved(relu_doc):
    """t above λ_min(Ã): fl-Cholesky of Ã - tI breaks down, so no claim downstream stands."""
    up = float.fromhex(relu_doc["claims"]["lambda_star"]["upper"])
    flags = _changed(relu_doc, lambda d: d["claims"]["lambda_star"].update(shift=(1.01 * up).hex()))
    assert flags["λ* Cholesky"] is False and "λ* ≥ lower end" not in flags
    g = float.fromhex(relu_doc["claims"]["gao_lambda0"]["upper"])
    flags = _changed(relu_doc, lambda d: d["claims"]["gao_lambda0"].update(shift=(1.01 * g).hex()))
    assert flags["Gao λ_0 Cholesky"] is False


def test_moved_ends_are_not_proved(relu_doc):
    """A lower end raised above, or an upper end lowered below, what the proof gives."""
    lam = relu_doc["claims"]["lambda_star"]
    lo, hi = float.fromhex(lam["lower"]), float.fromhex(lam["upper"])
    flags = _changed(relu_doc, lambda d: d["claims"]["lambda_star"].update(lower=hi.hex()))
    assert flags["λ* ≥ lower end"] is False and flags["λ* ≤ upper end"] is True
    flags = _changed(relu_doc, lambda d: d["claims"]["lambda_star"].update(upper=lo.hex()))
    assert flags["λ* ≤ upper end"] is False and flags["λ* ≥ lower end"] is True


def test_a_changed_input_is_not_proved(relu_doc):
    """One coordinate of one input moved by 1e-6: s_ij changes, the correlations' radii no longer
    cover the moved fixed point (and Gao's entries move)."""

    def edit(d):
        x = _array(d["inputs"]["x"])
        x[0, 0] += 1e-6
        d["inputs"]["x"] = array(x)

    flags = _changed(relu_doc, edit)
    assert flags["correlations"] is False


def test_a_changed_sigma_is_not_proved(relu_doc):
    """q* fails, and a failed link stops the chain: nothing after it is claimed proved."""
    flags = _changed(relu_doc, lambda d: d.update(sigma_w2=(1 / 8).hex()))
    assert flags["q*"] is False
    assert "correlations" not in flags and "λ* ≥ lower end" not in flags


def test_supremum_claims_both_ends(tanh_doc):
    """sup|tanh''| = 4/(3√3): claimed below the true value, or with a lower end above it."""
    true = 4 / (3 * 3**0.5)
    flags = _changed(
        tanh_doc, lambda d: d["claims"]["sup"]["2"].update(hi=(true * (1 - 1e-9)).hex())
    )
    assert flags["sup|φ''|"] is False
    flags = _changed(
        tanh_doc, lambda d: d["claims"]["sup"]["2"].update(lo=(true * (1 + 1e-9)).hex())
    )
    assert flags["sup|φ''|"] is False


def test_another_activation_is_not_proved(relu_doc):
    """The same numbers for leaky relu: sympy refuses the family, or the entries move."""
    flags = _changed(relu_doc, lambda d: d["activation"].update(spec="Max(x, x/2)"))
    assert not all(flags.values())


def test_exact_numbers_round_trip():
    b = arb("0.1", 1e-30) / 3
    assert _ball(ball(b)).contains(b)
    assert _num(exact(arb(2) ** -1000 * 3)) == arb(2) ** -1000 * 3
    assert _num((0.1).hex()) == arb(0.1) and _num("-0x1.8p1") == -3
    m = np.arange(12.0).reshape(4, 3) / 7
    assert np.array_equal(_array(array(m)), m)
    sym = m[:3] @ m[:3].T
    back = _array(array(sym, triangle=True))
    assert np.array_equal(back - np.diag(np.diag(back)), sym - np.diag(np.diag(sym)))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '{"format": "deq-verify certificate", "version": 1}',
        None,  # a valid file with one number not in hex: built below
    ],
)
def test_a_malformed_file_is_refused_in_one_line(text, relu_doc, tmp_path, capsys):
    path = tmp_path / "c.json"
    if text is None:
        bad = copy.deepcopy(relu_doc)
        bad["sigma_w2"] = "0.0625"
        text = json.dumps(bad)
    path.write_text(text)
    assert main(["recheck", str(path)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:") and "Traceback" not in err
    assert main(["recheck", str(tmp_path / "missing.json")]) == ExitCode.USAGE


def test_the_command_line_round_trip_and_no_torch(relu_run, tmp_path):
    """write → recheck exits 0; a hand-edited copy exits 7 (NOT_PROVED, listed in --help); the
    checker never imports torch."""
    path = tmp_path / "c.json"
    write_certificate(relu_run, str(path))
    assert oct(os.stat(path).st_mode & 0o777) != "0o600"  # made as open() would
    edited = json.loads(path.read_text())
    edited["claims"]["lambda_star"]["lower"] = edited["claims"]["lambda_star"]["upper"]
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    code = (
        "import sys; from verify.cli import main; "
        f"a = main(['recheck', {str(path)!r}]); b = main(['recheck', {str(bad)!r}]); "
        "print('CODES', a, b, 'torch' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "CODES 0 7 False" in out.stdout
    assert "NOT PROVED  λ* ≥ lower end" in out.stdout and "PROVED: 11 of 11" in out.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "verify", "recheck", "--help"],
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert "7 NOT_PROVED" in " ".join(helped.split())  # argparse wraps the epilog


def test_the_exit_codes_the_docs_state_are_the_commands():
    """README, docs/certificate.md and the checker's own docstring state recheck's exit codes:
    each must be the value verify.cli.ExitCode and verify.recheck use (one was 4 for 7)."""
    import re

    import verify.recheck as rc

    assert (rc.PROVED, rc.NOT_PROVED, rc.MALFORMED) == (0, ExitCode.NOT_PROVED, ExitCode.USAGE)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(
        r"PROVED per claim: exit (\d+), (\d+) when a claim is not re-proved, (\d+)", readme
    )
    doc = (ROOT / "docs" / "certificate.md").read_text(encoding="utf-8")
    told = re.search(
        r"\*\*(\d+)\*\* every claim.*?\*\*(\d+)\*\* \(`NOT_PROVED`\).*?\*\*(\d+)\*\*", doc, re.S
    )
    own = re.search(r"exit (\d+): all proved, (\d+): some not proved, (\d+): malformed", rc.__doc__)
    for found in (said, told, own):
        assert found and tuple(map(int, found.groups())) == (0, 7, 2), found
