"""Certified growth envelopes on the tails: |f(x)| ≤ A·e^{β|x|} for |x| ≥ X.

The Gaussian expectations of :mod:`symbolic.hermite_balls` integrate over a window |x| ≤ W with
W ≥ X and bound what lies outside through such an envelope: for R = W/√q,

    ∫_{z>R} e^{β√q z} e^{-z²/4} dz = e^{β²q} √π erfc(R/2 - β√q)

(complete the square), and likewise with e^{-z²/2}. An envelope of exponential type covers
bounded φ (β = 0), linear and polynomial growth (relu, x², x·|x|, cubics, softplus: x^p ≤
(p/(εe))^p e^{εx} with ε = 1/4) and exponentials (e^x: β = 1).

The proof walks f's tree on the right tail x ∈ [X, ∞) (the left tail is f(-x) on the same
interval) and gives each node a *growth type* (A, p, β): |node| ≤ A·x^p·e^{βx} there.

* constants (|c|, 0, 0); x: (1, 1, 0);
* sums: the larger p and β, with each term's A scaled by X^{p_i - p} e^{(β_i - β)X} (x ≥ X ≥ 1);
* products and nonnegative integer powers multiply A and add p and β;
* exp(a + bx): (e^a, 0, b); exp(u) for other u: (e^{sup u}, 0, 0) with sup u from interval
  arithmetic on the tail (:mod:`symbolic.tail_intervals`);
* √u: (√A, p/2, β/2); 1/u^k and log u: from a positive lower bound of u on the tail (interval
  arithmetic), log u also from u's type (|log u| ≤ |log m| + |log A| + (p + β)x);
* Abs passes the type on, Max/Min take the sum of their arguments' types;
* anything else: its interval on the tail, when finite (tanh, erf, atan, sin, cos, ...).

The final type becomes an envelope: β < 0 gives the constant A·sup x^p e^{βx}; otherwise
x^p ≤ (p/(εe))^p e^{εx} turns it into A·(p/(εe))^p·e^{(β+ε)x}.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from flint import arb

from symbolic.balls import ball_constant
from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.pieces import Piece
from symbolic.tail_intervals import INF, Interval, evaluate

#: Tail starts tried, smallest first: every finite kink must lie strictly inside (-X, X).
STARTS = (1, 4, 16, 64)
#: The rate ε given up to turn a power x^p into an exponential.
EPSILON = arb(1) / 4


@dataclass(frozen=True)
class Envelope:
    """|f(x)| ≤ a·e^{beta·|x|} for every |x| ≥ start (proved)."""

    a: arb
    beta: arb
    start: arb
    text: str  # e.g. "|φ(x)| ≤ 1.47·e^{0.25|x|} for |x| ≥ 4"


@dataclass(frozen=True)
class _Type:
    """|node| ≤ a·x^p·e^{beta·x} for x ≥ the tail's start."""

    a: arb
    p: int
    beta: arb


def envelope(pieces: list[Piece], name: str = "φ") -> Envelope:
    """The envelope of the piecewise function whose outer pieces are ``pieces[0]`` (left tail)
    and ``pieces[-1]`` (right tail). Raises VerifyError when no start X of STARTS gives one."""
    kinks = [abs(float(p.hi)) for p in pieces[:-1]]
    for start in STARTS:
        if any(k >= start for k in kinks):
            continue
        x0 = arb(start)
        try:
            right = _final(_type(pieces[-1].expr, x0), x0)
            left = _final(_type(pieces[0].expr.subs(X, -X), x0), x0)
        except VerifyError:
            continue
        a, beta = right.a.max(left.a).upper(), right.beta.max(left.beta)
        text = f"|{name}(x)| ≤ {float(a.upper()):.3g}·e^{{{float(beta):g}|x|}} for |x| ≥ {start}"
        return Envelope(a, beta, x0, text)
    raise VerifyError(f"no growth envelope A·e^(β|x|) proved for {name} on its tails")


def _final(t: _Type, x0: arb) -> _Type:
    """The type as A·e^{βx} (p = 0): see the module docstring."""
    if t.p == 0:
        return _Type(t.a, 0, t.beta.max(arb(0)))
    if t.beta < 0:  # x^p e^{βx} peaks at x = p/|β|, or at the start when that lies beyond it
        peak = arb(t.p) / -t.beta
        at = peak if peak > x0 else x0
        return _Type(t.a * at**t.p * (t.beta * at).exp(), 0, arb(0))
    factor = (arb(t.p) / (EPSILON * arb.const_e())) ** t.p
    return _Type(t.a * factor, 0, t.beta + EPSILON)


def _interval(expr: sp.Expr, x0: arb) -> Interval:
    return evaluate(expr, Interval(x0, INF))


