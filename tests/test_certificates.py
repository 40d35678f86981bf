"""Ball-arithmetic certificates: each enclosure checked against a value known another way
(closed forms, the float route, a perturbed input), and the proofs' failure modes."""

import math

import mpmath
import pytest
import sympy as sp
import torch
from flint import arb, ctx

from numeric.data import sphere_data
from numeric.positive_definite import cholesky_lower_bound
from numeric.spectrum import Spectrum
from numeric.sup import grid_sup
from symbolic import REGISTRY, resolve
from symbolic.bounds import sup_abs
from symbolic.evaluate import mp_function as mpmath_function
from symbolic.hermite import hermite_mp, parity
from symbolic.hermite_balls import hermite_balls, tails, zero_by_parity
from symbolic.sup_enclosure import SupSearch, sup_enclosure
from symbolic.variance_map import q_star_ball
from tests.helpers import S2, S, certificate, certified, eigmin, gram
from verify.decimals import upper
from verify.results import Status

SEARCH = SupSearch(8.0, 64.0, 1e-12, 20000)


def _enclosures(act, prec=128):
    return [sup_enclosure(act, k, sup_abs(act, k, *grid_sup(act, k)), prec, SEARCH) for k in (0, 1)]


def _contains(ball, value: str) -> bool:
    """Whether the ball overlaps the 40-digit decimal ``value`` ± 1e-39 (its rounding)."""
    return ball.overlaps(arb(value, 1e-39))


@pytest.mark.parametrize("name", ["sin", "relu", "erf"])
def test_hermite_balls_contain_the_closed_forms_and_are_tight(name):
    """μ_n(1) from the closed form in n (sympy, 40 digits) lies in every ball, radius < 1e-20."""
    act = REGISTRY[name]
    closed = act.hermite_closed_form
    assert closed is not None
    ctx.prec = 128
    try:
        mu = hermite_balls(act, arb(1), 12, tails(act))
        for n, ball in enumerate(mu):
            exact = sp.N(closed.mu(n, sp.Integer(1)), 40)
            assert _contains(ball, str(exact)), (n, ball, exact)
            assert float(ball.rad()) < 1e-20
    finally:
        ctx.prec = 53


@pytest.mark.parametrize("name", ["cos", "sigmoid", "gelu", "swish", "leaky_relu"])
def test_hermite_balls_match_the_mpmath_route_for_every_parity_class(name):
    """Even, odd+const, even+linear and no parity (the zeros and half-windows taken from the
    parity proof): μ_n(0.7) against Gauss–Legendre in mpmath at 30 digits (its error < 1e-28),
    and the zeros are exact."""
    act = REGISTRY[name]
    ref = hermite_mp(act, 10, "0.7", dps=30)
    ctx.prec = 128
    try:
        mu = hermite_balls(act, arb("0.7"), 10, tails(act))
        for n, (ball, value) in enumerate(zip(mu, ref.values)):
            assert ball.overlaps(arb(mpmath.nstr(value, 35), 1e-28)), (n, ball, value)
            assert float(ball.rad()) < 1e-20
            if zero_by_parity(parity(act), n):
                assert ball == 0
    finally:
        ctx.prec = 53


def test_relu_q_star_ball_contains_the_exact_fixed_point():
    """E[relu(√q Z)²] = q/2, so q* = (2/d)/(1 - σ_w²) exactly."""
    act, d, s2 = REGISTRY["relu"], 10, 1 / 16
    ctx.prec = 128
    try:
        qs = q_star_ball(act, s2, d, 0.2, tails(act), 200)
        exact = (arb(2) / d) / (1 - arb(s2))
        assert qs.enclosure.ball.contains(exact)
        assert float(qs.enclosure.ball.rad()) < 1e-30
    finally:
        ctx.prec = 53


