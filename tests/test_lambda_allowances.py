"""The allowances of the λ* certificate (numeric.lambda_certificate) against their statements
recomputed here in exact rationals from the same inputs: the correlations' radii r_ρ, the
Horner error E_h, the slope D, ‖R‖_F, the Gershgorin tail terms, the gap of the float G̃, the
μ_k² widening and the lower end's sum.

The comparisons with float references elsewhere have margins (CLAIM_SLACK = 1/16, CLAIM_ULPS =
2⁻⁴⁹) that hide a term of a few units of roundoff. Here each value is checked against (a) the
documented bound, without the float allowances (soundness: never below it), and (b) the
documented formula *with* its stated allowances, evaluated exactly, to within a few units of
roundoff relative (faithfulness: a shrunk u, a margin below 1, a dropped or reversed term, a
doubled constant each move the value by far more than that). The case is built so every term
is visible at that resolution: the float fixed point (|h(ρ̃) - ρ̃| is at roundoff, so the 4u and
2u terms are a tenth of r_ρ), 16 Hermite terms (a Parseval remainder P ≈ 1e-6, so the tail
|ρ̃|^N·P and the Gershgorin row sums matter) and a near-duplicate pair (a row sum near 1)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
from flint import arb

import numeric.lambda_certificate as lc
from numeric.data import sphere_data
from numeric.gram_balls import unit_rows
from symbolic import REGISTRY
from symbolic.balls import prec_scope
from symbolic.hermite_balls import slope_moment, tails
from symbolic.variance_map import q_star_ball
from tests.helpers import S2, certified, eigmin, gram

U = Fraction(1, 2**53)
#: Float evaluation of a formula of a dozen operations: within this of the exact value.
FLOAT = 16 * U
#: The documented constants (the test's own copies: a changed constant in the module must fail,
#: not follow): the margin on float sums, the claims' relative and absolute widening.
SUM_MARGIN = Fraction(1 + 1e-5)
CLAIM_SLACK = Fraction(1, 16)
CLAIM_ULPS = Fraction(1, 2**49)


def gamma(k: int) -> Fraction:
    return k * U / (1 - k * U)


def exact(x: arb) -> tuple[Fraction, Fraction]:
    """An arb's midpoint and radius, exactly."""

    def frac(v) -> Fraction:
        man, exp = v.man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)

    return frac(x.mid()), frac(x.rad())


def upper(x: arb) -> Fraction:
    m, r = exact(x)
    return m + r


def lower(x: arb) -> Fraction:
    m, r = exact(x)
    return m - r


def near(value, target: Fraction, rel: Fraction = FLOAT) -> bool:
    return abs(Fraction(value) - target) <= rel * abs(target)


@pytest.fixture(scope="module", params=["near", "spread", "duplicate"])
def case(request):
    """tanh, σ_w² = 1/16, the series route's _Series at 128 bits with everything it was built
    from. "near": n = 5, d = 6, inputs 0 and 1 a near-duplicate pair, 16 terms (P ≈ 1e-6, a row
    sum near 1). "spread": n = 4, d = 64, |ρ̃| ≤ 0.23, 24 terms: P ≈ 1e-24 > 0 and the row sums
    ~1e-15, so the tail terms are P's float ends times 1 ∓ 1e-15, where one ulp of directed
    rounding shows. "duplicate": n = 4, d = 6, x_1 = x_0: ρ̃_01 = 1, so |ρ̃| + r_ρ > 1 and the
    clamp ρ̄ = min(|ρ̃| + r_ρ, 1) decides the row sum (≥ 1: no tail below, P_hi(1 + m) above)."""
    kind = request.param
    near_pair = kind == "near"
    n, d, terms = {"near": (5, 6, 16), "spread": (4, 64, 24), "duplicate": (4, 6, 16)}[kind]
    x = sphere_data(n, d, 3, 0.1).x.clone()
    if near_pair:
        x[1] = x[0] + 0.05 * x[2]
        x = x / x.norm(dim=1, keepdim=True)
    if kind == "duplicate":
        x[1] = x[0]
    act = REGISTRY["tanh"]
    g = gram(act, x)
    t = tails(act)
    with prec_scope(128):
        qs = q_star_ball(act, S2, d, g.q_star, t, 200)
        big_q = qs.enclosure.ball
        c = (2 * arb(S2) * slope_moment(act, big_q, t).upper()).upper()
        s = lc._series(act, x, S2, g.sigma, g.q_star, big_q, terms, t, c)
    return {
        "x": x,
        "g": g,
        "q": big_q,
        "c": c,
        "s": s,
        "terms": terms,
        "near": near_pair,
        "kind": kind,
        "build": lambda: lc._series(act, x, S2, g.sigma, g.q_star, big_q, terms, t, c),
    }


