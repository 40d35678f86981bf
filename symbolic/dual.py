"""The dual activation E[φ(u)φ(v)] for a centered Gaussian pair (SPEC §2).

``Var u = q1``, ``Var v = q2``, ``Cov(u, v) = c``, ``ρ = c / sqrt(q1 q2)``:
``E[φ(u)φ(v)] = Σ_n μ_n(q1) μ_n(q2) ρ^n``. Three ways to get it, checked against each other:
the registry's closed form, the truncated Mehler series with a rigorous tail bound, and (in the
tests and the benchmark baseline) 2-D Gauss–Hermite quadrature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
import torch

from symbolic.activations import Activation
from symbolic.evaluate import torch_function_of
from symbolic.families import Q1, Q2, RHO, C, K
from symbolic.hermite import hermite_float, second_moment
from symbolic.result import SymbolicTimeout
from symbolic.timelimit import run_with_limit


@dataclass(frozen=True)
class DualSeries:
    """Truncated Mehler series at variances (q1, q2): coefficients and what they leave out."""

    q1: float
    q2: float
    mu1: torch.Tensor  # μ_n(q1), n < N
    mu2: torch.Tensor  # μ_n(q2)
    tail1: float  # E[φ(√q1 Z)²] - Σ μ_n(q1)² (≥ 0, clamped)
    tail2: float

    def __call__(self, rho: torch.Tensor) -> tuple[torch.Tensor, float]:
        """(Σ_{n<N} μ_n(q1) μ_n(q2) ρ^n, bound on the omitted tail at max|ρ|).

        Tail bound by Cauchy–Schwarz: |Σ_{n≥N} μ_n(q1)μ_n(q2)ρ^n| ≤ |ρ|^N sqrt(tail1·tail2).
        """
        coeffs = self.mu1 * self.mu2
        out = torch.zeros_like(rho)
        for a in coeffs.flip(0):  # Horner
            out = out * rho + a
        rmax = float(rho.abs().max()) if rho.numel() else 0.0
        return out, rmax ** len(coeffs) * math.sqrt(self.tail1 * self.tail2)


def dual_series(act: Activation, q1: float, q2: float, n_terms: int = 200) -> DualSeries:
    """The Mehler series of φ at variances q1, q2 with ``n_terms`` terms (float64)."""
    mu1 = torch.tensor(hermite_float(act, n_terms, q1).values, dtype=torch.float64)
    mu2 = (
        mu1
        if q2 == q1
        else torch.tensor(hermite_float(act, n_terms, q2).values, dtype=torch.float64)
    )
    tails = []
    for q, mu in ((q1, mu1), (q2, mu2)):
        m2, err = second_moment(act, q)
        tails.append(max(m2 - float(mu @ mu), 0.0) + err + 1e-15 * m2)
    return DualSeries(q1, q2, mu1, mu2, tails[0], tails[1])


def dual_closed_fn(act: Activation):
    """The closed-form dual as a torch function of (q1, q2, c), or None."""
    if act.dual is None:
        return None
    return torch_function_of(act.dual, (Q1, Q2, C))


def dual_by_summation(act: Activation, time_limit: float = 10.0) -> sp.Expr | None:
    """φ̂_q(ρ) = Σ_n μ_n(q)² ρ^n summed by sympy from the Hermite closed form (None on failure).

    sin gives e^{-q} sinh(qρ); this is the symbolic dual at equal variances.
    """
    hc = act.hermite
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


def dual_quadrature_2d(act: Activation, q1: float, q2: float, c: float, points: int = 80) -> float:
    """E[φ(u)φ(v)] by tensor-product Gauss–Hermite quadrature (the independent baseline).

    u = √q1 Z1, v = √q2 (ρ Z1 + sqrt(1-ρ²) Z2). Exponentially accurate for smooth φ; slow
    (algebraic) convergence for kinks.
    """
    z, w = np.polynomial.hermite_e.hermegauss(points)
    z, w = torch.from_numpy(z), torch.from_numpy(w / math.sqrt(2 * math.pi))
    rho = c / math.sqrt(q1 * q2)
    z1, z2 = z[:, None], z[None, :]
    fn = act.torch_fn(0)
    u = math.sqrt(q1) * z1.expand(points, points)
    v = math.sqrt(q2) * (rho * z1 + math.sqrt(max(1 - rho**2, 0.0)) * z2)
    return float((w[:, None] * w[None, :] * fn(u) * fn(v)).sum())


__all__ = [
    "DualSeries",
    "dual_by_summation",
    "dual_closed_fn",
    "dual_quadrature_2d",
    "dual_series",
]
