import pytest
import torch

from numeric.data import check_nonparallel, digits_data, load_data, sphere_data
from numeric.deq import DEQParams, adjoint, equilibrium, equilibrium_autograd, init_params
from numeric.fixed_point import fixed_point
from symbolic import REGISTRY, SolverError, Status, VerifyError


@pytest.fixture(scope="module")
def setup():
    act = REGISTRY["tanh"]
    data = sphere_data(6, 4, 0)
    params, report = init_params(40, 4, 1 / 16, 1.0, 0)
    return act, data, params, report


def _loss(act, p, x, y):
    z, _, _ = equilibrium(act, p, x, tol=1e-15)
    r = p.a @ z - y
    return 0.5 * float(r @ r)


def test_init_respects_the_contraction_margin(setup):
    _, _, p, report = setup
    assert report.lip_norm <= 0.95
    assert float(torch.linalg.matrix_norm(p.W, ord=2)) == pytest.approx(report.w_norm)


def test_init_is_deterministic():
    a, _ = init_params(16, 3, 0.05, 1.0, 7)
    b, _ = init_params(16, 3, 0.05, 1.0, 7)
    assert torch.equal(a.W, b.W) and torch.equal(a.U, b.U) and torch.equal(a.a, b.a)


def test_equilibrium_is_a_fixed_point(setup):
    act, data, p, _ = setup
    z, _, sol = equilibrium(act, p, data.x, tol=1e-13)
    assert (torch.tanh(p.W @ z + p.U @ data.x.T) - z).norm() <= 1e-13 * max(
        float(z.norm()), 1
    ) * 1.01
    assert sol.steps > 1


def test_unconverged_solve_raises_instead_of_returning_a_guess(setup):
    act, data, p, _ = setup
    with pytest.raises(SolverError, match="did not converge"):
        equilibrium(act, p, data.x, tol=1e-14, max_steps=3)
    with pytest.raises(SolverError, match="did not converge"):
        fixed_point(lambda z: 2 * z + 1, torch.zeros(3), tol=1e-10, max_steps=50)


def test_anderson_reaches_the_same_equilibrium(setup):
    act, data, p, _ = setup
    za, _, _ = equilibrium(act, p, data.x, tol=1e-13, method="anderson")
    zp, _, _ = equilibrium(act, p, data.x, tol=1e-13)
    assert (za - zp).abs().max() < 1e-11


def test_implicit_gradients_match_finite_differences(setup):
    act, data, p, _ = setup
    x, y = data.x, data.y
    z, s, _ = equilibrium(act, p, x, tol=1e-15)
    v, _ = adjoint(act, p.W, s, p.a, tol=1e-15)
    r = p.a @ z - y
    grads = {"W": (v * r) @ z.T, "U": (v * r) @ x, "a": z @ r}
    eps = 1e-6  # central differences: error O(eps²·L''') + O(1e-15/eps) ≈ 1e-9
    for name, idx in (("W", (3, 7)), ("U", (5, 2)), ("a", (11,))):
        up, down = p.clone(), p.clone()
        getattr(up, name)[idx] += eps
        getattr(down, name)[idx] -= eps
        fd = (_loss(act, up, x, y) - _loss(act, down, x, y)) / (2 * eps)
        assert fd == pytest.approx(float(grads[name][idx]), abs=1e-8)


def test_implicit_backward_matches_autograd_through_an_unrolled_solve(setup):
    act, data, p, _ = setup
    x, y = data.x, data.y
    W1, U1 = p.W.clone().requires_grad_(), p.U.clone().requires_grad_()
    loss = 0.5 * ((p.a @ equilibrium_autograd(act, W1, U1, x) - y) ** 2).sum()
    loss.backward()
    W2, U2 = p.W.clone().requires_grad_(), p.U.clone().requires_grad_()
    z = torch.zeros(40, 6, dtype=torch.float64)
    for _ in range(200):  # contraction factor ≤ 0.95: 200 steps reach 1e-5·0.95^200... ~1e-16
        z = torch.tanh(W2 @ z + U2 @ x.T)
    (0.5 * ((p.a @ z - y) ** 2).sum()).backward()
    assert (W1.grad - W2.grad).abs().max() < 1e-11
    assert (U1.grad - U2.grad).abs().max() < 1e-11


def test_data_checks_and_loaders(tmp_path):
    d = sphere_data(10, 4, 0)
    assert check_nonparallel(d).status is Status.PASS
    x = d.x.clone()
    x[3] = -x[1]
    bad = type(d)(x, d.y, "t")
    result = check_nonparallel(bad)
    assert result.status is Status.FAIL and "antipodal" in result.detail
    import numpy as np

    arr = np.random.default_rng(0).normal(size=(7, 3)) * 5
    np.save(tmp_path / "x.npy", arr)
    loaded = load_data(tmp_path / "x.npy")
    assert (
        torch.allclose(loaded.x.norm(dim=1), torch.ones(7, dtype=torch.float64)) and loaded.notices
    )
    (tmp_path / "x.csv").write_text("a,b,y\n1,2,3\n4,5,6\n-1,0,1\n")
    csv = load_data(tmp_path / "x.csv")
    assert csv.x.shape == (3, 2) and abs(float(csv.y.std(unbiased=False)) - 0.1) < 1e-12
    (tmp_path / "nan.csv").write_text("1,2\nnan,3\n")
    with pytest.raises(VerifyError, match="NaN"):
        load_data(tmp_path / "nan.csv")
    with pytest.raises(VerifyError, match="not found"):
        load_data(tmp_path / "missing.npy")
    digits = digits_data(30, 0)
    assert digits.x.shape == (30, 64)


def test_params_clone_is_independent(setup):
    _, _, p, _ = setup
    q = p.clone()
    q.W += 1
    assert not torch.equal(p.W, q.W)
    assert isinstance(q, DEQParams)


def test_deq_module_backward_matches_the_explicit_implicit_gradients(setup):
    from numeric.deq import DEQ

    act, data, p, _ = setup
    model = DEQ(act, p, tol=1e-14)
    loss = 0.5 * ((model(data.x) - data.y) ** 2).sum()
    loss.backward()
    z, s, _ = equilibrium(act, p, data.x, tol=1e-14)
    v, _ = adjoint(act, p.W, s, p.a, tol=1e-14)
    r = p.a @ z - data.y
    assert (model.W.grad - (v * r) @ z.T).abs().max() < 1e-12
    assert (model.U.grad - (v * r) @ data.x).abs().max() < 1e-12
    assert (model.a.grad - z @ r).abs().max() < 1e-12


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_training_on_cuda_matches_cpu():
    from numeric.training import train

    act = REGISTRY["tanh"]
    data = sphere_data(10, 5, 0)
    cpu = train(act, data, width=128, sigma_w2=1 / 16, lip=1.0, steps=30, seed=0)
    gpu = train(act, data, width=128, sigma_w2=1 / 16, lip=1.0, steps=30, seed=0, device="cuda")
    assert gpu.lambda_0 == pytest.approx(cpu.lambda_0, rel=1e-10)
    assert gpu.history.loss == pytest.approx(cpu.history.loss, rel=1e-8)
