"""Suprema of |φ^{(k)}| on the real line: proved by sympy where possible, else only estimated.

The candidate singular points of φ (:mod:`symbolic.singular`: kinks, jumps, poles, branch and
logarithmic points, found from the expression tree on all of ℝ) cut the line into pieces on
which φ is analytic. Before any derivative is simplified, φ^{(j)} (j < k) is checked at every
cut by its one-sided limits: an infinite limit or a jump of φ^{(j)} makes φ^{(k)} unbounded (a
jump of φ^{(j)} puts a Dirac mass in φ^{(j+1)}), so a simplification cannot erase a
discontinuity (d/dx atan(tan x) = 1 on every piece, yet φ jumps by π at each π/2 + kπ). Then,
on each piece (lo, hi): the limits at both ends (one-sided at cuts, at ±∞ otherwise) and the
values at the critical points (solveset; one period for a periodic piece on the whole line). A
continuous function on an interval with finite end limits is bounded, and its supremum is the
largest of those numbers when every critical point was found in closed form.

A supremum is *proved* only as an exact value (``exact``) or, later, as a certified enclosure
(:mod:`symbolic.sup_enclosure`); ``value`` is otherwise an estimate and nothing may treat it
as proved. An accumulation bound with an infinite end (sympy's answer for an oscillating
limit) is an over-approximation, so it refutes nothing: the check is then undecided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import sympy as sp
from flint import arb
from sympy.calculus.singularities import singularities

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function, prec_scope
from symbolic.enclosure import float_down
from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.singular import CONTINUOUS
from symbolic.timelimit import run_with_limit, seconds

#: Step times (symbolic.timelimit) for the whole proof of one supremum (every sympy step inside
#: counts against it); each sympy call has one step time.
TOTAL_STEPS = 15.0
#: Breakpoints (nearest 0 first) examined for a refutation when there are infinitely many.
REFUTATION_POINTS = 12


@dataclass(frozen=True)
class SupBound:
    """sup |φ^{(k)}|: ``bounded`` True (proved), False (refuted) or None (unknown).

    ``exact`` is the proved supremum when found; ``value`` is it as a float, or else only an
    estimate (never a proved bound); ``numeric`` is the grid cross-check; ``witness`` is a proved
    lower bound on the supremum: |φ^{(k)}| at the grid's maximiser evaluated in ball arithmetic,
    rounded down (0 when there is none)."""

    k: int
    bounded: bool | None
    value: float  # the supremum (math.inf when refuted); an estimate when ``exact`` is None
    exact: sp.Expr | None  # proved exact value, when found
    method: str
    detail: str
    numeric: float  # the numeric cross-check's estimate (numeric.sup.grid_sup)
    witness: float = 0.0  # proved: sup|φ^{(k)}| ≥ witness (a ball evaluation at one point)


def _limit(g: sp.Expr, point: sp.Expr, direction: str) -> sp.Expr:
    return run_with_limit(lambda: sp.limit(g, X, point, direction), seconds(1), f"limit of {g}")


def _magnitude(v: sp.Expr) -> tuple[float, sp.Expr | None]:
    """(|v| as float, exact |v| or None for accumulation bounds)."""
    if isinstance(v, sp.AccumBounds):
        return max(abs(float(v.min)), abs(float(v.max))), None
    return abs(float(sp.N(v, 30))), sp.Abs(v)


def _infinite(v: sp.Expr) -> bool:
    """v is ±∞ or complex infinity: a proper infinite limit (a refutation of boundedness)."""
    return v in (sp.oo, -sp.oo, sp.zoo)


def _undecided_limit(v: sp.Expr) -> bool:
    """No usable limit: NaN, or accumulation bounds reaching ±∞ (sympy's over-approximation of
    an oscillation, which proves neither boundedness nor its failure)."""
    if isinstance(v, sp.AccumBounds):
        return not (v.min.is_finite and v.max.is_finite)
    return v.has(sp.nan) or (v.is_finite is False and not _infinite(v))


class _Undecided(Exception):
    """A symbolic step that could neither prove nor refute."""


def _one_sided(act: Activation, j: int, pieces, i: int) -> tuple[sp.Expr, sp.Expr]:
    """The one-sided limits of φ^{(j)} at the cut between pieces i and i + 1: sympy's limits at
    an exact point; at a certified root (no closed form) the balls of the two analytic piece
    expressions there."""
    left, right = pieces[i], pieces[i + 1]
    b = left.hi
    if getattr(b, "is_certified_root", False):
        return ball_function(left.expr)(ball_constant(b), False), ball_function(right.expr)(
            ball_constant(b), False
        )
    return _limit(left.expr, b, "-"), _limit(right.expr, b, "+")


def _cut_refutation(act: Activation, k: int, cuts: list[int] | None = None) -> str | None:
    """Why φ^{(k)} is unbounded because of a cut (an infinite limit or a jump of some φ^{(j)},
    j < k, at a cut), or None when every cut is clean. ``cuts``: the indices of the cuts to
    examine (all by default). Raises _Undecided when a cut could be neither cleared nor used."""
    kinds = act.singular.kinds
    for j in range(k):
        pieces = act.derivative_expr(j)
        for i in cuts if cuts is not None else range(len(pieces) - 1):
            b = pieces[i].hi
            if j == 0 and kinds[i] <= CONTINUOUS:
                continue  # Abs, Max, Min of functions analytic at b: φ is continuous there
            a, c = _one_sided(act, j, pieces, i)
            why = _discontinuity(a, c, j, k, b)
            if why:
                return why
    return None


def _discontinuity(a, c, j: int, k: int, b: sp.Expr) -> str | None:
    name, nxt = "φ" + "'" * j, "φ" + "'" * (j + 1)
    where = sp.sstr(b)
    if isinstance(a, arb):  # balls at a certified root: a refutation or nothing
        if a.is_finite() and c.is_finite() and not a.overlaps(c):
            return (
                f"{name} jumps at x = {where} (from about {float(a.mid()):.6g} to "
                f"{float(c.mid()):.6g}, disjoint balls): {nxt} has a Dirac mass there"
            )
        raise _Undecided(f"continuity of {name} at x = {where} not proved (no closed form)")
    if _infinite(a) or _infinite(c):
        side = "left" if _infinite(a) else "right"
        return f"{name} → ±∞ as x → {where} from the {side}: {'φ' + chr(39) * k} is unbounded"
    if _undecided_limit(a) or _undecided_limit(c):
        raise _Undecided(f"{name} has no limit sympy can name at x = {where}")
    gap = run_with_limit(lambda: sp.simplify(a - c), seconds(1), "jump")
    if gap == 0:
        return None
    if abs(sp.N(gap, 50)) < 1e-40:
        raise _Undecided(f"continuity of {name} at x = {where} not proved (gap < 1e-40)")
    return f"{name} jumps at x = {where} (from {a} to {c}): {nxt} has a Dirac mass there"


def _end_limit(g: sp.Expr, point: sp.Expr, direction: str):
    """The limit of g at a piece end: sympy's at an exact point or ±∞, the ball of the analytic
    piece expression at a certified root."""
    if getattr(point, "is_certified_root", False):
        return ball_function(g)(ball_constant(point), False)
    return _limit(g, point, direction)


def _piece_sup(g: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> tuple[bool | None, list, bool, str]:
    """(bounded?, candidate values, critical points found exactly?, note) for one piece."""
    exact_ends = not any(getattr(p, "is_certified_root", False) for p in (lo, hi))
    if exact_ends:
        interval = sp.Interval.open(lo, hi)
        sing = run_with_limit(lambda: singularities(g, X, interval), seconds(1), "poles")
        if sing != sp.S.EmptySet:
            return None, [], False, f"singular set {sing} inside the piece ({lo}, {hi})"
    ends = [
        _end_limit(g, lo, "+") if lo != -sp.oo else _limit(g, -sp.oo, "+"),
        _end_limit(g, hi, "-") if hi != sp.oo else _limit(g, sp.oo, "-"),
    ]
    values: list = []
    for v, where in zip(ends, (lo, hi)):
        if isinstance(v, arb):
            if not v.is_finite():
                raise _Undecided(f"no finite value at x = {sp.sstr(where)}")
            values.append(sp.Float(float(abs(v).upper()), 20))
            continue
        if _infinite(v):
            return False, [], False, f"unbounded, → ±∞ as x → {sp.sstr(where)}"
        if _undecided_limit(v):
            raise _Undecided(f"no limit sympy can name as x → {sp.sstr(where)}")
        values.append(v)
    dg = sp.diff(g, X)
    if _constant(dg, lo, hi):
        t = _interior(lo, hi)
        value = run_with_limit(lambda: sp.simplify(g.subs(X, t)), seconds(1), "value")
        return True, [value], exact_ends, "constant"
    if not exact_ends:
        return True, values, False, "ends at certified roots: value numeric"
    domain = sp.Interval.open(lo, hi)
    if lo == -sp.oo and hi == sp.oo:
        try:
            period = run_with_limit(lambda: sp.periodicity(g, X), seconds(1), "periodicity")
        except (SymbolicTimeout, NotImplementedError, ValueError, TypeError):
            period = None  # no period found: the critical points are sought on the whole line
        if period is not None:
            domain = sp.Interval(0, period)
    try:
        crit = run_with_limit(lambda: sp.solveset(dg, X, domain), seconds(1), "critical points")
    except SymbolicTimeout:
        crit = None
    if crit == sp.S.EmptySet:
        return True, values, True, "no critical points"
    if not isinstance(crit, sp.FiniteSet) or not all(p.is_real for p in crit):
        return True, values, False, "critical points not found in closed form"
    crit_values = [
        run_with_limit(lambda p=p: sp.simplify(g.subs(X, p)), seconds(1), "value") for p in crit
    ]
    shown = sorted(crit, key=lambda p: float(p))[:6]
    return True, values + crit_values, True, f"critical points {shown}"


def _interior(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lo == -sp.oo:
        return sp.Integer(0) if hi == sp.oo else sp.floor(hi) - 1
    if hi == sp.oo:
        return sp.floor(lo) + 1
    return (lo + hi) / 2


def _constant(dg: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> bool:
    """dg ≡ 0 on the piece, proved by sympy; a value clearly nonzero at 50 digits at a sample
    point answers False at once (no simplification)."""
    t = _interior(lo, hi)
    for point in (t, t + sp.Rational(1, 3), t - sp.Rational(2, 7)):
        if not (lo < point < hi):
            continue
        try:
            v = sp.N(dg.subs(X, point), 50)
        except (TypeError, ValueError):
            break
        if v.is_number and v.is_finite and abs(v) > 1e-30:
            return False
    return run_with_limit(lambda: sp.simplify(dg), seconds(1), "simplify") == 0


def sup_abs(
    act: Activation, k: int, estimate: float, where: str, at: float | None = None
) -> SupBound:
    """sup_x |φ^{(k)}(x)| with proof status (see the module docstring for the method).

    ``estimate`` is a numeric cross-check of the supremum over the interval ``where``, reached at
    ``at``; it is reported beside the proof, and is the (unproved) value where no exact value was
    proved. ``witness`` = |φ^{(k)}(at)| in ball arithmetic, rounded down: a proved lower bound."""
    grid = f"grid max on {where}: {estimate:.6g}"
    try:
        found = run_with_limit(
            lambda: _sup_abs(act, k, estimate, grid), seconds(TOTAL_STEPS), "supremum"
        )
    except SymbolicTimeout as exc:
        found = _inconclusive(k, estimate, f"{exc}; {grid}")
    return replace(found, witness=witness(act, k, at))


def witness(act: Activation, k: int, at: float | None) -> float:
    """A proved lower bound on sup|φ^{(k)}|: |φ^{(k)}(at)| evaluated in 128-bit balls on the
    smooth piece holding ``at`` (strictly inside it), rounded down to a float; 0 when ``at`` is
    None, not finite, on a cut, or the ball is not finite."""
    if at is None or not math.isfinite(at):
        return 0.0
    try:
        pieces = act.derivative_expr(k)
        piece = next((p for p in pieces if p.lo < at < p.hi), None)
        if piece is None:
            return 0.0
        with prec_scope(128):
            value = abs(ball_function(piece.expr)(arb(at), False))
            return max(float_down(value), 0.0) if value.is_finite() else 0.0
    except (VerifyError, ArithmeticError, ValueError, TypeError):
        return 0.0


def _sup_abs(act: Activation, k: int, estimate: float, grid: str) -> SupBound:
    name = "φ" + "'" * k
    singular = act.singular
    if not singular.complete:
        return _inconclusive(k, estimate, f"{singular.why}; {grid}")
    try:
        if not singular.finite:
            return _infinitely_many_cuts(act, k, estimate, grid)
        jump = _cut_refutation(act, k)
        if jump:
            return SupBound(
                k, False, math.inf, None, "jump or pole at a cut (one-sided limits)", jump, estimate
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
        return _supremum(k, candidates, exact_all, notes, estimate, grid)
    except (SymbolicTimeout, _Undecided) as exc:
        return _inconclusive(k, estimate, f"{exc}; {grid}")
    except (NotImplementedError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        return _inconclusive(k, estimate, f"sympy could not finish ({exc}); {grid}")


def _supremum(k, candidates, exact_all, notes, estimate, grid) -> SupBound:
    mags = [_magnitude(v) for v in candidates]
    best = max(mags, key=lambda m: (round(m[0], 12), m[1] is not None))
    detail = f"{'; '.join(notes)}; {grid}"
    if exact_all and best[1] is not None:
        exact = sp.nsimplify(sp.simplify(best[1])) if best[1].is_Float else sp.simplify(best[1])
        method = "sympy: limits at the piece ends and critical points"
        return SupBound(k, True, float(sp.N(exact, 30)), exact, method, detail, estimate)
    value = max(best[0], estimate)
    method = "proved bounded (continuous, finite limits at the piece ends); value estimated"
    return SupBound(k, True, value, None, method, detail, estimate)


def _infinitely_many_cuts(act: Activation, k: int, estimate: float, grid: str) -> SupBound:
    """Infinitely many candidate points: only a refutation at one of them (nearest 0 first) is a
    statement about the whole line; anything else is undecided."""
    pieces = act.pieces
    order = sorted(range(len(pieces) - 1), key=lambda i: abs(float(pieces[i].hi)))
    for i in order[:REFUTATION_POINTS]:
        try:
            why = _cut_refutation(act, k, [i]) or _pole_at(act, k, i)
        except (_Undecided, SymbolicTimeout, NotImplementedError, ValueError, TypeError):
            continue
        if why:
            return SupBound(
                k, False, math.inf, None, "jump or pole at a cut (one-sided limits)", why, estimate
            )
    why = "infinitely many candidate singular points: no piecewise proof over the whole line"
    return _inconclusive(k, estimate, f"{why}; {grid}")


def _pole_at(act: Activation, k: int, i: int) -> str | None:
    """φ^{(k)} itself → ±∞ at cut i (a pole of the piece on either side)."""
    pieces = act.derivative_expr(k)
    b = pieces[i].hi
    for piece, side in ((pieces[i], "-"), (pieces[i + 1], "+")):
        if _infinite(_limit(piece.expr, b, side)):
            name = "φ" + "'" * k
            return f"{name} → ±∞ as x → {sp.sstr(b)}{side}: unbounded"
    return None


def _inconclusive(k: int, estimate: float, detail: str) -> SupBound:
    return SupBound(
        k, None, estimate, None, "numeric grid only (symbolic steps failed)", detail, estimate
    )


__all__ = ["TOTAL_STEPS", "SupBound", "sup_abs"]
