"""Fixed-point iteration z = g(z) with a residual tolerance the caller sets (theory §3).

Plain (Picard) iteration or Anderson acceleration. A solve that does not reach the tolerance
raises :class:`SolverError` with the residual, the tolerance and the setting to change; it never
hands back a best guess. Every solver of the project returns a :class:`Solution`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from symbolic.errors import SolverError

if TYPE_CHECKING:
    from numeric.parameters import SolveSettings


@dataclass(frozen=True)
class Solution:
    """A converged solve: ``value``, the last residual (in the solver's own measure, stated in
    its docstring), the steps taken, and the limits it ran under."""

    value: Any
    residual: float
    steps: int
    max_steps: int
    tol: float


def fixed_point(
    g: Callable[[torch.Tensor], torch.Tensor],
    z0: torch.Tensor,
    solve: SolveSettings,
    *,
    what: str,
) -> Solution:
    """Solve z = g(z) from z0 until ‖g(z) - z‖_F ≤ tol · max(‖g(z)‖_F, 1); ``solve.method`` is
    "picard" or "anderson" (type II, ``solve.anderson_memory`` past iterates, Tikhonov 1e-10).
    The value returned is g(z) of the last iterate. Raises SolverError after ``max_steps``."""
    if solve.method not in ("picard", "anderson"):
        raise ValueError(f"unknown fixed-point method {solve.method!r} (picard or anderson)")
    z = z0
    xs: list[torch.Tensor] = []
    fs: list[torch.Tensor] = []
    residual = float("inf")
    for k in range(1, solve.max_steps + 1):
        gz = g(z)
        diff = gz - z
        d_norm, g_norm = torch.stack([diff.norm(), gz.norm()]).tolist()  # one host sync
        if not (math.isfinite(g_norm) and math.isfinite(d_norm)):
            kind = "non-finite" if not torch.isfinite(gz).all() else "too large for a norm"
            raise SolverError(
                f"{what}: iterate became {kind} at step {k}; the map is not a contraction"
            )
        residual = d_norm / max(g_norm, 1.0)
        if residual <= solve.tol:
            return Solution(gz, residual, k, solve.max_steps, solve.tol)
        if solve.method == "picard":
            z = gz
            continue
        xs.append(z.reshape(-1))
        fs.append(diff.reshape(-1))
        xs, fs = xs[-solve.anderson_memory :], fs[-solve.anderson_memory :]
        z = _anderson_step(xs, fs).reshape(z.shape) if len(xs) > 1 else gz
    raise SolverError(
        f"{what} did not converge: residual {residual:.2e} > tol {solve.tol:.1e} after "
        f"{solve.max_steps} steps; raise --max-iterations or check L·‖W‖₂ < 1"
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
