import math
import re
from dataclasses import replace

import pytest
import torch

from numeric.data import sphere_data
from numeric.deq import adjoint, empirical_ntk, equilibrium
from numeric.gram import population_gram_general, solve_q_star
from numeric.kernel import kernel_at
from numeric.ntk import ntk_infinite
from numeric.spectrum import spectral_bounds
from symbolic import REGISTRY, SolverError, resolve
from tests.helpers import POP, S2, SOLVE, certificate, certified, eigmin, gram, params
from tests.known import dual_reference
from verify import verdicts
from verify.results import Status


@pytest.fixture(scope="module")
def data():
    return sphere_data(20, 10, 0, 0.1)


@pytest.mark.parametrize("name", ["sin", "tanh", "relu", "step", "gelu"])
def test_fast_path_matches_general_recursion(name, data):
    """Scalar q* + elementwise solve vs the matrix recursion with per-input variances."""
    act = REGISTRY[name]
    fast = gram(act, data.x)
    points = None if act.dual is not None else 48
    general = population_gram_general(
        act,
        data.x,
        S2,
        tol=1e-13 if points is None else 1e-9,
        max_steps=2000,
        quadrature_points=points,
    )
    # general path: closed form (1e-13) or 48² Gauss–Hermite per pair (~1e-11 for smooth φ)
    assert (fast.gram - general.gram).abs().max() < 1e-10


def test_general_recursion_tracks_each_inputs_variance():
    """Inputs of different norms: an independent loop with theory §2's closed form for sin."""
    gen = torch.Generator().manual_seed(3)
    scales = torch.tensor([0.5, 1, 1.5, 2, 0.7, 1.2], dtype=torch.float64)
    x = torch.randn(6, 4, generator=gen, dtype=torch.float64) * scales[:, None]
    got = population_gram_general(
        REGISTRY["sin"], x, S2, tol=1e-13, max_steps=2000, quadrature_points=None
    )
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
    q = solve_q_star(act, S2, 10, POP).value
    m2 = kernel_at(act, q, POP.series_terms).second_moment
    assert abs(q - (2 * S2 * m2 + 2 / 10)) < 1e-14


def test_table_path_matches_direct_path_for_large_n():
    from numeric.gram import population_gram_unit
    from tests.helpers import UNKNOWN_SUPS

    data = sphere_data(1200, 10, 5, 0.1)
    for name in ("tanh", "relu"):
        act = REGISTRY[name]
        table = population_gram_unit(act, data.x, S2, UNKNOWN_SUPS, replace(POP, table_above=1000))
        direct = population_gram_unit(
            act, data.x, S2, UNKNOWN_SUPS, replace(POP, table_above=10**9)
        )
        # the table's error bar covers interpolation; the direct path's own error is ~1e-15
        assert (table.gram - direct.gram).abs().max() <= table.error + 1e-14
        assert (table.sigma - direct.sigma).abs().max() <= table.error + 1e-14  # F(s) too
        assert "table" in table.method


def test_divergence_is_a_clear_error_with_the_existence_range():
    """exp at σ_w² = 1/16, d = 3: the variance map runs away; the message gives the σ_w² below
    which T(q) = 2σ_w²e^{2q} + 2/d has a fixed point: sup_q (q - 2/3)/(2e^{2q}) at q = 7/6 (where
    the derivative 1 - 2(q - 2/3) vanishes), e^{-7/3}/4 = 0.024242... (a grid estimate)."""
    with pytest.raises(SolverError, match="runs away") as caught:
        gram(REGISTRY["exp"], sphere_data(5, 3, 0, 0.1).x, S2)
    found = float(re.search(r"σ_w² ≤ ([0-9.e+-]+)", str(caught.value)).group(1))
    assert found == pytest.approx(math.exp(-7 / 3) / 4, rel=1e-3)  # the grid's resolution
    assert "estimated" in str(caught.value)


def _lambda_verdict(act, g, x, singular=None):
    return verdicts.lambda_star_positive(
        spectral_bounds(g.gram, g.error),
        certificate(act, g),
        certified(act, g, x),
        g.method,
        singular,
    )


