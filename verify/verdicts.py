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
from flint import arb

from numeric.data import PARALLEL_TOL, Correlation
from numeric.gao_certificate import GaoCertificate
from numeric.implicit import ImplicitResult
from numeric.lambda_certificate import LambdaCertificate
from numeric.spectrum import Certificate, Spectrum
from numeric.training import TrainingResult
from numeric.width import GramSweep
from symbolic.bounds import SupBound
from symbolic.enclosure import Enclosure, float_down, float_up, round_down
from symbolic.errors import VerifyError
from symbolic.hermite import HermiteCoefficients
from symbolic.l2 import SquareIntegrable
from symbolic.polynomial import PolynomialFact
from symbolic.relu import ReluFact
from verify.decimals import estimate, interval, upper
from verify.results import CheckResult, Condition, Status
from verify.weight_scale import sigma_w2_admissible

#: The condition of sup|φ^{(k)}| < ∞ for k = 0, 1, 2.
BOUNDED = {0: Condition.BOUNDED_PHI, 1: Condition.BOUNDED_DPHI, 2: Condition.BOUNDED_D2PHI}
_SYMBOL = {0: "φ", 1: "φ'", 2: "φ''"}

#: NTK drift below which a run is called lazy in the detail text.
LAZY_DRIFT = 0.1


def could_not_run(name: Condition, exc: BaseException) -> CheckResult:
    """INCONCLUSIVE: what the check needs could not be established (an unconverged solver, a
    quantity out of float64's reach, a fact sympy could not decide), so it neither proves nor
    refutes; the reason is the detail. (ERROR is kept for a computation that contradicts
    itself, such as a float estimate outside its own certified enclosure.)"""
    return CheckResult(
        name, Status.INCONCLUSIVE, None, None, "could not be decided", f"not decided: {exc}"
    )


def bounded(k: int, b: SupBound, enclosure: Enclosure | None = None) -> CheckResult:
    """sup|φ^{(k)}| < ∞: PASS when proved bounded, FAIL when refuted (a jump, a pole, an infinite
    limit), INCONCLUSIVE when neither. The supremum is the value (the certified enclosure's
    midpoint where ball arithmetic proved one, else the exact value, else an estimate); there is
    no threshold."""
    status = {True: Status.PASS, False: Status.FAIL, None: Status.INCONCLUSIVE}[b.bounded]
    exact = sp.sstr(b.exact) if b.exact is not None else None
    if enclosure is not None and b.bounded:
        detail = (
            f"certified sup|{_SYMBOL[k]}| ∈ {enclosure} ({enclosure.method}). "
            f"Symbolic proof of boundedness: {b.detail}"
        )
        box = (enclosure.lo, enclosure.hi)
        return CheckResult(
            BOUNDED[k], status, enclosure.mid, None, b.method, detail, exact=exact, enclosure=box
        )
    if b.bounded is None:
        detail = f"not decided; numeric sup|{_SYMBOL[k]}| = {b.value:.6g}. {b.detail}"
    elif b.bounded:
        # "=" only for a proved exact supremum; otherwise the value is an estimate
        rel = "=" if b.exact is not None else "≈ (estimate, not proved)"
        detail = f"sup|{_SYMBOL[k]}| {rel} {estimate(b.value)}. {b.detail}"
    else:
        detail = b.detail
    return CheckResult(BOUNDED[k], status, b.value, None, b.method, detail, exact=exact)