def test_q_star_enclosed_where_only_the_local_contraction_holds():
    """Sigmoid, σ_w² = 1, d = 64: the global constant c(2/d) = 2σ_w²L·√(2/π)/√(2/d) ≈ 2.26 is
    not below 1, but T maps J = [2/d, b] into itself with sup_J |T'| < 1 (the true slope is
    below 0.2; the piecewise balls bound it by ≈ 0.65). The ball contains q* = T(q*) solved by
    mpmath's secant method at 30 digits (quadrature error < 1e-25)."""
    act, d, s2 = REGISTRY["sigmoid"], 64, 1.0
    with mpmath.workdps(30):

        def second(q):
            def f(z):
                return mpmath.exp(-z * z / 2) / (1 + mpmath.exp(-mpmath.sqrt(q) * z)) ** 2

            return mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi)

        q = mpmath.findroot(lambda q: 2 * s2 * second(q) + mpmath.mpf(2) / d - q, mpmath.mpf("0.6"))
        exact = mpmath.nstr(q, 28)
    ctx.prec = 128
    try:
        qs = q_star_ball(act, s2, d, float(q), tails(act), 200)
        assert qs.enclosure.ball.overlaps(arb(exact, 1e-26))
        assert float(qs.enclosure.ball.rad()) < 1e-25
        inv = qs.invariant
        assert inv.lo == arb(2) / d and inv.hi.contains(inv.image) is False
        assert inv.image <= inv.hi and inv.slope < 1 and float(qs.contraction.upper()) < 0.8
        assert inv.start <= qs.enclosure.ball and qs.enclosure.ball <= inv.hi
        assert "T(I) ⊂ I" in qs.enclosure.method
    finally:
        ctx.prec = 53


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "erf", "gelu", "atan", "softsign", "elu"])
def test_certified_l_equals_the_closed_form(name):
    act = REGISTRY[name]
    proof = sup_abs(act, 1, *grid_sup(act, 1))
    enc = sup_enclosure(act, 1, proof, 128, SEARCH)
    with mpmath.workdps(40):
        exact = mpmath.mpf(str(sp.N(proof.exact, 40)))
        assert enc.lo <= float(exact) <= enc.hi and enc.radius < 1e-30


@pytest.mark.parametrize(
    "formula",
    # mish (8 s) in the slow run: the same branch and bound as swish, on a longer formula
    ["swish", pytest.param("x*tanh(log(1+exp(x)))", marks=pytest.mark.slow)],
)
def test_branch_and_bound_l_encloses_the_numeric_maximum(formula):
    """No closed form: the enclosure holds the max on a fine mpmath grid near the critical point
    and every grid value lies below its upper end."""
    act = resolve(formula)
    proof = sup_abs(act, 1, *grid_sup(act, 1))
    enc = sup_enclosure(act, 1, proof, 128, SEARCH)
    assert enc is not None and enc.hi - enc.lo < 1e-9
    d1 = act.derivative_expr(1)[0].expr
    with mpmath.workdps(30):
        f = mpmath_function(d1)
        xs = [mpmath.mpf(k) / 100 for k in range(-800, 801)]
        x0 = max(xs, key=lambda x: abs(f(x)))
        fine = [x0 + mpmath.mpf(k) / 10**6 for k in range(-(10**4), 10**4 + 1, 7)]
        best = max(abs(f(x)) for x in fine)
    assert enc.lo - 1e-12 <= float(best) <= enc.hi + 1e-12
    assert proof.value <= enc.hi  # the float grid undershoots, never overshoots


def test_no_enclosure_where_the_supremum_is_infinite_or_unproved():
    assert _enclosures(REGISTRY["exp"])[1] is None  # L = ∞ (refuted), nothing to enclose
    step = REGISTRY["step"]
    assert sup_enclosure(step, 1, sup_abs(step, 1, *grid_sup(step, 1)), 128, SEARCH) is None


def test_cholesky_bound_is_below_the_true_least_eigenvalue_and_close():
    torch.manual_seed(3)
    q, _ = torch.linalg.qr(torch.randn(50, 50, dtype=torch.float64))
    eig = torch.linspace(1e-3, 2.0, 50, dtype=torch.float64)
    a = (q * eig) @ q.T
    a = (a + a.T) / 2
    lower = cholesky_lower_bound(a, 1e-3 * (1 - 1e-6))
    assert lower is not None and lower <= 1e-3 and 1e-3 - lower < 1e-8
    # a shift above λ_min: Cholesky breaks down, no claim is made
    assert cholesky_lower_bound(a, 1.1e-3) is None
    # an indefinite matrix by 1e-14: no positive bound, whatever the shift
    b = (q * torch.linspace(-1e-14, 1.0, 50, dtype=torch.float64)) @ q.T
    b = (b + b.T) / 2
    bound = cholesky_lower_bound(b, -1e-12)
    assert bound is None or bound <= -1e-14


@pytest.fixture(scope="module")
def data():
    return sphere_data(20, 10, 0, 0.1)


@pytest.mark.parametrize("name", ["sin", "tanh", "erf"])
def test_certified_lambda_star_within_one_percent_of_the_float_value(name, data):
    act = REGISTRY[name]
    g = gram(act, data.x)
    lam = eigmin(g.gram)
    c = certified(act, g, data.x)
    # the float value carries ~1e-15 of rounding: it must sit inside the enclosure up to that
    assert c.lower <= lam + 1e-13 and lam - 1e-13 <= c.upper
    assert 0 < c.lower and (lam - c.lower) / lam < 0.01  # measured ~1e-6
    assert c.q_star.enclosure.lo <= g.q_star <= c.q_star.enclosure.hi + 1e-15


