"""One training step (forward solve + exact implicit backward) against torchdeq 0.1.0 with
``ift=True``, at the same weights, data and tolerance, timed in this run; and one float64 matmul
of the iteration's shape (the operation that bounds a solver iteration) as the yardstick.

Both sides iterate plain fixed points z ← tanh(W z + U x) forward and the adjoint
w ← g + Wᵀ(φ'(s) ⊙ w) backward (torchdeq through autograd's vector-Jacobian product), to the
same relative residual. torchdeq stops on the largest per-sample residual, this project on the
whole batch's, so the iteration counts are printed beside the times and the time per iteration
is compared as well. The gradients of both are compared as a check that the two steps compute
the same thing (torchdeq reports its forward iterations only).

    pip install torchdeq==0.1.0   # or: pip install -e .[bench]
    python benchmarks/bench_torchdeq.py [--device cuda] [--widths 1024 2048] [--threads 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from numeric.data import sphere_data
from numeric.deq import adjoint, equilibrium, init_params, times
from numeric.training import gradients
from symbolic import REGISTRY
from verify.settings import Settings

N, D, S2, TOL, REPEATS = 128, 10, 1 / 16, 1e-10, 3


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def best_of(fn, device: str, repeats: int = REPEATS):
    """(fastest seconds of ``repeats`` runs, the last result)."""
    ts = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        out = fn()
        sync(device)
        ts.append(time.perf_counter() - t0)
    return min(ts), out


def ours(act, p, x, y, solve, z0, w0):
    """This project's step: warm-startable equilibrium and batched adjoint, then the gradients."""
    eq = equilibrium(act, p, x, z0, solve)
    adj = adjoint(act, p.W, eq.s, p.a, w0, solve)
    r = p.a @ eq.value - y
    return gradients(eq.value, adj.v, x, r), eq.steps, adj.steps


def theirs(p, x, y, z0, device):
    """torchdeq: batch-first z (n×m), f(z) = tanh(z Wᵀ + x Uᵀ), ift=True, same tolerance."""
    from torchdeq import get_deq

    W = p.W.clone().requires_grad_()
    U = p.U.clone().requires_grad_()
    a = p.a.clone().requires_grad_()
    deq = get_deq(
        f_solver="fixed_point_iter",
        b_solver="fixed_point_iter",
        f_max_iter=5000,
        b_max_iter=5000,
        f_tol=TOL,
        b_tol=TOL,
        f_stop_mode="rel",
        b_stop_mode="rel",
        ift=True,
    )
    inj = x @ U.T

    def step():
        W.grad = U.grad = a.grad = None
        start = torch.zeros(x.shape[0], W.shape[0], dtype=torch.float64, device=device)
        zs, info = deq(lambda z: torch.tanh(z @ W.T + inj), start if z0 is None else z0.T)
        loss = 0.5 * ((zs[-1] @ a - y) ** 2).sum()
        loss.backward(retain_graph=True)
        return (W.grad, U.grad, a.grad), int(info["nstep"].max())

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--widths", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args()
    device = args.device
    if args.threads:
        torch.set_num_threads(args.threads)
    act = REGISTRY["tanh"]
    s = Settings()
    solve = replace(s.solve, tol=TOL)
    data = sphere_data(N, D, 0, 0.1).to(device)
    x, y = data.x, data.y
    print(f"device {device}, {torch.get_num_threads()} threads; tanh, n = {N}, tol {TOL:g}")
    for m in args.widths:
        p, _ = init_params(replace(s.model, width=m, sigma_w2=S2), D, 1.0, 0, device)
        z = torch.rand(m, N, dtype=torch.float64, device=device)
        w = torch.rand(m, m, dtype=torch.float64, device=device)
        t_mm, _ = best_of(lambda w=w, z=z: times(w, z), device, 10)

        t_ours, (g, fwd, bwd) = best_of(lambda p=p: ours(act, p, x, y, solve, None, None), device)
        t_theirs, (gt, tfwd) = best_of(theirs(p, x, y, None, device), device)
        z_star = equilibrium(act, p, x, None, solve).value
        t_ours_w, (_, fwd_w, _) = best_of(
            lambda p=p, zs=z_star: ours(act, p, x, y, solve, zs, None), device
        )
        t_theirs_w, (_, tfwd_w) = best_of(theirs(p, x, y, z_star, device), device)

        mine = (g.W, g.U, g.a)
        diff = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(mine, gt))
        print(
            f"m = {m}: one matmul {1e3 * t_mm:.2f} ms; cold step: ours {t_ours:.3f} s "
            f"({fwd}+{bwd} iterations, {t_ours / (fwd + bwd) / t_mm:.2f} matmuls per iteration), "
            f"torchdeq {t_theirs:.3f} s (forward {tfwd}): torchdeq/ours "
            f"{t_theirs / t_ours:.2f}×; warm forward start: ours {t_ours_w:.3f} s "
            f"(forward {fwd_w}), torchdeq {t_theirs_w:.3f} s (forward {tfwd_w}): "
            f"{t_theirs_w / t_ours_w:.2f}×; max relative gradient difference {diff:.1e}"
        )


if __name__ == "__main__":
    main()