def weight_scale(sigma_w2: float, lip: SupBound, enclosure: Enclosure | None = None) -> CheckResult:
    """σ_w² < 1/(8 L²), decided by :func:`verify.weight_scale.sigma_w2_admissible`: PASS or FAIL
    when L was proved exactly, or enclosed in ball arithmetic (``enclosure`` = [lo, hi]: PASS when
    σ_w² < 1/(8 hi²), FAIL when σ_w² ≥ 1/(8 lo²)); FAIL when L = ∞ is proved, or when the
    witness (|φ'| at the grid's maximiser in ball arithmetic, a proved lower bound w ≤ L) already
    puts σ_w² at or above 1/(8w²) ≥ 1/(8L²); else INCONCLUSIVE
    (L known only numerically or not proved finite, or the enclosure straddles the threshold)."""
    name = Condition.WEIGHT_SCALE
    if lip.bounded is False:
        detail = "φ' is unbounded: no σ_w² > 0 satisfies σ_w² < 1/(8L²)"
        return CheckResult(name, Status.FAIL, sigma_w2, 0.0, "L = sup|φ'| = ∞", detail)
    L = lip.value
    if L == 0 and lip.exact is not None:
        return CheckResult(name, Status.PASS, sigma_w2, math.inf, "L = 0", "φ is constant")
    bound = 1 / (8 * L * L) if L > 0 else math.inf
    if lip.exact is not None:
        detail = (
            f"σ_w² = {sigma_w2:.6g} vs 1/(8L²) = {bound:.6g} with L = {L:.6g} "
            f"(largest admissible σ_w²: just below {bound:.6g})"
        )
    else:
        detail = f"σ_w² = {sigma_w2:.6g}; L = sup|φ'| is only estimated (≈ {L:.6g}, not proved)"
    if lip.exact is None and lip.bounded and enclosure is not None:
        return _weight_scale_certified(sigma_w2, lip, enclosure, f"σ_w² = {sigma_w2:.6g}")
    admissible = sigma_w2_admissible(sigma_w2, lip)
    if lip.exact is None and admissible is False and lip.bounded:
        why = (
            f"L ≥ {round_down(lip.witness, 6)} (|φ'| at the grid's maximiser in ball arithmetic) "
            "already fails"
        )
        method = "L ≥ a proved point value"
        ceiling = float_up(1 / (8 * arb(lip.witness) ** 2))  # 1/(8L²) ≤ ceiling
        return CheckResult(name, Status.FAIL, sigma_w2, ceiling, method, f"{detail}; {why}")
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
    status = Status.PASS if admissible else Status.FAIL
    return CheckResult(name, status, sigma_w2, bound, "exact L from sympy", detail, exact=exact)


def _weight_scale_certified(
    sigma_w2: float, lip: SupBound, enc: Enclosure, detail: str
) -> CheckResult:
    """σ_w² against 1/(8L²) with L ∈ [lo, hi] certified: the threshold lies in
    [1/(8 hi²), 1/(8 lo²)], computed in ball arithmetic and rounded outward."""
    inv = 1 / (8 * enc.ball * enc.ball)
    low, high = float_down(inv), float_up(inv)
    detail = f"{detail}; certified L ∈ {enc}, so 1/(8L²) ∈ {interval(inv, None, 12)} ({enc.method})"
    name = Condition.WEIGHT_SCALE
    method = "certified L (ball arithmetic)"
    admissible = sigma_w2_admissible(sigma_w2, lip, enc)
    if admissible is True:
        return CheckResult(name, Status.PASS, sigma_w2, low, method, detail)
    if admissible is False:
        return CheckResult(name, Status.FAIL, sigma_w2, high, method, detail)
    why = "σ_w² lies inside the certified range of 1/(8L²): raise --prec"
    return CheckResult(name, Status.INCONCLUSIVE, sigma_w2, low, method, f"{detail}; {why}")


