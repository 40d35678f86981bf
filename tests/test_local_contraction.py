"""Activations with unbounded φ' (x², eˣ, x·|x|) through the local contraction, the growth
envelopes of the tails, the closed-form duals in ball arithmetic, and the proof that a variance
diverges; checked against closed forms (theory §2, §4)."""

import math

import mpmath
import pytest
import sympy as sp
import torch
from flint import arb

import verify
from numeric.quadrature import hermite_float, second_moment
from symbolic import REGISTRY, resolve
from symbolic.balls import prec_scope
from symbolic.dual_balls import kappa_ball
from symbolic.formula import X
from symbolic.growth import envelope
from symbolic.hermite_balls import tails
from symbolic.variance_map import divergence, invariant_interval
from verify.results import Status


@pytest.fixture(autouse=True)
def _prec():
    with prec_scope(128):
        yield


@pytest.mark.parametrize(
    "formula",
    [
        "relu",
        "square",
        "exp",
        "softplus",
        "gelu",
        "swish",
        "sigmoid",
        "x**3 - x",
        "x*Abs(x)",
        "exp(2*x)",
        "atan",
        "softsign",
    ],
)
def test_growth_envelopes_hold_far_out(formula):
    """|f(x)| ≤ A·e^{β|x|} on |x| ≥ X for φ and φ': checked at x = ±X·2^k, k ≤ 9, at 30 digits
    (a wrong constant or rate shows far out, where the envelope is tightest relative to f)."""
    act = REGISTRY.get(formula) or resolve(formula)
    for pieces in (act.pieces, act.derivative_expr(1)):
        env = envelope(pieces)
        a, beta, start = (mpmath.mpf(float(v.upper())) for v in (env.a, env.beta, env.start))
        for side, piece in ((1, pieces[-1]), (-1, pieces[0])):
            f = sp.lambdify(X, piece.expr, "mpmath")
            with mpmath.workdps(30):
                for k in range(10):
                    x = side * start * 2**k
                    assert abs(f(x)) <= a * mpmath.exp(beta * abs(x)) * (1 + mpmath.mpf(10) ** -20)


def test_a_growth_faster_than_exponential_has_no_envelope():
    from symbolic.errors import VerifyError

    with pytest.raises(VerifyError, match="no growth envelope"):
        envelope(resolve("exp(x**2/8)").pieces)


@pytest.mark.parametrize(
    "formula",
    [
        "relu",
        "leaky_relu",
        "erf",
        "sin",
        "cos",
        "exp",
        "abs",
        "gaussian",
        "3*sin(2*x)",
        "Max(x, x/5)",
        "2*exp(1 - x**2/3)",
        "-2*erf(x/2)",
    ],
)
def test_every_matched_dual_in_balls_against_the_mehler_series(formula):
    """κ_q(ρ) as an Arb ball of the closed form against Σ_n μ_n(q)²ρ^n (float64 quadrature, 200
    terms, ρ = ±0.5: tail ≤ 2^-200) within 1e-11, and at ρ = 1 against E[φ(√q Z)²]."""
    act = REGISTRY.get(formula) or resolve(formula)
    kappa = kappa_ball(act)
    assert kappa is not None
    q = 0.7
    mu = torch.tensor(hermite_float(act, 200, q).values, dtype=torch.float64)
    for rho in (0.5, -0.5):
        series = float((mu**2 * torch.tensor(rho, dtype=torch.float64) ** torch.arange(200)).sum())
        ball = kappa(arb(q), arb(rho))
        assert float(ball.rad()) < 1e-30
        assert abs(float(ball.mid()) - series) <= 1e-11 * max(1.0, abs(series))
    assert float(kappa(arb(q), arb(1)).mid()) == pytest.approx(second_moment(act, q)[0], rel=1e-12)


def test_no_ball_dual_without_a_closed_form():
    assert kappa_ball(REGISTRY["tanh"]) is None and kappa_ball(REGISTRY["square"]) is None


def test_the_square_at_the_spec_example():
    """x², σ_w² = 1/16, d = 4: T(q) = 3q²/8 + 1/2, q* = 2/3 (and 2, outside any contraction:
    T'(q) = 3q/4 ≥ 1 from 4/3 on). The proved interval holds 2/3, reaches no further than
    4/3, starts at 2/d, and its slope bound is at least the true sup 3b/4 on K."""
    act = REGISTRY["square"]
    inv = invariant_interval(act, 1 / 16, 4, 2 / 3, tails(act))
    assert inv.lo == arb(1) / 2 and inv.start <= arb(2) / 3 <= inv.hi and inv.hi < arb(4) / 3
    assert inv.slope >= 3 * inv.hi.lower() / 4 and inv.slope < 1
    # T(q) > q on [1/2, start): below the fixed point 2/3 indeed
    assert inv.start < arb(2) / 3 and inv.image >= 3 * inv.hi.lower() ** 2 / 8 + arb(1) / 2


