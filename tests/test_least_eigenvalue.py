"""λ_min by shift-invert Lanczos on a Cholesky factor (numeric.least_eigenvalue), against
matrices built from a known spectrum (QΛQᵀ, Q from a seeded QR) and against eigvalsh: the value
within its error bar, the bar not wider than needed, and eigvalsh's route where the matrix is not
positive definite."""

import pytest
import torch

from numeric.least_eigenvalue import least_eigenvalue
from numeric.spectrum import Spectrum, eig_error, spectral_bounds


def _with_spectrum(values: list[float], seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    n = len(values)
    q, _ = torch.linalg.qr(torch.randn(n, n, dtype=torch.float64, generator=g))
    m = q @ torch.diag(torch.tensor(values, dtype=torch.float64)) @ q.T
    return (m + m.T) / 2


@pytest.mark.parametrize(
    "bottom",
    [
        [1e-3, 2e-3, 5e-3],  # separated
        [1e-6, 1e-6 * (1 + 1e-9), 1.1e-6],  # a cluster: any vector in it has θ within 1e-15
        [1e-10, 1.0, 1.0],  # condition 1e12
    ],
)
def test_the_least_eigenvalue_of_a_known_spectrum(bottom):
    rest = torch.linspace(0.01, 50.0, 197, dtype=torch.float64).tolist()
    m = _with_spectrum([*bottom, *rest])
    found = least_eigenvalue(m)
    assert found is not None
    bar = eig_error(m, 0.0) + found.residual
    assert abs(found.value - bottom[0]) <= bar
    assert found.residual <= 1e-12 * 50  # converged: the residual is at rounding level of ‖M‖
    assert abs(float(found.vector.norm()) - 1) < 1e-12
    v = found.vector  # θ = vᵀMv and the residual ‖Mv - θv‖ are those of the returned vector
    assert found.value == float(v @ (m @ v))
    assert found.residual == float((m @ v - found.value * v).norm()) > 0
    spec = spectral_bounds(m, 0.0)
    assert spec.lambda_min == found.value and spec.error == bar
    assert spec.method.startswith("shift-invert Lanczos")
    # the full spectrum, on first use only, agrees with the known one
    assert torch.allclose(
        spec.eigenvalues, torch.tensor(sorted([*bottom, *rest]), dtype=torch.float64), atol=bar
    )


def test_a_matrix_that_is_not_positive_definite_goes_to_eigvalsh():
    m = _with_spectrum([-1e-3, 1.0, 2.0, 3.0])
    assert least_eigenvalue(m) is None
    spec = spectral_bounds(m, 0.0)
    assert spec.method == "eigvalsh with backward-error bound"
    assert abs(spec.lambda_min + 1e-3) <= spec.error and spec.eigenvalues.shape == (4,)


def test_a_spectrum_needs_its_eigenvalues_or_lambda_min_and_the_matrix():
    with pytest.raises(ValueError):
        Spectrum(None, 1e-12)
    with pytest.raises(ValueError):
        Spectrum(None, 1e-12, least=1.0)


def test_a_matrix_not_exactly_symmetric_is_read_as_its_symmetric_part():
    """A known spectrum with a one-ulp-scale asymmetry added: λ_min is that of (M + Mᵀ)/2, by
    Lanczos and by the lazy eigvalsh alike; an exactly symmetric matrix is not copied."""
    from numeric.symmetric import symmetric_part

    m = _with_spectrum([1e-3, *torch.linspace(0.01, 5.0, 39, dtype=torch.float64).tolist()])
    assert symmetric_part(m) is m
    skew = torch.zeros_like(m)
    skew[0, 1], skew[1, 0] = 3e-4, -3e-4  # antisymmetric: (M + S + (M + S)ᵀ)/2 = M
    spec = spectral_bounds(m + skew, 0.0)
    assert torch.equal(symmetric_part(m + skew), (m + skew + (m + skew).T) / 2)
    assert abs(spec.lambda_min - 1e-3) <= spec.error
    assert abs(float(spec.eigenvalues[0]) - 1e-3) <= spec.error
