"""Every branch of every verdict rule, from hand-made facts (no numerics, no sympy solving)."""

import math
import re
from dataclasses import replace

import pytest
import sympy as sp
import torch

from numeric.data import Correlation
from numeric.deq import DEQParams, InitReport
from numeric.spectrum import Certificate, Spectrum
from numeric.training import History, RateFit, TrainingResult
from numeric.width import GramSweep
from symbolic.bounds import SupBound
from symbolic.errors import SolverError, VerifyError
from symbolic.hermite import HermiteCoefficients
from symbolic.l2 import SquareIntegrable
from symbolic.polynomial import PolynomialFact
from verify import verdicts
from verify.decimals import upper
from verify.results import CheckResult, Condition, Status, overall

P, F, INC, ERR = Status.PASS, Status.FAIL, Status.INCONCLUSIVE, Status.ERROR


ONE = sp.Integer(1)


def sup(bounded, value=1.0, exact=ONE, method="sympy", witness=0.0):
    return SupBound(1, bounded, value, exact, method, "detail", value, witness)


def training(max_ratio=0.9, bound=0.99, well_posed=True, kept=True, lambda_0=2.0, width=100):
    p = DEQParams(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1))
    hist = History(
        loss=[1.0, 0.9], lambda_min_zz=[2.0, 1.9], lip_norm_bound=[0.5, 0.6], ntk_drift=[0.0, 0.01]
    )
    return TrainingResult(
        width=width,
        seed=0,
        lr=0.1,
        lr_source="user",
        init=InitReport(1, 0.5, 0.5),
        lambda_0=lambda_0,
        ntk_max=10.0,
        rate=RateFit(0.9, 1.0, 0, 2, max_ratio),
        rate_bound=bound,
        rate_finite=0.9,
        rate_infinite=0.9,
        initial_loss=1.0,
        final_loss=0.9,
        well_posed=well_posed,
        lambda_kept=kept,
        history=hist,
        steps=1,
        initial=p,
        final=p,
    )


@pytest.mark.parametrize("bounded, status", [(True, P), (False, F), (None, INC)])
def test_bounded(bounded, status):
    assert verdicts.bounded(1, sup(bounded)).status is status


@pytest.mark.parametrize(
    "fact, sigma_w2, status",
    [
        (sup(False, math.inf, None), 0.01, F),  # L = ∞ proved
        (sup(True), 0.1, P),  # 0.1 < 1/8
        (sup(True), 0.125, F),  # at the bound: not below it
        (sup(True), 0.2, F),
        (sup(True, 1.0, None), 0.1, INC),  # L numeric only
        (sup(None, 1.0, None), 0.1, INC),  # L not proved finite
        (sup(True, 0.0, sp.Integer(0)), 5.0, P),  # φ constant
    ],
)
def test_weight_scale(fact, sigma_w2, status):
    result = verdicts.weight_scale(sigma_w2, fact)
    assert result.status is status and result.value == sigma_w2
    if fact.value == 1.0:
        assert result.bound == pytest.approx(0.125, rel=1e-15)


@pytest.mark.parametrize(
    "fact, sigma_w2, refused",
    [
        (sup(True), 0.125, True),  # exact L = 1: at the bound is not below it
        (sup(True), 0.125 * (1 - 2**-52), False),  # one ulp below, decided in 30 digits
        (sup(True, 1.0, sp.sqrt(2)), 1 / 16, True),  # 8·(1/16)·2 - 1 = 0 exactly
        (sup(True, 1.0, None, witness=1.0), 0.2, True),  # proved L ≥ 1: 8·0.2·1 = 1.6 ≥ 1
        (sup(True, 1.0, None, witness=1.0), 0.125, True),  # 8·0.125·1 = 1 exactly: not below
        (sup(True, 1.0, None, witness=1.0), 0.125 * (1 - 2**-52), False),  # one ulp below
        (sup(True, 1.0, None, witness=1.0), 0.1, False),
        (sup(True, 1.0, None), 0.2, False),  # a float grid value alone never refutes
        (sup(True, 9.0, None, witness=1.0), 0.1, False),  # the grid's 9 is no proof; 1 is
    ],
)
def test_the_refusal_and_the_verdict_share_one_sigma_w2_rule(fact, sigma_w2, refused):
    """σ_w² < 1/(8L²): the refusal before a run refuses exactly when the verdict after it FAILs
    (both ask verify.weight_scale.sigma_w2_admissible)."""
    from verify.refusals import outside_theory

    assert (outside_theory(sigma_w2, fact) is not None) is refused
    assert (verdicts.weight_scale(sigma_w2, fact).status is Status.FAIL) is refused


EVIDENCE = HermiteCoefficients(1.0, (0.0, 0.5, 0.0, 1e-20), 1e-16, "test")


IN_L2 = SquareIntegrable(True, math.inf, "bounded")
L2_UNDECIDED = SquareIntegrable(None, math.inf, "undecided")
NOT_L2 = SquareIntegrable(False, 0.0, "a pole at 0")
BELOW_HALF = SquareIntegrable(True, 0.5, "log(1 + φ²)/(2x²) → 1/2")


@pytest.mark.parametrize(
    "is_poly, closed, status",
    [(True, None, F), (False, None, P), (None, "μ_n = ...", P), (None, None, INC)],
)
def test_infinite_hermite(is_poly, closed, status):
    """The rule of theory §5 with φ ∈ L² proved: a polynomial FAILs, a proved non-polynomial or a
    closed form nonzero for all n PASSes, anything else is INCONCLUSIVE."""
    fact = PolynomialFact(is_poly, "why", 1 if is_poly else None, "odd n", closed)
    result = verdicts.infinite_hermite(fact, EVIDENCE, IN_L2, 0.3)
    assert result.status is status
    if status is not P:
        assert result.value == 1.0  # one coefficient above 10× the error


@pytest.mark.parametrize(
    "l2, q_star, status",
    [
        (NOT_L2, 0.3, F),  # no expansion at all: the statement is false
        (L2_UNDECIDED, 0.3, INC),  # a proof of non-polynomiality alone is not enough
        (None, 0.3, INC),
        (BELOW_HALF, 0.3, P),  # in L² at q* = 0.3: the expansion of the theory exists
        (BELOW_HALF, None, F),  # no q* yet: judged at q = 1, outside
        (BELOW_HALF, 0.5, INC),  # the boundary itself is undecided
        (SquareIntegrable(True, 2.0, "c = 1/8"), 1.5, P),  # both q = 1 and q* = 1.5 inside
        (SquareIntegrable(True, 2.0, "c = 1/8"), 3.0, F),  # q* outside: no expansion there
        (SquareIntegrable(True, 2.0, "c", refuted_beyond=False), 3.0, INC),
    ],
)
def test_infinite_hermite_needs_square_integrability(l2, q_star, status):
    """Every Hermite statement needs φ ∈ L²(N(0, q)) at the variances used (theory §5)."""
    fact = PolynomialFact(False, "not a polynomial", None, "all n", None)
    result = verdicts.infinite_hermite(fact, EVIDENCE, l2, q_star)
    assert result.status is status
    if status is F:
        assert "no Hermite expansion" in result.detail


def test_nonparallel():
    assert verdicts.nonparallel(Correlation(0.9, (0, 1), False), ()).status is P
    bad = verdicts.nonparallel(Correlation(1 - 1e-12, (2, 5), True), ("note",))
    assert bad.status is F and "antipodal" in bad.detail and "(2, 5)" in bad.detail
    assert "parallel" in verdicts.nonparallel(Correlation(1.0, (0, 1), False), ()).detail


def cert(value):
    return Certificate(value, value, 0.0, 1, 0.5)


