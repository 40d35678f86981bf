"""The dual activation E[φ(u)φ(v)] for a centered Gaussian pair (theory §2).

``Var u = q1``, ``Var v = q2``, ``Cov(u, v) = c``, ``ρ = c / sqrt(q1 q2)``:
``E[φ(u)φ(v)] = Σ_n μ_n(q1) μ_n(q2) ρ^n``. Here: the registry's closed form as a torch function,
and the equal-variance series summed by sympy. The truncated Mehler series with its tail bound
(:mod:`numeric.mehler`) and 2-D Gauss–Hermite quadrature (:mod:`numeric.quadrature`) are the
numeric routes, checked against these in the tests.
"""

from __future__ import annotations

import sympy as sp

from symbolic.activations import Activation
from symbolic.errors import SymbolicTimeout
from symbolic.evaluate import torch_function_of
from symbolic.families import Q1, Q2, RHO, C, K
from symbolic.timelimit import run_with_limit


def dual_closed_fn(act: Activation):
    """The closed-form dual as a torch function of (q1, q2, c), or None."""
    if act.dual is None:
        return None
    return torch_function_of(act.dual, (Q1, Q2, C))


def dual_by_summation(act: Activation, time_limit: float) -> sp.Expr | None:
    """φ̂_q(ρ) = Σ_n μ_n(q)² ρ^n summed by sympy from the Hermite closed form (None on failure).

    sin gives e^{-q} sinh(qρ); this is the symbolic dual at equal variances.
    """
    hc = act.hermite_closed_form
    if hc is None:
        return None
    head = sum((v**2 * RHO**n for n, v in hc.initial.items()), sp.Integer(0))
    general = hc.term**2 * RHO ** (hc.start + hc.step * K)

    def _sum() -> sp.Expr:
        s = sp.summation(sp.simplify(general), (K, 0, sp.oo))
        return sp.simplify(sp.piecewise_fold(s).args[0][0] if isinstance(s, sp.Piecewise) else s)

    try:
        total = run_with_limit(_sum, time_limit, f"summing the dual series of {act.name}")
    except SymbolicTimeout:
        return None
    if total.has(sp.Sum) or total.has(sp.Piecewise):
        return None
    return sp.simplify(head + total)


__all__ = [
    "dual_by_summation",
    "dual_closed_fn",
]
