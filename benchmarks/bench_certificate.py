"""The certified enclosure of λ* against the float path, timed in the same run.

For n = 20, 1000 and 4000 (tanh, unit sphere in d = 10): the float G* + eigvalsh, one eigvalsh of
the same matrix (the yardstick), and the ball-arithmetic certificate split into its two parts,
the n-independent Arb work (q*, μ_k(q*) balls, sup enclosures) and the n-dependent float work
with proved error bounds (entries, Cholesky test, Rayleigh quotient). Ratios to one eigvalsh.

    python benchmarks/bench_certificate.py
"""

from __future__ import annotations

import time

import torch

from numeric.data import sphere_data
from numeric.gram import population_gram
from numeric.lambda_certificate import certify_lambda_star
from numeric.spectrum import eigenvalues
from numeric.sup import grid_sup
from symbolic import REGISTRY
from symbolic.bounds import sup_abs
from symbolic.hermite_balls import growth
from symbolic.sup_enclosure import SupSearch, sup_enclosure
from verify.settings import Settings

S2 = 1 / 16


def main() -> None:
    s = Settings()
    p = s.precision
    act = REGISTRY["tanh"]
    search = SupSearch(p.sup_window, p.sup_max_window, p.sup_tol, p.sup_evaluations)
    t0 = time.perf_counter()
    enc = [
        sup_enclosure(act, k, sup_abs(act, k, *grid_sup(act, k)), p.prec, search) for k in (0, 1)
    ]
    t_sup = time.perf_counter() - t0
    g = growth(act, enc[0], enc[1])
    print(f"sup enclosures (once per activation): {t_sup:.2f} s")
    head = f"{'n':>6} {'eigvalsh':>9} {'float G*+λ':>11} {'certified':>10} {'ratio':>6}"
    print(f"{head}  λ float / [lo, hi]")
    for n in (20, 1000, 4000):
        x = sphere_data(n, 10, 0, 0.1).x
        t0 = time.perf_counter()
        gram = population_gram(act, x, S2, (1.0, 1.0, 1.0), s.population)
        lam = float(eigenvalues(gram.gram)[0])
        t_float = time.perf_counter() - t0
        t0 = time.perf_counter()
        eigenvalues(gram.gram)
        t_eig = time.perf_counter() - t0
        t0 = time.perf_counter()
        c = certify_lambda_star(
            act,
            x,
            S2,
            gram.sigma,
            gram.q_star,
            lam,
            g,
            terms=p.certify_terms,
            prec=p.prec,
            q_steps=p.certify_q_steps,
        )
        t_cert = time.perf_counter() - t0
        print(
            f"{n:>6} {t_eig:>8.3f}s {t_float:>10.3f}s {t_cert:>9.3f}s {t_cert / t_eig:>6.1f}  "
            f"{lam:.8g} / [{c.lower:.8g}, {c.upper:.8g}]"
        )


if __name__ == "__main__":
    torch.set_num_threads(torch.get_num_threads())
    main()