def enclosed(lo, hi):
    from flint import arb

    from numeric.lambda_certificate import LambdaCertificate
    from symbolic.enclosure import Enclosure
    from symbolic.variance_map import QStar

    q = QStar(Enclosure(arb(1), "test"), arb(0), arb(0))
    return LambdaCertificate(lo, hi, q, lo, 0.0, 0.0, 0.0, 48, 128, 0.0)


@pytest.mark.parametrize(
    "lam, err, box, status",
    [
        (1e-3, 1e-12, (9.9e-4, 1e-3), P),  # proved positive
        (1e-3, 1e-12, (-1e-4, 1e-3), INC),  # positive estimate, proof did not close
        (1e-3, 1e-12, None, INC),  # no certificate: the float value is not a proof
        (1e-13, 1e-12, (-1e-12, 1e-12), INC),  # zero within the bar, no proof of singularity
        (1e-3, 1e-12, (2e-3, 3e-3), ERR),  # the estimate outside the proved enclosure
        (1e-3, 1e-12, (1e-5, 5e-4), ERR),
    ],
)
def test_lambda_star_positive(lam, err, box, status):
    spec = Spectrum(torch.tensor([lam, 1.0], dtype=torch.float64), err)
    proof = enclosed(*box) if box else "no certified L"
    result = verdicts.lambda_star_positive(spec, cert(5e-4), proof, "test", None)
    assert result.status is status
    assert result.value == lam and result.error == err and result.bound == 0.0
    assert result.enclosure == box
    # "certified" in the method only when an enclosure exists; the detail says what it proved
    assert ("certified" in result.method) == (box is not None)
    if status is P:
        assert result.detail.startswith("λ* > 0 proved")
    elif status is INC and box is not None:
        # a certified upper bound is rounded up: 0.001 (a float just above 1/1000) → 0.00100001
        assert f"λ* ≤ {upper(box[1])} (certified upper bound)" in result.detail
    # a proof of singularity refutes λ* > 0 whatever the float estimate says (evidence only),
    # and contradicts a certified positive lower bound (two proofs disagree: a bug)
    singular = verdicts.lambda_star_positive(spec, cert(5e-4), proof, "t", "why")
    assert singular.status is (ERR if box is not None and box[0] > 0 else F)
    off = verdicts.lambda_star_positive(spec, cert(5e-4), None, "t", None)
    assert off.status is INC and "--no-certify" in off.detail


def test_width_sweep_is_informational():
    up = verdicts.width_sweep(GramSweep([64, 128], [0.1, 0.2], [0, 0], 1.0))
    down = verdicts.width_sweep(GramSweep([64, 128], [0.2, 0.14], [0, 0], -0.5))
    assert up.status is F and down.status is P and not up.counts and not down.counts


def test_lambda0_bound():
    assert verdicts.lambda0_bound(training(lambda_0=2.0, width=100), 0.04).status is P  # = 2
    assert verdicts.lambda0_bound(training(lambda_0=1.99, width=100), 0.04).status is F


@pytest.mark.parametrize(
    "kw, status",
    [
        ({}, P),
        ({"max_ratio": 0.995}, F),  # one step ratio above the bound
        ({"well_posed": False}, F),  # L‖W(k)‖₂ ≥ 1 at some step
        ({"kept": False}, F),  # λ_min(Z(k)ᵀZ(k)) < λ_0/2 at some step
        ({"well_posed": None}, INC),  # L = ∞: contraction uncheckable
        ({"well_posed": None, "max_ratio": 0.995}, F),
    ],
)
def test_linear_rate(kw, status):
    assert verdicts.linear_rate(training(**kw)).status is status


@pytest.mark.parametrize(
    "excess, held", [(0.0, True), (0.5e-12, True), (1e-12, True), (2e-12, False)]
)
def test_every_rate_rule_has_the_same_rounding_slack(excess, held):
    """Truong's and Ling's rate (TrainingResult) and Gao's (ImplicitResult): a step ratio within
    RATIO_SLACK = 1e-12 above its bound holds, beyond it refutes; the same for all three."""
    from numeric.implicit import ImplicitHistory, ImplicitResult

    want = P if held else F
    assert verdicts.rate_held(0.99 + excess, 0.99) is held
    assert verdicts.linear_rate(training(max_ratio=0.99 + excess)).status is want
    assert verdicts.ling_linear_rate(training(max_ratio=0.99 + excess), 1.0).status is want
    hist = ImplicitHistory(loss=[1.0, 0.5], norm_bound=[0.4, 0.41], lambda_min_gram=[0.1, 0.1])
    fit = RateFit(0.5, 1.0, 0, 2, 0.99 + excess)
    gao = ImplicitResult(
        16, 8, 0.2, 0.01, 0.99, fit, 0.99 + excess, 0.4, True, 0.1, True, 1.0, 0.5, hist
    )
    assert verdicts.gao_linear_rate(gao).status is want


def test_a_study_run_held_unless_a_conclusion_was_refuted():
    """As seed_held, except that L = ∞ (well_posed None: the contraction uncheckable) still
    counts; a refuted contraction, a lost λ_min(ZᵀZ) or a ratio above the bound does not."""
    assert verdicts.study_held(training(), 0.01)
    assert verdicts.study_held(training(well_posed=None), 0.01)
    assert not verdicts.seed_held(training(well_posed=None), 0.01)
    assert not verdicts.study_held(training(), 1.0)  # λ_0 = 2 < 100·1/2
    assert not verdicts.study_held(training(well_posed=False), 0.01)
    assert not verdicts.study_held(training(kept=False), 0.01)
    assert not verdicts.study_held(training(max_ratio=0.995), 0.01)


def test_seed_held_needs_both_conclusions():
    assert verdicts.seed_held(training(), 0.01)
    assert not verdicts.seed_held(training(), 1.0)  # λ_0 = 2 < 100·1/2
    assert not verdicts.seed_held(training(max_ratio=0.995), 0.01)
    assert not verdicts.seed_held(training(well_posed=False), 0.01)


def test_width_study():
    study = verdicts.WidthStudy([32, 64, 128], [0.0, 2 / 3, 1.0], 0.8, 1e9, [0.1] * 3)
    assert study.smallest == 128
    assert verdicts.width_study(study).status is P
    assert replace(study, fraction=0.5).smallest == 64
    none = replace(study, passed=[0.0, 0.0, 0.5])
    assert none.smallest is None and verdicts.width_study(none).status is INC


def r(name, status):
    return CheckResult(name, status, None, None, "m")


@pytest.mark.parametrize(
    "statuses, want",
    [
        ([], P),
        ([P, P], P),
        ([P, INC], INC),
        ([P, INC, ERR], ERR),  # a check that could not run is never a PASS
        ([ERR, F], F),
        ([F, INC], F),
    ],
)
def test_overall_verdict(statuses, want):
    """(The exit codes follow the run's outcome word: tests/test_outcomes.py.)"""
    names = [Condition.BOUNDED_DPHI, Condition.WEIGHT_SCALE, Condition.LINEAR_RATE][: len(statuses)]
    results = [r(n, s) for n, s in zip(names, statuses)]
    assert overall(results) is want


def test_informational_checks_count_only_when_they_could_not_run():
    assert overall([r(Condition.BOUNDED_DPHI, P), r(Condition.BOUNDED_PHI, F)]) is P
    assert overall([r(Condition.BOUNDED_DPHI, P), r(Condition.WIDTH_SWEEP, F)]) is P
    assert overall([r(Condition.BOUNDED_DPHI, P), r(Condition.WIDTH_SWEEP, ERR)]) is ERR


