"""Gao & Gao's network as drawn and as its limit kernel (numeric.implicit): the laws of the draw
(A = |N(0, 1)|, W ~ N(0, 1), u, v Rademacher), its seed (the user's, never torch's global
generator), the one-line refusal of a drawn ‖(γ/m)A‖₂ ≥ 1, and G^∞ at antipodal rows whose
float product falls below -1."""

from __future__ import annotations

import math
import re

import pytest
import torch

from numeric.implicit import explicit_gram, init_implicit
from numeric.parameters import GaoSettings
from symbolic.errors import VerifyError


def test_the_draw_has_the_stated_laws():
    """m = 400: A ≥ 0 with mean √(2/π) (160000 draws: standard error 0.0015), W's 1200 entries
    with mean 0 and variance 1 (errors 0.03 and 0.04), u and v exactly ±1, both signs, about
    evenly (standard error 0.05); B = (γ/m)A."""
    p = init_implicit(400, 3, GaoSettings(gamma=0.5), 0, "cpu")
    assert p.width == 400 and p.scale == 0.5 / 400 and torch.equal(p.B, p.scale * p.A)
    assert float(p.A.min()) >= 0 and abs(float(p.A.mean()) - math.sqrt(2 / math.pi)) < 0.01
    assert abs(float(p.W.mean())) < 0.15 and abs(float(p.W.var()) - 1) < 0.2
    for signs in (p.u, p.v):
        assert set(signs.tolist()) == {-1.0, 1.0} and abs(float(signs.mean())) < 0.25
    assert not torch.equal(p.u, p.v)


def test_the_draw_follows_the_users_seed_only():
    torch.manual_seed(123)
    a = init_implicit(16, 3, GaoSettings(), 5, "cpu")
    torch.manual_seed(456)
    b = init_implicit(16, 3, GaoSettings(), 5, "cpu")
    c = init_implicit(16, 3, GaoSettings(), 6, "cpu")
    for name in ("A", "W", "u", "v"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.A, c.A) and not torch.equal(a.W, c.W)


def test_a_drawn_implicit_weight_at_or_above_one_is_refused_in_one_line():
    with pytest.raises(VerifyError) as err:
        init_implicit(8, 3, GaoSettings(gamma=5.0), 0, "cpu")
    said = re.fullmatch(
        r"Gao & Gao: the drawn ‖\(γ/m\)A‖₂ = (\d+\.\d{4}) ≥ 1 at γ = 5, m = 8; lower --gamma "
        r"\(its large-width limit is γ·√\(2/π\) = 3\.9894\)",
        str(err.value),
    )
    assert said is not None and float(said.group(1)) >= 1


def test_the_limit_kernel_at_antipodal_rows_whose_product_rounds_below_minus_one():
    """x·x = 1 + 2⁻⁵² in float for this unit x: x·(-x) rounds below -1, and Q(-1) = 0 exactly
    (the clamp to [-1, 1] keeps the square root real)."""
    x = torch.tensor([-0.5429819681513284, -0.8031918784760959, 0.24505792909544966])
    x = x.to(torch.float64)
    assert float(x @ x) > 1
    g = explicit_gram(torch.stack([x, -x]))
    assert torch.isfinite(g).all()
    assert float(g[0, 1]) == 0.0 and float(g[0, 0]) == pytest.approx(0.5, abs=1e-15)


