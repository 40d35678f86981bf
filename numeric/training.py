"""Full-batch gradient descent on (W, U, a) with exact implicit gradients (SPEC §5).

Each step: forward solve warm-started from the last equilibrium, one adjoint solve for
v_i = D_i (I - Wᵀ D_i)^{-1} a, then ∂L/∂W = V diag(r) Zᵀ, ∂L/∂U = V diag(r) X, ∂L/∂a = Z r
with r = f - y. The same V gives the empirical NTK. The default step is η = 1/λ_max(Θ(0)),
inside the lazy regime (η < 2/λ_max).

Recorded per step: loss, λ_min(Z(k)ᵀZ(k)), an upper bound L(‖W(j)‖₂ + ‖W(k) - W(j)‖_F) on
L‖W(k)‖₂ (j the last step, at most ``norm_every`` back, where ‖W‖₂ was computed exactly), the
distance from initialization and the relative drift of the NTK.

The rate is compared with the linearized (lazy) dynamics r(k) = (I - ηΘ)^k r(0), i.e.
L(k) = ½ Σ_i (1 - ηλ_i)^{2k} (u_iᵀ r(0))², fitted over the same window as the measurement, for
Θ = Θ(0) and for Θ = m·Θ* (infinite width); the asymptotic slowest-mode rate (1 - ηλ_min)² is
reported too. A run whose NTK drifts far has left the lazy regime, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from numeric.data import Dataset
from numeric.deq import DEQParams, InitReport, adjoint, equilibrium, init_params, ntk
from numeric.spectrum import eigenvalues
from symbolic.activations import Activation
from symbolic.result import CheckResult, Status, VerifyError


@dataclass(frozen=True)
class History:
    loss: list[float] = field(default_factory=list)
    lambda_min_zz: list[float] = field(default_factory=list)
    lip_norm_bound: list[float] = field(default_factory=list)
    distance: list[float] = field(default_factory=list)
    ntk_drift: list[float] = field(default_factory=list)
    forward_steps: list[int] = field(default_factory=list)


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
    width: int
    seed: int
    lr: float
    lr_source: str
    init: InitReport
    lambda_0: float  # λ_min(Z(0)ᵀZ(0))
    ntk_min: float  # λ_min(Θ(0))
    ntk_max: float
    rate: RateFit
    rate_bound: float  # 1 - c·η λ_0, c = 1/2 by default (reconstructed constant)
    rate_finite: float  # linearized dynamics with Θ(0), fitted over the measurement window
    rate_infinite: float | None  # linearized dynamics with m·Θ*, same window
    slowest_finite: float  # (1 - η λ_min(Θ(0)))²
    slowest_infinite: float | None  # (1 - η m λ_min(Θ*))²
    initial_loss: float
    final_loss: float
    well_posed: bool | None  # L‖W(k)‖₂ < 1 all along (upper bound); None when L = ∞
    lambda_kept: bool  # λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along
    history: History
    steps: int


def fit_rate(loss: list[float], floor: float = 1e-24) -> RateFit:
    """Fit log L_k = c + k log ρ on the second half of the steps whose loss is above
    ``floor · L_0`` (below it the ratios are rounding noise)."""
    end = next((k for k, v in enumerate(loss) if v <= floor * loss[0] or v == 0), len(loss))
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


def train(
    act: Activation,
    data: Dataset,
    *,
    width: int,
    sigma_w2: float,
    lip: float,
    steps: int,
    seed: int,
    lr: float | None = None,
    tol: float = 1e-12,
    method: str = "picard",
    theta_star: torch.Tensor | None = None,
    device: str = "cpu",
    norm_every: int = 25,
    init_margin: float = 0.05,
    a_scale: float = 1.0,
    rate_constant: float = 0.5,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainingResult:
    """Run GD for ``steps`` steps at ``width`` and measure the linear rate (see module doc).
    ``theta_star`` is Θ* = lim Θ/m (n×n) for the infinite-width prediction. The reconstructed
    constants: ``init_margin`` (redraw W until L‖W‖₂ ≤ 1 - margin), ``a_scale`` (a ~ N(0,
    a_scale/m)) and ``rate_constant`` c in the bound 1 - c·ηλ_0."""
    data = data.to(device)
    x, y = data.x, data.y
    p, init = init_params(
        width, data.d, sigma_w2, lip, seed, margin=init_margin, a_scale=a_scale, device=device
    )
    p0 = p.clone()
    z, s, sol = equilibrium(act, p, x, tol=tol, method=method)
    v, w = adjoint(act, p.W, s, p.a, tol=tol)
    theta0 = ntk(z, v, x)
    ev = eigenvalues(theta0)
    lam0 = float(eigenvalues(z.T @ z)[0])
    eta, source = (lr, "user") if lr is not None else (1.0 / float(ev[-1]), "1/λ_max(Θ(0))")
    if not 0 < eta:
        raise VerifyError(f"learning rate must be positive, got {eta}")
    anchor, anchor_norm = p.W.clone(), init.w_norm
    hist = History()
    r0 = p.a @ z - y
    for k in range(steps + 1):
        r = p.a @ z - y
        if k % norm_every == 0 and k > 0:
            anchor, anchor_norm = p.W.clone(), float(torch.linalg.matrix_norm(p.W, ord=2))
        w_bound = anchor_norm + float((p.W - anchor).norm())
        _record(
            hist,
            p,
            p0,
            z,
            v,
            x,
            theta0,
            r,
            lip * w_bound if math.isfinite(lip) else math.inf,
            sol.steps,
        )
        if progress is not None:
            progress(k, steps, hist.loss[-1])
        if k == steps or hist.loss[-1] == 0:
            break
        g = v * r  # columns v_i r_i
        p.W -= eta * (g @ z.T)
        p.U -= eta * (g @ x)
        p.a -= eta * (z @ r)
        z, s, sol = equilibrium(act, p, x, z, tol=tol, method=method)
        v, w = adjoint(act, p.W, s, p.a, w, tol=tol)
    fit = fit_rate(hist.loss)
    finite = linearized_rate(theta0, eta, r0, fit)
    infinite = slow_inf = None
    if theta_star is not None:
        theta_inf = width * theta_star.to(theta0)
        infinite = linearized_rate(theta_inf, eta, r0, fit)
        slow_inf = (1 - eta * float(eigenvalues(theta_inf)[0])) ** 2
    return TrainingResult(
        width,
        seed,
        eta,
        source,
        init,
        lam0,
        float(ev[0]),
        float(ev[-1]),
        fit,
        1 - rate_constant * eta * lam0,
        finite,
        infinite,
        (1 - eta * float(ev[0])) ** 2,
        slow_inf,
        hist.loss[0],
        hist.loss[-1],
        all(b < 1 for b in hist.lip_norm_bound) if math.isfinite(lip) else None,
        min(hist.lambda_min_zz) >= lam0 / 2,
        hist,
        k,
    )


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


def _record(h: History, p: DEQParams, p0: DEQParams, z, v, x, theta0, r, lip_bound, fsteps):
    h.loss.append(0.5 * float(r @ r))
    h.lambda_min_zz.append(float(eigenvalues(z.T @ z)[0]))
    h.lip_norm_bound.append(lip_bound)
    dw = float((p.W - p0.W).norm())
    dist = math.sqrt(dw**2 + float((p.U - p0.U).norm()) ** 2 + float((p.a - p0.a).norm()) ** 2)
    h.distance.append(dist)
    h.ntk_drift.append(float((ntk(z, v, x) - theta0).norm() / theta0.norm()))
    h.forward_steps.append(fsteps)


def check_lambda0(res: TrainingResult, lambda_star: float) -> CheckResult:
    """λ_0 = λ_min(Z(0)ᵀZ(0)) ≥ m λ*/2 at the chosen width."""
    bound = res.width * lambda_star / 2
    ok = res.lambda_0 >= bound
    return CheckResult(
        "lambda0_bound",
        Status.PASS if ok else Status.FAIL,
        res.lambda_0,
        bound,
        "eigvalsh(Z(0)ᵀZ(0)) vs m·λ*/2",
        f"λ_0 = {res.lambda_0:.6g} at width {res.width} (seed {res.seed}); m·λ*/2 = {bound:.6g}; "
        f"W drawn {res.init.draws} time(s), L‖W(0)‖₂ = {res.init.lip_norm:.4f}",
    )


def check_linear_rate(res: TrainingResult) -> CheckResult:
    """Per-step loss ratio ≤ 1 - c·ηλ_0 all along, with L‖W(k)‖₂ < 1 and λ_min ≥ λ_0/2."""
    f = res.rate
    ok = f.max_ratio <= res.rate_bound and res.well_posed is not False and res.lambda_kept
    inf = "n/a" if res.rate_infinite is None else f"{res.rate_infinite:.6f}"
    drift = res.history.ntk_drift[-1]
    lazy = "lazy" if drift < 0.1 else "NOT lazy: the NTK moved, predictions do not apply"
    detail = (
        f"fitted rate {f.rate:.6f} (R² = {f.r2:.5f}, steps {f.start}-{f.end}); largest step ratio "
        f"{f.max_ratio:.6f} vs bound 1-c·ηλ_0 = {res.rate_bound:.6f}; lazy-dynamics prediction "
        f"over the same steps: Θ(0) {res.rate_finite:.6f}, m·Θ* {inf}; NTK drift {drift:.3f} "
        f"({lazy}); η = {res.lr:.4g} "
        f"({res.lr_source}); loss {res.initial_loss:.3e} → {res.final_loss:.3e} in {res.steps} "
        f"steps; L‖W(k)‖₂ < 1 all along: {res.well_posed} "
        f"(max bound {max(res.history.lip_norm_bound):.4f}); "
        f"λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2 all along: {res.lambda_kept}"
    )
    status = Status.PASS if ok else Status.FAIL
    if ok and res.well_posed is None:
        status = Status.INCONCLUSIVE
        detail += (
            "; L = ∞: the contraction L‖W‖₂ < 1 cannot hold, so the theorem does not cover this "
            "run (every equilibrium solve still converged to its tolerance)"
        )
    return CheckResult(
        "linear_rate",
        status,
        f.max_ratio,
        res.rate_bound,
        "GD with implicit gradients; loss ratios per step",
        detail,
    )
