import mpmath
import pytest
import torch


@pytest.fixture(autouse=True)
def _precision_and_seed():
    """Every test starts at mpmath's default precision with torch seeded, in float64."""
    mpmath.mp.dps = 15
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float64)
    yield
    mpmath.mp.dps = 15
    torch.set_default_dtype(torch.float32)
