"""Population Gram matrix and λ* against the operation that bounds them, timed in this run.

Unit-norm rows (the CLI's data): G* by the one-variance path (directly for n ≤ 1000, from the
checked table of F(s) above), then λ* = λ_min(G*) by one eigvalsh; printed against one eigvalsh
of the same matrix (the limit: G* + λ* cannot cost less than λ*), and against plain 2-D
Gauss–Hermite quadrature over all pairs (the general recursion, timed on a block of rows for one
iteration and extrapolated, since it takes hours at these sizes).

Rows of different norms (norms spread over [0.5, 2]): the two-variance Mehler path, which has no
table, against the same eigvalsh.

    python benchmarks/bench_gram.py [--device cuda] [--sizes 1000 4000 8000]
        [--variance-sizes 1000 2000 4000] [--no-baseline]

On a GPU the peak memory the process allocated on the device is printed as well.
"""

from __future__ import annotations

import argparse
import time

import torch

from numeric.data import sphere_data
from numeric.gram import population_gram_unit
from numeric.gram_variances import population_gram_variances
from numeric.quadrature import pair_expectation_2d
from numeric.spectrum import eigenvalues
from symbolic import REGISTRY
from verify.settings import Settings

S2 = 1 / 16
SUPS = (1.0, 1.0, 1.0)  # tanh and sin: sup|φ| ≤ 1, L = 1, sup|φ''| ≤ 1


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
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 8000])
    ap.add_argument("--variance-sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    ap.add_argument("--no-baseline", action="store_true", help="skip the all-pairs estimate")
    args = ap.parse_args()
    dev = args.device
    pop = Settings().population
    print(f"device {dev}, {torch.get_num_threads()} threads")
    for name in ("tanh", "sin"):
        act = REGISTRY[name]
        for n in args.sizes:
            x = sphere_data(n, 10, 0, 0.1).x.to(dev)
            t_gram, g = timed(lambda act=act, x=x: population_gram_unit(act, x, S2, SUPS, pop), dev)
            t_eig, ev = timed(lambda g=g: eigenvalues(g.gram), dev)
            line = (
                f"{name:5s} n={n}: G* {t_gram:.2f} s ({g.method}; error ≤ {g.error:.1e}), "
                f"eigvalsh {t_eig:.2f} s, λ* = {float(ev[0]):.3e}; "
                f"G* + λ* = {(t_gram + t_eig) / t_eig:.2f}× one eigvalsh{memory(dev)}"
            )
            if not args.no_baseline:
                base = baseline_seconds(act, x.cpu(), g.steps)
                line += (
                    f"; all-pairs 48² quadrature ≈ {base:.0f} s (extrapolated, {g.steps + 1} "
                    f"iterations): ratio {base / t_gram:.0f}x"
                )
            print(line, flush=True)
    act = REGISTRY["tanh"]
    for n in args.variance_sizes:
        x = sphere_data(n, 10, 0, 0.1).x
        x = (x * torch.linspace(0.5, 2.0, n, dtype=torch.float64)[:, None]).to(dev)
        t_gram, g = timed(lambda x=x: population_gram_variances(act, x, S2, SUPS, pop), dev)
        t_eig, ev = timed(lambda g=g: eigenvalues(g.gram), dev)
        print(
            f"tanh n={n}, norms in [0.5, 2]: G* {t_gram:.2f} s ({g.method}; "
            f"error ≤ {g.error:.1e}), eigvalsh {t_eig:.2f} s, λ* = {float(ev[0]):.3e}; "
            f"G* + λ* = {(t_gram + t_eig) / t_eig:.1f}× one eigvalsh{memory(dev)}",
            flush=True,
        )


def timed(fn, device: str):
    """(seconds, result) of one call, synchronized on a GPU."""
    sync(device)
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t0, out


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def memory(device: str) -> str:
    """The peak device memory so far, on a GPU."""
    if not device.startswith("cuda"):
        return ""
    return f"; peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB"


if __name__ == "__main__":
    main()
