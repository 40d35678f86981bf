"""What a λ* certificate that did not close tells the user (LambdaCertificate.shortfall), word
for word at each branch's boundary: no shift at all; the coefficients' radii at least half of
‖R‖_F (raise --prec); otherwise the float64 entries' error (no setting helps)."""

from __future__ import annotations

from numeric.lambda_certificate import LambdaCertificate


def _cert(lower: float, t: float, frob: float, prec_part: float) -> LambdaCertificate:
    return LambdaCertificate(lower, 1.0, None, t, frob, 0.0, 0.0, 48, 128, prec_part)


def test_a_positive_lower_end_has_no_shortfall():
    assert _cert(1e-9, 1.0, 0.5, 0.0).shortfall == ""


def test_no_shift_is_the_rounding_floor_and_no_setting_helps():
    text = _cert(-1e-3, 0.0, 1e-3, 1e-3).shortfall
    assert text == (
        "no shift t > 0 made fl-Cholesky of Ã - tI provably succeed: λ* is at or below "
        "float64's rounding floor for this n (γ_{n+1}·tr Ã); no setting of this tool raises it"
    )
    assert _cert(-1e-3, -1.0, 1e-3, 1e-3).shortfall == text


def test_radii_at_half_of_the_frobenius_bound_ask_for_more_precision():
    text = _cert(-1e-4, 1e-3, 2e-3, 1e-3).shortfall  # precision part exactly ‖R‖_F / 2
    assert text == (
        "the coefficients' radii (n·Σ rad μ_k² = 1.00e-03) dominate ‖R‖_F = 2.00e-03 > "
        "t = 1.00e-03: raise --prec (now 128)"
    )


def test_radii_below_half_leave_the_float_entries_to_blame():
    text = _cert(-1e-4, 1e-3, 2e-3, 0.999e-3).shortfall
    assert text == (
        "the float64 entries' error ‖R‖_F = 2.00e-03 exceeds the Cholesky bound t = 1.00e-03: "
        "λ* is within float64's entry error at this n; raising --prec does not help"
    )


def test_a_lower_end_of_zero_is_not_positive():
    cert = _cert(0.0, 1e-3, 2e-3, 0.0)
    assert cert.positive is False and cert.shortfall.startswith("the float64 entries' error")
    assert cert.enclosure == [0.0, 1.0]


def test_the_method_names_the_route():
    assert _cert(1e-9, 1.0, 0.5, 0.0).method == (
        "ball arithmetic, 128 bits (Arb): q* on an invariant interval (local contraction), "
        "μ_k(q*) for k < 48 by rigorous integration, Σ* by a posteriori bounds on the float "
        "entries; Rump's Cholesky test on the midpoint matrix; Gershgorin on the Hermite tail"
    )
    dual = LambdaCertificate(1e-9, 1.0, None, 1.0, 0.5, 0.0, 0.0, 48, 128, 0.0, "dual").method
    assert dual == (
        "ball arithmetic, 128 bits (Arb): q* on an invariant interval (local contraction), "
        "each G*_ij from the closed-form dual at ρ*_ij (Banach a posteriori on the float "
        "correlations); Rump's Cholesky test on the midpoint matrix"
    )


def test_the_closed_form_route_has_no_tail_and_no_precision_part():
    """relu's certificate takes the dual route: its tail and precision part are exactly 0."""
    from dataclasses import replace

    from verify.checks import run_checks
    from verify.settings import Settings, from_flat

    s = from_flat({"n": 5, "train": False, "width_sweep": False}, Settings())
    cert = run_checks(replace(s, activation="relu")).population.certified
    assert cert.route == "dual" and cert.tail == 0.0 and cert.precision_part == 0.0
    assert cert.lower > 0


def test_no_contraction_no_certificate():
    """tanh at σ_w² = 2, d = 10: 2σ_w² E[φ'(√q* Z)²] ≤ 1.29 is not below 1, so Banach's factor
    1/(1 - c) does not exist and the certificate refuses, with that number, before it reads any
    entry (q* from its own fixed point, q = 2/d + 2σ_w² E[tanh(√q Z)²], in mpmath)."""
    import mpmath
    import pytest
    import torch

    from numeric.lambda_certificate import certify_lambda_star
    from symbolic.activations import resolve
    from symbolic.errors import VerifyError
    from symbolic.hermite_balls import tails

    def excess(q):
        second = mpmath.quad(
            lambda z: mpmath.tanh(mpmath.sqrt(q) * z) ** 2 * mpmath.npdf(z),
            [-mpmath.inf, 0, mpmath.inf],
        )
        return q - mpmath.mpf(2) / 10 - 4 * second

    with mpmath.workdps(20):
        q = mpmath.findroot(excess, 2.5)
    act = resolve("tanh")
    x = torch.eye(3, 10, dtype=torch.float64)
    with pytest.raises(VerifyError) as err:
        certify_lambda_star(
            act,
            x,
            2.0,
            None,
            float(q),
            0.1,
            tails(act),
            terms=8,
            prec=128,
            q_steps=200,
            dual_max_n=0,
        )
    assert str(err.value) == (
        "the correlation map is not proved a contraction at q*: 2σ_w² E[φ'(√q* Z)²] ≤ 1.29 is "
        "not below 1"
    )


def test_when_no_shift_passes_the_upper_end_is_the_least_eigenvectors_rayleigh_quotient(
    monkeypatch,
):
    """tanh, n = 6 on the sphere, every Rump test made to fail: no lower end (-∞, nothing
    proved), and the upper end still the Rayleigh bound at Ã's least eigenvector: within 1e-9
    of the float λ_min(G*), far below λ_2 (the next eigenvector would give about λ_2)."""
    import torch

    import numeric.lambda_certificate as lc
    from numeric.data import sphere_data
    from symbolic import resolve
    from tests.helpers import certified, eigmin, gram

    act, x = resolve("tanh"), sphere_data(6, 10, 0, 0.1).x
    g = gram(act, x)
    lam = torch.linalg.eigvalsh(g.gram)
    assert float(lam[1]) > 2 * float(lam[0]) > 0
    monkeypatch.setattr(lc, "shifted_cholesky_", lambda m, shift: None)
    cert = certified(act, g, x)
    assert cert.lower == float("-inf") and not cert.positive
    assert eigmin(g.gram) <= cert.upper <= eigmin(g.gram) * (1 + 1e-9) + 1e-15
