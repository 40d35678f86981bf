"""The proved upper bound on ‖W‖₂ (numeric.operator_norm) against singular values and exact
norms."""

import math

import mpmath
import pytest
import torch

from numeric import operator_norm
from numeric.operator_norm import frobenius_upper, spectral_norm_bound
from numeric.training import drift_upper
from symbolic.enclosure import float_down, float_up


@pytest.mark.parametrize("shape", [(1, 1), (7, 7), (200, 200), (40, 300), (300, 40)])
def test_bound_is_above_the_singular_value_and_within_1e8(shape):
    gen = torch.Generator().manual_seed(sum(shape))
    w = torch.randn(*shape, generator=gen, dtype=torch.float64) / math.sqrt(shape[1])
    b = spectral_norm_bound(w)
    svd = float(torch.linalg.svdvals(w)[0])
    # the SVD's own error is a few ulps of ‖W‖₂; the bound's widening is δ = 1e-9 plus Rump's
    # Cholesky allowance (~ m·u·tr), both far below 1e-8 at these sizes
    assert svd * (1 - 1e-14) <= b.upper <= svd * (1 + 1e-8)
    # the Cholesky test passes only above λ_max(WᵀW)(1 + δ), δ ≥ 1e-9: an unwidened estimate
    # returned as the bound would sit within ulps of the singular value
    assert b.upper >= svd * (1 + 1e-10)
    assert b.estimate == pytest.approx(svd, rel=1e-12)  # Lanczos converged to the top
    assert "Lanczos + Cholesky" in b.method


def test_bound_holds_for_a_matrix_of_exactly_known_norm():
    # a scaled permutation: its singular values are exactly |values|, the largest 0.75
    values = torch.tensor([0.3, -0.75, 0.5, 0.7499999999, 0.1], dtype=torch.float64)
    w = torch.diag(values)[[2, 0, 4, 1, 3]]
    b = spectral_norm_bound(w)
    assert 0.75 <= b.upper <= 0.75 * (1 + 1e-8)
    assert spectral_norm_bound(torch.zeros(3, 4, dtype=torch.float64)).upper == 0.0


def test_failed_cholesky_falls_back_to_the_frobenius_norm(monkeypatch):
    monkeypatch.setattr(operator_norm, "WIDENINGS", ())
    w = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64)  # ‖W‖_F = 5 = ‖W‖₂
    b = spectral_norm_bound(w)
    assert b.method.startswith("Frobenius")
    assert 5.0 <= b.upper <= 5.0 * (1 + 1e-14)


def test_frobenius_and_drift_bounds_contain_the_exact_values():
    gen = torch.Generator().manual_seed(3)
    w = torch.randn(30, 20, generator=gen, dtype=torch.float64)
    a = w + 1e-3 * torch.randn(30, 20, generator=gen, dtype=torch.float64)
    mpmath.mp.dps = 40
    exact2 = mpmath.fsum(mpmath.mpf(v) ** 2 for v in w.flatten().tolist())
    ball = frobenius_upper(float((w * w).sum()), w.numel())
    assert mpmath.mpf(float_down(ball)) <= exact2 <= mpmath.mpf(float_up(ball))
    assert float_up(ball) <= float(exact2) * (1 + 1e-12)
    diff = mpmath.sqrt(
        mpmath.fsum(
            (mpmath.mpf(p) - mpmath.mpf(q)) ** 2
            for p, q in zip(w.flatten().tolist(), a.flatten().tolist())
        )
    )
    up = drift_upper(float(((w - a) ** 2).sum()), w.numel())
    assert diff <= up <= diff * (1 + 1e-12)


def test_degenerate_matrices():
    """Zero (bound 0, estimate 0, said so), a Frobenius norm of exactly 1, a first column of
    zeros (Lanczos starts from WᵀW's first column: here the zero vector) — each bound ≥ ‖W‖₂."""
    zero = spectral_norm_bound(torch.zeros(2, 3, dtype=torch.float64))
    assert (zero.upper, zero.estimate, zero.method) == (0.0, 0.0, "W = 0")
    one = spectral_norm_bound(torch.tensor([[1.0]], dtype=torch.float64))
    assert 1.0 <= one.upper <= 1 + 1e-8
    blind = spectral_norm_bound(torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64))
    assert 1.0 <= blind.upper <= 1 + 1e-8


def test_the_first_widening_is_the_tight_one():
    """At δ = 1e-9 the Cholesky test passes for a random W: the bound sits within 1e-9 of the
    singular value (the next widening, 1e-6, would be 1000× looser)."""
    gen = torch.Generator().manual_seed(9)
    w = torch.randn(60, 40, generator=gen, dtype=torch.float64)
    b = spectral_norm_bound(w)
    svd = float(torch.linalg.svdvals(w)[0])
    assert svd <= b.upper <= svd * (1 + 1e-9) and "δ = 1e-09" in b.method
