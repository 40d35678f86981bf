"""Every condition's verdict from the stage records: each fact handed to its rule in
:mod:`verify.verdicts`, INCONCLUSIVE with the reason where a fact could not be established.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from numeric.data import Correlation, Dataset
from numeric.gram import NoFixedPoint
from numeric.limits import limit_norm
from numeric.training import TrainingResult
from numeric.width import GramSweep
from symbolic.errors import VerifyError
from symbolic.variance_map import VarianceDiverges
from verify import verdicts
from verify.checks.finite_width import (
    drawn_ling_constants,
)
from verify.checks.records import GaoRuns, LingRun, Population, SymbolicFacts
from verify.checks.stage import Failed
from verify.results import CheckResult, Condition
from verify.settings import ModelSettings, Settings


def judge(
    facts: SymbolicFacts,
    sigma_w2: float,
    corr: Correlation,
    data: Dataset,
    pop: Population | Failed,
    sweep: GramSweep | Failed | None,
    training: TrainingResult | Failed | None,
    study: verdicts.WidthStudy | Failed | None,
    singular: str | None,
) -> tuple[CheckResult, ...]:
    """Every condition's verdict from the facts (INCONCLUSIVE, with the reason, where a fact
    could not be established), in report order; ``singular`` is a proof that G* is singular, if
    one was found."""
    out = [
        _or_error(
            verdicts.BOUNDED[k],
            sup,
            lambda b, k=k: verdicts.bounded(k, b, facts.enclosures.get(k)),
        )
        for k, sup in facts.sups.items()
    ]
    out.append(
        _or_error(
            Condition.INFINITE_HERMITE,
            facts.polynomial,
            lambda poly: verdicts.infinite_hermite(poly, facts.evidence, facts.l2, _q_star(pop)),
        )
    )
    out.append(
        _or_error(
            Condition.WEIGHT_SCALE,
            facts.sups[1],
            lambda b: verdicts.weight_scale(sigma_w2, b, facts.enclosures.get(1)),
        )
    )
    out.append(verdicts.nonparallel(corr, data.notices))
    out.append(_lambda_star(facts, pop, singular))
    diverged = isinstance(pop, Failed) and isinstance(pop.error, VarianceDiverges)
    if sweep is not None:
        if diverged:
            out.append(verdicts.without_population(Condition.WIDTH_SWEEP, str(pop)))
        else:
            out.append(_or_error(Condition.WIDTH_SWEEP, sweep, verdicts.width_sweep))
    if training is not None:
        if diverged and not isinstance(training, Failed):
            out.append(verdicts.without_population(Condition.LAMBDA0_BOUND, str(pop)))
        elif isinstance(training, Failed) or isinstance(pop, Failed):
            why = training.error if isinstance(training, Failed) else pop.error
            out.append(verdicts.could_not_run(Condition.LAMBDA0_BOUND, why))
        else:
            out.append(verdicts.lambda0_bound(training, pop.lambda_star))
        out.append(_or_error(Condition.LINEAR_RATE, training, verdicts.linear_rate))
    if study is not None:
        out.append(_or_error(Condition.WIDTH_STUDY, study, verdicts.width_study))
    return tuple(sorted(out, key=lambda c: c.name.order))


def _q_star(pop: Population | Failed) -> float | None:
    return None if isinstance(pop, Failed) else pop.gram.q_star


def _lambda_star(
    facts: SymbolicFacts, pop: Population | Failed, singular: str | None
) -> CheckResult:
    if isinstance(pop, Failed) and isinstance(pop.error, VarianceDiverges):
        method = "variance map proved to diverge (Arb interval pieces and a tail growth bound)"
        return verdicts.lambda_star_diverges(str(pop), method)
    if isinstance(pop, Failed) and isinstance(pop.error, NoFixedPoint) and pop.error.proved:
        method = "exact existence range of the variance map (polynomial φ)"
        return verdicts.lambda_star_diverges(str(pop.error), method)
    if isinstance(pop, Failed):
        return verdicts.could_not_run(Condition.LAMBDA_STAR_POSITIVE, pop.error)
    certified = str(pop.certified) if isinstance(pop.certified, Failed) else pop.certified
    return verdicts.lambda_star_positive(
        pop.spectrum, pop.certificate, certified, pop.gram.method, singular
    )


def _or_error(name: Condition, fact: Any, rule: Callable[[Any], CheckResult]) -> CheckResult:
    return verdicts.could_not_run(name, fact.error) if isinstance(fact, Failed) else rule(fact)


def other_conditions(
    s: Settings,
    model: ModelSettings,
    data: Dataset,
    training: TrainingResult | Failed | None,
    ling: LingRun | Failed | None,
    gao: GaoRuns,
) -> tuple[CheckResult, ...]:
    """The conditions of Ling et al. and Gao & Gao beyond Truong's (theory §7)."""
    out = [
        _or_error(Condition.RELU_ACTIVATION, gao.relu, verdicts.relu_activation),
        verdicts.ling_weight_scale(model.sigma_w2, model.a_scale),
        verdicts.gao_well_posed(s.gao.gamma, limit_norm(s.gao.gamma)),
    ]
    if gao.lambda_0 is not None:
        cert = str(gao.certified) if isinstance(gao.certified, Failed) else gao.certified
        out.append(verdicts.gao_lambda0_positive(gao.lambda_0, cert))
    if training is not None and not isinstance(training, Failed):
        out += _ling_regime(s, data, training)
    if ling is not None:
        out.append(
            _or_error(
                Condition.LING_LINEAR_RATE,
                ling,
                lambda r: verdicts.ling_linear_rate(r.training, r.eta_bound),
            )
        )
    if gao.training is not None:
        out.append(_or_error(Condition.GAO_LINEAR_RATE, gao.training, verdicts.gao_linear_rate))
        out.append(_or_error(Condition.GAO_GRAM_INIT, gao.training, verdicts.gao_gram_init))
    if gao.linear_width is not None:
        ratio = s.gao.width_ratio
        out.append(
            _or_error(
                Condition.GAO_LINEAR_WIDTH,
                gao.linear_width,
                lambda runs: verdicts.gao_linear_width(list(runs), ratio),
            )
        )
    return tuple(out)


def _ling_regime(s: Settings, data: Dataset, t: TrainingResult) -> list[CheckResult]:
    """Ling's Condition 1 and step bound on the drawn network of the training run."""
    x_fro = float(data.x.norm())
    try:
        lc = drawn_ling_constants(s, data, t)
    except VerifyError as exc:
        return [
            verdicts.could_not_run(Condition.LING_CONDITION1, exc),
            verdicts.could_not_run(Condition.LING_STEP_SIZE, exc),
        ]
    resid = math.sqrt(2 * t.initial_loss)
    return [
        verdicts.ling_condition1(lc, t.lambda_0, x_fro, resid),
        verdicts.ling_step_size(lc, t.lr, t.lambda_0, x_fro),
    ]


def in_report_order(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    return tuple(sorted(results, key=lambda c: c.name.order))
