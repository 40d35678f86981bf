"""Each seed paper's theorem in its own setting (issue 8): the registry, ReLU decided exactly,
Gao & Gao's implicit network with exact implicit gradients, and the per-theorem verdicts."""

import json
import math
from dataclasses import replace

import pytest
import torch

from numeric.data import sphere_data
from numeric.implicit import (
    ImplicitParams,
    explicit_gram,
    explicit_spectrum,
    features,
    forward,
    gradients,
    init_implicit,
    train_gao,
)
from numeric.limits import limit_norm
from symbolic import VerifyError, resolve
from symbolic.relu import relu_fact
from verify import ExitCode, Settings, main
from verify.checks import run_checks
from verify.results import CheckResult, Condition, Status
from verify.settings import GaoSettings, ScheduleSettings, SolveSettings
from verify.theorems import GAO, LING, THEOREMS, TRUONG, assess, covered_verdict

RELU = resolve("relu")
TIGHT = SolveSettings(tol=1e-14, max_steps=5000)
FAST = ["--no-width-sweep", "--quiet", "--hermite-terms", "8", "--dps", "20"]
SMALL = ["--n", "10", "--width", "128", "--steps", "60", *FAST]


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("relu", True),
        ("Max(x, 0)", True),
        ("(x + abs(x))/2", True),
        ("x*Heaviside(x)", True),
        ("tanh", False),
        ("leaky_relu", False),
        ("Max(0, x) + 1/1000", False),
        ("2*Max(0, x)", False),
    ],
)
def test_relu_is_decided_exactly(formula, expected):
    assert relu_fact(resolve(formula)).is_relu is expected


def _params(m=24, d=4, seed=0) -> ImplicitParams:
    return init_implicit(m, d, GaoSettings(), seed, "cpu")


def test_equilibrium_at_initialization_is_the_closed_form():
    """With B ≥ 0 and Φ ≥ 0 the ReLU never clips: Z = (I - B)⁻¹Φ exactly (theory §7.3)."""
    p = _params()
    x = sphere_data(6, 4, 0, 0.1).x
    st = forward(RELU, p, x, None, TIGHT)
    closed = torch.linalg.solve(torch.eye(p.width, dtype=torch.float64) - p.B, features(p, x))
    # a contraction with factor ‖B‖ ≈ 0.4 solved to 1e-14 relative: error ≲ 1e-14/(1 - 0.4)
    assert (st.z - closed).abs().max() < 1e-13 * float(closed.abs().max())


def test_implicit_gradients_match_autograd_through_an_unrolled_solve():
    p = _params()
    data = sphere_data(6, 4, 0, 0.1)
    x, y = data.x, data.y
    st = forward(RELU, p, x, None, TIGHT)
    g = gradients(RELU, p, x, st, st.pred - y, TIGHT)
    A, W, u, v = (t.clone().requires_grad_() for t in (p.A, p.W, p.u, p.v))
    phi = torch.relu(W @ x.T) / math.sqrt(p.width)
    z = torch.zeros_like(phi)
    for _ in range(120):  # ‖B‖ ≈ 0.4: 0.4^120 ≈ 1e-48, far below float64
        z = torch.relu(p.scale * A @ z + phi)
    r = u @ z + v @ phi - y
    (0.5 * r @ r).backward()
    for mine, ref in ((g.A, A.grad), (g.W, W.grad), (g.u, u.grad), (g.v, v.grad)):
        # both exact up to the solves' 1e-14 and float64 sums over m = 24
        assert (mine - ref).abs().max() < 1e-11 * float(ref.abs().max())


