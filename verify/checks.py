"""Compute every check of SPEC §5 for one activation: ``run_checks(settings) -> Verification``.

Each stage turns its own failure into an ERROR verdict with the reason, so later stages that do
not depend on it still run and nothing is reported as PASS that was not checked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
import torch

from numeric.data import Dataset, check_nonparallel, digits_data, load_data, sphere_data
from numeric.gram import GramResult, population_gram
from numeric.ntk import ntk_infinite
from numeric.spectrum import Certificate, check_lambda_star, eigenvalues, hermite_certificate
from numeric.training import TrainingResult, check_lambda0, check_linear_rate, train
from numeric.width import GramSweep, WidthStudy, gram_sweep, width_study
from symbolic.activations import Activation, resolve
from symbolic.bounds import SupBound
from symbolic.conditions import check_bounded, check_infinite_hermite, check_weight_scale
from symbolic.dual import dual_by_summation, dual_closed_fn, dual_series
from symbolic.hermite import HermiteCoefficients, hermite_exact, hermite_float, hermite_mp
from symbolic.result import CheckResult, Status, VerifyError
from verify.settings import Settings

Progress = Callable[[str], None]

#: Reported, not required: SPEC §5 lists sup|φ| because some versions of the paper state it, but
#: the theorem needs only φ' and φ'' bounded (SPEC §6: softplus, gelu, swish qualify).
INFORMATIONAL = frozenset({"bounded_phi"})

CONDITION_ORDER = [
    "bounded_phi",
    "bounded_dphi",
    "bounded_d2phi",
    "infinite_hermite",
    "weight_scale",
    "data_nonparallel",
    "lambda_star_positive",
    "lambda0_bound",
    "linear_rate",
]


@dataclass
class Verification:
    """Everything one run found; renderers read only this."""

    act: Activation
    settings: Settings
    sigma_w2: float
    conditions: list[CheckResult] = field(default_factory=list)
    coefficients: HermiteCoefficients | None = None
    exact: list[sp.Expr] = field(default_factory=list)
    pattern: str = ""
    dual_symbolic: sp.Expr | None = None
    dual_curve: dict[str, list[float]] | None = None
    data: Dataset | None = None
    gram: GramResult | None = None
    certificate: Certificate | None = None
    gram_eigenvalues: list[float] = field(default_factory=list)
    lambda_min_sigma: float | None = None
    ntk_min: float | None = None
    sweep: GramSweep | None = None
    study: WidthStudy | None = None
    training: TrainingResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Status:
        """FAIL or ERROR if any required check is; else INCONCLUSIVE if any is; else PASS."""
        statuses = {c.status for c in self.conditions if c.name not in INFORMATIONAL}
        if Status.FAIL in statuses or Status.ERROR in statuses:
            return Status.FAIL if Status.FAIL in statuses else Status.ERROR
        return Status.INCONCLUSIVE if Status.INCONCLUSIVE in statuses else Status.PASS

    def condition(self, name: str) -> CheckResult | None:
        return next((c for c in self.conditions if c.name == name), None)


def _error(name: str, exc: BaseException) -> CheckResult:
    kind = "" if isinstance(exc, VerifyError) else f"{type(exc).__name__}: "
    return CheckResult(name, Status.ERROR, None, None, "check could not run", f"{kind}{exc}")


class _Stage:
    """Times a stage and reports its progress; exceptions are handled by the caller."""

    def __init__(self, v: Verification, name: str, progress: Progress | None) -> None:
        self.v, self.name, self.progress = v, name, progress

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()
        if self.progress:
            self.progress(self.name)

    def __exit__(self, *exc: Any) -> None:
        self.v.timings[self.name] = round(time.perf_counter() - self.t0, 3)


def load_dataset(s: Settings) -> Dataset:
    """The run's data, from the settings (raises VerifyError for bad input)."""
    if s.data is None:
        return sphere_data(s.n, s.d, s.seed, s.label_scale)
    if s.data == "digits":
        return digits_data(s.n, s.seed, s.label_scale)
    return load_data(s.data, s.n, s.seed, s.label_scale)


