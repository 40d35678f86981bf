import os

import mpmath
import pytest
import torch
from hypothesis import settings

# The property tests draw the same examples on every run (a seed derived from each test's
# name), so the default suite's time and verdict are reproducible; the ``slow`` variants and
# DEQ_VERIFY_HYPOTHESIS=explore draw fresh examples (and keep failures in .hypothesis/).
settings.register_profile("seeded", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("DEQ_VERIFY_HYPOTHESIS", "seeded"))

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist (-n 2 in pyproject.toml) each worker computes on one thread, and so do
    # the processes its tests start: two workers with torch's default of one thread per core
    # would oversubscribe the cores (OpenMP threads spin waiting for each other).
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _precision_and_seed():
    """Every test starts at mpmath's default precision with torch seeded. torch's default dtype
    stays float32, as for a user: the library must ask for float64 itself."""
    mpmath.mp.dps = 15
    torch.manual_seed(0)
    yield
    mpmath.mp.dps = 15
