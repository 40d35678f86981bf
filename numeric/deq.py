"""A finite-width deep equilibrium model and its exact implicit gradients (SPEC §3).

    z*(x) = φ(W z*(x) + U x),   f(x) = aᵀ z*(x),
    W_ij ~ N(0, 2σ_w²/m),  U_ij ~ N(0, 2/d),  a_j ~ N(0, 1/m)  (the last: reconstructed).

Inputs are batched as columns: Z = [z*(x_1) … z*(x_n)] is m×n, S = W Z + U Xᵀ. With
D_i = diag(φ'(s_i)), the adjoint w_i = a + Wᵀ D_i w_i gives v_i = D_i w_i =
D_i (I - Wᵀ D_i)^{-1} a, and ∂f/∂a = z*, ∂f/∂W = v z*ᵀ, ∂f/∂U = v xᵀ; the empirical NTK is
Θ_ij = z_iᵀz_j + (v_iᵀv_j)(z_iᵀz_j + x_iᵀx_j).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from numeric.fixed_point import FixedPointSolution, fixed_point
from symbolic.activations import Activation
from symbolic.result import VerifyError


@dataclass
class DEQParams:
    """The trainable parameters (float64, on one device)."""

    W: torch.Tensor  # m × m
    U: torch.Tensor  # m × d
    a: torch.Tensor  # m

    @property
    def width(self) -> int:
        return self.W.shape[0]

    def clone(self) -> DEQParams:
        return DEQParams(self.W.clone(), self.U.clone(), self.a.clone())


@dataclass(frozen=True)
class InitReport:
    """How the initialization went: draws of W until L‖W‖₂ ≤ 1 - margin, and the norm."""

    draws: int
    w_norm: float
    lip_norm: float  # L ‖W‖₂ (inf when L is infinite)
    margin: float
    checked: bool  # False when L is infinite: the condition cannot hold


def init_params(
    m: int,
    d: int,
    sigma_w2: float,
    lip: float,
    seed: int,
    *,
    margin: float = 0.05,
    a_scale: float = 1.0,
    max_draws: int = 100,
    device: str | torch.device = "cpu",
) -> tuple[DEQParams, InitReport]:
    """Draw (W, U, a) from ``seed`` (on the CPU, then moved, so every device sees the same
    numbers); redraw W until L‖W‖₂ ≤ 1 - margin (the paper's initialization, reconstructed).
    a_j ~ N(0, a_scale/m) (reconstructed: a_scale = 1)."""
    if m < 1 or sigma_w2 <= 0:
        raise VerifyError(f"need width >= 1 and σ_w² > 0, got m={m}, σ_w²={sigma_w2}")
    gen = torch.Generator().manual_seed(seed)
    draws = 0
    while draws < max_draws:
        draws += 1
        W = torch.randn(m, m, generator=gen, dtype=torch.float64) * math.sqrt(2 * sigma_w2 / m)
        norm = float(torch.linalg.matrix_norm(W, ord=2))
        if not math.isfinite(lip) or lip * norm <= 1 - margin:
            break
    if math.isfinite(lip) and lip * norm > 1 - margin:
        raise VerifyError(
            f"no W with L·‖W‖₂ <= {1 - margin:g} in {max_draws} draws (last {lip * norm:.3f}); "
            "lower --sigma-w2 or raise --width"
        )
    U = torch.randn(m, d, generator=gen, dtype=torch.float64) * math.sqrt(2 / d)
    a = torch.randn(m, generator=gen, dtype=torch.float64) * math.sqrt(a_scale / m)
    report = InitReport(
        draws, norm, lip * norm if math.isfinite(lip) else math.inf, margin, math.isfinite(lip)
    )
    return DEQParams(W.to(device), U.to(device), a.to(device)), report


def equilibrium(
    act: Activation,
    p: DEQParams,
    x: torch.Tensor,
    z0: torch.Tensor | None = None,
    *,
    tol: float = 1e-12,
    max_steps: int = 5000,
    method: str = "picard",
) -> tuple[torch.Tensor, torch.Tensor, FixedPointSolution]:
    """(Z, S, solution): the equilibria of all inputs (columns) and their pre-activations."""
    phi = act.torch_fn(0)
    b = p.U @ x.T
    start = torch.zeros_like(b) if z0 is None else z0
    sol = fixed_point(
        lambda z: phi(p.W @ z + b),
        start,
        tol=tol,
        max_steps=max_steps,
        method=method,
        what="equilibrium solve",
    )
    return sol.z, p.W @ sol.z + b, sol


def adjoint(
    act: Activation,
    W: torch.Tensor,
    s: torch.Tensor,
    rhs: torch.Tensor,
    w0: torch.Tensor | None = None,
    *,
    tol: float = 1e-12,
    max_steps: int = 5000,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve w = rhs + Wᵀ (D ⊙ w), D = φ'(S), column by column; return (D ⊙ w, w).

    A contraction when L‖W‖₂ < 1. ``rhs`` is m×n (or m, broadcast over the n columns).
    """
    dphi = act.torch_fn(1)(s)
    rhs = rhs[:, None].expand_as(s) if rhs.dim() == 1 else rhs
    start = rhs.clone() if w0 is None else w0
    sol = fixed_point(
        lambda w: rhs + W.T @ (dphi * w), start, tol=tol, max_steps=max_steps, what="adjoint solve"
    )
    return dphi * sol.z, sol.z


def ntk(z: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Θ = ZᵀZ + (VᵀV) ∘ (ZᵀZ + X Xᵀ), n×n (SPEC §3)."""
    zz = z.T @ z
    return zz + (v.T @ v) * (zz + x @ x.T)


class _Equilibrium(torch.autograd.Function):
    """Z = φ(W Z + U Xᵀ) with the exact implicit backward (adjoint solve, no unrolling)."""

    @staticmethod
    def forward(ctx, W, U, x, act, tol):
        p = DEQParams(
            W.detach(), U.detach(), torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
        )
        z, s, _ = equilibrium(act, p, x.detach(), tol=tol)
        ctx.save_for_backward(W, U, x, z, s)
        ctx.act, ctx.tol = act, tol
        return z

    @staticmethod
    def backward(ctx, grad_z):
        W, U, x, z, s = ctx.saved_tensors
        gs, _ = adjoint(ctx.act, W.detach(), s, grad_z, tol=ctx.tol)  # ∂L/∂S = D ⊙ w
        return gs @ z.T, gs @ x, gs.T @ U, None, None


def equilibrium_autograd(act: Activation, W, U, x, *, tol: float = 1e-13) -> torch.Tensor:
    """Z as a differentiable function of (W, U, X) through implicit differentiation."""
    return _Equilibrium.apply(W, U, x, act, tol)


class DEQ(torch.nn.Module):
    """A DEQ layer f(x) = aᵀ z*(x), z* = φ(W z* + U x), as a torch module (float64).

    Forward solves the equilibrium to ``tol``; backward is the exact implicit gradient (one
    adjoint solve), so ``loss.backward()`` fills W, U and a. Initialized as :func:`init_params`.
    """

    def __init__(self, act: Activation, params: DEQParams, *, tol: float = 1e-12) -> None:
        super().__init__()
        self.act, self.tol = act, tol
        self.W = torch.nn.Parameter(params.W.clone())
        self.U = torch.nn.Parameter(params.U.clone())
        self.a = torch.nn.Parameter(params.a.clone())

    def equilibrium(self, x: torch.Tensor) -> torch.Tensor:
        """Z = [z*(x_1) … z*(x_n)] (m×n) for the rows of ``x`` (n×d)."""
        return _Equilibrium.apply(self.W, self.U, x, self.act, self.tol)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a @ self.equilibrium(x)
