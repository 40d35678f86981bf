"""Gaussian expectations of φ as balls: μ_n(q), E[φ(√q Z)²], d/dq E[φ(√q Z)²] and E[φ'(√q Z)²].

Each expectation is Arb's rigorous integral (``acb.integral``) over the window |x| ≤ W, split at
φ's exact kinks, in the variable x = √q z, plus a bound on the Gaussian tail |z| > R = W/√q from
the certified growth envelope |φ(x)| ≤ A e^{β|x|} for |x| ≥ X ≤ W (:mod:`symbolic.growth`):

* μ_n: Cramér's inequality |h_n(z)| e^{-z²/4} ≤ K = 1.086435 (normalized He_n; Abramowitz &
  Stegun 22.14.17) gives |tail| ≤ K·2A e^{β²q} erfc(R/2 - β√q)/√2;
* E[φ²] (and E[φ'²] with φ' 's envelope): ≤ A² e^{2β²q} erfc((R - 2β√q)/√2);
* d/dq E[φ(√q Z)²] = E[φ(√q Z)²(Z² - 1)]/(2q) (differentiate the density e^{-x²/2q}/√(2πq)):
  |z² - 1| ≤ z² + 1 ≤ 2e^{z²/4} gives ≤ 2√2 A² e^{4β²q} erfc(R/2 - 2β√q)/(2q).

R grows with β√q so that every tail stays near 2^-(prec+16). A ball q (an interval of
variances) gives balls that contain the expectation for every q in it: the window is taken at
q's upper end, which is what the variance-map proofs (:mod:`symbolic.variance_map`) need.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp
from flint import acb, arb, ctx

from symbolic.activations import Activation
from symbolic.balls import ball_constant, ball_function
from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.growth import Envelope, envelope
from symbolic.hermite import parity
from symbolic.pieces import Piece

#: Cramér's constant, rounded up: |He_n(z)| e^{-z²/4} ≤ CRAMER·√(n!) for every n and real z.
CRAMER = arb("1.086436")


@dataclass(frozen=True)
class Tails:
    """The proved envelopes of φ and φ' on the tails (``dphi`` None when φ jumps, so that φ' has
    a Dirac mass no envelope holds: the slope E[φ'(u)φ'(v)] is then unbounded near ρ = 1)."""

    phi: Envelope
    dphi: Envelope | None
    jump: str | None  # where φ jumps, when it does


def tails(act: Activation) -> Tails:
    """Growth envelopes of φ and of φ' (piecewise), and the first jump of φ if any. Raises
    VerifyError when φ's tails have no exponential-type envelope."""
    phi = envelope(act.pieces)
    jump = _jump(act.pieces)
    dphi = None
    if jump is None:
        try:
            dphi = envelope(act.derivative_expr(1), "φ'")
        except VerifyError:
            dphi = None
    return Tails(phi, dphi, jump)


def _jump(pieces: list[Piece]) -> str | None:
    """'x = b' for the first breakpoint where the one-sided values differ (sympy), else None."""
    for left, right in itertools.pairwise(pieces):
        b = left.hi
        if sp.simplify(left.expr.subs(X, b) - right.expr.subs(X, b)) != 0:
            return f"x = {sp.sstr(b)}"
    return None


@dataclass(frozen=True)
class _Window:
    """Integration pieces in x (exact endpoints) and R, the smallest |z| of the tail."""

    pieces: list[tuple[arb, arb, object]]
    radius_z: arb


def _window(pieces: list[Piece], q: arb, env: Envelope, start: arb | None = None) -> _Window:
    """The pieces of [-W, W] (or of [start, W] when ``start`` is given), W ≥ the envelope's
    start and W ≥ R√q for R = √(4(prec+16) log 2) + 4β√q (at q's upper end)."""
    prec = ctx.prec
    qh = arb(q.upper())
    r = (4 * (prec + 16) * arb(2).log()).sqrt() + 4 * env.beta * qh.sqrt()
    w = max(float((r * qh.sqrt()).upper()), float(env.start.upper())) + 1.0
    edge = arb(w)  # exact binary endpoint
    out = []
    for p in pieces:
        lo = -edge if p.lo == -sp.oo else ball_constant(p.lo)
        hi = edge if p.hi == sp.oo else ball_constant(p.hi)
        lo, hi = lo.max(-edge if start is None else start), hi.min(edge)
        if lo < hi:
            out.append((lo, hi, ball_function(p.expr)))
    return _Window(out, (edge / qh.sqrt()).lower())


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


