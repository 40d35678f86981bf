"""Large-width limits of random matrices used up front (torch-free, so refusals are instant)."""

from __future__ import annotations

import math

#: lim_{m→∞} ‖A‖₂/m for A_ij = |N(0, 1)|: E|N(0, 1)| = √(2/π) (the mean's rank-one part).
ABS_GAUSSIAN_MEAN = math.sqrt(2 / math.pi)


def limit_norm(gamma: float) -> float:
    """lim_{m→∞} ‖(γ/m)A‖₂ = γ·√(2/π) for A_ij = |N(0, 1)| (Gao & Gao's implicit weight,
    theory §7.3): well-posed at large width only if this is below 1."""
    return gamma * ABS_GAUSSIAN_MEAN


__all__ = ["ABS_GAUSSIAN_MEAN", "limit_norm"]