@pytest.mark.parametrize("name", ["sin", "tanh", "relu", "gelu"])
def test_lambda_star_positive_with_a_certificate_below_it(name, data):
    act = resolve(name)
    g = gram(act, data.x)
    cert = certificate(act, g)
    assert 0 < cert.value <= eigmin(g.gram)
    result = _lambda_verdict(act, g, data.x)
    assert result.status is Status.PASS and result.enclosure[0] > 0


def test_square_lambda_star_is_not_certified_without_a_finite_l():
    """x² has L = ∞: no growth bound for the Gaussian tails, so no enclosure; the float value
    alone never makes a PASS."""
    data = sphere_data(20, 10, 0, 0.1)
    act = resolve("square")
    g = gram(act, data.x)
    result = verdicts.lambda_star_positive(
        spectral_bounds(g.gram, g.error), certificate(act, g), "no certified L", g.method, None
    )
    assert eigmin(g.gram) > 1e-4 and result.status is Status.INCONCLUSIVE


def test_identity_gives_zero_lambda_star_and_fail():
    from numeric.data import max_correlation
    from symbolic.polynomial import polynomial_fact
    from verify.checks import singular_gram

    data = sphere_data(30, 10, 0, 0.1)  # n > d + 1: the affine kernel has rank ≤ d + 1
    act = resolve("x")
    why = singular_gram(act, data, max_correlation(data.x), polynomial_fact(act, None))
    assert "affine" in why and "rank" in why
    g = gram(act, data.x)
    result = _lambda_verdict(act, g, data.x, singular=why)
    assert result.status is Status.FAIL and abs(result.value) <= result.error
    assert result.enclosure[0] <= 0 <= result.enclosure[1]  # the enclosure contains λ* = 0


def test_square_is_positive_definite_through_the_deq_recursion():
    """x² has two Hermite modes, yet G* ≻ 0 with n = 100 > 55 quadratic forms in d = 10: the
    fixed point puts every Hadamard power of XXᵀ into Σ*. Certified, not just measured."""
    data = sphere_data(100, 10, 1, 0.1)
    act = resolve("square")
    assert certificate(act, gram(act, data.x), terms=10).value > 1e-3  # measured 2.5e-3


def test_antipodal_data_make_odd_phi_singular():
    x = sphere_data(8, 5, 0, 0.1).x
    x[1] = -x[0]
    act = REGISTRY["sin"]
    # zero within the bar is not a refutation by itself (φ is no polynomial) ...
    plain = _lambda_verdict(act, gram(act, x), x)
    assert plain.status is Status.INCONCLUSIVE and plain.enclosure[0] <= 0  # λ* = 0: no proof
    # ... the proof is: opposite inputs and an odd φ give opposite rows of G*
    from numeric.data import Dataset, max_correlation
    from verify.checks import singular_gram

    why = singular_gram(act, Dataset(x, x[:, 0], "test"), max_correlation(x))
    assert why is not None and "opposite" in why
    assert _lambda_verdict(act, gram(act, x), x, singular=why).status is Status.FAIL
    assert singular_gram(REGISTRY["cos"], Dataset(x, x[:, 0], "t"), max_correlation(x)) is None


def _mean_empirical_ntk(act, x, m, seeds, sigma_w2, a_scale):
    total = 0
    for seed in seeds:
        p, _ = params(m, x.shape[1], seed, sigma_w2=sigma_w2, a_scale=a_scale)
        eq = equilibrium(act, p, x, None, SOLVE)
        v = adjoint(act, p.W, eq.s, p.a, None, SOLVE).v
        total = total + empirical_ntk(eq.value, v, x) / m
    return total / len(seeds)


