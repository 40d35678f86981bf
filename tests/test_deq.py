import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from numeric.data import digits_data, load_data, max_correlation, sphere_data
from numeric.deq import DEQ, adjoint, empirical_ntk, equilibrium, equilibrium_autograd
from numeric.fixed_point import fixed_point
from symbolic import REGISTRY, SolverError, VerifyError
from tests.helpers import SOLVE, params
from verify import verdicts
from verify.results import Status
from verify.settings import DataSettings

TIGHT = replace(SOLVE, tol=1e-15)


@pytest.fixture(scope="module")
def setup():
    act = REGISTRY["tanh"]
    data = sphere_data(6, 4, 0, 0.1)
    p, report = params(40, 4)
    return act, data, p, report


def _unrolled(act, W, U, x, steps=200):
    """Z by plain iteration with autograd through every step (contraction ≤ 0.95: 200 steps
    leave < 0.95^200 ≈ 3.5e-5 of the start, and the start is 0, the iterates converge to 1e-16)."""
    z = torch.zeros(W.shape[0], x.shape[0], dtype=torch.float64)
    for _ in range(steps):
        z = act.torch_fn(0)(W @ z + U @ x.T)
    return z


def _loss(act, p, x, y):
    z = equilibrium(act, p, x, None, TIGHT).value
    r = p.a @ z - y
    return 0.5 * float(r @ r)


def test_init_respects_the_contraction_margin_and_the_a_scale(setup):
    _, _, p, report = setup
    assert report.lip_norm <= 0.95
    # w_norm is a proved upper bound within 1e-8 of the SVD's value (whose own error is ~1e-15)
    svd = float(torch.linalg.matrix_norm(p.W, ord=2))
    assert svd * (1 - 1e-14) <= report.w_norm <= svd * (1 + 1e-8)
    # a ~ N(0, A/m): Σ_j a_j² over 10 seeds at m = 400 averages 4000 squares, so it estimates
    # A with relative standard deviation sqrt(2/4000) = 2.2%; 7% is three of those
    for a_scale in (1.0, 4.0):
        total = sum(
            float((params(400, 3, seed, a_scale=a_scale)[0].a ** 2).sum()) for seed in range(10)
        )
        assert total / 10 == pytest.approx(a_scale, rel=0.07)


def test_init_is_deterministic_and_the_seed_matters():
    a, _ = params(16, 3, seed=7)
    b, _ = params(16, 3, seed=7)
    c, _ = params(16, 3, seed=8)
    assert torch.equal(a.W, b.W) and torch.equal(a.U, b.U) and torch.equal(a.a, b.a)
    assert not torch.equal(a.W, c.W)


def test_equilibrium_is_a_fixed_point(setup):
    act, data, p, _ = setup
    eq = equilibrium(act, p, data.x, None, replace(SOLVE, tol=1e-13))
    z = eq.value
    # the solver's own stopping rule, ‖g(z) - z‖ ≤ tol·‖g(z)‖, for the returned z = g(z_prev):
    # one more step contracts it by L‖W‖₂ ≤ 0.95, so the residual of z is below that
    assert (torch.tanh(p.W @ z + p.U @ data.x.T) - z).norm() <= 1e-13 * float(z.norm())
    # S = W Z + B at the returned Z, up to the rounding of a length-m dot product (γ_m |W||Z|):
    # the solver multiplies as (Zᵀ Wᵀ)ᵀ, a different summation order from W @ Z
    b = p.U @ data.x.T
    bound = 2 * (p.W.shape[0] + 1) * 2.0**-53 * (p.W.abs() @ z.abs() + b.abs())
    assert ((eq.s - (p.W @ z + b)).abs() <= bound).all()
    assert eq.steps > 1 and eq.residual <= eq.tol == 1e-13