def float_below(v: Fraction) -> float:
    """The largest float ≤ v (found here, not by the module's float_down)."""
    f = float(v)
    return math.nextafter(f, -math.inf) if Fraction(f) > v else f


def float_above(v: Fraction) -> float:
    f = float(v)
    return math.nextafter(f, math.inf) if Fraction(f) < v else f


def test_horner_error_slope_and_precision_part_are_the_stated_sums(case):
    """E_h = γ_{2N}·Σ|ã_k|·margin + Σ|a_k - ã_k| (ã_k = float(mid a_k)), D = Σ k·a_k upper,
    n·Σ|a_k - ã_k|: each ≥ its exact value, and E_h within roundoff of the stated sum."""
    s, terms = case["s"], case["terms"]
    n = s.mid.shape[0]
    mids = [Fraction(m) for m in s.coeffs.tolist()]
    coef_err = sum(abs(exact(a)[0] - m) + exact(a)[1] for a, m in zip(s.coefs, mids))
    bound = gamma(2 * terms) * sum(abs(m) for m in mids) + coef_err
    assert Fraction(s.horner_err) >= bound  # sound
    stated = gamma(2 * terms) * sum(abs(m) for m in mids) * SUM_MARGIN + coef_err
    assert near(s.horner_err, stated)  # the margin (1 + 1e-5), not 1 - 1e-5, not 2
    slope = sum(k * upper(a) for k, a in enumerate(s.coefs))
    assert slope <= Fraction(s.slope) <= slope * (1 + FLOAT)
    assert n * coef_err <= Fraction(s.prec_part) <= n * coef_err * (1 + FLOAT)


def test_remainder_is_the_moment_less_the_widened_squares(case):
    """P = (q* - 2/d)/(2σ_w²) - Σ a_k contains the exact difference of the balls' ends, and each
    a_k is μ_k² widened: radius ≥ 2·rad(μ_k²) + 2^(16-prec)·E[φ²]."""
    s, q = case["s"], case["q"]
    two_d = Fraction(2, case["x"].shape[1])
    moment_lo = (lower(q) - two_d) / (2 * Fraction(S2))
    moment_hi = (upper(q) - two_d) / (2 * Fraction(S2))
    assert lower(s.rest) <= moment_lo - sum(upper(a) for a in s.coefs)
    assert upper(s.rest) >= moment_hi - sum(lower(a) for a in s.coefs)
    if case["near"]:
        assert 1e-8 < float(s.rest.mid()) < 1e-4  # the tail is not negligible at N = 16


def test_widen_doubles_the_radius_and_adds_the_scaled_precision_floor():
    with prec_scope(100):
        ball = arb(1) / 3 + arb(0, 2.0**-90)
        w = lc._widen(ball, arb(-5))
        m, r = exact(ball)
        stated = 2 * r + 5 * Fraction(2) ** (16 - 100)
        wm, wr = exact(w)
        assert wm == m and stated <= wr <= stated * (1 + Fraction(1, 2**28))


