"""The largest eigenvalue of a symmetric operator by Lanczos with full reorthogonalization.

Given only v ↦ A v, the Krylov basis q_1, q_2, … (each orthogonalized twice against all before
it) gives the tridiagonal T_k = Q_kᵀ A Q_k, whose largest eigenvalue θ (a Ritz value) is
≤ λ_max(A) and converges to it. The residual of the Ritz pair (θ, Q_k y) is |β_k y_k|; the
iteration stops when that is ≤ ``tol``·|θ|. The start vector is fixed (cos(φ i(i+1) + 1),
φ the golden ratio's fractional part): deterministic, with no random draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Ritz:
    """The top Ritz value, its unit Ritz vector, the residual estimate |β_k y_k| and the steps."""

    value: float
    vector: torch.Tensor
    residual: float
    steps: int


def lanczos_top(
    matvec: Callable[[torch.Tensor], torch.Tensor],
    like: torch.Tensor,
    *,
    max_steps: int,
    tol: float,
) -> Ritz:
    """The largest Ritz value of the symmetric operator ``matvec`` on vectors shaped like
    ``like`` (float64, its device), after at most ``max_steps`` steps (module doc)."""
    m = like.numel()
    steps = min(max_steps, m)
    basis = torch.zeros(m, steps, dtype=torch.float64, device=like.device)
    i = torch.arange(m, dtype=torch.float64, device=like.device)
    q = torch.cos(0.6180339887498949 * i * (i + 1) + 1.0)
    q = q / q.norm()
    alpha: list[float] = []
    beta: list[float] = []
    for j in range(steps):
        basis[:, j] = q
        w = matvec(q)
        alpha.append(float(q @ w))
        done = basis[:, : j + 1]
        for _ in range(2):
            w = w - done @ (done.T @ w)
        b = float(w.norm())
        vals, vecs = torch.linalg.eigh(_tridiagonal(alpha, beta))
        top, y = float(vals[-1]), vecs[:, -1]
        residual = b * abs(float(y[-1]))
        if residual <= tol * max(abs(top), 1e-300) or j == steps - 1 or b == 0:
            vector = done @ y.to(done)
            return Ritz(top, vector / vector.norm(), residual, j + 1)
        beta.append(b)
        q = w / b
    raise AssertionError("unreachable: the loop returns at its last step")


def _tridiagonal(alpha: list[float], beta: list[float]) -> torch.Tensor:
    a = torch.tensor(alpha, dtype=torch.float64)
    b = torch.tensor(beta[: len(alpha) - 1], dtype=torch.float64)
    return torch.diag(a) + torch.diag(b, 1) + torch.diag(b, -1)


__all__ = ["Ritz", "lanczos_top"]
