"""Gaussian expectations of φ as balls: μ_n(q), E[φ(√q Z)²] and the variance fixed point q*.

Each expectation is Arb's rigorous integral (``acb.integral``) over the window |x| ≤ W, split at
φ's exact kinks, in the variable x = √q z, plus an analytic bound on the Gaussian tail |z| > R:

* growth: |φ(x)| ≤ A + B|x|, with A = sup|φ|, B = 0 when φ is bounded, else A = |φ(0)|, B = L
  (certified enclosures, :mod:`symbolic.sup_enclosure`);
* μ_n: Cramér's inequality |h_n(z)| e^{-z²/4} ≤ K = 1.086435 (normalized He_n; Abramowitz &
  Stegun 22.14.17) gives |tail| ≤ 2K/√(2π) · (A √π erfc(R/2) + 2B√q e^{-R²/4});
* E[φ²]: ∫_R^∞ z^j e^{-z²/2} dz ≤ R^{j-1} e^{-R²/2} / (1 - (j-1)/R²) (integration by parts, for
  R² > j - 1) on (A + B√q z)².

The fixed point q* of T(q) = 2σ_w² E[φ(√q Z)²] + 2/d is enclosed a posteriori (Banach): T is a
contraction on [q_lo, ∞), q_lo = max(2/d, q̃/2), with constant c = 2σ_w² sup|d/dq E[φ(√qZ)²]|, and
d/dq E[φ(√q Z)²] = E[φ φ'(√q Z) Z]/√q, so |·| ≤ L·min(A√(2/π)/√q + B, sup|φ|√(2/π)/√q)
(|φ| ≤ A + B|x|, E|Z| = √(2/π), E Z² = 1). Then |q* - q̃| ≤ |T(q̃) - q̃|/(1 - c).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from flint import acb, arb, ctx

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function
from symbolic.enclosure import Enclosure
from symbolic.errors import VerifyError
from symbolic.hermite import parity

#: Cramér's constant, rounded up: |He_n(z)| e^{-z²/4} ≤ CRAMER·√(n!) for every n and real z.
CRAMER = arb("1.086436")


@dataclass(frozen=True)
class Growth:
    """|φ(x)| ≤ a + b|x| on the line (certified), and sup|φ| when bounded (else None)."""

    a: arb
    b: arb
    sup: arb | None
    lip: arb


def growth(act: Activation, sup0: Enclosure | None, lip: Enclosure) -> Growth:
    """The linear growth bound from a certified L (and sup|φ| when φ is bounded)."""
    phi0 = abs(ball_function(act.expr)(arb(0), False)).upper()
    lip_up = lip.ball.upper()
    if sup0 is not None:
        return Growth(sup0.ball.upper(), arb(0), sup0.ball.upper(), lip_up)
    return Growth(phi0, lip_up, None, lip_up)


@dataclass(frozen=True)
class _Window:
    """Integration pieces in x (exact endpoints) and R, the smallest |z| of the tail."""

    pieces: list[tuple[arb, arb, object]]
    radius_z: arb


def _window(act: Activation, q: arb, start: arb | None = None) -> _Window:
    """The pieces of [-W, W] (or of [start, W] when ``start`` is given)."""
    prec = ctx.prec
    r = (4 * (prec + 16) * arb(2).log()).sqrt()  # e^{-R²/4} ≈ 2^-(prec+16)
    w = float((r * q.sqrt()).upper()) + 1.0  # exact binary endpoint ≥ R√q
    edge = arb(w)
    pieces = []
    for p in act.pieces:
        lo = -edge if p.lo == -sp.oo else ball_constant(p.lo)
        hi = edge if p.hi == sp.oo else ball_constant(p.hi)
        lo, hi = lo.max(-edge if start is None else start), hi.min(edge)
        if lo < hi:
            pieces.append((lo, hi, ball_function(p.expr)))
    return _Window(pieces, (edge / q.sqrt()).lower())


def _integral(window: _Window, integrand) -> arb:
    total = arb(0)
    tol = arb(2) ** (-ctx.prec)
    for lo, hi, fn in window.pieces:
        value = acb.integral(
            lambda x, analytic, fn=fn: integrand(x, fn(x, analytic)),
            acb(lo),
            acb(hi),
            rel_tol=tol,
            abs_tol=tol,
        )
        if not value.real.is_finite():
            raise VerifyError("ball integration did not converge (raise --prec or check φ)")
        total += value.real
    return total


def zero_by_parity(kind: str, n: int) -> bool:
    """μ_n = 0 for every q, by the parity ``kind`` of :func:`symbolic.hermite.parity`: odd φ
    (even n), even φ (odd n), φ - φ(0) odd (even n ≥ 2: E[h_n] = 0), φ - c·x even (odd n ≥ 3:
    x = √q h_1 is orthogonal to h_n)."""
    return {
        "odd": n % 2 == 0,
        "even": n % 2 == 1,
        "odd+const": n % 2 == 0 and n >= 2,
        "even+linear": n % 2 == 1 and n >= 3,
    }.get(kind, False)


def hermite_balls(act: Activation, q: arb, terms: int, g: Growth) -> list[arb]:
    """μ_n(q) = E[φ(√q Z) h_n(Z)] for n < ``terms`` as balls, for every q in the ball ``q``.

    h_n(z) = He_n(z)/√n! = 2^{-n/2} H_n(z/√2)/√n! (Arb's physicists' H_n); coefficients that vanish
    by the proved parity of φ are exact zeros, and for odd or even φ the even integrand
    φ(x)h_n(x/√q)e^{-x²/2q} is integrated over [0, W] and doubled."""
    kind = parity(act)
    full = _window(act, q)
    half = _window(act, q, arb(0)) if kind in ("odd", "even") else None
    sq = q.sqrt()
    norm = 1 / (2 * arb.pi() * q).sqrt()
    big_r = full.radius_z
    tail = (
        2
        * CRAMER
        / (2 * arb.pi()).sqrt()
        * (g.a * arb.pi().sqrt() * (big_r / 2).erfc() + 2 * g.b * sq * (-big_r * big_r / 4).exp())
    )
    scale = (2 * q).sqrt()
    out = []
    for n in range(terms):
        if zero_by_parity(kind, n):
            out.append(arb(0))
            continue
        root = 1 / ((arb(2) ** n) * arb.fac_ui(n)).sqrt()

        def integrand(x, phi, n=n, root=root):
            return phi * (x / scale).hermite_h(n) * root * (-x * x / (2 * q)).exp()

        if half is not None:
            value = 2 * _integral(half, integrand)
        else:
            value = _integral(full, integrand)
        out.append(value * norm + arb(0, tail))
    return out


def second_moment(act: Activation, q: arb, g: Growth) -> arb:
    """E[φ(√q Z)²] as a ball, for every q in the ball ``q``."""
    window = _window(act, q)
    big_r = window.radius_z
    r2 = big_r * big_r
    e = (-r2 / 2).exp()
    i0, i1, i2 = e / big_r, e, big_r * e / (1 - 1 / r2)
    tail = (
        2 / (2 * arb.pi()).sqrt() * (g.a**2 * i0 + 2 * g.a * g.b * q.sqrt() * i1 + g.b**2 * q * i2)
    )
    value = _integral(window, lambda x, phi: phi * phi * (-x * x / (2 * q)).exp())
    return value / (2 * arb.pi() * q).sqrt() + arb(0, tail)


@dataclass(frozen=True)
class QStar:
    """The enclosure of q*, the contraction constant used, and T's residual at the midpoint."""

    enclosure: Enclosure
    contraction: arb
    residual: arb