def infinite_hermite(
    fact: PolynomialFact,
    evidence: HermiteCoefficients | None,
    l2: SquareIntegrable | None = None,
    q_star: float | None = None,
) -> CheckResult:
    """Infinitely many nonzero μ_n ⇔ φ is not a polynomial a.e., for φ ∈ L²(N(0, q)): FAIL for a
    proved polynomial or when φ is in no L²(N(0, q)) (no expansion exists), PASS for a proved
    non-polynomial (or a closed form nonzero for every k) whose L² membership is proved at the
    variance of the expansion (q*, or q = 1 before q* is known), else INCONCLUSIVE.
    The value is the number of numerically nonzero coefficients (∞ when proved infinite)."""
    name = Condition.INFINITE_HERMITE
    membership = _membership(l2, q_star)
    if membership is False:
        method = "L² membership (one-sided limits)"
        detail = f"no Hermite expansion: {l2.reason}"
        return CheckResult(name, Status.FAIL, 0.0, math.inf, method, detail)
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
        method = "polynomial test (sympy: the pieces, limits at ±∞)"
        return CheckResult(name, Status.FAIL, float(len(nz)), math.inf, method, detail)
    proved = fact.is_polynomial is False or bool(fact.closed_form)
    if proved and membership is not True:
        why = l2.reason if l2 is not None else "not checked"
        detail = (
            f"{fact.reason}, but φ ∈ L²(N(0, q)) is not proved at the variance used ({why}). {seen}"
        )
        method = "L² membership undecided"
        return CheckResult(name, Status.INCONCLUSIVE, math.inf, math.inf, method, detail)
    where = _l2_range(l2)
    if fact.is_polynomial is False:
        detail = f"{fact.reason}. Nonzero: {fact.pattern}. {seen}{closed}{where}"
        method = "not a polynomial (sympy: the pieces, limits at ±∞)"
        return CheckResult(name, Status.PASS, math.inf, math.inf, method, detail)
    if fact.closed_form:
        detail = f"Nonzero: {fact.pattern}{closed}. {seen}{where}"
        method = "closed form of μ_n nonzero for all k"
        return CheckResult(name, Status.PASS, math.inf, math.inf, method, detail)
    detail = f"{fact.reason}. {seen}. Pattern: {fact.pattern}"
    return CheckResult(
        name, Status.INCONCLUSIVE, float(len(nz)), math.inf, "numeric coefficients only", detail
    )


def _membership(l2: SquareIntegrable | None, q_star: float | None) -> bool | None:
    """φ ∈ L²(N(0, q)) at the variance of the theory's expansion: q* when known, else q = 1
    (where the coefficients shown are taken). True, False or None (undecided)."""
    if l2 is None:
        return None
    return l2.at(q_star if q_star is not None else 1.0)


