"""How the finite-width Gram matrix approaches G* (theory §5), and the theory's width scale."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from numeric.data import Dataset
from numeric.deq import equilibrium, init_params
from symbolic.activations import Activation
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from numeric.parameters import ModelSettings, SolveSettings


@dataclass(frozen=True)
class GramSweep:
    """‖ZᵀZ/m - G*‖_F / ‖G*‖_F averaged over seeds at each width, and the log-log slope."""

    widths: list[int]
    errors: list[float]
    spread: list[float]  # standard deviation over seeds
    slope: float  # fitted d log(error) / d log(m); about -1/2 expected


def gram_sweep(
    act: Activation,
    data: Dataset,
    gram_star: torch.Tensor,
    model: ModelSettings,
    solve: SolveSettings,
    *,
    lip: float,
    widths: list[int],
    seeds: list[int],
    device: str,
    progress: Callable[[int, int], None] | None,
) -> GramSweep:
    """Relative distance of the finite-width Gram matrix from G* over a width grid; every other
    model setting (σ_w², a-scale, margin) as in ``model``."""
    if len(widths) < 2:
        raise VerifyError("a width sweep needs at least two widths")
    x = data.x.to(device)
    g = gram_star.to(device)
    errors, spread = [], []
    for i, m in enumerate(widths):
        vals = []
        for seed in seeds:
            p, _ = init_params(replace(model, width=m), data.d, lip, seed, device)
            z = equilibrium(act, p, x, None, solve).value
            vals.append(float((z.T @ z / m - g).norm() / g.norm()))
        t = torch.tensor(vals, dtype=torch.float64)
        errors.append(float(t.mean()))
        spread.append(float(t.std()) if len(vals) > 1 else 0.0)
        if progress is not None:
            progress(i + 1, len(widths))
    lx = torch.log(torch.tensor(widths, dtype=torch.float64))
    ly = torch.log(torch.tensor(errors, dtype=torch.float64))
    slope = float(((lx - lx.mean()) * (ly - ly.mean())).sum() / ((lx - lx.mean()) ** 2).sum())
    return GramSweep(list(widths), errors, spread, slope)


def theory_width_scale(n: int, lambda_star: float, t: float) -> float:
    """n²/λ*² · log(n²/t): the scale of the width requirement (constants unknown, theory §5)."""
    return n**2 / lambda_star**2 * math.log(n**2 / t) if lambda_star > 0 else math.inf


__all__ = ["GramSweep", "gram_sweep", "theory_width_scale"]