def test_a_short_gao_run_records_what_it_says():
    """Three steps at width 24, n = 6, recomputed here from the initial draw: the step
    α = C·λ_0/n²; loss_0 = ½‖ŷ(0) - y‖² with Z solved by plain iteration; λ_min(Φ(0)ᵀΦ(0)); each
    recorded ‖B(k)‖₂ bound at or above the exact norm of the B it was taken at (norms every 2
    steps: step 1 is a bound ‖B(0)‖₂ + ‖B(1) - B(0)‖_F, step 2 exact again); four records for
    three steps; a nonpositive λ_0 refused in one line."""
    from numeric.data import sphere_data
    from numeric.implicit import features, train_gao
    from numeric.parameters import ScheduleSettings, SolveSettings
    from symbolic.activations import resolve

    relu, solve = resolve("relu"), SolveSettings(tol=1e-14, max_steps=5000)
    data = sphere_data(6, 4, 0, 0.1)
    lam0 = 0.05
    gao = GaoSettings(step_scale=3.0)
    sched = ScheduleSettings(steps=3, norm_every=2)
    res = train_gao(relu, data, 24, gao, solve, sched, lambda_0=lam0, seed=1, device="cpu")
    assert res.lr == 3.0 * 0.05 / 36 and res.rate_bound == 1 - res.lr * lam0 / 2
    p = init_implicit(24, 4, gao, 1, "cpu")
    phi = features(p, data.x)
    z = torch.zeros_like(phi)
    for _ in range(2000):
        z = torch.relu(p.B @ z + phi)
    pred = p.u @ z + p.v @ phi
    loss0 = 0.5 * float((pred - data.y) @ (pred - data.y))
    h = res.history
    assert len(h.loss) == len(h.norm_bound) == len(h.lambda_min_gram) == 4
    assert h.loss[0] == pytest.approx(loss0, rel=1e-12) and res.initial_loss == h.loss[0]
    assert res.final_loss == h.loss[-1] < h.loss[0]
    assert h.lambda_min_gram[0] == pytest.approx(float(torch.linalg.eigvalsh(phi.T @ phi)[0]))
    assert res.gram_init == h.lambda_min_gram[0]
    exact0 = float(torch.linalg.matrix_norm(p.B, ord=2))
    assert h.norm_bound[0] == pytest.approx(exact0, rel=1e-12) and res.init_norm == h.norm_bound[0]
    assert h.norm_bound[1] > exact0  # a bound: the exact norm plus the drift's Frobenius norm
    # step 2 is exact again: the same run with the exact norm at every step agrees there, and
    # its step 1 (exact) is below the bound
    every = ScheduleSettings(steps=3, norm_every=1)
    exact = train_gao(relu, data, 24, gao, solve, every, lambda_0=lam0, seed=1, device="cpu")
    assert h.norm_bound[2] == pytest.approx(exact.history.norm_bound[2], rel=1e-12)
    assert exact0 < exact.history.norm_bound[1] < h.norm_bound[1]
    ratios = [b / a for a, b in zip(h.loss, h.loss[1:])]
    assert res.max_ratio == max(ratios) and res.well_posed is True
    with pytest.raises(VerifyError) as err:
        train_gao(relu, data, 24, gao, solve, sched, lambda_0=0.0, seed=1, device="cpu")
    assert str(err.value) == "Gao & Gao: λ_0 = λ_min(G^∞) = 0 is not positive"
    # Lemma 3.6's guard λ_min(G(k)) ≥ λ_0/2, on either side: λ_0 given as 2.4 and 1.6 times
    # λ_min(Φ(0)ᵀΦ(0)) (the features hardly move in three small steps)
    g0 = float(torch.linalg.eigvalsh(phi.T @ phi)[0])
    for factor, kept in ((2.4, False), (1.6, True)):
        small = GaoSettings(step_scale=0.1)
        run = train_gao(
            relu, data, 24, small, solve, sched, lambda_0=factor * g0, seed=1, device="cpu"
        )
        assert run.gram_kept is kept, factor


def test_the_first_gao_step_is_gradient_descent_and_a_bound_reaching_one_stops_it():
    """loss(1) against ½‖ŷ - y‖² at (A, W, u, v) - α∇, the gradient by autograd through an
    unrolled solve (not the module's adjoint): every parameter moves downhill. Then γ set so
    that ‖B(0)‖₂ = 0.99999 exactly as drawn: the first bounded step reaches 1 and the run
    stops, in one line naming the step and the bound."""
    from numeric.data import sphere_data
    from numeric.implicit import train_gao
    from numeric.parameters import ScheduleSettings, SolveSettings
    from symbolic.activations import resolve

    relu, solve = resolve("relu"), SolveSettings(tol=1e-14, max_steps=5000)
    data = sphere_data(6, 4, 0, 0.1)
    gao = GaoSettings(step_scale=3.0)
    sched = ScheduleSettings(steps=3, norm_every=5)
    res = train_gao(relu, data, 24, gao, solve, sched, lambda_0=0.05, seed=1, device="cpu")
    p = init_implicit(24, 4, gao, 1, "cpu")

    def loss(A, W, u, v):
        phi = torch.relu(W @ data.x.T) / math.sqrt(24)
        z = torch.zeros_like(phi)
        for _ in range(300):  # ‖B‖₂ ≈ 0.4: converged to rounding
            z = torch.relu(p.scale * A @ z + phi)
        r = u @ z + v @ phi - data.y
        return 0.5 * (r @ r)

    params = [t.clone().requires_grad_(True) for t in (p.A, p.W, p.u, p.v)]
    grads = torch.autograd.grad(loss(*params), params)
    stepped = [t.detach() - res.lr * g for t, g in zip(params, grads)]
    assert res.history.loss[1] == pytest.approx(float(loss(*stepped)), rel=1e-10)

    norm = float(torch.linalg.matrix_norm(p.scale * p.A, ord=2))
    tight = GaoSettings(gamma=0.5 * 0.99999 / norm, step_scale=300.0)
    with pytest.raises(VerifyError) as err:
        train_gao(relu, data, 24, tight, solve, sched, lambda_0=0.05, seed=1, device="cpu")
    said = re.fullmatch(
        r"Gao & Gao: ‖B‖₂ may have reached 1 at step 1 \(bound (1\.\d{4})\); "
        r"lower --gamma or --gao-step-scale",
        str(err.value),
    )
    assert said is not None


def test_the_gao_records_are_immutable():
    """A result, its history's owner and the parameters are frozen records: a report cannot
    change what a run measured."""
    import dataclasses

    from numeric.implicit import ImplicitHistory, ImplicitParams, ImplicitResult, ImplicitState

    p = init_implicit(8, 3, GaoSettings(), 0, "cpu")
    for record in (ImplicitParams, ImplicitResult, ImplicitState, ImplicitHistory):
        assert dataclasses.is_dataclass(record) and record.__dataclass_params__.frozen, record
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.scale = 1.0