def _l2_range(l2: SquareIntegrable | None) -> str:
    if l2 is None or math.isinf(l2.q_max):
        return ""
    return f"; in L²(N(0, q)) for q < {l2.q_max:.6g} only ({l2.reason})"


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
    spec: Spectrum,
    cert: Certificate | None,
    certified: LambdaCertificate | str | None,
    gram_method: str,
    singular: str | None,
) -> CheckResult:
    """λ* = λ_min(G*) > 0, on the strength of proofs only:

    * PASS when the ball-arithmetic enclosure ``certified`` has a lower end > 0;
    * FAIL when G* is proved singular (``singular`` names the proof: equal inputs, opposite
      inputs with φ odd, φ affine with n > d + 1, φ constant with n ≥ 2); the float λ_min is
      evidence only;
    * ERROR when the float estimate lies outside the certified enclosure beyond its error bar,
      or a proof of singularity meets a certified positive lower bound: a computation that
      contradicts itself;
    * INCONCLUSIVE otherwise, with the certified bounds when there are any (``certified`` is a
      string: why no certificate closed; None: certification was turned off).

    The float λ_min (``spec.method`` says how it was found) and the float Hermite certificate
    (when computed: --spectra) stay as evidence in the detail."""
    lam, err = spec.lambda_min, spec.error
    hermite = (
        "not computed (--spectra)"
        if cert is None
        else f"Σ_r μ_r² λ_lower(C^∘r) = {cert.value:.6g} (Gershgorin only: {cert.gershgorin:.6g}, "
        f"first positive at r = {cert.first_r}), ρ_max = {cert.rho_max:.6f}"
    )
    evidence = (
        f"float estimate λ_min(G*) = {lam:.10g} ± {err:.1e} ({spec.method}); float Hermite "
        f"bound {hermite}; "
        f"G* by {gram_method}"
    )
    name = Condition.LAMBDA_STAR_POSITIVE
    if isinstance(certified, LambdaCertificate):
        box = (certified.lower, certified.upper)
        proof = (
            f"certified λ* ∈ {interval(certified.lower, certified.upper, 10)}, q* ∈ "
            f"{certified.q_star.enclosure} ({certified.method})"
        )
        method = f"certified: {certified.method}"
    else:
        box = None
        why = certified if certified is not None else "certification turned off (--no-certify)"
        proof = f"no certified enclosure: {why}"
        method = f"float estimate only ({spec.method})"

    def result(status: Status, why: str) -> CheckResult:
        text = f"{why} {proof}. Evidence: {evidence}"
        return CheckResult(name, status, lam, 0.0, method, text, err, enclosure=box)

    if singular and box is not None and box[0] > 0:
        return result(Status.ERROR, f"two proofs contradict: G* is singular ({singular}), but")
    if singular:  # a proof outranks float evidence (φ ≡ 0 in disguise evaluates to rounding noise)
        noise = "" if lam <= err else f" (the float λ_min {lam:.3g} is rounding noise)"
        return result(Status.FAIL, f"λ* = 0, proved: {singular}{noise}.")
    if box is not None and (box[1] < lam - err or box[0] > lam + err):
        return result(Status.ERROR, "the float λ_min lies outside the certified enclosure:")
    if box is not None and box[0] > 0:
        return result(Status.PASS, "λ* > 0 proved:")
    if box is not None:
        return result(
            Status.INCONCLUSIVE,
            f"λ* ≤ {upper(box[1])} (certified upper bound), not proved positive "
            f"({certified.shortfall}):",
        )
    return result(Status.INCONCLUSIVE, "λ* > 0 not proved:")


def lambda_star_diverges(proof: str, method: str) -> CheckResult:
    """FAIL: G* does not exist, because the variance map is proved to have no fixed point at
    this σ_w² (``proof`` says which quantity diverges and how; ``method`` how it was proved: the
    exact existence range of a polynomial φ, or T(q) > q for every q ≥ 2/d in ball arithmetic)."""
    return CheckResult(
        Condition.LAMBDA_STAR_POSITIVE,
        Status.FAIL,
        None,
        0.0,
        method,
        f"λ* does not exist: {proof}",
    )


def without_population(name: Condition, proof: str) -> CheckResult:
    """INCONCLUSIVE: a check that needs G* when G* is proved not to exist (``proof``)."""
    detail = f"needs G*, which does not exist: {proof}"
    return CheckResult(name, Status.INCONCLUSIVE, None, None, "not applicable", detail)


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


#: Per-step loss ratios are computed from float64 losses; this slack covers their rounding
#: (docs/theory.md §5, "Rounding of the rate rules").
RATIO_SLACK = 1e-12


def rate_held(max_ratio: float, bound: float) -> bool:
    """The one rounding rule of every rate rule (Truong's, Ling's, Gao's, the studies'): the
    largest measured step ratio ℓ(k+1)/ℓ(k) is below its bound when ratio ≤ bound + RATIO_SLACK;
    only a larger excess refutes the rate."""
    return max_ratio <= bound + RATIO_SLACK


def deq_rate_held(res: TrainingResult) -> bool:
    """The DEQ's rate conclusion with the contraction aside: every step ratio within
    1 - c·ηλ_0 (:func:`rate_held`) and λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 at every step (``lambda_kept``).
    :func:`linear_rate` adds L‖W(k)‖₂ < 1; a study records both."""
    return rate_held(res.rate.max_ratio, res.rate_bound) and res.lambda_kept