def test_infinite_width_ntk_is_the_limit_of_the_empirical_one(data):
    """Θ* = G*∘(1 + A·P), P = Ġ/(1 - 2σ_w²Ġ), against the empirical Θ/m averaged over 6 seeds,
    at σ_w² = 0.1 and A = 4 (a_j ~ N(0, 4/m)), where the factor 1/(1 - 2σ_w²Ġ) and A matter.

    Measured: relative error 0.10 at m = 128 and 0.049 at m = 512, the m^(-1/2) decay (a factor
    2). Held to: a decay of at least 1.25 (seed scatter) and 0.08 at m = 512. P = Ġ would move
    Θ* by 11% (error 0.14 at both widths) and a dropped A by 57%."""
    act, s2, a_scale = REGISTRY["tanh"], 0.1, 4.0
    theta = ntk_infinite(act, gram(act, data.x, s2), s2, a_scale)
    errs = [
        float((_mean_empirical_ntk(act, data.x, m, range(6), s2, a_scale) - theta).norm())
        / float(theta.norm())
        for m in (128, 512)
    ]
    assert errs[1] < errs[0] / 1.25
    assert errs[1] < 0.08


@pytest.mark.parametrize("name", ["tanh", "relu"])
def test_kernel_slope_without_a_graph_matches_autograd(name):
    """tanh: the series' own derivative Σ n c_n (t/q)^{n-1}/q; relu: autograd in blocks. Both
    against autograd over the whole tensor (the same arithmetic, so ~1e-15 relative)."""
    act = REGISTRY[name]
    kernel = kernel_at(act, 0.7, POP.series_terms)
    t = torch.linspace(-0.69, 0.69, 1001, dtype=torch.float64)
    _, want = kernel.value_and_slope(t)
    assert (kernel.dfn is not None) is (name == "tanh")
    got = kernel.slope(t.reshape(7, 143), block=100).reshape(-1)
    assert torch.allclose(got, want, rtol=1e-13, atol=1e-15)


def test_table_lookup_in_blocks_is_exact_for_cubics_and_flags_bad_cells(monkeypatch):
    """Cubic Hermite interpolation reproduces a cubic exactly (both tables at once, values and
    slopes from the cubic); entries in a cell whose midpoint error exceeds the acceptance are
    flagged, and the largest error among the others is returned. Blocks of 7 entries."""
    import numeric.gram as gm

    monkeypatch.setattr(gm, "LOOKUP_BLOCK", 7)
    grid = torch.linspace(-1, 1, 9, dtype=torch.float64)
    h = 0.25
    f, df = grid**3 - grid, 3 * grid**2 - 1
    g, dg = 2 * grid**3, 6 * grid**2
    cell_err = torch.full((8,), 1e-14, dtype=torch.float64)
    cell_err[5] = 1e-3  # cell [0.25, 0.5)
    s = torch.tensor([[-0.9, 0.3, 0.1], [0.45, -0.2, 0.7], [0.26, 0.0, -0.55]], dtype=torch.float64)
    t, out, bad, used = gm._interp_both(h, (f, df), (g, dg), cell_err, 1e-12, s)
    assert torch.allclose(t, s**3 - s, atol=1e-15) and torch.allclose(out, 2 * s**3, atol=1e-15)
    assert torch.equal(bad, (s >= 0.25) & (s < 0.5))
    assert used == 1e-14
    # a symmetric s: the upper triangle looked up and mirrored gives bitwise the full lookup,
    # the flags included (blocks of one row: each row from its diagonal on)
    sym = torch.triu(s) + torch.triu(s, 1).T
    full = gm._interp_both(h, (f, df), (g, dg), cell_err, 1e-12, sym)
    half = gm._interp_both(h, (f, df), (g, dg), cell_err, 1e-12, sym, symmetric=True)
    assert all(torch.equal(a, b) for a, b in zip(full[:3], half[:3])) and full[3] == half[3]
    assert torch.equal(half[2], (sym >= 0.25) & (sym < 0.5)) and half[2].any()


def _exact_levels(off: torch.Tensor, terms: int) -> list:
    """1 - max_i Σ_j |C_ij|^r in 40-digit arithmetic from the float entries (independent of the
    blocked float route)."""
    import mpmath

    mpmath.mp.dps = 40
    rows = [[mpmath.mpf(v) for v in row] for row in off.tolist()]
    return [1 - max(mpmath.fsum(v**r for v in row) for row in rows) for r in range(1, terms)]