def test_implicit_gradients_match_finite_differences():
    p = _params(m=16, d=3, seed=1)
    data = sphere_data(5, 3, 1, 0.1)
    x, y = data.x, data.y

    def loss(q: ImplicitParams) -> float:
        r = forward(RELU, q, x, None, TIGHT).pred - y
        return 0.5 * float(r @ r)

    st = forward(RELU, p, x, None, TIGHT)
    g = gradients(RELU, p, x, st, st.pred - y, TIGHT)
    h = 1e-6
    for name, idx in (("A", (3, 5)), ("W", (2, 1)), ("u", (4,)), ("v", (7,))):
        plus, minus = p.clone(), p.clone()
        getattr(plus, name)[idx] += h
        getattr(minus, name)[idx] -= h
        fd = (loss(plus) - loss(minus)) / (2 * h)
        # central difference: O(h²) truncation plus ~1e-16/h rounding of the loss ≈ 1e-9
        assert getattr(g, name)[idx].item() == pytest.approx(fd, abs=1e-7, rel=1e-6), name


def test_explicit_gram_against_its_monte_carlo_estimate():
    """ΦᵀΦ = (1/m)Σ_r σ(w_rᵀx_i)σ(w_rᵀx_j) → G^∞; at m = 200000 the entries' standard error is
    about √(E[σ⁴]/m) ≈ 0.0027, so 5e-3 × 4 is a 4-sigma bound per entry (36 entries)."""
    x = sphere_data(6, 5, 2, 0.1).x
    gen = torch.Generator().manual_seed(3)
    m = 200_000
    W = torch.randn(m, 5, generator=gen, dtype=torch.float64)
    phi = torch.relu(W @ x.T) / math.sqrt(m)
    assert (phi.T @ phi - explicit_gram(x)).abs().max() < 0.011
    g = explicit_gram(x)
    assert torch.allclose(torch.diagonal(g), torch.full((6,), 0.5, dtype=torch.float64))  # E[σ(z)²]


def test_gamma_outside_the_well_posed_range_is_refused_with_the_bound(capsys):
    assert limit_norm(1.2) < 1 < limit_norm(1.3)  # √(π/2) = 1.2533
    code = main(["activation", "relu", "--gamma", "1.3", *FAST])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == ExitCode.USAGE and len(err) == 1
    assert "γ·√(2/π) = 1.0372 ≥ 1" in err[0] and "--gamma below 1.2533" in err[0]
    # φ(x) = x is not refused for γ: Gao & Gao's model does not run for it (no theorem applies)
    code = main(["activation", "x", "--gamma", "1.3", "--no-train", *FAST])
    assert code == ExitCode.NOT_COVERED


def test_a_drawn_implicit_weight_that_does_not_contract_is_refused():
    with pytest.raises(VerifyError, match=r"‖\(γ/m\)A‖₂ = .* ≥ 1"):
        init_implicit(8, 3, GaoSettings(gamma=1.24), 0, "cpu")  # small m: ‖A‖/m ≈ 0.8 + noise


def test_gao_training_descends_at_the_theorems_rate():
    data = sphere_data(10, 5, 0, 0.1)
    sched = ScheduleSettings(steps=60)
    lam0 = explicit_spectrum(data.x)[0]
    gao = GaoSettings(step_scale=50.0)
    res = train_gao(RELU, data, 96, gao, TIGHT, sched, lambda_0=lam0, seed=0, device="cpu")
    assert res.well_posed and res.max_ratio <= res.rate_bound < 1
    assert res.final_loss < res.initial_loss * res.rate_bound**60
    assert res.lambda_0 == pytest.approx(float(torch.linalg.eigvalsh(explicit_gram(data.x))[0]))


def _result(name: Condition, status: Status) -> CheckResult:
    return CheckResult(name, status, 0.0, 0.0, "test")


