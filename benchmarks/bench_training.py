"""One gradient step (default width 2048, n = 128): exact implicit differentiation against
autograd through an unrolled forward solve, and the forward solve's matmul rate against this
machine's measured float64 matmul peak (the limit of a solver iteration), all in this run.

    python benchmarks/bench_training.py [--device cuda] [--width 16384] [--n 128]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from numeric.data import sphere_data
from numeric.deq import adjoint, equilibrium, init_params
from symbolic import REGISTRY
from verify.settings import Settings

D, S2 = 10, 1 / 16


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def peak_gflops(device: str, size: int) -> float:
    """float64 GFLOP/s of a size×size matmul, best of the mean over 3 after a warm-up."""
    a = torch.randn(size, size, dtype=torch.float64, device=device)
    b = torch.randn(size, size, dtype=torch.float64, device=device)
    a @ b
    sync(device)
    t0 = time.perf_counter()
    for _ in range(3):
        a @ b
    sync(device)
    return 3 * 2 * size**3 / (time.perf_counter() - t0) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--n", type=int, default=128)
    args = ap.parse_args()
    device, M, N = args.device, args.width, args.n
    act = REGISTRY["tanh"]
    s = Settings()
    data = sphere_data(N, D, 0, 0.1).to(device)
    p, _ = init_params(replace(s.model, width=M, sigma_w2=S2), D, 1.0, 0, device)
    x, y = data.x, data.y

    sync(device)
    t0 = time.perf_counter()
    sol = equilibrium(act, p, x, None, s.solve)
    z = sol.value
    sync(device)
    t_fwd = time.perf_counter() - t0
    t0 = time.perf_counter()
    v = adjoint(act, p.W, sol.s, p.a, None, s.solve).v
    r = p.a @ z - y
    grads = ((v * r) @ z.T, (v * r) @ x, z @ r)
    sync(device)
    t_implicit = t_fwd + time.perf_counter() - t0

    sol_w = equilibrium(act, p, x, z, s.solve)  # a warm start, as in training
    W = p.W.clone().requires_grad_()
    U = p.U.clone().requires_grad_()
    sync(device)
    t0 = time.perf_counter()
    zz = torch.zeros(M, N, dtype=torch.float64, device=device)
    b = U @ x.T
    for _ in range(sol.steps):
        zz = torch.tanh(W @ zz + b)
    loss = 0.5 * ((p.a @ zz - y) ** 2).sum()
    loss.backward()
    sync(device)
    t_unrolled = time.perf_counter() - t0
    diff = float((W.grad - grads[0]).abs().max())

    flops = 2 * M * M * N * sol.steps
    peak = peak_gflops(device, min(M, 8192))
    print(
        f"device {device}; width {M}, n {N}; forward solve {sol.steps} iterations "
        f"(warm start: {sol_w.steps}) in {t_fwd:.3f} s = {flops / t_fwd / 1e9:.1f} GFLOP/s "
        f"vs measured float64 matmul peak {peak:.1f} GFLOP/s "
        f"({100 * flops / t_fwd / 1e9 / peak:.0f}%)"
    )
    print(
        f"one step, cold start: implicit {t_implicit:.3f} s vs autograd through the unrolled "
        f"solve {t_unrolled:.3f} s: ratio {t_unrolled / t_implicit:.2f}x; max |ΔW-grad| {diff:.1e}"
    )


if __name__ == "__main__":
    main()