def lazy(res: TrainingResult) -> bool:
    """The run stayed in the lazy regime: the NTK's relative drift at the last step is below
    LAZY_DRIFT (the lazy-dynamics predictions apply only then)."""
    return res.history.ntk_drift[-1] < LAZY_DRIFT


def linear_rate(res: TrainingResult) -> CheckResult:
    """Every step's loss ratio ≤ 1 - c·ηλ_0, with L‖W(k)‖₂ < 1 and λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all
    along: PASS when all three held; FAIL when any was violated; INCONCLUSIVE when the ratios
    held but L = ∞ leaves the contraction uncheckable (the theorem does not cover the run)."""
    f = res.rate
    inf = "n/a" if res.rate_infinite is None else f"{res.rate_infinite:.6f}"
    drift = res.history.ntk_drift[-1]
    regime = "lazy" if lazy(res) else "NOT lazy: the NTK moved, predictions do not apply"
    detail = (
        f"fitted rate {f.rate:.6f} (R² = {f.r2:.5f}, steps {f.start}-{f.end}); largest step ratio "
        f"{f.max_ratio:.6f} vs bound 1-c·ηλ_0 = {res.rate_bound:.6f}; lazy-dynamics prediction "
        f"over the same steps: Θ(0) {res.rate_finite:.6f}, m·Θ* {inf}; NTK drift {drift:.3f} "
        f"({regime}); η = {res.lr:.4g} ({res.lr_source}); loss {res.initial_loss:.3e} → "
        f"{res.final_loss:.3e} in {res.steps} steps; L‖W(k)‖₂ < 1 all along: {res.well_posed} "
        f"(max bound {upper(max(res.history.lip_norm_bound), 4)}); "
        f"λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along: {res.lambda_kept}"
    )
    ok = deq_rate_held(res) and res.well_posed is not False
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


