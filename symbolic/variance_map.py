"""The variance map T(q) = 2σ_w² E[φ(√q Z)²] + 2/d and its fixed point q*, proved locally
(theory §4, "a local contraction").

No global Lipschitz constant of φ is needed. The proof finds an interval J = [2/d, b] with

* T(J) ⊂ J: every fixed point of T is ≥ 2/d, and J holds the recursion's start 2/d;
* for some a ∈ J: T(q) > q on [2/d, a) — no fixed point there, and the iterates climb by at
  least a fixed step until they pass a — and on K = [a, b], T(q) ≥ a and
  c = sup_K |T'(q)| < 1, T'(q) = 2σ_w² E[φ(√q Z)²(Z² - 1)]/(2q) (the density's q-derivative);

so T has exactly one fixed point in J, in K, and the recursion from 2/d converges to it. All is
checked on ``pieces`` sub-intervals of J, each evaluated as one ball (Arb integrals over an
interval of variances, :mod:`symbolic.hermite_balls`). (The correlation map's slope,
2σ_w² E[φ'(√q Z)²] by Price's theorem and Cauchy–Schwarz, is needed below 1 only near q*: the
diagonal iterates converge to q*, so the off-diagonal ones see that slope from some step on;
:mod:`numeric.lambda_certificate` bounds it on q*'s ball.)

The enclosure of q* is then a ball I ⊂ J with T(I) ⊂ I, evaluated in ball arithmetic: it
contains a fixed point (intermediate values), which is the one in J. Its radius starts from
Banach's a-posteriori bound |q* - q̃| ≤ |T(q̃) - q̃|/(1 - c) for the float q̃.

Example (x², σ_w² = 1/16, d = 4): T(q) = 3q²/8 + 1/2, J = [1/2, 1], T(J) = [0.594, 0.875],
c = 3/4, q* = 2/3.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import sympy as sp
from flint import arb, ctx

from symbolic.activations import Activation
from symbolic.balls import prec_scope
from symbolic.enclosure import Enclosure
from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.growth import STARTS
from symbolic.hermite_balls import Tails, second_moment, variance_slope
from symbolic.tail_intervals import INF, Interval, evaluate

#: Sub-intervals of J on which T, T' and E[φ'²] are each evaluated as one ball: geometric, at
#: least PIECES of them and each at most RATIO wide (relative), so that no ball is much wider
#: than T's own variation over it; at most MAX_PIECES.
PIECES = 16
RATIO = 1.06
MAX_PIECES = 256
#: b = q̃ + f·max(q̃ - 2/d, q̃/8) + q̃/1024 for these f in turn: the first J that proves out is
#: taken (q̃/8 keeps J from collapsing when σ_w² is tiny or q̃ is a poor start).
SPANS = (4, 2, 1, 0.5, 0.25)
#: Bits of the interval checks (their balls are as wide as the pieces; more bits buy nothing).
CHECK_PREC = 64


@dataclass(frozen=True)
class Invariant:
    """J = [lo, hi] with T(J) ⊂ [lo, image] ⊂ J, T(q) > q on [lo, start) and, on
    K = [start, hi], T(K) ⊂ K and sup_K |T'| ≤ slope < 1; proved on ``pieces`` geometric
    sub-intervals."""

    lo: arb
    start: arb
    hi: arb
    image: arb
    slope: arb
    pieces: int

    def describe(self) -> str:
        below = (
            f", T(q) > q on [{_down(self.lo):.6g}, {_down(self.start):.6g})"
            if self.start > self.lo
            else ""
        )
        return (
            f"T maps J = [{_down(self.lo):.6g}, {_up(self.hi):.6g}] into itself (sup T ≤ "
            f"{_up(self.image):.6g}){below}, sup |T'| ≤ {_up(self.slope):.4g} on "
            f"[{_down(self.start):.6g}, {_up(self.hi):.6g}] ({self.pieces} pieces)"
        )


def _up(x: arb) -> float:
    return float(x.upper())


def _down(x: arb) -> float:
    return float(x.lower())


@dataclass(frozen=True)
class QStar:
    """The enclosure of q*, the contraction constant on J, T's residual at q̃, and J."""

    enclosure: Enclosure
    contraction: arb
    residual: arb
    invariant: Invariant | None = None