def _rho_formula(case, i: int, j: int) -> tuple[Fraction, Fraction]:
    """(F, C) for the pair (i, j): F the documented bound |ρ* - ρ̃| ≤ |h(ρ̃) - ρ̃|/(1 - c) with
    |h(ρ̃) - h̃| ≤ h_err bounded term by term (no float allowances), C the claimed radius
    (F with the stated allowances: (1 + u) on the subtraction, (1 + 1e-13) on libm's pow,
    (1 + 4u), then (1 + CLAIM_SLACK) and + CLAIM_ULPS), both exact from the float inputs."""
    s, x, g, q = case["s"], case["x"], case["g"], case["q"]
    d = x.shape[1]
    u = U
    w2, wd = 2 * S2, 2.0 / d  # the floats the module multiplies by (1/8 exact, 2/d rounded)
    q_mid = float(q.mid())
    q_lo, r_q = lower(q), exact(q)[1] + abs(exact(q)[0] - Fraction(q_mid))
    p_hi = upper(s.rest)
    cc = upper(case["c"])
    unit = unit_rows(x)
    sij = float((unit @ unit.T)[i, j])
    rho = max(-1.0, min(1.0, float(g.sigma[i, j]) / g.q_star))
    kap = float(s.mid[i, j])  # Ã_ij: the float Horner value the code's bounds are about
    num = kap * w2 + sij * wd  # the float midpoint of the numerator, as the code rounds it
    h = num / q_mid
    s_err = Fraction(lc.s_error(d))
    tail = abs(Fraction(rho)) ** case["terms"] * p_hi
    num_err = (
        Fraction(w2) * (Fraction(s.horner_err) + tail)
        + Fraction(wd) * s_err
        + 4 * u * (Fraction(w2) * abs(Fraction(kap)) + Fraction(wd) * abs(Fraction(sij)))
    )
    h_err = num_err / q_lo + abs(Fraction(num)) * r_q / q_lo**2 + 2 * u * abs(Fraction(h))
    diff = abs(Fraction(h) - Fraction(rho))
    bound = (diff + h_err) / (1 - cc)
    tail_ = tail * (1 + Fraction(1, 10**13))
    num_err_ = num_err + Fraction(w2) * (tail_ - tail)
    h_err_ = num_err_ / q_lo + abs(Fraction(num)) * r_q / q_lo**2 + 2 * u * abs(Fraction(h))
    claimed = (diff * (1 + u) + h_err_) / (1 - cc) * (1 + 4 * u)
    claimed = claimed * (1 + CLAIM_SLACK) + CLAIM_ULPS
    return bound, claimed


def test_correlation_radii_are_the_stated_bound_with_its_allowances(case):
    """Every off-diagonal r_ρ ≥ the documented bound F, and equals the claimed C to roundoff:
    u's terms (4u(w2|κ̃| + wd|s̃|) + 2u|h̃|) are ~10 % of C here, the tail |ρ̃|^N·P_hi ~1e-10·P
    at the near-duplicate pair, Banach's 1/(1 - c) ~7 %."""
    s = case["s"]
    n = s.mid.shape[0]
    shares = []
    for i in range(n):
        assert float(s.rho_radius[i, i]) == 0.0  # C*_ii = 1 exactly
        for j in range(n):
            if i == j:
                continue
            bound, claimed = _rho_formula(case, i, j)
            # the radius is the larger of the pair's two: ≥ both, equal to one of them
            other = _rho_formula(case, j, i)[1]
            r = Fraction(float(s.rho_radius[i, j]))
            assert r >= bound  # sound
            assert near(r, max(claimed, other)), (i, j, float(r), float(claimed), float(other))
            shares.append(float((claimed - CLAIM_ULPS) / claimed))
    if case["kind"] != "duplicate":  # (there |h̃ - ρ̃| ~ u at ρ̃ = 1 dominates)
        assert min(shares) > 0.05  # the formula's part of C is not hidden by CLAIM_ULPS
    assert torch.equal(s.rho_radius, s.rho_radius.T)  # one radius per pair


def _entry_bound(s, i: int, j: int) -> Fraction:
    """R_ij = E_h + D·r_ρij + 2u|Ã_ij| (the class docstring), from the code's E_h, D and r_ρ."""
    return (
        Fraction(s.horner_err)
        + Fraction(s.slope) * Fraction(float(s.rho_radius[i, j]))
        + 2 * U * abs(Fraction(float(s.mid[i, j])))
    )


