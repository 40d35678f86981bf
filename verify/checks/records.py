"""What one run found, as frozen records: the symbolic facts about φ, the population quantities,
Ling's and Gao's runs, and :class:`Verification`, the whole run, which the renderers read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp
import torch

from numeric.data import Correlation, Dataset
from numeric.gao_certificate import GaoCertificate
from numeric.gram import GramResult
from numeric.implicit import ImplicitResult
from numeric.lambda_certificate import LambdaCertificate
from numeric.spectrum import (
    Certificate,
    Spectrum,
)
from numeric.training import TrainingResult
from numeric.width import GramSweep
from symbolic.activations import Activation
from symbolic.bounds import SupBound
from symbolic.enclosure import Enclosure, float_up
from symbolic.hermite import HermiteCoefficients
from symbolic.l2 import SquareIntegrable
from symbolic.polynomial import PolynomialFact
from symbolic.relu import ReluFact
from verify import verdicts
from verify.checks.stage import Failed
from verify.quantities import Hermite, LambdaStar, PopulationGram
from verify.results import CheckResult, Condition, Status
from verify.settings import ModelSettings, Settings
from verify.theorems import Assessment, covered_verdict


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

    def lipschitz_bound(self) -> float:
        """The L that checks L‖W‖₂ < 1: a proved upper bound of sup|φ'|, ∞ when none was proved
        (an estimate never makes a network well-posed)."""
        upper = self.sup_upper(1)
        return math.inf if upper is None else upper

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

    The informational float Hermite bound (``certificate``), λ_min(Σ*) and λ_min(Θ*) are None
    unless ``--spectra`` (or a report) asked for them; Θ* itself is built on first use
    (training, the study) by ``theta``."""

    gram: GramResult
    spectrum: Spectrum
    certificate: Certificate | None  # the float Hermite bound, an estimate (--spectra)
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
        pairs = (
            ("lambda_min_sigma", self.lambda_min_sigma),
            ("certificate", self.certificate),
            ("certificate_gershgorin", self.certificate),
            ("ntk_lambda_min", self.ntk_min),
        )
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
    """Everything one run found, frozen; renderers read only this. (``verify.check`` returns it
    as :class:`verify.api.Checked`, which prints as the command line's text.)"""

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
    def gram(self) -> PopulationGram | None:
        """G*, Σ*, q*, λ* and its certificate as :class:`verify.quantities.PopulationGram` (None
        when the population stage failed)."""
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
    def hermite(self) -> Hermite | None:
        """The reported coefficients μ_n(1) as :class:`verify.quantities.Hermite` (None if
        unavailable)."""
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
