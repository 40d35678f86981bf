"""Certified enclosures of sup_x |φ^{(k)}(x)| (L = sup|φ'| for k = 1) in ball arithmetic.

Two routes, both rigorous:

* **closed form** — where sympy proved the supremum exactly (:mod:`symbolic.bounds`), the exact
  expression is evaluated in Arb: a ball of radius ~2^-prec.
* **branch and bound** — otherwise, on each smooth piece of φ^{(k)}:

  - on the window [-X, X] ∩ piece, Arb's interval extension of φ^{(k)} on subintervals bounds
    |φ^{(k)}| from above, and its value at their midpoints from below; the subinterval with the
    largest upper bound is split until the two meet within ``tol``;
  - on an unbounded end [X, ∞) (or (-∞, -X]), φ^{(k+1)} is shown to keep one sign by interval
    arithmetic over the unbounded interval (:mod:`symbolic.tail_intervals`), so φ^{(k)} is
    monotone there and its values lie between φ^{(k)}(X) and the limit at ∞ (sympy, exact).
    X doubles until that proof closes (or gives up).

The result is an :class:`Enclosure` of the supremum, or None when no proof closed (the float
estimate then stays what it was: an estimate).
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass

import sympy as sp
from flint import arb

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function, prec_scope, real_interval
from symbolic.bounds import SupBound
from symbolic.enclosure import Enclosure
from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.tail_intervals import INF, NEG_INF, Interval, evaluate
from symbolic.timelimit import run_with_limit, seconds


@dataclass(frozen=True)
class SupSearch:
    """How the branch and bound runs: first window half-width, the largest it may grow to,
    the relative width at which it stops, and the most interval evaluations per piece."""

    window: float
    max_window: float
    tol: float
    max_evaluations: int


def sup_enclosure(
    act: Activation, k: int, proof: SupBound, prec: int, search: SupSearch
) -> Enclosure | None:
    """An enclosure of sup|φ^{(k)}| at ``prec`` bits, or None when neither route closes.

    ``proof`` is the symbolic layer's verdict: nothing is enclosed unless it proved the supremum
    finite (a jump or pole refutes it; a bound the symbolic layer could not establish is not
    re-derived here)."""
    if proof.bounded is not True or not act.kinks_finite:
        return None
    with prec_scope(prec):
        try:
            if proof.exact is not None:
                ball = abs(ball_constant(proof.exact))
                return Enclosure(
                    ball, f"closed form {sp.sstr(proof.exact)} in ball arithmetic, {prec} bits"
                )
            return _branch_and_bound(act, k, prec, search)
        except (VerifyError, SymbolicTimeout, ZeroDivisionError, ValueError):
            return None


def structure_radius(act: Activation) -> float:
    """A half-width that holds every feature of the formula: each candidate singular point and
    each constant of the expression (a shift such as the 300 of tanh(x - 300) puts a feature
    there), doubled, plus 8. Only a starting point: the tails beyond it are proved separately."""
    sizes = [abs(float(p)) for p in act.singular.points]
    sizes += [abs(float(c)) for c in act.expr.atoms(sp.Number) if abs(c) <= 10**6]
    return 2 * max(sizes, default=0.0) + 8.0


def _branch_and_bound(act: Activation, k: int, prec: int, search: SupSearch) -> Enclosure | None:
    lower, upper = arb(0), arb(0)
    notes = []
    start = max(search.window, structure_radius(act))
    largest = max(search.max_window, 8 * start)
    for piece in act.derivative_expr(k):
        g = piece.expr
        lo, hi = piece.lo, piece.hi
        window = start
        tails = []
        forms = (_forms(sp.diff(g, X)), _forms(g))
        while True:
            # an unbounded piece's window ends at ±window, or at its finite end if that lies
            # beyond (a piece (10, ∞) with window 8 is bounded on [10, 10] plus its tail)
            a = lo if lo != -sp.oo else sp.Min(-sp.Integer(int(window)), hi)
            b = hi if hi != sp.oo else sp.Max(sp.Integer(int(window)), a)
            try:
                tails = [
                    _tail(g, forms, b, +1) if hi == sp.oo else None,
                    _tail(g, forms, a, -1) if lo == -sp.oo else None,
                ]
                break
            except _NoTail:
                window *= 2
                if window > largest:
                    return None
        fa, fb = ball_constant(a), ball_constant(b)
        if fa > fb:
            continue
        lo_p, hi_p = _window_sup(ball_function(g), ball_function(sp.diff(g, X)), fa, fb, search)
        lower, upper = lower.max(lo_p), upper.max(hi_p)
        for t in tails:
            if t is not None:
                upper = upper.max(t)
        notes.append(f"({sp.sstr(lo)}, {sp.sstr(hi)}): window [{sp.sstr(a)}, {sp.sstr(b)}]")
    ball = real_interval(lower, upper)
    method = (
        f"branch and bound in ball arithmetic ({prec} bits) on {'; '.join(notes)}; "
        "tails bounded by interval arithmetic (monotone by the sign of φ^(k+1), limits from "
        "sympy, or the range of φ^(k) itself)"
    )
    return Enclosure(ball, method)


class _NoTail(Exception):
    """The sign of φ^{(k+1)} on the tail was not proved from this X."""


def _forms(g: sp.Expr) -> list[sp.Expr]:
    """Equivalent forms of g; interval arithmetic over an unbounded interval is sensitive to the
    form (x·e^{-x} bounds badly, e^{-x}(...) may bound well)."""
    out = [g]
    mirrored = g.subs(X, -X)  # forms in e^{-x} come from forms of g(-x) in e^{x}
    for f in (sp.simplify, sp.factor, sp.together):
        for h in (g, mirrored):
            try:
                form = run_with_limit(lambda f=f, h=h: f(h), seconds(1), "rewrite")
            except SymbolicTimeout:
                continue
            form = form if h is g else form.subs(X, -X)
            if form not in out:
                out.append(form)
    return out


def _tail(g: sp.Expr, forms: tuple[list, list], at: sp.Expr, side: int) -> arb:
    """Upper bound of |g| on [at, ∞) (side +1) or (-∞, at] (side -1), by one of two proofs:
    g' (in one of its forms) keeps one sign there, so g is monotone and lies between g(at) and
    its limit; or, failing that, interval arithmetic bounds g itself over the whole tail (an
    oscillating tail such as cos x + 6(x - 50)e^{-(x-50)²}). Raises _NoTail otherwise."""
    over = (
        Interval(ball_constant(at).lower(), INF)
        if side > 0
        else Interval(NEG_INF, ball_constant(at).upper())
    )
    slopes, values = forms
    for form in slopes:
        try:
            r = evaluate(form, over)
        except VerifyError:
            continue
        if r.lo >= 0 or r.hi <= 0:
            break
    else:
        return _tail_range(values, over)
    point = sp.oo if side > 0 else -sp.oo
    limit = run_with_limit(lambda: sp.limit(g, X, point), seconds(1), "limit at the tail")
    if isinstance(limit, sp.AccumBounds) or limit.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        raise _NoTail
    at_value = ball_function(g)(ball_constant(at), False)
    return abs(at_value).upper().max(abs(ball_constant(limit)).upper())


def _tail_range(forms: list[sp.Expr], over: Interval) -> arb:
    """max |g| over the tail from a finite interval enclosure of g there (the tightest form)."""
    best = None
    for form in forms:
        try:
            r = evaluate(form, over)
        except VerifyError:
            continue
        if r.lo.is_finite() and r.hi.is_finite():
            bound = abs(r.lo).max(abs(r.hi))
            best = bound if best is None else best.min(bound)
    if best is None:
        raise _NoTail
    return best


def _window_sup(fn, dfn, a: arb, b: arb, search: SupSearch) -> tuple[arb, arb]:
    """(lower, upper) bounds of sup |fn| on [a, b] by best-first bisection. On a box I with
    midpoint m, fn(I) ⊂ fn(I) ∩ (fn(m) + fn'(I)(I - m)) (the mean-value form, whose excess is
    O(|I|²) near a maximum, where fn' is small)."""

    def upper_of(lo: arb, hi: arb) -> arb:
        box, m = real_interval(lo, hi), (lo + hi) / 2
        naive = abs(fn(box, False)).upper()
        centred = abs(fn(m, False) + dfn(box, False) * (box - m)).upper()
        finite = [v for v in (naive, centred) if v.is_finite()]
        if not finite:
            return INF  # a wide ball lost the range: split it
        return finite[0] if len(finite) == 1 else finite[0].min(finite[1])

    def key(lo: arb, hi: arb) -> float:
        value = upper_of(lo, hi)
        return -math.inf if value == INF else -float(value)

    def lower_at(x: arb) -> arb:
        value = abs(fn(x, False)).lower()
        return value if value.is_finite() else arb(0)

    counter = itertools.count()
    best = lower_at(a).max(lower_at(b)).max(lower_at((a + b) / 2))
    heap = [(key(a, b), next(counter), a, b)]
    evaluations = 0
    while heap:
        neg_up, _, lo, hi = heap[0]
        top = -neg_up
        if top <= float(best) * (1 + search.tol) + search.tol * 1e-3:
            break
        if evaluations >= search.max_evaluations:
            break
        heapq.heappop(heap)
        mid = (lo + hi) / 2
        best = best.max(lower_at(mid))
        for x, y in ((lo, mid), (mid, hi)):
            heapq.heappush(heap, (key(x, y), next(counter), x, y))
        evaluations += 2
    # the exact maximum over the remaining boxes (not the float keys): rigorous
    upper = best
    for _, _, lo, hi in heap:
        value = upper_of(lo, hi)
        if value == INF:
            raise VerifyError("branch and bound did not bound every subinterval")
        upper = upper.max(value)
    return best, upper


__all__ = ["SupSearch", "structure_radius", "sup_enclosure"]
