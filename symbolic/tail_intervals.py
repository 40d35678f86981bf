"""Interval arithmetic on unbounded intervals, for the tails x ∈ [X, ∞) and (-∞, -X].

Arb's balls cannot hold ``[X, +∞]``, so this evaluates a sympy expression over extended
intervals ``[lo, hi]`` with ``lo, hi ∈ ℝ ∪ {±∞}``: sums and products by their endpoints (with
``0·∞ = 0``, the closed-interval convention), monotone functions by their endpoint values and
limits, periodic ones by their range. Finite endpoints are computed as Arb balls and rounded
outward, so the result encloses the range of the expression on the interval. It is used to prove
that a derivative keeps one sign on a tail (so the function is monotone there); an enclosure that
contains 0 proves nothing and the caller widens its window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from flint import arb

from symbolic.balls import ball_constant, ball_function
from symbolic.errors import VerifyError
from symbolic.formula import X

INF = arb("+inf")
NEG_INF = arb("-inf")


def _finite(x: arb) -> bool:
    return x.is_finite()


@dataclass(frozen=True)
class Interval:
    """[lo, hi] with exact Arb endpoints (possibly ±inf)."""

    lo: arb
    hi: arb

    def contains_zero(self) -> bool:
        return not (self.lo > 0 or self.hi < 0)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_down(self.lo + other.lo), _up(self.hi + other.hi))

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other: Interval) -> Interval:
        prods = [_mul(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(_down(min(prods, key=_key_low)), _up(max(prods, key=_key_high)))

    def inverse(self) -> Interval:
        if self.contains_zero():
            return Interval(NEG_INF, INF)
        return Interval(_down(_recip(self.hi)), _up(_recip(self.lo)))


def _key_low(x: arb) -> float:
    return -math.inf if x == NEG_INF else (math.inf if x == INF else float(x.lower()))


def _key_high(x: arb) -> float:
    return -math.inf if x == NEG_INF else (math.inf if x == INF else float(x.upper()))


def _mul(a: arb, b: arb) -> arb:
    if a.is_zero() or b.is_zero():
        return arb(0)  # 0·∞ = 0 for closed intervals
    if _finite(a) and _finite(b):
        return a * b
    positive = (a > 0) == (b > 0)
    return INF if positive else NEG_INF


def _recip(a: arb) -> arb:
    return arb(0) if not _finite(a) else 1 / a


def _down(x: arb) -> arb:
    return x if not _finite(x) else x.lower()


def _up(x: arb) -> arb:
    return x if not _finite(x) else x.upper()


def _increasing(method: str, at_neg_inf: Callable[[], arb], at_inf: Callable[[], arb]):
    def fn(i: Interval) -> Interval:
        lo = at_neg_inf() if i.lo == NEG_INF else getattr(i.lo, method)()
        hi = at_inf() if i.hi == INF else getattr(i.hi, method)()
        return Interval(_down(lo), _up(hi))

    return fn


def _bounded_periodic(method: str):
    def fn(i: Interval) -> Interval:
        if not (_finite(i.lo) and _finite(i.hi)) or i.hi - i.lo > 7:
            return Interval(arb(-1), arb(1))
        ball = getattr(i.lo.union(i.hi), method)()
        return Interval(_down(ball), _up(ball))

    return fn


def _log(i: Interval) -> Interval:
    if not i.lo > 0 and not i.lo.is_zero():
        raise VerifyError("log of an interval reaching below 0")
    lo = NEG_INF if i.lo.is_zero() else i.lo.log()
    hi = INF if i.hi == INF else i.hi.log()
    return Interval(_down(lo), _up(hi))


def _erfc(i: Interval) -> Interval:
    return -_UNARY[sp.erf](i) + Interval(arb(1), arb(1))


def _cosh(i: Interval) -> Interval:
    a = abs_interval(i)
    return _increasing("cosh", lambda: arb(1), lambda: INF)(a)


def abs_interval(i: Interval) -> Interval:
    if i.lo >= 0:
        return i
    if i.hi <= 0:
        return -i
    return Interval(arb(0), max(-i.lo, i.hi, key=_key_high))


_UNARY: dict[type, Callable[[Interval], Interval]] = {
    sp.exp: _increasing("exp", lambda: arb(0), lambda: INF),
    sp.tanh: _increasing("tanh", lambda: arb(-1), lambda: arb(1)),
    sp.erf: _increasing("erf", lambda: arb(-1), lambda: arb(1)),
    sp.atan: _increasing("atan", lambda: -arb.pi() / 2, lambda: arb.pi() / 2),
    sp.asinh: _increasing("asinh", lambda: NEG_INF, lambda: INF),
    sp.sinh: _increasing("sinh", lambda: NEG_INF, lambda: INF),
    sp.sin: _bounded_periodic("sin"),
    sp.cos: _bounded_periodic("cos"),
    sp.log: _log,
    sp.erfc: _erfc,
    sp.cosh: _cosh,
    sp.Abs: abs_interval,
}


#: Functions bounded on all of ℝ, and their range there (used when the argument cannot be
#: bounded: a pole inside, as in atan(tan x)).
_GLOBAL_RANGE: dict[type, Callable[[], Interval]] = {
    sp.atan: lambda: Interval(_down(-arb.pi() / 2), _up(arb.pi() / 2)),
    sp.tanh: lambda: Interval(arb(-1), arb(1)),
    sp.erf: lambda: Interval(arb(-1), arb(1)),
    sp.erfc: lambda: Interval(arb(0), arb(2)),
    sp.sin: lambda: Interval(arb(-1), arb(1)),
    sp.cos: lambda: Interval(arb(-1), arb(1)),
}


def _power(base: Interval, k: int) -> Interval:
    if k == 0:
        return Interval(arb(1), arb(1))
    if k < 0:
        return _power(base, -k).inverse()
    out = base
    if k % 2 == 0:
        base = abs_interval(base)
        out = base
    for _ in range(k - 1):
        out = out * base  # monotone on |base| (even k) or on the line (odd k): exact hull
    return out


def _sqrt(i: Interval) -> Interval:
    if i.lo < 0:
        raise VerifyError("sqrt of an interval reaching below 0")
    hi = INF if i.hi == INF else i.hi.sqrt()
    return Interval(_down(i.lo.sqrt()), _up(hi))


def _x_power(factor: sp.Expr) -> int | None:
    if factor == X:
        return 1
    if isinstance(factor, sp.Pow) and factor.base == X and factor.exp.is_Integer:
        return int(factor.exp) if factor.exp > 0 else None
    return None


def _power_times_exponential(expr: sp.Mul, over: Interval) -> Interval | None:
    """x^k·e^{αx+β}·(rest) on a tail where x^k e^{αx} decays: naive interval products give
    [0, ∞]·[0, ε] = [0, ∞] there. With α < 0 on [X, ∞), X ≥ k/|α|, x^k e^{αx} decreases from
    X^k e^{αX} to 0 (its derivative x^{k-1}e^{αx}(k + αx) ≤ 0); the left tail is the mirror image
    (x = -y). None when the product has no such pair or the tail is not far enough out."""
    k, alpha, beta, rest = 0, sp.Integer(0), sp.Integer(0), []
    for f in expr.args:
        p = _x_power(f)
        if p is not None:
            k += p
            continue
        if isinstance(f, sp.exp):
            poly = sp.Poly(f.args[0], X) if f.args[0].is_polynomial(X) else None
            if poly is not None and poly.degree() <= 1:
                coeffs = poly.all_coeffs()
                a = coeffs[0] if poly.degree() == 1 else sp.Integer(0)
                alpha, beta = alpha + a, beta + coeffs[-1]
                continue
        rest.append(f)
    if k == 0 or alpha == 0 or not alpha.is_number:
        return None
    right = over.hi == INF and over.lo > 0
    left = over.lo == NEG_INF and over.hi < 0
    if not ((right and alpha < 0) or (left and alpha > 0)):
        return None
    start = over.lo if right else -over.hi  # X > 0
    a = abs(ball_constant(alpha))
    if not start >= k / a:
        return None
    peak = _up(start**k * (-a * start).exp())
    sign = -1 if (left and k % 2) else 1
    out = Interval(arb(0), peak) if sign > 0 else Interval(-peak, arb(0))
    out = out * evaluate(sp.exp(beta), over)
    for f in rest:
        out = out * evaluate(f, over)
    return out


def _polynomial_times_gaussian(expr: sp.Mul, over: Interval) -> Interval | None:
    """P(x)·e^{p(x)}·c with P, p polynomials and p → -∞ on the tail: past the real roots of P
    and of D = P' + P·p' (isolated exactly by sympy), |P|e^p is monotone towards 0, so its range
    is between 0 and its value at the finite end. None when the product is not of this form or
    the tail does not start beyond those roots."""
    exps = [f for f in expr.args if isinstance(f, sp.exp)]
    if len(exps) != 1 or not exps[0].args[0].is_polynomial(X):
        return None
    rest = sp.Mul(*[f for f in expr.args if f is not exps[0]])
    if not rest.is_polynomial(X):
        return None
    p, P = sp.Poly(exps[0].args[0], X), sp.Poly(rest, X)
    right = over.hi == INF and _finite(over.lo)
    left = over.lo == NEG_INF and _finite(over.hi)
    if p.degree() < 1 or not (right or left):
        return None
    lead = p.LC() * (1 if right or p.degree() % 2 == 0 else -1)  # sign of p at this infinity
    if not lead < 0:
        return None
    D = P.diff(X) + P * p.diff(X)
    edge = over.lo if right else over.hi
    for poly in (P, D):
        if not _beyond_real_roots(poly, edge, right):
            return None
    # |P e^p| decreases away from the finite end (exact there): its sign is P's sign there
    value = _up(abs(ball_function(expr)(edge, False)))
    sign = ball_function(rest)(edge, False)
    if not (sign > 0 or sign < 0):
        return None
    return Interval(arb(0), value) if sign > 0 else Interval(-value, arb(0))


def _beyond_real_roots(poly: sp.Poly, edge: arb, right: bool) -> bool:
    """Every real root of ``poly`` lies strictly on the inner side of ``edge`` (exact isolating
    intervals from sympy), so the polynomial keeps one sign on the tail."""
    if poly.is_zero:
        return False
    if poly.degree() == 0:
        return True
    for lo, hi in (i for i, _ in poly.intervals()):
        bound = ball_constant(sp.Rational(hi) if right else sp.Rational(lo))
        if (right and not bound < edge) or (not right and not bound > edge):
            return False
    return True


def evaluate(expr: sp.Expr, over: Interval) -> Interval:
    """An interval containing ``expr``'s values for x in ``over``. Raises VerifyError for a
    construct it cannot bound (the caller then has no tail proof)."""
    if expr == X:
        return over
    if not expr.has(X):
        c = ball_constant(expr)
        return Interval(_down(c), _up(c))
    whole = _GLOBAL_RANGE.get(expr.func)
    if whole is not None:  # bounded whatever its argument (atan(tan x) is in [-π/2, π/2])
        try:
            inner = evaluate(expr.args[0], over)
        except VerifyError:
            return whole()
        return _UNARY[expr.func](inner)
    args = [evaluate(a, over) for a in expr.args] if not isinstance(expr, sp.Pow) else None
    if isinstance(expr, sp.Add):
        out = args[0]
        for a in args[1:]:
            out = out + a
        return out
    if isinstance(expr, sp.Mul):
        grouped = _power_times_exponential(expr, over) or _polynomial_times_gaussian(expr, over)
        if grouped is not None:
            return grouped
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if isinstance(expr, sp.Pow):
        base = evaluate(expr.base, over)
        if expr.exp.is_Integer:
            return _power(base, int(expr.exp))
        if expr.exp == sp.S.Half:
            return _sqrt(base)
        if expr.exp == -sp.S.Half:
            return _sqrt(base).inverse()
        raise VerifyError(f"no tail bound for the power {expr}")
    fn = _UNARY.get(expr.func)
    if fn is None or len(args) != 1:
        raise VerifyError(f"no tail bound for {expr.func.__name__}")
    return fn(args[0])


__all__ = ["INF", "NEG_INF", "Interval", "abs_interval", "evaluate"]