def test_frobenius_and_tail_terms_are_the_stated_sums(case):
    """‖R‖_F ≥ (Σ R_ij²)^½ and within the margin 1 + 1e-5 of it; the Gershgorin row sum
    m = max_i Σ_{j≠i} min(|ρ̃_ij| + r_ρij, 1)^N enters as P_lo(1 - m·margin)₊ ≤ λ_min(T_N)
    and P_hi(1 + m·margin) ≥ ‖T_N‖: each on its safe side of the exact value, within roundoff of
    the margin's (a margin below 1 is unsound here, a margin of 2 is far from tight)."""
    s, g, terms = case["s"], case["g"], case["terms"]
    n = s.mid.shape[0]
    squares = sum(_entry_bound(s, i, j) ** 2 for i in range(n) for j in range(n))
    frob = Fraction(s.frobenius)
    margin = SUM_MARGIN
    assert frob**2 >= squares  # sound
    assert frob**2 <= squares * margin**2 * (1 + FLOAT)
    assert frob**2 >= squares * margin**2 * (1 - FLOAT)

    def rho_bar(i, j):
        rho = max(-1.0, min(1.0, float(g.sigma[i, j]) / g.q_star))
        return min(abs(Fraction(rho)) + Fraction(float(s.rho_radius[i, j])), Fraction(1))

    row = max(sum(rho_bar(i, j) ** terms for j in range(n) if j != i) for i in range(n))
    if case["kind"] == "near":
        assert 0.5 < row < 1  # the near-duplicate pair: the row sum matters, the tail positive
    elif case["kind"] == "spread":
        assert 0 < row < 1e-10 and lower(s.rest) > 0  # P's float ends times 1 ∓ m
    else:
        assert 1 < row < 2 and s.tail_lo == 0  # the duplicate's ρ̄ = 1: no Gershgorin margin
    p_lo, p_hi = max(lower(s.rest), Fraction(0)), upper(s.rest)
    lo_exact, hi_exact = p_lo * max(1 - row, 0), p_hi * (1 + row)
    assert Fraction(s.tail_lo) <= lo_exact and Fraction(s.tail_hi) >= hi_exact  # sound
    # the float ends P_lo = max(fl↓(P), 0), P_hi = fl↑(P) (found here) times 1 ∓ m·margin: on
    # the safe side of that product, exactly (a rounding reversed by one ulp fails where m is
    # tiny), and within roundoff of it at the scale P·m, which 1 - m amplifies where m is near 1
    # (the margin moves them by 1e-5·P·m)
    f_lo, f_hi = Fraction(max(float_below(lower(s.rest)), 0.0)), Fraction(float_above(p_hi))
    stated_lo, stated_hi = f_lo * max(1 - row * margin, 0), f_hi * (1 + row * margin)
    assert Fraction(s.tail_lo) <= stated_lo and Fraction(s.tail_hi) >= stated_hi
    ulp = Fraction(math.ulp(float(f_hi)))
    assert stated_lo - Fraction(s.tail_lo) <= f_lo * row * FLOAT + ulp
    assert Fraction(s.tail_hi) - stated_hi <= f_hi * row * FLOAT + ulp


def test_the_float_gram_gap_covers_a_subtraction_that_rounds_down():
    """|G̃ - Ã| where fl(G̃ - Ã) rounds below the exact difference (1 + 2⁻⁵² + 2⁻⁵⁴ → 1 + 2⁻⁵²):
    the gap ≥ the exact max (a rounding allowance shrunk to nothing fails), and here no more
    than 2u above it plus the underflow term (fl(1 + 2⁻⁵²)·(1 + 2u) rounds to 1 + 2⁻⁵¹; an
    allowance of 3u rounds one ulp higher)."""
    mid = torch.tensor([[1.0 + 2.0**-52, 0.0], [0.0, 1.0]], dtype=torch.float64)
    gram_ = torch.tensor([[-(2.0**-54), 0.0], [0.0, 1.0]], dtype=torch.float64)
    s = lc._Series(mid, torch.zeros_like(mid), mid, 1.0, torch.zeros(1), 0.0, 0.0, (), arb(0), 0.0)
    s.use_float_gram(gram_)
    exact_max = Fraction(1) + Fraction(1, 2**52) + Fraction(1, 2**54)
    assert exact_max <= Fraction(s.gap) <= exact_max * (1 + 2 * U) + Fraction(1, 2**1074)
    assert s.gram is gram_
    s.use_float_gram(mid.clone())  # G̃ = Ã: the gap is the underflow term alone
    assert s.gap == 2.0**-1074