def test_unconverged_solve_raises_instead_of_returning_a_guess(setup):
    act, data, p, _ = setup
    with pytest.raises(SolverError, match="did not converge"):
        equilibrium(act, p, data.x, None, replace(SOLVE, tol=1e-14, max_steps=3))
    with pytest.raises(SolverError, match=r"non-finite|did not converge"):
        fixed_point(lambda z: 2 * z + 1, torch.zeros(3), replace(SOLVE, max_steps=50), what="t")
    # each iterate's norm is checked: an infinite entry, a NaN, and finite entries whose norm
    # overflows (1e200 squared) are each refused at the step they appear, never "converged"
    for bad, kind in ((math.inf, "non-finite"), (math.nan, "non-finite"), (1e200, "too large")):
        g = lambda z, bad=bad: torch.where(z > 0, torch.full_like(z, bad), 1.0)  # noqa: E731
        with pytest.raises(SolverError, match=f"{kind}.* at step 2"):
            fixed_point(g, torch.zeros(2, dtype=torch.float64), SOLVE, what="t")


def test_anderson_reaches_the_same_equilibrium(setup):
    act, data, p, _ = setup
    za = equilibrium(act, p, data.x, None, replace(SOLVE, tol=1e-13, method="anderson")).value
    zp = equilibrium(act, p, data.x, None, replace(SOLVE, tol=1e-13)).value
    assert (za - zp).abs().max() < 1e-11  # both within 1e-13·‖z‖ of the fixed point


def test_anderson_beats_picard_on_a_slow_linear_contraction():
    """z = Mz + b with M symmetric, spectrum in [0, 0.98]: Picard needs log(1e-12)/log(0.98) ≈
    1370 steps (1165 measured); Anderson(5), a restarted Krylov method, took 242. Held to a
    factor 3: plain iteration under the name of Anderson would take the same 1165."""
    gen = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(50, 50, generator=gen, dtype=torch.float64))
    m = q @ torch.diag(torch.linspace(0, 0.98, 50, dtype=torch.float64)) @ q.T
    b = torch.randn(50, generator=gen, dtype=torch.float64)
    solve = replace(SOLVE, max_steps=5000)
    picard = fixed_point(lambda z: m @ z + b, torch.zeros(50, dtype=torch.float64), solve, what="t")
    anderson = fixed_point(
        lambda z: m @ z + b,
        torch.zeros(50, dtype=torch.float64),
        replace(solve, method="anderson"),
        what="t",
    )
    assert picard.steps > 1000
    assert anderson.steps < picard.steps / 3
    assert (anderson.value - picard.value).abs().max() < 1e-9  # both ≤ 1e-12·‖z‖, ‖z‖ ≈ 50


def test_implicit_gradients_match_finite_differences(setup):
    act, data, p, _ = setup
    from numeric.training import gradients

    x, y = data.x, data.y
    eq = equilibrium(act, p, x, None, TIGHT)
    v = adjoint(act, p.W, eq.s, p.a, None, TIGHT).v
    grads = gradients(eq.value, v, x, p.a @ eq.value - y)
    eps = 1e-6  # central differences: error O(eps²·L''') + O(1e-15/eps) ≈ 1e-9
    for name, idx in (("W", (3, 7)), ("U", (5, 2)), ("a", (11,))):
        up, down = p.clone(), p.clone()
        getattr(up, name)[idx] += eps
        getattr(down, name)[idx] -= eps
        fd = (_loss(act, up, x, y) - _loss(act, down, x, y)) / (2 * eps)
        assert fd == pytest.approx(float(getattr(grads, name)[idx]), abs=1e-8)


def test_implicit_backward_matches_autograd_through_an_unrolled_solve(setup):
    act, data, p, _ = setup
    x, y = data.x, data.y
    W1, U1 = p.W.clone().requires_grad_(), p.U.clone().requires_grad_()
    loss = 0.5 * ((p.a @ equilibrium_autograd(act, W1, U1, x, TIGHT) - y) ** 2).sum()
    loss.backward()
    W2, U2 = p.W.clone().requires_grad_(), p.U.clone().requires_grad_()
    (0.5 * ((p.a @ _unrolled(act, W2, U2, x) - y) ** 2).sum()).backward()
    # both converged to ~1e-15; gradients of size ~1e-2 agree to rounding
    assert (W1.grad - W2.grad).abs().max() < 1e-11
    assert (U1.grad - U2.grad).abs().max() < 1e-11


