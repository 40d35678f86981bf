"""The two scalar formulas of the λ_min certificate (numeric.positive_definite) against their
statements recomputed here in exact rationals (an independent evaluation of Rump's and the
Rayleigh bound as the module docstring states them).

Each case is built so that every term matters at the float resolution of the result: a shift
equal (to rounding) to the sum of the subtracted terms leaves a result ~1e-30, whose ulp is
~1e-46, so a changed γ_k, a dropped u·max|b_ii| or a changed underflow term moves it by far
more than the ball arithmetic's own slack. Asserted: the returned float is on the safe side of
the exact value (soundness) and within that slack of it (a conservative mutant fails too)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from numeric.positive_definite import rayleigh_bound, rump_bound

U = Fraction(1, 2**53)
ETA = Fraction(1, 2**1074)


def gamma(k: int) -> Fraction:
    return k * U / (1 - k * U)


def rump_exact(diag: list[float], shift: float) -> Fraction:
    """s - γ_{n+1}/(1 - γ_{n+1})·tr B - u·max|b_ii| - 4(n+1)(2(n+1) + max b_ii)·η."""
    n = len(diag)
    g = gamma(n + 1)
    big = max(abs(Fraction(d)) for d in diag)
    trace = sum(Fraction(d) for d in diag)
    return Fraction(shift) - g / (1 - g) * trace - U * big - 4 * (n + 1) * (2 * (n + 1) + big) * ETA


def slack(*magnitudes: Fraction) -> Fraction:
    """What 53-bit ball arithmetic may lose on a few operations of these magnitudes."""
    return 64 * U * sum(abs(m) for m in magnitudes)


@pytest.mark.parametrize("diag", [[1.0, 2.0, 4.0], [0.5, 3.0, 3.0, 7.25, 1e-3], [2.0] * 9])
def test_rump_bound_is_the_stated_formula_rounded_down(diag):
    n = len(diag)
    subtracted = rump_exact(diag, 0.0)  # -(the terms)
    shift = float(-subtracted)  # nearest float: the result is the rounding of the terms, ~1e-31
    exact = rump_exact(diag, shift)
    got = Fraction(rump_bound(torch.tensor(diag, dtype=torch.float64), shift))
    assert got <= exact  # never above the proved value
    assert exact - got <= slack(Fraction(shift), subtracted) + (abs(exact) / 2**50), (
        n,
        got,
        exact,
    )


def test_the_underflow_term_is_exact_at_subnormal_scale():
    """B = 0 (n = 3) and s = 0: the bound is -4·4·(8 + 0)·η = -128η exactly, a subnormal."""
    got = rump_bound(torch.zeros(3, dtype=torch.float64), 0.0)
    assert Fraction(got) == -128 * ETA


SUM_MARGIN = Fraction(1 + 1e-5)  # the float the module multiplies its float sums by


def rayleigh_exact(mid, radius, tail_hi: float, v) -> Fraction:
    """(vᵀÃv + (4γ_{n+1}|v|ᵀ|Ã||v| + |v|ᵀR|v| + tail_hi·vᵀv)·margin) / (vᵀv·(1 - 2nu)) from
    the exact entries: the bound as stated, when every float sum is exact."""
    n = len(v)
    fv = [Fraction(x) for x in v]
    a = [[Fraction(x) for x in row] for row in mid]
    r = [[Fraction(x) for x in row] for row in radius]
    quad = sum(fv[i] * a[i][j] * fv[j] for i in range(n) for j in range(n))
    habs = sum(abs(fv[i]) * abs(a[i][j]) * abs(fv[j]) for i in range(n) for j in range(n))
    rad = sum(abs(fv[i]) * r[i][j] * abs(fv[j]) for i in range(n) for j in range(n))
    vv = sum(x * x for x in fv)
    terms = 4 * gamma(n + 1) * habs + rad + Fraction(tail_hi) * vv
    return (quad + terms * SUM_MARGIN) / (vv * (1 - 2 * n * U))


@pytest.mark.parametrize("tail_hi", [0.0, 2.0**-20])
def test_rayleigh_bound_is_the_stated_formula_rounded_up(tail_hi):
    """Integer Ã, dyadic v and R: every float sum of the module is exact, and 256-bit balls
    leave only the final rounding up, so the result is the exact formula to one ulp. A changed
    γ, ‖v‖² factor or margin moves it by many ulps."""
    from symbolic.balls import prec_scope

    n = 6
    mid = torch.tensor(
        [[(3 * i + 5 * j) % 7 + (9 if i == j else 1) for j in range(n)] for i in range(n)],
        dtype=torch.float64,
    )
    mid = mid + mid.T  # symmetric, positive entries
    radius = torch.full((n, n), 2.0**-30, dtype=torch.float64)
    v = torch.tensor([0.5, -0.25, 0.75, 1.0, -0.5, 0.125], dtype=torch.float64)
    exact = rayleigh_exact(mid.tolist(), radius.tolist(), tail_hi, v.tolist())
    with prec_scope(256):
        got = Fraction(
            rayleigh_bound([(0, 3, mid[:3], radius[:3]), (3, n, mid[3:], radius[3:])], tail_hi, v)
        )
    assert exact <= got <= exact * (1 + Fraction(1, 2**51))


def _exact(x) -> Fraction:
    """An exact arb (a midpoint or a radius) as a Fraction."""
    man, exp = x.man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


@pytest.mark.parametrize("sum_sq, entries", [(1.0, 10), (3.75, 1000), (2.0**-40, 7)])
def test_frobenius_ball_holds_every_value_the_rounding_model_allows_and_no_more(sum_sq, entries):
    """‖W‖_F² from a float sum of k squares lies within γ_{k+1}·sum_sq of it: the ball must
    contain both ends exactly, and its radius must not exceed that by more than Arb's rounding
    of radii (2⁻²⁸ relative) and of its midpoint."""
    from numeric.operator_norm import frobenius_upper

    ball = frobenius_upper(sum_sq, entries)
    mid, rad = _exact(ball.mid()), _exact(ball.rad())
    reach = Fraction(sum_sq) * gamma(entries + 1)
    assert mid - rad <= Fraction(sum_sq) - reach and mid + rad >= Fraction(sum_sq) + reach
    assert rad <= reach * (1 + Fraction(1, 2**28)) + abs(mid - Fraction(sum_sq))


@pytest.mark.parametrize("shape", [(7, 3), (3, 7)])
def test_the_rounding_slack_uses_the_length_of_the_inner_products(shape, monkeypatch):
    """fl(WᵀW) for W r×m (r ≥ m after the transposition to the shorter side) sums r products per
    entry: its error is within γ_r·‖W‖_F², so the bound must be told r, the longer side (a
    smaller γ would understate the slack: invisible in a result, so checked where it is passed)."""
    import numeric.operator_norm as on

    seen = []
    real = on.gram_norm_bound
    monkeypatch.setattr(
        on, "gram_norm_bound", lambda g, f2, inner: seen.append(inner) or real(g, f2, inner)
    )
    w = torch.arange(1.0, 22.0, dtype=torch.float64).reshape(shape)
    bound = on.spectral_norm_bound(w)
    assert seen == [max(shape)]
    assert bound.upper >= float(torch.linalg.matrix_norm(w, 2))
