"""Hermite coefficients of tanh: the shared panelled Gauss–Legendre rule against the naive
baseline (one mpmath.quad per coefficient), both timed in this run.

    python benchmarks/bench_hermite.py
"""

from __future__ import annotations

import time

import mpmath

from numeric.quadrature import hermite_float
from symbolic import REGISTRY, hermite_mp


def naive(n: int, dps: int) -> mpmath.mpf:
    """μ_n(1) = E[tanh(Z) He_n(Z)] / sqrt(n!) by one adaptive mpmath.quad, split at 0."""
    with mpmath.workdps(dps):

        def f(z):
            he = mpmath.hermite(n, z / mpmath.sqrt(2)) * 2 ** (-mpmath.mpf(n) / 2)
            return mpmath.tanh(z) * he * mpmath.npdf(z)

        return mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(mpmath.factorial(n))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    act = REGISTRY["tanh"]
    fast, t_fast = timed(lambda: hermite_mp(act, 64, 1, dps=30))
    ref, t_naive = timed(lambda: [naive(n, 30) for n in range(64)])
    with mpmath.workdps(40):
        diff = max(abs(a - b) for a, b in zip(fast.values, ref))
    print(
        f"64 coefficients at 30 digits: panel rule {t_fast:.2f} s, naive quad {t_naive:.2f} s, "
        f"ratio {t_naive / t_fast:.1f}x; max |difference| {mpmath.nstr(diff, 3)}, "
        f"estimated error {fast.error:.1e}"
    )

    flt, t_flt = timed(lambda: hermite_float(act, 500, 1.0))
    sample = list(range(0, 500, 25))  # the naive baseline on every 25th n, extrapolated
    ref15, t_sample = timed(lambda: [naive(n, 15) for n in sample])
    t_naive500 = t_sample / len(sample) * 500
    hi = hermite_mp(act, 60, 1, dps=25)
    err = max(abs(flt.values[n] - float(hi.values[n])) for n in range(60))
    naive_err = max(abs(float(r) - flt.values[n]) for r, n in zip(ref15, sample))
    print(
        f"500 float64 coefficients: panel rule {t_flt:.3f} s, naive quad (15 digits) "
        f"{t_naive500:.1f} s extrapolated from {len(sample)} coefficients, ratio "
        f"{t_naive500 / t_flt:.0f}x; max error vs 25-digit rule (n < 60) {err:.1e}; "
        f"max |naive - fast| on the sample {naive_err:.1e}"
    )


if __name__ == "__main__":
    main()
