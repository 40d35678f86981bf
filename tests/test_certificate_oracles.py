"""Every certified quantity against an independent 50-digit value (tests/oracles.py: closed
forms in mpmath), asserting containment AND a width bound, so that a dropped term (an
enclosure too narrow) or a flipped rounding fails. The cases are built so the terms matter:
near-duplicate inputs, a Hermite tail that dominates, a contraction close to 1 with a corrupted
midpoint, a Lanczos start blind to the top singular vector, values halfway between decimals."""

import math
from dataclasses import replace

import mpmath
import pytest
import torch
from flint import arb, ctx

from numeric.data import sphere_data
from numeric.gao_certificate import certify_lambda0
from numeric.gram_variances import population_gram_variances
from numeric.implicit import explicit_spectrum
from numeric.operator_norm import spectral_norm_bound
from symbolic import REGISTRY
from symbolic.enclosure import float_down, float_up, format_enclosure, round_down, round_up
from symbolic.hermite_balls import hermite_balls, tails
from symbolic.variance_map import q_star_ball
from tests import oracles
from tests.helpers import POP, S2, certified, eigmin, gram


def _mp(x: float) -> mpmath.mpf:
    return mpmath.mpf(x)


def _near(n: int, d: int, gap: float, seed: int = 0) -> torch.Tensor:
    """n unit inputs, x_1 = x_0 + gap·x_2 normalized: a near-duplicate pair."""
    x = sphere_data(n, d, seed, 0.1).x.clone()
    x[1] = x[0] + gap * x[2]
    return x / x.norm(dim=1, keepdim=True)


@pytest.mark.parametrize(
    ("name", "sigma_w2", "d"), [("square", 1 / 16, 4), ("exp", 0.01, 10), ("sin", 1 / 16, 10)]
)
def test_q_star_ball_holds_the_50_digit_fixed_point_and_is_tight(name, sigma_w2, d):
    """x² at σ_w² = 1/16, d = 4 is q* = 2/3 exactly (3q²/8 + 1/2 = q); exp's is
    q = 0.02e^{2q} + 0.2 (φ' unbounded: the local contraction); sin's e^{-q}sinh q."""
    exact = oracles.q_star(name, sigma_w2, d, start=0.5)
    if name == "square":
        with mpmath.workdps(50):
            assert abs(exact - mpmath.mpf(2) / 3) < mpmath.mpf(10) ** -45
    act = REGISTRY[name]
    old = ctx.prec
    ctx.prec = 128
    try:
        qs = q_star_ball(act, sigma_w2, d, float(exact), tails(act), 200)
        ball = qs.enclosure.ball
        assert ball.overlaps(arb(mpmath.nstr(exact, 45), 1e-44))
        assert float(ball.rad()) < 1e-28  # Banach's radius (×2) at 128 bits, not a loose one
    finally:
        ctx.prec = old


def test_hermite_balls_of_the_square_are_exact_values():
    """x² at q: μ_0 = q, μ_2 = √2·q, every other μ_n = 0 (He_2 = z² - 1)."""
    act = REGISTRY["square"]
    old = ctx.prec
    ctx.prec = 128
    try:
        q = arb("0.7")
        mu = hermite_balls(act, q, 6, tails(act))
        for n, exact in enumerate([q, arb(0), q * arb(2).sqrt(), arb(0), arb(0), arb(0)]):
            assert mu[n].overlaps(exact) and float(mu[n].rad()) < 1e-30
    finally:
        ctx.prec = old


CASES = [
    # (activation, gap, route settings, width allowed: relative to λ*, or absolute for the last)
    ("relu", 1e-4, {}, 1e-4),  # closed-form route at ρ* → 1 (issue: [-5.6e-6, 6.1e-5] before)
    ("square", 0.05, {}, 1e-5),  # φ' unbounded: the local contraction, series route
    ("sin", 0.05, {"certify_dual_max_n": 0}, 1e-5),  # the series route where a dual exists
    ("relu", 0.05, {"certify_dual_max_n": 0, "terms": 8}, None),  # the tail dominates
]


