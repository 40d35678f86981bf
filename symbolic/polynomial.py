"""Is φ a polynomial? The fact behind the hypothesis "infinitely many nonzero μ_n" (theory §5).

φ ∈ L²(N(0,1)) has finitely many nonzero Hermite coefficients exactly when it equals a
polynomial almost everywhere. Proof of non-polynomiality from the behaviour at ±∞: a polynomial
has limits in the extended reals at both ends, related by its degree's parity, and a polynomial
with a finite limit is constant. A closed form in n that is nonzero for every k is a second
certificate. The verdict is decided in ``verify.verdicts``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function, prec_scope
from symbolic.errors import SYMPY_GIVE_UPS, SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.hermite import HermiteCoefficients, parity
from symbolic.tail_intervals import INF, NEG_INF, Interval, evaluate
from symbolic.timelimit import run_with_limit, seconds

#: Time for simplifying φ's two end pieces, in symbolic steps (symbolic.timelimit.seconds:
#: a multiple of the one --time-limit setting).
ENDS_STEPS = 2.0


MAX_POLY_DEGREE = 16  #: leading powers tried; faster growth leaves the test undecided


@dataclass(frozen=True)
class PolynomialFact:
    """Whether φ is a polynomial (None: undecided), why, its degree, and which μ_n are nonzero.

    ``closed_form`` is the closed form of μ_n in n when it is proved nonzero for every k.
    """

    is_polynomial: bool | None
    reason: str
    degree: int | None
    pattern: str
    closed_form: str | None


def polynomial_fact(act: Activation, coeffs: HermiteCoefficients | None) -> PolynomialFact:
    """The polynomial test of φ, with the nonzero pattern (``coeffs``: numeric evidence used only
    to list the nonzero indices of a polynomial and the constant term of an odd+const φ)."""
    try:
        is_poly, why, degree = polynomial_test(act)
    except SymbolicTimeout as exc:
        is_poly, why, degree = None, str(exc), None
    except SYMPY_GIVE_UPS as exc:  # sympy's limit gave up
        is_poly, why, degree = None, f"sympy could not take a limit ({type(exc).__name__})", None
    closed = None
    if act.hermite_closed_form is not None and act.hermite_closed_form.nonzero_forever():
        closed = act.hermite_closed_form.display()
    return PolynomialFact(is_poly, why, degree, nonzero_pattern(act, coeffs, degree), closed)


def _lim(e: sp.Expr, point: sp.Expr) -> sp.Expr:
    return run_with_limit(lambda: sp.limit(e, X, point), seconds(1), "limit at ±∞")


def _test_points(e: sp.Expr) -> list[sp.Rational]:
    """A few generic points, and points at the formula's own constants (a bump at x = 1000 is
    zero to 10^-400000 everywhere near the origin)."""
    base = [sp.Rational(t) for t in ("0.37", "-1.3", "2.9")]
    shifts = sorted({abs(c) for c in e.atoms(sp.Rational) if 0 < abs(c) <= 10**6}, reverse=True)
    for c in shifts[:4]:
        base += [c + sp.Rational(37, 100), -c - sp.Rational(37, 100)]
    return base


def _identically_zero(e: sp.Expr) -> tuple[bool | None, str]:
    """True when sympy simplifies ``e`` to 0, False when a value is proved nonzero (a ball that
    excludes 0, evaluated in Arb), else None (vanishing at a few points proves nothing)."""
    try:
        if run_with_limit(lambda: sp.simplify(e), seconds(1), "simplify") == 0:
            return True, "simplifies to 0"
    except SymbolicTimeout:
        pass
    with prec_scope(256):
        for t in _test_points(e):
            try:
                v = ball_constant(e.subs(X, t))
            except (VerifyError, ZeroDivisionError, ValueError):
                continue
            if v.is_finite() and (v > 0 or v < 0):
                return (
                    False,
                    f"takes the value {sp.N(e.subs(X, t), 6)} at x = {t} (ball arithmetic)",
                )
    return None, "vanishes at the test points, but sympy cannot simplify it to 0"


def _bounded_and_varying(act: Activation) -> str | None:
    """Why φ is no polynomial because it is bounded on ℝ (interval arithmetic over the whole
    line) and takes two different values (ball arithmetic): a bounded polynomial is constant."""
    try:
        r = evaluate(act.expr, Interval(NEG_INF, INF))
    except (VerifyError, ZeroDivisionError, ValueError, TypeError):
        return None
    if not (r.lo.is_finite() and r.hi.is_finite()):
        return None
    with prec_scope(128):
        values = []
        for t in _test_points(act.expr)[:3]:
            try:
                values.append((t, ball_function(act.expr)(ball_constant(t), False)))
            except (VerifyError, ZeroDivisionError, ValueError):
                continue
        for (s, a), (t, b) in itertools.combinations(values, 2):
            if a.is_finite() and b.is_finite() and not a.overlaps(b):
                return (
                    f"φ is bounded on ℝ (interval arithmetic: within [{float(r.lo):.4g}, "
                    f"{float(r.hi):.4g}]) and φ({s}) ≠ φ({t}): a bounded polynomial is constant, "
                    "so φ is no polynomial"
                )
    return None


def _pieces_test(act: Activation) -> tuple[bool | None, str, int | None] | None:
    """Decide from the pieces when every piece is a polynomial: φ is a polynomial a.e. iff all
    pieces are the same polynomial (a polynomial equal to p_i on an interval is p_i). None when
    φ has one piece, its kinks are not all known, or a piece is not a polynomial."""
    if not act.kinks_finite or len(act.pieces) < 2:
        return None
    polys = []
    for p in act.pieces:
        e = run_with_limit(lambda e=p.expr: sp.expand(sp.simplify(e)), seconds(1), "simplify")
        if not e.is_polynomial(X):
            return None
        polys.append((p, e))
    for (p, a), (q, b) in itertools.pairwise(polys):
        if sp.expand(a - b) != 0:
            return (
                False,
                f"φ = {a} on ({p.lo}, {p.hi}) and {b} on ({q.lo}, {q.hi}): two different "
                "polynomials on intervals, so φ is no polynomial",
                None,
            )
    degree = int(sp.degree(polys[0][1], X)) if polys[0][1] != 0 else 0
    return True, f"every piece is the polynomial {polys[0][1]}", degree


def polynomial_test(act: Activation) -> tuple[bool | None, str, int | None]:
    """(is φ a polynomial?, reason, degree if polynomial); None when undecided.

    Limits are taken on the end pieces (what φ equals near ±∞). The leading term c·x^k is peeled
    off at +∞ and compared with -∞ until the rest has finite limits; then the rest must be
    constant on the whole line.
    """
    by_pieces = _pieces_test(act)
    if by_pieces is not None:
        return by_pieces
    bounded = _bounded_and_varying(act)
    if bounded:
        return False, bounded, None
    ends = (act.pieces[-1].expr, act.pieces[0].expr) if act.kinks_finite else (act.expr, act.expr)
    simple = run_with_limit(lambda: [sp.simplify(e) for e in ends], seconds(ENDS_STEPS), "simplify")
    r, rp, rm, degree = act.expr, simple[0], simple[1], None
    for _ in range(MAX_POLY_DEGREE + 2):
        lp, lm = _lim(rp, sp.oo), _lim(rm, -sp.oo)
        if any(isinstance(v, sp.AccumBounds) or v.has(sp.nan) for v in (lp, lm)):
            # sympy's accumulation bounds over-approximate; only a periodic, non-constant end
            # piece is proved to have no limit.
            end = rp if isinstance(lp, sp.AccumBounds) or lp.has(sp.nan) else rm
            period = run_with_limit(lambda e=end: sp.periodicity(e, X), seconds(1), "periodicity")
            if period is None or _identically_zero(end - end.subs(X, 0))[0] is not False:
                return (
                    None,
                    f"sympy finds no limit of {r} at ±∞ but cannot prove it oscillates",
                    None,
                )
            return (
                False,
                f"{r} is periodic (period {period}) and not constant near ±∞: not a polynomial",
                None,
            )
        fp, fm = lp.is_finite, lm.is_finite
        if fp and fm:
            if sp.simplify(lp - lm) != 0:
                return False, f"{r} tends to {lp} at +∞ and {lm} at -∞; a polynomial cannot", None
            zero, why = _identically_zero(r - lp)
            if zero:
                deg = max(degree if degree is not None else 0, 0)
                return True, f"φ is a polynomial of degree {deg}", deg
            if zero is None:
                return None, f"{r} tends to {lp} at both ends; constant? {why}", None
            return False, f"{r} tends to {lp} at both ends but is not constant ({why})", None
        if fp != fm:
            return (
                False,
                f"{r} is finite at one end and infinite at the other; a polynomial cannot",
                None,
            )
        for k in range(1, MAX_POLY_DEGREE + 1):
            c = _lim(rp / X**k, sp.oo)
            if isinstance(c, sp.AccumBounds):
                return None, f"{r}/x^{k} has no limit sympy can name at +∞", None
            if c.is_finite:
                break
        else:
            if _lim(sp.log(1 + rp**2) / sp.log(1 + X**2), sp.oo) == sp.oo:
                return False, f"{r} grows faster than every power of x at +∞: no polynomial", None
            return None, f"{r} grows faster than x^{MAX_POLY_DEGREE}", None
        cm = _lim(rm / X**k, -sp.oo)
        if isinstance(cm, sp.AccumBounds):
            return None, f"{r}/x^{k} has no limit sympy can name at -∞", None
        if c == 0 or sp.simplify(c - cm) != 0:
            return False, f"{r}/x^{k} tends to {c} at +∞ and {cm} at -∞; a polynomial cannot", None
        degree = k if degree is None else degree
        r, rp, rm = (sp.simplify(e - c * X**k) for e in (r, rp, rm))
    return None, "too many polynomial terms", None


def nonzero_pattern(
    act: Activation, coeffs: HermiteCoefficients | None, poly_degree: int | None
) -> str:
    """Which μ_n are nonzero: from the closed form, the parity proof, or the degree."""
    if poly_degree is not None and coeffs is None:
        return f"finite: n <= {poly_degree}"
    if poly_degree is not None:
        nz = [
            n
            for n, v in enumerate(coeffs.as_floats()[: poly_degree + 1])
            if abs(v) > 10 * coeffs.error
        ]
        return f"finite: n in {nz}"
    if act.hermite_closed_form is not None:
        return act.hermite_closed_form.pattern()
    kind = parity(act)
    if kind == "odd":
        return "odd n"
    if kind == "even":
        return "even n"
    if kind == "odd+const":
        if coeffs is None or abs(coeffs.values[0]) > 10 * coeffs.error:
            return "n = 0, odd n"
        return "odd n"
    if kind == "even+linear":
        return "n = 1, even n"
    return "all n (no parity)"
