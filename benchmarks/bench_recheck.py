"""The independent checker against the run that wrote the certificate, timed in the same run.

For tanh (the Hermite-series route) and relu (the closed-form route, plus Gao & Gao's λ_0) on
n points of the unit sphere in d = 10, one thread: the run without training, the certificates
alone (the sup enclosures, λ*'s, and Gao's for relu: every claim the file holds), writing the
file, and ``recheck`` of the file. The goal: at
n = 1000 the recheck costs no more than the certificate itself (ratio ≤ 1).

    OMP_NUM_THREADS=1 python benchmarks/bench_recheck.py [n ...]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import torch

import verify
from numeric.gao_certificate import certify_lambda0
from numeric.implicit import explicit_spectrum
from verify.api import settings
from verify.certificate_file import write_certificate
from verify.checks import certify
from verify.recheck import recheck


def bench(name: str, n: int) -> None:
    s = settings(name, n=n, train=False, width_sweep=False)
    t0 = time.perf_counter()
    v = verify.check(name, n=n, train=False, width_sweep=False)
    t_run = time.perf_counter() - t0
    pop = v.population
    x = v.data.x
    t0 = time.perf_counter()
    certify(
        act=v.act,
        x=x,
        sigma_w2=v.sigma_w2,
        sigma=pop.gram.sigma,
        q_star=pop.gram.q_star,
        estimate=pop.lambda_star,
        p=s.precision,
    )
    if v.gao.lambda_0 is not None:
        certify_lambda0(x, explicit_spectrum(x)[0], s.precision.prec)
    t_cert = time.perf_counter() - t0 + dict(v.timings)["certified_sups"]  # the sups: as run
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.json")
        t0 = time.perf_counter()
        write_certificate(v, path)
        t_write = time.perf_counter() - t0
        size = os.path.getsize(path)
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    t0 = time.perf_counter()
    results = recheck(doc)
    t_check = time.perf_counter() - t0
    proved = all(r.proved for r in results)
    print(
        f"{name:>5} n={n:>5}  run {t_run:7.2f} s  certificate {t_cert:7.2f} s  "
        f"write {t_write:5.2f} s ({size / 2**20:.1f} MiB)  recheck {t_check:7.2f} s  "
        f"ratio {t_check / t_cert:5.2f}  "
        f"{'PROVED' if proved else 'NOT PROVED'} ({len(results)} claims)"
    )


def main() -> None:
    torch.set_num_threads(1)
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    for n in sizes:
        for name in ("tanh", "relu"):
            bench(name, n)


if __name__ == "__main__":
    main()
