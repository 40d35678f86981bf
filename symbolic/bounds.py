"""Suprema of |φ^{(k)}| on the real line: proved by sympy where possible, else measured.

For each smooth piece (lo, hi) of φ^{(k)}: real poles inside the piece, the limits at both ends
(one-sided at kinks, at ±∞ otherwise) and the values at the critical points (solveset; for a
periodic piece on the whole line, one period). A continuous function on an interval with finite
end limits is bounded, and its supremum is the largest of those numbers. A jump of φ^{(j)} at a
kink (j < k) puts a Dirac mass in φ^{(j+1)}, so φ^{(k)} is then not a bounded function.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.singularities import singularities

from symbolic.activations import Activation
from symbolic.errors import SymbolicTimeout
from symbolic.formula import X
from symbolic.timelimit import run_with_limit

_STEP_LIMIT = 4.0  #: seconds for one sympy call


@dataclass(frozen=True)
class SupBound:
    """sup |φ^{(k)}|: ``bounded`` True (proved), False (refuted) or None (unknown)."""

    k: int
    bounded: bool | None
    value: float  # the supremum (math.inf when refuted); numeric estimate when not exact
    exact: sp.Expr | None  # proved exact value, when found
    method: str
    detail: str
    numeric: float  # the numeric cross-check's estimate (numeric.sup.grid_sup)


def _limit(g: sp.Expr, point: sp.Expr, direction: str) -> sp.Expr:
    return run_with_limit(lambda: sp.limit(g, X, point, direction), _STEP_LIMIT, f"limit of {g}")


def _magnitude(v: sp.Expr) -> tuple[float, sp.Expr | None]:
    """(|v| as float, exact |v| or None for accumulation bounds)."""
    if isinstance(v, sp.AccumBounds):
        return max(abs(float(v.min)), abs(float(v.max))), None
    return abs(float(sp.N(v, 30))), sp.Abs(v)


def _infinite(v: sp.Expr) -> bool:
    if isinstance(v, sp.AccumBounds):
        return not (v.min.is_finite and v.max.is_finite)
    return v.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or v.is_finite is False


class _Undecided(Exception):
    """A symbolic step that could neither prove nor refute."""


def _jump(act: Activation, k: int) -> str | None:
    """Where some φ^{(j)}, j < k, jumps at a kink (a Dirac mass in φ^{(j+1)}), else None.

    φ itself is continuous when it has no Heaviside or sign (Max, Min, Abs of continuous
    functions are continuous). A jump is reported only when its size is nonzero at 50 digits;
    a gap that is numerically zero but not proved zero makes the check undecided."""
    for j in range(k):
        if j == 0 and not act.expr.has(sp.Heaviside, sp.sign):
            continue
        pieces = act.derivative_expr(j)
        for left, right in itertools.pairwise(pieces):
            b = left.hi
            a, c = _limit(left.expr, b, "-"), _limit(right.expr, b, "+")
            gap = sp.simplify(a - c)
            if gap == 0:
                continue
            if abs(sp.N(gap, 50)) < 1e-40:
                raise _Undecided(f"continuity of φ^({j}) at x = {b} not proved (gap < 1e-40)")
            name, nxt = "φ" + "'" * j, "φ" + "'" * (j + 1)
            return f"{name} jumps at x = {b} (from {a} to {c}): {nxt} has a Dirac mass there"
    return None


def _piece_sup(g: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> tuple[bool | None, list, bool, str]:
    """(bounded?, candidate values, critical points found exactly?, note) for one piece."""
    interval = sp.Interval.open(lo, hi)
    sing = run_with_limit(lambda: singularities(g, X, interval), _STEP_LIMIT, "poles")
    if sing != sp.S.EmptySet:
        while isinstance(sing, sp.Union):
            sing = sing.args[0]
        s = next(iter(sing)) if isinstance(sing, (sp.FiniteSet, sp.ImageSet)) else None
        if s is not None and _infinite(_limit(g, s, "+")):
            return False, [], False, f"pole at x = {s}"
        return None, [], False, f"singular set {sing}"
    ends = []
    if lo == -sp.oo:
        ends.append(_limit(g, -sp.oo, "+"))
    else:
        ends.append(_limit(g, lo, "+"))
    ends.append(_limit(g, hi, "-") if hi != sp.oo else _limit(g, sp.oo, "-"))
    for v, where in zip(ends, (lo, hi)):
        if _infinite(v):
            return False, [], False, f"unbounded, → ±∞ as x → {where}"
    dg = sp.diff(g, X)
    if sp.simplify(dg) == 0:
        return True, [*ends, g], True, "constant"
    domain = interval
    if lo == -sp.oo and hi == sp.oo:
        period = run_with_limit(lambda: sp.periodicity(g, X), _STEP_LIMIT, "periodicity")
        if period is not None:
            domain = sp.Interval(0, period)
    try:
        crit = run_with_limit(lambda: sp.solveset(dg, X, domain), _STEP_LIMIT, "critical points")
    except SymbolicTimeout:
        crit = None
    if crit == sp.S.EmptySet:
        return True, ends, True, "no critical points"
    if not isinstance(crit, sp.FiniteSet):
        return True, ends, False, "critical points not found in closed form"
    values = [
        run_with_limit(lambda p=p: sp.simplify(g.subs(X, p)), _STEP_LIMIT, "value") for p in crit
    ]
    return True, ends + values, True, f"critical points {sorted(crit, key=lambda p: float(p))[:6]}"


def sup_abs(act: Activation, k: int, estimate: float, where: str) -> SupBound:
    """sup_x |φ^{(k)}(x)| with proof status (see the module docstring for the method).

    ``estimate`` is a numeric cross-check of the supremum over the interval ``where``; it is
    reported beside the proof, and serves as the value only where no exact value was proved.
    """
    name = "φ" + "'" * k
    grid = f"grid max on {where}: {estimate:.6g}"
    if not act.kinks_finite:
        why = "infinitely many kinks (or none found in closed form): no piecewise proof"
        return _inconclusive(k, estimate, f"{why}; {grid}")
    try:
        jump = _jump(act, k)
        if jump:
            return SupBound(
                k, False, math.inf, None, "jump at a kink (sympy one-sided limits)", jump, estimate
            )
        candidates, exact_all, notes = [], True, []
        for piece in act.derivative_expr(k):
            bounded, values, exact, note = _piece_sup(piece.expr, piece.lo, piece.hi)
            if bounded is False:
                return SupBound(
                    k, False, math.inf, None, "sympy limits", f"{name}: {note}", estimate
                )
            if bounded is None:
                return _inconclusive(k, estimate, f"{name}: {note}; {grid}")
            candidates += values
            exact_all &= exact
            notes.append(note)
    except (SymbolicTimeout, _Undecided) as exc:
        return _inconclusive(k, estimate, f"{exc}; {grid}")
    except (NotImplementedError, ValueError, TypeError, AttributeError) as exc:  # sympy gave up
        return _inconclusive(k, estimate, f"sympy could not finish ({type(exc).__name__}); {grid}")
    mags = [_magnitude(v) for v in candidates]
    best = max(mags, key=lambda m: (round(m[0], 12), m[1] is not None))
    if exact_all and best[1] is not None:
        exact = sp.nsimplify(sp.simplify(best[1])) if best[1].is_Float else sp.simplify(best[1])
        method = "sympy: limits at the piece ends and critical points"
        return SupBound(
            k, True, float(sp.N(exact, 30)), exact, method, f"{'; '.join(notes)}; {grid}", estimate
        )
    if exact_all:  # the supremum is an accumulation bound at ±∞, not attained at a critical point
        method = "sympy: limits (accumulation bounds) and critical points"
        return SupBound(k, True, best[0], None, method, f"{'; '.join(notes)}; {grid}", estimate)
    value = max(best[0], estimate)
    method = "proved bounded (continuous, finite limits at the piece ends); value numeric"
    return SupBound(k, True, value, None, method, f"{'; '.join(notes)}; {grid}", estimate)


def _inconclusive(k: int, estimate: float, detail: str) -> SupBound:
    return SupBound(
        k, None, estimate, None, "numeric grid only (symbolic steps failed)", detail, estimate
    )