def test_deq_module_gradients_including_the_input(setup):
    """loss.backward() through the module fills W, U, a and the input x, exactly as autograd
    through an unrolled solve does."""
    act, data, p, _ = setup
    model = DEQ(act, p, TIGHT)
    x1 = data.x.clone().requires_grad_()
    (0.5 * ((model(x1) - data.y) ** 2).sum()).backward()
    W2, U2 = p.W.clone().requires_grad_(), p.U.clone().requires_grad_()
    a2, x2 = p.a.clone().requires_grad_(), data.x.clone().requires_grad_()
    (0.5 * ((a2 @ _unrolled(act, W2, U2, x2) - data.y) ** 2).sum()).backward()
    for got, want in ((model.W.grad, W2.grad), (model.U.grad, U2.grad), (model.a.grad, a2.grad)):
        assert (got - want).abs().max() < 1e-11
    assert x2.grad.abs().max() > 1e-3  # the input gradient is not trivially zero
    assert (x1.grad - x2.grad).abs().max() < 1e-11


def test_empirical_ntk_equals_j_jt_from_torch_func(setup):
    """Θ_ij = ⟨∂f(x_i)/∂θ, ∂f(x_j)/∂θ⟩ over θ = (W, U, a), by torch.func.jacrev through an
    unrolled solve, against Θ = ZᵀZ + (VᵀV)∘(ZᵀZ + XXᵀ) from the implicit adjoint."""
    act, data, p, _ = setup
    x = data.x

    def f(W, U, a):
        return a @ _unrolled(act, W, U, x)

    jw, ju, ja = torch.func.jacrev(f, argnums=(0, 1, 2))(p.W, p.U, p.a)
    j = torch.cat([jw.reshape(6, -1), ju.reshape(6, -1), ja.reshape(6, -1)], dim=1)
    eq = equilibrium(act, p, x, None, TIGHT)
    v = adjoint(act, p.W, eq.s, p.a, None, TIGHT).v
    theta = empirical_ntk(eq.value, v, x)
    assert (theta - j @ j.T).abs().max() < 1e-12 * float(theta.abs().max())


def test_correlation_uses_the_upper_triangle_and_finds_antipodes():
    d = sphere_data(10, 4, 0, 0.1)
    ok = verdicts.nonparallel(max_correlation(d.x), ())
    assert ok.status is Status.PASS and ok.value < 0.99
    x = d.x.clone()
    x[3] = -x[1]
    corr = max_correlation(x)
    assert corr.pair == (1, 3) and corr.antipodal and corr.value == pytest.approx(1, abs=1e-15)
    bad = verdicts.nonparallel(corr, ())
    assert bad.status is Status.FAIL and "antipodal" in bad.detail


def test_loaders(tmp_path):
    arr = np.random.default_rng(0).normal(size=(7, 3)) * 5
    np.save(tmp_path / "x.npy", arr)
    loaded = load_data(tmp_path / "x.npy", DataSettings(), 0)
    ones = torch.ones(7, dtype=torch.float64)
    assert torch.allclose(loaded.x.norm(dim=1), ones, atol=1e-15)
    assert any("normalized" in n for n in loaded.notices)
    (tmp_path / "x.csv").write_text("a,b,y\n1,2,3\n4,5,6\n-1,0,1\n")
    csv = load_data(tmp_path / "x.csv", DataSettings(), 0)
    assert csv.x.shape == (3, 2) and abs(float(csv.y.std(unbiased=False)) - 0.1) < 1e-12
    (tmp_path / "nan.csv").write_text("1,2\nnan,3\n")
    with pytest.raises(VerifyError, match="'nan'; expected a finite number"):
        load_data(tmp_path / "nan.csv", DataSettings(), 0)
    with pytest.raises(VerifyError, match="not found"):
        load_data(tmp_path / "missing.npy", DataSettings(), 0)
    assert digits_data(DataSettings(n=30), 0).x.shape == (30, 64)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_matches_cpu():
    from numeric.training import train_deq as train
    from tests.helpers import SCHEDULE, model

    act = REGISTRY["tanh"]
    data = sphere_data(10, 5, 0, 0.1)
    sched = replace(SCHEDULE, steps=30)
    kw = dict(lip=1.0, seed=0, theta_star=None, progress=None)
    cpu = train(act, data, model(128), SOLVE, sched, device="cpu", **kw)
    gpu = train(act, data, model(128), SOLVE, sched, device="cuda", **kw)
    assert gpu.lambda_0 == pytest.approx(cpu.lambda_0, rel=1e-10)
    assert gpu.history.loss == pytest.approx(cpu.history.loss, rel=1e-8)
