"""Gao & Gao's network, when its theorem is selected and φ is not refuted to be the ReLU: λ_0 of
G^∞ (and its certificate), the training run at the model's width, and the linear-width runs.
"""

from __future__ import annotations

import math

from numeric.data import Dataset
from numeric.gao_certificate import certify_lambda0
from numeric.implicit import ImplicitResult, explicit_spectrum, train_gao
from symbolic.activations import Activation
from symbolic.relu import ReluFact
from verify.checks.records import GaoRuns
from verify.checks.stage import Failed, attempt
from verify.refusals import maybe_relu
from verify.settings import Settings


def gao_runs(
    act: Activation, data: Dataset, s: Settings, selected: bool, relu: ReluFact | Failed
) -> GaoRuns:
    """When the theorem is selected and φ is not refuted to be ReLU (its model accepts φ): λ_0 of
    G^∞ and, when training is on, Gao & Gao's network trained at the model's width (and at
    m = c·n for n/4, n/2, n with --width-ratio c). Each failure is kept as Failed."""
    runnable = selected and maybe_relu(relu if isinstance(relu, ReluFact) else None)
    if not runnable:
        return GaoRuns(relu, None, None, None, None)
    lam0, gnorm = explicit_spectrum(data.x)
    cert = None
    if s.precision.certify:
        cert = attempt(lambda: certify_lambda0(data.x, lam0, s.precision.prec))
    if not s.train:
        return GaoRuns(relu, lam0, gnorm, None, None, cert)

    def run(d: Dataset, width: int, lambda_0: float) -> ImplicitResult:
        return train_gao_at(act, d, width, s, lambda_0=lambda_0, seed=s.seed)

    def subset(k: int) -> ImplicitResult:
        d = _first(data, k)
        return run(d, math.ceil(s.gao.width_ratio * k), explicit_spectrum(d.x)[0])

    training = attempt(lambda: run(data, s.model.width, lam0))
    widths = None
    if s.gao.width_ratio is not None:
        sizes = sorted({max(2, math.ceil(data.n / k)) for k in (4, 2, 1)})
        widths = attempt(lambda: tuple(subset(k) for k in sizes))
    return GaoRuns(relu, lam0, gnorm, training, widths, cert)


def train_gao_at(
    act: Activation, data: Dataset, width: int, s: Settings, *, lambda_0: float, seed: int
) -> ImplicitResult:
    """Gao & Gao's network trained at ``width`` on ``data`` with the run's Gao, solve and
    schedule settings and device (:func:`numeric.implicit.train_gao`, α = C·λ_0/n²)."""
    return train_gao(
        act, data, width, s.gao, s.solve, s.schedule, lambda_0=lambda_0, seed=seed, device=s.device
    )


def _first(data: Dataset, k: int) -> Dataset:
    return Dataset(data.x[:k], data.y[:k], f"{data.source}, first {k} rows", data.notices)