def test_could_not_run_is_inconclusive_with_the_reason():
    """A check whose facts could not be established neither proves nor refutes: INCONCLUSIVE,
    with the reason (ERROR is for a computation that contradicts itself)."""
    result = verdicts.could_not_run(Condition.LINEAR_RATE, SolverError("residual 1e-3 > tol"))
    assert result.status is INC and result.detail == "not decided: residual 1e-3 > tol"


@pytest.mark.parametrize(
    "k, name, symbol",
    [
        (0, Condition.BOUNDED_PHI, "sup|φ|"),
        (1, Condition.BOUNDED_DPHI, "sup|φ'|"),
        (2, Condition.BOUNDED_D2PHI, "sup|φ''|"),
    ],
)
def test_each_derivative_is_its_own_condition_and_says_which(k, name, symbol):
    """sup|φ^(k)| is reported under its own name, and the text names the derivative: "=" with
    the exact value for a proved supremum, "≈ (estimate, not proved)" otherwise, the numeric
    value when undecided."""
    proved = verdicts.bounded(k, sup(True, 2.5, sp.Rational(5, 2)))
    assert proved.name is name and proved.exact == "5/2" and proved.value == 2.5
    assert proved.detail.startswith(f"{symbol} = 2.5")
    estimated = verdicts.bounded(k, sup(True, 2.5, None))
    assert estimated.exact is None and f"{symbol} ≈ (estimate, not proved)" in estimated.detail
    open_ = verdicts.bounded(k, sup(None, 2.5, None))
    assert open_.name is name and f"numeric {symbol} = 2.5" in open_.detail
    refuted = verdicts.bounded(k, sup(False, math.inf, None))
    assert refuted.name is name and refuted.status is F and refuted.value == math.inf


def test_a_check_that_could_not_be_decided_says_why():
    r = verdicts.could_not_run(Condition.LAMBDA0_BOUND, SolverError("did not converge in 9 steps"))
    assert (r.name, r.status, r.value, r.bound) == (Condition.LAMBDA0_BOUND, INC, None, None)
    assert r.detail == "not decided: did not converge in 9 steps"


@pytest.mark.parametrize("drift, lazy", [(0.0, True), (0.099, True), (0.1, False), (0.5, False)])
def test_the_rate_detail_says_whether_the_run_stayed_lazy(drift, lazy):
    """The lazy-dynamics predictions apply only while the NTK barely moves (drift < 0.1)."""
    res = training()
    res = replace(res, history=replace(res.history, ntk_drift=[0.0, drift]))
    detail = verdicts.linear_rate(res).detail
    assert (f"NTK drift {drift:.3f} (lazy)" in detail) is lazy
    moved = f"NTK drift {drift:.3f} (NOT lazy: the NTK moved, predictions do not apply)"
    assert (moved in detail) is not lazy
    assert verdicts.lazy(res) is lazy  # the study's column, from the same rule
    # the drift at the last step decides, not the largest one
    back = replace(res, history=replace(res.history, ntk_drift=[0.0, 0.5, drift]))
    assert verdicts.lazy(back) is lazy


@pytest.mark.parametrize(
    "kw, held",
    [
        ({}, True),
        ({"max_ratio": 0.99 + 2e-12}, False),  # one step ratio above the bound
        ({"kept": False}, False),  # λ_min(Z(k)ᵀZ(k)) < λ_0/2 at some step, every ratio held
        ({"well_posed": False}, True),  # the contraction is aside in this column
        ({"well_posed": None}, True),
    ],
)
def test_the_deq_rate_column_is_the_ratio_and_the_kept_gram(kw, held):
    assert verdicts.deq_rate_held(training(**kw)) is held


@pytest.mark.parametrize(
    "L, bound, exact", [(2, 1 / 32, "1/32"), (0.5, 0.5, "1/2"), (3, 1 / 72, "1/72")]
)
def test_the_weight_scale_threshold_is_one_over_eight_l_squared(L, bound, exact):
    """σ_w² < 1/(8L²) with L proved exactly: the threshold reported is 1/(8L²) (value σ_w²),
    exact as a fraction; just below it PASS, at it FAIL; L only estimated: INCONCLUSIVE with
    the same threshold and the reason."""
    from fractions import Fraction

    fact = sup(True, float(L), sp.nsimplify(L))
    below = verdicts.weight_scale(bound * (1 - 1e-12), fact)
    # the least float ≥ 1/(8L²): float(1/72) lies below 1/72, so it is admissible (decided
    # exactly, in 30 digits), and the next float up is the first that is not
    at_or_above = bound if Fraction(bound) >= Fraction(exact) else math.nextafter(bound, math.inf)
    assert verdicts.weight_scale(math.nextafter(at_or_above, 0), fact).status is P
    at = verdicts.weight_scale(at_or_above, fact)
    assert (below.status, at.status) == (P, F)
    assert below.bound == pytest.approx(bound, rel=1e-15) and below.value == bound * (1 - 1e-12)
    assert at.exact == exact and f"1/(8L²) = {bound:.6g}" in at.detail
    estimated = verdicts.weight_scale(bound / 2, sup(True, float(L), None))
    assert estimated.status is INC and estimated.bound == pytest.approx(bound, rel=1e-15)
    assert "L was not proved exactly" in estimated.detail
    assert "L was not proved finite" in verdicts.weight_scale(0.01, sup(None, 1.0, None)).detail
    unbounded = verdicts.weight_scale(0.01, sup(False, math.inf, None))
    assert (unbounded.status, unbounded.value, unbounded.bound) == (F, 0.01, 0.0)
    assert "no σ_w² > 0 satisfies" in unbounded.detail
    constant = verdicts.weight_scale(7.0, sup(True, 0.0, sp.Integer(0)))
    assert (constant.status, constant.bound, constant.detail) == (P, math.inf, "φ is constant")


def test_a_witness_refutes_sigma_w2_where_a_certified_l_straddles_and_reports_its_own_bound():
    """L ∈ [0.9, 1.1] certified leaves σ_w² = 0.13 undecided (1/(8·1.1²) ≤ 0.13 < 1/(8·0.9²));
    a proved point value |φ'| ≥ 1.0 refutes it (8·0.13·1 ≥ 1), in the refusal and the verdict
    alike; the FAIL reports 1/(8w²) = 0.125 rounded up, the threshold's proved ceiling, not the
    unproved estimate's 1/(8·1.5²)."""
    from flint import arb

    from symbolic.enclosure import Enclosure
    from verify.weight_scale import sigma_w2_admissible

    enc = Enclosure(arb(1, 0.1), "test")
    estimate = sup(True, 1.5, None)
    assert sigma_w2_admissible(0.13, estimate, enc) is None
    witnessed = sup(True, 1.5, None, witness=1.0)
    assert sigma_w2_admissible(0.13, witnessed, enc) is False
    assert verdicts.weight_scale(0.13, witnessed, enc).status is F
    fail = verdicts.weight_scale(0.13, witnessed)
    assert fail.status is F and fail.bound == 0.125
    assert "L ≥ 1 (|φ'| at the grid's maximiser in ball arithmetic) already fails" in fail.detail


