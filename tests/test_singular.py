"""Where φ is not smooth (symbolic.singular), certified roots (symbolic.roots) and the existence
range of the variance map's fixed point (symbolic.variance_range), each against an independent
computation written here: mpmath root finding and sign scans at 50 digits, and Gaussian moments
by mpmath quadrature."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb

from symbolic.activations import resolve
from symbolic.balls import ball_constant, prec_scope
from symbolic.formula import X, parse_formula
from symbolic.roots import RealRoot, isolate_roots
from symbolic.singular import singular_set
from symbolic.variance_range import exact_range, moment_polynomial


def _scan_sign_changes(g: sp.Expr, lo: float, hi: float, points: int) -> int:
    """Sign changes of g on an even grid at 50 digits, shifted off the simple numbers where a
    zero might sit (an independent count of its simple zeros in [lo, hi] when they are farther
    apart than the grid step)."""
    fn = sp.lambdify(X, g, "mpmath")
    with mpmath.workdps(50):
        step = (mpmath.mpf(hi) - lo) / (points - 1)
        values = [fn(lo + step * (i + mpmath.sqrt(2) / 7)) for i in range(points)]
    return sum(1 for a, b in itertools.pairwise(values) if a * b < 0)


ROOTS = [
    ("x - cos(x)", 1),
    ("exp(x) - 2 - x", 2),
    ("tanh(x) - x/2", 3),
    ("x*exp(-x**2) - 1/10", 2),
    ("sin(x) - x/100", 63),
    ("atan(x) - 1", 1),
]


@pytest.mark.parametrize("text, count", ROOTS, ids=[t for t, _ in ROOTS])
def test_every_real_zero_is_isolated_and_each_ball_holds_a_zero(text, count):
    """The number of zeros equals an independent sign scan (on a window the search proved holds
    them all), and each certified ball contains mpmath's 50-digit root of g."""
    g = parse_formula(text)
    found = isolate_roots(g)
    assert found.complete and len(found.roots) == count
    # step 0.1: the closest two zeros of these g are 0.58 apart (sin x = x/100 near x = 95.8,
    # where x/100 = 0.958 = sin(95.82 ± 0.29)), so the scan sees each zero
    assert _scan_sign_changes(g, -120, 120, 2401) == count
    fn = sp.lambdify(X, g, "mpmath")
    for r in found.roots:
        if not isinstance(r, RealRoot):
            assert abs(sp.N(g.subs(X, r), 50)) < 1e-40  # an exact root sympy proved
            continue
        lo, hi = r.bracket
        with mpmath.workdps(50):
            z = mpmath.findroot(
                fn, (mpmath.mpf(lo.p) / lo.q, mpmath.mpf(hi.p) / hi.q), solver="anderson"
            )
        with prec_scope(160):
            ball = ball_constant(r)
            assert ball.rad() < 2.0**-140  # refined to the working precision
            assert abs(float(ball.mid()) - float(z)) < 1e-15
            assert abs(ball.mid() - ball_constant(sp.Float(mpmath.nstr(z, 45), 45))).upper() < 1e-40


def test_a_multiple_zero_at_a_simple_number_is_proved_by_rolle():
    """x - sin x has a triple zero at 0: g' = 1 - cos x ≥ 0 cannot isolate it; g(0) = g'(0) =
    g''(0) = 0 and g''' = cos x > 0 near 0 does (Rolle)."""
    found = isolate_roots(parse_formula("x - sin(x)"))
    assert found.complete and found.roots == (0,)
    assert isolate_roots(parse_formula("x**3 - sin(x)**3")).roots == (0,)


def test_a_function_without_a_proof_of_its_tails_is_incomplete():
    """cos x has zeros at every π/2 + kπ: no finite window holds them all, so the isolation
    says it could not decide (the caller uses solveset's ImageSet instead)."""
    found = isolate_roots(parse_formula("cos(x)"))
    assert not found.complete and "one sign" in found.detail


def test_a_root_evaluates_in_sympy_mpmath_and_balls_alike():
    (root,) = isolate_roots(parse_formula("x - cos(x)")).roots
    with mpmath.workdps(40):
        ref = mpmath.findroot(lambda t: t - mpmath.cos(t), 0.7)
    assert abs(sp.N(root, 40) - sp.Float(mpmath.nstr(ref, 40), 40)) < 1e-38
    assert float(root) == pytest.approx(float(ref), rel=1e-15)
    assert root.free_symbols == set() and root.is_real and root.is_number


