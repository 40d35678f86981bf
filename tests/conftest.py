import os

import mpmath
import pytest
import torch

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


#: The test files that take longest (pytest --durations summed per file, Dec 2026), longest
#: first. Under ``-n 2 --dist loadfile`` a worker takes a whole file at a time, so the suite ends
#: when the later of the two workers does: dealt longest first (with --no-loadscope-reorder in
#: pyproject.toml, which keeps this order instead of xdist's by-number-of-tests), the short files
#: fill in at the end and the two workers finish within seconds of each other. A file missing
#: here only runs later, in name order.
LONGEST_FIRST = (
    "test_cli.py",
    "test_study.py",
    "test_soundness.py",
    "test_hermite.py",
    "test_user_files.py",
    "test_conditions.py",
    "test_api.py",
    "test_findings.py",
    "test_certificates.py",
    "test_exports.py",
    "test_theorems.py",
    "test_singular.py",
    "test_study_control.py",
    "test_api_objects.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole
