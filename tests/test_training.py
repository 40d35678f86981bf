import math
from dataclasses import replace

import pytest
import torch

from numeric.data import sphere_data
from numeric.ntk import ntk_infinite
from numeric.training import fit_rate, train_deq
from symbolic import REGISTRY, VerifyError
from tests.helpers import S2, SCHEDULE, SOLVE, eigmin, gram, model
from verify import verdicts
from verify.results import Status


def _train(act, data, width, steps, **kw):
    sched = replace(SCHEDULE, steps=steps, **{k: kw.pop(k) for k in ("lr",) if k in kw})
    kw = {"lip": 1.0, "seed": 0, "theta_star": None, "device": "cpu", "progress": None, **kw}
    return train_deq(act, data, model(width), SOLVE, sched, **kw)


@pytest.mark.parametrize("name", ["sin", "tanh"])
def test_default_settings_converge_linearly_at_the_predicted_rate(name):
    act = REGISTRY[name]
    data = sphere_data(20, 10, 0, 0.1)
    g = gram(act, data.x)
    theta = ntk_infinite(act, g, S2, 1.0)
    res = _train(act, data, 256, 150, theta_star=theta)
    lam_star = eigmin(g.gram)
    assert verdicts.lambda0_bound(res, lam_star).status is Status.PASS
    assert verdicts.linear_rate(res).status is Status.PASS
    assert res.rate.max_ratio <= res.rate_bound
    # Lazy regime (NTK drift ~1%): measured rate within 1e-3 of the Θ(0) linearization, and
    # within 5e-3 of the infinite-width one (Θ(0)/m differs from Θ* by O(1/sqrt(m)) ≈ 6%).
    assert res.history.ntk_drift[-1] < 0.05
    assert res.rate.rate == pytest.approx(res.rate_finite, abs=1e-3)
    assert res.rate.rate == pytest.approx(res.rate_infinite, abs=5e-3)
    assert res.well_posed and res.lambda_kept
    said = f"lazy {res.rate_finite:.6g}, infinite width {res.rate_infinite:.4g}); λ_0"
    assert said in repr(res)


def test_too_large_a_step_is_caught():
    act = REGISTRY["tanh"]
    data = sphere_data(10, 5, 0, 0.1)
    ok = _train(act, data, 128, 40)
    bad = _train(act, data, 128, 40, lr=2.5 / ok.ntk_max)  # beyond 2/λ_max: not a descent
    assert verdicts.linear_rate(bad).status is Status.FAIL
    # and its bound L(‖W(j)‖₂ + ‖W(k) - W(j)‖_F) crosses 1 (1.05 here): not well-posed throughout
    assert max(ok.history.lip_norm_bound) < 1 <= max(bad.history.lip_norm_bound)
    assert ok.well_posed is True and bad.well_posed is False


def test_every_parameter_follows_gradient_descent():
    """Five steps of train_deq() against five steps of (W, U, a) ← (W, U, a) - η∇L with ∇L by
    autograd through an unrolled solve (independent of the implicit adjoint); same η."""
    act = REGISTRY["tanh"]
    data = sphere_data(6, 4, 0, 0.1)
    res = _train(act, data, 32, 5)
    p = [t.clone() for t in (res.initial.W, res.initial.U, res.initial.a)]
    for _ in range(5):
        W, U, a = (t.clone().requires_grad_() for t in p)
        z = torch.zeros(32, 6, dtype=torch.float64)
        for _ in range(300):  # L‖W‖₂ ≤ 0.95: converged to rounding
            z = torch.tanh(W @ z + U @ data.x.T)
        (0.5 * ((a @ z - data.y) ** 2).sum()).backward()
        p = [t.detach() - res.lr * t.grad for t in (W, U, a)]
    initial = (res.initial.W, res.initial.U, res.initial.a)
    for got, start, want in zip((res.final.W, res.final.U, res.final.a), initial, p):
        assert (got - start).abs().max() > 1e-6  # it moved
        # both are converged solves (1e-12 vs rounding): the steps agree to ~1e-13 relative
        assert (got - want).abs().max() < 1e-11 * max(1.0, float(want.abs().max()))


