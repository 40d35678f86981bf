"""Width studies (SPEC §5): how ZᵀZ/m approaches G*, and the smallest width at which the
conclusions held, beside the theory's scale n²/λ*² · log(n²/t) (constants unknown)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from numeric.data import Dataset
from numeric.deq import equilibrium, init_params
from numeric.training import check_lambda0, check_linear_rate, train
from symbolic.activations import Activation
from symbolic.result import Status, VerifyError


@dataclass(frozen=True)
class GramSweep:
    """‖ZᵀZ/m - G*‖_F / ‖G*‖_F averaged over seeds at each width, and the log-log slope."""

    widths: list[int]
    errors: list[float]
    spread: list[float]  # standard deviation over seeds
    slope: float  # fitted d log(error) / d log(m); about -1/2 expected
    seeds: int


def gram_sweep(
    act: Activation,
    data: Dataset,
    gram_star: torch.Tensor,
    *,
    sigma_w2: float,
    lip: float,
    widths: list[int],
    seeds: list[int],
    tol: float = 1e-12,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> GramSweep:
    """Relative distance of the finite-width Gram matrix from G* over a width grid."""
    if len(widths) < 2:
        raise VerifyError("a width sweep needs at least two widths")
    x = data.x.to(device)
    g = gram_star.to(device)
    errors, spread = [], []
    for i, m in enumerate(widths):
        vals = []
        for seed in seeds:
            p, _ = init_params(m, data.d, sigma_w2, lip, seed, device=device)
            z, _, _ = equilibrium(act, p, x, tol=tol)
            vals.append(float((z.T @ z / m - g).norm() / g.norm()))
        t = torch.tensor(vals, dtype=torch.float64)
        errors.append(float(t.mean()))
        spread.append(float(t.std()) if len(vals) > 1 else 0.0)
        if progress is not None:
            progress(i + 1, len(widths))
    lx = torch.log(torch.tensor(widths, dtype=torch.float64))
    ly = torch.log(torch.tensor(errors, dtype=torch.float64))
    slope = float(((lx - lx.mean()) * (ly - ly.mean())).sum() / ((lx - lx.mean()) ** 2).sum())
    return GramSweep(list(widths), errors, spread, slope, len(seeds))


@dataclass(frozen=True)
class WidthStudy:
    """For each width, the fraction of seeds where λ_0 ≥ mλ*/2 and the linear rate held."""

    widths: list[int]
    passed: list[float]
    smallest: int | None  # smallest width reaching ``fraction``
    fraction: float
    theory_scale: float  # n²/λ*² · log(n²/t)
    t: float


def width_study(
    act: Activation,
    data: Dataset,
    lambda_star: float,
    *,
    sigma_w2: float,
    lip: float,
    widths: list[int],
    seeds: list[int],
    steps: int,
    fraction: float = 0.8,
    t: float = 0.01,
    theta_star: torch.Tensor | None = None,
    device: str = "cpu",
) -> WidthStudy:
    """Train at every (width, seed) and find the smallest width where the conclusions held in
    at least ``fraction`` of the seeds."""
    passed = []
    for m in widths:
        ok = 0
        for seed in seeds:
            res = train(
                act,
                data,
                width=m,
                sigma_w2=sigma_w2,
                lip=lip,
                steps=steps,
                seed=seed,
                theta_star=theta_star,
                device=device,
            )
            good = check_lambda0(res, lambda_star).status is Status.PASS
            ok += good and check_linear_rate(res).status is Status.PASS
        passed.append(ok / len(seeds))
    smallest = next((m for m, f in zip(widths, passed) if f >= fraction), None)
    scale = theory_width_scale(data.n, lambda_star, t)
    return WidthStudy(list(widths), passed, smallest, fraction, scale, t)


def theory_width_scale(n: int, lambda_star: float, t: float) -> float:
    """n²/λ*² · log(n²/t): the scale of the width requirement (constants unknown, SPEC §5)."""
    return n**2 / lambda_star**2 * math.log(n**2 / t) if lambda_star > 0 else math.inf


__all__ = ["GramSweep", "WidthStudy", "gram_sweep", "width_study"]
