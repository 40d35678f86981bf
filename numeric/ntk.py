"""The infinite-width DEQ neural tangent kernel in theory §3's scaling (Feng and Kolter).

With Ġ_ij = E[φ'(u)φ'(v)] = κ'(Σ*_ij) (Price's theorem), the adjoint overlaps
Q_ij = lim w_iᵀw_j / A solve Q = 1 + 2σ_w² Ġ ∘ Q, so with a_j ~ N(0, A/m) the overlaps
P = lim v_iᵀv_j = A·Ġ / (1 - 2σ_w² Ġ) (v is linear in a), and Θ/m → Θ* = G* ∘ (1 + P) as m
grows (the U-gradient term P ∘ XXᵀ is O(1), not O(m)).
"""

from __future__ import annotations

import torch

from numeric.gram import GramResult
from numeric.quadrature import gaussian_expectation
from symbolic.activations import Activation

#: Entries per autograd block for a closed-form κ' (bounds the graph's memory: ~20 tensors of
#: this size instead of ~20 n×n ones).
SLOPE_BLOCK = 1 << 20


def ntk_infinite(
    act: Activation, gram: GramResult, sigma_w2: float, a_scale: float
) -> torch.Tensor:
    """Θ* = lim Θ/m = G* ∘ (1 + A·Ġ/(1 - 2σ_w²Ġ)) for the unit-norm population Gram result
    ``gram`` (n×n); A = ``a_scale`` is the read-out variance factor, a_j ~ N(0, A/m)."""
    if gram.kernel is None:
        raise ValueError("ntk_infinite needs the unit-norm population Gram result")
    gdot = gram.kernel.slope(gram.sigma, SLOPE_BLOCK)  # its diagonal is replaced below
    dphi = act.torch_fn(1)
    gdot.diagonal().fill_(
        gaussian_expectation(lambda t: dphi(t) ** 2, gram.q_star, act.breakpoints)[0]
    )
    p = a_scale * gdot / (1 - 2 * sigma_w2 * gdot)
    return gram.gram * (1 + p)