def test_applicability_and_the_covering_verdict():
    ok = {c: _result(c, Status.PASS) for c in Condition}
    assert assess(LING, ok).applies is Status.PASS and assess(LING, ok).covers
    refuted = {**ok, Condition.RELU_ACTIVATION: _result(Condition.RELU_ACTIVATION, Status.FAIL)}
    a = assess(LING, refuted)
    assert a.applies is Status.FAIL and [r.name for r in a.failed] == [Condition.RELU_ACTIVATION]
    # regime conditions are information: Ling's Condition 1 failing changes nothing
    info = {**ok, Condition.LING_CONDITION1: _result(Condition.LING_CONDITION1, Status.FAIL)}
    assert assess(LING, info).verdict is Status.PASS
    # a conclusion refuted where the theorem applies is a FAIL of the whole run
    bad = {**ok, Condition.LINEAR_RATE: _result(Condition.LINEAR_RATE, Status.FAIL)}
    assert covered_verdict([assess(TRUONG, bad), assess(GAO, bad)]) is Status.FAIL
    # none applies: FAIL; one undecided: INCONCLUSIVE
    none = {**refuted, Condition.WEIGHT_SCALE: _result(Condition.WEIGHT_SCALE, Status.FAIL)}
    assert covered_verdict([assess(t, none) for t in THEOREMS.values()]) is Status.FAIL
    undecided = {
        **none,
        Condition.WEIGHT_SCALE: _result(Condition.WEIGHT_SCALE, Status.INCONCLUSIVE),
    }
    assert covered_verdict([assess(t, undecided) for t in THEOREMS.values()]) is Status.INCONCLUSIVE