def test_a_perturbed_float_entry_widens_the_enclosure_but_never_moves_it(data):
    """The float Σ* is only the midpoint: corrupt one entry by 1e-3 and the proof must still
    contain the true λ* (the unperturbed enclosure), and be wider."""
    act = REGISTRY["tanh"]
    g = gram(act, data.x)
    good = certified(act, g, data.x)
    bad_sigma = g.sigma.clone()
    bad_sigma[0, 1] += 1e-3
    bad_sigma[1, 0] += 1e-3
    bad = certified(act, type(g)(**{**g.__dict__, "sigma": bad_sigma}), data.x)
    assert bad.lower <= good.lower and bad.upper >= good.upper - 1e-15
    assert bad.rho_radius > 1e-4  # the a posteriori residual saw the corruption


def test_low_precision_never_gives_a_wrong_pass(data):
    """At 64 bits the integrals' radii grow; the enclosure must still contain the 128-bit one's
    lower end or fall below it."""
    act = REGISTRY["tanh"]
    g = gram(act, data.x)
    hi = certified(act, g, data.x, prec=128)
    lo = certified(act, g, data.x, prec=64)
    assert lo.lower <= hi.upper and lo.upper >= hi.lower


def test_identity_enclosure_contains_zero():
    data = sphere_data(30, 10, 0, 0.1)
    act = REGISTRY["identity"]
    g = gram(act, data.x)
    c = certified(act, g, data.x)
    assert c.lower <= 0 <= c.upper and c.upper < 1e-10


def test_precision_is_a_setting_with_limits():
    from verify.settings import PREC_MAX, PREC_MIN

    assert S.precision.prec == 128 and PREC_MIN == 64 and PREC_MAX == 1024
    assert math.isfinite(S2)


def test_a_piece_beyond_the_window_is_bounded_too():
    """A kink at x = 10, outside the first window [-8, 8]: the piece (10, ∞) has φ' = swish' + 1,
    whose supremum 1 + swish'(10) ≈ 2.0005 is the answer (swish' ≤ 1.0999 elsewhere)."""
    act = resolve("x/(1+exp(-x)) + Max(0, x - 10)")
    proof = sup_abs(act, 1, *grid_sup(act, 1))
    enc = sup_enclosure(act, 1, proof, 128, SEARCH)
    with mpmath.workdps(30):
        at10 = 1 + mpmath_function(REGISTRY["swish"].derivative_expr(1)[0].expr)(mpmath.mpf(10))
    assert enc is not None and enc.lo <= float(at10) <= enc.hi and enc.hi - enc.lo < 1e-9


def test_weight_scale_against_a_certified_l():
    """1/(8L²) for swish's L ∈ [lo, hi]: PASS strictly below, FAIL at or above, INCONCLUSIVE
    inside a deliberately fat enclosure."""
    from symbolic.enclosure import Enclosure
    from verify import verdicts
    from verify.results import Status

    act = REGISTRY["swish"]
    proof = sup_abs(act, 1, *grid_sup(act, 1))
    enc = sup_enclosure(act, 1, proof, 128, SEARCH)
    threshold = 1 / (8 * enc.mid**2)
    assert verdicts.weight_scale(threshold * (1 - 1e-6), proof, enc).status is Status.PASS
    assert verdicts.weight_scale(threshold * (1 + 1e-6), proof, enc).status is Status.FAIL
    fat = Enclosure(arb(enc.mid, 1e-3), "test")
    assert verdicts.weight_scale(threshold, proof, fat).status is Status.INCONCLUSIVE
    assert verdicts.weight_scale(threshold, proof, None).status is Status.INCONCLUSIVE


def test_the_contraction_is_local_and_its_failure_is_refused(data):
    """sin at σ_w² = 0.6: 2σ_w²L² = 1.2 ≥ 1 (no global contraction), but at q* ≈ 0.62 the
    correlation map's slope is 2σ_w²E[cos²(√q*Z)] = 0.6(1 + e^{-2q*}) ≈ 0.77 < 1: the
    certificate closes and holds the float λ*. At σ_w² = 1.5 that slope is 1.5(1 + e^{-2q*})
    ≈ 1.56 ≥ 1 (q* ≈ 1.6): refused, naming the correlation map."""
    from symbolic.errors import VerifyError

    act = REGISTRY["sin"]
    g = gram(act, data.x, 0.6)
    c = certified(act, g, data.x, 0.6)
    q = g.q_star
    assert c.contraction == pytest.approx(0.6 * (1 + math.exp(-2 * q)), rel=1e-6)
    assert c.lower <= eigmin(g.gram) <= c.upper and c.lower > 0
    g = gram(act, data.x, 1.5)
    with pytest.raises(VerifyError, match=r"correlation map is not proved a contraction at q\*"):
        certified(act, g, data.x, 1.5)


