"""G* entry by entry from the closed-form dual in ball arithmetic (theory §4, certification).

Unit-norm inputs: G*_ij = κ(ρ*_ij) with κ(ρ) = κ_{q*}(ρ) = E[φ(u)φ(v)] at variances q* and
correlation ρ (:mod:`symbolic.dual_balls`), where ρ*_ij solves

    ρ = h(ρ) = (2σ_w² κ(ρ) + (2/d) s_ij)/q*,    s_ij = x_iᵀx_j/(‖x_i‖‖x_j‖).

h maps [-1, 1] into itself (|κ(ρ)| ≤ κ(1) = (q* - 2/d)/(2σ_w²)) and |h'| = 2σ_w²|E[φ'(u)φ'(v)]|
≤ c = 2σ_w² E[φ'(√q* Z)²] < 1, so for the float solution ρ̃ (Banach, a posteriori)

    |ρ*_ij - ρ̃_ij| ≤ r_ij = |h(ρ̃_ij) - ρ̃_ij| / (1 - c),

with h(ρ̃) a ball (κ at the exact float ρ̃, q* a ball, s_ij the float dot product of the float
unit vectors within 4γ_{d+3}). Then G*_ij ∈ κ(ρ̃_ij) ± q*·E[φ'²]·r_ij (mean value: κ'(ρ) =
q*E[φ'(u)φ'(v)]). No series is truncated: near-duplicate inputs (ρ* → 1) keep their entries'
accuracy. The diagonal is E[φ(√q* Z)²] = (q* - 2/d)/(2σ_w²) exactly. The cost is one Arb
evaluation of κ per pair (about 10 µs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from flint import arb

from numeric.positive_definite import gamma
from symbolic.enclosure import float_up


@dataclass(frozen=True)
class Entries:
    """G* = mid + E with |E_ij| ≤ radius_ij (float64, symmetric), the correlations' midpoints
    ``rho`` and proved radii ``rho_radius`` (|ρ*_ij - rho_ij| ≤ rho_radius_ij; 0 on the
    diagonal, where ρ* = 1 exactly)."""

    mid: torch.Tensor
    radius: torch.Tensor
    rho: torch.Tensor
    rho_radius: torch.Tensor


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """x_i/‖x_i‖ in float64 (the inputs are these, exactly normalized; see s_error)."""
    x = x.to(torch.float64).cpu()
    return x / x.norm(dim=1, keepdim=True)


def s_error(d: int) -> float:
    """|fl(ũ_iᵀũ_j) - x_iᵀx_j/(‖x_i‖‖x_j‖)| ≤ 4γ_{d+3}: the float normalization (γ_{d+2} per
    row) and the float dot product (γ_d), rounded up."""
    return float_up(4 * gamma(d + 3))


def dual_entries(
    kappa: Callable[[arb, arb], arb],
    x: torch.Tensor,
    sigma_float: torch.Tensor,
    q_float: float,
    q_ball: arb,
    sigma_w2: float,
    c_off: arb,
    slope_moment: arb,
    widen: tuple[float, float],
) -> Entries:
    """The entries of G* as balls (module docstring); ``c_off`` ≥ 2σ_w² E[φ'(√q*Z)²] (< 1) and
    ``slope_moment`` ≥ E[φ'(√q* Z)²]. Each r_ij is widened to r_ij(1 + widen[0]) + widen[1]
    before it is used (and returned)."""
    n, d = x.shape
    unit = unit_rows(x)
    s = (unit @ unit.T).tolist()
    rho = (sigma_float.to(torch.float64).cpu() / q_float).clamp(-1.0, 1.0)
    rho.fill_diagonal_(1.0)
    rho = torch.triu(rho) + torch.triu(rho, 1).T  # symmetric: the upper triangle decides
    rho_list = rho.tolist()
    s2, wd = 2 * arb(sigma_w2), arb(2) / d
    serr = s_error(d)
    inv, extra = (1 + arb(widen[0])) / (1 - arb(c_off.upper())), arb(widen[1])
    slope = (q_ball * slope_moment).upper()
    mid, radius, r_rho = (np.zeros((n, n)) for _ in range(3))
    diag = (q_ball - wd) / s2
    for i in range(n):
        mid[i, i], radius[i, i] = split_ball(diag)
        row_s, row_rho = s[i], rho_list[i]
        ms, es, rs = [], [], []
        for j in range(i + 1, n):
            r = row_rho[j]
            k = kappa(q_ball, arb(r))
            h = (s2 * k + wd * arb(row_s[j], serr)) / q_ball
            rr = (abs(h - r) * inv + extra).upper()
            m, e = split_ball(k + arb(0, rr * slope))
            ms.append(m)
            es.append(e)
            rs.append(_float_up(rr))
        mid[i, i + 1 :], radius[i, i + 1 :], r_rho[i, i + 1 :] = ms, es, rs
    for a in (mid, radius, r_rho):  # the lower triangle mirrors the upper one
        lower = np.tril_indices(n, -1)
        a[lower] = a.T[lower]
    return Entries(*(torch.from_numpy(a) for a in (mid, radius)), rho, torch.from_numpy(r_rho))


def _float_up(x: arb) -> float:
    """A float ≥ the exact (radius-0) ball x: its nearest float, one ulp up (cheaper than
    :func:`symbolic.enclosure.float_up`, and at most one ulp looser)."""
    return math.nextafter(float(x), math.inf)


def split_ball(g: arb) -> tuple[float, float]:
    """(m, e): the float m nearest the ball's midpoint and e ≥ max |g - m| over the ball."""
    mid = g.mid()
    m = float(mid)
    return m, _float_up((g.rad() + abs(mid - m)).upper())


__all__ = ["Entries", "dual_entries", "s_error", "split_ball", "unit_rows"]