def test_extrapolated_starts_save_forward_iterations():
    # from Z(k) alone the forward solve settles at 18 iterations here (19 at step 3); from
    # 2Z(k) - Z(k-1) the count keeps falling (14 from step 25): a start that lost the
    # extrapolation (or used a stale pair) stays at the plateau, 2 above this bound
    res = _train(REGISTRY["tanh"], sphere_data(20, 10, 0, 0.1), 256, 40)
    steps = res.history.forward_steps
    assert max(steps[-10:]) <= steps[3] - 3


def test_the_last_record_matches_a_direct_computation_on_the_final_network():
    from numeric.deq import adjoint, empirical_ntk, equilibrium

    act, data = REGISTRY["tanh"], sphere_data(8, 5, 0, 0.1)
    res = _train(act, data, 64, 25)  # norm_every = 25: the last record follows a refresh
    h, p, p0 = res.history, res.final, res.initial
    # fresh solves from zero on the final and initial networks (tolerance 1e-12 relative)
    z = equilibrium(act, p, data.x, None, SOLVE)
    v = adjoint(act, p.W, z.s, p.a, None, SOLVE).v
    r = p.a @ z.value - data.y
    assert h.loss[-1] == pytest.approx(0.5 * float(r @ r), rel=1e-9)
    assert h.lambda_min_zz[-1] == pytest.approx(eigmin(z.value.T @ z.value), rel=1e-9)
    moved = sum(float(((a - b) ** 2).sum()) for a, b in zip((p.W, p.U, p.a), (p0.W, p0.U, p0.a)))
    assert h.distance[-1] == pytest.approx(moved**0.5, rel=1e-12)
    svd = float(torch.linalg.svdvals(p.W)[0])  # L = 1: the bound at a refresh is ‖W‖₂ + 1e-9
    assert svd * (1 - 1e-14) <= h.lip_norm_bound[-1] <= svd * (1 + 1e-8)
    # between refreshes the bound grows by ‖W(k) - W(0)‖_F, which the distance includes
    b = h.lip_norm_bound
    assert b[0] < b[24] <= b[0] + h.distance[24] * (1 + 1e-12)
    z0 = equilibrium(act, p0, data.x, None, SOLVE)
    v0 = adjoint(act, p0.W, z0.s, p0.a, None, SOLVE).v
    theta0 = empirical_ntk(z0.value, v0, data.x)
    drift = (empirical_ntk(z.value, v, data.x) - theta0).norm() / theta0.norm()
    assert h.ntk_drift[0] == 0 and h.ntk_drift[-1] == pytest.approx(float(drift), rel=1e-6)


def test_infinite_lipschitz_constant_records_no_contraction_bound():
    import math

    # exp: L = ∞, so L‖W(k)‖₂ < 1 cannot hold; no W(j) is bounded and the record says ∞
    sched = replace(SCHEDULE, steps=30)
    res = train_deq(REGISTRY["exp"], sphere_data(8, 5, 0, 0.1), model(64, 0.01), SOLVE, sched,
                lip=math.inf, seed=0, theta_star=None, device="cpu", progress=None)  # fmt: skip
    assert res.well_posed is None and set(res.history.lip_norm_bound) == {math.inf}
    assert res.history.loss[-1] < res.history.loss[0]  # it still trains
    assert verdicts.linear_rate(res).status is Status.INCONCLUSIVE


def test_the_schedule_and_model_settings_are_used():
    act = REGISTRY["tanh"]
    data = sphere_data(6, 4, 0, 0.1)
    res = _train(act, data, 32, 5, lr=0.01)
    assert res.lr == 0.01 and res.lr_source == "user" and res.steps == 5
    sched = replace(SCHEDULE, steps=5, rate_constant=0.25)
    quarter = train_deq(
        act,
        data,
        model(32),
        SOLVE,
        sched,
        lip=1.0,
        seed=0,
        theta_star=None,
        device="cpu",
        progress=None,
    )
    assert quarter.rate_bound == pytest.approx(1 - 0.25 * quarter.lr * quarter.lambda_0, rel=1e-15)


def test_rate_fit_on_an_exact_geometric_sequence():
    loss = [3.0 * 0.9**k for k in range(60)]
    fit = fit_rate(loss)
    assert fit.rate == pytest.approx(0.9, rel=1e-12) and fit.r2 == pytest.approx(1.0)
    assert fit.max_ratio == pytest.approx(0.9, rel=1e-12)
    with pytest.raises(VerifyError):
        fit_rate([1.0, 0.0, 0.0])


