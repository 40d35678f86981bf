"""G* for inputs of different norms by the two-variance Mehler series (numeric.gram_variances),
against independent routes: 30-digit Hermite coefficients, closed-form duals, the unit-norm path
and 2-D Gauss–Hermite quadrature with 300² nodes at the solved variances."""

import pytest
import torch

from numeric.data import sphere_data
from numeric.gram import population_gram_general, population_gram_unit
from numeric.gram_variances import (
    paired_series,
    paired_series_and_slope,
    population_gram_variances,
)
from numeric.quadrature import dual_quadrature_2d, hermite_many
from symbolic import REGISTRY, SolverError, VerifyError, resolve
from symbolic.hermite import hermite_mp
from tests.helpers import POP, S2

SUPS = (1.0, 1.0, 1.0)  # tanh, sin: sup|φ| ≤ 1, L = 1, sup|φ''| ≤ 1


def _scaled(n: int, d: int, low: float, high: float) -> torch.Tensor:
    x = sphere_data(n, d, 0, 0.1).x
    return x * torch.linspace(low, high, n, dtype=torch.float64)[:, None]


@pytest.mark.parametrize("name", ["tanh", "relu", "exp", "gelu"])
def test_hermite_many_matches_30_digit_coefficients(name):
    act = REGISTRY[name]
    qs = ["0.1", "1.9"]  # the two ends of one shared rule: its radius and panels serve both
    h = hermite_many(act, torch.tensor([float(q) for q in qs], dtype=torch.float64), 20)
    for i, q in enumerate(qs):
        exact = hermite_mp(act, 20, q, dps=30).values
        # the shared float64 rule is asked to agree to FLOAT_TOL = 1e-13 relative to its size
        assert max(abs(float(e) - v) for e, v in zip(exact, h.mu[i].tolist())) <= 2e-13
    assert h.error <= 1e-13


def test_hermite_many_refuses_kinks_away_from_zero():
    with pytest.raises(VerifyError, match="kink away from 0"):
        hermite_many(resolve("max(x - 1, 0)"), torch.tensor([1.0], dtype=torch.float64), 5)


def test_paired_series_is_the_double_sum_in_any_row_blocks():
    gen = torch.Generator().manual_seed(0)
    mu = torch.randn(7, 6, generator=gen, dtype=torch.float64)
    rho = torch.rand(7, 7, generator=gen, dtype=torch.float64) * 2 - 1
    direct = sum(torch.outer(mu[:, k], mu[:, k]) * rho**k for k in range(6))
    whole = paired_series(mu, rho)
    # Horner against powers: a few ulps of Σ|terms| (≤ 6·max|μ|², ~ 60 here)
    assert torch.allclose(whole, direct, atol=1e-13, rtol=0)
    assert torch.equal(paired_series(mu, rho, block=14), whole)  # two-row blocks, same ops
    assert torch.equal(paired_series(mu, rho, block=1), whole)


def test_paired_series_short_form_cuts_only_the_small_correlations():
    gen = torch.Generator().manual_seed(1)
    mu = torch.randn(9, 6, generator=gen, dtype=torch.float64)
    rho = torch.rand(9, 9, generator=gen, dtype=torch.float64) * 2 - 1
    full = sum(torch.outer(mu[:, k], mu[:, k]) * rho**k for k in range(6))
    three = sum(torch.outer(mu[:, k], mu[:, k]) * rho**k for k in range(3))
    big = rho.abs() > 0.6
    assert 0 < int(big.sum()) < 81  # both kinds present
    for block in (10_000, 20, 1):  # one block, three-row blocks (gathers offset by i), rows
        got = paired_series(mu, rho, block, short=(3, 0.6))
        assert torch.allclose(got[big], full[big], atol=1e-13, rtol=0)
        assert torch.allclose(got[~big], three[~big], atol=1e-13, rtol=0)