def test_the_sigma_w2_rule_at_its_exact_ties():
    """8σ_w²L² < 1 is strict at each source of L: a certified L that is exactly a point (L = 1)
    puts σ_w² = 1/8 at the threshold, which is not below it (False, by the enclosure itself even
    when the witness is too small to refute); a witness that is not a positive finite number
    (∞, a negative value, 0) refutes nothing; 8σ_w²w² = 1 exactly refutes."""
    from flint import arb

    from symbolic.enclosure import Enclosure
    from verify.weight_scale import sigma_w2_admissible

    point = Enclosure(arb(1), "test")
    estimate = sup(True, 1.0, None, witness=0.5)
    assert sigma_w2_admissible(0.125, estimate, point) is False
    assert sigma_w2_admissible(0.125 * (1 - 2**-52), estimate, point) is True
    for w in (math.inf, -1.0, 0.0, math.nan):
        assert sigma_w2_admissible(0.2, sup(True, 1.0, None, witness=w)) is None, w
    assert sigma_w2_admissible(0.125, sup(True, 1.0, None, witness=1.0)) is False
    assert sigma_w2_admissible(0.125 * (1 - 2**-52), sup(True, 1.0, None, witness=1.0)) is None
    assert sigma_w2_admissible(1 / 32, sup(True, 2.0, None, witness=2.0)) is False  # 8·σ_w²·w² = 1
    assert sigma_w2_admissible(1e-300, sup(False, math.inf, None)) is False  # L = ∞ proved
    assert sigma_w2_admissible(1e-300, sup(None, math.inf, None)) is None  # L not proved finite
    assert sigma_w2_admissible(1 / 32 * (1 - 2**-52), sup(True, 2.0, None, witness=2.0)) is None


# --- what each rule tells the user: its condition, its method and its reason, word for word where
# the words carry the facts (the numbers, the enclosure, why it is not decided) ---------------


def test_a_certified_supremum_is_reported_with_its_enclosure_and_the_symbolic_proof():
    """A proved-bounded sup|φ'| with a ball-arithmetic enclosure: the value is the enclosure's
    midpoint, the enclosure is carried outward-rounded, and the reason gives both proofs."""
    from flint import arb

    from symbolic.enclosure import Enclosure

    enc = Enclosure(arb(1.25, 1e-9), "branch and bound")
    result = verdicts.bounded(1, sup(True, 1.25, None, method="grid"), enc)
    assert (result.name, result.status, result.method) == (Condition.BOUNDED_DPHI, P, "grid")
    assert result.enclosure == (enc.lo, enc.hi) and enc.lo < 1.25 < enc.hi
    assert result.value == 1.25 and result.exact is None
    assert result.detail == (
        f"certified sup|φ'| ∈ {enc} (branch and bound). Symbolic proof of boundedness: detail"
    )
    # without an enclosure nothing is carried, and an unbounded φ' is never "certified"
    assert verdicts.bounded(1, sup(True, 1.25, None)).enclosure is None
    assert verdicts.bounded(1, sup(False, math.inf, None), enc).enclosure is None


def test_the_reasons_of_an_undecided_and_a_refuted_supremum():
    undecided = verdicts.bounded(2, sup(None, 2.5, None))
    assert undecided.detail == "not decided; numeric sup|φ''| = 2.5. detail"
    assert verdicts.bounded(0, sup(False, math.inf, None)).detail == "detail"  # the refutation
    reason = verdicts.could_not_run(Condition.BOUNDED_PHI, SolverError("x"))
    assert reason.method == "could not be decided"


def test_weight_scale_names_its_condition_method_and_reason_in_every_branch():
    """Every branch of σ_w² < 1/(8L²) is reported as weight_scale, with how L was known."""
    from flint import arb

    from symbolic.enclosure import Enclosure

    cases = {
        "unbounded": verdicts.weight_scale(0.01, sup(False, math.inf, None)),
        "constant": verdicts.weight_scale(7.0, sup(True, 0.0, sp.Integer(0))),
        "exact": verdicts.weight_scale(0.1, sup(True)),
        "estimated": verdicts.weight_scale(0.1, sup(True, 1.0, None)),
        "certified": verdicts.weight_scale(0.1, sup(True, 1.0, None), Enclosure(arb(1), "b&b")),
    }
    assert {k: r.name for k, r in cases.items()} == dict.fromkeys(cases, Condition.WEIGHT_SCALE)
    assert {k: r.method for k, r in cases.items()} == {
        "unbounded": "L = sup|φ'| = ∞",
        "constant": "L = 0",
        "exact": "exact L from sympy",
        "estimated": "L known only numerically",
        "certified": "certified L (ball arithmetic)",
    }
    assert cases["unbounded"].detail == "φ' is unbounded: no σ_w² > 0 satisfies σ_w² < 1/(8L²)"
    assert cases["exact"].detail == (
        "σ_w² = 0.1 vs 1/(8L²) = 0.125 with L = 1 (largest admissible σ_w²: just below 0.125)"
    )
    assert cases["estimated"].detail == (
        "σ_w² = 0.1; L = sup|φ'| is only estimated (≈ 1, not proved); L was not proved exactly"
    )
    assert cases["certified"].detail.startswith("σ_w² = 0.1; certified L ∈ [1, 1], so 1/(8L²) ∈ ")


def test_an_exact_l_is_decided_exactly_even_with_an_enclosure_beside_it():
    """A proved exact L outranks its enclosure: the threshold is the exact 1/(8L²)."""
    from flint import arb

    from symbolic.enclosure import Enclosure

    result = verdicts.weight_scale(0.1, sup(True), Enclosure(arb(1, 1e-3), "b&b"))
    assert (result.status, result.method, result.exact) == (P, "exact L from sympy", "1/8")


@pytest.mark.parametrize(
    "bounded, why", [(True, "not proved exactly"), (None, "not proved finite")]
)
def test_an_estimated_l_of_zero_is_undecided_with_no_threshold(bounded, why):
    """sup|φ'| ≈ 0 only on a grid is no proof that φ is constant: INCONCLUSIVE, threshold ∞."""
    result = verdicts.weight_scale(0.5, sup(bounded, 0.0, None))
    assert (result.status, result.bound) == (INC, math.inf) and why in result.detail


def test_a_witness_refutation_reports_the_proved_ceiling_of_its_own_threshold():
    """|φ'| ≥ w = 1.1234567 proved at one point refutes σ_w² = 0.2 (8·0.2·w² ≥ 1): the FAIL's
    bound is 1/(8w²) rounded up (a proved ceiling of 1/(8L²) ≤ 1/(8w²); ball arithmetic at
    53 bits, so within 10⁻¹² of it), and the reason gives w rounded down to 6 digits."""
    from fractions import Fraction

    w = 1.1234567
    fail = verdicts.weight_scale(0.2, sup(True, 1.5, None, witness=w))
    assert (fail.name, fail.status, fail.method) == (
        Condition.WEIGHT_SCALE,
        F,
        "L ≥ a proved point value",
    )
    threshold = 1 / (8 * Fraction(w) ** 2)
    assert threshold <= Fraction(fail.bound) < threshold * (1 + Fraction(1, 10**12))
    assert fail.detail == (
        "σ_w² = 0.2; L = sup|φ'| is only estimated (≈ 1.5, not proved); L ≥ 1.12345 (|φ'| at "
        "the grid's maximiser in ball arithmetic) already fails"
    )
    open_ = verdicts.weight_scale(0.01, sup(None, 1.0, None))
    assert open_.detail == (
        "σ_w² = 0.01; L = sup|φ'| is only estimated (≈ 1, not proved); L was not proved finite"
    )