def hermite_balls(act: Activation, q: arb, terms: int, t: Tails) -> list[arb]:
    """μ_n(q) = E[φ(√q Z) h_n(Z)] for n < ``terms`` as balls, for every q in the ball ``q``.

    h_n(z) = He_n(z)/√n! = 2^{-n/2} H_n(z/√2)/√n! (Arb's physicists' H_n); coefficients that vanish
    by the proved parity of φ are exact zeros, and for odd or even φ the even integrand
    φ(x)h_n(x/√q)e^{-x²/2q} is integrated over [0, W] and doubled."""
    kind = parity(act)
    full = _window(act.pieces, q, t.phi)
    half = _window(act.pieces, q, t.phi, arb(0)) if kind in ("odd", "even") else None
    norm = 1 / (2 * arb.pi() * q).sqrt()
    tail = CRAMER * _tail_first(t.phi, q, full.radius_z)
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


def _tail_first(env: Envelope, q: arb, big_r: arb) -> arb:
    """∫_{|z|>R} A e^{β√q|z|} e^{-z²/4} dz/√(2π) ≤ 2A e^{β²q} erfc(R/2 - β√q)/√2."""
    qh = arb(q.upper())
    b = env.beta
    return (
        2 * env.a * (b * b * qh).exp() * (big_r / 2 - b * qh.sqrt()).erfc() / arb(2).sqrt()
    ).upper()


def _tail_square(env: Envelope, q: arb, big_r: arb) -> arb:
    """∫_{|z|>R} A² e^{2β√q|z|} e^{-z²/2} dz/√(2π) ≤ A² e^{2β²q} erfc((R - 2β√q)/√2)."""
    qh = arb(q.upper())
    b = env.beta
    arg = (big_r - 2 * b * qh.sqrt()) / arb(2).sqrt()
    return (env.a**2 * (2 * b * b * qh).exp() * arg.erfc()).upper()


def _tail_slope(env: Envelope, q: arb, big_r: arb) -> arb:
    """∫_{|z|>R} A² e^{2β√q|z|} |z² - 1| e^{-z²/2} dz/√(2π) ≤ 2√2 A² e^{4β²q} erfc(R/2 - 2β√q)."""
    qh = arb(q.upper())
    b = env.beta
    value = 2 * arb(2).sqrt() * env.a**2 * (4 * b * b * qh).exp()
    return (value * (big_r / 2 - 2 * b * qh.sqrt()).erfc()).upper()


def second_moment(act: Activation, q: arb, t: Tails) -> arb:
    """E[φ(√q Z)²] as a ball, for every q in the ball ``q``."""
    window = _window(act.pieces, q, t.phi)
    value = _integral(window, lambda x, phi: phi * phi * (-x * x / (2 * q)).exp())
    return value / (2 * arb.pi() * q).sqrt() + arb(0, _tail_square(t.phi, q, window.radius_z))


def variance_slope(act: Activation, q: arb, t: Tails) -> arb:
    """d/dq E[φ(√q Z)²] = E[φ(√q Z)²(Z² - 1)]/(2q) as a ball, for every q in the ball ``q``."""
    window = _window(act.pieces, q, t.phi)
    value = _integral(window, lambda x, phi: phi * phi * (x * x / q - 1) * (-x * x / (2 * q)).exp())
    body = value / (2 * arb.pi() * q).sqrt() + arb(0, _tail_slope(t.phi, q, window.radius_z))
    return body / (2 * q)


def slope_moment(act: Activation, q: arb, t: Tails) -> arb:
    """E[φ'(√q Z)²] as a ball (φ' piecewise, classical), for every q in the ball ``q``: it bounds
    the correlation map's slope, E[φ'(u)φ'(v)] ≤ E[φ'(√q Z)²] (Price's theorem, Cauchy–Schwarz).
    Raises VerifyError when φ jumps (φ' has a Dirac mass there)."""
    if t.dphi is None:
        where = f" at {t.jump}" if t.jump else ""
        raise VerifyError(
            f"φ jumps{where}: E[φ'(u)φ'(v)] is unbounded as the correlation tends to 1, so the "
            "correlation map is not a contraction"
        )
    window = _window(act.derivative_expr(1), q, t.dphi)
    value = _integral(window, lambda x, dphi: dphi * dphi * (-x * x / (2 * q)).exp())
    return value / (2 * arb.pi() * q).sqrt() + arb(0, _tail_square(t.dphi, q, window.radius_z))


__all__ = [
    "CRAMER",
    "Tails",
    "hermite_balls",
    "second_moment",
    "slope_moment",
    "tails",
    "variance_slope",
    "zero_by_parity",
]