@pytest.mark.parametrize(("name", "gap", "changes", "width"), CASES)
def test_lambda_star_holds_the_50_digit_value(name, gap, changes, width):
    """[lo, hi] ∋ λ* from mpmath (ρ*_ij iterated to 50 digits in the closed-form κ, then
    eigsy), and hi - lo ≤ width·λ*. relu with 8 series terms: the Parseval remainder P ≈ 1e-3
    dwarfs λ* ≈ 6e-5, so the Gershgorin tail bound P(1 - max_i Σ_j ρ̄_ij^8) matters: with the
    near-duplicate row's sum near 1 it is ≈ 0; the smallest row's would lift lo above λ*. Its
    width is then the tail's ‖T_N‖ ≤ P(1 + max row sum) ≈ 1.2e-3, allowed up to 2e-3."""
    x = _near(6, 4 if name == "square" else 10, gap)
    act = REGISTRY[name]
    g = gram(act, x)
    c = certified(act, g, x, **changes)
    _, _, exact = oracles.gram(name, S2, x)
    lam = oracles.lambda_min(exact)
    assert _mp(c.lower) <= lam <= _mp(c.upper)
    assert 0 < c.upper - c.lower <= (2e-3 if width is None else width * float(lam))
    if name != "relu" or gap < 1e-3:
        assert c.lower > 0  # proved, not just enclosed
    assert c.route == ("series" if changes or name == "square" else "dual")


@pytest.mark.parametrize("route", [{}, {"certify_dual_max_n": 0}])
def test_correlation_radii_hold_the_exact_fixed_points_near_a_slope_of_one(route):
    """sin at σ_w² = 0.6: the correlation map's slope c = 0.6(1 + e^{-2q*}) ≈ 0.77, and the float
    midpoints corrupted by 1e-6: |ρ* - ρ̃| = |h(ρ̃) - ρ̃|/(1 - h') only with Banach's factor
    1/(1 - c) (without it the radii fall ~4× short); and no radius exceeds 3·|ρ* - ρ̃|/(1 - c)
    + 1e-13 (a loose bound would pass containment alone)."""
    x = sphere_data(6, 10, 1, 0.1).x
    act = REGISTRY["sin"]
    g = gram(act, x, 0.6)
    bad = g.sigma + 1e-6 * (1 - torch.eye(6, dtype=torch.float64))
    c = certified(act, replace(g, sigma=bad), x, 0.6, **route)
    _, rho, _ = oracles.gram("sin", 0.6, x)
    mid, rad = c.evidence.rho, c.evidence.rho_radius
    for i in range(6):
        for j in range(i + 1, 6):
            err = abs(rho[i][j] - _mp(float(mid[i, j])))
            assert err <= _mp(float(rad[i, j]))
            assert float(rad[i, j]) <= 3 * float(err) / (1 - c.contraction) + 1e-13
    assert c.lower <= eigmin(g.gram) <= c.upper


@pytest.mark.parametrize(("gap", "width"), [(1e-3, 1.5e-6), (1e-6, 0.5)])
def test_gao_lambda0_holds_the_50_digit_value(gap, width):
    """Gao's λ_0 at a near-duplicate pair: 1e-3 apart the enclosure is the first shift's 1e-6;
    1e-6 apart λ_0 ≈ 1.2e-13 and the entries' ‖R‖_F ≈ 2e-14 is what separates the Cholesky
    bound from the lower end (a sign error there lifts it above λ_0)."""
    x = _near(8, 10, gap)
    c = certify_lambda0(x, explicit_spectrum(x)[0], 128)
    lam = oracles.lambda_min(oracles.gao_gram(x))
    assert _mp(c.lower) <= lam <= _mp(c.upper) and c.positive
    assert c.upper - c.lower <= width * float(lam)
    assert c.lower <= c.cholesky_bound - c.frobenius and c.float_error < 1e-12
    assert "arc-cosine" in c.method and "Rump" in c.method and "128 bits" in c.method
    assert not replace(c, lower=0.0).positive  # a lower end of 0 proves nothing
    with pytest.raises(AttributeError):
        c.lower = 1.0  # frozen: a proved record is not edited


