"""φ ∈ L²(N(0, q))? (symbolic.l2) — each decision held against the integral itself, computed here
by mpmath quadrature: where the tool says "inside", the tail integrals shrink; where it says
"outside", they grow without bound."""

from __future__ import annotations

import math

import mpmath
import pytest

from symbolic.activations import resolve
from symbolic.l2 import square_integrable


def _gauss_mass(formula: str, q: float, a: float, b: float) -> float:
    """∫_a^b φ(x)² e^{-x²/(2q)} dx / √(2πq) at 30 digits."""
    fn = resolve(formula).mp_fn
    with mpmath.workdps(30):
        f = lambda x: fn(x) ** 2 * mpmath.exp(-(x**2) / (2 * q))  # noqa: E731
        return float(mpmath.quad(f, [a, (a + b) / 2, b]) / mpmath.sqrt(2 * mpmath.pi * q))


def test_gaussian_growth_is_inside_exactly_below_its_critical_variance():
    """exp(x²/8): φ²e^{-x²/2q} = e^{x²(1/4 - 1/(2q))}, integrable exactly for q < 2."""
    l2 = square_integrable(resolve("exp(x**2/8)"))
    assert l2.member is True and l2.q_max == pytest.approx(2.0)
    assert l2.at(1.9) is True and l2.at(2.1) is False and l2.at(2.0) is None
    # the integral over [R, 2R]: shrinking below q = 2, growing above
    inside = [_gauss_mass("exp(x**2/8)", 1.9, r, 2 * r) for r in (10, 20, 40)]
    outside = [_gauss_mass("exp(x**2/8)", 2.1, r, 2 * r) for r in (10, 20, 40)]
    assert inside[0] > inside[1] > inside[2] and inside[2] < 1e-3
    assert outside[0] < outside[1] < outside[2] and outside[2] > 1e3


def test_an_oscillating_gaussian_growth_is_inside_below_and_undecided_above():
    """sin(x)e^{x²/4}: inside for q < 1; above, φ² vanishes at every kπ, so only an undecided
    verdict is claimed there (sympy's limit cannot be trusted through the zeros)."""
    l2 = square_integrable(resolve("sin(x)*exp(x**2/4)"))
    assert l2.at(0.9) is True and l2.at(1.2) is None
    assert _gauss_mass("sin(x)*exp(x**2/4)", 0.9, 40, 80) < 1e-20


@pytest.mark.parametrize(
    "formula, where",
    [("1/x", 0.0), ("tan(x)", math.pi / 2), ("abs(x)**(-1/2)", 0.0), ("1/(x - sin(x))", 0.0)],
)
def test_non_square_integrable_singularities_are_refuted(formula, where):
    """φ²|x - a| does not vanish at a: ∫ over [a + ε, a + 1] grows like log(1/ε) or faster."""
    l2 = square_integrable(resolve(formula))
    assert l2.member is False and "not square-integrable" in l2.reason
    masses = [_gauss_mass(formula, 1.0, where + 10.0**-k, where + 0.5) for k in (2, 4, 6)]
    assert masses[0] < masses[1] < masses[2] and masses[2] - masses[1] > 1.0


@pytest.mark.parametrize("formula", ["log(abs(x))", "abs(x)**(-1/4)", "log(abs(x - 1))"])
def test_square_integrable_singularities_are_inside(formula):
    """log|x| and |x|^(-1/4) blow up but φ² is integrable: the mass near the point converges."""
    l2 = square_integrable(resolve(formula))
    assert l2.member is True and l2.at(1.0) is True
    where = 1.0 if "x - 1" in formula else 0.0
    masses = [_gauss_mass(formula, 1.0, where + 10.0**-k, where + 0.5) for k in (4, 8, 12)]
    assert abs(masses[2] - masses[1]) < 1e-3


def test_faster_than_every_gaussian_is_outside_at_every_variance():
    l2 = square_integrable(resolve("exp(x**3)"))
    assert l2.member is False and l2.at(1e-3) is False
    # at q = 0.01 the integrand e^{2x³ - 50x²} turns up past x = 50/3 and explodes
    with mpmath.workdps(30):
        f = lambda x: mpmath.exp(2 * x**3 - 50 * x**2)  # noqa: E731
        assert mpmath.log(mpmath.quad(f, [26, 27])) > 200
        assert mpmath.quad(f, [28, 29]) > mpmath.quad(f, [26, 27])


BOUNDED = ["atan(tan(x))", "sin(1/x)", "tanh(x) + sign(x)", "exp(-x**2)*sin(exp(x**2))"]


@pytest.mark.parametrize("formula", BOUNDED)
def test_bounded_functions_are_inside_whatever_their_singularities(formula):
    """A φ bounded on ℝ is in every L²(N(0, q)) at once (interval arithmetic over the whole
    line sees it for atan(tan x) and sin(1/x), whose pieces could never be cleared one by one)."""
    l2 = square_integrable(resolve(formula))
    assert l2.member is True and math.isinf(l2.q_max)
