"""Every verdict rule, as small pure functions from facts to :class:`CheckResult`.

symbolic/ and numeric/ produce the facts (suprema with proof status, the polynomial test, the
spectrum of G* and its certificate, a training run); nothing else in the project decides a
status. ``bound`` is always the threshold the value is held to; ``error`` is the uncertainty of
the value where one is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from numeric.data import PARALLEL_TOL, Correlation
from numeric.spectrum import Certificate, Spectrum
from numeric.training import TrainingResult
from numeric.width import GramSweep
from symbolic.bounds import SupBound
from symbolic.errors import VerifyError
from symbolic.hermite import HermiteCoefficients
from symbolic.polynomial import PolynomialFact
from verify.results import CheckResult, Condition, Status

#: The condition of sup|φ^{(k)}| < ∞ for k = 0, 1, 2.
BOUNDED = {0: Condition.BOUNDED_PHI, 1: Condition.BOUNDED_DPHI, 2: Condition.BOUNDED_D2PHI}
_SYMBOL = {0: "φ", 1: "φ'", 2: "φ''"}

#: NTK drift below which a run is called lazy in the detail text.
LAZY_DRIFT = 0.1


def could_not_run(name: Condition, exc: BaseException) -> CheckResult:
    """ERROR: the check itself could not run (a project error: unconverged solver, bad data...)."""
    kind = "" if isinstance(exc, VerifyError) else f"{type(exc).__name__}: "
    return CheckResult(name, Status.ERROR, None, None, "check could not run", f"{kind}{exc}")


def bounded(k: int, b: SupBound) -> CheckResult:
    """sup|φ^{(k)}| < ∞: PASS when proved bounded, FAIL when refuted (a jump, a pole, an infinite
    limit), INCONCLUSIVE when neither. The supremum is the value; there is no threshold."""
    status = {True: Status.PASS, False: Status.FAIL, None: Status.INCONCLUSIVE}[b.bounded]
    exact = sp.sstr(b.exact) if b.exact is not None else None
    if b.bounded is None:
        detail = f"not decided; numeric sup|{_SYMBOL[k]}| = {b.value:.6g}. {b.detail}"
    elif b.bounded:
        # "=" only for a proved exact supremum; accumulation bounds give an upper bound, and a
        # missing critical set leaves the numeric value
        rel = "=" if b.exact is not None else ("≤" if "accumulation" in b.method else "≈")
        detail = f"sup|{_SYMBOL[k]}| {rel} {b.value:.6g}. {b.detail}"
    else:
        detail = b.detail
    return CheckResult(BOUNDED[k], status, b.value, None, b.method, detail, exact=exact)


def weight_scale(sigma_w2: float, lip: SupBound) -> CheckResult:
    """σ_w² < 1/(8 L²): PASS or FAIL only when L was proved exactly; FAIL when L = ∞ is proved;
    INCONCLUSIVE when L is known only numerically or not proved finite."""
    name = Condition.WEIGHT_SCALE
    if lip.bounded is False:
        detail = "φ' is unbounded: no σ_w² > 0 satisfies σ_w² < 1/(8L²)"
        return CheckResult(name, Status.FAIL, sigma_w2, 0.0, "L = sup|φ'| = ∞", detail)
    L = lip.value
    if L == 0 and lip.exact is not None:
        return CheckResult(name, Status.PASS, sigma_w2, math.inf, "L = 0", "φ is constant")
    bound = 1 / (8 * L * L) if L > 0 else math.inf
    detail = (
        f"σ_w² = {sigma_w2:.6g} vs 1/(8L²) = {bound:.6g} with L = {L:.6g} "
        f"(largest admissible σ_w²: just below {bound:.6g})"
    )
    if lip.exact is None or lip.bounded is None:
        why = "L was not proved exactly" if lip.bounded else "L was not proved finite"
        return CheckResult(
            name,
            Status.INCONCLUSIVE,
            sigma_w2,
            bound,
            "L known only numerically",
            f"{detail}; {why}",
        )
    exact = sp.sstr(sp.simplify(sp.Rational(1, 8) / lip.exact**2))
    status = Status.PASS if sigma_w2 < bound else Status.FAIL
    return CheckResult(name, status, sigma_w2, bound, "exact L from sympy", detail, exact=exact)


def infinite_hermite(fact: PolynomialFact, evidence: HermiteCoefficients | None) -> CheckResult:
    """Infinitely many nonzero μ_n ⇔ φ is not a polynomial a.e.: FAIL for a proved polynomial,
    PASS for a proved non-polynomial or a closed form nonzero for every k, else INCONCLUSIVE.
    The value is the number of numerically nonzero coefficients (∞ when proved infinite)."""
    name = Condition.INFINITE_HERMITE
    if evidence is None:
        nz, seen = [], "numeric coefficients unavailable"
    else:
        floats = evidence.as_floats()
        nz = [n for n, v in enumerate(floats) if abs(v) > 10 * evidence.error]
        seen = (
            f"{len(nz)} of the first {len(floats)} μ_n(1) exceed 10× their error "
            f"{evidence.error:.1e}"
        )
    closed = f"; closed form: {fact.closed_form}" if fact.closed_form else ""
    if fact.is_polynomial:
        detail = f"{fact.reason}: μ_n = 0 for n > {fact.degree}; nonzero: {fact.pattern}"
        method = "polynomial test at ±∞ (sympy limits)"
        return CheckResult(name, Status.FAIL, float(len(nz)), math.inf, method, detail)
    if fact.is_polynomial is False:
        detail = f"{fact.reason}. Nonzero: {fact.pattern}. {seen}{closed}"
        method = "not a polynomial (behaviour at ±∞)"
        return CheckResult(name, Status.PASS, math.inf, math.inf, method, detail)
    if fact.closed_form:
        detail = f"Nonzero: {fact.pattern}{closed}. {seen}"
        method = "closed form of μ_n nonzero for all k"
        return CheckResult(name, Status.PASS, math.inf, math.inf, method, detail)
    detail = f"{fact.reason}. {seen}. Pattern: {fact.pattern}"
    return CheckResult(
        name, Status.INCONCLUSIVE, float(len(nz)), math.inf, "numeric coefficients only", detail
    )


def nonparallel(corr: Correlation, notices: tuple[str, ...]) -> CheckResult:
    """max_{i<j} |x_iᵀx_j| < 1 - PARALLEL_TOL: no two points parallel or antipodal."""
    i, j = corr.pair
    ok = corr.value < 1 - PARALLEL_TOL
    detail = f"largest |x_iᵀx_j| = {corr.value:.6f} at pair ({i}, {j})"
    if not ok:
        what = "antipodal" if corr.antipodal else "parallel"
        detail += f": points {i} and {j} are {what}, so G* is singular for some φ"
    if notices:
        detail += f"; {'; '.join(notices)}"
    return CheckResult(
        Condition.DATA_NONPARALLEL,
        Status.PASS if ok else Status.FAIL,
        corr.value,
        1 - PARALLEL_TOL,
        "max |x_iᵀx_j| over pairs i < j (float64)",
        detail,
    )


def lambda_star_positive(
    spec: Spectrum, cert: Certificate, hermite_finite: bool, gram_method: str
) -> CheckResult:
    """λ* = λ_min(G*) > 0: PASS when eigvalsh exceeds its error bar and the Hermite certificate
    is positive; FAIL when λ* is zero within its error bar; INCONCLUSIVE when positive but not
    certified; ERROR when the certificate exceeds the eigenvalue (an inconsistent computation)."""
    lam, err = spec.lambda_min, spec.error
    detail = (
        f"λ_min(G*) = {lam:.6g} ± {err:.1e}; certificate Σ_r μ_r² λ_lower(C^∘r) = {cert.value:.6g} "
        f"(Gershgorin only: {cert.gershgorin:.6g}, first positive at r = {cert.first_r}); "
        f"max_r μ_r²(1-(n-1)ρ_max^r) = {cert.spec_bound:.3g} with ρ_max = {cert.rho_max:.6f}; "
        f"G* by {gram_method}"
    )
    method = "eigvalsh(G*) with backward-error bound; Hermite certificate"

    def result(status: Status, why: str) -> CheckResult:
        text = f"{why} {detail}" if why else detail
        return CheckResult(Condition.LAMBDA_STAR_POSITIVE, status, lam, 0.0, method, text, err)

    if cert.value > lam + err:
        return result(Status.ERROR, "certificate exceeds the eigenvalue: inconsistent computation.")
    if lam <= err:
        why = " (finitely many Hermite coefficients)" if hermite_finite else ""
        return result(Status.FAIL, f"λ* is zero to working precision{why}.")
    if cert.value <= 0:
        return result(
            Status.INCONCLUSIVE, "λ_min(G*) is positive but the Hermite certificate is not."
        )
    return result(Status.PASS, "")


def width_sweep(sweep: GramSweep) -> CheckResult:
    """(informational) ‖ZᵀZ/m - G*‖ shrinks with m: PASS when the fitted log-log slope is below
    0 (the theory's rate is -1/2; the fit over few seeds is noisy, so only the sign is held)."""
    detail = (
        f"‖ZᵀZ/m - G*‖/‖G*‖ = {', '.join(f'{e:.3g}' for e in sweep.errors)} at m = "
        f"{sweep.widths}; log-log slope {sweep.slope:.3f} (theory: -1/2)"
    )
    status = Status.PASS if sweep.slope < 0 else Status.FAIL
    return CheckResult(
        Condition.WIDTH_SWEEP,
        status,
        sweep.slope,
        0.0,
        "least squares on log error vs log m",
        detail,
    )


def lambda0_bound(res: TrainingResult, lambda_star: float) -> CheckResult:
    """λ_0 = λ_min(Z(0)ᵀZ(0)) ≥ m λ*/2 at the chosen width."""
    bound = res.width * lambda_star / 2
    detail = (
        f"λ_0 = {res.lambda_0:.6g} at width {res.width} (seed {res.seed}); m·λ*/2 = {bound:.6g}; "
        f"W drawn {res.init.draws} time(s), L‖W(0)‖₂ = {res.init.lip_norm:.4f}"
    )
    return CheckResult(
        Condition.LAMBDA0_BOUND,
        Status.PASS if res.lambda_0 >= bound else Status.FAIL,
        res.lambda_0,
        bound,
        "eigvalsh(Z(0)ᵀZ(0)) vs m·λ*/2",
        detail,
    )


def linear_rate(res: TrainingResult) -> CheckResult:
    """Every step's loss ratio ≤ 1 - c·ηλ_0, with L‖W(k)‖₂ < 1 and λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all
    along: PASS when all three held; FAIL when any was violated; INCONCLUSIVE when the ratios
    held but L = ∞ leaves the contraction uncheckable (the theorem does not cover the run)."""
    f = res.rate
    inf = "n/a" if res.rate_infinite is None else f"{res.rate_infinite:.6f}"
    drift = res.history.ntk_drift[-1]
    lazy = "lazy" if drift < LAZY_DRIFT else "NOT lazy: the NTK moved, predictions do not apply"
    detail = (
        f"fitted rate {f.rate:.6f} (R² = {f.r2:.5f}, steps {f.start}-{f.end}); largest step ratio "
        f"{f.max_ratio:.6f} vs bound 1-c·ηλ_0 = {res.rate_bound:.6f}; lazy-dynamics prediction "
        f"over the same steps: Θ(0) {res.rate_finite:.6f}, m·Θ* {inf}; NTK drift {drift:.3f} "
        f"({lazy}); η = {res.lr:.4g} ({res.lr_source}); loss {res.initial_loss:.3e} → "
        f"{res.final_loss:.3e} in {res.steps} steps; L‖W(k)‖₂ < 1 all along: {res.well_posed} "
        f"(max bound {max(res.history.lip_norm_bound):.4f}); "
        f"λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along: {res.lambda_kept}"
    )
    ok = f.max_ratio <= res.rate_bound and res.well_posed is not False and res.lambda_kept
    status = Status.PASS if ok else Status.FAIL
    if ok and res.well_posed is None:
        status = Status.INCONCLUSIVE
        detail += (
            "; L = ∞: the contraction L‖W‖₂ < 1 cannot hold, so the theorem does not cover this "
            "run (every equilibrium solve still converged to its tolerance)"
        )
    return CheckResult(
        Condition.LINEAR_RATE,
        status,
        f.max_ratio,
        res.rate_bound,
        "GD with implicit gradients; loss ratios per step",
        detail,
    )


@dataclass(frozen=True)
class WidthStudy:
    """For each width, the fraction of seeds where λ_0 ≥ mλ*/2 and the linear rate held."""

    widths: list[int]
    passed: list[float]
    fraction: float  # required fraction of seeds
    theory_scale: float  # n²/λ*² · log(n²/t)
    lr: list[float]  # step sizes used (the first seed's at each width)

    @property
    def smallest(self) -> int | None:
        """The smallest width where at least ``fraction`` of the seeds held."""
        return next((m for m, f in zip(self.widths, self.passed) if f >= self.fraction), None)


def seed_held(res: TrainingResult, lambda_star: float) -> bool:
    """One seed of a width study held the conclusions: λ_0 ≥ mλ*/2 and the linear rate PASS."""
    return (
        lambda0_bound(res, lambda_star).status is Status.PASS
        and linear_rate(res).status is Status.PASS
    )


def width_study(study: WidthStudy) -> CheckResult:
    """PASS when some width held the conclusions in the required fraction of seeds; otherwise
    INCONCLUSIVE (the theory is asymptotic in m: a larger width might hold, so no refutation)."""
    held = ", ".join(f"m={m}: {f:.0%}" for m, f in zip(study.widths, study.passed))
    detail = (
        f"λ_0 ≥ mλ*/2 and linear rate held in {held}; smallest width with ≥ "
        f"{study.fraction:.0%}: {study.smallest}; theory's scale n²/λ*²·log(n²/t) = "
        f"{study.theory_scale:.3g} (constants unknown)"
    )
    best = max(study.passed) if study.passed else 0.0
    status = Status.PASS if study.smallest is not None else Status.INCONCLUSIVE
    return CheckResult(
        Condition.WIDTH_STUDY,
        status,
        best,
        study.fraction,
        "GD at each width and seed; λ_0 and linear-rate rules per seed",
        detail,
    )