def test_paired_slope_is_the_termwise_derivative_with_or_without_the_short_form():
    gen = torch.Generator().manual_seed(2)
    mu = torch.randn(9, 6, generator=gen, dtype=torch.float64)
    rho = torch.rand(9, 9, generator=gen, dtype=torch.float64) * 2 - 1
    big = rho.abs() > 0.6

    def deriv(terms):
        return sum(k * torch.outer(mu[:, k], mu[:, k]) * rho ** (k - 1) for k in range(1, terms))

    for short, want in ((None, deriv(6)), ((3, 0.6), torch.where(big, deriv(6), deriv(3)))):
        for block in (10_000, 20):
            value, slope = paired_series_and_slope(mu, rho, block, short=short)
            assert torch.equal(value, paired_series(mu, rho, block, short=short))
            assert torch.allclose(slope, want, atol=1e-12, rtol=0)  # ~100 ulps of Σ k|terms|


@pytest.mark.parametrize("name", ["tanh", "sin"])
def test_unit_rows_reproduce_the_unit_norm_path(name):
    act = REGISTRY[name]
    x = sphere_data(15, 6, 1, 0.1).x
    a = population_gram_variances(act, x, S2, SUPS, POP)
    b = population_gram_unit(act, x, S2, SUPS, POP)
    assert float((a.gram - b.gram).abs().max()) <= a.error + b.error
    assert float((a.sigma - b.sigma).abs().max()) <= a.error + b.error


@pytest.mark.parametrize("name", ["sin", "relu", "exp"])
def test_different_norms_match_the_closed_form_dual(name):
    act = REGISTRY[name]
    x = _scaled(12, 5, 0.5, 1.2 if name == "exp" else 2.0)
    sigma_w2 = 0.01 if name == "exp" else S2
    sups = (float("inf"), float("inf"), float("inf")) if name == "exp" else SUPS
    a = population_gram_variances(act, x, sigma_w2, sups, POP)
    c = population_gram_general(act, x, sigma_w2, tol=1e-14, max_steps=2000, quadrature_points=None)
    assert "distinct norms" in a.method
    # both solve the same equations; each bound covers its own iteration and truncation
    assert float((a.gram - c.gram).abs().max()) <= a.error + c.error
    assert float((a.sigma - c.sigma).abs().max()) <= a.error + c.error
    assert a.error < 1e-12  # and the bound is not vacuous


def test_tanh_with_different_norms_solves_the_recursion_by_independent_quadrature():
    act = REGISTRY["tanh"]
    x = _scaled(10, 5, 0.5, 2.0)
    a = population_gram_variances(act, x, S2, SUPS, POP)
    s, base = a.sigma, (2.0 / 5) * (x @ x.T)
    for i, j in [(0, 1), (2, 7), (8, 9), (4, 4)]:
        # E[φ(u)φ(v)] at the solved (Σ_ii, Σ_jj, Σ_ij) by 300² Gauss–Hermite nodes: tanh is
        # analytic in a strip, so 300² nodes are accurate to ~1e-15 at these variances (≤ 1.7)
        g = dual_quadrature_2d(act, float(s[i, i]), float(s[j, j]), float(s[i, j]), 300)
        assert abs(float(a.gram[i, j]) - g) <= a.error + 1e-14
        # and Σ* is the fixed point Σ = 2σ_w² G + (2/d) XXᵀ of that independent G
        assert abs(float(s[i, j]) - (2 * S2 * g + float(base[i, j]))) <= 2 * a.error + 1e-14
    assert "per-input variances" in a.method


def test_exp_without_a_fixed_point_for_its_largest_rows_is_a_clear_error():
    # q = 0.02 e^{2q} + 0.4 r² has no solution at r = 2: the iteration leaves every range
    with pytest.raises(SolverError, match="variance recursion diverges for exp"):
        population_gram_variances(REGISTRY["exp"], _scaled(6, 5, 0.5, 2.0), 0.01, SUPS, POP)


def test_zero_row_is_refused():
    x = _scaled(4, 3, 0.5, 1.5)
    x[2] = 0
    with pytest.raises(VerifyError, match="row 2 of x is zero"):
        population_gram_variances(REGISTRY["tanh"], x, S2, SUPS, POP)
