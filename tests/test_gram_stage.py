"""The gram stage's economies, each against an independent dense computation: symmetric
matrices read by one triangle, Rump's test factored in place, the series certificate without
n×n copies, the float Hermite bound's powers by squares, the table lookup, and the skipped
informational spectra (--spectra)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from flint import ctx

import numeric.symmetric as sym
from numeric.data import sphere_data
from numeric.gram import population_gram_unit as population_gram
from numeric.lambda_certificate import certify_lambda_star
from numeric.mehler import horner
from numeric.ntk import ntk_infinite
from numeric.positive_definite import (
    cholesky_lower_bound,
    inverse_iteration,
    rayleigh_upper,
    shifted_cholesky_,
)
from numeric.spectrum import _gershgorin_levels, _gershgorin_scan, eigenvalues
from symbolic import REGISTRY
from symbolic.hermite_balls import tails
from verify.checks import run_checks
from verify.plots import make_plots
from verify.render import render_text, to_json
from verify.results import Condition
from verify.settings import PopulationSettings, PrecisionSettings, Settings, StudySettings

QUICK = Settings(
    train=False,
    study=StudySettings(width_sweep=False),
    precision=PrecisionSettings(hermite_terms=8, dps=20),
)


@pytest.mark.parametrize("block", [1, 37, 200, 10_000])
def test_one_triangle_helpers_match_dense_references(monkeypatch, block):
    monkeypatch.setattr(sym, "BLOCK", block)
    gen = torch.Generator().manual_seed(block)
    for n in (1, 2, 7, 23):
        a = torch.randn(n, n, generator=gen, dtype=torch.float64)
        upper = torch.triu(a) + torch.triu(a, 1).T
        assert torch.equal(sym.mirror_upper_(a.clone()), upper)
        assert torch.equal(sym.maximum_mirror_(a.clone()), torch.maximum(a, a.T))
        assert sym.is_symmetric(upper) and (n == 1 or not sym.is_symmetric(a))
        d = torch.randn(n, generator=gen, dtype=torch.float64)
        want = upper.clone()
        want.diagonal().copy_(d)
        junk = torch.tril(torch.randn(n, n, generator=gen, dtype=torch.float64)) + torch.triu(a, 1)
        step = sym.row_step(n)
        rows = [sym.symmetric_rows(junk, r, min(n, r + step), d) for r in range(0, n, step)]
        assert torch.equal(torch.cat(rows), want)  # the lower triangle of junk is never read


def _spd(n: int, seed: int, floor: float) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    lam = torch.linspace(floor, 1.0, n, dtype=torch.float64)
    a = (q * lam) @ q.T
    return sym.mirror_upper_(a)


def test_rump_in_place_is_the_copying_test_and_leaves_the_factor():
    a = _spd(60, 1, 1e-3)
    for shift in (0.5e-3, 0.9e-3, 2e-3):  # two below λ_min, one above
        want = cholesky_lower_bound(a, shift)
        work = a.clone()
        got = shifted_cholesky_(work, shift)
        assert got == want
        if got is not None:
            factor = torch.tril(work.mT)
            shifted = a - shift * torch.eye(60, dtype=torch.float64)
            assert torch.allclose(factor @ factor.T, shifted, atol=1e-13)
    assert cholesky_lower_bound(a, 2e-3) is None
    # the inverse iteration on that factor finds λ_min's eigenvector (eigh, independently)
    work = a.clone()
    assert shifted_cholesky_(work, 0.9e-3) is not None
    v = inverse_iteration(work.mT)
    w = torch.linalg.eigh(a)[1][:, 0]
    assert abs(float(v @ w)) > 1 - 1e-9


def test_series_certificate_without_copies_is_the_dense_one():
    """n = 40 on the series route (the closed form disabled): Rump's bound is that of a dense
    Ã = Horner(ρ̃) from the certificate's own coefficients, ‖R‖_F is the dense norm within its
    margin, the upper end the dense Rayleigh bound, and the file's ρ̃ is Σ̃/q̃."""
    act, s2 = REGISTRY["tanh"], 1 / 16
    x = sphere_data(40, 5, 3, 0.1).x
    g = population_gram(act, x, s2, (1.0, 1.0, 1.0), PopulationSettings())
    lam = float(eigenvalues(g.gram)[0])
    c = certify_lambda_star(
        act, x, s2, g.sigma, g.q_star, lam, tails(act), terms=24, prec=128, q_steps=200,
        dual_max_n=0,
    )  # fmt: skip
    e = c.evidence
    rho = (g.sigma / g.q_star).clamp(-1, 1)
    rho.fill_diagonal_(1.0)
    assert torch.equal(e.rho, rho)
    coeffs = torch.tensor([float(a.mid()) for a in e.coefficients], dtype=torch.float64)
    mid = horner(coeffs, rho)
    old, ctx.prec = ctx.prec, 128  # the certificate's own precision
    try:
        assert c.cholesky_bound == cholesky_lower_bound(mid, e.shift) and c.cholesky_bound > 0
    finally:
        ctx.prec = old
    assert torch.equal(e.rho_radius, e.rho_radius.T) and float(e.rho_radius.diagonal().max()) == 0
    # R from its formula, densely (horner_err and the slope D = Σ k a_k recomputed here)
    slope = sum(k * float(a.mid()) for k, a in enumerate(e.coefficients)) * (1 + 1e-12)
    radius = e.rho_radius * slope + 2**-53 * 2 * mid.abs()
    frob = float(torch.linalg.norm(radius))
    assert frob < c.frobenius < 1e-3  # horner_err adds to every entry: a strict lower end
    assert c.lower < c.cholesky_bound - frob + c.tail
    upper, _ = rayleigh_upper(mid, radius, 0.0, float("nan"))  # eigh's vector, dense
    assert c.lower < lam < c.upper and c.upper >= upper * (1 - 1e-9)


