"""A certified enclosure of Gao & Gao's λ_0 = λ_min(G^∞) (theory §7.2), by the machinery of the
λ* certificate.

G^∞_ij = Q(s_ij)/2 = J₁(s_ij)/(2π), s_ij = x_iᵀx_j/(‖x_i‖‖x_j‖), J₁(s) = √(1 - s²) +
(π - arccos s)s (the arc-cosine kernel of degree 1). Each entry is a ball: J₁ at the exact float
s̃_ij (the float dot product of the float unit rows, |s̃ - s| ≤ 4γ_{d+3}) in Arb, widened by
½·4γ_{d+3} (dJ₁/ds = π - arccos s ∈ [0, π], so dG^∞/ds ≤ 1/2); the diagonal is J₁(1)/(2π) = 1/2
exactly. With the float midpoint Ã and the radii R, Rump's Cholesky test gives λ_min(Ã) ≥ t and

    λ_0 ≥ t - ‖R‖_F,   λ_0 ≤ vᵀG^∞v/vᵀv (Rayleigh, v from inverse iteration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from flint import arb

from numeric.gram_balls import s_error, split_ball, unit_rows
from numeric.positive_definite import lambda_min_lower, rayleigh_upper
from numeric.spectrum import EPS, eig_error
from symbolic.balls import prec_scope
from symbolic.enclosure import float_down, float_up

#: Shifts tried by the Cholesky test, as fractions of the float λ_0 below it.
SHIFTS = (1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0)
#: Relative allowance for the rounding of the float sum behind ‖R‖_F.
SUM_MARGIN = 1 + 1e-5


@dataclass(frozen=True)
class GaoCertificate:
    """λ_0 ∈ [lower, upper], proved; the Cholesky bound t, ‖R‖_F, the shift and the vector."""

    lower: float
    upper: float
    cholesky_bound: float
    frobenius: float
    shift: float
    prec: int
    float_error: float  # |eigvalsh(float G^∞) - λ_0| ≤ this (backward error + entry error)
    vector: torch.Tensor = field(repr=False, compare=False)

    @property
    def positive(self) -> bool:
        return self.lower > 0

    @property
    def method(self) -> str:
        return (
            f"ball arithmetic, {self.prec} bits (Arb): H^∞ entries from the arc-cosine closed "
            "form; Rump's Cholesky test on the midpoint matrix"
        )


def gram_balls(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Ã, R): G^∞ = Ã + E with |E_ij| ≤ R_ij (module docstring), at the current precision."""
    n, d = x.shape
    unit = unit_rows(x)
    s = (unit @ unit.T).clamp_(-1.0, 1.0).tolist()
    widen = float_up(arb(s_error(d)) / 2)
    two_pi, pi = 2 * arb.pi(), arb.pi()
    mid, radius = np.full((n, n), 0.5), np.zeros((n, n))
    for i in range(n):
        ms, es = [], []
        for sij in s[i][i + 1 :]:
            z = arb(sij)
            m, e = split_ball((((1 - z) * (1 + z)).sqrt() + (pi - z.acos()) * z) / two_pi)
            ms.append(m)
            es.append(math.nextafter(e + widen, math.inf))
        mid[i, i + 1 :], radius[i, i + 1 :] = ms, es
    lower = np.tril_indices(n, -1)
    mid[lower], radius[lower] = mid.T[lower], radius.T[lower]
    return torch.from_numpy(mid), torch.from_numpy(radius)


def certify_lambda0(x: torch.Tensor, estimate: float, prec: int) -> GaoCertificate:
    """The enclosure of λ_min(G^∞) for the rows of ``x``; ``estimate`` is the float λ_0."""
    with prec_scope(prec):
        mid, radius = gram_balls(x)
        frob = float(torch.linalg.norm(radius)) * SUM_MARGIN
        pd = lambda_min_lower(mid, estimate, SHIFTS)
        lower = float_down(arb(pd.lower) - arb(frob))
        upper, v = rayleigh_upper(mid, radius, 0.0, pd.shift)
        err = eig_error(mid, 4 * EPS) + frob
        return GaoCertificate(lower, upper, pd.lower, frob, pd.shift, prec, err, v)


__all__ = ["SHIFTS", "GaoCertificate", "certify_lambda0", "gram_balls"]
