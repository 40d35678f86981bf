"""Population Gram matrix and λ* for n = 1000 and 4000 (unit-norm fast path) against plain
2-D Gauss–Hermite quadrature over all pairs (the general recursion), timed in this run.

The baseline at these sizes takes hours: it is timed on a block of rows for one iteration and
extrapolated to all rows and the number of iterations the recursion needs (printed as such).

    python benchmarks/bench_gram.py
"""

from __future__ import annotations

import time

import torch

from numeric.data import sphere_data
from numeric.gram import population_gram
from numeric.quadrature import pair_expectation_2d
from numeric.spectrum import eigenvalues
from symbolic import REGISTRY
from verify.settings import Settings

S2 = 1 / 16


def baseline_seconds(act, x, steps: int, rows: int = 8, points: int = 48) -> float:
    """Seconds for ``steps`` + 1 sweeps of the all-pairs quadrature recursion, from timing
    ``rows`` rows of one sweep (the general recursion does exactly n such rows per sweep)."""
    n, d = x.shape
    sigma = (2.0 / d) * (x[:rows] @ x.T)
    q = torch.full((n,), 2.0 / d, dtype=torch.float64)
    t0 = time.perf_counter()
    for i in range(rows):
        pair_expectation_2d(act, float(q[i]), q, (sigma[i] / q[i]).clamp(-1, 1), points)
    per_row = (time.perf_counter() - t0) / rows
    return per_row * n * (steps + 1)


def main() -> None:
    for name in ("tanh", "sin"):
        act = REGISTRY[name]
        for n in (1000, 4000):
            x = sphere_data(n, 10, 0, 0.1).x
            t0 = time.perf_counter()
            g = population_gram(act, x, S2, (1.0, 1.0, 1.0), Settings().population)
            t_gram = time.perf_counter() - t0
            t0 = time.perf_counter()
            lam = float(eigenvalues(g.gram)[0])
            t_eig = time.perf_counter() - t0
            base = baseline_seconds(act, x, g.steps)
            print(
                f"{name:5s} n={n}: G* {t_gram:.2f} s ({g.method}; error ≤ {g.error:.1e}), "
                f"eigvalsh {t_eig:.2f} s, λ* = {lam:.3e}; all-pairs 48² quadrature ≈ "
                f"{base:.0f} s (extrapolated, {g.steps + 1} iterations): ratio "
                f"{base / t_gram:.0f}x; G* + λ* = {(t_gram + t_eig) / t_eig:.2f}× one eigvalsh"
            )


if __name__ == "__main__":
    main()