def variance_map(act: Activation, sigma_w2: float, d: int, t: Tails):
    """q ↦ T(q) as a ball, for every q in the ball q."""
    s2, base = 2 * arb(sigma_w2), arb(2) / d
    return lambda q: s2 * second_moment(act, q, t) + base


def invariant_interval(
    act: Activation, sigma_w2: float, d: int, q_float: float, t: Tails
) -> Invariant:
    """The first J = [2/d, b] of SPANS that proves out (module docstring); raises VerifyError
    naming what failed on the last one tried."""
    with prec_scope(min(ctx.prec, CHECK_PREC)):
        base = arb(2) / d
        q = max(q_float, float(base.upper()))
        why = ""
        for f in SPANS:
            hi = arb(q + f * max(q - float(base.mid()), q / 8) + q / 1024)
            try:
                return _check(act, sigma_w2, base, hi, t, PIECES)
            except VerifyError as exc:
                why = str(exc)
        raise VerifyError(f"no invariant interval of variances found near q̃ = {q:.6g}: {why}")


def _check(act: Activation, sigma_w2: float, lo: arb, hi: arb, t: Tails, pieces: int):
    """Scan the geometric pieces of [lo, hi]: every T(piece) ≤ hi; from the first piece on
    which T(q) > q is not proved (its lower end is ``start``), |T'| < 1 and T(piece) ≥ start."""
    s2 = 2 * arb(sigma_w2)
    image, slope, start = arb(0), arb(0), None
    span = float((hi / lo).upper())
    pieces = min(MAX_PIECES, max(pieces, math.ceil(math.log(span) / math.log(RATIO))))
    ends = [lo * (hi / lo) ** (arb(k) / pieces) for k in range(pieces + 1)]
    ends[0], ends[-1] = lo, hi
    for a, b in itertools.pairwise(ends):
        piece = a.union(b)
        value = s2 * second_moment(act, piece, t) + lo
        if not value.upper() <= hi:
            raise VerifyError(f"T(q) reaches {_up(value):.4g} > {_up(hi):.4g} on q ∈ J")
        image = image.max(value.upper())
        if start is None and value.lower() > piece.upper():
            continue  # T(q) > q here: no fixed point, and the iterates move up by a fixed step
        start = a.lower() if start is None else start
        if not value.lower() >= start:
            raise VerifyError(f"T(q) falls to {_down(value):.4g} < {_down(start):.4g} on q ∈ J")
        sl = abs(s2 * variance_slope(act, piece, t)).upper()
        if not sl < 1:
            raise VerifyError(
                f"|T'(q)| ≤ {_up(sl):.4g} is not below 1 on q ∈ [{_down(a):.4g}, {_up(b):.4g}]"
            )
        slope = slope.max(sl)
    if start is None:
        raise VerifyError(f"T(q) > q on all of J = [{_down(lo):.4g}, {_up(hi):.4g}]")
    return Invariant(lo, start, hi, image, slope, pieces)


