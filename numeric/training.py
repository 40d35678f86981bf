"""Full-batch gradient descent on (W, U, a) with exact implicit gradients (theory §5).

Each step: a forward solve started from the last two equilibria extrapolated, 2Z(k) - Z(k-1)
(the gradient-descent path is smooth, so this start is nearer than Z(k): at width 1024, n = 128,
12 iterations per solve against 17), one adjoint solve (started the same way) for
v_i = D_i (I - Wᵀ D_i)^{-1} a, then ∂L/∂W = V diag(r) Zᵀ, ∂L/∂U = V diag(r) X, ∂L/∂a = Z r
with r = f - y. The same V gives the empirical NTK. The default step is η = 1/λ_max(Θ(0)),
inside the lazy regime (η < 2/λ_max).

Recorded per step: loss, λ_min(Z(k)ᵀZ(k)), an upper bound L(‖W(j)‖₂ + ‖W(k) - W(j)‖_F) on
L‖W(k)‖₂ (j the last step, at most ``norm_every`` back, where ‖W(j)‖₂ was bounded above within
about 1e-9 by :func:`numeric.operator_norm.spectral_norm_bound`; both terms rounded up), the
distance from initialization and the relative drift of the NTK.

The rate is compared with the linearized (lazy) dynamics r(k) = (I - ηΘ)^k r(0), i.e.
L(k) = ½ Σ_i (1 - ηλ_i)^{2k} (u_iᵀ r(0))², fitted over the same window as the measurement, for
Θ = Θ(0) and for Θ = m·Θ* (infinite width). A run whose NTK drifts far has left the lazy regime,
and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from flint import arb

from numeric.data import Dataset
from numeric.deq import DEQParams, InitReport, adjoint, empirical_ntk, equilibrium, init_params
from numeric.operator_norm import frobenius_upper, spectral_norm_bound
from numeric.spectrum import eigenvalues
from numeric.summary import tensors_of
from symbolic.activations import Activation
from symbolic.enclosure import float_up
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from numeric.parameters import ModelSettings, ScheduleSettings, SolveSettings


@dataclass(frozen=True)
class History:
    loss: list[float] = field(default_factory=list)
    lambda_min_zz: list[float] = field(default_factory=list)
    lip_norm_bound: list[float] = field(default_factory=list)
    distance: list[float] = field(default_factory=list)
    ntk_drift: list[float] = field(default_factory=list)
    forward_steps: list[int] = field(default_factory=list)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(empty)"
        return (
            f"History(steps 0..{len(self.loss) - 1}: loss {self.loss[0]:.4g} → "
            f"{self.loss[-1]:.4g}; lists loss, lambda_min_zz, lip_norm_bound, "
            "distance, ntk_drift, forward_steps)"
        )


@dataclass(frozen=True)
class RateFit:
    """Per-step loss ratio fitted on log L_k over the geometric phase [start, end)."""

    rate: float
    r2: float
    start: int
    end: int
    max_ratio: float  # largest L_{k+1}/L_k over the whole phase


@dataclass(frozen=True)
class TrainingResult:
    """One gradient-descent run: its setting, λ_0, the NTK at initialization, the fitted rate,
    the bound and the lazy-dynamics predictions over the same window, and the per-step record."""

    width: int
    seed: int
    lr: float
    lr_source: str
    init: InitReport
    lambda_0: float  # λ_min(Z(0)ᵀZ(0))
    ntk_max: float  # λ_max(Θ(0))
    rate: RateFit
    rate_bound: float  # 1 - c·η λ_0 (c: the schedule's rate constant, reconstructed)
    rate_finite: float  # linearized dynamics with Θ(0), fitted over the measurement window
    rate_infinite: float | None  # linearized dynamics with m·Θ*, same window
    initial_loss: float
    final_loss: float
    well_posed: bool | None  # L‖W(k)‖₂ < 1 all along (upper bound); None when L = ∞
    lambda_kept: bool  # λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along
    history: History
    steps: int
    initial: DEQParams
    final: DEQParams

    def __repr__(self) -> str:
        """A few lines of estimates (round to nearest; nothing here is certified) and the shapes
        of the parameters; the per-step record is ``.history``, the weights ``.initial``,
        ``.final``."""
        lazy = "" if self.rate_infinite is None else f", infinite width {self.rate_infinite:.4g}"
        return (
            f"TrainingResult(width {self.width}, seed {self.seed}, {self.steps} steps, "
            f"lr {self.lr:.4g} ({self.lr_source}): loss {self.initial_loss:.4g} → "
            f"{self.final_loss:.4g}; rate {self.rate.rate:.6g} per step (bound "
            f"{self.rate_bound:.6g}; lazy {self.rate_finite:.6g}{lazy}); λ_0 {self.lambda_0:.4g}; "
            f"well-posed {self.well_posed}, λ kept {self.lambda_kept}; "
            f"{tensors_of(W=self.final.W, U=self.final.U, a=self.final.a)})"
        )


#: Losses below this fraction of L_0 are rounding noise and left out of the rate fit.
LOSS_FLOOR = 1e-24


def fit_rate(loss: list[float]) -> RateFit:
    """Fit log L_k = c + k log ρ on the second half of the steps whose loss is above
    ``LOSS_FLOOR · L_0`` (below it the ratios are rounding noise)."""
    end = next((k for k, v in enumerate(loss) if v <= LOSS_FLOOR * loss[0] or v == 0), len(loss))
    if end < 4:
        raise VerifyError(
            f"too few steps above the loss floor to fit a rate ({end}); raise --steps"
        )
    start = end // 2
    ks = torch.arange(start, end, dtype=torch.float64)
    ys = torch.log(torch.tensor(loss[start:end], dtype=torch.float64))
    slope, intercept = _linear_fit(ks, ys)
    pred = intercept + slope * ks
    ss_res, ss_tot = float(((ys - pred) ** 2).sum()), float(((ys - ys.mean()) ** 2).sum())
    ratios = [loss[k + 1] / loss[k] for k in range(end - 1)]
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return RateFit(math.exp(slope), r2, start, end, max(ratios))


def _linear_fit(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    xm, ym = x.mean(), y.mean()
    slope = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
    return slope, float(ym - slope * xm)


def gradients(z: torch.Tensor, v: torch.Tensor, x: torch.Tensor, r: torch.Tensor) -> DEQParams:
    """∂L/∂(W, U, a) of L = ½‖aᵀZ - y‖² with residuals r: (V diag(r) Zᵀ, V diag(r) X, Z r)."""
    g = v * r  # columns v_i r_i
    return DEQParams(g @ z.T, g @ x, z @ r)


def train_deq(
    act: Activation,
    data: Dataset,
    model: ModelSettings,
    solve: SolveSettings,
    schedule: ScheduleSettings,
    *,
    lip: float,
    seed: int,
    theta_star: torch.Tensor | None,
    device: str,
    progress: Callable[[int, int, float], None] | None,
) -> TrainingResult:
    """Run ``schedule.steps`` GD steps on a width-``model.width`` DEQ and measure the linear rate
    (see the module doc). ``model.sigma_w2`` must be resolved (a number); ``theta_star`` is
    Θ* = lim Θ/m (n×n, for the same a-scale) for the infinite-width prediction."""
    data = data.to(device)
    x, y = data.x, data.y
    p, init = init_params(model, data.d, lip, seed, device)
    p0 = p.clone()
    eq = equilibrium(act, p, x, None, solve)
    adj = adjoint(act, p.W, eq.s, p.a, None, solve)
    z, v = eq.value, adj.v
    theta0 = empirical_ntk(z, v, x)
    ev = eigenvalues(theta0)
    lam0 = float(eigenvalues(z.T @ z)[0])
    if schedule.lr is not None:
        eta, source = schedule.lr, "user"
    else:
        eta, source = 1.0 / float(ev[-1]), "1/λ_max(Θ(0))"
    anchor, anchor_norm = None, init.w_norm  # None: W(0), whose drift the distance measures
    hist = History()
    r0 = p.a @ z - y
    z_last = w_last = None
    for k in range(schedule.steps + 1):
        r = p.a @ z - y
        if k % schedule.norm_every == 0 and k > 0 and math.isfinite(lip):  # L = ∞: no use
            anchor, anchor_norm = p.W.clone(), spectral_norm_bound(p.W).upper
        _record(hist, p, p0, z, v, x, theta0, r, (lip, anchor, anchor_norm), eq.steps)
        if progress is not None:
            progress(k, schedule.steps, hist.loss[-1])
        if k == schedule.steps or hist.loss[-1] == 0:
            break
        grad = gradients(z, v, x, r)
        p.W -= eta * grad.W
        p.U -= eta * grad.U
        p.a -= eta * grad.a
        z_start = z if z_last is None else 2 * z - z_last  # the trajectory, extrapolated
        w_start = adj.value if w_last is None else 2 * adj.value - w_last
        z_last, w_last = z, adj.value
        eq = equilibrium(act, p, x, z_start, solve)
        adj = adjoint(act, p.W, eq.s, p.a, w_start, solve)
        z, v = eq.value, adj.v
    fit = fit_rate(hist.loss)
    infinite = None
    if theta_star is not None:
        infinite = linearized_rate(model.width * theta_star.to(theta0), eta, r0, fit)
    return TrainingResult(
        width=model.width,
        seed=seed,
        lr=eta,
        lr_source=source,
        init=init,
        lambda_0=lam0,
        ntk_max=float(ev[-1]),
        rate=fit,
        rate_bound=1 - schedule.rate_constant * eta * lam0,
        rate_finite=linearized_rate(theta0, eta, r0, fit),
        rate_infinite=infinite,
        initial_loss=hist.loss[0],
        final_loss=hist.loss[-1],
        well_posed=all(b < 1 for b in hist.lip_norm_bound) if math.isfinite(lip) else None,
        lambda_kept=min(hist.lambda_min_zz) >= lam0 / 2,
        history=hist,
        steps=k,
        initial=p0,
        final=p,
    )


def drift_upper(sum_sq: float, entries: int) -> float:
    """An upper bound on ‖W - A‖_F from the float sum of squares ``sum_sq`` of the float
    difference D̃ (``entries`` entries) through :func:`frobenius_upper`: each exact entry is at most
    |D̃_ij|/(1 - u), so the exact square sum is at most ‖D̃‖_F²/(1 - u)² ≤ ‖D̃‖_F²(1 + 4u);
    rounded up."""
    return float_up((frobenius_upper(sum_sq, entries) * (1 + arb(2) ** -51)).sqrt())


def linearized_rate(theta: torch.Tensor, eta: float, r0: torch.Tensor, fit: RateFit) -> float:
    """The rate that lazy dynamics r(k) = (I - ηΘ)^k r(0) show over the window of ``fit``."""
    lam, u = torch.linalg.eigh((theta + theta.T) / 2)
    c2 = (u.T @ r0) ** 2
    ks = torch.arange(fit.start, fit.end, dtype=torch.float64, device=theta.device)
    factors = (1 - eta * lam).abs()
    logs = torch.logsumexp(
        torch.log(c2 / 2)[None, :] + 2 * ks[:, None] * torch.log(factors)[None, :], 1
    )
    slope, _ = _linear_fit(ks.cpu(), logs.cpu())
    return math.exp(slope)


def _squares(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Σ (a - b)² by one BLAS dot product (a sum of k products: the γ_k rounding bound of
    :func:`frobenius_upper` holds in any order)."""
    d = (a - b).reshape(-1)
    return d @ d