def test_verdicts_for_unbounded_derivatives():
    """x² (n = 40, d = 4) and eˣ at σ_w² = 0.01: λ* > 0 PASS on a certified enclosure that holds
    the float value; neither has a bounded φ'."""
    for name, kw in (("x**2", {"n": 40, "d": 4}), ("exp", {"n": 10, "d": 10})):
        s2 = 1 / 16 if name == "x**2" else 0.01
        v = verify.check(name, sigma_w2=s2, train=False, width_sweep=False, force=True, **kw)
        lam = v.condition(verify.Condition.LAMBDA_STAR_POSITIVE)
        assert lam.status is Status.PASS and lam.enclosure[0] > 0
        assert lam.enclosure[0] <= lam.value <= lam.enclosure[1]
        assert v.condition(verify.Condition.BOUNDED_DPHI).status is Status.FAIL


@pytest.mark.parametrize(
    ("formula", "sigma_w2", "d", "diverges"),
    [
        ("exp", 1 / 16, 10, True),  # 0.125e^{2q} + 0.2 > q everywhere (min 0.007 at q = ln2/2)
        ("x**3", 0.02, 4, True),  # 0.6q³ + 0.5 > q (min 0.003 at q = 0.745)
        ("square", 0.5, 4, True),  # 3q² + 0.5 > q
        ("relu", 1.1, 10, True),  # 1.1q + 0.2 > q
        ("relu", 1.0, 10, False),  # q + 0.2 > q, but the linear lower growth is not enough
        ("x**3", 0.01, 4, False),  # a fixed point at q ≈ 0.55
        ("tanh", 1 / 16, 10, False),
        ("exp", 0.01, 10, False),
    ],
)
def test_the_divergence_proof(formula, sigma_w2, d, diverges):
    """Proved exactly where T(q) > q for every q ≥ 2/d (the cases above by hand), never where T
    has a fixed point."""
    act = REGISTRY.get(formula) or resolve(formula)
    proof = divergence(act, sigma_w2, d, tails(act))
    assert (proof is not None) is diverges
    if proof is not None:
        assert "q⁽ˡ⁾ → ∞" in str(proof) and "no G*" in str(proof)


def test_a_diverging_variance_is_a_failed_lambda_star_not_an_error():
    v = verify.check("exp", n=6, train=False, force=True)
    lam = v.condition(verify.Condition.LAMBDA_STAR_POSITIVE)
    assert lam.status is Status.FAIL and "diverges (proved)" in lam.detail
    sweep = v.condition(verify.Condition.WIDTH_SWEEP)
    assert sweep.status is Status.INCONCLUSIVE and "does not exist" in sweep.detail
    assert math.isclose(v.sigma_w2, 1 / 16)


@pytest.mark.parametrize("beta", ["0", "1/2", "1"])
@pytest.mark.parametrize("big_r", [2, 3])
def test_the_gaussian_tail_bounds_against_quadrature(beta, big_r):
    """The three tail bounds for an envelope A·e^{β|x|} (A = 1.5, q = 0.7), against mpmath's
    quadrature of the same integrals: the first two are exact identities (completing the square),
    the third rests on |z² - 1| ≤ 2e^{z²/4} (at most ~7× here)."""
    from symbolic.growth import Envelope
    from symbolic.hermite_balls import _tail_first, _tail_slope, _tail_square

    num, _, den = beta.partition("/")
    env = Envelope(arb("1.5"), arb(num) / int(den or 1), arb(1), "test")
    q, r = arb("0.7"), arb(big_r)
    with mpmath.workdps(30):
        b, sq = mpmath.mpf(num) / int(den or 1), mpmath.sqrt(mpmath.mpf("0.7"))
        norm = 1 / mpmath.sqrt(2 * mpmath.pi)

        def tail(f):
            return 2 * mpmath.quad(f, [big_r, big_r + 10, mpmath.inf]) * norm

        first = tail(lambda z: 1.5 * mpmath.exp(b * sq * z - z * z / 4))
        square = tail(lambda z: 1.5**2 * mpmath.exp(2 * b * sq * z - z * z / 2))
        slope = tail(lambda z: 1.5**2 * mpmath.exp(2 * b * sq * z - z * z / 2) * abs(z * z - 1))
        for bound, exact, factor in (
            (_tail_first(env, q, r), first, 1 + 1e-15),
            (_tail_square(env, q, r), square, 1 + 1e-15),
            (_tail_slope(env, q, r), slope, 8),
        ):
            man, exp = bound.upper().mid().man_exp()
            value = mpmath.mpf(int(man)) * mpmath.mpf(2) ** int(exp)
            assert exact * (1 - mpmath.mpf(10) ** -20) <= value <= exact * factor


def test_a_jump_has_no_derivative_envelope_and_no_slope():
    from symbolic.errors import VerifyError
    from symbolic.hermite_balls import slope_moment

    t = tails(REGISTRY["step"])
    assert t.dphi is None and t.jump == "x = 0"
    with pytest.raises(VerifyError, match="jumps at x = 0"):
        slope_moment(REGISTRY["step"], arb("0.5"), t)
    relu = tails(REGISTRY["relu"])
    assert relu.jump is None and relu.dphi is not None
    assert slope_moment(REGISTRY["relu"], arb("0.5"), relu).overlaps(arb("0.5", 1e-30))  # E[1{Z>0}]
