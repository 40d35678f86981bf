"""The one error bar of every float eigvalsh (numeric.spectrum.eig_error), against eigenvalues of
the same matrix computed in 50-digit arithmetic (mpmath), in float64 and float32."""

from __future__ import annotations

import mpmath
import pytest
import torch

from numeric.spectrum import eig_error, eigenvalues


def _exact_eigenvalues(m: torch.Tensor) -> list[float]:
    """Ascending eigenvalues of the matrix whose entries are exactly ``m``'s, at 50 digits."""
    with mpmath.workdps(50):
        a = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in m.tolist()])
        return sorted(float(e) for e in mpmath.eigsy(a, eigvals_only=True))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_the_eigvalsh_error_bar_holds_and_takes_epsilon_from_the_dtype(dtype):
    g = torch.Generator().manual_seed(3)
    a = torch.randn(24, 24, generator=g, dtype=torch.float64)
    m = ((a + a.T) / 2).to(dtype)
    computed = eigenvalues(m).to(torch.float64)
    exact = torch.tensor(_exact_eigenvalues(m), dtype=torch.float64)
    err = float((computed - exact).abs().max())
    bar = eig_error(m, 0.0)
    assert err <= bar
    if dtype is torch.float32:  # float64's epsilon would be 2^29 times too small here
        assert err > bar * torch.finfo(torch.float64).eps / torch.finfo(torch.float32).eps
