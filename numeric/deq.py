"""A finite-width deep equilibrium model and its exact implicit gradients (theory §3).

    z*(x) = φ(W z*(x) + U x),   f(x) = aᵀ z*(x),
    W_ij ~ N(0, 2σ_w²/m),  U_ij ~ N(0, 2/d),  a_j ~ N(0, A/m)  (A: reconstructed, default 1).

Inputs are batched as columns: Z = [z*(x_1) … z*(x_n)] is m×n, S = W Z + U Xᵀ. With
D_i = diag(φ'(s_i)), the adjoint w_i = a + Wᵀ D_i w_i gives v_i = D_i w_i =
D_i (I - Wᵀ D_i)^{-1} a, and ∂f/∂a = z*, ∂f/∂W = v z*ᵀ, ∂f/∂U = v xᵀ; the empirical NTK is
Θ_ij = z_iᵀz_j + (v_iᵀv_j)(z_iᵀz_j + x_iᵀx_j).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from numeric.fixed_point import Solution, fixed_point
from numeric.operator_norm import spectral_norm_bound
from numeric.summary import tensors_of
from symbolic.activations import Activation
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from numeric.parameters import ModelSettings, SolveSettings


@dataclass
class DEQParams:
    """The trainable parameters (float64, on one device)."""

    W: torch.Tensor  # m × m
    U: torch.Tensor  # m × d
    a: torch.Tensor  # m

    @property
    def width(self) -> int:
        return self.W.shape[0]

    def __repr__(self) -> str:
        where = f"{self.W.dtype}".removeprefix("torch.") + f" on {self.W.device}"
        return f"DEQParams({tensors_of(W=self.W, U=self.U, a=self.a)}; {where})"

    def clone(self) -> DEQParams:
        return DEQParams(self.W.clone(), self.U.clone(), self.a.clone())


@dataclass(frozen=True)
class InitReport:
    """How the initialization went: draws of W until L‖W‖₂ ≤ 1 - margin, and the norm."""

    draws: int
    w_norm: float  # a proved upper bound on ‖W(0)‖₂ (within about 1e-9 of it)
    lip_norm: float  # L times that bound (inf when L is infinite)


def init_params(
    model: ModelSettings, d: int, lip: float, seed: int, device: str | torch.device
) -> tuple[DEQParams, InitReport]:
    """Draw (W, U, a) from ``seed`` (on the CPU, then moved, so every device sees the same
    numbers): W_ij ~ N(0, 2σ_w²/m), U_ij ~ N(0, 2/d), a_j ~ N(0, A/m) with A = ``model.a_scale``
    (reconstructed); W is redrawn until L‖W‖₂ ≤ 1 - ``model.init_margin`` (the paper's
    initialization, reconstructed), at most ``model.max_init_draws`` times, with ‖W‖₂ replaced
    by its proved upper bound (:func:`numeric.operator_norm.spectral_norm_bound`, on ``device``)."""
    m, sigma_w2 = model.width, model.sigma_w2
    if m < 1 or sigma_w2 is None or sigma_w2 <= 0:
        raise VerifyError(f"need width >= 1 and σ_w² > 0, got m={m}, σ_w²={sigma_w2}")
    gen = torch.Generator().manual_seed(seed)
    limit = 1 - model.init_margin
    for draws in range(1, model.max_init_draws + 1):  # noqa: B007 (read after the loop)
        W = torch.randn(m, m, generator=gen, dtype=torch.float64) * math.sqrt(2 * sigma_w2 / m)
        W = W.to(device)
        norm = spectral_norm_bound(W).upper
        if not math.isfinite(lip) or lip * norm <= limit:
            break
    else:
        raise VerifyError(
            f"no W with L·‖W‖₂ <= {limit:g} in {model.max_init_draws} draws (last "
            f"{lip * norm:.3f}); lower --sigma-w2 or --init-margin"
        )
    U = torch.randn(m, d, generator=gen, dtype=torch.float64) * math.sqrt(2 / d)
    a = torch.randn(m, generator=gen, dtype=torch.float64) * math.sqrt(model.a_scale / m)
    report = InitReport(draws, norm, lip * norm if math.isfinite(lip) else math.inf)
    return DEQParams(W, U.to(device), a.to(device)), report


@dataclass(frozen=True)
class Equilibrium(Solution):
    """The equilibria Z (``value``, m×n, one column per input) and their pre-activations S."""

    s: torch.Tensor


@dataclass(frozen=True)
class Adjoint(Solution):
    """The adjoint w (``value``, m×n) and v = D ⊙ w, D = φ'(S)."""

    v: torch.Tensor


def equilibrium(
    act: Activation,
    p: DEQParams,
    x: torch.Tensor,
    z0: torch.Tensor | None,
    solve: SolveSettings,
) -> Equilibrium:
    """Z = φ(W Z + U Xᵀ) for the rows of ``x`` (n×d), from ``z0`` (zeros when None)."""
    return equilibrium_of(act, p.W, p.U @ x.T, z0, solve)