@pytest.mark.parametrize("sigma_w2, status", [(0.03, P), (0.03125, INC), (0.04, F)])
def test_a_certified_l_holds_sigma_w2_to_the_certified_range_of_its_threshold(sigma_w2, status):
    """L ∈ [1.999, 2.001]: 1/(8L²) ∈ [1/(8·2.001²), 1/(8·1.999²)] = [0.0312188…, 0.0312813…].
    PASS below the range reports its lower end (rounded down), FAIL above it its upper end
    (rounded up), inside it INCONCLUSIVE with the lower end; the reason prints the range outward
    in 12 significant digits. (Ball arithmetic may widen the range by the square of the radius:
    10⁻⁶ of it here.)"""
    from fractions import Fraction

    from flint import arb

    from symbolic.enclosure import Enclosure

    enc = Enclosure(arb(2, 1e-3), "b&b")
    result = verdicts.weight_scale(sigma_w2, sup(True, 2.0, None), enc)
    low, high = 1 / (8 * Fraction(2.001) ** 2), 1 / (8 * Fraction(1.999) ** 2)
    assert (result.status, result.value, result.method) == (
        status,
        sigma_w2,
        "certified L (ball arithmetic)",
    )
    slack = Fraction(1, 10**5)
    if status is F:
        assert high <= Fraction(result.bound) < high * (1 + slack)
    else:
        assert low * (1 - slack) < Fraction(result.bound) <= low
    printed = re.search(r"so 1/\(8L²\) ∈ \[0\.0(\d+), 0\.0(\d+)\] \(b&b\)", result.detail)
    lo, hi = (Fraction(f"0.0{digits}") for digits in printed.groups())
    assert low * (1 - slack) < lo <= low and high <= hi < high * (1 + slack)
    assert [len(digits) for digits in printed.groups()] == [12, 12]  # significant digits
    assert result.detail.startswith(f"σ_w² = {sigma_w2:g}; certified L ∈ [1.99899999999, ")
    undecided = "; σ_w² lies inside the certified range of 1/(8L²): raise --prec"
    assert result.detail.endswith("(b&b)" if status is not INC else f"(b&b){undecided}")


def _hermite(fact, evidence=EVIDENCE, l2=IN_L2, q_star=0.3):
    return verdicts.infinite_hermite(fact, evidence, l2, q_star)


def test_infinite_hermite_says_in_each_branch_how_it_was_decided():
    """The reason names the proof (polynomial test, closed form, numeric coefficients only), the
    L² membership behind it, and the numeric evidence: how many of μ_0..μ_3 exceed 10× their
    error 1e-16 (μ_1 = 0.5 only; μ_3 = 1e-20 is noise)."""
    seen = "1 of the first 4 μ_n(1) exceed 10× their error 1.0e-16"
    poly = _hermite(PolynomialFact(True, "a cubic", 3, "odd n ≤ 3", None))
    assert (poly.status, poly.value, poly.bound) == (F, 1.0, math.inf)
    assert poly.method == "polynomial test (sympy: the pieces, limits at ±∞)"
    assert poly.detail == "a cubic: μ_n = 0 for n > 3; nonzero: odd n ≤ 3"
    assert poly.name is Condition.INFINITE_HERMITE

    not_poly = _hermite(PolynomialFact(False, "not a polynomial", None, "odd n", "closed"))
    assert (not_poly.status, not_poly.value) == (P, math.inf)
    assert not_poly.method == "not a polynomial (sympy: the pieces, limits at ±∞)"
    assert not_poly.detail == f"not a polynomial. Nonzero: odd n. {seen}; closed form: closed"
    bare = _hermite(PolynomialFact(False, "not a polynomial", None, "odd n", None))
    assert bare.detail == f"not a polynomial. Nonzero: odd n. {seen}"  # no closed form: nothing

    closed = _hermite(PolynomialFact(None, "undecided", None, "all n", "μ_n = 1/n!"), l2=BELOW_HALF)
    assert (closed.status, closed.value) == (P, math.inf)
    assert closed.method == "closed form of μ_n nonzero for all k"
    assert closed.detail == (
        f"Nonzero: all n; closed form: μ_n = 1/n!. {seen}; in L²(N(0, q)) for q < 0.5 only "
        "(log(1 + φ²)/(2x²) → 1/2)"
    )

    numeric = _hermite(PolynomialFact(None, "undecided", None, "odd n", None), evidence=None)
    assert (numeric.status, numeric.value) == (INC, 0.0)
    assert numeric.method == "numeric coefficients only"
    assert numeric.detail == "undecided. numeric coefficients unavailable. Pattern: odd n"

    unproved_l2 = _hermite(PolynomialFact(False, "not a polynomial", None, "odd n", None), l2=None)
    assert (unproved_l2.status, unproved_l2.value) == (INC, math.inf)
    assert unproved_l2.method == "L² membership undecided"
    assert unproved_l2.detail == (
        "not a polynomial, but φ ∈ L²(N(0, q)) is not proved at the variance used (not "
        f"checked). {seen}"
    )

    outside = _hermite(PolynomialFact(False, "x", None, "odd n", None), l2=NOT_L2)
    assert (outside.status, outside.value, outside.bound) == (F, 0.0, math.inf)
    assert outside.method == "L² membership (one-sided limits)"
    assert outside.detail == "no Hermite expansion: a pole at 0"


def test_nonparallel_reports_the_largest_correlation_and_holds_it_strictly_below_one():
    """max |x_iᵀx_j| < 1 - 1e-10: at the threshold itself the pair counts as parallel."""
    from numeric.data import PARALLEL_TOL

    ok = verdicts.nonparallel(Correlation(0.5, (3, 7), False), ("2 rows dropped", "scaled"))
    assert (ok.name, ok.status, ok.value, ok.bound) == (
        Condition.DATA_NONPARALLEL,
        P,
        0.5,
        1 - PARALLEL_TOL,
    )
    assert ok.method == "max |x_iᵀx_j| over pairs i < j (float64)"
    assert ok.detail == "largest |x_iᵀx_j| = 0.500000 at pair (3, 7); 2 rows dropped; scaled"
    edge = verdicts.nonparallel(Correlation(1 - PARALLEL_TOL, (0, 1), False), ())
    assert edge.status is F and edge.detail == (
        "largest |x_iᵀx_j| = 1.000000 at pair (0, 1): points 0 and 1 are parallel, so G* is "
        "singular for some φ"
    )


def test_a_coefficient_counts_as_nonzero_only_beyond_ten_times_its_error():
    """Error 0.125: μ = 1.25 is exactly 10× (not beyond), 1.3 is 10.4× (beyond), 5 is 40×."""
    evidence = HermiteCoefficients(1.0, (1.25, 1.3, 5.0), 0.125, "test")
    poly = _hermite(PolynomialFact(True, "a quadratic", 2, "n ≤ 2", None), evidence)
    assert poly.value == 2.0
    undecided = _hermite(PolynomialFact(None, "undecided", None, "n ≤ 2", None), evidence)
    assert undecided.value == 2.0 and undecided.detail == (
        "undecided. 2 of the first 3 μ_n(1) exceed 10× their error 1.2e-01. Pattern: n ≤ 2"
    )


#: λ_star_positive's evidence for cert(5e-4), λ_min = 1e-3 ± 1e-12, G* by "test".
LAMBDA_EVIDENCE = (
    "Evidence: float estimate λ_min(G*) = 0.001 ± 1.0e-12 (eigvalsh with backward-error bound); "
    "float Hermite bound Σ_r μ_r² "
    "λ_lower(C^∘r) = 0.0005 (Gershgorin only: 0.0005, first positive at r = 1), ρ_max = "
    "0.500000; G* by test"
)


