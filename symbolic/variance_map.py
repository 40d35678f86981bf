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

from flint import arb, ctx

from symbolic.activations import Activation
from symbolic.enclosure import Enclosure
from symbolic.errors import VerifyError
from symbolic.hermite_balls import Tails, second_moment, variance_slope

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
    act: Activation, sigma_w2: float, d: int, q_float: float, t: Tails, pieces: int = PIECES
) -> Invariant:
    """The first J = [2/d, b] of SPANS that proves out (module docstring); raises VerifyError
    naming what failed on the last one tried."""
    old = ctx.prec
    ctx.prec = min(old, CHECK_PREC)
    try:
        base = arb(2) / d
        q = max(q_float, float(base.upper()))
        why = ""
        for f in SPANS:
            hi = arb(q + f * max(q - float(base.mid()), q / 8) + q / 1024)
            try:
                return _check(act, sigma_w2, base, hi, t, pieces)
            except VerifyError as exc:
                why = str(exc)
        raise VerifyError(f"no invariant interval of variances found near q̃ = {q:.6g}: {why}")
    finally:
        ctx.prec = old


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


__all__ = ["PIECES", "Invariant", "QStar", "invariant_interval", "q_star_ball", "variance_map"]