def study_held(res: TrainingResult, lambda_star: float) -> bool:
    """One run of a ``study`` held the conclusions: λ_0 ≥ mλ*/2 and the linear rate not refuted
    — PASS, or INCONCLUSIVE only because L = ∞ leaves the contraction uncheckable (activations
    outside the hypotheses are measured too; :func:`seed_held` requires PASS)."""
    return (
        lambda0_bound(res, lambda_star).status is Status.PASS
        and linear_rate(res).status is not Status.FAIL
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


# --- the other theorems: Ling et al. (ling2023) and Gao & Gao (gao2022), theory §7 ------------


def relu_activation(fact: ReluFact) -> CheckResult:
    """φ ≡ max(0, x): PASS proved piecewise by sympy, FAIL refuted at a point, else INCONCLUSIVE."""
    status = {True: Status.PASS, False: Status.FAIL, None: Status.INCONCLUSIVE}[fact.is_relu]
    method = "sympy, piece by piece" if fact.is_relu else "30-digit value at a probe point"
    value = None if fact.point is None else fact.point
    return CheckResult(Condition.RELU_ACTIVATION, status, value, None, method, fact.detail)


def ling_weight_scale(sigma_w2: float, a_scale: float) -> CheckResult:
    """Ling et al.'s Assumption 1: σ_w² < 1/8 (exact comparison of the float given), with their
    read-out initialization a ~ N(0, 1/m), i.e. --a-scale 1."""
    small = sp.Rational(sigma_w2) < sp.Rational(1, 8)
    detail = f"σ_w² = {sigma_w2:.6g} {'<' if small else '≥'} 1/8 (Assumption 1)"
    if a_scale != 1:
        detail += f"; a ~ N(0, {a_scale:g}/m) is not their a ~ N(0, 1/m) (--a-scale 1)"
    return CheckResult(
        Condition.LING_WEIGHT_SCALE,
        Status.PASS if small and a_scale == 1 else Status.FAIL,
        sigma_w2,
        0.125,
        "exact comparison",
        detail,
        exact="1/8",
    )


@dataclass(frozen=True)
class LingConstants:
    """Condition 1's constants at initialization (theory §7.1): ρ̄ = norm + δ, c_w, c_u, c_a."""

    delta: float
    c_w: float
    c_u: float
    c_a: float
    rho_a: float


def ling_constants(w_norm: float, u_norm: float, a_norm: float, delta: float) -> LingConstants:
    """ρ̄_w = ‖W(0)‖₂ + δ, ρ̄_u = ‖U(0)‖₂ + δ, ρ̄_a = ‖a(0)‖₂ + δ; c_w = ρ̄_uρ̄_a/(1 - ρ̄_w)²,
    c_u = ρ̄_a/(1 - ρ̄_w), c_a = ρ̄_u/(1 - ρ̄_w). Requires ρ̄_w < 1."""
    rw, ru, ra = w_norm + delta, u_norm + delta, a_norm + delta
    if not rw < 1:
        raise VerifyError(f"Ling et al.: ‖W(0)‖₂ + δ = {rw:.4f} ≥ 1; choose a smaller δ")
    return LingConstants(delta, ru * ra / (1 - rw) ** 2, ra / (1 - rw), ru / (1 - rw), ra)


def ling_condition1(lc: LingConstants, lambda_0: float, x_fro: float, resid: float) -> CheckResult:
    """Condition 1 of Ling et al. on the drawn network: (7) λ_0 ≥ (4/δ)max(c)·‖X‖_F‖r(0)‖,
    (8) λ_0^{3/2} ≥ 4(2+√2)ρ̄_a⁻¹(c_w² + c_u²)‖X‖_F²‖r(0)‖, (9) λ_0 ≥ 4(c_w² + c_u²)‖X‖_F²
    (the proof's last step needs 8 in (9): reported too). Information: it says whether this
    width is inside the theorem's regime; the paper needs m = Ω(n³/λ*²) for it."""
    cc = lc.c_w**2 + lc.c_u**2
    need7 = 4 / lc.delta * max(lc.c_w, lc.c_u, lc.c_a) * x_fro * resid
    need8 = (4 * (2 + math.sqrt(2)) / lc.rho_a * cc * x_fro**2 * resid) ** (2 / 3)
    need9, need9p = 4 * cc * x_fro**2, 8 * cc * x_fro**2
    need = max(need7, need8, need9, need9p)  # the bound the verdict holds λ_0 to
    worst_factor = need / lambda_0 if lambda_0 > 0 else math.inf
    detail = (
        f"λ_0 = {lambda_0:.4g} against (7) {need7:.4g}, (8) {need8:.4g} (as λ_0 ≥ ·), (9) "
        f"{need9:.4g} (the proof's 8·: {need9p:.4g}); δ = {lc.delta:.4g} (reconstructed), "
        f"c_w = {lc.c_w:.4g}, c_u = {lc.c_u:.4g}, c_a = {lc.c_a:.4g}; "
        + (
            "met at this width"
            if lambda_0 >= need
            else f"not met: λ_0 is {worst_factor:.3g}× too small (the paper needs m = Ω(n³/λ*²))"
        )
    )
    ok = lambda_0 >= need
    return CheckResult(
        Condition.LING_CONDITION1,
        Status.PASS if ok else Status.FAIL,
        lambda_0,
        need,
        "Condition 1 (7)-(9) on the drawn W(0), U(0), a(0)",
        detail,
    )


def ling_step_size(lc: LingConstants, eta: float, lambda_0: float, x_fro: float) -> CheckResult:
    """Theorem 1's step: η < min(2/λ_0, 2(c_w² + c_u²)/((c_w² + c_u² + c_a²)²‖X‖_F²))."""
    cc = lc.c_w**2 + lc.c_u**2
    bound = min(2 / lambda_0, 2 * cc / ((cc + lc.c_a**2) ** 2 * x_fro**2))
    ok = eta < bound
    return CheckResult(
        Condition.LING_STEP_SIZE,
        Status.PASS if ok else Status.FAIL,
        eta,
        bound,
        "Theorem 1's step-size bound",
        f"η = {eta:.4g} {'<' if ok else '≥'} {bound:.4g} (2/λ_0 = {2 / lambda_0:.4g})",
    )


def ling_linear_rate(res: TrainingResult, eta_bound: float) -> CheckResult:
    """Theorem 1 at its own step: the run repeated with η just inside Theorem 1's bound must
    keep every step ratio ≤ 1 - ηλ_0/2 (the same rule as ``linear_rate``)."""
    base = linear_rate(res)
    return CheckResult(
        Condition.LING_LINEAR_RATE,
        base.status,
        base.value,
        base.bound,
        "GD at 0.99 × Theorem 1's step bound",
        f"η = {res.lr:.4g} = {res.lr / eta_bound:.2f} × {eta_bound:.4g} (Theorem 1's bound on "
        "this network); " + base.detail,
    )


def gao_well_posed(gamma: float, limit_norm: float) -> CheckResult:
    """Well-posed at every large width: lim ‖(γ/m)A‖₂ = γ·√(2/π) < 1 (A_ij = |N(0, 1)|; the
    scale is reconstructed, theory §7.3). The drawn ‖B(k)‖₂ is checked along training."""
    ok = limit_norm < 1
    return CheckResult(
        Condition.GAO_WELL_POSED,
        Status.PASS if ok else Status.FAIL,
        limit_norm,
        1.0,
        "large-width limit γ·√(2/π) of ‖(γ/m)A‖₂",
        f"γ = {gamma:g}: ‖B‖₂ → {limit_norm:.4f} {'<' if ok else '≥'} 1",
    )


def gao_lambda0_positive(lambda_0: float, certified: GaoCertificate | str | None) -> CheckResult:
    """λ_0 = λ_min(G^∞) > 0, G^∞_ij = Q(x_iᵀx_j)/2 (the arc-cosine closed form), on the strength
    of a proof: PASS when the ball-arithmetic enclosure ``certified`` has a lower end > 0, FAIL
    when its upper end is < 0, ERROR when the float eigvalsh value lies outside it beyond the
    float's rounding, else INCONCLUSIVE (``certified`` a string: why no proof closed; None:
    certification turned off). The float value stays as evidence."""
    name = Condition.GAO_LAMBDA0_POSITIVE
    evidence = f"float estimate λ_0 = λ_min(G^∞) = {lambda_0:.10g} (eigvalsh)"
    if not isinstance(certified, GaoCertificate):
        why = certified if certified is not None else "certification turned off (--no-certify)"
        detail = f"λ_0 > 0 not proved: no certified enclosure: {why}. Evidence: {evidence}"
        method = "float estimate only (eigvalsh)"
        return CheckResult(name, Status.INCONCLUSIVE, lambda_0, 0.0, method, detail)
    lo, hi = certified.lower, certified.upper
    box = (lo, hi)
    proof = (
        f"certified λ_0 ∈ {interval(lo, hi, 10)} (Rump's test on the midpoint, the "
        f"entries' radii ‖R‖_F ≤ {upper(certified.frobenius, 3)})"
    )
    method = f"certified: {certified.method}"
    slack = certified.float_error  # the float value's own error: only a contradiction is ERROR
    if lambda_0 < lo - slack or lambda_0 > hi + slack:
        status, why = Status.ERROR, "the float λ_0 lies outside the certified enclosure:"
    elif lo > 0:
        status, why = Status.PASS, "λ_0 > 0 proved:"
    elif hi < 0:
        status, why = Status.FAIL, "λ_0 < 0 proved:"
    else:
        status, why = Status.INCONCLUSIVE, "λ_0 > 0 not proved (the enclosure reaches 0):"
    detail = f"{why} {proof}. Evidence: {evidence}"
    return CheckResult(name, status, lambda_0, 0.0, method, detail, enclosure=box)


def gao_gram_init(res: ImplicitResult) -> CheckResult:
    """Lemma 3.3: λ_min(G(0)) ≥ ¾λ_0 (holds w.h.p. for m = Ω(n²/λ_0²·log n)); information."""
    bound = 0.75 * res.lambda_0
    ok = res.gram_init >= bound
    return CheckResult(
        Condition.GAO_GRAM_INIT,
        Status.PASS if ok else Status.FAIL,
        res.gram_init,
        bound,
        "eigvalsh of Φ(0)ᵀΦ(0)",
        f"λ_min(G(0)) = {res.gram_init:.4g} vs ¾λ_0 = {bound:.4g} at m = {res.width}"
        + ("" if ok else ": this width is below the lemma's regime"),
    )


def gao_rate_held(res: ImplicitResult) -> bool:
    """Theorem 3.2's conclusion on one run, as its proof's induction states it: every step ratio
    within 1 - αλ_0/2 (:func:`rate_held`), ‖B(k)‖₂ < 1, and λ_min(G(k)) ≥ λ_0/2 at every step
    (``gram_kept``: the hypothesis of the induction step that gives the one-step decrease; theory
    §7.3)."""
    return rate_held(res.max_ratio, res.rate_bound) and res.well_posed and res.gram_kept


def gao_linear_rate(res: ImplicitResult) -> CheckResult:
    """Theorem 3.2: every step ‖ŷ(k+1) - y‖² ≤ (1 - αλ_0/2)‖ŷ(k) - y‖², with ‖B(k)‖₂ < 1 and
    λ_min(G(k)) ≥ λ_0/2 all along (:func:`gao_rate_held`). FAIL is a refutation: a measured step
    ratio above the bound, ‖B‖₂ ≥ 1, or λ_min(G(k)) below λ_0/2 at some step."""
    ok = gao_rate_held(res)
    gram_min = min(res.history.lambda_min_gram, default=math.nan)
    detail = (
        f"largest step ratio {res.max_ratio:.8f} vs 1 - αλ_0/2 = {res.rate_bound:.8f} "
        f"(α = {res.lr:.3g}, λ_0 = {res.lambda_0:.4g}); fitted rate {res.rate.rate:.6f}; "
        f"loss {res.initial_loss:.3g} → {res.final_loss:.3g}; ‖B(k)‖₂ ≤ "
        f"{upper(max(res.history.norm_bound), 4)} along training; λ_min(G(k)) ≥ λ_0/2 all "
        f"along: {res.gram_kept} (smallest {gram_min:.4g}); m = {res.width}, n = {res.n}"
    )
    return CheckResult(
        Condition.GAO_LINEAR_RATE,
        Status.PASS if ok else Status.FAIL,
        res.max_ratio,
        res.rate_bound,
        "gradient descent on Gao & Gao's network (exact implicit gradients)",
        detail,
    )


def gao_linear_width(runs: list[ImplicitResult], ratio: float) -> CheckResult:
    """m = c·n suffices (the paper's headline): at fixed c, every run keeps Theorem 3.2's
    conclusion (:func:`gao_rate_held`) as n grows. FAIL: some run did not (a refutation at that
    n)."""
    bad = [r for r in runs if not gao_rate_held(r)]
    cells = "; ".join(
        f"n = {r.n}, m = {r.width}: rate {r.rate.rate:.6f}, max ratio {r.max_ratio:.8f} ≤ "
        f"{r.rate_bound:.8f}"
        for r in runs
    )
    return CheckResult(
        Condition.GAO_LINEAR_WIDTH,
        Status.FAIL if bad else Status.PASS,
        float(len(runs) - len(bad)),
        float(len(runs)),
        f"gradient descent at m = {ratio:g}·n",
        cells,
    )
