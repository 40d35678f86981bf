import math

import pytest
import torch

from numeric.data import sphere_data
from numeric.gram import population_gram, population_gram_general, solve_q_star
from numeric.kernel import kernel_at
from numeric.ntk import ntk_infinite
from numeric.spectrum import check_lambda_star, eigenvalues, hermite_certificate
from symbolic import REGISTRY, SolverError, Status, resolve
from symbolic.hermite import hermite_float
from tests.known import dual_reference

S2 = 1 / 16


@pytest.fixture(scope="module")
def data():
    return sphere_data(20, 10, 0)


@pytest.mark.parametrize("name", ["sin", "tanh", "relu", "step", "gelu"])
def test_fast_path_matches_general_recursion(name, data):
    """Scalar q* + elementwise solve vs the matrix recursion with per-input variances."""
    act = REGISTRY[name]
    fast = population_gram(act, data.x, S2)
    general = population_gram_general(act, data.x, S2)
    # general path: closed form (1e-13) or 48² Gauss–Hermite per pair (~1e-11 for smooth φ)
    assert (fast.gram - general.gram).abs().max() < 1e-10


def test_general_recursion_tracks_each_inputs_variance():
    """Inputs of different norms: an independent loop with SPEC §2's closed form for sin."""
    gen = torch.Generator().manual_seed(3)
    scales = torch.tensor([0.5, 1, 1.5, 2, 0.7, 1.2], dtype=torch.float64)
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64) * scales[:, None]
    got = population_gram_general(REGISTRY["sin"], x, S2)
    base = (2 / 4) * (x @ x.T)
    sigma = base.clone()
    for _ in range(200):
        g = torch.tensor(
            [
                [
                    dual_reference(
                        "sin", float(sigma[i, i]), float(sigma[j, j]), float(sigma[i, j])
                    )
                    for j in range(6)
                ]
                for i in range(6)
            ],
            dtype=torch.float64,
        )
        sigma = 2 * S2 * g + base
    # stopping rule: last update ≤ 1e-13·max Σ_ii (≈3.2), contraction 2σ_w²L² = 1/8
    assert (got.sigma - sigma).abs().max() < 1e-13 * float(sigma.diagonal().max()) / (
        1 - 1 / 8
    ) * 1.5
    # A stale diagonal (one variance for all inputs) would be wrong in the third digit:
    assert (got.sigma.diagonal() - got.sigma.diagonal().mean()).abs().max() > 1e-2


def test_q_star_solves_its_equation():
    act = REGISTRY["tanh"]
    q, _, _ = solve_q_star(act, S2, 10)
    m2 = kernel_at(act, q).second_moment
    assert abs(q - (2 * S2 * m2 + 2 / 10)) < 1e-14


def test_table_path_matches_direct_path_for_large_n():
    data = sphere_data(1200, 10, 5)
    for name in ("tanh", "relu"):
        act = REGISTRY[name]
        table = population_gram(act, data.x, S2, table_above=1000)
        direct = population_gram(act, data.x, S2, table_above=10**9)
        assert (table.gram - direct.gram).abs().max() <= table.error + 1e-14
        assert "table" in table.method


def test_divergence_is_a_clear_error():
    with pytest.raises(SolverError, match="diverges"):
        population_gram(REGISTRY["exp"], sphere_data(5, 3, 0).x, S2)


@pytest.mark.parametrize("name", ["sin", "tanh", "relu", "gelu", "square"])
def test_lambda_star_positive_with_a_certificate_below_it(name, data):
    act = resolve(name)
    gram = population_gram(act, data.x, S2)
    mu = hermite_float(act, 200, gram.q_star)
    cert = hermite_certificate(mu.values, mu.error, gram.corr)
    lam = float(eigenvalues(gram.gram)[0])
    assert 0 < cert.value <= lam
    assert check_lambda_star(gram, cert, False).status is Status.PASS


def test_identity_gives_zero_lambda_star_and_fail():
    data = sphere_data(30, 10, 0)  # n > d: the linear kernel has rank d
    act = resolve("x")
    gram = population_gram(act, data.x, S2)
    mu = hermite_float(act, 20, gram.q_star)
    cert = hermite_certificate(mu.values, mu.error, gram.corr)
    result = check_lambda_star(gram, cert, True)
    assert result.status is Status.FAIL and abs(result.value) <= result.bound


def test_square_is_positive_definite_through_the_deq_recursion():
    """x² has two Hermite modes, yet G* ≻ 0 with n = 100 > 55 quadratic forms in d = 10: the
    fixed point puts every Hadamard power of XXᵀ into Σ*. Certified, not just measured."""
    data = sphere_data(100, 10, 1)
    act = resolve("square")
    gram = population_gram(act, data.x, S2)
    mu = hermite_float(act, 10, gram.q_star)
    cert = hermite_certificate(mu.values, mu.error, gram.corr)
    assert cert.value > 1e-3


def test_antipodal_data_make_odd_phi_singular():
    x = sphere_data(8, 5, 0).x
    x[1] = -x[0]
    act = REGISTRY["sin"]
    gram = population_gram(act, x, S2)
    mu = hermite_float(act, 100, gram.q_star)
    cert = hermite_certificate(mu.values, mu.error, gram.corr)
    assert check_lambda_star(gram, cert, False).status is Status.FAIL


def test_infinite_width_ntk_is_the_limit_of_the_empirical_one(data):
    """‖Θ/m - Θ*‖/‖Θ*‖ shrinks about like 1/sqrt(m)."""
    from numeric.deq import adjoint, equilibrium, init_params, ntk

    act = REGISTRY["tanh"]
    gram = population_gram(act, data.x, S2)
    theta_star = ntk_infinite(act, gram, S2)
    errs = []
    for m in (128, 2048):
        p, _ = init_params(m, 10, S2, 1.0, 0)
        z, s, _ = equilibrium(act, p, data.x)
        v, _ = adjoint(act, p.W, s, p.a)
        errs.append(float((ntk(z, v, data.x) / m - theta_star).norm() / theta_star.norm()))
    assert errs[1] < errs[0] / 2  # 16× width: 1/sqrt(m) predicts a factor 4
    assert errs[1] < 8 / math.sqrt(2048)
