"""Sympy expressions evaluated in ball arithmetic (Arb, through python-flint).

A ball ``m ± r`` is an enclosure: every operation returns a ball that contains the exact result
for every point of its input balls, so a compiled expression evaluated on a ball ``[a, b]``
encloses the range of the expression on ``[a, b]``, and on a point it encloses the exact value
at the working precision ``flint.ctx.prec`` (bits). Constants are converted exactly (integers,
rationals, the binary value of a Float) or computed as balls (π, e, √2, ...): nothing passes
through float64.

Over ``acb`` (complex balls) the compiled function also serves as an integrand of
``acb.integral``: with ``analytic=True`` it returns a non-finite ball where the expression is
not holomorphic on the input box (a branch cut of log, √, atan, asin, or a non-smooth atom), as
Arb's rigorous integration requires.

Tree walking only, like :mod:`symbolic.evaluate`: no text is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sympy as sp
from flint import acb, arb, ctx, fmpq, fmpz

from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.functions import ArcCosJ1

Ball = Any  # arb or acb
BallFn = Callable[[Ball, bool], Ball]


def _nan(z: Ball) -> Ball:
    return acb("nan") if isinstance(z, acb) else arb("nan")


def _im_below_one(z: Ball) -> bool:
    """|Im z| < 1 on the whole box: off the cuts of atan and asinh (±i[1, ∞))."""
    return not isinstance(z, acb) or abs(z.imag).upper() < 1


def _re_inside_unit(z: Ball) -> bool:
    """|Re z| < 1 on the whole box: off the cuts of asin and acos (±[1, ∞))."""
    return not isinstance(z, acb) or abs(z.real).upper() < 1


def _guarded(method: str, ok: Callable[[Ball], bool]) -> Callable[[Ball, bool], Ball]:
    def fn(z: Ball, analytic: bool) -> Ball:
        if analytic and not ok(z):
            return _nan(z)
        return getattr(z, method)()

    return fn


def _with_flag(method: str) -> Callable[[Ball, bool], Ball]:
    """Methods with Arb's own branch-cut check (log, sqrt) on complex balls."""

    def fn(z: Ball, analytic: bool) -> Ball:
        if isinstance(z, acb):
            return getattr(z, method)(analytic=analytic)
        return getattr(z, method)()

    return fn


def _real_only(fn: Callable[..., Ball]) -> Callable[..., Ball]:
    """A non-smooth atom: defined on real balls; never holomorphic, so never an integrand."""

    def wrapped(*args: Ball, analytic: bool) -> Ball:
        if analytic or any(isinstance(a, acb) for a in args):
            return _nan(args[0])
        return fn(*args)

    return wrapped


def _sign(z: arb) -> arb:
    if z > 0:
        return arb(1)
    if z < 0:
        return arb(-1)
    return arb(0) if z.is_zero() else arb(0, 1)  # the range {-1, 0, 1} is inside [-1, 1]


def _heaviside(z: arb, h: arb | None = None) -> arb:
    """H(z) with H(0) = h (1 when not given): 1 where z > 0, 0 where z < 0."""
    h = arb(1) if h is None else h
    if z > 0:
        return arb(1)
    if z < 0:
        return arb(0)
    if z.is_zero():
        return h
    values = [arb(0), arb(1), h] if not z >= 0 else [arb(1), h]
    return real_interval(min(v.lower() for v in values), max(v.upper() for v in values))


def _max(*zs: arb) -> arb:
    out = zs[0]
    for z in zs[1:]:
        out = out.max(z)
    return out


def _min(*zs: arb) -> arb:
    out = zs[0]
    for z in zs[1:]:
        out = out.min(z)
    return out


def _arccos_j1(z: Ball, analytic: bool) -> Ball:
    """J₁(ρ) = √((1 - ρ)(1 + ρ)) + (π - arccos ρ)ρ on real balls inside [-1, 1] (the relu dual's
    node); never an integrand."""
    if analytic or isinstance(z, acb):
        return _nan(z)
    return ((1 - z) * (1 + z)).sqrt() + (arb.pi() - z.acos()) * z


#: sympy head -> ball function of (argument, analytic).
_UNARY: dict[type, Callable[[Ball, bool], Ball]] = {
    sp.sin: _guarded("sin", lambda z: True),
    sp.cos: _guarded("cos", lambda z: True),
    sp.tan: _guarded("tan", lambda z: True),
    sp.exp: _guarded("exp", lambda z: True),
    sp.tanh: _guarded("tanh", lambda z: True),
    sp.sinh: _guarded("sinh", lambda z: True),
    sp.cosh: _guarded("cosh", lambda z: True),
    sp.erf: _guarded("erf", lambda z: True),
    sp.erfc: _guarded("erfc", lambda z: True),
    sp.atan: _guarded("atan", _im_below_one),
    sp.asinh: _guarded("asinh", _im_below_one),
    sp.asin: _guarded("asin", _re_inside_unit),
    sp.acos: _guarded("acos", _re_inside_unit),
    sp.log: _with_flag("log"),
    ArcCosJ1: _arccos_j1,
}

_NONSMOOTH: dict[type, Callable[..., Ball]] = {
    sp.Abs: _real_only(lambda z: abs(z)),
    sp.sign: _real_only(_sign),
    sp.Heaviside: _real_only(_heaviside),
    sp.Max: _real_only(_max),
    sp.Min: _real_only(_min),
}