def test_the_lower_end_is_the_sum_of_its_parts_rounded_down():
    """lo = t - ‖R‖_F + tail rounded down: on the series route (tail > 0 at 16 terms) and the
    closed-form route (tail = 0), exactly, to one ulp below; and on the closed-form route ‖R‖_F ≥
    (Σ R_ij²)^½ of the radii that dual_entries returned, within the margin."""
    captured = {}
    real = lc.dual_entries

    def spy(*args):
        captured["e"] = real(*args)
        return captured["e"]

    data = sphere_data(8, 10, 0, 0.1)
    act = REGISTRY["tanh"]
    g = gram(act, data.x)
    mp = pytest.MonkeyPatch()
    mp.setattr(lc, "dual_entries", spy)
    try:
        series = certified(act, g, data.x, terms=16, certify_dual_max_n=0)
        relu = REGISTRY["relu"]
        gr = gram(relu, data.x)
        dual = certified(relu, gr, data.x)
    finally:
        mp.undo()
    assert series.route == "series" and series.tail > 0 and dual.route == "dual"
    for c in (series, dual):
        total = Fraction(c.cholesky_bound) - Fraction(c.frobenius) + Fraction(c.tail)
        assert Fraction(c.lower) <= total
        assert total - Fraction(c.lower) <= abs(total) * 2 * U + Fraction(1, 2**1074)
        assert c.lower <= c.upper
    assert series.lower <= eigmin(g.gram) <= series.upper
    assert dual.lower <= eigmin(gr.gram) <= dual.upper
    radius = captured["e"].radius
    squares = sum(Fraction(v) ** 2 for v in radius.flatten().tolist())
    frob = Fraction(dual.frobenius)
    margin = SUM_MARGIN
    assert squares <= frob**2 and frob**2 <= squares * margin**2 * (1 + FLOAT)
    assert frob**2 >= squares * margin**2 * (1 - FLOAT)
    assert math.isfinite(dual.upper)


@pytest.mark.parametrize("block", [lc.BLOCK, 10])
def test_the_blocks_yield_each_row_once_with_its_entry_bound(case, block, monkeypatch):
    """blocks() without and with the float G̃ standing in for Ã (BLOCK = 10 entries: row blocks
    of 2 rows at n = 5 or 4, the diagonal at an offset): every row once, the midpoint rows Ã or
    G̃, and the bound R_ij = E_h + D·r_ρij + 2u·|Ã_ij| (with G̃: 2u(|G̃_ij| + gap) + gap, gap ≥
    max|G̃ - Ã|) within roundoff of its formula."""
    from dataclasses import replace

    monkeypatch.setattr(lc, "BLOCK", block)
    s = replace(case["s"])  # a copy: use_float_gram below changes only it
    n = s.mid.shape[0]
    bump = torch.full((n, n), 3e-9, dtype=torch.float64).fill_diagonal_(-1e-9)
    g_float = s.mid + bump  # exactly symmetric, as the module requires
    for gram_ in (None, g_float):
        if gram_ is not None:
            s.use_float_gram(gram_)
            worst = max(
                abs(Fraction(float(gram_[i, j])) - Fraction(float(s.mid[i, j])))
                for i in range(n)
                for j in range(n)
            )
            assert worst <= Fraction(s.gap) <= worst * (1 + 4 * U) + Fraction(1, 2**1074)
        seen = []
        for r0, r1, rows, bound in s.blocks():
            seen += range(r0, r1)
            want = (s.mid if gram_ is None else gram_)[r0:r1]
            assert torch.equal(rows, want) and bound.shape == want.shape
            for i in range(r0, r1):
                for j in range(n):
                    mid = abs(Fraction(float(want[i - r0, j])))
                    if gram_ is None:
                        stated = _entry_bound(s, i, j)
                    else:
                        gap = Fraction(s.gap)
                        stated = _entry_bound(s, i, j) - 2 * U * abs(Fraction(float(s.mid[i, j])))
                        stated += 2 * U * (mid + gap) + gap
                    assert near(float(bound[i - r0, j]), stated), (i, j)
        assert seen == list(range(n))


def test_several_row_blocks_give_the_same_sums(case, monkeypatch):
    """_series in row blocks of 2 rows (BLOCK = 10 entries): ‖R‖_F sums the blocks' squares, the
    row sums and radii are the single block's (the float dot products x_iᵀx_j may round
    differently per block: within roundoff)."""
    one = case["s"]
    monkeypatch.setattr(lc, "BLOCK", 10)
    with prec_scope(128):
        many = case["build"]()
    assert near(many.frobenius, Fraction(one.frobenius))
    assert near(many.tail_hi, Fraction(one.tail_hi))
    assert abs(many.tail_lo - one.tail_lo) <= FLOAT * one.tail_hi
    n = one.mid.shape[0]
    for i in range(n):
        for j in range(n):
            assert near(float(many.rho_radius[i, j]), Fraction(float(one.rho_radius[i, j])))
            assert near(float(many.mid[i, j]), Fraction(float(one.mid[i, j])))
