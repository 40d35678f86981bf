"""The infinite-width DEQ neural tangent kernel in SPEC §3's scaling (Feng and Kolter).

With Ġ_ij = E[φ'(u)φ'(v)] = κ'(Σ*_ij) (Price's theorem), the adjoint overlaps
Q_ij = lim w_iᵀw_j solve Q = 1 + 2σ_w² Ġ ∘ Q, so P = lim v_iᵀv_j = Ġ / (1 - 2σ_w² Ġ), and
Θ/m → Θ* = G* ∘ (1 + P) as m grows (the U-gradient term P ∘ XXᵀ is O(1), not O(m)).
"""

from __future__ import annotations

import torch

from numeric.gram import GramResult
from symbolic.activations import Activation
from symbolic.hermite import gaussian_expectation


def ntk_infinite(act: Activation, gram: GramResult, sigma_w2: float) -> torch.Tensor:
    """Θ* = lim Θ/m for the unit-norm population Gram result ``gram`` (n×n)."""
    if gram.kernel is None:
        raise ValueError("ntk_infinite needs the unit-norm population Gram result")
    n = gram.sigma.shape[0]
    off = ~torch.eye(n, dtype=torch.bool, device=gram.sigma.device)
    gdot = torch.empty_like(gram.sigma)
    _, slope = gram.kernel.value_and_slope(gram.sigma[off])
    gdot[off] = slope
    dphi = act.torch_fn(1)
    gdot.diagonal().fill_(
        gaussian_expectation(lambda t: dphi(t) ** 2, gram.q_star, act.breakpoints)[0]
    )
    p = gdot / (1 - 2 * sigma_w2 * gdot)
    return gram.gram * (1 + p)