def test_lambda_star_positive_says_what_was_proved_and_keeps_the_float_as_evidence():
    """Each outcome's reason: what the proof says (the certified enclosure to 10 digits, q*'s
    enclosure, the method), then the float estimates as evidence only."""
    from verify.decimals import interval

    spec = Spectrum(torch.tensor([1e-3, 1.0], dtype=torch.float64), 1e-12)
    lo, hi = 0.00098765432123456, 0.0010000000004321
    proved = enclosed(lo, hi)
    result = verdicts.lambda_star_positive(spec, cert(5e-4), proved, "test", None)
    assert (result.name, result.status) == (Condition.LAMBDA_STAR_POSITIVE, P)
    assert result.method == f"certified: {proved.method}"
    assert interval(lo, hi, 10) == "[0.0009876543212, 0.001000000001]"  # 10 digits, outward
    assert result.detail == (
        f"λ* > 0 proved: certified λ* ∈ [0.0009876543212, 0.001000000001], q* ∈ "
        f"{proved.q_star.enclosure} ({proved.method}). {LAMBDA_EVIDENCE}"
    )
    off = verdicts.lambda_star_positive(spec, cert(5e-4), None, "test", None)
    assert off.method == "float estimate only (eigvalsh with backward-error bound)"
    assert off.detail == (
        "λ* > 0 not proved: no certified enclosure: certification turned off (--no-certify). "
        f"{LAMBDA_EVIDENCE}"
    )
    both = verdicts.lambda_star_positive(spec, cert(5e-4), proved, "test", "equal inputs")
    assert both.status is ERR and both.detail.startswith(
        "two proofs contradict: G* is singular (equal inputs), but certified λ* ∈ ["
    )
    # a certified lower end of exactly 0 proves nothing positive: no contradiction, a FAIL
    zero = verdicts.lambda_star_positive(spec, cert(5e-4), enclosed(0.0, hi), "t", "equal inputs")
    assert zero.status is F
    # without --spectra the float Hermite bound is not computed: the proof stands alone
    bare = verdicts.lambda_star_positive(spec, None, proved, "test", None)
    assert bare.status is P and bare.detail.endswith(
        "Evidence: float estimate λ_min(G*) = 0.001 ± 1.0e-12 (eigvalsh with backward-error "
        "bound); float Hermite bound not computed (--spectra); G* by test"
    )


@pytest.mark.parametrize("lam, noise", [(1e-12, False), (1e-3, True)])
def test_a_proof_of_singularity_calls_a_float_above_its_error_bar_rounding_noise(lam, noise):
    """λ* = 0 proved: the float λ_min is noise; said when it lies above its own error bar."""
    spec = Spectrum(torch.tensor([lam, 1.0], dtype=torch.float64), 1e-12)
    result = verdicts.lambda_star_positive(spec, cert(5e-4), None, "test", "equal inputs")
    head = "λ* = 0, proved: equal inputs"
    said = f" (the float λ_min {lam:.3g} is rounding noise)" if noise else ""
    assert result.status is F and result.detail.startswith(f"{head}{said}. no certified enclosure")


@pytest.mark.parametrize(
    "box, status",
    [
        ((0.1, 0.25), P),  # upper end exactly at λ - err: still consistent
        ((0.75, 0.8), P),  # lower end exactly at λ + err: still consistent
        ((0.1, 0.8), P),
        ((0.1, 0.2499), ERR),  # the float above the enclosure by more than its error
        ((0.7501, 0.8), ERR),  # below it by more than its error
    ],
)
def test_only_a_float_outside_the_enclosure_beyond_its_error_bar_is_an_error(box, status):
    """λ_min = 0.5 ± 0.25: the certified enclosure contradicts it only when it misses
    [0.25, 0.75] entirely."""
    spec = Spectrum(torch.tensor([0.5, 1.0], dtype=torch.float64), 0.25)
    result = verdicts.lambda_star_positive(spec, cert(0.1), enclosed(*box), "test", None)
    assert result.status is status
    if status is ERR:
        assert result.detail.startswith("the float λ_min lies outside the certified enclosure:")


def test_before_q_star_is_known_membership_is_judged_at_q_one():
    """φ ∈ L²(N(0, q)) for q < 1.5 only: the coefficients shown are at q = 1, inside."""
    fact = PolynomialFact(False, "not a polynomial", None, "all n", None)
    inside = SquareIntegrable(True, 1.5, "c = 1/3")
    assert verdicts.infinite_hermite(fact, EVIDENCE, inside, None).status is P
    undecided = PolynomialFact(None, "undecided", None, "all n", None)
    unknown = verdicts.infinite_hermite(undecided, EVIDENCE, None, None)  # nothing known of L²
    assert unknown.status is INC and unknown.detail.endswith("Pattern: all n")


def test_antipodal_points_are_named_so():
    bad = verdicts.nonparallel(Correlation(1.0, (2, 5), True), ())
    assert bad.detail == (
        "largest |x_iᵀx_j| = 1.000000 at pair (2, 5): points 2 and 5 are antipodal, so G* is "
        "singular for some φ"
    )


# --- the finite-width rules and the other theorems' rules: what the user reads ---------------


def test_the_width_sweep_reports_its_errors_and_slope_and_holds_only_a_negative_slope():
    down = verdicts.width_sweep(GramSweep([64, 128], [0.2, 0.14], [0, 0], -0.5))
    assert (down.name, down.status, down.value, down.bound) == (
        Condition.WIDTH_SWEEP,
        P,
        -0.5,
        0.0,
    )
    assert down.method == "least squares on log error vs log m"
    assert down.detail == (
        "‖ZᵀZ/m - G*‖/‖G*‖ = 0.2, 0.14 at m = [64, 128]; log-log slope -0.500 (theory: -1/2)"
    )
    assert verdicts.width_sweep(GramSweep([64, 128], [0.2, 0.2], [0, 0], 0.0)).status is F


def test_lambda0_bound_reports_the_drawn_network():
    result = verdicts.lambda0_bound(training(lambda_0=2.0, width=100), 0.04)
    assert (result.name, result.value, result.bound) == (Condition.LAMBDA0_BOUND, 2.0, 2.0)
    assert result.method == "eigvalsh(Z(0)ᵀZ(0)) vs m·λ*/2"
    assert result.detail == (
        "λ_0 = 2 at width 100 (seed 0); m·λ*/2 = 2; W drawn 1 time(s), L‖W(0)‖₂ = 0.5000"
    )


LINEAR_RATE_DETAIL = (
    "fitted rate 0.900000 (R² = 1.00000, steps 0-2); largest step ratio 0.900000 vs bound "
    "1-c·ηλ_0 = 0.990000; lazy-dynamics prediction over the same steps: Θ(0) 0.900000, m·Θ* "
    "{inf}; NTK drift 0.010 (lazy); η = 0.1 (user); loss 1.000e+00 → 9.000e-01 in 1 steps; "
    "L‖W(k)‖₂ < 1 all along: {posed} (max bound 0.6); λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along: True"
)


def test_the_linear_rate_reports_the_run_and_why_l_infinite_is_not_covered():
    result = verdicts.linear_rate(training())
    assert (result.name, result.value, result.bound) == (Condition.LINEAR_RATE, 0.9, 0.99)
    assert result.method == "GD with implicit gradients; loss ratios per step"
    assert result.detail == LINEAR_RATE_DETAIL.format(inf="0.900000", posed="True")
    res = replace(training(well_posed=None), rate_infinite=None)
    uncovered = verdicts.linear_rate(res)
    assert uncovered.status is INC and uncovered.detail == (
        LINEAR_RATE_DETAIL.format(inf="n/a", posed="None")
        + "; L = ∞: the contraction L‖W‖₂ < 1 cannot hold, so the theorem does not cover this "
        "run (every equilibrium solve still converged to its tolerance)"
    )


def test_a_width_study_reports_every_width_and_the_smallest_that_held():
    study = verdicts.WidthStudy([32, 64, 128], [0.0, 2 / 3, 1.0], 0.8, 1e9, [0.1] * 3)
    result = verdicts.width_study(study)
    assert (result.name, result.status, result.value, result.bound) == (
        Condition.WIDTH_STUDY,
        P,
        1.0,
        0.8,
    )
    assert result.method == "GD at each width and seed; λ_0 and linear-rate rules per seed"
    assert result.detail == (
        "λ_0 ≥ mλ*/2 and linear rate held in m=32: 0%, m=64: 67%, m=128: 100%; smallest width "
        "with ≥ 80%: 128; theory's scale n²/λ*²·log(n²/t) = 1e+09 (constants unknown)"
    )
    assert replace(study, fraction=2 / 3).smallest == 64  # exactly the fraction: held
    empty = verdicts.width_study(replace(study, widths=[], passed=[], lr=[]))
    assert (empty.status, empty.value) == (INC, 0.0)