def run_checks(
    s: Settings, progress: Progress | None = None, act: Activation | None = None
) -> Verification:
    """Run the symbolic, population and (unless ``s.train`` is False) training checks."""
    act = act or resolve(s.activation)
    data = load_dataset(s)  # bad data is bad input: raise before any work
    v = Verification(act, s, math.nan, data=data)
    bounds = _symbolic(v, progress)
    b1 = bounds.get(1)
    # L for the defaults and the well-posedness bound: proved, or the numeric estimate when
    # undecided (the weight_scale verdict is then INCONCLUSIVE); ∞ when refuted or missing.
    lip = b1.value if b1 is not None and b1.bounded is not False else math.inf
    if s.sigma_w2 is not None:
        v.sigma_w2 = s.sigma_w2
    elif math.isfinite(lip) and lip > 0:
        v.sigma_w2 = 1 / (16 * lip**2)
        kind = "" if b1.exact is not None else ", L numeric"
        v.notes.append(f"σ_w² defaults to 1/(16 L²) = {v.sigma_w2:.6g} (L = {lip:.6g}{kind})")
    else:
        v.sigma_w2 = 1 / 16
        v.notes.append(f"σ_w² defaults to 1/16 (L = {lip:g})")
    v.conditions.append(
        check_weight_scale(v.sigma_w2, bounds[1])
        if 1 in bounds
        else _error("weight_scale", VerifyError("L = sup|φ'| unavailable"))
    )
    v.conditions.append(check_nonparallel(data))
    _population(v, bounds, lip, progress)
    if s.train:
        _training(v, lip, progress)
    if s.width_study:
        _width_study(v, lip, progress)
    v.conditions.sort(key=lambda c: CONDITION_ORDER.index(c.name))
    return v


def _symbolic(v: Verification, progress: Progress | None) -> dict[int, SupBound]:
    act, s = v.act, v.settings
    bounds: dict[int, SupBound] = {}
    for k in range(3):
        name = ["bounded_phi", "bounded_dphi", "bounded_d2phi"][k]
        with _Stage(v, name, progress):
            try:
                result, bounds[k] = check_bounded(act, k)
                v.conditions.append(result)
            except Exception as exc:  # a broken proof is an ERROR verdict, never a crash
                v.conditions.append(_error(name, exc))
    with _Stage(v, "hermite", progress):
        try:
            v.coefficients = hermite_mp(act, s.hermite_terms, 1, dps=s.dps)
        except VerifyError as exc:  # evidence only: the verdict below does not need it
            v.notes.append(f"{s.dps}-digit Hermite coefficients unavailable: {exc}")
        v.exact = hermite_exact(act, min(s.hermite_terms, 8), time_limit=2.0, total_limit=6.0)
        try:
            evidence = hermite_float(act, 60)
        except VerifyError as exc:
            evidence = None
            v.notes.append(f"float64 Hermite coefficients unavailable: {exc}")
        try:
            result = check_infinite_hermite(act, evidence)
            v.pattern = result.extra.get("pattern", "")
            v.conditions.append(result)
        except Exception as exc:
            v.conditions.append(_error("infinite_hermite", exc))
    with _Stage(v, "dual", progress):
        v.dual_symbolic = dual_by_summation(act, time_limit=4.0)
        v.dual_curve = _dual_curve(act)
    return bounds


def _dual_curve(act: Activation) -> dict[str, list[float]] | None:
    """φ̂_1(ρ) on ρ ∈ [-1, 1]: the closed form (if any) and the 200-term series with its tail."""
    rho = torch.linspace(-1, 1, 201, dtype=torch.float64)
    try:
        series = dual_series(act, 1.0, 1.0, 200)
    except VerifyError:
        return None
    values, _ = series(rho)
    tail = [(abs(float(r)) ** 200) * math.sqrt(series.tail1 * series.tail2) for r in rho]
    out = {"rho": rho.tolist(), "series": values.tolist(), "tail": tail}
    closed = dual_closed_fn(act)
    if closed is not None:
        one = torch.ones_like(rho)
        out["closed"] = closed(one, one, rho).tolist()
    return out