def test_relu_is_covered_by_ling_and_gao_not_truong(capsys):
    code = main(["activation", "relu", *SMALL, "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.PASS and doc["version"] == 2
    blocks = {t["id"]: t for t in doc["theorems"]}
    assert blocks["truong2023"]["applies"] == "DOES NOT APPLY"
    assert blocks["truong2023"]["failed_hypotheses"] == ["bounded_d2phi"]
    assert blocks["ling2023"]["applies"] == blocks["gao2022"]["applies"] == "APPLIES"
    assert blocks["ling2023"]["verdict"] == blocks["gao2022"]["verdict"] == "PASS"
    assert doc["covered_by"] == ["ling2023", "gao2022"]
    names = {c["name"] for c in doc["conditions"]}
    assert {"gao_linear_rate", "ling_condition1", "relu_activation"} <= names
    # Theorem 1 at its own step: retrained on the same draw at 0.99 × the bound it states
    at_step = next(c for c in doc["conditions"] if c["name"] == "ling_linear_rate")
    step = next(c for c in doc["conditions"] if c["name"] == "ling_step_size")
    assert at_step["status"] == "PASS" and f"= 0.99 × {step['bound']:.4g}" in at_step["detail"]
    assert "ling_linear_rate" in blocks["ling2023"]["conditions"]


def test_tanh_is_covered_by_truong_and_the_relu_papers_say_why_not(capsys):
    code = main(["activation", "tanh", *SMALL, "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.PASS and doc["covered_by"] == ["truong2023"]
    blocks = {t["id"]: t for t in doc["theorems"]}
    for tid in ("ling2023", "gao2022"):
        assert blocks[tid]["applies"] == "DOES NOT APPLY"
        assert "relu_activation" in blocks[tid]["failed_hypotheses"]
    assert not any(c["name"] == "gao_linear_rate" for c in doc["conditions"])  # not run


def test_theorem_option_restricts_the_run():
    s = replace(Settings(activation="relu", train=False), theorems=("gao2022",))
    v = run_checks(replace(s, study=replace(s.study, width_sweep=False)))
    assert [a.theorem.id for a in v.assessments] == ["gao2022"] and v.training is None
    assert main(["activation", "relu", "--theorem", "nope"]) == ExitCode.USAGE


def test_linear_width_holds_as_n_doubles_twice():
    s = Settings(
        activation="relu",
        theorems=("gao2022",),
        data=replace(Settings().data, n=24),
        schedule=ScheduleSettings(steps=40),
        gao=GaoSettings(step_scale=50.0, width_ratio=16.0),
    )  # at m = 4n the n = 6 run's λ_min(G(k)) falls to 0.024 < λ_0/2 = 0.044: below the proof
    v = run_checks(replace(s, study=replace(s.study, width_sweep=False)))
    runs = v.gao.linear_width
    assert [(r.n, r.width) for r in runs] == [(6, 96), (12, 192), (24, 384)]
    assert v.condition(Condition.GAO_LINEAR_WIDTH).status is Status.PASS
    assert all(r.max_ratio <= r.rate_bound and r.gram_kept for r in runs)


def test_ling_condition1_and_step_bound_by_hand():
    """‖W‖ = 0.5, ‖U‖ = 2, ‖a‖ = 1, δ = 0.25: ρ̄ = (0.75, 2.25, 1.25), c_w = 2.25·1.25/0.25² = 45,
    c_u = 1.25/0.25 = 5, c_a = 2.25/0.25 = 9; with ‖X‖_F = 1, ‖r(0)‖ = 0.1: (7) 16·45·0.1 = 72,
    (8) (4(2+√2)/1.25·2050·0.1)^(2/3) = 171.2, (9) 4·2050 = 8200, the proof's 8·2050 = 16400."""
    from verify import verdicts

    lc = verdicts.ling_constants(0.5, 2.0, 1.0, 0.25)
    assert (lc.c_w, lc.c_u, lc.c_a) == pytest.approx((45, 5, 9), rel=1e-14)
    met = verdicts.ling_condition1(lc, 16400.0, 1.0, 0.1)
    assert met.status is Status.PASS and met.bound == pytest.approx(16400, rel=1e-14)
    short = verdicts.ling_condition1(lc, 16399.0, 1.0, 0.1)  # (9) holds, the proof's 8· does not
    assert short.status is Status.FAIL and "(7) 72, (8) 171.2" in short.detail
    # the factor printed is the one the verdict uses: 16400/16399 (the proof's 8·), and at
    # λ_0 = 1640 it is 10×, not the 5× of (9)'s 4·
    assert "1× too small" in short.detail
    far = verdicts.ling_condition1(lc, 1640.0, 1.0, 0.1)
    assert far.bound / 1640.0 == pytest.approx(10) and "is 10× too small" in far.detail
    step = verdicts.ling_step_size(lc, 9.02e-4, 1.0, 1.0)  # bound 2·2050/(2050 + 81)² = 9.0285e-4
    assert step.status is Status.PASS and step.bound == pytest.approx(4100 / 2131**2, rel=1e-14)
    assert verdicts.ling_step_size(lc, 9.03e-4, 1.0, 1.0).status is Status.FAIL
    with pytest.raises(VerifyError, match="≥ 1"):
        verdicts.ling_constants(0.9, 2.0, 1.0, 0.1)
    assert verdicts.ling_weight_scale(0.1249, 1.0).status is Status.PASS
    assert verdicts.ling_weight_scale(0.125, 1.0).status is Status.FAIL
    assert verdicts.ling_weight_scale(0.0625, 2.0).status is Status.FAIL  # not their a ~ N(0, 1/m)


def _implicit_result(max_ratio: float, bound: float, well_posed: bool, gram_kept: bool = True):
    from numeric.implicit import ImplicitHistory, ImplicitResult
    from numeric.training import RateFit

    hist = ImplicitHistory(loss=[1.0, 0.5], norm_bound=[0.4, 0.41], lambda_min_gram=[0.1, 0.1])
    fit = RateFit(0.5, 1.0, 0, 2, max_ratio)
    return ImplicitResult(
        16, 8, 0.2, 0.01, bound, fit, max_ratio, 0.4, well_posed, 0.1, gram_kept, 1.0, 0.5, hist
    )


def test_gao_rate_needs_the_gram_matrix_kept_above_half_lambda0():
    """The induction of Gao & Gao's GD proof keeps λ_min(G(k)) ≥ λ_0/2: a run with every step
    ratio inside its bound but G(k) dropping below λ_0/2 FAILs the rate and the linear width."""
    from verify import verdicts

    kept = _implicit_result(0.9, 0.99, True, gram_kept=True)
    lost = _implicit_result(0.9, 0.99, True, gram_kept=False)
    assert verdicts.gao_linear_rate(kept).status is Status.PASS
    result = verdicts.gao_linear_rate(lost)
    assert result.status is Status.FAIL and "λ_0/2 all along: False" in result.detail
    assert verdicts.gao_linear_width([kept], 4.0).status is Status.PASS
    assert verdicts.gao_linear_width([kept, lost], 4.0).status is Status.FAIL


def test_gao_rate_rules_refute_only_above_the_bound():
    from verify import verdicts

    assert verdicts.gao_linear_rate(_implicit_result(0.999, 0.999, True)).status is Status.PASS
    above = _implicit_result(0.999 + 1e-9, 0.999, True)
    assert verdicts.gao_linear_rate(above).status is Status.FAIL
    ill_posed = _implicit_result(0.5, 0.999, False)
    assert verdicts.gao_linear_rate(ill_posed).status is Status.FAIL
    runs = [_implicit_result(0.9, 0.99, True), above]
    assert verdicts.gao_linear_width(runs, 4.0).status is Status.FAIL
    assert verdicts.gao_linear_width(runs[:1], 4.0).status is Status.PASS
    assert verdicts.gao_well_posed(1.25, limit_norm(1.25)).status is Status.PASS  # 0.9974
    assert verdicts.gao_well_posed(1.26, limit_norm(1.26)).status is Status.FAIL
    # Lemma 3.3's regime: λ_min(G(0)) ≥ ¾λ_0 (λ_0 = 0.2 in the helper: the threshold is 0.15)
    at = replace(_implicit_result(0.9, 0.99, True), gram_init=0.1501)
    assert verdicts.gao_gram_init(at).status is Status.PASS
    below = replace(at, gram_init=0.1499)
    assert verdicts.gao_gram_init(below).status is Status.FAIL


def _gao_cert(lower: float, upper: float, float_error: float = 1e-15):
    from numeric.gao_certificate import GaoCertificate

    return GaoCertificate(lower, upper, lower, 0.0, lower, 128, float_error, torch.zeros(1))


@pytest.mark.parametrize(
    ("value", "lower", "upper", "status"),
    [
        (1e-3, 0.9e-3, 1.1e-3, Status.PASS),  # proved positive
        (1e-3, 5e-324, 1.1e-3, Status.PASS),  # the least positive lower end is still a proof
        (1e-3, 0.0, 1.1e-3, Status.INCONCLUSIVE),  # an enclosure touching 0 proves nothing
        (1e-15, -1e-14, 1e-14, Status.INCONCLUSIVE),
        (-1e-3, -1.1e-3, -0.9e-3, Status.FAIL),  # proved negative
        (1e-3, 2e-3, 3e-3, Status.ERROR),  # the float value outside the proof: inconsistent
        (1e-3, 0.9e-3, 1e-3 - 1e-15, Status.PASS),  # outside by less than the float's own error
    ],
)
def test_gao_lambda0_is_decided_by_the_certificate_alone(value, lower, upper, status):
    """λ_0 > 0 only on a certified lower end > 0; the float eigvalsh value is evidence, and no
    float value decides PASS without a certificate (turned off or failed: INCONCLUSIVE)."""
    from verify import verdicts

    r = verdicts.gao_lambda0_positive(value, _gao_cert(lower, upper, 2e-15))
    assert r.status is status and r.value == value and r.bound == 0.0
    assert r.enclosure == (lower, upper)
    off = verdicts.gao_lambda0_positive(value, None)
    assert off.status is Status.INCONCLUSIVE and "--no-certify" in off.detail and not off.certified
    failed = verdicts.gao_lambda0_positive(value, "no shift worked")
    assert failed.status is Status.INCONCLUSIVE and "no shift worked" in failed.detail