def ball_constant(value: sp.Expr | int | float) -> arb:
    """The exact real number ``value`` (a sympy number or expression, an int or a float, taken
    exactly; never text, which is not parsed here) as a ball at the current precision."""
    fn = _compile(_as_expr(value), {})
    return fn(arb(0), False)


def _as_expr(value: sp.Expr | int | float) -> sp.Expr:
    """A sympy number for an int or float (the float's exact binary value), ``value`` itself for
    a sympy object; anything else (text included) is refused."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {type(value).__name__}")
    return sp.Integer(value) if isinstance(value, int) else sp.Float(value, 17)


def ball_function(expr: sp.Expr) -> BallFn:
    """``expr`` (in x) as a function ``f(ball, analytic) -> ball`` over arb or acb balls."""
    return _compile(sp.Integer(expr) if isinstance(expr, int) else expr, {X: None})


def ball_function_of(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., arb]:
    """``expr`` in the real variables ``symbols`` as ``f(*balls) -> ball`` (real balls)."""
    fn = _compile(expr, {s: i for i, s in enumerate(symbols)})
    return lambda *balls: fn(balls, False)


def _number(expr: sp.Expr) -> Callable[[Ball], Ball] | None:
    if isinstance(expr, sp.Rational):  # Integer included
        q = fmpq(fmpz(int(expr.p)), fmpz(int(expr.q)))
        return lambda z: arb(q)
    if isinstance(expr, sp.Float):
        sign, man, exp, _ = expr._mpf_  # the Float's exact binary value
        value = arb(fmpz(-man if sign else man)) * arb(2) ** int(exp)
        return lambda z: value
    if expr is sp.pi:
        return lambda z: arb.pi()
    if expr is sp.E:
        return lambda z: arb.const_e()
    return None


def _compile(expr: sp.Expr, variables: dict) -> BallFn:
    """Compile ``expr``; ``variables`` maps each free symbol to its position in the tuple of
    balls the function takes, or to None for the single variable x (the ball itself)."""
    if expr in variables:
        i = variables[expr]
        return (lambda z, analytic: z) if i is None else (lambda z, analytic: z[i])
    const = _number(expr)
    if const is not None:
        return lambda z, analytic: const(z)
    if getattr(expr, "is_certified_root", False):  # symbolic.roots.RealRoot
        return lambda z, analytic: expr.ball()
    if expr.is_Symbol or isinstance(expr, sp.NumberSymbol) or expr is sp.I:
        raise VerifyError(f"cannot evaluate {expr} in ball arithmetic")
    args = [_compile(a, variables) for a in expr.args]
    if isinstance(expr, sp.Add):

        def add(z, analytic):
            out = args[0](z, analytic)
            for f in args[1:]:
                out = out + f(z, analytic)
            return out

        return add
    if isinstance(expr, sp.Mul):

        def mul(z, analytic):
            out = args[0](z, analytic)
            for f in args[1:]:
                out = out * f(z, analytic)
            return out

        return mul
    if isinstance(expr, sp.Pow):
        return _power(expr, args[0], args[1])
    if expr.func in _UNARY and len(args) == 1:
        fn, (arg,) = _UNARY[expr.func], args
        return lambda z, analytic: fn(arg(z, analytic), analytic)
    if expr.func in _NONSMOOTH:
        fn = _NONSMOOTH[expr.func]
        return lambda z, analytic: fn(*(a(z, analytic) for a in args), analytic=analytic)
    raise VerifyError(f"cannot evaluate {expr.func.__name__} in ball arithmetic")


def int_power(z: Ball, k: int) -> Ball:
    """z^k for an integer k ≥ 0. python-flint's ``arb ** k`` is nan for a real ball whose
    midpoint is exactly 0 (0 ± r, r > 0): there z^k lies in [-r^k, r^k], returned as 0 ± r^k."""
    if isinstance(z, arb) and k > 0 and z.mid() == 0 and z.rad() > 0:
        return arb(0, (arb(z.rad()) ** k).upper())
    return z**k


def _power(expr: sp.Pow, base: BallFn, power: BallFn) -> BallFn:
    e = expr.exp
    if e.is_Integer:
        k = int(e)
        if k >= 0:
            return lambda z, analytic: int_power(base(z, analytic), k)
        return lambda z, analytic: 1 / int_power(base(z, analytic), -k)
    if e == sp.S.Half:
        sqrt = _with_flag("sqrt")
        return lambda z, analytic: sqrt(base(z, analytic), analytic)
    if e == -sp.S.Half:
        sqrt = _with_flag("sqrt")
        return lambda z, analytic: 1 / sqrt(base(z, analytic), analytic)
    log = _with_flag("log")

    def general(z, analytic):  # b^e = exp(e log b), on the principal branch (b > 0)
        b = base(z, analytic)
        if not isinstance(b, acb) and not b > 0:
            return arb("nan")
        return (power(z, analytic) * log(b, analytic)).exp()

    return general


@contextmanager
def prec_scope(bits: int) -> Iterator[None]:
    """Arb's working precision set to ``bits`` inside the block, restored after (even on error):
    the one way the project changes flint's global precision."""
    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


def real_interval(lo: arb | float, hi: arb | float) -> arb:
    """The ball that contains the real interval [lo, hi] (endpoints exact or balls)."""
    a, b = arb(lo), arb(hi)
    return a.lower().union(b.upper())


__all__ = [
    "Ball",
    "BallFn",
    "ball_constant",
    "ball_function",
    "ball_function_of",
    "prec_scope",
    "real_interval",
]
