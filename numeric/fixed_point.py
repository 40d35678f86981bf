"""Fixed-point iteration z = g(z) with a residual tolerance the caller sets (SPEC §3).

Plain (Picard) iteration or Anderson acceleration. A solve that does not reach the tolerance
raises :class:`SolverError` with the residual, the tolerance and the setting to change; it never
hands back a best guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from symbolic.result import SolverError


@dataclass(frozen=True)
class FixedPointSolution:
    """z with ‖g(z) - z‖_F ≤ tol · max(‖z‖_F, 1), the residual reached and the steps taken."""

    z: torch.Tensor
    residual: float
    steps: int


def fixed_point(
    g: Callable[[torch.Tensor], torch.Tensor],
    z0: torch.Tensor,
    *,
    tol: float,
    max_steps: int,
    method: str = "picard",
    memory: int = 5,
    what: str = "fixed point",
) -> FixedPointSolution:
    """Solve z = g(z) from z0. ``method`` is "picard" or "anderson" (type II, ``memory`` past
    iterates, Tikhonov 1e-10). Raises SolverError when ``max_steps`` pass first."""
    if method not in ("picard", "anderson"):
        raise ValueError(f"unknown fixed-point method {method!r} (picard or anderson)")
    z = z0
    xs: list[torch.Tensor] = []
    fs: list[torch.Tensor] = []
    residual = float("inf")
    for k in range(1, max_steps + 1):
        gz = g(z)
        diff = gz - z
        residual = float(diff.norm()) / max(float(gz.norm()), 1.0)
        if not torch.isfinite(gz).all():
            raise SolverError(
                f"{what}: iterate became non-finite at step {k}; the map is not a contraction"
            )
        if residual <= tol:
            return FixedPointSolution(gz, residual, k)
        if method == "picard":
            z = gz
            continue
        xs.append(z.reshape(-1))
        fs.append(diff.reshape(-1))
        xs, fs = xs[-memory:], fs[-memory:]
        z = _anderson_step(xs, fs).reshape(z.shape) if len(xs) > 1 else gz
    raise SolverError(
        f"{what} did not converge: residual {residual:.2e} > tol {tol:.1e} after {max_steps} "
        "steps; raise max_steps or check L·‖W‖₂ < 1"
    )


def _anderson_step(xs: list[torch.Tensor], fs: list[torch.Tensor]) -> torch.Tensor:
    """Type-II Anderson: minimize ‖Σ α_i f_i‖ with Σ α_i = 1; next = Σ α_i (x_i + f_i)."""
    f = torch.stack(fs, dim=1)  # N × k
    gram = f.T @ f
    gram = gram + 1e-10 * float(gram.diagonal().max()) * torch.eye(
        len(fs), dtype=f.dtype, device=f.device
    )
    ones = torch.ones(len(fs), dtype=f.dtype, device=f.device)
    alpha = torch.linalg.solve(gram, ones)
    alpha = alpha / alpha.sum()
    x = torch.stack(xs, dim=1)
    return (x + f) @ alpha
