"""The work of a study, as plain functions of picklable records: they run unchanged in this
process, a local process pool or a Dask worker, and return JSON-ready dicts.

* :func:`run_group`: the pipeline of ``python -m verify activation NAME --no-train`` restricted to
  Truong's theorem (with ``--force``: activations outside the hypotheses are measured too),
  reduced to the numbers the study keeps: λ* (float, and its ball-arithmetic enclosure), q*,
  σ_w² and L as used, which hypotheses held, Θ* for the infinite-width rate prediction.
* :func:`run_cell`: one gradient-descent run at the cell's width with the cell's own weight seed,
  and the three conclusions of the theorem measured on it: λ_0 ≥ mλ*/2, every step's loss ratio
  within 1 - c·ηλ_0 with λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2, and L‖W(k)‖₂ < 1 all along. A run that cannot
  finish (an unconverged solve, no contracting draw of W) is recorded with its ``error`` and
  counts as not held. A cell of ``network = "gao"`` trains Gao & Gao's implicit network instead
  (:func:`numeric.implicit.train_gao`, at α = C·λ_0/n² with λ_0 = λ_min(G^∞) of the group's data)
  and holds when Theorem 3.2's conclusion does (:func:`verify.verdicts.gao_rate_held`: every
  step ratio within 1 - αλ_0/2, ‖B(k)‖₂ < 1 and λ_min(G(k)) ≥ λ_0/2 all along).

Torch runs on one thread inside each task (set here, so a pool of processes, a Dask worker and
the driver compute bit-identical numbers, and two tasks do not fight over the cores).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from symbolic.errors import VerifyError
from verify.study.grid import Cell, Group

if TYPE_CHECKING:
    from numeric.data import Dataset
    from verify.checks.pipeline import SymbolicMemo


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


@functools.cache
def symbolic_memo() -> SymbolicMemo:
    """The symbolic facts of each φ this process has met (they do not depend on n, σ_w² or the
    data): a study's groups of one activation prove them once per process, not once per group."""
    from verify.checks.pipeline import SymbolicMemo

    return SymbolicMemo()


def run_group(group: Group) -> dict[str, Any]:
    """λ*, its certificate, q*, coverage and Θ* for ``group`` (see the module docstring)."""
    _one_thread()
    from verify.checks import Failed, run_checks
    from verify.results import Condition

    t0 = time.perf_counter()
    v = run_checks(group.settings, memo=symbolic_memo())
    pop = v.population
    if isinstance(pop, Failed):
        raise VerifyError(f"no G*: {pop}")
    cert = v.gram.certificate  # None with --no-certify
    truong = v.assessments[0]
    lam_check = v.condition(Condition.LAMBDA_STAR_POSITIVE)
    return {
        "activation": group.activation,
        "data": group.data,
        "n": group.n,
        "sigma_w2": v.model.sigma_w2,
        "lip": v.symbolic.lipschitz_bound(),  # proved only (∞ otherwise), as in the single run
        "lambda_star": pop.lambda_star,
        "lambda_star_enclosure": list(cert.enclosure) if cert and cert.enclosure else None,
        "lambda_star_status": lam_check.status.value if lam_check else None,
        "certificate_failure": cert.failure if cert else None,
        "q_star": pop.gram.q_star,
        "covered": truong.applies.value,
        "refuted": [c.name.value for c in truong.failed],
        "hypotheses": {c.name.value: c.status.value for c in truong.hypotheses},
        "theta_star": pop.theta_star.cpu().tolist(),
        "seconds": time.perf_counter() - t0,
    }