def test_affine_proof_needs_more_points_than_d_plus_one():
    from numeric.data import max_correlation
    from symbolic.polynomial import polynomial_fact
    from verify.checks import singular_gram

    act = REGISTRY["identity"]
    poly = polynomial_fact(act, None)
    few, many = sphere_data(11, 10, 0, 0.1), sphere_data(12, 10, 0, 0.1)
    assert singular_gram(act, few, max_correlation(few.x), poly) is None  # n = d + 1
    assert "affine" in singular_gram(act, many, max_correlation(many.x), poly)
    cos = REGISTRY["cos"]  # not a polynomial: no affine proof at any n
    assert singular_gram(cos, many, max_correlation(many.x), polynomial_fact(cos, None)) is None


def test_a_tiny_positive_lambda_is_inconclusive_with_both_bounds(data):
    """Two inputs 1e-6 apart: λ* > 0 (distinct unit inputs, φ = tanh non-polynomial) but about
    4e-15, below float64's Cholesky floor γ_{n+1}·tr ≈ 6e-14 at this n. The certificate's lower
    end is ≤ 0, its upper end bounds the float value, the verdict is INCONCLUSIVE with both
    bounds, and the reason says no setting raises it. At 1e-5 apart (λ* ≈ 3.7e-13, above the
    floor) the same route proves λ* > 0."""
    from verify.verdicts import lambda_star_positive

    act = REGISTRY["tanh"]

    def near(gap):
        x = data.x.clone()
        x[1] = x[0] + gap * x[2]
        x = x / x.norm(dim=1, keepdim=True)
        g = gram(act, x)
        return g, certified(act, g, x), eigmin(g.gram)

    g, c, lam = near(1e-6)
    assert c.lower <= 0 < lam <= c.upper < 1e-13
    assert "rounding floor" in c.shortfall and "no setting" in c.shortfall
    r = lambda_star_positive(
        Spectrum(torch.tensor([lam]), 1e-16), certificate(act, g), c, "t", None
    )
    assert r.status == Status.INCONCLUSIVE
    assert r.enclosure == (c.lower, c.upper)
    assert f"λ* ≤ {upper(c.upper)}" in r.detail and "rounding floor" in r.detail  # rounded up
    assert float(upper(c.upper)) >= c.upper  # the certified upper bound, rounded up
    _, c, lam = near(1e-5)
    assert 0 < c.lower <= lam <= c.upper < 1e-12


def test_the_shortfall_names_the_setting_that_would_help():
    """Which part of the lower bound fails decides the advice: the coefficients' radii (raise
    --prec) or the float64 entries (no precision helps); a positive lower end has none."""
    from numeric.lambda_certificate import LambdaCertificate
    from symbolic.enclosure import Enclosure
    from symbolic.variance_map import QStar

    q = QStar(Enclosure(arb(1), "test"), arb(0), arb(0))

    def cert(lower, t, frob, prec_part):
        return LambdaCertificate(lower, 1.0, q, t, frob, 0.0, 0.0, 48, 64, prec_part)

    assert "raise --prec (now 64)" in cert(-1e-9, 1e-9, 2e-9, 1.5e-9).shortfall
    assert "does not help" in cert(-1e-9, 1e-9, 2e-9, 0.5e-9).shortfall
    assert "rounding floor" in cert(-1.0, float("-inf"), 2e-9, 0.0).shortfall
    assert cert(1e-9, 2e-9, 1e-9, 0.0).shortfall == ""


def test_the_row_blocks_of_the_entry_bounds_change_nothing(data, monkeypatch):
    """BLOCK = 64 entries makes three-row blocks at n = 20 (the diagonal of each block sits at
    an offset): the enclosure equals the single-block one up to rounding (xxᵀ is computed per
    block, so its entries may round differently, ~1e-16; a misplaced diagonal moves λ* by O(1)
    of itself)."""
    import numeric.lambda_certificate as lc

    act = REGISTRY["tanh"]
    g = gram(act, data.x)
    whole = certified(act, g, data.x)
    monkeypatch.setattr(lc, "BLOCK", 64)
    blocked = certified(act, g, data.x)
    for a, b in ((blocked.lower, whole.lower), (blocked.upper, whole.upper)):
        assert a == pytest.approx(b, rel=1e-12)
    assert blocked.frobenius == pytest.approx(whole.frobenius, rel=1e-6)
