"""The certified enclosure of λ* against the float path, timed in the same run.

For n = 20, 1000 and 4000 (tanh, unit sphere in d = 10): the float G* + eigvalsh, one eigvalsh of
the same matrix (the yardstick), and the ball-arithmetic certificate split into its two parts,
the n-independent Arb work (q*, μ_k(q*) balls, sup enclosures) and the n-dependent float work
with proved error bounds (entries, Cholesky test, Rayleigh quotient). Ratios to one eigvalsh.

    python benchmarks/bench_certificate.py
"""

from __future__ import annotations

import time

from numeric.data import sphere_data
from numeric.gram import population_gram_unit
from numeric.spectrum import eigenvalues
from symbolic import REGISTRY
from verify.checks import certify, sup_enclosures, suprema
from verify.settings import Settings

S2 = 1 / 16


def main() -> None:
    s = Settings()
    p = s.precision
    act = REGISTRY["tanh"]
    t0 = time.perf_counter()
    sup_enclosures(act, suprema(act), p)  # reported beside: no longer an input of certify
    t_sup = time.perf_counter() - t0
    print(f"sup enclosures (once per activation): {t_sup:.2f} s")
    head = f"{'n':>6} {'eigvalsh':>9} {'float G*+λ':>11} {'certified':>10} {'ratio':>6}"
    print(f"{head}  λ float / [lo, hi]")
    for n in (20, 1000, 4000):
        x = sphere_data(n, 10, 0, 0.1).x
        t0 = time.perf_counter()
        gram = population_gram_unit(act, x, S2, (1.0, 1.0, 1.0), s.population)
        lam = float(eigenvalues(gram.gram)[0])
        t_float = time.perf_counter() - t0
        t0 = time.perf_counter()
        eigenvalues(gram.gram)
        t_eig = time.perf_counter() - t0
        t0 = time.perf_counter()
        c = certify(act, x, S2, gram.sigma, gram.q_star, lam, p)
        t_cert = time.perf_counter() - t0
        print(
            f"{n:>6} {t_eig:>8.3f}s {t_float:>10.3f}s {t_cert:>9.3f}s {t_cert / t_eig:>6.1f}  "
            f"{lam:.8g} / [{c.lower:.8g}, {c.upper:.8g}]"
        )


if __name__ == "__main__":
    main()
