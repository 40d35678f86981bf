"""The one-correlation kernel κ_q(t) = E[φ(u)φ(v)], Var u = Var v = q, Cov = t (theory §2, §4).

From the registry's closed-form dual when there is one, else from the Mehler series
``Σ_n μ_n(q)² (t/q)^n`` with its rigorous tail bound. κ is differentiable in torch, and
``κ'(t) = E[φ'(u)φ'(v)]`` (Price's theorem), which the NTK uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from numeric.mehler import dual_series, horner
from numeric.quadrature import second_moment
from symbolic.activations import Activation
from symbolic.dual import dual_closed_fn

#: Mehler terms whose μ_n² fall below this fraction of E[φ²] are dropped (and counted in the tail).
COEFF_TOL = 1e-20


@dataclass(frozen=True)
class Kernel:
    """κ_q and what its evaluation may miss: ``truncation(r)`` bounds the error for |t/q| ≤ r."""

    q: float
    fn: Callable[[torch.Tensor], torch.Tensor]
    second_moment: float  # κ_q(q) = E[φ(√q Z)²]
    terms: int  # series terms used (0 for a closed form)
    tail_energy: float  # E[φ²] - Σ_{n<terms} μ_n² (0 for a closed form)
    method: str
    dfn: Callable[[torch.Tensor], torch.Tensor] | None = None  # κ' in closed form, if known

    def truncation(self, r: float) -> float:
        return 0.0 if self.terms == 0 else min(r, 1.0) ** self.terms * self.tail_energy

    def slope(self, t: torch.Tensor, block: int) -> torch.Tensor:
        """κ'(t) elementwise: the series' own derivative when known (no autograd graph), else
        autograd over blocks of ``block`` entries, so memory stays O(block) beyond the output."""
        if self.dfn is not None:
            return self.dfn(t)
        flat, out = t.reshape(-1), torch.empty_like(t).reshape(-1)
        for i in range(0, flat.numel(), block):
            out[i : i + block] = self.value_and_slope(flat[i : i + block])[1]
        return out.reshape(t.shape)

    def value_and_slope(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(κ(t), κ'(t)) elementwise, by autograd."""
        with torch.enable_grad():
            t = t.detach().to(torch.float64).clone().requires_grad_(True)
            value = self.fn(t)
            (slope,) = torch.autograd.grad(value.sum(), t)
        return value.detach(), slope


def kernel_at(act: Activation, q: float, max_terms: int) -> Kernel:
    """κ_q for ``act``: closed form if known, else the Mehler series cut after the last μ_n(q)²
    above ``COEFF_TOL · E[φ²]`` (at most ``max_terms``). The tail energy bound is what the
    ``max_terms`` computed terms leave of E[φ²] (float64 floor included) plus the dropped μ_n²."""
    closed = dual_closed_fn(act)
    m2, _ = second_moment(act, q)
    if closed is not None:

        def fn(t: torch.Tensor) -> torch.Tensor:
            qq = torch.full_like(t, q)
            return closed(qq, qq, t.clamp(-q, q))  # |t| <= q by Cauchy–Schwarz; guards rounding

        return Kernel(q, fn, m2, 0, 0.0, "closed-form dual")
    series = dual_series(act, q, q, max_terms)
    energy = series.mu1**2
    big = (energy > COEFF_TOL * max(m2, 1e-300)).nonzero()
    keep = min(max(int(big[-1]) + 1 if len(big) else 1, 2), max_terms)
    coeffs = energy[:keep]
    tail = max(series.tail1 + float(energy[keep:].sum()), 0.0)

    def fn(t: torch.Tensor) -> torch.Tensor:
        return horner(coeffs, t / q)

    slopes = coeffs[1:] * torch.arange(1, keep, dtype=coeffs.dtype) / q

    def dfn(t: torch.Tensor) -> torch.Tensor:  # κ'(t) = Σ_n n c_n (t/q)^{n-1} / q
        return horner(slopes, t / q) if keep > 1 else torch.zeros_like(t)

    return Kernel(q, fn, m2, keep, tail, f"Mehler series, {keep} terms", dfn)


def diagonal_map(act: Activation, sigma_w2: float, norm2_over_d: float) -> Callable[[float], float]:
    """q ↦ 2σ_w² E[φ(√q Z)²] + 2‖x‖²/d (the variance recursion of theory §4); E[φ²] by
    panelled Gauss–Legendre quadrature (split at kinks, error ~1e-16 relative)."""

    def step(q: float) -> float:
        return 2 * sigma_w2 * second_moment(act, q)[0] + 2 * norm2_over_d

    return step


__all__ = ["Kernel", "diagonal_map", "kernel_at"]
