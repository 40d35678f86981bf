"""Numeric evaluation of trusted sympy expressions in ``x``, by walking the tree.

No code is generated: each node becomes a closure over the backend's functions. Two backends:
``torch`` (float64 tensors, vectorized) and ``mpmath`` (arbitrary precision scalars, at the
precision in force where the closure is called).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.functions import MPMATH, TORCH, _torch

if TYPE_CHECKING:
    import torch

Fn = Callable[[object], object]


#: For closed-form duals only: at |ρ| = 1 rounding can push asin/acos arguments just outside
#: their domain. User formulas keep the strict table, so sqrt(x) stays undefined for x < 0.
_TORCH_CLAMPED: dict[type, Callable] = {
    **TORCH,
    sp.asin: lambda a: _torch().asin(a.clamp(-1.0, 1.0)),
    sp.acos: lambda a: _torch().acos(a.clamp(-1.0, 1.0)),
}


def torch_function(expr: sp.Expr) -> Callable[[torch.Tensor], torch.Tensor]:
    """φ as a function of a float64 tensor ``x`` (any shape), elementwise."""
    node = _compile(_as_expr(expr), TORCH, lambda v: float(v), "torch", (X,))

    def fn(x: torch.Tensor) -> torch.Tensor:
        torch = _torch()
        out = node((x,))
        return out if isinstance(out, torch.Tensor) else torch.full_like(x, float(out))

    return fn


def torch_function_of(
    expr: sp.Expr, variables: tuple[sp.Symbol, ...]
) -> Callable[..., torch.Tensor]:
    """``expr`` as an elementwise function of one float64 tensor per symbol in ``variables``.

    For the registry's closed-form duals: arcsine/arccosine arguments are clamped to [-1, 1] and
    square roots of rounding-negative numbers (> -1e-12) read as 0.
    """
    node = _compile(_as_expr(expr), _TORCH_CLAMPED, lambda v: float(v), "torch", variables)

    def fn(*values: torch.Tensor) -> torch.Tensor:
        torch = _torch()
        values = torch.broadcast_tensors(*(torch.as_tensor(v, dtype=torch.float64) for v in values))
        out = node(values)
        return out if isinstance(out, torch.Tensor) else torch.full_like(values[0], float(out))

    return fn


def mp_function(expr: sp.Expr) -> Callable[[mpmath.mpf], mpmath.mpf]:
    """φ as a function of one mpmath number; constants are rounded at call-time precision."""
    node = _compile(_as_expr(expr), MPMATH, _mp_constant, "mpmath", (X,))
    return lambda x: node((x,))


def _as_expr(expr: sp.Basic | int | float) -> sp.Basic:
    """A sympy object as is, numbers converted; never text (user text goes through formula.py)."""
    if isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, int) and not isinstance(expr, bool):
        return sp.Integer(expr)
    if isinstance(expr, float):
        return sp.Float(expr)
    raise TypeError(f"expected a sympy expression, got {type(expr).__name__}")


def _mp_constant(value: sp.Expr) -> Fn:
    cache: dict[int, mpmath.mpf] = {}

    def get() -> mpmath.mpf:
        prec = mpmath.mp.prec
        if prec not in cache:
            cache[prec] = mpmath.mpf(sp.N(value, int(prec * 0.302) + 10))
        return cache[prec]

    return get


def _compile(expr: sp.Expr, table: dict[type, Callable], const, backend: str, variables) -> Fn:
    if expr in variables:
        i = variables.index(expr)
        return lambda x: x[i]
    if expr.is_number:
        if not expr.is_real:
            raise VerifyError(f"non-real constant {expr} in the expression")
        if backend == "mpmath":
            get = const(expr)
            return lambda x: get()
        value = const(expr)
        return lambda x: value
    if expr.is_Symbol:
        raise VerifyError(f"unexpected variable {expr} in the expression")
    args = [_compile(a, table, const, backend, variables) for a in expr.args]
    if isinstance(expr, sp.Add):
        return lambda x: reduce(lambda s, f: s + f(x), args[1:], args[0](x))
    if isinstance(expr, sp.Mul):
        return lambda x: reduce(lambda s, f: s * f(x), args[1:], args[0](x))
    if isinstance(expr, sp.Pow):
        base, power = args
        if expr.exp == sp.S.Half and table is _TORCH_CLAMPED:
            return lambda x: _torch().sqrt(
                _torch().where(base(x) > -1e-12, base(x).clamp(min=0), base(x))
            )
        if expr.exp.is_Integer and int(expr.exp) < 0 and backend == "torch":
            k = -int(expr.exp)
            return lambda x: 1.0 / base(x) ** k
        return lambda x: base(x) ** power(x)
    func = table.get(expr.func)
    if func is None:
        raise VerifyError(f"cannot evaluate {expr.func.__name__} numerically ({backend})")
    return lambda x: func(*(a(x) for a in args))
