import pytest

from numeric.data import sphere_data
from numeric.gram import population_gram
from numeric.ntk import ntk_infinite
from numeric.spectrum import eigenvalues
from numeric.training import check_lambda0, check_linear_rate, fit_rate, train
from symbolic import REGISTRY, Status, VerifyError

S2 = 1 / 16


@pytest.mark.parametrize("name", ["sin", "tanh"])
def test_default_settings_converge_linearly_at_the_predicted_rate(name):
    act = REGISTRY[name]
    data = sphere_data(20, 10, 0)
    gram = population_gram(act, data.x, S2)
    theta = ntk_infinite(act, gram, S2)
    res = train(act, data, width=256, sigma_w2=S2, lip=1.0, steps=150, seed=0, theta_star=theta)
    lam_star = float(eigenvalues(gram.gram)[0])
    assert lam_star > 0
    assert check_lambda0(res, lam_star).status is Status.PASS
    assert check_linear_rate(res).status is Status.PASS
    assert res.rate.max_ratio <= res.rate_bound
    # Lazy regime (NTK drift ~1%): measured rate within 1e-3 of the Θ(0) linearization, and
    # within 5e-3 of the infinite-width one (Θ(0)/m differs from Θ* by O(1/sqrt(m)) ≈ 6%).
    assert res.history.ntk_drift[-1] < 0.05
    assert res.rate.rate == pytest.approx(res.rate_finite, abs=1e-3)
    assert res.rate.rate == pytest.approx(res.rate_infinite, abs=5e-3)
    assert res.well_posed and res.lambda_kept


def test_too_large_a_step_is_caught():
    act = REGISTRY["tanh"]
    data = sphere_data(10, 5, 0)
    ok = train(act, data, width=128, sigma_w2=S2, lip=1.0, steps=40, seed=0)
    bad = train(act, data, width=128, sigma_w2=S2, lip=1.0, steps=40, seed=0, lr=2.5 / ok.ntk_max)
    assert check_linear_rate(bad).status is Status.FAIL


def test_rate_fit_on_an_exact_geometric_sequence():
    loss = [3.0 * 0.9**k for k in range(60)]
    fit = fit_rate(loss)
    assert fit.rate == pytest.approx(0.9, rel=1e-12) and fit.r2 == pytest.approx(1.0)
    with pytest.raises(VerifyError):
        fit_rate([1.0, 0.0, 0.0])