def test_the_guards_hold_all_along_not_only_at_the_end():
    """sin at width 8 (n = 6, d = 4, seed 1, the default step): λ_min(Z(k)ᵀZ(k)) falls to about
    0.22·λ_0 by step 13 and recovers to about 0.78·λ_0 by step 30, while every loss ratio stays
    below the bound. "λ_min ≥ λ_0/2 all along" is false, so the linear rate FAILs; a guard
    that looked only at the last step would pass it."""
    res = _train(REGISTRY["sin"], sphere_data(6, 4, 0, 0.1), 8, 30, seed=1)
    lam = res.history.lambda_min_zz
    assert lam[0] == pytest.approx(res.lambda_0, rel=1e-9)  # the record starts at Z(0)
    assert min(lam) < 0.3 * res.lambda_0 and lam[-1] > 0.7 * res.lambda_0
    assert res.rate.max_ratio <= res.rate_bound  # the ratios alone would pass
    assert res.lambda_kept is False
    result = verdicts.linear_rate(res)
    assert result.status is Status.FAIL
    assert "λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along: False" in result.detail


def test_the_largest_step_ratio_counts_every_step_from_the_first():
    """A loss that rises at step 1 (ratio 1.5), then falls geometrically by 0.9: the fit uses the
    second half (rate 0.9) but the largest ratio, held against the bound, is the first one."""
    loss = [1.0, 1.5, *(1.5 * 0.9**k for k in range(1, 40))]
    fit = fit_rate(loss)
    assert fit.rate == pytest.approx(0.9, rel=1e-12)
    assert fit.max_ratio == pytest.approx(1.5, rel=1e-15)
    assert fit.start == len(loss) // 2 and fit.end == len(loss)
    # the last ratio before the loss floor counts too: a jump at the end
    late = [0.9**k for k in range(30)] + [0.9**29 * 1.2]
    assert fit_rate(late).max_ratio == pytest.approx(1.2, rel=1e-12)


def test_the_rate_fit_stops_at_the_first_loss_at_or_below_the_floor():
    """L_k = 4·2⁻ᵏ for k ≤ 30, then exactly LOSS_FLOOR·L_0 = 4e-24 (off the line), then 1e-30:
    the fit ends at that point (≤, relative to L_0), so the rate is exactly 1/2 over k = 15..30;
    counting it, or ending at an absolute or a later floor, would bend the rate."""
    from numeric.training import LOSS_FLOOR

    loss = [4 * 0.5**k for k in range(31)] + [LOSS_FLOOR * 4, 1e-30, 1e-30]
    assert loss[31] == 4e-24
    fit = fit_rate(loss)
    assert (fit.start, fit.end) == (15, 31)
    assert fit.rate == pytest.approx(0.5, rel=1e-12) and fit.r2 == pytest.approx(1.0, abs=1e-12)


def test_an_empty_history_says_so():
    from numeric.training import History

    assert repr(History()) == "History(empty)"
    one = History(loss=[2.0, 1.0, 0.5])
    assert repr(one) == (
        "History(steps 0..2: loss 2 → 0.5; lists loss, lambda_min_zz, lip_norm_bound, distance, "
        "ntk_drift, forward_steps)"
    )


def test_the_rate_fit_reports_r2_and_needs_four_steps():
    """r² of the log-linear fit against numpy's correlation coefficient on a wobbling loss; a
    flat loss fits with r² = 1 (no variance to explain); four steps above the floor suffice and
    three are refused in one line."""
    import numpy as np

    ks = np.arange(20)
    loss = np.exp(-0.1 * ks + 0.05 * (-1.0) ** ks).tolist()
    fit = fit_rate(loss)
    want = np.corrcoef(ks[fit.start : fit.end], np.log(loss[fit.start : fit.end]))[0, 1] ** 2
    assert (fit.start, fit.end) == (10, 20) and 0.5 < want < 0.999
    assert fit.r2 == pytest.approx(want, rel=1e-12)
    assert fit_rate([1.0] * 6).r2 == 1.0 and fit_rate([1.0] * 6).rate == 1.0
    assert fit_rate([1.0, 0.5, 0.25, 0.125]).rate == pytest.approx(0.5, rel=1e-12)
    with pytest.raises(VerifyError) as err:
        fit_rate([1.0, 0.5, 0.25, 0.0])
    assert str(err.value) == "too few steps above the loss floor to fit a rate (3); raise --steps"


