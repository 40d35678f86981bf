"""One run, as pure stages: ``run_checks(settings) -> Verification``.

symbolic facts → population (G*, its spectrum and certificate, Θ*, each computed once) → width
sweep → training → width study → verdicts. Each stage returns a frozen record, or a
:class:`Failed` holding the project error that stopped it (an unconverged solver, a sympy
give-up); the verdict of a condition whose facts failed is ERROR with that reason. Any other
exception is a bug and propagates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from typing import Any, TypeVar

import sympy as sp
import torch

from numeric.data import Correlation, Dataset, load_dataset, max_correlation
from numeric.gao_certificate import GaoCertificate, certify_lambda0
from numeric.gram import GramResult, NoFixedPoint, population_gram
from numeric.implicit import ImplicitResult, explicit_spectrum, train_implicit
from numeric.lambda_certificate import LambdaCertificate, certify_lambda_star
from numeric.limits import limit_norm
from numeric.mehler import dual_series
from numeric.ntk import ntk_infinite
from numeric.quadrature import hermite_float
from numeric.spectrum import (
    Certificate,
    Spectrum,
    eigenvalues,
    hermite_certificate,
    spectral_bounds,
)
from numeric.sup import grid_sup
from numeric.training import TrainingResult, train
from numeric.width import GramSweep, gram_sweep, theory_width_scale
from symbolic.activations import Activation, resolve
from symbolic.bounds import SupBound, sup_abs
from symbolic.dual import dual_by_summation, dual_closed_fn
from symbolic.enclosure import Enclosure, float_up
from symbolic.errors import SYMPY_GIVE_UPS, SolverError, VerifyError
from symbolic.hermite import HermiteCoefficients, hermite_exact, hermite_mp, parity
from symbolic.hermite_balls import tails
from symbolic.l2 import SquareIntegrable, square_integrable
from symbolic.polynomial import PolynomialFact, polynomial_fact
from symbolic.relu import ReluFact, relu_fact
from symbolic.sup_enclosure import SupSearch, sup_enclosure
from symbolic.timelimit import seconds, step_seconds
from symbolic.variance_map import VarianceDiverges, divergence
from verify import verdicts
from verify.refusals import OutsideTheory, check_sizes, maybe_relu, outside_l2, refusal
from verify.results import CheckResult, Condition, Status
from verify.settings import ModelSettings, PrecisionSettings, Settings
from verify.theorems import THEOREMS, Assessment, assess, covered_verdict

Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """A stage or fact that could not be established, and why."""

    error: BaseException

    def __str__(self) -> str:
        return str(self.error)


@dataclass(frozen=True)
class SymbolicFacts:
    """What the symbolic layer established about φ (plus the float64 Hermite evidence)."""

    sups: dict[int, SupBound | Failed]  # k = 0, 1, 2
    enclosures: dict[int, Enclosure | None]  # certified sup|φ^{(k)}|, where a proof closed
    polynomial: PolynomialFact | Failed
    coefficients: HermiteCoefficients | None  # the reported dps-digit coefficients at q = 1
    evidence: HermiteCoefficients | None  # float64 coefficients shown beside the verdict
    exact: tuple[sp.Expr, ...]
    dual_symbolic: sp.Expr | None
    dual_curve: dict[str, list[float]] | None
    notes: tuple[str, ...]
    l2: SquareIntegrable | None = None

    def sup_value(self, k: int) -> float:
        """sup|φ^{(k)}| as a number, proved or only estimated (the best known: the certified
        upper end, else the exact value, else the estimate); ∞ when refuted or unavailable."""
        upper = self.sup_upper(k)
        if upper is not None:
            return upper
        b = self.sups[k]
        return b.value if isinstance(b, SupBound) and b.bounded is not False else math.inf

    def sup_upper(self, k: int) -> float | None:
        """A proved upper bound of sup|φ^{(k)}| (the exact supremum rounded up, or the certified
        enclosure's upper end); None when none was proved. ∞ when proved unbounded."""
        b = self.sups[k]
        if not isinstance(b, SupBound) or b.bounded is None:
            return None
        if b.bounded is False:
            return math.inf
        enc = self.enclosures.get(k)
        if enc is not None:
            return enc.hi
        if b.exact is not None:
            return _exact_up(b.exact)
        return None


def _exact_up(value: sp.Expr) -> float:
    """The smallest float64 ≥ an exact sympy number (from 40 digits, rounded outward)."""
    from flint import arb

    approx = sp.N(value, 40)
    ball = arb(str(approx)) + arb(0, 10.0 ** (-35) * max(1.0, abs(float(approx))))
    return float_up(ball)


@dataclass(frozen=True)
class Population:
    """The infinite-width quantities: G*, its spectrum and certificate, λ_min(Σ*), Θ*.

    The informational λ_min(Σ*) and λ_min(Θ*) are None unless ``--spectra`` (or a report) asked
    for them; Θ* itself is built on first use (training, the study) by ``theta``."""

    gram: GramResult
    spectrum: Spectrum
    certificate: Certificate
    certified: LambdaCertificate | Failed | None  # None: --no-certify
    lambda_min_sigma: float | None
    theta: Callable[[], torch.Tensor] = field(repr=False, compare=False)
    ntk_min: float | None

    @property
    def lambda_star(self) -> float:
        return self.spectrum.lambda_min

    @cached_property
    def theta_star(self) -> torch.Tensor:
        """Θ* = lim Θ/m (numeric.ntk), computed once, when first asked for."""
        return self.theta()

    @property
    def skipped(self) -> tuple[str, ...]:
        """The JSON keys of the informational spectra not computed (no --spectra)."""
        pairs = (("lambda_min_sigma", self.lambda_min_sigma), ("ntk_lambda_min", self.ntk_min))
        return tuple(key for key, value in pairs if value is None)


@dataclass(frozen=True)
class LingRun:
    """The DEQ retrained at 0.99 × Theorem 1's step bound (Ling et al.), on the same draw."""

    eta_bound: float
    training: TrainingResult


@dataclass(frozen=True)
class GaoRuns:
    """Gao & Gao's network: φ ≡ ReLU decided, λ_0 of G^∞, the training run and the linear-width
    runs (None where not run)."""

    relu: ReluFact | Failed
    lambda_0: float | None
    gram_norm: float | None
    training: ImplicitResult | Failed | None
    linear_width: tuple[ImplicitResult, ...] | Failed | None
    certified: GaoCertificate | Failed | None = None  # λ_0 in ball arithmetic (None: off)


@dataclass(frozen=True)
class Verification:
    """Everything one run found, frozen; renderers read only this."""

    act: Activation
    settings: Settings
    model: ModelSettings  # the model as used: σ_w² resolved
    data: Dataset
    correlation: Correlation
    symbolic: SymbolicFacts
    population: Population | Failed
    sweep: GramSweep | Failed | None
    training: TrainingResult | Failed | None
    study: verdicts.WidthStudy | Failed | None
    ling: LingRun | Failed | None
    gao: GaoRuns
    conditions: tuple[CheckResult, ...]
    assessments: tuple[Assessment, ...]
    notes: tuple[str, ...]
    timings: tuple[tuple[str, float], ...]

    @property
    def verdict(self) -> Status:
        """Covered by some theorem whose conclusions held here (see theorems.covered_verdict)."""
        return covered_verdict(list(self.assessments))

    @property
    def covering(self) -> tuple[str, ...]:
        """The ids of the theorems that apply and whose conclusions held."""
        return tuple(a.theorem.id for a in self.assessments if a.covers)

    @property
    def sigma_w2(self) -> float:
        return self.model.sigma_w2

    def condition(self, name: Condition) -> CheckResult | None:
        return next((c for c in self.conditions if c.name is name), None)

    @staticmethod
    def ok(stage: Any) -> Any:
        """The stage's record, or None when it failed or did not run."""
        return None if stage is None or isinstance(stage, Failed) else stage

    @property
    def gram(self):
        """G*, Σ*, q*, λ* and its certificate as :class:`verify.api.PopulationGram` (None when
        the population stage failed)."""
        from verify.api import LambdaStar, PopulationGram

        pop = self.ok(self.population)
        if pop is None:
            return None
        c = pop.certified
        if c is None:
            cert = None
        elif isinstance(c, Failed):
            cert = LambdaStar(pop.lambda_star, None, "float eigvalsh only", str(c))
        else:
            cert = LambdaStar(pop.lambda_star, (c.lower, c.upper), c.method, None)
        g = pop.gram
        return PopulationGram(
            g.gram, g.sigma, g.q_star, pop.lambda_star, pop.spectrum.error, g.method, cert
        )

    @property
    def hermite(self):
        """The reported coefficients μ_n(1) as :class:`verify.api.Hermite` (None if unavailable)."""
        from verify.api import Hermite

        co = self.symbolic.coefficients
        if co is None:
            return None
        return Hermite.of(self.act, co.q, co.values, co.error, co.method)

    def __repr__(self) -> str:
        lam = self.gram.lambda_star if self.gram is not None else float("nan")
        return (
            f"Verification({self.act.name}: {self.verdict.value}, covered by "
            f"{', '.join(self.covering) or 'no theorem'}; λ* = {lam:.6g}; "
            f"{len(self.conditions)} conditions)"
        )

    def __str__(self) -> str:
        from verify.render import render_text

        return render_text(self)

    def _repr_markdown_(self) -> str:
        from verify.render import render_markdown

        return render_markdown(self)


class _Clock:
    """Times the stages and reports their names as progress."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.timings = progress, {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


#: Python's own arithmetic and conversion errors inside a check: the check could not decide (an
#: overflow, a division by zero, a value sympy or torch could not convert), which the verdict
#: reports as INCONCLUSIVE with the cause in words; never a traceback for an accepted formula.
NUMERIC_GIVE_UPS: tuple[type[BaseException], ...] = (ArithmeticError, ValueError, TypeError)

_CAUSES = {
    OverflowError: "a number overflowed float64",
    ZeroDivisionError: "a division by zero",
    FloatingPointError: "a floating-point error",
}


def _cause(exc: BaseException) -> VerifyError:
    """A project error saying in words what a Python arithmetic or conversion error meant."""
    if isinstance(exc, VerifyError):
        return exc
    kinds = (w for t, w in _CAUSES.items() if isinstance(exc, t))
    what = next(kinds, "a value could not be computed")
    detail = str(exc).strip()
    return VerifyError(f"{what} ({detail})" if detail else what)


def _attempt(fn: Callable[[], T], *catch: type[BaseException]) -> T | Failed:
    """fn(), or Failed for the project's own errors, Python's arithmetic and conversion errors
    (NUMERIC_GIVE_UPS, turned into words) and the extra give-ups named."""
    try:
        return fn()
    except (VerifyError, *NUMERIC_GIVE_UPS, *catch) as exc:
        return Failed(_cause(exc))


#: Step times (symbolic.timelimit) for one exact Hermite coefficient and for all of them.
EXACT_TERM_STEPS = 0.5
EXACT_TOTAL_STEPS = 1.5


def run_checks(
    s: Settings,
    progress: Progress | None = None,
    act: Activation | None = None,
    data: Dataset | None = None,
) -> Verification:
    """Run the symbolic, population and (unless ``s.train`` is False) training checks, on
    ``data`` (loaded from ``s.data`` when not given), every symbolic step limited to
    ``s.precision.time_limit`` seconds (or a stated multiple of it)."""
    with step_seconds(s.precision.time_limit):
        return _run_checks(s, progress, act, data)


def _run_checks(
    s: Settings, progress: Progress | None, act: Activation | None, data: Dataset | None
) -> Verification:
    act = act or resolve(s.activation)
    if data is None:  # bad data is bad input: raise before any work
        if s.data.data is None:
            check_sizes(s.data.points, s)
        data = load_dataset(s.data, s.seed)
    check_sizes(data.n, s)
    clock = _Clock(progress)
    with clock.stage("square_integrable"):
        l2 = square_integrable(act)
    outside = outside_l2(l2)
    if outside:
        raise OutsideTheory(outside, overridable=False)
    sups = suprema(act, clock)
    relu = _attempt(lambda: relu_fact(act), *SYMPY_GIVE_UPS)
    lip_bound = sups[1] if isinstance(sups[1], SupBound) else None
    refused = refusal(s, lip_bound, relu if isinstance(relu, ReluFact) else None)
    if refused and not s.force:
        raise OutsideTheory(f"{refused}; or pass --force to measure anyway")
    facts = symbolic_facts(act, s, clock, sups, l2)
    model, notes = resolve_model(s.model, facts)
    if refused:
        notes.insert(0, f"OUTSIDE THE HYPOTHESES (--force): {refused}")
    proved_lip = facts.sup_upper(1)
    lip = proved_lip if proved_lip is not None else math.inf  # only a proved L checks L‖W‖₂ < 1
    with clock.stage("gram"):
        pop = _attempt(lambda: population(act, data, model, facts, s))
    theorems = s.theorems or tuple(THEOREMS)
    sweep = study = training = None
    if s.study.width_sweep:
        with clock.stage("width_sweep"):
            sweep = _attempt(lambda: _sweep(act, data, pop, model, lip, s))
    if s.train and {"truong2023", "ling2023"} & set(theorems):
        with clock.stage("training"):
            training = _attempt(lambda: _train(act, data, pop, model, lip, s, s.seed, progress))
    if s.study.width_study:
        with clock.stage("width_study"):
            study = _attempt(lambda: _width_study(act, data, pop, model, lip, s))
    ling = None
    maybe = maybe_relu(relu if isinstance(relu, ReluFact) else None)
    if isinstance(training, TrainingResult) and "ling2023" in theorems and maybe:
        with clock.stage("ling2023"):
            ling = _attempt(lambda: _ling_run(act, data, pop, model, lip, s, training))
    with clock.stage("gao2022"):
        gao = gao_runs(act, data, s, "gao2022" in theorems, relu)
    corr = max_correlation(data.x)
    singular = singular_gram(act, data, corr, facts.polynomial)
    conditions = judge(facts, model.sigma_w2, corr, data, pop, sweep, training, study, singular)
    conditions = _sorted(conditions + other_conditions(s, model, data, training, ling, gao))
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
        cert = _attempt(lambda: certify_lambda0(data.x, lam0, s.precision.prec))
    if not s.train:
        return GaoRuns(relu, lam0, gnorm, None, None, cert)

    def run(d: Dataset, width: int, lambda_0: float) -> ImplicitResult:
        return train_implicit(
            act,
            d,
            width,
            s.gao,
            s.solve,
            s.schedule,
            lambda_0=lambda_0,
            seed=s.seed,
            device=s.device,
        )

    def subset(k: int) -> ImplicitResult:
        d = _first(data, k)
        return run(d, math.ceil(s.gao.width_ratio * k), explicit_spectrum(d.x)[0])

    training = _attempt(lambda: run(data, s.model.width, lam0))
    widths = None
    if s.gao.width_ratio is not None:
        sizes = sorted({max(2, math.ceil(data.n / k)) for k in (4, 2, 1)})
        widths = _attempt(lambda: tuple(subset(k) for k in sizes))
    return GaoRuns(relu, lam0, gnorm, training, widths, cert)


def _first(data: Dataset, k: int) -> Dataset:
    return Dataset(data.x[:k], data.y[:k], f"{data.source}, first {k} rows", data.notices)


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


def _ling_constants(s: Settings, data: Dataset, t: TrainingResult) -> verdicts.LingConstants:
    """Condition 1's constants on the training run's drawn W(0), U(0), a(0) (δ from --ling-delta,
    else (1 - ‖W(0)‖₂)/2); raises VerifyError when ‖W(0)‖₂ + δ ≥ 1."""
    p, w = t.initial, t.init.w_norm
    delta = s.ling.delta if s.ling.delta is not None else (1 - w) / 2
    u_norm = float(torch.linalg.matrix_norm(p.U.cpu(), ord=2))
    return verdicts.ling_constants(w, u_norm, float(p.a.norm()), delta)


def _ling_regime(s: Settings, data: Dataset, t: TrainingResult) -> list[CheckResult]:
    """Ling's Condition 1 and step bound on the drawn network of the training run."""
    x_fro = float(data.x.norm())
    try:
        lc = _ling_constants(s, data, t)
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


def _ling_run(act, data, pop, model, lip, s: Settings, t: TrainingResult) -> LingRun:
    """The training run repeated (same seed, so the same draw) at η = 0.99 × Theorem 1's bound
    min(2/λ_0, 2(c_w² + c_u²)/((c_w² + c_u² + c_a²)²‖X‖_F²)) with Ling's rate constant 1/2."""
    lc = _ling_constants(s, data, t)
    cc = lc.c_w**2 + lc.c_u**2
    bound = min(2 / t.lambda_0, 2 * cc / ((cc + lc.c_a**2) ** 2 * float(data.x.norm()) ** 2))
    schedule = replace(s.schedule, lr=0.99 * bound, rate_constant=0.5)
    res = _train(act, data, pop, model, lip, replace(s, schedule=schedule), s.seed, None)
    return LingRun(bound, res)


def _sorted(results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    return tuple(sorted(results, key=lambda c: c.name.order))


def suprema(act: Activation, clock: _Clock | None = None) -> dict[int, SupBound | Failed]:
    """sup|φ^{(k)}| for k = 0, 1, 2: sympy's proof, each with its grid cross-check (each stage
    timed by ``clock`` when given)."""
    clock = clock if clock is not None else _Clock(None)
    sups: dict[int, SupBound | Failed] = {}
    for k, name in verdicts.BOUNDED.items():
        with clock.stage(name.value):
            grid = _attempt(lambda k=k: grid_sup(act, k))
            if isinstance(grid, Failed):
                grid = (math.inf, f"no grid ({grid})")
            sups[k] = _attempt(lambda k=k, g=grid: sup_abs(act, k, *g), *SYMPY_GIVE_UPS)
    return sups


def enclosures(
    act: Activation, s: Settings, clock: _Clock, sups: dict[int, SupBound | Failed]
) -> dict[int, Enclosure | None]:
    """Certified sup|φ^{(k)}| for k = 0, 1, 2 where the symbolic layer proved it finite (the
    closed form in ball arithmetic, or branch and bound); empty with --no-certify."""
    if not s.precision.certify:
        return {}
    with clock.stage("certified_sups"):
        return sup_enclosures(act, sups, s.precision)


def sup_enclosures(
    act: Activation, sups: dict[int, SupBound | Failed], p: PrecisionSettings
) -> dict[int, Enclosure | None]:
    """sup|φ^{(k)}| in ball arithmetic at ``p.prec`` bits for each k whose bound ``sups`` proved
    (None where it did not, or where no proof of the enclosure closed)."""
    search = SupSearch(p.sup_window, p.sup_max_window, p.sup_tol, p.sup_evaluations)
    return {
        k: sup_enclosure(act, k, b, p.prec, search) if isinstance(b, SupBound) else None
        for k, b in sups.items()
    }


def certify(
    act: Activation,
    x: torch.Tensor,
    sigma_w2: float,
    sigma: torch.Tensor,
    q_star: float,
    estimate: float,
    p: PrecisionSettings,
    gram: torch.Tensor | None = None,
) -> LambdaCertificate:
    """λ* enclosed in ball arithmetic (theory §4) around the float Σ*, q* and λ_min(G*) =
    ``estimate`` of the rows of ``x``: q* on an invariant interval of the variance map (a local
    contraction, so φ' may be unbounded), the tails from φ's proved growth envelope; raises
    VerifyError when no envelope, invariant interval or contraction is proved. ``gram``, the float
    G* of the same Σ*, spares the certificate a second evaluation of its own midpoint."""
    return certify_lambda_star(
        act,
        x,
        sigma_w2,
        sigma,
        q_star,
        estimate,
        tails(act),
        terms=p.certify_terms,
        prec=p.prec,
        q_steps=p.certify_q_steps,
        dual_max_n=p.certify_dual_max_n,
        gram_float=gram,
    )


def symbolic_facts(
    act: Activation,
    s: Settings,
    clock: _Clock,
    sups: dict[int, SupBound | Failed],
    l2: SquareIntegrable | None = None,
) -> SymbolicFacts:
    """With the suprema of φ, φ', φ'' and the L² membership given: the Hermite coefficients
    (exact, dps digits, float64 evidence) at q = 1, the polynomial test, the dual in closed form
    and as a curve."""
    p = s.precision
    notes: list[str] = []
    l2 = l2 if l2 is not None else square_integrable(act)
    outside = l2.at(1.0) is False
    with clock.stage("hermite"):
        if outside:
            coefficients = Failed(VerifyError(f"φ ∉ L²(N(0, 1)): {l2.reason}"))
        else:
            coefficients = _attempt(lambda: hermite_mp(act, p.hermite_terms, 1, dps=p.dps))
        if isinstance(coefficients, Failed):
            notes.append(f"{p.dps}-digit Hermite coefficients unavailable: {coefficients}")
        exact = hermite_exact(
            act,
            min(p.hermite_terms, p.exact_terms),
            1,
            time_limit=seconds(EXACT_TERM_STEPS),
            total_limit=seconds(EXACT_TOTAL_STEPS),
        )
        evidence = (
            coefficients if outside else _attempt(lambda: hermite_float(act, p.evidence_terms, 1.0))
        )
        if isinstance(evidence, Failed) and not outside:
            notes.append(f"float64 Hermite coefficients unavailable: {evidence}")
        evidence = None if isinstance(evidence, Failed) else evidence
        poly = _attempt(lambda: polynomial_fact(act, evidence), *SYMPY_GIVE_UPS)
    with clock.stage("dual"):
        summed = dual_by_summation(act, seconds(1))
        curve = coefficients if outside else _attempt(lambda: dual_curve(act, p.dual_curve_terms))
    return SymbolicFacts(
        sups,
        enclosures(act, s, clock, sups),
        poly,
        None if isinstance(coefficients, Failed) else coefficients,
        evidence,
        tuple(exact),
        summed,
        None if isinstance(curve, Failed) else curve,
        tuple(notes),
        l2,
    )


def dual_curve(act: Activation, terms: int) -> dict[str, list[float]]:
    """φ̂_1(ρ) on ρ ∈ [-1, 1]: the closed form (if any) and the truncated series with its tail."""
    rho = torch.linspace(-1, 1, 201, dtype=torch.float64)
    series = dual_series(act, 1.0, 1.0, terms)
    values, _ = series(rho)
    tail = [(abs(float(r)) ** terms) * math.sqrt(series.tail1 * series.tail2) for r in rho]
    out = {"rho": rho.tolist(), "series": values.tolist(), "tail": tail}
    closed = dual_closed_fn(act)
    if closed is not None:
        one = torch.ones_like(rho)
        out["closed"] = closed(one, one, rho).tolist()
    return out


def resolve_model(model: ModelSettings, facts: SymbolicFacts) -> tuple[ModelSettings, list[str]]:
    """The model with σ_w² resolved: the user's, else 1/(16 L²) (half the admissible maximum)
    with L a proved upper bound (exact or certified), else 1/16 when L is infinite, zero or not
    proved (an estimated L never sets σ_w²)."""
    if model.sigma_w2 is not None:
        return model, []
    upper = facts.sup_upper(1)
    value = default_sigma_w2(upper)
    if upper is not None and math.isfinite(upper) and upper > 0:
        b1 = facts.sups[1]
        how = "exact" if isinstance(b1, SupBound) and b1.exact is not None else "certified"
        note = f"σ_w² defaults to 1/(16 L²) = {value:.6g} (L ≤ {upper:.6g}, {how})"
        return replace(model, sigma_w2=value), [note]
    if upper is None:
        why = "L = sup|φ'| was not proved, so the weight-scale hypothesis stays undecided"
    else:
        why = f"L = {upper:g}"
    return replace(model, sigma_w2=value), [f"σ_w² defaults to 1/16 ({why})"]


def default_sigma_w2(lip: float | None) -> float:
    """1/(16 L²), half the admissible maximum 1/(8L²), for a proved L > 0; 1/16 when L is
    infinite, zero or unknown (None). Computed as (1/(4L))², so a huge L does not overflow;
    raises VerifyError when the result underflows float64 (set σ_w² by hand)."""
    if lip is None or not math.isfinite(lip) or lip <= 0:
        return 1 / 16
    value = (0.25 / lip) ** 2
    if value == 0.0:
        raise VerifyError(
            f"L = sup|φ'| = {lip:.3g} is so large that 1/(16 L²) underflows float64; "
            "set --sigma-w2 yourself"
        )
    return value


def population(
    act: Activation, data: Dataset, model: ModelSettings, facts: SymbolicFacts, s: Settings
) -> Population:
    """G*, its spectrum (one eigvalsh), the Hermite certificate and λ*'s certified enclosure;
    with ``s.spectra`` also λ_min(Σ*) and Θ*'s (for the model's a-scale) λ_min. Θ* is built
    when first used (Population.theta_star)."""
    pop = s.population
    sups = (facts.sup_value(0), facts.sup_value(1), facts.sup_value(2))
    try:
        gram = population_gram(act, data.x.to(s.device), model.sigma_w2, sups, pop)
    except SolverError:
        proof = diverging_variance(act, model.sigma_w2, data.d)
        if proof is not None:
            raise proof from None
        raise
    mu = hermite_float(act, pop.certificate_terms, gram.q_star)
    cert = hermite_certificate(
        mu.values, mu.error, gram.corr, eig_upto=pop.eig_upto, eig_max_n=pop.eig_max_n
    )
    spectrum = spectral_bounds(gram.gram, gram.error)
    certified = certified_lambda(act, data, model, facts, s, gram, spectrum.lambda_min)
    sigma_min = ntk_min = None
    theta = partial(ntk_infinite, act, gram, model.sigma_w2, model.a_scale)
    if s.spectra:  # informational: one eigvalsh each, only when asked for
        sigma_min = float(eigenvalues(gram.sigma)[0])
        theta_star = theta()
        ntk_min = float(eigenvalues(theta_star)[0])
        theta = partial(_same, theta_star)
    return Population(gram, spectrum, cert, certified, sigma_min, theta, ntk_min)


def _same(value: T) -> T:
    return value


def diverging_variance(act: Activation, sigma_w2: float, d: int) -> VarianceDiverges | None:
    """The proof that the variance recursion diverges (symbolic.variance_map.divergence), or
    None when none closes (no growth envelope, or T(q) > q not proved everywhere)."""
    try:
        return divergence(act, sigma_w2, d, tails(act))
    except VerifyError:
        return None


def certified_lambda(
    act: Activation,
    data: Dataset,
    model: ModelSettings,
    facts: SymbolicFacts,
    s: Settings,
    gram: GramResult,
    estimate: float,
) -> LambdaCertificate | Failed | None:
    """The ball-arithmetic enclosure of λ* (None with --no-certify; Failed, with the reason,
    when no growth envelope, invariant interval or contraction is proved)."""
    if not s.precision.certify:
        return None
    return _attempt(
        lambda: certify(
            act,
            data.x,
            model.sigma_w2,
            gram.sigma,
            gram.q_star,
            estimate,
            s.precision,
            gram.gram,
        )
    )


def _sweep(act, data, pop, model, lip, s: Settings) -> GramSweep:
    """‖ZᵀZ/m - G*‖ at the width and four halvings (at least 32), with the run's settings."""
    if isinstance(pop, Failed):
        raise VerifyError(f"the width sweep needs G*, which is unavailable: {pop}")
    widths = sorted({max(32, model.width // 2**k) for k in range(5)})
    seeds = [s.seed + i for i in range(s.study.sweep_seeds)]
    return gram_sweep(
        act,
        data,
        pop.gram.gram,
        model,
        s.solve,
        lip=lip,
        widths=widths,
        seeds=seeds,
        device=s.device,
        progress=None,
    )


def _train(act, data, pop, model, lip, s: Settings, seed: int, progress) -> TrainingResult:
    """GD at ``model``'s width with the run's solve and schedule settings."""
    report = None
    if progress is not None:

        def report(k: int, total: int, loss: float) -> None:
            if k % 20 == 0 or k == total:
                progress(f"training step {k}/{total}, loss {loss:.3e}")

    theta = None if isinstance(pop, Failed) else pop.theta_star
    return train(
        act,
        data,
        model,
        s.solve,
        s.schedule,
        lip=lip,
        seed=seed,
        theta_star=theta,
        device=s.device,
        progress=report,
    )


def _width_study(act, data, pop, model, lip, s: Settings) -> verdicts.WidthStudy:
    """Train at every (width, seed) with the run's settings, and judge each seed."""
    if isinstance(pop, Failed):
        raise VerifyError(f"the width study needs λ*, which is unavailable: {pop}")
    lam, err = pop.lambda_star, pop.spectrum.error
    proved = isinstance(pop.certified, LambdaCertificate) and pop.certified.positive
    if not (proved or lam > err):  # a float λ* within its own error is no evidence of λ* > 0
        raise VerifyError(
            f"the width study needs λ* > 0; λ_min(G*) = {lam:.3g} ± {err:.2g}, not proved positive"
        )
    seeds = [s.seed + k for k in range(s.study.study_seeds)]
    passed, lrs = [], []
    for m in s.study.width_study:
        wide = replace(model, width=m)
        runs = [_train(act, data, pop, wide, lip, s, seed, None) for seed in seeds]
        passed.append(sum(verdicts.seed_held(r, lam) for r in runs) / len(seeds))
        lrs.append(runs[0].lr)
    scale = theory_width_scale(data.n, lam, s.study.confidence_t)
    return verdicts.WidthStudy(
        list(s.study.width_study), passed, s.study.study_fraction, scale, lrs
    )


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


def singular_gram(
    act: Activation, data: Dataset, corr: Correlation, poly: PolynomialFact | Failed | None = None
) -> str | None:
    """A proof that G* is singular, or None: two identical inputs give two identical rows of
    G*; two opposite inputs give opposite rows when φ is odd (E[φ(-u)φ(v)] = -E[φ(u)φ(v)]);
    an affine φ (a proved polynomial of degree ≤ 1) gives G* = μ_0² 11ᵀ + μ_1² C with
    C = (2σ_w² G* + (2/d) XXᵀ)/q*, so (1 - 2σ_w²μ_1²/q*) G* = μ_0² 11ᵀ + (2μ_1²/(d q*)) XXᵀ has
    rank ≤ d + 1 (the factor is 1 - 2σ_w²b² for φ = a + bx, positive wherever q* exists:
    q*(1 - 2σ_w²b²) = 2σ_w²a² + 2/d > 0); a constant φ ≡ c gives G* = c²11ᵀ, of rank ≤ 1."""
    n, d = data.x.shape
    if isinstance(poly, PolynomialFact) and poly.is_polynomial and poly.degree is not None:
        if poly.degree == 0 and n >= 2:
            return f"φ is constant ({poly.reason}), so G* = c²·11ᵀ has rank ≤ 1 < n = {n}"
        if poly.degree <= 1 and n > d + 1:
            return (
                f"φ is affine ({poly.reason}), so G* is a combination of 11ᵀ and XXᵀ of rank "
                f"≤ d + 1 = {d + 1} < n = {n}"
            )
    i, j = corr.pair
    if i == j:
        return None
    if torch.equal(data.x[i], data.x[j]):
        return f"inputs {i} and {j} are equal, so rows {i} and {j} of G* are equal"
    if torch.equal(data.x[i], -data.x[j]) and parity(act) == "odd":
        return f"inputs {i} and {j} are opposite and φ is odd, so their rows of G* are opposite"
    return None


def _or_error(name: Condition, fact: Any, rule: Callable[[Any], CheckResult]) -> CheckResult:
    return verdicts.could_not_run(name, fact.error) if isinstance(fact, Failed) else rule(fact)
