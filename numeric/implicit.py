"""Gao & Gao's ReLU implicit network (arXiv 2205.07463; model of arXiv 2110.05645), trained by
gradient descent with exact implicit gradients.

Model (theory §7.2, read in the paper): with Φ = σ(W Xᵀ)/√m (m×n) the explicit feature,

    Z = σ(B Z + Φ),  B = scale · A,   ŷ = uᵀZ + vᵀΦ,   σ = ReLU,

A, W, u, v all trained. Initialization, reconstructed for the linear-width paper (theory §7.3): a
nonnegative implicit weight A_ij = |N(0, 1)| with scale = γ/m (so ‖B‖₂ → γ·√(2/π) as m grows),
W_ij ~ N(0, 1), u_i, v_i Rademacher. With B ≥ 0 and Φ ≥ 0 the equilibrium at initialization is
Z = (I - B)⁻¹Φ exactly.

Gradients (Lemma 2.3 of 2110.05645), r = ŷ - y, D = σ'(S), S = BZ + Φ, E = σ'(W Xᵀ): the adjoint
Λ = u + Bᵀ(D ⊙ Λ) (column per input; a contraction when ‖B‖₂ < 1), V = D ⊙ Λ, then
∇_u = Z r, ∇_v = Φ r, ∇_A = scale · (V diag r) Zᵀ, ∇_W = (E ⊙ (V + v1ᵀ)) diag(r) X / √m.

The kernel of the explicit feature: G^∞ = E_w[σ(Xw)σ(Xw)ᵀ] with G^∞_ij = Q(x_iᵀx_j)/2,
Q(ρ) = (√(1 - ρ²) + (π - arccos ρ)ρ)/π; λ_0 = λ_min(G^∞). The theorem: with step
α = C·λ_0/n² (C reconstructed), ‖ŷ(k) - y‖² ≤ (1 - αλ_0/2)^k ‖ŷ(0) - y‖², well-posed all along.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from numeric.data import Dataset
from numeric.deq import adjoint, equilibrium_of
from numeric.limits import limit_norm
from numeric.spectrum import eigenvalues
from numeric.training import RateFit, fit_rate
from symbolic.activations import Activation
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from numeric.parameters import GaoSettings, ScheduleSettings, SolveSettings


@dataclass(frozen=True)
class ImplicitParams:
    """Trainable A (m×m), W (m×d), u, v (m); B = scale·A is the implicit weight."""

    A: torch.Tensor
    W: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    scale: float

    @property
    def width(self) -> int:
        return self.A.shape[0]

    @property
    def B(self) -> torch.Tensor:
        return self.scale * self.A

    def clone(self) -> ImplicitParams:
        return ImplicitParams(
            self.A.clone(), self.W.clone(), self.u.clone(), self.v.clone(), self.scale
        )


def init_implicit(
    width: int, d: int, gao: GaoSettings, seed: int, device: str | torch.device
) -> ImplicitParams:
    """Draw (A, W, u, v) from ``seed`` on the CPU, then move them: A_ij = |N(0, 1)|,
    W_ij ~ N(0, 1), u, v Rademacher; scale = γ/m. Raises VerifyError when the drawn
    ‖(γ/m)A‖₂ ≥ 1 (no unique equilibrium is guaranteed)."""
    gen = torch.Generator().manual_seed(seed)
    m = width
    A = torch.randn(m, m, generator=gen, dtype=torch.float64).abs()
    W = torch.randn(m, d, generator=gen, dtype=torch.float64)
    u = torch.randint(0, 2, (m,), generator=gen).to(torch.float64) * 2 - 1
    v = torch.randint(0, 2, (m,), generator=gen).to(torch.float64) * 2 - 1
    p = ImplicitParams(A.to(device), W.to(device), u.to(device), v.to(device), gao.gamma / m)
    norm = spectral_norm(p.B)
    if norm >= 1:
        raise VerifyError(
            f"Gao & Gao: the drawn ‖(γ/m)A‖₂ = {norm:.4f} ≥ 1 at γ = {gao.gamma:g}, m = {m}; "
            f"lower --gamma (its large-width limit is γ·√(2/π) = {limit_norm(gao.gamma):.4f})"
        )
    return p


def spectral_norm(M: torch.Tensor) -> float:
    """‖M‖₂ (largest singular value, float64)."""
    return float(torch.linalg.matrix_norm(M, ord=2))


def features(p: ImplicitParams, x: torch.Tensor) -> torch.Tensor:
    """Φ = σ(W Xᵀ)/√m (m×n)."""
    return torch.relu(p.W @ x.T) / math.sqrt(p.width)


def explicit_gram(x: torch.Tensor) -> torch.Tensor:
    """G^∞_ij = Q(x_iᵀx_j)/2 with Q(ρ) = (√(1 - ρ²) + (π - arccos ρ)ρ)/π, for unit rows (the
    arc-cosine kernel of degree 1; ρ clamped to [-1, 1] against rounding)."""
    rho = (x @ x.T).clamp(-1.0, 1.0)
    q = (torch.sqrt((1 - rho) * (1 + rho)) + torch.arccos(-rho) * rho) / math.pi
    return q / 2


def explicit_spectrum(x: torch.Tensor) -> tuple[float, float]:
    """(λ_0, ‖G^∞‖₂) = (λ_min, λ_max) of the PSD matrix G^∞, from one eigvalsh."""
    ev = eigenvalues(explicit_gram(x))
    return float(ev[0]), float(ev.abs().max())


@dataclass(frozen=True)
class ImplicitState:
    """The forward and adjoint solutions at one parameter point."""

    z: torch.Tensor  # m×n equilibria
    s: torch.Tensor  # pre-activations BZ + Φ
    phi: torch.Tensor  # explicit features Φ
    pred: torch.Tensor  # ŷ
    forward_steps: int


def forward(
    act: Activation,
    p: ImplicitParams,
    x: torch.Tensor,
    z0: torch.Tensor | None,
    solve: SolveSettings,
) -> ImplicitState:
    """Z = σ(BZ + Φ) (warm-started from ``z0``) and ŷ = uᵀZ + vᵀΦ."""
    phi = features(p, x)
    eq = equilibrium_of(act, p.B, phi, z0, solve)
    return ImplicitState(eq.value, eq.s, phi, p.u @ eq.value + p.v @ phi, eq.steps)


def gradients(
    act: Activation,
    p: ImplicitParams,
    x: torch.Tensor,
    state: ImplicitState,
    r: torch.Tensor,
    solve: SolveSettings,
) -> ImplicitParams:
    """∇ of ½‖ŷ - y‖² at ``state`` with residual r (module docstring), as an ImplicitParams
    (its ``scale`` is the model's)."""
    lam = adjoint(act, p.B, state.s, p.u, None, solve)
    V = lam.v  # D ⊙ Λ
    gA = p.scale * ((V * r) @ state.z.T)
    E = (p.W @ x.T > 0).to(x.dtype)  # σ'(Wx) with σ'(0) = 0 (Φ does not depend on it there)
    gW = ((E * (V + p.v[:, None])) * r) @ x / math.sqrt(p.width)
    return ImplicitParams(gA, gW, state.z @ r, state.phi @ r, p.scale)


@dataclass(frozen=True)
class ImplicitHistory:
    loss: list[float] = field(default_factory=list)  # ½‖ŷ(k) - y‖²
    norm_bound: list[float] = field(default_factory=list)  # upper bound on ‖B(k)‖₂
    lambda_min_gram: list[float] = field(default_factory=list)  # λ_min(ΦᵀΦ) at step k


@dataclass(frozen=True)
class ImplicitResult:
    """One gradient-descent run of Gao & Gao's network."""

    width: int
    n: int
    lambda_0: float  # λ_min(G^∞)
    lr: float  # α = C·λ_0/n²
    rate_bound: float  # 1 - αλ_0/2
    rate: RateFit
    max_ratio: float  # largest ‖ŷ(k+1) - y‖²/‖ŷ(k) - y‖² over every step
    init_norm: float  # ‖B(0)‖₂
    well_posed: bool  # ‖B(k)‖₂ < 1 all along (upper bound)
    gram_init: float  # λ_min(G(0)), G(0) = ΦᵀΦ at initialization
    gram_kept: bool  # λ_min(G(k)) ≥ λ_0/2 all along (Lemma 3.6)
    initial_loss: float
    final_loss: float
    history: ImplicitHistory


def train_gao(
    act: Activation,
    data: Dataset,
    width: int,
    gao: GaoSettings,
    solve: SolveSettings,
    schedule: ScheduleSettings,
    *,
    lambda_0: float,
    seed: int,
    device: str | torch.device,
) -> ImplicitResult:
    """Full-batch GD on (A, W, u, v) for ``schedule.steps`` steps at α = C·λ_0/n² (C =
    ``gao.step_scale``, reconstructed; ``lambda_0`` = λ_min(G^∞) of ``data``, from
    :func:`explicit_spectrum`). ‖B(k)‖₂ is computed exactly every ``norm_every`` steps
    and bounded by ‖B(j)‖₂ + ‖B(k) - B(j)‖_F in between. Raises SolverError when a solve does not
    converge and VerifyError when the drawn weights are not well-posed."""
    x, y = data.x.to(device), data.y.to(device)
    n = x.shape[0]
    lam0 = lambda_0
    if not lam0 > 0:
        raise VerifyError(f"Gao & Gao: λ_0 = λ_min(G^∞) = {lam0:.3g} is not positive")
    lr = gao.step_scale * lam0 / n**2
    p = init_implicit(width, x.shape[1], gao, seed, device)
    hist = ImplicitHistory()
    z = None
    exact_norm, exact_B = spectral_norm(p.B), p.B.clone()
    init_norm = exact_norm
    for k in range(schedule.steps + 1):
        state = forward(act, p, x, z, solve)
        z = state.z
        r = state.pred - y
        hist.loss.append(0.5 * float(r @ r))
        if k % schedule.norm_every == 0:
            exact_norm, exact_B = spectral_norm(p.B), p.B.clone()
            bound = exact_norm
        else:
            bound = exact_norm + float((p.B - exact_B).norm())
        hist.norm_bound.append(bound)
        hist.lambda_min_gram.append(float(eigenvalues(state.phi.T @ state.phi)[0]))
        if bound >= 1:
            raise VerifyError(
                f"Gao & Gao: ‖B‖₂ may have reached 1 at step {k} (bound {bound:.4f}); "
                "lower --gamma or --gao-step-scale"
            )
        if k == schedule.steps:
            break
        g = gradients(act, p, x, state, r, solve)
        p = ImplicitParams(p.A - lr * g.A, p.W - lr * g.W, p.u - lr * g.u, p.v - lr * g.v, p.scale)
    loss = hist.loss
    ratios = [b / a for a, b in itertools.pairwise(loss) if a > 0]
    return ImplicitResult(
        width,
        n,
        lam0,
        lr,
        1 - lr * lam0 / 2,
        fit_rate(loss),
        max(ratios) if ratios else math.nan,
        init_norm,
        max(hist.norm_bound) < 1,
        hist.lambda_min_gram[0],
        min(hist.lambda_min_gram) >= lam0 / 2,
        loss[0],
        loss[-1],
        hist,
    )


__all__ = [
    "ImplicitParams",
    "ImplicitResult",
    "explicit_gram",
    "explicit_spectrum",
    "features",
    "forward",
    "gradients",
    "init_implicit",
    "spectral_norm",
    "train_gao",
]