def test_the_step_and_the_lazy_prediction_from_theta_at_initialisation():
    """Without --lr the step is 1/λ_max(Θ(0)) and says so; the lazy prediction is the rate of
    r(k) = (I - ηΘ(0))^k r(0), r(0) = a(0)ᵀZ(0) - y, over the fit's window: here simulated step
    by step with Θ(0) = JJᵀ from autograd through an unrolled solve (not the eigenbasis route);
    the progress callback sees each step's loss."""
    act = REGISTRY["tanh"]
    data = sphere_data(6, 4, 0, 0.1)
    seen = []
    res = _train(act, data, 32, 12, progress=lambda k, total, loss: seen.append((k, total, loss)))
    assert seen == [(k, 12, v) for k, v in enumerate(res.history.loss)]
    assert (res.initial_loss, res.final_loss) == (seen[0][2], seen[-1][2]) and res.steps == 12
    assert repr(res) == (  # its one line, whole: no infinite-width rate without Θ*
        f"TrainingResult(width 32, seed 0, 12 steps, lr {res.lr:.4g} (1/λ_max(Θ(0))): loss "
        f"{res.initial_loss:.4g} → {res.final_loss:.4g}; rate {res.rate.rate:.6g} per step "
        f"(bound {res.rate_bound:.6g}; lazy {res.rate_finite:.6g}); λ_0 {res.lambda_0:.4g}; "
        f"well-posed {res.well_posed}, λ kept {res.lambda_kept}; W 32×32, U 32×4, a 32)"
    )
    W0, U0, a0 = (t.clone() for t in (res.initial.W, res.initial.U, res.initial.a))

    def outputs(W, U, a):
        z = torch.zeros(32, 6, dtype=torch.float64)
        for _ in range(300):  # L‖W‖₂ ≤ 0.95: converged to rounding
            z = torch.tanh(W @ z + U @ data.x.T)
        return a @ z

    jac = torch.autograd.functional.jacobian(outputs, (W0, U0, a0))
    J = torch.cat([j.reshape(6, -1) for j in jac], dim=1)
    theta0 = J @ J.T
    lam_max = float(torch.linalg.eigvalsh(theta0)[-1])
    assert res.lr_source == "1/λ_max(Θ(0))"
    assert res.lr == pytest.approx(1 / lam_max, rel=1e-9) == pytest.approx(1 / res.ntk_max)
    r = outputs(W0, U0, a0) - data.y
    step = torch.eye(6, dtype=torch.float64) - res.lr * theta0
    losses = []
    for _ in range(res.rate.end):
        losses.append(0.5 * float(r @ r))
        r = step @ r
    ks = torch.arange(res.rate.start, res.rate.end, dtype=torch.float64)
    logs = torch.log(torch.tensor(losses[res.rate.start :], dtype=torch.float64))
    slope = float(((ks - ks.mean()) * (logs - logs.mean())).sum() / ((ks - ks.mean()) ** 2).sum())
    assert res.rate_finite == pytest.approx(math.exp(slope), rel=1e-9)


@pytest.mark.parametrize("sum_sq, entries", [(1.0, 1), (3.0, 10)])
def test_the_drift_bound_is_the_widened_root(sum_sq, entries):
    """drift_upper = √(s(1 + γ_{k+1})(1 + 2⁻⁵¹)) rounded up (the docstring's (1 - u)⁻² ≤ 1 + 4u):
    at least that in exact rationals, and within two floats of it."""
    from fractions import Fraction

    from numeric.training import drift_upper

    u = Fraction(1, 2**53)
    g = (entries + 1) * u / (1 - (entries + 1) * u)
    want = Fraction(sum_sq) * (1 + g) * (1 + Fraction(1, 2**51))
    got = drift_upper(sum_sq, entries)
    assert Fraction(got) ** 2 >= want
    assert Fraction(math.nextafter(math.nextafter(got, 0), 0)) ** 2 < want