@pytest.mark.parametrize("seed", range(4))
def test_gershgorin_levels_stay_below_the_exact_ones_and_within_rounding(seed):
    from numeric.spectrum import _gershgorin_levels

    gen = torch.Generator().manual_seed(seed)
    n, terms = 9, 40
    off = torch.rand(n, n, generator=gen, dtype=torch.float64) * 0.6
    off = (off + off.T) / 2
    off.fill_diagonal_(0)
    exact = _exact_levels(off, terms)
    levels = _gershgorin_levels(off, terms)
    assert float(levels[0]) == 1 - (n - 1)
    for r in range(1, terms):
        # below the exact level (sums raised by γ_{r+n}, the last subtraction by 2u(1 + x));
        # within 4γ_{r+n} of the sum plus 4u of it
        gap = exact[r - 1] - float(levels[r])
        assert gap >= 0, (r, float(gap))
        assert gap <= 4 * (r + n) * 2**-53 * (1 - exact[r - 1]) + 2**-50 * (2 - exact[r - 1])


def test_gershgorin_levels_in_row_blocks_are_the_single_block_ones():
    from numeric.spectrum import _gershgorin_levels

    gen = torch.Generator().manual_seed(5)
    off = torch.rand(10, 10, generator=gen, dtype=torch.float64)
    off = (off + off.T) / 2
    off.fill_diagonal_(0)
    whole = _gershgorin_levels(off, 30, block=10_000)
    # 25 entries: two-row blocks (and a last one); each row's products and sum are the same ops
    assert torch.equal(_gershgorin_levels(off, 30, block=25), whole)
    assert torch.equal(_gershgorin_levels(off, 30, block=1), whole)


def test_gershgorin_grid_for_large_n_is_a_lower_step_function():
    from numeric.spectrum import _gershgorin_levels, gershgorin_grid

    n, terms = 601, 60
    gen = torch.Generator().manual_seed(6)
    off = torch.rand(n, n, generator=gen, dtype=torch.float64) * 0.02
    off = (off + off.T) / 2
    off[3, 4] = off[4, 3] = 0.9  # one large pair: the levels climb with r
    off.fill_diagonal_(0)
    grid = gershgorin_grid(n, terms)
    assert grid[:17] == list(range(17)) and 20 in grid and 18 not in grid
    levels = _gershgorin_levels(off, terms)
    direct = [1 - float((off**r).sum(dim=1).max()) for r in range(terms)]
    for r in range(1, terms):
        at = max(g for g in grid if g <= r)  # the grid point serving r
        assert float(levels[r]) == float(levels[at])
        assert float(levels[r]) <= direct[r] + 1e-15  # never above the level at r itself
        assert abs(float(levels[at]) - direct[at]) <= 1e-12  # rounding allowance only
    assert float(levels[19]) < direct[19] - 1e-6  # r = 19 is served by r = 17, visibly lower


def test_closed_form_pairs_in_row_blocks_are_the_textbook_duals(monkeypatch):
    import math

    import numeric.gram as gram_module

    gen = torch.Generator().manual_seed(4)
    x = torch.randn(9, 4, generator=gen, dtype=torch.float64)  # rows of different norms
    sigma = (2.0 / 4) * (x @ x.T)
    q = sigma.diagonal()
    q1, q2 = q[:, None], q[None, :]
    rho = (sigma / torch.sqrt(q1 * q2)).clamp(-1, 1)
    # theory §2, written out here: sin e^{-(q1+q2)/2} sinh c; relu √(q1q2)(√(1-ρ²)+(π-acos ρ)ρ)/2π
    want = {
        "sin": torch.exp(-(q1 + q2) / 2) * torch.sinh(sigma),
        "relu": torch.sqrt(q1 * q2)
        * (torch.sqrt((1 - rho**2).clamp(min=0)) + (math.pi - torch.acos(rho)) * rho)
        / (2 * math.pi),
    }
    monkeypatch.setattr(gram_module, "LOOKUP_BLOCK", 20)  # two-row blocks and a last one
    for name, expected in want.items():
        act = REGISTRY[name]
        closed = gram_module._closed_with_diagonal(act)
        got = gram_module._pair_expectations(act, sigma, closed, None)
        # a few ulps of entries ≤ max q (relu's textbook form cancels near ρ = -1: 1e-13 there)
        assert torch.allclose(got, expected, rtol=0, atol=1e-13), name
