"""The least eigenvalue of a symmetric positive definite matrix without an eigendecomposition.

With M = LLᵀ (one Cholesky, n³/3 flops against about 4n³/3 for the tridiagonal reduction of
an eigvalsh), Lanczos on v ↦ M⁻¹v = L⁻ᵀ(L⁻¹v) (two triangular solves a step) finds the largest
eigenvalue of M⁻¹, which is 1/λ_min(M), separated from the rest of M⁻¹'s spectrum by
1/λ_1 - 1/λ_2 however the top of M's spectrum is spread. Its unit Ritz vector v gives

    θ = vᵀMv ≥ λ_min(M)  (Rayleigh),   and some eigenvalue of M within ‖Mv - θv‖ of θ,

so θ is reported with the error bar ‖Mv - θv‖ plus the entries' and rounding part of
:func:`numeric.spectrum.eig_error`. That the eigenvalue within the residual is the least one
rests on Lanczos having converged on M⁻¹'s extreme eigenvalue (as eigvalsh's bar rests on
LAPACK's backward stability): evidence, never a proof. The proof of λ* > 0 is the ball-arithmetic
certificate's (numeric.lambda_certificate).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from numeric.lanczos import lanczos_top

#: Lanczos steps before giving up (the caller then runs eigvalsh); 40 suffice for G* of tanh at
#: n = 3000 (1/λ_min separated by a relative gap of 0.16).
MAX_STEPS = 300
#: Stop when the Ritz residual of M⁻¹ is below this fraction of its top Ritz value.
TOL = 1e-13


@dataclass(frozen=True)
class LeastEigenvalue:
    """θ = vᵀMv for the unit vector ``vector``, its residual ‖Mv - θv‖, and the Lanczos steps."""

    value: float
    residual: float
    vector: torch.Tensor
    steps: int


def least_eigenvalue(m: torch.Tensor) -> LeastEigenvalue | None:
    """λ_min(M) by shift-invert Lanczos on a Cholesky factor of the symmetric ``m`` (module doc);
    None when ``m`` is not numerically positive definite (the Cholesky fails) or Lanczos does
    not converge in MAX_STEPS steps: the caller's eigvalsh decides then."""
    factor, info = torch.linalg.cholesky_ex(m)
    if int(info) != 0:
        return None

    def inverse(q: torch.Tensor) -> torch.Tensor:
        w = torch.linalg.solve_triangular(factor, q[:, None], upper=False)
        return torch.linalg.solve_triangular(factor.mT, w, upper=True)[:, 0]

    ritz = lanczos_top(inverse, m[0], max_steps=MAX_STEPS, tol=TOL)
    if not (ritz.value > 0 and ritz.residual <= TOL * ritz.value):
        return None
    v = ritz.vector
    mv = m @ v
    theta = float(v @ mv)
    residual = float((mv - theta * v).norm())
    return LeastEigenvalue(theta, residual, v, ritz.steps)


__all__ = ["LeastEigenvalue", "least_eigenvalue"]
