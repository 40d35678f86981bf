import math

import mpmath
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.quadrature import hermite_float, second_moment
from symbolic import REGISTRY, hermite_exact, hermite_mp, resolve
from symbolic.hermite import parity
from tests.known import KNOWN_MU, mu_by_mpmath_quad


def _mp(v) -> sp.Float:
    """An mpmath number at its full precision, as a sympy Float."""
    return sp.Float(mpmath.nstr(v, 45), 45)


@pytest.mark.parametrize("name", list(KNOWN_MU))
def test_float_coefficients_match_known_answers(name):
    got = hermite_float(resolve(name), 6, 1.0)
    # float64 quadrature: error estimate ~1e-14; the known answers are exact.
    assert got.as_floats() == pytest.approx(KNOWN_MU[name], abs=1e-13)


@pytest.mark.parametrize("name", ["sin", "erf", "relu", "leaky_relu", "step", "gelu", "abs", "elu"])
def test_exact_coefficients_agree_with_30_digit_quadrature(name):
    act = resolve(name)
    exact = hermite_exact(act, 6, 1, time_limit=5, total_limit=20)
    assert len(exact) >= 4, "the exact route should produce the first terms"
    mp = hermite_mp(act, len(exact), 1, dps=30)
    for value, numeric in zip(exact, mp.values):
        # 30-digit quadrature whose two rules agree to mp.error (< 1e-30)
        assert abs(sp.N(value, 40) - _mp(numeric)) < 1e-28


@pytest.mark.parametrize("name", ["sin", "exp", "erf", "relu", "step", "gaussian", "sign", "abs"])
def test_closed_form_in_n_matches_quadrature(name):
    act = REGISTRY[name]
    mp = hermite_mp(act, 20, q="0.7", dps=25)
    for n in range(20):
        closed = sp.N(act.hermite_closed_form.mu(n, sp.Rational(7, 10)), 30)
        assert abs(closed - _mp(mp.values[n])) < 1e-23, n


def test_mp_route_matches_naive_mpmath_quad_at_two_precisions():
    act = resolve("tanh")
    for dps in (20, 35):
        fast = hermite_mp(act, 8, 1, dps=dps)
        for n in (1, 3, 7):
            naive = mu_by_mpmath_quad(mpmath.tanh, n, dps=dps)
            with mpmath.workdps(dps):
                assert abs(fast.values[n] - naive) < mpmath.mpf(10) ** (-dps + 3)


def test_mp_route_on_a_formula_with_kinks_matches_the_registry_closed_form():
    act = resolve("Max(0, 2*x) - 1")  # 2 relu(x) - 1
    mp = hermite_mp(act, 10, 1, dps=20)
    relu = REGISTRY["relu"].hermite_closed_form
    for n in range(10):
        want = 2 * relu.mu(n, 1) - (1 if n == 0 else 0)
        assert abs(float(mp.values[n]) - float(want)) < 1e-18


@pytest.mark.parametrize("name", ["sin", "tanh", "relu", "softplus", "step", "exp"])
def test_parseval(name):
    act = resolve(name)
    coeffs = torch.tensor(hermite_float(act, 400, 1.0).values, dtype=torch.float64)
    total, _ = second_moment(act, 1.0)
    tail = total - float(coeffs @ coeffs)
    # smooth φ: tail below float64 error; kinks leave Σ_{n>400} μ_n² ~ n^{-1/2} (step), n^{-3/2}.
    limit = {"relu": 1e-4, "step": 3e-2}.get(name, 1e-12)
    assert -1e-12 <= tail <= limit


@settings(max_examples=15, deadline=None)
@given(q=st.floats(0.05, 2.0), name=st.sampled_from(["sin", "tanh", "erf", "sigmoid", "gelu"]))
def test_parseval_at_any_variance(q, name):
    # erf's μ_{2k+1}² decay like (2q/(1+2q))^{2k}: 400 terms leave < 1e-19 at q = 2.
    act = REGISTRY[name]
    coeffs = torch.tensor(hermite_float(act, 400, q).values, dtype=torch.float64)
    total, _ = second_moment(act, q)
    assert abs(total - float(coeffs @ coeffs)) < 1e-10 * max(1.0, total)


@settings(max_examples=15, deadline=None)
@given(q=st.floats(0.05, 4.0), b=st.floats(0.3, 2.0))
def test_variance_rescaling_identity(q, b):
    """φ(x) = f(b x) has μ_n^φ(q) = μ_n^f(b² q)."""
    f = REGISTRY["tanh"]
    phi = resolve(f"tanh({b!r}*x)")
    lhs = hermite_float(phi, 30, q).values
    rhs = hermite_float(f, 30, b * b * q).values
    assert lhs == pytest.approx(rhs, abs=1e-12)