def test_the_float_g_standing_in_for_the_midpoint_pays_its_gap():
    """With G̃ given, the Rayleigh product reads G̃ with R + max|G̃ - Ã|: the lower end is the
    same, and a G̃ lowered by 1e-6·I (far beyond the float error) still leaves the upper end
    above the proved lower end (a dropped gap would put it 1e-6 below)."""
    act, s2 = REGISTRY["tanh"], 1 / 16
    x = sphere_data(40, 5, 3, 0.1).x
    g = population_gram(act, x, s2, (1.0, 1.0, 1.0), PopulationSettings())
    lam = float(eigenvalues(g.gram)[0])
    kw = dict(terms=24, prec=128, q_steps=200, dual_max_n=0)
    args = (act, x, s2, g.sigma, g.q_star, lam, tails(act))
    alone = certify_lambda_star(*args, **kw)
    same = certify_lambda_star(*args, **kw, gram_float=g.gram)
    assert same.lower == alone.lower and same.upper >= alone.lower
    # looser by n·max|G̃ - Ã|: with 24 terms Ã = G_N misses the tail that G̃ holds (~1e-9)
    assert alone.upper < same.upper < alone.upper * (1 + 1e-3)
    low = g.gram - 1e-6 * torch.eye(40, dtype=torch.float64)
    shifted = certify_lambda_star(*args, **kw, gram_float=low)
    assert shifted.lower == alone.lower and shifted.upper > alone.upper >= alone.lower


def test_float_hermite_bound_reads_c_itself_and_squares_powers():
    gen = torch.Generator().manual_seed(3)
    n, terms = 700, 60  # n > 600: the geometric grid, powers grown by squares
    c = torch.rand(n, n, generator=gen, dtype=torch.float64) * 0.04
    c = (c + c.T) / 2
    c[5, 9] = c[9, 5] = -0.95  # a sign only |C| sees
    c.fill_diagonal_(1.0)
    off = c.abs()
    off.fill_diagonal_(0)
    levels, rho_max = _gershgorin_scan(c, terms, block=5000)
    assert rho_max == 0.95 and torch.equal(levels, _gershgorin_levels(off, terms, block=5000))
    direct = [1 - float((off.double() ** r).sum(dim=1).max()) for r in range(terms)]
    for r in range(1, terms):  # below the level at r's grid point, within its allowance
        at = min(k for k in range(r + 1) if float(levels[k]) == float(levels[r]))
        gap = direct[at] - float(levels[r])
        assert 0 <= gap <= 4 * (at + n) * 2**-53 * (1 - direct[at]) + 2**-50 * (2 - direct[at])


def test_skipped_spectra_are_null_and_named_and_theta_is_built_on_use():
    """Without --spectra (test_cli's golden run checks them with it, against numpy)."""
    v = run_checks(replace(QUICK, activation="sin"))
    pop = v.population
    assert pop.lambda_min_sigma is None and pop.ntk_min is None and pop.certificate is None
    doc = to_json(v)["gram"]
    assert doc["skipped"] == [
        "lambda_min_sigma",
        "certificate",
        "certificate_gershgorin",
        "ntk_lambda_min",
    ]
    assert doc["lambda_min_sigma"] is None and doc["ntk_lambda_min"] is None
    assert doc["certificate"] is None and doc["certificate_gershgorin"] is None
    text = render_text(v)
    assert (
        "λ_min(Σ*) = not computed (--spectra); float Hermite bound not computed (--spectra);"
        in text
    )
    lam = v.condition(Condition.LAMBDA_STAR_POSITIVE)
    assert "float Hermite bound not computed (--spectra); G* by " in lam.detail
    figure = make_plots(v)["gram"]  # G*'s spectrum without the bound's line
    assert figure.data["hermite_bound"] is None
    legend = [t.get_text() for t in figure.figure.axes[0].get_legend().get_texts()]
    assert not any("Hermite" in t for t in legend) and legend[0] == "eig(G*)"
    assert "theta_star" not in vars(pop)  # not built by the stage
    theta = pop.theta_star  # built on first use, for training and the study, then kept
    assert pop.theta_star is theta
    want = ntk_infinite(REGISTRY["sin"], pop.gram, v.sigma_w2, v.model.a_scale)
    assert torch.equal(theta, want)
