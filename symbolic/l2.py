"""Is φ square-integrable against the Gaussian, φ ∈ L²(N(0, q))? Every Hermite statement needs it
(theory §1): without it there is no expansion, no dual, no G*, no λ*.

Two places can put φ outside, decided from one-sided limits (sympy, each under a time limit):

* **near a candidate singular point a** (:mod:`symbolic.singular`), on each side: |φ| with a
  finite limit is bounded there; φ²·|x − a| → c > 0 (or ∞) means |φ| ≥ c'|x − a|^{−1/2} near a,
  and ∫|x − a|^{−1} diverges: refuted at every q (every pole is so); φ²·|x − a|^e with a finite
  limit for some e < 1 means φ² ≤ C|x − a|^{−e}, integrable (log|x|, |x|^{−1/4});
* **at ±∞**: a finite limit of φ²/x^{2p} (polynomial growth) or of φ²·e^{−2β|x|} (exponential
  growth) means φ² e^{−x²/2q} is integrable for every q; otherwise c = lim log(1 + φ²)/(2x²)
  decides: c = 0 every q, 0 < c < ∞ exactly q < 1/(4c) (the boundary undecided), c = ∞ none.

A φ bounded on the whole line (interval arithmetic over ℝ) is in every L²(N(0, q)) at once. A
point with no closed form (a certified root) is cleared only where φ is bounded on both sides
(its balls are finite); anything undecided leaves ``member`` None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function
from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.tail_intervals import INF, NEG_INF, Interval, evaluate
from symbolic.timelimit import run_with_limit, seconds

#: Time for the whole L² decision, in symbolic steps (symbolic.timelimit.seconds: a multiple of
#: the one --time-limit setting).
DECIDE_STEPS = 15.0


#: Exponents e < 1 tried for φ²|x − a|^e near a singular point (a finite limit is a proof).
LOCAL_EXPONENTS = (sp.Integer(0), sp.Rational(1, 2), sp.Rational(3, 4), sp.Rational(19, 20))
#: Powers p tried for φ²/x^{2p}, and rates β for φ² e^{-2β|x|}, at ±∞.
POWERS = (0, 1, 2, 3, 4, 6, 8, 12, 16)
RATES = (1, 4, 16, 64)


@dataclass(frozen=True)
class SquareIntegrable:
    """φ ∈ L²(N(0, q)) exactly for q < ``q_max`` (``member`` True), for no q (False), or
    undecided (None); ``reason`` says why, naming the point or the end that decided."""

    member: bool | None
    q_max: float  # math.inf: every q; only meaningful when member is True
    reason: str
    refuted_beyond: bool = True  # q > q_max proved outside (False: only undecided there)

    def at(self, q: float) -> bool | None:
        """Membership at the variance ``q``: True or False proved, None undecided."""
        if self.member is not True:
            return self.member
        if q < self.q_max:
            return True
        return False if q > self.q_max and self.refuted_beyond else None


def square_integrable(act: Activation) -> SquareIntegrable:
    """The L² membership of φ against N(0, q) (see the module docstring)."""
    try:
        return run_with_limit(lambda: _decide(act), seconds(DECIDE_STEPS), "L² membership")
    except (SymbolicTimeout, VerifyError) as exc:
        return SquareIntegrable(None, math.inf, f"undecided: {exc}")


def _decide(act: Activation) -> SquareIntegrable:
    bound = _global_bound(act.expr)
    if bound is not None:
        return SquareIntegrable(True, math.inf, f"|φ| ≤ {bound:.6g} on ℝ (interval arithmetic)")
    singular = act.singular
    if not singular.complete:
        return SquareIntegrable(None, math.inf, f"undecided: {singular.why}")
    order = sorted(range(len(singular.points)), key=lambda i: abs(float(singular.points[i])))
    for i in order:
        local = _near(act, i, singular.points[i])
        if local is not None:
            return local
    if not singular.finite:
        return SquareIntegrable(
            None,
            math.inf,
            "undecided: infinitely many candidate singular points (those near 0 are "
            "square-integrable)",
        )
    return _at_infinity(act)


def _global_bound(expr: sp.Expr) -> float | None:
    """sup|φ| ≤ the returned number, by interval arithmetic over the whole line; None if none."""
    try:
        r = evaluate(expr, Interval(NEG_INF, INF))
    except (VerifyError, ZeroDivisionError, ValueError, TypeError):
        return None
    if r.lo.is_finite() and r.hi.is_finite():
        return float(abs(r.lo).max(abs(r.hi)).upper())
    return None


def _distance(point: sp.Expr) -> str:
    """|x - a| written for people: |x|, |x - 2|, |x + π/2|."""
    if point == 0:
        return "|x|"
    return f"|x - {sp.sstr(point)}|" if point > 0 else f"|x + {sp.sstr(-point)}|"


def _near(act: Activation, i: int, point: sp.Expr) -> SquareIntegrable | None:
    """A refutation or an undecided verdict at the i-th candidate point, or None when φ is
    square-integrable near it."""
    where = sp.sstr(point)
    pieces = act.pieces
    if getattr(point, "is_certified_root", False):
        a = ball_constant(point)
        sides = [ball_function(p.expr)(a, False) for p in (pieces[i], pieces[i + 1])]
        if all(v.is_finite() for v in sides):
            return None
        return SquareIntegrable(None, math.inf, f"undecided: φ near x = {where} (no closed form)")
    for piece, side in ((pieces[i], "-"), (pieces[i + 1], "+")):
        g = piece.expr
        value = _limit(g, point, side)
        if _finite(value):
            continue
        distance = (point - X) if side == "-" else (X - point)
        hit = _limit(g**2 * distance, point, side)
        if hit in (sp.oo, -sp.oo) or (_finite(hit) and hit != 0):
            return SquareIntegrable(
                False,
                0.0,
                f"φ is not square-integrable near x = {where} (φ²·{_distance(point)} → "
                f"{sp.sstr(hit)} as x → {where}{side}, so ∫φ² diverges there): no Hermite "
                "expansion at any variance",
            )
        if not any(_finite(_limit(g**2 * distance**e, point, side)) for e in LOCAL_EXPONENTS):
            return SquareIntegrable(None, math.inf, f"undecided: the growth of φ at x = {where}")
    return None


def _at_infinity(act: Activation) -> SquareIntegrable:
    pieces = act.pieces
    q_max, notes, refuted = math.inf, [], True
    for g, end in ((pieces[-1].expr, sp.oo), (pieces[0].expr, -sp.oo)):
        tame = _tame(g, end)
        if tame:
            notes.append(f"{tame} at {sp.sstr(end)}")
            continue
        side = "-" if end == sp.oo else "+"
        c = _limit(sp.log(1 + g**2) / (2 * X**2), end, side)
        # a refutation needs φ² → +∞ itself (no oscillation down to 0 that sympy might skip)
        grows = _limit(g**2, end, side) == sp.oo
        if c == 0:
            notes.append(f"log(1 + φ²)/x² → 0 at {sp.sstr(end)}")
        elif c == sp.oo and not grows:
            return SquareIntegrable(None, math.inf, f"undecided: φ oscillates and grows at {end}")
        elif c == sp.oo:
            return SquareIntegrable(
                False,
                0.0,
                f"φ grows faster than every exp(c·x²) at {sp.sstr(end)}: φ is not in "
                "L²(N(0, q)) for any q; no Hermite expansion",
            )
        elif _finite(c) and c > 0:
            bound = float(sp.N(1 / (4 * c), 30))
            q_max = min(q_max, bound)
            refuted &= grows  # above the bound only a proper growth of φ² refutes
            notes.append(f"log(1 + φ²)/(2x²) → {sp.sstr(c)} at {sp.sstr(end)}, so q < {bound:.6g}")
        else:
            return SquareIntegrable(None, math.inf, f"undecided: the growth of φ at {end}")
    return SquareIntegrable(True, q_max, "; ".join(notes), refuted)


def _tame(g: sp.Expr, end: sp.Expr) -> str | None:
    """'polynomial growth' or 'exponential growth' when a finite limit proves one, else None."""
    side = "-" if end == sp.oo else "+"
    for p in POWERS:
        if _finite(_limit(g**2 / (1 + X**2) ** p, end, side)):
            return "bounded" if p == 0 else f"|φ| ≤ C(1 + |x|)^{p}"
    for beta in RATES:
        decay = sp.exp(-2 * beta * X) if end == sp.oo else sp.exp(2 * beta * X)
        if _finite(_limit(g**2 * decay, end, side)):
            return f"|φ| ≤ C·e^({beta}|x|)"
    return None


def _limit(g: sp.Expr, point: sp.Expr, side: str) -> sp.Expr:
    try:
        return run_with_limit(lambda: sp.limit(g, X, point, side), seconds(1), "limit")
    except (SymbolicTimeout, NotImplementedError, ValueError, TypeError, AttributeError):
        return sp.nan


def _finite(v: sp.Expr) -> bool:
    """A proved finite limit (accumulation bounds with finite ends count: they bound it)."""
    if isinstance(v, sp.AccumBounds):
        return bool(v.min.is_finite and v.max.is_finite)
    return bool(v.is_number and v.is_finite and not v.has(sp.nan, sp.zoo))


__all__ = ["SquareIntegrable", "square_integrable"]
