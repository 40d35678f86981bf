import mpmath
import pytest
import torch


@pytest.fixture(autouse=True)
def _precision_and_seed():
    """Every test starts at mpmath's default precision with torch seeded. torch's default dtype
    stays float32, as for a user: the library must ask for float64 itself."""
    mpmath.mp.dps = 15
    torch.manual_seed(0)
    yield
    mpmath.mp.dps = 15