@settings(max_examples=10, deadline=None)
@given(
    q=st.floats(0.1, 3.0),
    name=st.sampled_from(["sin", "tanh", "erf", "atan", "softsign", "cos", "gaussian", "abs"]),
)
def test_parity(q, name):
    act = REGISTRY[name]
    values = hermite_float(act, 40, q).values
    kind = parity(act)
    skipped = values[0::2] if kind == "odd" else values[1::2]
    assert kind in ("odd", "even")
    assert max(abs(v) for v in skipped) < 1e-13


def test_parity_with_a_constant_or_a_linear_part():
    assert parity(REGISTRY["sigmoid"]) == "odd+const"
    assert parity(REGISTRY["elu"]) == "none"
    # swish = x/2 + (even function): only μ_1 among the odd coefficients survives
    assert parity(REGISTRY["swish"]) == "even+linear"
    values = hermite_float(REGISTRY["swish"], 30, 1.0).values
    assert abs(values[1]) > 0.1 and max(abs(v) for v in values[3::2]) < 1e-13


def test_a_parity_that_fails_only_far_out_is_refuted_by_evaluation(monkeypatch):
    """φ(x) - φ(-x) = 4x on |x| < 37 (so 'even+linear' near 0) but not beyond; sign jumps at
    -500 and 131.5 break oddness and evenness only in the tail. The answer is 'none', found by
    evaluation: sympy's simplify is not called at all (a timed-out simplification would also say
    'none', slowly; that is what this shortcut saves)."""
    from symbolic.formula import X
    from symbolic.hermite import _nonzero_at_a_witness

    act = resolve("-1 - 2*Max(37 - x, 0) - 4*sign((x + 500)**3) - 2*sign((x - 263/2)**3)")
    odd, even_linear = resolve("sin(x)**3*cos(x) + tanh(x)"), resolve("x/3 + cos(x) + Abs(x)")
    with monkeypatch.context() as m:
        m.setattr(sp, "simplify", lambda *a, **k: pytest.fail("simplify was called"))
        assert parity(act) == "none"
        assert _nonzero_at_a_witness(sp.Max(0, X - 1000))  # nonzero beyond the fifth witness
    e = odd.expr + odd.expr.subs(X, -X)
    assert not _nonzero_at_a_witness(e)  # zero at every witness: simplification decides
    assert parity(odd) == "odd" and parity(even_linear) == "even+linear"


def test_out_of_reach_quadrature_is_a_clear_error_that_claims_nothing():
    """exp(x²) at q = 1 is outside L²(N(0, 1)) (symbolic.l2 decides that); the float rule only
    says its integrand is out of float64's reach, and does not claim non-membership."""
    from symbolic import VerifyError
    from symbolic.l2 import square_integrable

    with pytest.raises(VerifyError, match="out of float64's reach") as caught:
        hermite_float(resolve("exp(x**2)"), 5, 1.0)
    assert "proves nothing" in str(caught.value)
    assert square_integrable(resolve("exp(x**2)")).at(1.0) is False


def test_500_float_coefficients_of_tanh_are_accurate():
    act = REGISTRY["tanh"]
    fast = hermite_float(act, 500, 1.0)
    ref = hermite_mp(act, 60, 1, dps=25)
    assert max(abs(fast.values[n] - float(ref.values[n])) for n in range(60)) < 1e-14
    assert math.isfinite(fast.error) and fast.error < 1e-13


@pytest.mark.parametrize("kink", ["0", "1", "1/3"])
def test_kinks_away_from_zero_at_30_digits(kink):
    """A step at x = a: μ_0 = P(Z ≥ a) and μ_n = φ(a) He_{n-1}(a)/sqrt(n!) (n ≥ 1), here from
    mpmath.quad split at the exact a. A kink rounded to float64 (1/3 → 0.333…3148) would move
    μ_0 by φ(1/3)·2e-17 ≈ 7e-18, far above the claimed 1e-30."""
    act = resolve(f"Heaviside(x - {kink})")
    got = hermite_mp(act, 4, 1, dps=30)
    with mpmath.workdps(40):
        a = mpmath.mpf(sp.N(sp.Rational(kink), 45))
        for n in range(4):
            want = mu_by_mpmath_quad(lambda x: 1 if x >= a else 0, n, dps=40, cuts=[a])
            assert abs(got.values[n] - want) < mpmath.mpf(10) ** -29
    assert got.error < 1e-30
