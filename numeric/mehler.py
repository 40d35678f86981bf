"""The truncated Mehler series of the dual activation, with its rigorous tail bound (theory §2).

``E[φ(u)φ(v)] = Σ_n μ_n(q1) μ_n(q2) ρ^n``; truncating after N terms leaves at most
``|ρ|^N sqrt(tail1 · tail2)`` with ``tail_i = E[φ(√q_i Z)²] - Σ_{n<N} μ_n(q_i)²`` (Cauchy–Schwarz).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from numeric.quadrature import hermite_float, second_moment
from symbolic.activations import Activation

#: Entries per block of the in-place Horner passes (256 KiB of float64: a block stays in a
#: core's L2 cache through all its passes).
HORNER_BLOCK = 1 << 15


def horner(coeffs: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """Σ_n coeffs[n] ρ^n elementwise (the same roundings as out = out·ρ + c_n from the top).
    Without autograd, in place over cache-sized blocks; with it, out of place."""
    c = coeffs.to(torch.float64).flip(0).tolist()
    if rho.requires_grad:
        out = torch.zeros_like(rho)
        for a in c:
            out = out * rho + a
        return out
    flat = rho.reshape(-1)
    out = torch.empty_like(flat)
    for i in range(0, flat.numel(), HORNER_BLOCK):
        x = flat[i : i + HORNER_BLOCK]
        acc = torch.full_like(x, c[0])
        for a in c[1:]:
            acc.mul_(x)
            if a != 0.0:  # + 0 is exact: parity's zero coefficients (odd or even φ) cost no pass
                acc.add_(a)
        out[i : i + HORNER_BLOCK] = acc
    return out.reshape(rho.shape)


@dataclass(frozen=True)
class DualSeries:
    """Truncated Mehler series at variances (q1, q2): coefficients and what they leave out."""

    mu1: torch.Tensor  # μ_n(q1), n < N
    mu2: torch.Tensor  # μ_n(q2)
    tail1: float  # E[φ(√q1 Z)²] - Σ μ_n(q1)² (≥ 0, plus the quadrature's error)
    tail2: float

    def __call__(self, rho: torch.Tensor) -> tuple[torch.Tensor, float]:
        """(Σ_{n<N} μ_n(q1) μ_n(q2) ρ^n, bound on the omitted tail at max|ρ|)."""
        rmax = float(rho.abs().max()) if rho.numel() else 0.0
        bound = rmax ** len(self.mu1) * math.sqrt(self.tail1 * self.tail2)
        return horner(self.mu1 * self.mu2, rho), bound


def dual_series(act: Activation, q1: float, q2: float, n_terms: int) -> DualSeries:
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
    return DualSeries(mu1, mu2, tails[0], tails[1])


__all__ = ["DualSeries", "dual_series", "horner"]