def test_gao_entries_of_duplicate_and_opposite_inputs():
    """A duplicate and an antipodal input: their float dot products may leave [-1, 1] by an ulp;
    the entries are then J₁(±1)/(2π) = 1/2 and 0, finite, and the matrix is singular: λ_0 = 0
    is enclosed, not proved positive."""
    from numeric.gao_certificate import gram_balls
    from numeric.gram_balls import unit_rows

    x = sphere_data(4, 5, 2, 0.1).x.clone()
    x[1], x[2] = -x[0], x[0]
    u = unit_rows(x)
    s = u @ u.T
    assert float(s[0, 2]) > 1 and float(s[0, 1]) < -1  # the case: an ulp outside [-1, 1]
    mid, rad = gram_balls(x)
    assert torch.isfinite(mid).all() and torch.isfinite(rad).all()
    assert abs(float(mid[0, 1])) <= float(rad[0, 1]) + 1e-15
    assert abs(float(mid[0, 2]) - 0.5) <= float(rad[0, 2]) + 1e-15
    c = certify_lambda0(x, 0.0, 128)
    assert c.lower <= 0 <= c.upper and not c.positive


def test_the_norm_bound_is_proved_where_the_lanczos_estimate_falls_short(monkeypatch):
    """One Lanczos step: the estimate is a Rayleigh quotient, well below ‖W‖₂ (here by > 10%, so
    no widening of it passes the Cholesky test); the proved bound must still be ≥ ‖W‖₂ (the
    Frobenius fallback) — returning the estimate would not be."""
    import numeric.operator_norm as op

    monkeypatch.setattr(op, "LANCZOS_STEPS", 1)
    gen = torch.Generator().manual_seed(11)
    w = torch.randn(30, 30, generator=gen, dtype=torch.float64)
    exact = float(torch.linalg.svdvals(w)[0])
    b = spectral_norm_bound(w)
    assert b.estimate < 0.9 * exact
    assert exact * (1 - 1e-14) <= b.upper <= float(w.norm()) * (1 + 1e-12)


def test_the_norm_bound_covers_any_rounding_of_the_gram_product(monkeypatch):
    """The bound must hold for every G within the Gram product's rounding model
    ‖G - WᵀW‖₂ ≤ γ_r‖W‖_F²: here G = WᵀW - 0.9·γ_r‖W‖_F²·I (W 1000×4, so that term, 4e-10,
    is far above the 1e-15 widening the test sets). Against ‖W‖₂ from WᵀW summed exactly in
    mpmath: contained, and above it by at most the term (a dropped γ_r‖W‖_F² falls below)."""
    import numeric.operator_norm as op
    from numeric.positive_definite import gamma

    monkeypatch.setattr(op, "WIDENINGS", (1e-15, 1e-13, 1e-12))
    gen = torch.Generator().manual_seed(5)
    w = torch.randn(1000, 4, generator=gen, dtype=torch.float64)
    with mpmath.workdps(40):
        rows = [[_mp(v) for v in r] for r in w.tolist()]
        exact_g = mpmath.matrix(
            [[mpmath.fsum(r[i] * r[j] for r in rows) for j in range(4)] for i in range(4)]
        )
        exact = mpmath.sqrt(max(mpmath.eigsy(exact_g, eigvals_only=True)))
    f2 = op.frobenius_upper(float((w * w).sum()), w.numel())
    shift = float((gamma(1000) * f2).mid()) * 0.9
    g = w.T @ w - shift * torch.eye(4, dtype=torch.float64)
    b = op.gram_norm_bound(g, f2, 1000)
    assert "Lanczos + Cholesky" in b.method
    assert exact <= _mp(b.upper)
    assert b.upper <= float(exact) * (1 + 4 * float((gamma(1000) * f2).mid()) / float(exact) ** 2)


HALFWAY = [
    # (value exactly representable, digits, down, up): the value sits on the boundary between
    # two printed decimals; to-nearest (banker's or not) picks one of them for both ends
    (0.125, 2, "0.12", "0.13"),
    (-0.125, 2, "-0.13", "-0.12"),
    (2.5, 1, "2", "3"),
    (1.0 / 3, 6, "0.333333", "0.333334"),
    (1e-20 + 2.0**-70, 3, "1.08e-20", "1.09e-20"),
]


@pytest.mark.parametrize(("value", "digits", "down", "up"), HALFWAY)
def test_rounding_is_directed_at_the_printed_digit(value, digits, down, up):
    assert round_down(value, digits) == down and round_up(value, digits) == up
    assert format_enclosure(value, value, digits) == f"[{down}, {up}]"
    exact = arb(value) if abs(value) > 1e-30 else None
    if exact is not None:
        assert mpmath.mpf(down) <= _mp(value) <= mpmath.mpf(up)


