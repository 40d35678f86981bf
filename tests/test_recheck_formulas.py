"""The checker's own scalar bounds (verify.recheck: rump, frobenius, rayleigh, _array_power)
against their docstrings' formulas in exact rationals. The checker states them independently of
the producer, so a mutated γ index, a dropped term or a reversed sign must fail here too: the
file-level tests (an honest file PROVED, a tampered one NOT PROVED) have margins that a term of
a few units of roundoff hides. The data are dyadic, so every float sum is exact and 256-bit
balls leave only their own rounding (2⁻²⁴⁰ relative) between the result and the formula; each
case is built so the term under test is not swamped (a Rayleigh vector with vᵀÃv = 0, a shift
equal to Rump's subtracted terms)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from symbolic.balls import prec_scope
from verify.recheck import _array_power, frobenius, rayleigh, rump

U = Fraction(1, 2**53)
ETA = Fraction(1, 2**1074)
TIGHT = Fraction(1, 2**230)  # 256-bit balls: relative slack of a few operations


def gamma(k: int) -> Fraction:
    return k * U / (1 - k * U)


def ends(x: arb) -> tuple[Fraction, Fraction]:
    def frac(v) -> Fraction:
        man, exp = v.man_exp()
        return Fraction(int(man)) * Fraction(2) ** int(exp)

    m, r = frac(x.mid()), frac(x.rad())
    return m - r, m + r


@pytest.mark.parametrize("diag", [[1.0, 2.0, 4.0], [0.5, 3.0, 3.0, 7.25, 0.125]])
def test_rump_is_the_stated_formula(diag):
    """shift - γ_{n+1}/(1 - γ_{n+1})·tr B - u·max b_ii - 4(n+1)(2(n+1) + max b_ii)·η with B =
    Ã - shift·I, at a shift of 2⁻¹⁰ (B's diagonal exact in float): the ball holds the exact
    value (a changed γ index moves it by ~1e-16, far outside a 256-bit ball) and is tight."""
    n = len(diag)
    shift = 2.0**-10
    mid = np.diag(diag) + np.full((n, n), 2.0**-8) - np.diag([2.0**-8] * n)
    b = [Fraction(d) - Fraction(shift) for d in diag]
    g = gamma(n + 1)
    big = max(abs(v) for v in b)
    terms = g / (1 - g) * sum(b) + U * big + 4 * (n + 1) * (2 * (n + 1) + big) * ETA
    want = Fraction(shift) - terms
    with prec_scope(256):
        lo, hi = ends(rump(mid, shift))
    assert lo <= want <= hi and hi - lo <= (abs(want) + terms) * TIGHT


def test_rump_keeps_the_underflow_term_at_subnormal_scale():
    """Ã = 2⁻¹⁰⁰⁰·I (n = 3), shift 0: γ_4/(1 - γ_4)·tr B ≈ 2⁻¹⁰⁴⁹, u·max b_ii = 2⁻¹⁰⁵³ and the
    underflow term 4·4·(8 + 2⁻¹⁰⁰⁰)·η ≈ 2⁻¹⁰⁶⁷ are all within 2¹⁸ of each other."""
    b = Fraction(2) ** -1000
    g = gamma(4)
    want = -(g / (1 - g) * 3 * b + U * b + 16 * (8 + b) * ETA)
    with prec_scope(256):
        lo, hi = ends(rump(np.eye(3) * 2.0**-1000, 0.0))
    assert lo <= want <= hi and hi - lo <= abs(want) * TIGHT


def test_rump_refuses_a_matrix_whose_cholesky_breaks_down():
    assert rump(np.array([[1.0, 2.0], [2.0, 1.0]]), 0.0) is None  # λ_min = -1
    assert rump(np.eye(3), 1.5) is None  # B = -0.5·I


@pytest.mark.parametrize("entries", [[0.5, 0.25, 3.0, 1.0], [2.0**-30] * 9])
def test_frobenius_is_the_root_of_the_widened_sum(entries):
    """(Σ r² (1 + γ_{k+1}))^½ for k entries: its square holds the exact value, tightly."""
    r = np.array(entries).reshape(-1, 1 if len(entries) % 2 else 2)
    k = r.size
    want = sum(Fraction(v) ** 2 for v in entries) * (1 + gamma(k + 1))
    with prec_scope(256):
        lo, hi = ends(frobenius(r))
    assert lo * lo <= want <= hi * hi and hi * hi - lo * lo <= want * TIGHT


@pytest.mark.parametrize("tail_hi", [0.0, 2.0**-40])
def test_rayleigh_is_the_stated_formula(tail_hi):
    """(vᵀÃv + γ(1 + γ)|v|ᵀ|Ã||v| + (1 + γ)|v|ᵀR|v| + (1 + γ)·tail_hi·vᵀv)/(vᵀv(1 - γ)),
    γ = γ_{2n+2}, for v with vᵀÃv = 0 exactly: every other term is the result."""
    mid = np.array([[1.0, 0.5, 0.0], [0.5, -1.0, 0.125], [0.0, 0.125, 0.0]])
    radius = np.full((3, 3), 2.0**-50)
    v = np.array([1.0, 1.0, -4.0])  # vᵀÃv = 1 + 2·0.5 - 1 - 8·0.125 = 0
    fv = [Fraction(x) for x in v]
    a = [[Fraction(x) for x in row] for row in mid]
    quad = sum(fv[i] * a[i][j] * fv[j] for i in range(3) for j in range(3))
    assert quad == 0
    habs = sum(abs(fv[i] * a[i][j] * fv[j]) for i in range(3) for j in range(3))
    rad = sum(abs(fv[i] * fv[j]) * Fraction(2.0**-50) for i in range(3) for j in range(3))
    vv = sum(x * x for x in fv)
    g = gamma(2 * 3 + 2)
    want = (g * (1 + g) * habs + (1 + g) * rad + (1 + g) * Fraction(tail_hi) * vv) / (vv * (1 - g))
    with prec_scope(256):
        lo, hi = ends(rayleigh(mid, radius, tail_hi, v))
    assert lo <= want <= hi and hi - lo <= want * TIGHT


@pytest.mark.parametrize("k", [0, 1, 2, 5, 13, 48])
def test_array_power_is_the_power_within_its_stated_rounding(k):
    """a^k by squaring within (1 ± 4k·u) of the exact power, for every entry."""
    a = np.array([0.5, 0.75, 0.9, 1.0, 0.0, 0.999])
    got = _array_power(a, k)
    for x, y in zip(a.tolist(), got.tolist()):
        want = Fraction(x) ** k
        assert abs(Fraction(y) - want) <= 4 * k * U * want, (x, k, y)


def _claims(mid, radius, tail_lo, tail_hi, lower: float, upper: float) -> dict[str, bool]:
    """The checker's verdicts on a λ_min claim [lower, upper] for G = Ã + E + T, |E| ≤ R,
    λ_min(T) ≥ tail_lo, ‖T‖ ≤ tail_hi, at the shift 1/2 and the vector e_1."""
    from types import SimpleNamespace

    from verify.certificate_file import array
    from verify.recheck import _spectrum

    c = {"shift": (0.5).hex(), "lower": lower.hex(), "upper": upper.hex()}
    c["vector"] = array(np.eye(len(mid))[0])
    run = SimpleNamespace(n=len(mid))
    return {r.claim: r.proved for r in _spectrum(run, c, "λ", mid, radius, tail_lo, tail_hi)}


def test_the_claimed_ends_are_checked_against_t_minus_r_plus_the_tail():
    """Ã = diag(1, 2, 3), R_ij = 2⁻²⁰ (‖R‖_F = 3·2⁻²⁰), tail_lo = 2⁻²², tail_hi = 2⁻²¹: the
    checker's lower end is Rump's t - ‖R‖_F + tail_lo and its upper end e_1ᵀ(Ã + R)e_1 +
    tail_hi plus roundoff. A claim half of ‖R‖_F (or of the tail) on the wrong side of either
    is NOT PROVED, one 1e-12 on the right side is PROVED: a sign of ‖R‖_F or of the tail
    flipped, or either dropped, fails."""
    mid = np.diag([1.0, 2.0, 3.0])
    radius = np.full((3, 3), 2.0**-20)
    frob, t_lo, t_hi = 3 * 2.0**-20, 2.0**-22, 2.0**-21
    b = [Fraction(d) - Fraction(1, 2) for d in (1, 2, 3)]
    g = gamma(4)
    rump_t = Fraction(1, 2) - g / (1 - g) * sum(b) - U * max(b) - 16 * (8 + max(b)) * ETA
    low = float(rump_t - Fraction(frob) + Fraction(t_lo))
    high = float(1 + Fraction(2.0**-20) + Fraction(t_hi))
    ok = _claims(mid, radius, t_lo, t_hi, low - 1e-12, high + 1e-12)
    assert ok["λ Cholesky"] and ok["λ ≥ lower end"] and ok["λ ≤ upper end"]
    assert not _claims(mid, radius, t_lo, t_hi, low + frob / 2, high + 1e-12)["λ ≥ lower end"]
    assert not _claims(mid, radius, t_lo, t_hi, low + t_lo / 2, high + 1e-12)["λ ≥ lower end"]
    assert not _claims(mid, radius, t_lo, t_hi, low - 1e-12, high - t_hi / 2)["λ ≤ upper end"]
    assert not _claims(mid, radius, t_lo, t_hi, low - 1e-12, high - 2.0**-21)["λ ≤ upper end"]
    assert _claims(mid, radius, 0.0, t_hi, low - t_lo - 1e-12, high + 1e-12)["λ ≥ lower end"]
    assert not _claims(mid, radius, 0.0, t_hi, low - t_lo / 2, high + 1e-12)["λ ≥ lower end"]
    # a claim inside the checker's own ball (not above its upper end, not below its lower end)
    with prec_scope(53):  # the same balls as _spectrum computes below: width ~u, a float inside
        high_ball = rayleigh(mid, radius, t_hi, np.eye(3)[0])
        low_ball = rump(mid, 0.5) - frobenius(radius) + arb(t_lo)
        for ball, end in ((high_ball, "λ ≤ upper end"), (low_ball, "λ ≥ lower end")):
            inside = float(ball.mid())
            assert ball.lower() < arb(inside) < ball.upper()  # the case: a ball of width > 0
            lo, hi = (low - 1e-12, inside) if end == "λ ≤ upper end" else (inside, high + 1e-12)
            assert not _claims(mid, radius, t_lo, t_hi, lo, hi)[end]
        # a claim exactly at the checker's end is proved (≥ and ≤, not > and <)
        at_lo, at_hi = float(low_ball.lower()), float(high_ball.upper())
        assert arb(at_lo) == low_ball.lower() and arb(at_hi) == high_ball.upper()
        assert _claims(mid, radius, t_lo, t_hi, at_lo, at_hi) == {
            "λ Cholesky": True,
            "λ ≥ lower end": True,
            "λ ≤ upper end": True,
        }
    broken = _claims(np.diag([1.0, 0.25, 3.0]), radius, t_lo, t_hi, 0.0, 2.0)  # t = 1/2 > λ_min
    assert broken == {"λ Cholesky": False}


def test_the_checker_builds_gaos_entries_from_j1_and_the_widening(monkeypatch):
    """check_gao's Ã and R (what it hands to Rump's test): Ã_ij the float nearest J₁(s̃_ij)/(2π)
    at s̃ clipped to [-1, 1] (a duplicate and an antipodal pair an ulp outside), R_ij ≥ the
    distance to it plus ½·4γ_{d+3} and no more than that plus Arb's rounding of radii (2⁻²⁸
    relative); the diagonal 1/2
    exactly with radius 0, both symmetric, no tail."""
    import mpmath

    import verify.recheck as rc

    x = np.random.default_rng(5).standard_normal((5, 4))
    run = rc.Run.__new__(rc.Run)
    seen = {}

    def capture(run_, c, name, mid, radius, tail_lo, tail_hi):
        seen.update(mid=mid, radius=radius, tails=(tail_lo, tail_hi), name=name)
        return []

    monkeypatch.setattr(rc, "_spectrum", capture)
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    s, s_err = u @ u.T, float((4 * rc._gamma(4 + 3)).upper())
    s[0, 1] = s[1, 0] = -1 - 2.0**-52  # float dot products an ulp outside [-1, 1]
    s[0, 2] = s[2, 0] = 1 + 2.0**-52
    monkeypatch.setattr(rc.Run, "unit", lambda self: (s, s_err))
    monkeypatch.setattr(rc.Run, "n", 5, raising=False)
    run.claims = {"gao_lambda0": {}}
    with prec_scope(128):
        rc.check_gao(run)
    mid, radius = seen["mid"], seen["radius"]
    assert seen["tails"] == (0.0, 0.0) and seen["name"] == "Gao λ_0"
    assert np.array_equal(mid, mid.T) and np.array_equal(radius, radius.T)
    assert np.all(np.diag(mid) == 0.5) and np.all(np.diag(radius) == 0.0)
    widen = mpmath.mpf(s_err) / 2
    with mpmath.workdps(60):
        for i in range(5):
            for j in range(i + 1, 5):
                z = mpmath.mpf(min(1.0, max(-1.0, float(s[i, j]))))
                entry = (mpmath.sqrt(1 - z * z) + (mpmath.pi - mpmath.acos(z)) * z) / (
                    2 * mpmath.pi
                )
                need = abs(entry - mpmath.mpf(float(mid[i, j]))) + widen
                assert need <= radius[i, j] <= need * (1 + mpmath.mpf(2) ** -28), (i, j)


def test_the_series_route_entries_and_tail_are_the_stated_formulas():
    """_series_entries on dyadic data where every float operation of the entries is exact:
    n = 2, ρ̃_01 = 1/2 with radius 0, three claimed μ_k² = 1/2, 1, 1/4 (exact balls), q* = 3/4,
    d = 4, σ_w² = 1/16. Then the tail mass is p = (q* - 2/d)/(2σ_w²) - Σ μ_k² = 1/4, the
    Horner value Ã_01 = 1/2 + 1/2 + 1/16 = 17/16, the entry bound R_01 = γ_6·Σ|μ_k²|(1 + γ_3)
    + 2u·Ã_01 (horner_err + slope·0 + 2u|Ã|), and the tail's Gershgorin sum
    max_i Σ_{j≠i} min(|ρ̃|+r, 1)³ = 1/8 widened by (1 + 12u)(1 + γ_{n+6}): T_lo = p(1 - sum)
    rounded down, T_hi = p(1 + sum) rounded up, each within a few units of roundoff."""
    from types import SimpleNamespace

    from verify.recheck import _series_entries

    run = SimpleNamespace(n=2, sigma_w2=1 / 16, d=4)
    rho = np.array([0.5])  # the pairs i < j: here (0, 1) alone
    r = 2.0**-10  # ρ̃_01's radius: R gains slope·r (slope Σ k μ_k² = 3/2) and the tail |ρ̃| + r
    rad = np.array([r])
    s = np.array([0.25])
    claimed = [arb(0.5), arb(1.0), arb(0.25)]
    with prec_scope(256):
        _, kap, radius, tail_lo, tail_hi = _series_entries(
            run, rho, rad, s, 0.0, arb(0.75), arb(0.25), claimed
        )
    assert kap[0, 1] == 17 / 16 and kap[0, 0] == 7 / 4  # Horner at ρ = 1/2 and at 1
    horner = gamma(6) * Fraction(7, 4) * (1 + gamma(3))
    want = horner + Fraction(3, 2) * Fraction(r) + 2 * U * Fraction(17, 16)
    # the float sum of the three terms widened by 4u: at or above the formula, within 8u
    assert want <= Fraction(radius[0, 1]) <= want * (1 + 8 * U)
    diag = horner + 2 * U * Fraction(7, 4)  # at ρ = 1: no radius of ρ̃, Horner's value 7/4
    assert diag <= Fraction(radius[0, 0]) <= diag * (1 + 8 * U) and radius[1, 1] == radius[0, 0]
    widened = (Fraction(1, 2) + Fraction(r)) ** 3 * (1 + 12 * U) * (1 + gamma(2 + 6))
    lo, hi = Fraction(1, 4) * (1 - widened), Fraction(1, 4) * (1 + widened)
    assert lo * (1 - 4 * U) <= Fraction(tail_lo) <= lo
    assert hi <= Fraction(tail_hi) <= hi * (1 + 4 * U)


def test_the_series_routes_tail_takes_the_largest_row_sum_of_the_whole_matrix():
    """n = 3, ρ̃ = 1/4, 1/8 (row 0) and 1/2 (1, 2), radii 0, N = 3 terms: the Gershgorin sums of
    the N-th powers are 1/64 + 1/512, 1/64 + 1/8 and 1/512 + 1/8; the tail bound uses the
    largest, 9/64 (row 1, which needs the entry below the diagonal), not the largest entry or
    an upper-triangle row sum (1/8)."""
    from types import SimpleNamespace

    from verify.recheck import _series_entries

    run = SimpleNamespace(n=3, sigma_w2=1 / 16, d=4)
    rho, zero = np.array([0.25, 0.125, 0.5]), np.zeros(3)
    claimed = [arb(0.5), arb(1.0), arb(0.25)]
    with prec_scope(256):
        *_, tail_lo, tail_hi = _series_entries(
            run, rho, zero, np.zeros(3), 0.0, arb(0.75), arb(0.25), claimed
        )
    widened = Fraction(9, 64) * (1 + 12 * U) * (1 + gamma(3 + 6))
    lo, hi = Fraction(1, 4) * (1 - widened), Fraction(1, 4) * (1 + widened)
    assert lo * (1 - 4 * U) <= Fraction(tail_lo) <= lo
    assert hi <= Fraction(tail_hi) <= hi * (1 + 4 * U)


def test_the_dual_routes_entries_are_the_closed_form_with_q_stars_radius():
    """_dual_entries for relu (c = b = 1), n = 3, d = 4, σ_w² = 1/16, q* = 3/4 ± 2⁻⁴⁰, radii
    2⁻³⁰: the diagonal is (q* - 2/d)/(2σ_w²) = 2 with radius 8·2⁻⁴⁰ (q*'s, carried); each
    Ã_ij is the float nearest κ(q*, ρ̃_ij) = q*(√(1 - ρ²) + (π - acos ρ)ρ)/(2π) (50-digit
    mpmath) and R_ij covers the distance to κ over q*'s ball plus the slope q*·m1 times the
    radius, and no more than twice that. The radii too small are counted as mpmath counts
    |h(ρ̃) - ρ̃|/(1 - c) > 2⁻³⁰: two, the pair (0, 1) being put at the map's fixed point."""
    from types import SimpleNamespace

    import mpmath
    import sympy as sp

    from verify.recheck import X, _dual_entries

    run = SimpleNamespace(
        n=3, d=4, sigma_w2=1 / 16, expr=sp.Max(0, X), family={"name": "relu", "c": "1", "b": "1"}
    )
    rho, rad, s = np.array([0.5, -0.25, 0.875]), np.full(3, 2.0**-30), np.array([0.4, -0.2, 0.8])
    with mpmath.workdps(50):  # pair (0, 1) at the map's fixed point: h(ρ̃) = ρ̃ to 1e-16
        half = mpmath.mpf(0.5)
        k01 = (mpmath.sqrt(1 - half**2) + (mpmath.pi - mpmath.acos(half)) * half) / (2 * mpmath.pi)
        s[0] = float(2 * (mpmath.mpf(0.75) * half - mpmath.mpf(0.75) * k01 / 8))
    big_q = arb(0.75, 2.0**-40)
    with prec_scope(128):
        res, mid, radius, t_lo, t_hi = _dual_entries(
            run, rho, rad, s, 0.0, big_q, arb(0.5), arb(0.5)
        )
    bad = 0
    assert (t_lo, t_hi) == (0.0, 0.0) and np.array_equal(mid, mid.T)
    assert np.array_equal(radius, radius.T)
    assert np.all(np.diag(mid) == 2.0)
    assert np.all(8 * 2.0**-40 <= np.diag(radius)) and np.all(np.diag(radius) <= 9 * 2.0**-40)
    slope = Fraction(0.75 + 2.0**-40) * Fraction(1, 2) * Fraction(2.0**-30)
    with mpmath.workdps(50):
        for p, ((i, j), r) in enumerate(zip([(0, 1), (0, 2), (1, 2)], rho.tolist())):
            r = mpmath.mpf(r)
            kap = (mpmath.sqrt(1 - r * r) + (mpmath.pi - mpmath.acos(r)) * r) / (2 * mpmath.pi)
            assert mid[i, j] == float(mpmath.mpf(0.75) * kap), (i, j)
            spread = max(
                abs(mpmath.mpf(q) * kap - mpmath.mpf(mid[i, j]))
                for q in (0.75 - 2.0**-40, 0.75 + 2.0**-40)
            )
            need = spread + mpmath.mpf(slope.numerator) / slope.denominator
            assert need <= radius[i, j] <= 2 * need, (i, j)
            h = (mpmath.mpf(1) / 8 * mpmath.mpf(0.75) * kap + mpmath.mpf(s[p]) / 2) / 0.75
            bad += abs(h - r) / (1 - mpmath.mpf(0.5)) > 2.0**-30  # Banach: the radius it needs
    assert res.detail == f"{bad} claimed radii too small" and bad == 2


@pytest.mark.parametrize("second", ["exact", "a radius", "a third"])
def test_the_series_routes_horner_bound_at_48_terms(second):
    """N = 48 coefficients 2^-k, the one for k = 1 exact, a ball 1/2 ± 2^-40, or 1/3 at 256 bits
    (not a float): R_01 = γ_96·fl(Σ|ã_k|)·(1 + γ_48) + Σ|a_k - ã_k| + 2u·|Ã_01| (ã_k the float
    midpoints; ρ̃ has no radius), within 8u above and Arb's 30-bit rounding of the radii. At
    N = 48 the factor 1 + γ_48 (5e-15) is larger than the float rounding of the sum, so dropping
    or inverting it shows; 1/3's distance to its float (1.9e-17) shows its sign."""
    from types import SimpleNamespace

    from verify.recheck import _series_entries

    run = SimpleNamespace(n=2, sigma_w2=1 / 16, d=4)
    with prec_scope(256):
        claimed = [arb(2.0**-k) for k in range(48)]
        claimed[1] = {"exact": arb(0.5), "a radius": arb(0.5, 2.0**-40), "a third": arb(1) / 3}[
            second
        ]
        _, kap, radius, *_ = _series_entries(
            run, np.array([0.5]), np.zeros(1), np.array([0.25]), 0.0, arb(40), arb(0.25), claimed
        )
    mids = [float(c.mid()) for c in claimed]
    total = Fraction(sum(abs(m) for m in mids))  # the float sum, as the checker forms it
    off = {
        "exact": 0,
        "a radius": Fraction(2.0**-40),
        "a third": Fraction(1, 3) - Fraction(mids[1]),
    }
    horner = gamma(96) * total * (1 + gamma(48)) + abs(off[second])
    want = horner + 2 * U * abs(Fraction(kap[0, 1]))
    got = Fraction(radius[0, 1])
    assert want <= got <= want * (1 + 8 * U) + abs(off[second]) / 2**26


#: (s_err, q*'s radius, the claimed μ_k², s_01): h = ρ̃_01 = 1/2 exactly in each but the last,
#: where h - ρ̃ = (2/3)·2^-20 dominates.
RADIUS_CASES = {
    "exact": (0.0, 0.0, (0.5, 1.0, 0.5), 15 / 32),
    "s error": (2.0**-40, 0.0, (0.5, 1.0, 0.5), 15 / 32),
    "q* radius": (0.0, 2.0**-40, (0.5, 1.0, 0.5), 15 / 32),
    "tail": (0.0, 0.0, (0.5, 1.0, 0.25), 31 / 64),
    "off the fixed point": (0.0, 0.0, (0.5, 1.0, 0.5), 15 / 32 + 2.0**-20),
}


@pytest.mark.parametrize("case", list(RADIUS_CASES))
def test_the_series_route_radius_test_is_its_stated_bound(case):
    """Where ρ̃ is the map's exact fixed point (h = ρ̃ = 1/2), or off it, the claimed radius must
    reach own = (|h - ρ̃|(1 + u) + num_err/q_lo + |num|·r_q/q_lo² + 2u|h|)/(1 - c)·(1 + 4u),
    num_err = w2(horner_err +
    p_hi|ρ̃|³(1 + 12u)) + wd·s_err + 4u(w2|Ã| + wd|s|): a radius 1e-6 below it is refused, 1e-6
    above accepted (the float evaluation's own roundings are ~1e-16 of it). Each case makes one
    more term count: the s error, q*'s radius, the tail mass p = 1/4."""
    from types import SimpleNamespace

    from verify.recheck import _down, _series_entries, _up

    s_err, q_rad, mu2, s01 = RADIUS_CASES[case]
    run = SimpleNamespace(n=2, sigma_w2=1 / 16, d=4)
    rho = np.array([0.5])  # the pairs i < j: here (0, 1) alone
    s = np.array([s01])
    claimed = [arb(m) for m in mu2]
    big_q = arb(0.75, q_rad) if q_rad else arb(0.75)
    w2, wd = Fraction(1, 8), Fraction(1, 2)
    kap = sum(Fraction(m) * Fraction(1, 2) ** k for k, m in enumerate(mu2))
    with prec_scope(256):  # p_hi = (q* - 2/d)/(2σ_w²) - Σ μ_k², q*'s radius included
        p = Fraction(_up((big_q - arb(0.5)) * 8 - sum(claimed, arb(0))))
    horner = gamma(6) * sum(Fraction(m) for m in mu2) * (1 + gamma(3))
    tail = p * Fraction(1, 8) * (1 + 12 * U)
    num = w2 * kap + wd * Fraction(s01)
    h = num / Fraction(3, 4)
    assert (h == Fraction(1, 2)) == (case != "off the fixed point")
    num_err = w2 * (horner + tail) + wd * Fraction(s_err) + 4 * U * (w2 * kap + wd * Fraction(s01))
    with prec_scope(256):
        q_lo, r_q = Fraction(_down(big_q)), Fraction(_up(abs(big_q - arb(0.75))))
    h_err = num_err / q_lo + num * r_q / q_lo**2 + 2 * U * h
    own = (abs(h - Fraction(1, 2)) * (1 + U) + h_err) / Fraction(3, 4) * (1 + 4 * U)

    def proved(radius: float) -> bool:
        rad = np.array([radius])
        with prec_scope(256):
            res, *_ = _series_entries(run, rho, rad, s, s_err, big_q, arb(0.25), claimed)
        return res.proved

    assert not proved(float(own * (1 - Fraction(1, 10**6))))
    assert proved(float(own * (1 + Fraction(1, 10**6))))
    if case == "tail":  # the tail dominates: its rounding allowance 1 + 12u shows at 4u
        assert not proved(float(own * (1 - 4 * U)))


def test_a_sums_growth_envelope_is_tight_at_x0_and_valid_beyond():
    """e = 2x·e^{-x} + 3x²·e^{-2x} on [16, ∞): each term's envelope is itself (a = 2, p = 1,
    β = -1 and a = 3, p = 2, β = -2), so the sum's a·x^p·e^{βx} (p = 2, β = -1: the largest
    of each) must equal e at x0 = 16, each term moved to the common type by the factor
    x0^{p_t - p}·e^{(β_t - β)x0} ≤ 1, and lie above e everywhere beyond (30-digit mpmath)."""
    import mpmath
    import sympy as sp
    from flint import arb

    from verify.recheck import X, _tail

    e = 2 * X * sp.exp(-X) + 3 * X**2 * sp.exp(-2 * X)
    t = _tail(e, arb(16))
    assert (t.p, t.beta) == (2, arb(-1))

    def env(x) -> arb:
        return t.a * arb(x) ** t.p * (t.beta * arb(x)).exp()

    with mpmath.workdps(30):
        f = lambda x: 2 * x * mpmath.exp(-x) + 3 * x**2 * mpmath.exp(-2 * x)  # noqa: E731
        at16 = f(mpmath.mpf(16))
        assert float(env(16).lower()) >= float(at16) * (1 - 1e-15)
        assert float(env(16).upper()) <= float(at16) * (1 + 1e-12)
        for x in (17, 20, 50, 300, 700):
            assert float(env(x).lower()) >= float(f(mpmath.mpf(x))) * (1 - 1e-15), x
    assert t.lo >= 0 and float(t.hi.upper()) >= float(at16)


SERIES_CASES = {
    "odd": [0.0, 0.375, 0.0, -0.25, 0.0, 0.0625, 0.0],
    "even": [0.5, 0.0, 0.25, 0.0, -0.125],
    "neither": [0.5, 0.25, 0.0, 0.125, 0.0, 2.0**-20],
    "odd, one term": [0.0, 0.75],
    "a single zero": [0.0],
    "even ones": [1.0, 0.5, 1.0, 0.25, 1.0],
    "every third even zero": [0.0, 0.25, 0.5, 0.0, 0.0, 0.125, 0.0],
    "every third odd zero": [0.5, 0.0, 0.25, 0.125, 0.0, 0.0],
    "zero": [0.0, 0.0, 0.0],
}


@pytest.mark.parametrize("case", list(SERIES_CASES))
def test_the_series_is_the_sum_within_its_rounding_bound(case):
    """_series(a, ρ) = Σ a_k ρ^k within γ_{2N}Σ|a_k| (the bound the radius R uses), on 2000
    random ρ in [-1, 1] and the ends, against exact rationals: for odd (ρ·p(ρ²)), even
    (p(ρ²)) and general coefficients; and exact where the data make every operation exact."""
    from verify.recheck import _series

    mids = SERIES_CASES[case]
    rho = np.concatenate([np.random.default_rng(3).uniform(-1, 1, 2000), [-1.0, 0.0, 1.0]])
    got = _series(mids, rho)
    bound = gamma(2 * len(mids)) * sum(abs(Fraction(m)) for m in mids)
    for r, g in zip(rho.tolist(), got.tolist()):
        exact = sum(Fraction(m) * Fraction(r) ** k for k, m in enumerate(mids))
        assert abs(Fraction(g) - exact) <= bound, (case, r)
    dyadic = np.array([0.5, -0.25, 1.0, -1.0])
    for r, g in zip(dyadic.tolist(), _series(mids, dyadic).tolist()):
        assert Fraction(g) == sum(Fraction(m) * Fraction(r) ** k for k, m in enumerate(mids))