def q_star_ball(
    act: Activation, sigma_w2: float, d: int, q_float: float, t: Tails, steps: int
) -> QStar:
    """q* = T(q*) enclosed (module docstring); ``q_float`` starts the refinement, which takes at
    most ``steps`` ball evaluations of T. Raises VerifyError when no invariant interval with a
    contraction is found, or the enclosure does not close."""
    inv = invariant_interval(act, sigma_w2, d, q_float, t)
    tmap = variance_map(act, sigma_w2, d, t)
    q = arb(min(max(q_float, float(inv.start.upper())), float(inv.hi.lower())))
    for k in range(steps):
        new = tmap(q)
        residual = abs(new - q)  # T's residual at this q: the radius below is q's own
        if k == steps - 1 or residual.upper() < abs(q) * arb(2) ** (10 - ctx.prec):
            break
        q = arb(new.mid())
    c = inv.slope
    # T(I) ⊂ T(q̃) + sup_J|T'|·[-r, r] (mean value form; the direct ball evaluation of T over I
    # counts the density's q-dependence in absolute value and overestimates T's slope 3-5×)
    radius = 2 * residual.upper() / (1 - c).lower() + abs(q) * arb(2) ** (8 - ctx.prec)
    ball = arb(q.mid(), radius.upper())
    image = tmap(arb(q.mid())) + arb(0, (c * radius).upper())
    inside = image.lower() >= ball.lower() and image.upper() <= ball.upper()
    if not (inside and ball.lower() >= inv.start and ball.upper() <= inv.hi):
        raise VerifyError(
            f"q* not enclosed: T(I) ⊄ I for I = q̃ ± {float(radius.upper()):.2e} (residual "
            f"{float(residual.upper()):.2e}, contraction c ≤ {float(c.upper()):.3g}); raise --prec"
        )
    method = (
        f"T(I) ⊂ I for I = q̃ ± {float(radius.upper()):.2e} (mean value form, |T(q̃) - q̃| ≤ "
        f"{float(residual.upper()):.2e}, c ≤ {float(c.upper()):.4f}); unique on "
        f"{inv.describe()}; Arb integrals, {ctx.prec} bits"
    )
    return QStar(Enclosure(ball, method), c, residual, inv)


# ------------------------------------------------------------------ when the variance diverges


class VarianceDiverges(VerifyError):
    """T(q) > q for every q ≥ 2/d, proved: the message is the proof."""


#: Geometric pieces of [2/d, Q] first, each bisected while it fails, up to this many balls.
DIVERGENCE_EVALUATIONS = 4000


def divergence(act: Activation, sigma_w2: float, d: int, t: Tails) -> VarianceDiverges | None:
    """The proof that the variance recursion q ← T(q) from 2/d grows without bound, or None.

    1. A lower growth |φ(x)| ≥ a·|x|^p on one tail x ≥ X₀ (or x ≤ -X₀), by interval
       arithmetic on φ(±x)/x^p, or from φ(±x)e^{-βx} ≥ a (then φ² ≥ a²β⁸x⁸/576, as
       e^y ≥ y⁴/24); so for √q·z₀ ≥ X₀, E[φ(√q Z)²] ≥ a²q^p E[Z^{2p}; Z ≥ z₀] = C q^p, with
       E[Z^{2p}; Z ≥ z₀] ≥ z₀^{2p-2}(z₀ pdf(z₀) + P(Z ≥ z₀)).
    2. Q ≥ (X₀/z₀)² with 2σ_w²C q^p ≥ q for all q ≥ Q (p = 1: 2σ_w²C ≥ 1, z₀ halved until it
       holds; p ≥ 2: Q ≥ (2σ_w²C)^{-1/(p-1)}), so T(q) > q beyond Q.
    3. T(q) > q on [2/d, Q] by interval pieces (Arb integrals; a failing piece is bisected).

    T is continuous (φ has a growth envelope), so an increasing bounded sequence q_{l+1} = T(q_l)
    would converge to a fixed point; there is none: q_l → ∞, and E[φ(√q Z)²], q* and G* with it.
    """
    low = _lower_growth(act)
    if low is None:
        return None
    a2, p, x0, how = low
    s2 = 2 * arb(sigma_w2)
    for z0 in (arb(1), *(arb(2) ** -k for k in range(1, 8))):
        # E[Z^{2p}; Z ≥ z0] ≥ z0^{2p-2}·E[Z²; Z ≥ z0] = z0^{2p-2}(z0·pdf(z0) + P(Z ≥ z0))
        pdf = (-z0 * z0 / 2).exp() / (2 * arb.pi()).sqrt()
        mass = z0 ** (2 * p - 2) * (z0 * pdf + (z0 / arb(2).sqrt()).erfc() / 2)
        c = (mass * a2).lower()
        if p == 1 and not s2 * c >= 1:
            continue
        q_big = (x0 / z0) ** 2  # √q·z0 ≥ X₀: the tail bound holds for every Z ≥ z0
        if p > 1:
            q_big = q_big.max((1 / (s2 * c)) ** (arb(1) / (p - 1)))
        break
    else:
        return None
    q_big = arb(math.ceil(float(q_big.upper())))
    base = arb(2) / d
    if q_big <= base:
        q_big = 2 * base
    with prec_scope(min(ctx.prec, CHECK_PREC)):
        balls = _below_diagonal_free(act, sigma_w2, base, q_big, t)
    if balls is None:
        return None
    return VarianceDiverges(
        f"the variance recursion diverges (proved): T(q) = 2σ_w² E[φ(√q Z)²] + 2/d > q for every "
        f"q ≥ 2/d — on [{float(base.lower()):.4g}, {float(q_big.upper()):.4g}] by {balls} interval "
        f"pieces, beyond it from {how} (E[φ(√q Z)²] ≥ {float(c):.3g}·q^{p} there); so q⁽ˡ⁾ → ∞ and "
        "E[φ(√q Z)²] diverges along the recursion: there is no q*, no G* and no λ*"
    )