SETS = [
    ("sin", [], True),
    ("relu", [0], True),
    ("abs(x - 3) + Heaviside(x + 2)", [-2, 3], True),
    ("1/(x**2 - 4)", [-2, 2], True),
    ("log(abs(x - 1))", [1], True),
    ("(x**2)**(1/3)", [0], True),
    ("tan(x)", None, False),  # infinitely many poles
    ("abs(sin(x))", None, False),
    ("Max(x, 2*x - 300)", [300], True),
]


@pytest.mark.parametrize("text, points, finite", SETS, ids=[t for t, _, _ in SETS])
def test_candidate_singular_points_on_the_whole_line(text, points, finite):
    s = singular_set(resolve(text).expr)
    assert s.complete and s.finite == finite
    if points is not None:
        assert [float(p) for p in s.points] == pytest.approx(points)
    else:  # the window's points: π/2 + kπ or kπ inside ±200, exactly
        assert len(s.points) > 100 and all(abs(float(p)) <= 200 for p in s.points)


def test_a_root_without_closed_form_is_a_breakpoint_of_the_pieces():
    act = resolve("abs(x - cos(x))")
    (kink,) = act.singular.points
    assert isinstance(kink, RealRoot)
    left, right = act.pieces
    assert left.hi == kink and right.lo == kink
    assert sp.simplify(left.expr + right.expr) == 0  # the two branches of |x - cos x|


# --- the existence range of the variance map's fixed point ---------------------------------------

RANGES = [
    # (φ, d, the exact sup of h(q) = (q - 2/d)/(2E[φ(√q Z)²]) derived by hand)
    ("x**2", 4, sp.Rational(1, 12)),  # E = 3q², max at q = 1
    ("x**3", 4, sp.Rational(8, 405)),  # E = 15q³, max at q = 3/4
    ("x", 4, sp.Rational(1, 2)),  # E = q: h → 1/2 as q → ∞, never attained
    ("(x + 1)**3 - x**3 - 1", 4, sp.Rational(2, 9) - sp.sqrt(15) / 18),
]


@pytest.mark.parametrize("text, d, sup", RANGES, ids=[t for t, _, _ in RANGES])
def test_the_existence_range_of_a_polynomial_is_exact(text, d, sup):
    """The exact supremum against the hand derivation, and against h maximised on a grid with
    E[φ(√qZ)²] by mpmath quadrature (an independent route: the grid value is ≤ the sup and
    within the grid's resolution of it)."""
    act = resolve(text)
    r = exact_range(act, d)
    assert r is not None and sp.simplify(r.exact - sup) == 0
    assert r.attained == (text != "x")
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)  # exact for degree < 120
    phi = sp.lambdify(X, act.expr, "numpy")
    qs = 2 / d + np.geomspace(1e-3, 1e4, 8000)
    m2 = np.array([weights @ phi(np.sqrt(q) * nodes) ** 2 for q in qs]) / np.sqrt(2 * np.pi)
    best = float(np.max((qs - 2 / d) / (2 * m2)))
    assert best <= float(sup) * (1 + 1e-12)
    assert best >= float(sup) * 0.999
    assert (
        r.has_fixed_point(float(sup) * 0.99) is True
        and r.has_fixed_point(float(sup) * 1.01) is False
    )


def test_the_moment_polynomial_is_exact():
    act = resolve("x**2 + x")
    q = sp.Symbol("q", positive=True)
    assert sp.expand(moment_polynomial(act) - (3 * q**2 + q)) == 0  # E[(qZ² + √qZ)²]
    assert moment_polynomial(resolve("tanh")) is None


def test_a_ball_constant_is_the_exact_number_and_text_is_never_parsed():
    """ball_constant takes sympy numbers, ints and floats exactly (a float's binary value, not a
    decimal near it); a string is refused, never handed to sympify."""

    assert ball_constant(0.1) == arb(0.1) and ball_constant(3) == arb(3)
    third = ball_constant(sp.Rational(1, 3))
    assert third.contains(arb(1) / 3) and third.rad() < 1e-15
    for text in ("1 + 1", "__import__('os')"):
        with pytest.raises(TypeError):
            ball_constant(text)