def _bounded(expr: sp.Expr, x0: arb) -> _Type:
    """(sup |expr|, 0, 0) from interval arithmetic on the tail; VerifyError when unbounded."""
    i = _interval(expr, x0)
    if not (i.lo.is_finite() and i.hi.is_finite()):
        raise VerifyError(f"{expr} is not bounded on the tail")
    return _Type(abs(i.lo).max(abs(i.hi)).upper(), 0, arb(0))


def _positive_floor(expr: sp.Expr, x0: arb) -> arb:
    """A proved m > 0 with expr ≥ m on the tail."""
    lo = _interval(expr, x0).lo
    if not (lo.is_finite() and lo > 0):
        raise VerifyError(f"{expr} is not bounded away from 0 on the tail")
    return lo.lower()


def _add(types: list[_Type], x0: arb) -> _Type:
    p = max(t.p for t in types)
    beta = types[0].beta
    for t in types[1:]:
        beta = beta.max(t.beta)
    a = arb(0)
    for t in types:
        a += t.a * x0 ** (t.p - p) * ((t.beta - beta) * x0).exp()
    return _Type(a.upper(), p, beta)


def _mul(types: list[_Type]) -> _Type:
    a, p, beta = arb(1), 0, arb(0)
    for t in types:
        a, p, beta = a * t.a, p + t.p, beta + t.beta
    return _Type(a.upper(), p, beta)


def _type(expr: sp.Expr, x0: arb) -> _Type:
    """The growth type of ``expr`` on [x0, ∞) (module docstring); VerifyError if none."""
    if expr == X:
        return _Type(arb(1), 1, arb(0))
    if not expr.has(X):
        return _Type(abs(ball_constant(expr)).upper(), 0, arb(0))
    if isinstance(expr, sp.Add):
        return _add([_type(a, x0) for a in expr.args], x0)
    if isinstance(expr, sp.Mul):
        return _mul([_type(a, x0) for a in expr.args])
    if isinstance(expr, sp.Pow):
        return _power(expr, x0)
    if isinstance(expr, sp.exp):
        return _exp(expr.args[0], x0)
    if isinstance(expr, sp.Abs):
        return _type(expr.args[0], x0)
    if isinstance(expr, (sp.Max, sp.Min)):
        return _add([_type(a, x0) for a in expr.args], x0)
    if isinstance(expr, sp.log):
        return _log(expr.args[0], x0)
    if isinstance(expr, (sp.sinh, sp.cosh)):
        return _exp_abs(expr.args[0], x0)
    return _bounded(expr, x0)


def _power(expr: sp.Pow, x0: arb) -> _Type:
    base, e = expr.base, expr.exp
    if e.is_Integer and e >= 0:
        t = _type(base, x0)
        k = int(e)
        return _Type((t.a**k).upper(), t.p * k, t.beta * k)
    if e.is_Integer:
        return _Type((1 / _positive_floor(abs(base), x0) ** int(-e)).upper(), 0, arb(0))
    if e == sp.S.Half:
        t = _type(base, x0)
        if t.p % 2 == 0:
            return _Type(t.a.sqrt().upper(), t.p // 2, t.beta / 2)
        return _Type(t.a.sqrt().upper(), (t.p + 1) // 2, t.beta / 2)  # √x ≤ x for x ≥ 1
    if e == -sp.S.Half:
        return _Type((1 / _positive_floor(base, x0).sqrt()).upper(), 0, arb(0))
    return _bounded(expr, x0)


def _exp(arg: sp.Expr, x0: arb) -> _Type:
    if arg.is_polynomial(X) and sp.degree(arg, X) <= 1:
        poly = sp.Poly(arg, X)
        slope = poly.coeff_monomial(X)
        return _Type(ball_constant(poly.coeff_monomial(1)).exp().upper(), 0, ball_constant(slope))
    hi = _interval(arg, x0).hi
    if not hi.is_finite():
        raise VerifyError(f"exp({arg}) grows faster than exponentially on the tail")
    return _Type(hi.exp().upper(), 0, arb(0))


def _exp_abs(arg: sp.Expr, x0: arb) -> _Type:
    """|sinh u|, cosh u ≤ e^{|u|}; for u = a + bx that is ≤ e^{|a|}·e^{|b|x}."""
    if arg.is_polynomial(X) and sp.degree(arg, X) <= 1:
        poly = sp.Poly(arg, X)
        a, b = (abs(ball_constant(poly.coeff_monomial(m))) for m in (1, X))
        return _Type(a.exp().upper(), 0, b)
    return _bounded(sp.cosh(arg), x0)


def _log(arg: sp.Expr, x0: arb) -> _Type:
    """|log u| ≤ |log m| + |log A| + (p + β)x ≤ (|log m| + |log A| + p + |β|)·x for x ≥ 1."""
    m = _positive_floor(arg, x0)
    t = _type(arg, x0)
    c = abs(m.log()) + abs(t.a.log()) + t.p + abs(t.beta)
    return _Type(c.upper(), 1, arb(0))


__all__ = ["EPSILON", "STARTS", "Envelope", "envelope"]
