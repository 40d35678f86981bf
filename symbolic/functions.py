"""The one table of functions an activation may use: spelling, sympy head, torch and mpmath
implementations, smoothness and closed-form family.

Everything that needs a list of functions derives it from :data:`TABLE`: the formula parser's
whitelist (:data:`FORMULA_NAMES`), the numeric evaluators (:data:`TORCH`, :data:`MPMATH`), the
non-smooth atoms that split φ into pieces (:data:`NONSMOOTH`) and the heads that identify a
closed-form family (:data:`FAMILY_HEADS`). A test evaluates every row in every backend against
sympy's own value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, reduce
from typing import TYPE_CHECKING

import mpmath
import sympy as sp

if TYPE_CHECKING:
    import torch


def _torch():
    """torch, imported on first numeric use: the symbolic layer, ``--help`` and the up-front
    refusals never pay for it."""
    import torch

    return torch


def _t(name: str) -> Callable:
    """torch.<name>, looked up when called."""

    def fn(*args):
        return getattr(_torch(), name)(*args)

    fn.__name__ = f"torch.{name}"
    return fn


def _torch_heaviside(g: torch.Tensor, h0: float = 0.5) -> torch.Tensor:
    torch = _torch()
    g = torch.as_tensor(g, dtype=torch.float64)
    return torch.where(g > 0, 1.0, torch.where(g < 0, 0.0, float(h0))).to(torch.float64)


def _mp_heaviside(g, h0=0.5):
    return mpmath.mpf(1) if g > 0 else (mpmath.mpf(0) if g < 0 else mpmath.mpf(h0))


def _tensors(values) -> list[torch.Tensor]:
    torch = _torch()
    return torch.broadcast_tensors(*(torch.as_tensor(v, dtype=torch.float64) for v in values))


class ArcCosJ1(sp.Function):
    """J₁(ρ) = √(1 - ρ²) + (π - arccos ρ)·ρ, so that the ReLU dual is √(q1 q2)·J₁(ρ)/(2π).

    Its own node, because the textbook form cancels as ρ → -1 (both terms are O(√(1 + ρ)), the
    sum O((1 + ρ)^{3/2})): float64 evaluates t = π - arccos ρ = arccos(-ρ) exactly as given,
    √(1 - ρ²) as √((1 - ρ)(1 + ρ)), and for t < 1 the series
    sin t - t cos t = Σ_{k≥1} (-1)^{k+1} 2k t^{2k+1}/(2k+1)! (with -ρ = cos t). dJ₁/dρ = t.
    """

    nargs = 1

    def _eval_rewrite_as_acos(self, rho, **kwargs):
        return sp.sqrt(1 - rho**2) + (sp.pi - sp.acos(rho)) * rho

    def fdiff(self, argindex=1):
        return sp.pi - sp.acos(self.args[0])

    def _eval_evalf(self, prec):
        return self.rewrite(sp.acos)._eval_evalf(prec)

    def _sympystr(self, printer):
        return f"({printer.doprint(self.rewrite(sp.acos))})"  # an Add: parenthesized in products


#: Σ coefficients of sin t - t cos t = t³ Σ_{k=1}^{12} J1_SERIES[k-1] (t²)^{k-1}; for t < 1 the
#: first omitted term is below 24/25! ≈ 1.5e-24 of t³/3.
J1_SERIES = tuple((-1) ** (k + 1) * 2 * k / math.factorial(2 * k + 1) for k in range(1, 13))


@lru_cache(maxsize=1)
def _j1_autograd():
    torch = _torch()

    class J1(torch.autograd.Function):
        @staticmethod
        def forward(ctx, rho):
            rho = torch.as_tensor(rho, dtype=torch.float64).clamp(-1.0, 1.0)
            t = torch.acos(-rho)  # = π - arccos ρ, exactly as ρ is given
            ctx.save_for_backward(t)
            direct = torch.sqrt((1 - rho) * (1 + rho)) + t * rho
            t2 = t * t
            series = torch.zeros_like(t)
            for coeff in reversed(J1_SERIES):
                series = series * t2 + coeff
            return torch.where(t < 1, series * t2 * t, direct)

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * t

    return J1


def _torch_j1(rho):
    return _j1_autograd().apply(rho)


def _mp_j1(rho):
    rho = max(mpmath.mpf(-1), min(mpmath.mpf(1), rho))
    return mpmath.sqrt((1 - rho) * (1 + rho)) + (mpmath.pi - mpmath.acos(rho)) * rho


@dataclass(frozen=True)
class Function:
    """One row: ``names`` are the formula spellings (empty: internal, e.g. for closed duals)."""

    names: tuple[str, ...]
    head: type  # the sympy class of the node
    build: Callable[..., sp.Expr]  # sympy builder from sympy arguments
    arities: tuple[int, ...]
    torch: Callable
    mpmath: Callable
    smooth: bool
    family: str | None = None  # closed-form family whose head this is (symbolic.families)
    domain: tuple[float, float] = (-3.0, 3.0)  # where the backend test samples it


TABLE: tuple[Function, ...] = (
    Function(("sin",), sp.sin, sp.sin, (1,), _t("sin"), mpmath.sin, True, "sin"),
    Function(("cos",), sp.cos, sp.cos, (1,), _t("cos"), mpmath.cos, True, "cos"),
    Function(("tan",), sp.tan, sp.tan, (1,), _t("tan"), mpmath.tan, True, None, (-1.4, 1.4)),
    Function(("exp",), sp.exp, sp.exp, (1,), _t("exp"), mpmath.exp, True, "exp"),
    Function(("log",), sp.log, sp.log, (1,), _t("log"), mpmath.log, True, None, (0.1, 5.0)),
    Function(("tanh",), sp.tanh, sp.tanh, (1,), _t("tanh"), mpmath.tanh, True),
    Function(("sinh",), sp.sinh, sp.sinh, (1,), _t("sinh"), mpmath.sinh, True),
    Function(("cosh",), sp.cosh, sp.cosh, (1,), _t("cosh"), mpmath.cosh, True),
    Function(("erf",), sp.erf, sp.erf, (1,), _t("erf"), mpmath.erf, True, "erf"),
    Function(("erfc",), sp.erfc, sp.erfc, (1,), _t("erfc"), mpmath.erfc, True),
    Function(("atan",), sp.atan, sp.atan, (1,), _t("atan"), mpmath.atan, True),
    Function(("asinh",), sp.asinh, sp.asinh, (1,), _t("asinh"), mpmath.asinh, True),
    Function((), sp.asin, sp.asin, (1,), _t("asin"), mpmath.asin, True, None, (-0.99, 0.99)),
    Function((), sp.acos, sp.acos, (1,), _t("acos"), mpmath.acos, True, None, (-0.99, 0.99)),
    Function(("abs", "Abs"), sp.Abs, sp.Abs, (1,), _t("abs"), abs, False, "abs"),
    Function(("sign",), sp.sign, sp.sign, (1,), _t("sign"), mpmath.sign, False, "sign"),
    Function(
        ("Heaviside",),
        sp.Heaviside,
        # 1[x ≥ 0] by default; Heaviside(u, h) takes the value h at u = 0 (sympy's form). The
        # value at one point changes nothing almost everywhere, but it is part of the function.
        lambda a, h=sp.S.One: sp.Heaviside(a, h),
        (1, 2),
        _torch_heaviside,
        _mp_heaviside,
        False,
        "step",
    ),
    Function(
        ("Max", "max"),
        sp.Max,
        sp.Max,
        (2, 3, 4),
        lambda *a: reduce(_torch().maximum, _tensors(a)),
        max,
        False,
    ),
    Function(
        ("Min", "min"),
        sp.Min,
        sp.Min,
        (2, 3, 4),
        lambda *a: reduce(_torch().minimum, _tensors(a)),
        min,
        False,
    ),
    Function((), ArcCosJ1, ArcCosJ1, (1,), _torch_j1, _mp_j1, True, None, (-0.999, 0.999)),
)

#: Formula spellings that build from the rows above and have no sympy head of their own.
COMPOSITES: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    "sqrt": (sp.sqrt, (1,)),
    "relu": (lambda a: sp.Max(0, a), (1,)),
    "sigmoid": (lambda a: 1 / (1 + sp.exp(-a)), (1,)),
    "softplus": (lambda a: sp.log(1 + sp.exp(a)), (1,)),
}

BY_HEAD: dict[type, Function] = {f.head: f for f in TABLE}

#: The parser's whitelist: name -> (builder, allowed numbers of arguments).
FORMULA_NAMES: dict[str, tuple[Callable[..., sp.Expr], tuple[int, ...]]] = {
    **{name: (f.build, f.arities) for f in TABLE for name in f.names},
    **COMPOSITES,
}

TORCH: dict[type, Callable] = {f.head: f.torch for f in TABLE}
MPMATH: dict[type, Callable] = {f.head: f.mpmath for f in TABLE}

#: Heads where φ may have a kink or a jump.
NONSMOOTH: tuple[type, ...] = tuple(f.head for f in TABLE if not f.smooth)

#: Closed-form family name -> the sympy head that identifies it (relu is Max(0, ·)).
FAMILY_HEADS: dict[str, type] = {f.family: f.head for f in TABLE if f.family}

__all__ = [
    "BY_HEAD",
    "COMPOSITES",
    "FAMILY_HEADS",
    "FORMULA_NAMES",
    "MPMATH",
    "NONSMOOTH",
    "TABLE",
    "TORCH",
    "Function",
]