def _population(v: Verification, bounds: dict[int, SupBound], lip: float, progress) -> None:
    s, act = v.settings, v.act
    b0 = bounds[0].value if 0 in bounds else math.inf
    b2 = bounds[2].value if 2 in bounds else math.inf
    with _Stage(v, "gram", progress):
        try:
            x = v.data.x.to(s.device)
            v.gram = population_gram(act, x, v.sigma_w2, lip=lip, b0=b0, b2=b2)
            mu = hermite_float(act, 200, v.gram.q_star)
            v.certificate = hermite_certificate(mu.values, mu.error, v.gram.corr.cpu())
            finite = (c := v.condition("infinite_hermite")) is not None and c.status is Status.FAIL
            v.conditions.append(check_lambda_star(v.gram, v.certificate, finite))
            v.gram_eigenvalues = eigenvalues(v.gram.gram).cpu().tolist()
            v.lambda_min_sigma = float(eigenvalues(v.gram.sigma)[0])
        except Exception as exc:
            v.conditions.append(_error("lambda_star_positive", exc))
            return
    with _Stage(v, "ntk", progress):
        try:
            v.ntk_min = float(eigenvalues(ntk_infinite(act, v.gram, v.sigma_w2))[0])
        except Exception as exc:
            v.notes.append(f"infinite-width NTK unavailable: {exc}")
    if s.width_sweep:
        with _Stage(v, "width_sweep", progress):
            widths = sorted({max(32, s.width // 2**k) for k in range(5)})
            try:
                v.sweep = gram_sweep(
                    act,
                    v.data,
                    v.gram.gram,
                    sigma_w2=v.sigma_w2,
                    lip=lip,
                    widths=widths,
                    seeds=[s.seed, s.seed + 1, s.seed + 2],
                    tol=s.tol,
                    device=s.device,
                )
            except Exception as exc:
                v.notes.append(f"width sweep failed: {exc}")


def _width_study(v: Verification, lip: float, progress: Progress | None) -> None:
    s = v.settings
    lam = v.gram_eigenvalues[0] if v.gram_eigenvalues else None
    if lam is None or lam <= 0:
        v.notes.append("width study skipped: λ* is not positive")
        return
    with _Stage(v, "width_study", progress):
        try:
            theta = ntk_infinite(v.act, v.gram, v.sigma_w2) if v.ntk_min is not None else None
            v.study = width_study(
                v.act,
                v.data,
                lam,
                sigma_w2=v.sigma_w2,
                lip=lip,
                widths=list(s.width_study),
                seeds=[s.seed + k for k in range(s.study_seeds)],
                steps=s.steps,
                t=s.confidence_t,
                theta_star=theta,
                device=s.device,
            )
        except Exception as exc:
            v.notes.append(f"width study failed: {exc}")


def _training(v: Verification, lip: float, progress: Progress | None) -> None:
    s = v.settings
    lam = v.condition("lambda_star_positive")
    with _Stage(v, "training", progress):
        try:
            theta = None
            if v.gram is not None and v.ntk_min is not None:
                theta = ntk_infinite(v.act, v.gram, v.sigma_w2)
            report = None
            if progress is not None:

                def report(k: int, total: int, loss: float) -> None:
                    if k % 20 == 0 or k == total:
                        progress(f"training step {k}/{total}, loss {loss:.3e}")

            v.training = train(
                v.act,
                v.data,
                width=s.width,
                sigma_w2=v.sigma_w2,
                lip=lip,
                steps=s.steps,
                seed=s.seed,
                lr=s.lr,
                tol=s.tol,
                method=s.solver,
                theta_star=theta,
                device=s.device,
                init_margin=s.init_margin,
                a_scale=s.a_scale,
                rate_constant=s.rate_constant,
                progress=report,
            )
        except Exception as exc:
            v.conditions.append(_error("lambda0_bound", exc))
            v.conditions.append(_error("linear_rate", exc))
            return
    if lam is not None and lam.value is not None and lam.status is not Status.ERROR:
        v.conditions.append(check_lambda0(v.training, lam.value))
    else:
        v.conditions.append(_error("lambda0_bound", VerifyError("λ* unavailable")))
    v.conditions.append(check_linear_rate(v.training))