def test_float_ends_are_the_adjacent_floats_outside():
    ctx.prec = 128
    third = arb(1) / 3
    ctx.prec = 53
    lo, hi = float_down(third), float_up(third)
    assert lo < 1 / 3 < hi or (lo <= 1 / 3 <= hi and lo < hi)
    assert math.nextafter(lo, math.inf) == hi  # adjacent: outward by one step, not more
    exact = arb(0.5)
    assert float_down(exact) == float_up(exact) == 0.5  # an exact end is not widened


def test_the_two_variance_error_bar_covers_a_loose_q():
    """sin, rows of norms 0.5..2 (the Mehler series with two variances), q solved only to 1e-9:
    every |G* entry - the 50-digit value| ≤ the reported error, which then includes the q
    error's effect (~1e-10, far above the entries' own ~1e-15); and it is not 100× looser."""
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True) * torch.tensor([0.5, 1.0, 1.5, 2.0, 0.8])[:, None]
    pop = replace(POP, q_tol=1e-9)
    g = population_gram_variances(REGISTRY["sin"], x, S2, (1.0, 1.0, 1.0), pop)
    exact = _two_variance_sin(x, S2)
    worst = max(abs(exact[i][j] - _mp(float(g.gram[i, j]))) for i in range(5) for j in range(5))
    assert worst <= g.error
    assert g.error <= 100 * float(worst) + 1e-13


def _two_variance_sin(x: torch.Tensor, sigma_w2: float):
    """Σ = 2σ_w² e^{-(q_i+q_j)/2} sinh Σ_ij + (2/d)x_iᵀx_j iterated to 50 digits; G* likewise."""
    n, d = x.shape
    with mpmath.workdps(60):
        rows = [[_mp(float(v)) for v in r] for r in x.tolist()]
        base = [[2 * mpmath.fsum(a * b for a, b in zip(ri, rj)) / d for rj in rows] for ri in rows]
        s2 = 2 * _mp(sigma_w2)
        sig = [row[:] for row in base]
        for _ in range(300):
            q = [sig[i][i] for i in range(n)]
            sig = [
                [
                    s2 * mpmath.exp(-(q[i] + q[j]) / 2) * mpmath.sinh(sig[i][j]) + base[i][j]
                    if i != j
                    else s2 * mpmath.exp(-q[i]) * mpmath.sinh(q[i]) + base[i][i]
                    for j in range(n)
                ]
                for i in range(n)
            ]
        q = [sig[i][i] for i in range(n)]
        return [
            [mpmath.exp(-(q[i] + q[j]) / 2) * mpmath.sinh(sig[i][j]) for j in range(n)]
            for i in range(n)
        ]


def test_each_entry_ball_holds_the_50_digit_entry():
    """Entry by entry, both closed-form builders: |G_ij - mid_ij| ≤ radius_ij for the exact
    G*_ij (relu, near-duplicate inputs, the float Σ* as midpoint) and G^∞_ij, and radius_ij ≤
    1e-14 (the dot products' rounding 4γ_{d+3}, the correlations' Banach radii: nothing looser)."""
    from numeric.gao_certificate import gram_balls
    from numeric.gram_balls import dual_entries
    from symbolic.dual_balls import kappa_ball
    from symbolic.hermite_balls import slope_moment

    x = _near(6, 10, 1e-4)
    act = REGISTRY["relu"]
    g = gram(act, x)
    old = ctx.prec
    ctx.prec = 128
    try:
        t = tails(act)
        qb = q_star_ball(act, S2, 10, g.q_star, t, 200).enclosure.ball
        m1 = slope_moment(act, qb, t).upper()
        c = (2 * arb(S2) * m1).upper()
        e = dual_entries(kappa_ball(act), x, g.sigma, g.q_star, qb, S2, c, m1, (0.0, 0.0))
        gao_mid, gao_rad = gram_balls(x)
    finally:
        ctx.prec = old
    _, _, exact = oracles.gram("relu", S2, x)
    gao = oracles.gao_gram(x)
    for mid, rad, ref in ((e.mid, e.radius, exact), (gao_mid, gao_rad, gao)):
        for i in range(6):
            for j in range(6):
                assert abs(ref[i, j] - _mp(float(mid[i, j]))) <= _mp(float(rad[i, j]))
                assert float(rad[i, j]) <= 1e-14