def q_star_ball(
    act: Activation, sigma_w2: float, d: int, q_float: float, g: Growth, steps: int
) -> QStar:
    """q* = T(q*) enclosed (see the module docstring); ``q_float`` starts the refinement, which
    takes at most ``steps`` ball evaluations of T. Raises VerifyError when c ≥ 1."""
    s2, base = 2 * arb(sigma_w2), arb(2) / d

    def contraction(q_lo: arb) -> arb:  # 2σ_w² sup_{q ≥ q_lo} |d/dq E[φ(√q Z)²]|
        decay = (2 / arb.pi()).sqrt() / q_lo.sqrt()
        slope = g.lip * (g.a * decay + g.b)
        if g.sup is not None:
            slope = slope.min(g.lip * g.sup * decay)
        return s2 * slope

    q = arb(q_float)
    for k in range(steps):
        new = s2 * second_moment(act, q, g) + base
        residual = abs(new - q)  # T's residual at this q: the radius below is q's own
        if k == steps - 1 or residual.upper() < abs(q) * arb(2) ** (10 - ctx.prec):
            break
        q = arb(new.mid())
    # T is a contraction on I = [q_lo, ∞) with q_lo = max(2/d, q̃/2) when c(q_lo) < 1: it maps
    # [q̃ - r, q̃ + r] ⊂ I, r = |T(q̃) - q̃|/(1 - c), into itself, so exactly one fixed point lies
    # there (and, when c(2/d) < 1 too, it is the only one on [2/d, ∞), where every q* lies)
    q_lo = arb(q.mid()) / 2
    q_lo = q_lo if q_lo > base else base
    c = contraction(q_lo)
    if not c < 1:
        raise VerifyError(
            f"the variance map is not proved a contraction (c ≤ {float(c.upper()):.3g} for "
            f"q ≥ {float(q_lo.lower()):.3g}); no enclosure of q*"
        )
    radius = residual.upper() / (1 - c).lower()
    if not radius < arb(q.mid()) / 2:
        raise VerifyError(
            f"q* not enclosed: the residual {float(residual.upper()):.2e} is too large for the "
            f"contraction c ≤ {float(c.upper()):.3g} (raise the refinement steps or --prec)"
        )
    ball = arb(q.mid(), radius)
    unique = "unique on [2/d, ∞)" if contraction(base) < 1 else "unique near q̃"
    method = (
        f"Banach a posteriori: |T(q̃) - q̃| ≤ {float(residual.upper()):.2e}, contraction "
        f"c ≤ {float(c.upper()):.4f} for q ≥ {float(q_lo.lower()):.4g} ({unique}); Arb "
        f"integrals, {ctx.prec} bits"
    )
    return QStar(Enclosure(ball, method), c, residual)


__all__ = [
    "CRAMER",
    "Growth",
    "QStar",
    "growth",
    "hermite_balls",
    "q_star_ball",
    "second_moment",
    "zero_by_parity",
]