def _record(h: History, p: DEQParams, p0: DEQParams, z, v, x, theta0, r, anchor, fsteps):
    """Append one step's record; every scalar comes to the host in one transfer. ``anchor`` =
    (L, W(j) or None for W(0), bound on ‖W(j)‖₂) for the bound L(‖W(j)‖₂ + ‖W(k) - W(j)‖_F);
    with L = ∞ no W(j) is ever set and the bound is ∞."""
    lip, w_anchor, anchor_norm = anchor
    ntk = empirical_ntk(z, v, x)
    scalars = torch.stack(
        [
            r @ r,
            eigenvalues(z.T @ z)[0],
            _squares(p.W, p0.W),
            _squares(p.U, p0.U),
            _squares(p.a, p0.a),
            (ntk - theta0).norm() / theta0.norm(),
            *([] if w_anchor is None else [_squares(p.W, w_anchor)]),
        ]
    ).tolist()
    loss2, lam, dw2, du2, da2, drift = scalars[:6]
    h.loss.append(0.5 * loss2)
    h.lambda_min_zz.append(lam)
    if math.isfinite(lip):
        anchor_sq = dw2 if w_anchor is None else scalars[6]
        h.lip_norm_bound.append(lip * (anchor_norm + drift_upper(anchor_sq, p.W.numel())))
    else:
        h.lip_norm_bound.append(math.inf)
    h.distance.append(math.sqrt(dw2 + du2 + da2))
    h.ntk_drift.append(drift)
    h.forward_steps.append(fsteps)