def run_cell(cell: Cell, group: dict[str, Any]) -> dict[str, Any]:
    """One GD run of ``cell`` and its conclusions, with λ* and Θ* from its ``group`` record."""
    _one_thread()
    import torch

    from numeric.data import load_dataset
    from numeric.training import train_deq
    from verify import verdicts
    from verify.results import Status

    t0 = time.perf_counter()
    s = cell.settings
    data = load_dataset(s.data, s.seed)
    if cell.network == "gao":
        return _run_gao_cell(cell, data, t0)
    model = replace(s.model, sigma_w2=group["sigma_w2"])  # as resolved for the group
    theta = torch.tensor(group["theta_star"], dtype=torch.float64)
    try:
        res = train_deq(
            _activation(cell.activation),
            data,
            model,
            s.solve,
            s.schedule,
            lip=math.inf if group["lip"] is None else group["lip"],  # None: an older record
            seed=cell.weight_seed,
            theta_star=theta,
            device=s.device,
            progress=None,
        )
    except VerifyError as exc:  # an unconverged solve, a draw that never contracts: a finding
        return {
            "width": cell.width,
            "replicate": cell.replicate,
            "weight_seed": cell.weight_seed,
            "error": str(exc),
            "held": False,
            "seconds": time.perf_counter() - t0,
        }
    lam = group["lambda_star"]
    lambda0_held = verdicts.lambda0_bound(res, lam).status is Status.PASS
    return {
        "width": res.width,
        "replicate": cell.replicate,
        "weight_seed": cell.weight_seed,
        "lr": res.lr,
        "lambda_0": res.lambda_0,
        "lambda_0_ratio": res.lambda_0 / (res.width * lam) if lam > 0 else math.inf,
        "lambda0_held": lambda0_held,
        "rate": res.rate.rate,
        "rate_r2": res.rate.r2,
        "max_ratio": res.rate.max_ratio,
        "rate_bound": res.rate_bound,
        "rate_finite": res.rate_finite,
        "rate_infinite": res.rate_infinite,
        "rate_held": verdicts.deq_rate_held(res),  # the contraction aside
        "lambda_kept": res.lambda_kept,
        "well_posed": res.well_posed,
        "lazy": verdicts.lazy(res),
        "held": verdicts.study_held(res, lam),
        "initial_loss": res.initial_loss,
        "final_loss": res.final_loss,
        "error": None,
        "seconds": time.perf_counter() - t0,
    }


def _run_gao_cell(cell: Cell, data: Dataset, t0: float) -> dict[str, Any]:
    """Gao & Gao's network at the cell's width on ``data`` (see the module docstring)."""
    from numeric.implicit import explicit_spectrum
    from verify import verdicts
    from verify.checks.gao_runs import train_gao_at
    from verify.results import Status

    lam0 = explicit_spectrum(data.x)[0]
    try:
        act = _activation(cell.activation)
        res = train_gao_at(
            act, data, cell.width, cell.settings, lambda_0=lam0, seed=cell.weight_seed
        )
    except VerifyError as exc:  # an unconverged solve, weights that are not well-posed
        return {
            "network": "gao",
            "width": cell.width,
            "replicate": cell.replicate,
            "weight_seed": cell.weight_seed,
            "lambda_0": lam0,
            "error": str(exc),
            "held": False,
            "seconds": time.perf_counter() - t0,
        }
    return {
        "network": "gao",
        "width": res.width,
        "replicate": cell.replicate,
        "weight_seed": cell.weight_seed,
        "lr": res.lr,
        "lambda_0": res.lambda_0,
        "gram_init": res.gram_init,
        "gram_init_held": verdicts.gao_gram_init(res).status is Status.PASS,
        "rate": res.rate.rate,
        "rate_r2": res.rate.r2,
        "max_ratio": res.max_ratio,  # over every step, as Theorem 3.2 states
        "rate_bound": res.rate_bound,
        "rate_held": verdicts.rate_held(res.max_ratio, res.rate_bound),
        "gram_kept": res.gram_kept,
        "well_posed": res.well_posed,
        "held": verdicts.gao_rate_held(res),
        "initial_loss": res.initial_loss,
        "final_loss": res.final_loss,
        "error": None,
        "seconds": time.perf_counter() - t0,
    }


def _activation(name: str):
    from symbolic.activations import resolve

    return resolve(name)


__all__ = ["run_cell", "run_group", "symbolic_memo"]