def _below_diagonal_free(act, sigma_w2, lo: arb, hi: arb, t: Tails) -> int | None:
    """The number of balls used to prove T(q) > q on [lo, hi], or None."""
    s2 = 2 * arb(sigma_w2)
    count = math.ceil(math.log(float((hi / lo).upper())) / math.log(RATIO))
    ends = [lo * (hi / lo) ** (arb(k) / count) for k in range(count + 1)]
    todo = [(a, b) for a, b in itertools.pairwise(ends)]
    used = 0
    while todo:
        a, b = todo.pop()
        used += 1
        if used > DIVERGENCE_EVALUATIONS:
            return None
        piece = a.union(b)
        if (s2 * second_moment(act, piece, t) + lo).lower() > piece.upper():
            continue
        m = (a + b) / 2
        if not (b - a) > lo * arb(2) ** -30:
            return None
        todo += [(a, m), (m, b)]
    return used


def _lower_growth(act: Activation):
    """(a², p, X₀, text) with φ(x)² ≥ a²|x|^{2p} on a tail |x| ≥ X₀ (one side), or None."""
    kinks = [abs(float(p.hi)) for p in act.pieces[:-1]]
    best = None
    for start in STARTS:
        if any(k >= start for k in kinks):
            continue
        x0 = arb(start)
        for side, piece in ((1, act.pieces[-1]), (-1, act.pieces[0])):
            expr = piece.expr.subs(X, side * X)
            for p in (4, 3, 2, 1):
                found = _bounded_below(expr / X**p, x0)
                if found is not None:
                    cand = (
                        found**2,
                        p,
                        x0,
                        f"|φ(x)| ≥ {float(found):.3g}·|x|^{p} for "
                        f"{'x ≥ ' if side > 0 else 'x ≤ -'}{start}",
                    )
                    if best is None or cand[1] > best[1]:
                        best = cand
                    break
            for beta in (sp.Rational(1, 2), sp.Integer(1)):
                found = _bounded_below(expr * sp.exp(-beta * X), x0)
                if found is not None:  # φ ≥ a e^{βx} ≥ a(βx)⁴/24: φ² ≥ a²β⁸x⁸/576
                    b = arb(int(beta.p)) / int(beta.q)
                    a2 = found**2 * b**8 / 576
                    text = f"φ(x) ≥ {float(found):.3g}·e^{{{beta}x}} on a tail beyond {start}"
                    return (a2.lower(), 4, x0, text)
        if best is not None:
            return best
    return best


def _bounded_below(expr: sp.Expr, x0: arb) -> arb | None:
    """a > 0 with |expr| ≥ a on [x0, ∞) by interval arithmetic, or None."""
    try:
        i = evaluate(expr, Interval(x0, INF))
    except (VerifyError, ValueError, TypeError, ZeroDivisionError):
        return None
    if i.lo.is_finite() and i.lo > 0:
        return i.lo.lower()
    if i.hi.is_finite() and i.hi < 0:
        return (-i.hi).lower()
    return None


__all__ = [
    "PIECES",
    "Invariant",
    "QStar",
    "VarianceDiverges",
    "divergence",
    "invariant_interval",
    "q_star_ball",
    "variance_map",
]
