"""One run, as pure stages: ``run_checks(settings) -> Verification``.

symbolic facts → population (G*, its spectrum and certificate, Θ*, each computed once) → width
sweep → training → width study → Gao & Gao's network → verdicts. Each stage returns a frozen
record, or a :class:`verify.checks.stage.Failed` holding the project error that stopped it; the
verdict of a condition whose facts failed says why. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from dataclasses import dataclass

from numeric.data import Dataset, load_dataset, max_correlation
from numeric.training import TrainingResult
from symbolic.activations import Activation, resolve
from symbolic.bounds import SupBound
from symbolic.errors import SYMPY_GIVE_UPS
from symbolic.l2 import SquareIntegrable, square_integrable
from symbolic.relu import ReluFact, relu_fact
from symbolic.timelimit import step_seconds
from verify.checks.facts import (
    resolve_model,
    suprema,
    symbolic_facts,
)
from verify.checks.finite_width import (
    deq_run,
    ling_run,
    run_width_study,
    run_width_sweep,
)
from verify.checks.gao_runs import gao_runs
from verify.checks.judge import in_report_order, judge, other_conditions
from verify.checks.population import (
    population,
    singular_gram,
)
from verify.checks.records import SymbolicFacts, Verification
from verify.checks.stage import Clock, Failed, Progress, attempt
from verify.refusals import OutsideTheory, check_sizes, maybe_relu, outside_l2, refusal
from verify.settings import PrecisionSettings, Settings
from verify.theorems import THEOREMS, assess


@dataclass(frozen=True)
class SymbolicStage:
    """What the symbolic stage proved about φ: L² membership, sup|φ^{(k)}| (k = 0, 1, 2), the
    ReLU fact and the facts (Hermite coefficients, dual, enclosures). None of it depends on the
    data, n, σ_w² or the model: only on φ and the precision settings."""

    l2: SquareIntegrable
    sups: dict[int, SupBound | Failed]
    relu: ReluFact | Failed
    facts: SymbolicFacts


class SymbolicMemo:
    """The symbolic stage by (activation as written, precision settings), for a caller that runs
    many settings of one φ in one process (a study's groups): each φ's facts are computed once
    per process, at most ``size`` of them kept (the oldest dropped first)."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._stages: dict[tuple[str, PrecisionSettings], SymbolicStage] = {}

    def get(self, s: Settings) -> SymbolicStage | None:
        """The stage computed for ``s``'s activation and precision, if any."""
        return self._stages.get((s.activation, s.precision))

    def put(self, s: Settings, stage: SymbolicStage) -> None:
        """Keep ``stage`` for ``s``'s activation and precision."""
        if len(self._stages) >= self.size:
            self._stages.pop(next(iter(self._stages)))
        self._stages[(s.activation, s.precision)] = stage


def run_checks(
    s: Settings,
    progress: Progress | None = None,
    act: Activation | None = None,
    data: Dataset | None = None,
    memo: SymbolicMemo | None = None,
) -> Verification:
    """Run the symbolic, population and (unless ``s.train`` is False) training checks, on
    ``data`` (loaded from ``s.data`` when not given), every symbolic step limited to
    ``s.precision.time_limit`` seconds (or a stated multiple of it); the symbolic stage is taken
    from ``memo`` when it holds φ's (and kept there when computed)."""
    with step_seconds(s.precision.time_limit):
        return _run_checks(s, progress, act, data, memo)


def _run_checks(
    s: Settings,
    progress: Progress | None,
    act: Activation | None,
    data: Dataset | None,
    memo: SymbolicMemo | None,
) -> Verification:
    act = act or resolve(s.activation)
    if data is None:  # bad data is bad input: raise before any work
        if s.data.data is None:
            check_sizes(s.data.points, s)
        data = load_dataset(s.data, s.seed)
    check_sizes(data.n, s)
    clock = Clock(progress)
    known = memo.get(s) if memo is not None else None
    if known is None:
        with clock.stage("square_integrable"):
            l2 = square_integrable(act)
    else:
        l2 = known.l2
    outside = outside_l2(l2)
    if outside:
        raise OutsideTheory(outside, overridable=False)
    sups = suprema(act, clock) if known is None else known.sups
    relu = attempt(lambda: relu_fact(act), *SYMPY_GIVE_UPS) if known is None else known.relu
    lip_bound = sups[1] if isinstance(sups[1], SupBound) else None
    refused = refusal(s, lip_bound, relu if isinstance(relu, ReluFact) else None)
    if refused and not s.force:
        raise OutsideTheory(f"{refused}; or pass --force to measure anyway")
    facts = symbolic_facts(act, s, clock, sups, l2) if known is None else known.facts
    if memo is not None and known is None:
        memo.put(s, SymbolicStage(l2, sups, relu, facts))
    model, notes = resolve_model(s.model, facts)
    if refused:
        notes.insert(0, f"OUTSIDE THE HYPOTHESES (--force): {refused}")
    lip = facts.lipschitz_bound()
    with clock.stage("gram"):
        pop = attempt(lambda: population(act, data, model, facts, s))
    theorems = s.theorems or tuple(THEOREMS)
    sweep = study = training = None
    if s.study.width_sweep:
        with clock.stage("width_sweep"):
            sweep = attempt(lambda: run_width_sweep(act, data, pop, model, lip, s))
    if s.train and {"truong2023", "ling2023"} & set(theorems):
        with clock.stage("training"):
            training = attempt(lambda: deq_run(act, data, pop, model, lip, s, s.seed, progress))
    if s.study.width_study:
        with clock.stage("width_study"):
            study = attempt(lambda: run_width_study(act, data, pop, model, lip, s))
    ling = None
    maybe = maybe_relu(relu if isinstance(relu, ReluFact) else None)
    if isinstance(training, TrainingResult) and "ling2023" in theorems and maybe:
        with clock.stage("ling2023"):
            ling = attempt(lambda: ling_run(act, data, pop, model, lip, s, training))
    with clock.stage("gao2022"):
        gao = gao_runs(act, data, s, "gao2022" in theorems, relu)
    corr = max_correlation(data.x)
    singular = singular_gram(act, data, corr, facts.polynomial)
    conditions = judge(facts, model.sigma_w2, corr, data, pop, sweep, training, study, singular)
    conditions = in_report_order(conditions + other_conditions(s, model, data, training, ling, gao))
    by_name = {c.name: c for c in conditions}
    assessments = tuple(assess(THEOREMS[t], by_name) for t in THEOREMS if t in theorems)
    return Verification(
        act,
        s,
        model,
        data,
        corr,
        facts,
        pop,
        sweep,
        training,
        study,
        ling,
        gao,
        conditions,
        assessments,
        (*facts.notes, *notes),
        tuple(clock.timings.items()),
    )