def times(a: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """a @ z for a square m×m ``a`` and a thin m×n ``z``, computed as (zᵀ aᵀ)ᵀ: BLAS then streams
    ``a`` in the order it is stored with the n columns of z as rows. Measured on this project's
    2-core CPU, one thread, m = 1024 / 4096, n = 16: W @ Z 2.7 / 59 ms, Wᵀ @ Z 4.9 / 108 ms,
    (Zᵀ Wᵀ)ᵀ 1.3 / 24 ms, (Zᵀ W)ᵀ 1.2 / 28 ms. The result is a transposed view (not contiguous)."""
    return (z.T @ a.T).T


def equilibrium_of(
    act: Activation,
    W: torch.Tensor,
    b: torch.Tensor,
    z0: torch.Tensor | None,
    solve: SolveSettings,
) -> Equilibrium:
    """Z = φ(W Z + B) for an injection B (m×n, one column per input), from ``z0`` (zeros when
    None); S = W Z + B is returned beside Z."""
    phi = act.torch_fn(0)
    start = torch.zeros_like(b) if z0 is None else z0
    sol = fixed_point(lambda z: phi(times(W, z) + b), start, solve, what="equilibrium solve")
    return Equilibrium(**vars(sol), s=times(W, sol.value) + b)


def adjoint(
    act: Activation,
    W: torch.Tensor,
    s: torch.Tensor,
    rhs: torch.Tensor,
    w0: torch.Tensor | None,
    solve: SolveSettings,
) -> Adjoint:
    """Solve w = rhs + Wᵀ (D ⊙ w), D = φ'(S), all columns at once; v = D ⊙ w.

    A contraction when L‖W‖₂ < 1 (always Picard: the map is linear and as contractive as the
    forward one). ``rhs`` is m×n (or m, broadcast over the n columns).
    """
    dphi = act.torch_fn(1)(s)
    rhs = rhs[:, None].expand_as(s) if rhs.dim() == 1 else rhs
    start = rhs.clone() if w0 is None else w0
    picard = replace(solve, method="picard")
    sol = fixed_point(lambda w: rhs + times(W.T, dphi * w), start, picard, what="adjoint solve")
    return Adjoint(**vars(sol), v=dphi * sol.value)


def empirical_ntk(z: torch.Tensor, v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Θ = ZᵀZ + (VᵀV) ∘ (ZᵀZ + X Xᵀ), n×n (theory §3): the a-, W- and U-gradient overlaps."""
    zz = z.T @ z
    return zz + (v.T @ v) * (zz + x @ x.T)


class _Equilibrium(torch.autograd.Function):
    """Z = φ(W Z + U Xᵀ) with the exact implicit backward (adjoint solve, no unrolling)."""

    @staticmethod
    def forward(ctx, W, U, x, act, solve):
        p = DEQParams(
            W.detach(), U.detach(), torch.zeros(W.shape[0], dtype=W.dtype, device=W.device)
        )
        eq = equilibrium(act, p, x.detach(), None, solve)
        ctx.save_for_backward(W, U, x, eq.value, eq.s)
        ctx.act, ctx.solve = act, solve
        return eq.value

    @staticmethod
    def backward(ctx, grad_z):
        W, U, x, z, s = ctx.saved_tensors
        gs = adjoint(ctx.act, W.detach(), s, grad_z, None, ctx.solve).v  # ∂L/∂S = D ⊙ w
        return gs @ z.T, gs @ x, gs.T @ U, None, None


def equilibrium_autograd(act: Activation, W, U, x, solve: SolveSettings) -> torch.Tensor:
    """Z as a differentiable function of (W, U, X) through implicit differentiation."""
    return _Equilibrium.apply(W, U, x, act, solve)


class DEQ(torch.nn.Module):
    """A DEQ layer f(x) = aᵀ z*(x), z* = φ(W z* + U x), as a torch module (float64).

    Forward solves the equilibrium to ``solve.tol``; backward is the exact implicit gradient (one
    adjoint solve), so ``loss.backward()`` fills W, U, a, and the input's gradient.
    """

    def __init__(self, act: Activation, params: DEQParams, solve: SolveSettings) -> None:
        super().__init__()
        self.act, self.solve = act, solve
        self.W = torch.nn.Parameter(params.W.clone())
        self.U = torch.nn.Parameter(params.U.clone())
        self.a = torch.nn.Parameter(params.a.clone())

    def equilibrium(self, x: torch.Tensor) -> torch.Tensor:
        """Z = [z*(x_1) … z*(x_n)] (m×n) for the rows of ``x`` (n×d)."""
        return _Equilibrium.apply(self.W, self.U, x, self.act, self.solve)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a @ self.equilibrium(x)