@pytest.mark.parametrize(
    "is_relu, point, status, method",
    [
        (True, None, P, "sympy, piece by piece"),
        (False, -3.7, F, "30-digit value at a probe point"),
        (None, None, INC, "30-digit value at a probe point"),
    ],
)
def test_the_relu_condition_reports_its_proof_or_the_refuting_point(is_relu, point, status, method):
    from symbolic.relu import ReluFact

    result = verdicts.relu_activation(ReluFact(is_relu, "the detail", point))
    assert (result.name, result.status, result.method) == (
        Condition.RELU_ACTIVATION,
        status,
        method,
    )
    assert (result.value, result.detail) == (point, "the detail")


def test_ling_weight_scale_reports_the_comparison_and_the_read_out_scale():
    ok = verdicts.ling_weight_scale(0.1249, 1.0)
    assert (ok.name, ok.value, ok.bound, ok.exact) == (
        Condition.LING_WEIGHT_SCALE,
        0.1249,
        0.125,
        "1/8",
    )
    assert ok.method == "exact comparison" and ok.detail == "σ_w² = 0.1249 < 1/8 (Assumption 1)"
    assert verdicts.ling_weight_scale(0.125, 1.0).detail == "σ_w² = 0.125 ≥ 1/8 (Assumption 1)"
    scaled = verdicts.ling_weight_scale(0.0625, 2.0)
    assert scaled.status is F and scaled.detail == (
        "σ_w² = 0.0625 < 1/8 (Assumption 1); a ~ N(0, 2/m) is not their a ~ N(0, 1/m) (--a-scale 1)"
    )


def test_ling_constants_need_rho_w_strictly_below_one():
    """ρ̄_w = ‖W(0)‖₂ + δ = 0.75 + 0.25 = 1: refused (Condition 1 divides by 1 - ρ̄_w)."""
    with pytest.raises(VerifyError, match=r"^Ling et al\.: ‖W\(0\)‖₂ \+ δ = 1\.0000 ≥ 1; choose"):
        verdicts.ling_constants(0.75, 1.0, 1.0, 0.25)
    lc = verdicts.ling_constants(0.5, 2.0, 1.0, 0.25)
    assert (lc.delta, lc.rho_a) == (0.25, 1.25)


def test_ling_condition1_and_the_step_report_what_they_compared():
    """The constants of test_theorems' hand computation: c_w = 45, c_u = 5, c_a = 9, ‖X‖_F = 1,
    ‖r(0)‖ = 0.1; the largest requirement is the proof's 8·2050 = 16400."""
    lc = verdicts.ling_constants(0.5, 2.0, 1.0, 0.25)
    met = verdicts.ling_condition1(lc, 16400.0, 1.0, 0.1)
    assert (met.name, met.value) == (Condition.LING_CONDITION1, 16400.0)
    assert met.method == "Condition 1 (7)-(9) on the drawn W(0), U(0), a(0)"
    assert met.detail == (
        "λ_0 = 1.64e+04 against (7) 72, (8) 171.2 (as λ_0 ≥ ·), (9) 8200 (the proof's 8·: "
        "1.64e+04); δ = 0.25 (reconstructed), c_w = 45, c_u = 5, c_a = 9; met at this width"
    )
    zero = verdicts.ling_condition1(lc, 0.0, 1.0, 0.1)
    assert zero.status is F and "not met: λ_0 is inf× too small" in zero.detail
    half = verdicts.ling_condition1(lc, 0.5, 1.0, 0.1)  # 16400/0.5
    assert "not met: λ_0 is 3.28e+04× too small" in half.detail
    step = verdicts.ling_step_size(lc, 9.02e-4, 2.0, 1.0)
    assert (step.name, step.method) == (Condition.LING_STEP_SIZE, "Theorem 1's step-size bound")
    assert step.detail == "η = 0.000902 < 0.0009029 (2/λ_0 = 1)"
    at = verdicts.ling_step_size(lc, step.bound, 2.0, 1.0)
    assert at.status is F and at.detail == "η = 0.0009029 ≥ 0.0009029 (2/λ_0 = 1)"
    capped = verdicts.ling_step_size(lc, 1e-4, 1e4, 1.0)  # 2/λ_0 = 2e-4 is the smaller bound
    assert capped.bound == 2e-4 and capped.status is P


def test_ling_linear_rate_is_the_linear_rate_at_theorem_ones_step():
    res = training()
    result = verdicts.ling_linear_rate(res, 0.1 / 0.99)
    base = verdicts.linear_rate(res)
    assert (result.name, result.status, result.value, result.bound) == (
        Condition.LING_LINEAR_RATE,
        base.status,
        base.value,
        base.bound,
    )
    assert result.method == "GD at 0.99 × Theorem 1's step bound"
    assert result.detail == (
        f"η = 0.1 = 0.99 × 0.101 (Theorem 1's bound on this network); {base.detail}"
    )


def test_gao_well_posed_and_gram_init_report_what_they_compared():
    ok = verdicts.gao_well_posed(1.25, 0.99736)
    assert (ok.name, ok.value, ok.bound) == (Condition.GAO_WELL_POSED, 0.99736, 1.0)
    assert ok.method == "large-width limit γ·√(2/π) of ‖(γ/m)A‖₂"
    assert ok.detail == "γ = 1.25: ‖B‖₂ → 0.9974 < 1"
    edge = verdicts.gao_well_posed(1.2533, 1.0)
    assert edge.status is F and edge.detail == "γ = 1.2533: ‖B‖₂ → 1.0000 ≥ 1"
    from numeric.implicit import ImplicitHistory, ImplicitResult

    hist = ImplicitHistory(loss=[1.0, 0.5], norm_bound=[0.4, 0.412345], lambda_min_gram=[0.1, 0.12])
    fit = RateFit(0.5, 1.0, 0, 2, 0.9)
    at_bound = 0.75 * 0.2  # ¾λ_0 as the rule computes it (0.15000000000000002)
    res = ImplicitResult(
        16, 8, 0.2, 0.01, 0.99, fit, 0.9, 0.4, True, at_bound, True, 1.0, 0.5, hist
    )
    at = verdicts.gao_gram_init(res)  # exactly ¾λ_0 = 0.15: holds
    assert (at.name, at.status, at.value, at.bound) == (
        Condition.GAO_GRAM_INIT,
        P,
        at_bound,
        at_bound,
    )
    assert at.method == "eigvalsh of Φ(0)ᵀΦ(0)"
    assert at.detail == "λ_min(G(0)) = 0.15 vs ¾λ_0 = 0.15 at m = 16"
    below = verdicts.gao_gram_init(replace(res, gram_init=0.1))
    assert below.detail.endswith("at m = 16: this width is below the lemma's regime")
    rate = verdicts.gao_linear_rate(res)
    assert (rate.name, rate.status, rate.value, rate.bound) == (
        Condition.GAO_LINEAR_RATE,
        P,
        0.9,
        0.99,
    )
    assert rate.method == "gradient descent on Gao & Gao's network (exact implicit gradients)"
    assert rate.detail == (
        "largest step ratio 0.90000000 vs 1 - αλ_0/2 = 0.99000000 (α = 0.01, λ_0 = 0.2); fitted "
        "rate 0.500000; loss 1 → 0.5; ‖B(k)‖₂ ≤ 0.4124 along training; λ_min(G(k)) ≥ λ_0/2 all "
        "along: True (smallest 0.1); m = 16, n = 8"
    )
    runs = [res, replace(res, n=16, width=32, max_ratio=0.995)]
    width = verdicts.gao_linear_width(runs, 2.0)
    assert (width.name, width.status, width.value, width.bound) == (
        Condition.GAO_LINEAR_WIDTH,
        F,
        1.0,
        2.0,
    )
    assert width.method == "gradient descent at m = 2·n"
    assert width.detail == (
        "n = 8, m = 16: rate 0.500000, max ratio 0.90000000 ≤ 0.99000000; n = 16, m = 32: rate "
        "0.500000, max ratio 0.99500000 ≤ 0.99000000"
    )
    assert verdicts.gao_linear_width(runs[:1], 2.0).value == 1.0


def test_gao_lambda0_reports_the_proof_and_the_float_evidence():
    from numeric.gao_certificate import GaoCertificate

    cert_ = GaoCertificate(0.0009, 0.0011, 0.0009, 1.234e-5, 0.0, 128, 1e-15, torch.zeros(1))
    proved = verdicts.gao_lambda0_positive(1e-3, cert_)
    assert (proved.name, proved.status) == (Condition.GAO_LAMBDA0_POSITIVE, P)
    assert proved.method == f"certified: {cert_.method}"
    assert proved.detail == (
        "λ_0 > 0 proved: certified λ_0 ∈ [0.0008999999999, 0.001100000001] (Rump's test on the "
        "midpoint, the "
        "entries' radii ‖R‖_F ≤ 1.24e-05). Evidence: float estimate λ_0 = λ_min(G^∞) = 0.001 "
        "(eigvalsh)"
    )
    off = verdicts.gao_lambda0_positive(1e-3, None)
    assert (off.name, off.value, off.bound) == (Condition.GAO_LAMBDA0_POSITIVE, 1e-3, 0.0)
    assert off.method == "float estimate only (eigvalsh)"
    assert off.detail == (
        "λ_0 > 0 not proved: no certified enclosure: certification turned off (--no-certify). "
        "Evidence: float estimate λ_0 = λ_min(G^∞) = 0.001 (eigvalsh)"
    )


def test_a_certified_enclosure_reaching_zero_is_undecided_and_says_why():
    """Lower end exactly 0: not a proof of λ* > 0. The reason gives the certified upper bound
    (rounded up) and the certificate's own account of why its lower end is not positive."""
    spec = Spectrum(torch.tensor([5e-4, 1.0], dtype=torch.float64), 1e-12)
    proof = enclosed(0.0, 1e-3)
    result = verdicts.lambda_star_positive(spec, cert(5e-4), proof, "test", None)
    assert result.status is INC and result.detail.startswith(
        f"λ* ≤ {upper(1e-3)} (certified upper bound), not proved positive ({proof.shortfall}): "
        "certified λ* ∈ [0, "
    )
    failed = verdicts.lambda_star_positive(spec, cert(5e-4), "no shift worked", "test", None)
    assert failed.status is INC and failed.detail.startswith(
        "λ* > 0 not proved: no certified enclosure: no shift worked. Evidence: float estimate"
    )


def test_without_g_star_lambda_star_fails_and_what_needs_g_star_is_not_applicable():
    gone = verdicts.lambda_star_diverges("T(q) > q for every q ≥ 2/d", "ball arithmetic")
    assert (gone.name, gone.status, gone.value, gone.bound, gone.method) == (
        Condition.LAMBDA_STAR_POSITIVE,
        F,
        None,
        0.0,
        "ball arithmetic",
    )
    assert gone.detail == "λ* does not exist: T(q) > q for every q ≥ 2/d"
    na = verdicts.without_population(Condition.WIDTH_SWEEP, "T(q) > q")
    assert (na.name, na.status, na.value, na.bound, na.method) == (
        Condition.WIDTH_SWEEP,
        INC,
        None,
        None,
        "not applicable",
    )
    assert na.detail == "needs G*, which does not exist: T(q) > q"


@pytest.mark.parametrize(
    "value, lower, upper, status",
    [
        (0.25, 0.5, 0.75, P),  # exactly λ_0 = lower - float_error: not a contradiction
        (1.0, 0.5, 0.75, P),  # exactly upper + float_error
        (0.2499, 0.5, 0.75, ERR),
        (1.0001, 0.5, 0.75, ERR),
        (-0.25, -0.5, 0.0, INC),  # an upper end of exactly 0 proves nothing negative
        (-0.25, -0.5, -0.125, F),
    ],
)
def test_gao_lambda0_contradiction_and_refutation_at_their_edges(value, lower, upper, status):
    """float_error 0.25: the float λ_0 contradicts the enclosure only beyond it."""
    from numeric.gao_certificate import GaoCertificate

    proof = GaoCertificate(lower, upper, lower, 0.0, 0.0, 128, 0.25, torch.zeros(1))
    result = verdicts.gao_lambda0_positive(value, proof)
    assert result.status is status
    if status is ERR:
        assert result.detail.startswith("the float λ_0 lies outside the certified enclosure:")
    if status is INC:
        assert result.detail.startswith("λ_0 > 0 not proved (the enclosure reaches 0):")
    if status is F:
        assert result.detail.startswith("λ_0 < 0 proved: certified λ_0 ∈ [-0.5, -0.125] (Rump")


def test_the_rate_detail_uses_the_last_drift_and_the_largest_lipschitz_bound():
    """Over three steps: the drift at the end (0.05, lazy) though it was 0.5 midway, and the
    largest L‖W(k)‖₂ bound, 0.612345 rounded up to 4 digits."""
    res = training()
    history = replace(res.history, ntk_drift=[0.0, 0.5, 0.05], lip_norm_bound=[0.5, 0.612345, 0.55])
    detail = verdicts.linear_rate(replace(res, history=history)).detail
    assert "NTK drift 0.050 (lazy)" in detail and "(max bound 0.6124)" in detail


def test_ling_condition1_scales_with_the_data_norm():
    """The constants of the hand computation with ‖X‖_F = 2, ‖r(0)‖ = 0.1: (7) 16·45·2·0.1 =
    144, (8) (4(2+√2)/1.25·2050·4·0.1)^(2/3) = 8958.9^(2/3) = 431.4, (9) 4·2050·4 = 32800, the
    proof's 8·: 65600 (the bound held to), 65.6× the λ_0 = 1000 drawn."""
    lc = verdicts.ling_constants(0.5, 2.0, 1.0, 0.25)
    short = verdicts.ling_condition1(lc, 1000.0, 2.0, 0.1)
    assert short.status is F and short.bound == pytest.approx(65600, rel=1e-14)
    assert (
        "(7) 144, (8) 431.4 (as λ_0 ≥ ·), (9) 3.28e+04 (the proof's 8·: 6.56e+04)" in short.detail
    )
    assert short.detail.endswith("not met: λ_0 is 65.6× too small (the paper needs m = Ω(n³/λ*²))")


def test_ling_step_bound_scales_with_the_data_norm():
    """‖X‖_F = 2: 2(c_w² + c_u²)/((c_w² + c_u² + c_a²)²‖X‖_F²) = 4100/(2131²·4) = 2.2571e-4."""
    lc = verdicts.ling_constants(0.5, 2.0, 1.0, 0.25)
    step = verdicts.ling_step_size(lc, 2e-4, 2.0, 2.0)
    assert step.status is P and step.bound == pytest.approx(4100 / (2131**2 * 4), rel=1e-14)
