"""A certified enclosure [lo, hi] of λ* = λ_min(G*) for unit-norm data (the inputs taken as
x_i/‖x_i‖ exactly).

Ingredients, each proved:

1. q* as a ball (:func:`symbolic.hermite_balls.q_star_ball`) and μ_k(q*)² for k < N as balls
   (Arb integrals), with the Parseval remainder P = E[φ(√q* Z)²] - Σ_{k<N} μ_k² ∈ [P_lo, P_hi],
   E[φ(√q*Z)²] = (q* - 2/d)/(2σ_w²) exactly (the diagonal of the fixed point).
2. The correlations ρ*_ij = Σ*_ij/q* solve ρ = h(ρ) = (2σ_w² κ(ρ) + (2/d)s_ij)/q* with
   κ(ρ) = Σ_k μ_k² ρ^k; |h'| ≤ c = 2σ_w²L² < 1 on [-1, 1] (Price: dκ/dρ = q E[φ'φ'] ≤ qL²), and
   h maps [-1, 1] into itself, so the float64 ρ̃ of the solver satisfies
   |ρ* - ρ̃| ≤ |h(ρ̃) - ρ̃|/(1 - c) (Banach a posteriori). h(ρ̃) is evaluated in float64 with an
   a-priori error bound: Horner's rule γ_{2N}Σ|a_k|, the coefficients' radii, the series tail
   |ρ|^N·P_hi, s_ij's rounding 4γ_{d+3}, q*'s radius and the last roundings.
3. G* = G_N + T_N with G_N = Σ_{k<N} μ_k² C*^{∘k} and T_N = Σ_{k≥N} μ_k² C*^{∘k} ⪰ 0 (Schur):
   λ_min(T_N) ≥ P_lo·(1 - max_i Σ_{j≠i}|ρ*_ij|^N) (Gershgorin, |ρ|^k ≤ |ρ|^N for k ≥ N).
   G_N's midpoint matrix Ã (float64 Horner at ρ̃) differs from G_N by R_ij ≤ E_h + D·|ρ*-ρ̃|_ij,
   D = Σ k·a_k, and ‖R‖₂ ≤ ‖R‖_F.
4. λ_min(Ã) ≥ t by one Cholesky (:mod:`numeric.positive_definite`).

    lo = t - ‖R‖_F + P_lo·(1 - max_i Σ_{j≠i} ρ̄_ij^N)₊,
    hi = vᵀG*v/vᵀv bounded above for v the eigenvector estimate of Ã (Rayleigh quotient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from flint import arb, ctx

from numeric.mehler import horner
from numeric.positive_definite import gamma, lambda_min_lower
from symbolic.activations import Activation
from symbolic.enclosure import float_down, float_up
from symbolic.errors import VerifyError
from symbolic.hermite_balls import Growth, QStar, hermite_balls, q_star_ball

EPS = 2.0**-53
#: Shifts tried by the Cholesky test, as fractions of the float λ_min below it.
SHIFTS = (1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0)
#: Relative allowance for the rounding of float64 sums of n² nonnegative terms (n ≤ 10⁵).
SUM_MARGIN = 1 + 1e-5
#: Entries per row block of the elementwise bounds (2 MiB of float64: stays in cache).
BLOCK = 1 << 18


@dataclass(frozen=True)
class LambdaCertificate:
    """λ* ∈ [lower, upper], proved; with q*'s enclosure and the pieces of the lower bound."""

    lower: float
    upper: float
    q_star: QStar
    cholesky_bound: float  # t ≤ λ_min(Ã)
    frobenius: float  # ‖R‖_F
    tail: float  # P_lo (1 - max_i Σ ρ̄^N)₊
    rho_radius: float  # max |ρ* - ρ̃|
    terms: int
    prec: int
    precision_part: float  # n·Σ_k rad(μ_k²): the part of ‖R‖_F that --prec controls

    @property
    def shortfall(self) -> str:
        """Why the lower end is not positive, and which setting (if any) would change that."""
        if self.positive:
            return ""
        if not self.cholesky_bound > 0:
            return (
                "no shift t > 0 made fl-Cholesky of Ã - tI provably succeed: λ* is at or below "
                "float64's rounding floor for this n (γ_{n+1}·tr Ã); no setting of this tool "
                "raises it"
            )
        if self.precision_part >= self.frobenius / 2:
            return (
                f"the coefficients' radii (n·Σ rad μ_k² = {self.precision_part:.2e}) dominate "
                f"‖R‖_F = {self.frobenius:.2e} > t = {self.cholesky_bound:.2e}: raise --prec "
                f"(now {self.prec})"
            )
        return (
            f"the float64 entries' error ‖R‖_F = {self.frobenius:.2e} exceeds the Cholesky bound "
            f"t = {self.cholesky_bound:.2e}: λ* is within float64's entry error at this n; "
            "raising --prec does not help"
        )

    @property
    def positive(self) -> bool:
        return self.lower > 0

    @property
    def enclosure(self) -> list[float]:
        return [self.lower, self.upper]

    @property
    def method(self) -> str:
        return (
            f"ball arithmetic, {self.prec} bits (Arb): q* by Banach a posteriori, μ_k(q*) for "
            f"k < {self.terms} by rigorous integration, Σ* by a posteriori bounds on the float "
            "entries; Rump's Cholesky test on the midpoint matrix; Gershgorin on the Hermite tail"
        )


def certify_lambda_star(
    act: Activation,
    x: torch.Tensor,
    sigma_w2: float,
    sigma_float: torch.Tensor,
    q_float: float,
    estimate: float,
    growth: Growth,
    *,
    terms: int,
    prec: int,
    q_steps: int,
) -> LambdaCertificate:
    """The enclosure of λ_min(G*) described in the module docstring. ``sigma_float`` and
    ``q_float`` are the float solver's Σ* and q*, ``estimate`` its λ_min(G*). Raises
    :class:`VerifyError` when a contraction constant is not below 1."""
    old = ctx.prec
    ctx.prec = prec
    try:
        return _certify(
            act, x, sigma_w2, sigma_float, q_float, estimate, growth, terms, prec, q_steps
        )
    finally:
        ctx.prec = old


def _certify(act, x, sigma_w2, sigma_float, q_float, estimate, g: Growth, terms, prec, q_steps):
    _n, d = x.shape
    x = x.to(torch.float64).cpu()
    sigma_float = sigma_float.to(torch.float64).cpu()
    qs = q_star_ball(act, sigma_w2, d, q_float, g, q_steps)
    big_q = qs.enclosure.ball
    s2 = 2 * arb(sigma_w2)
    c_off = s2 * g.lip**2
    if not c_off < 1:
        raise VerifyError(f"2σ_w²L² ≤ {float(c_off.upper()):.3g} is not below 1: no certificate")
    mu = hermite_balls(act, big_q, terms, g)
    a = [m * m for m in mu]
    moment = (big_q - arb(2) / d) / s2
    rest = moment - sum(a, arb(0))
    p_lo, p_hi = max(float_down(rest), 0.0), float_up(rest)
    mids = [float(v.mid()) for v in a]
    coeffs = torch.tensor(mids, dtype=torch.float64)
    coef_err = float_up(sum((abs(v - arb(m)) for v, m in zip(a, mids)), arb(0)))
    slope = float_up(sum((k * v for k, v in enumerate(a)), arb(0)))  # D ≥ Σ k a_k
    horner_err = float_up(gamma(2 * terms) * sum(abs(m) for m in mids) * SUM_MARGIN) + coef_err

    q_mid = float(big_q.mid())
    q_lo = float_down(big_q)
    r_q = float_up(abs(big_q - arb(q_mid)))
    unit = x / x.norm(dim=1, keepdim=True)
    s_err = float_up(4 * gamma(d + 3))
    w2, wd = 2 * sigma_w2, 2.0 / d
    c = float_up(c_off)
    n = x.shape[0]
    kappa = torch.empty(n, n, dtype=torch.float64)
    r_rho = torch.empty(n, n, dtype=torch.float64)
    step = max(1, BLOCK // n)  # row blocks that stay in cache through the Horner passes
    for r0 in range(0, n, step):
        rows = slice(r0, min(n, r0 + step))
        s = unit[rows] @ unit.T
        rho = (sigma_float[rows] / q_float).clamp_(-1.0, 1.0)
        rho.diagonal(offset=r0).fill_(1.0)
        kap = horner(coeffs, rho)  # the rounding horner_err bounds: out·ρ + c_k from the top
        num = w2 * kap + wd * s
        h = num / q_mid
        tail = rho.abs() ** terms * p_hi
        num_err = w2 * (horner_err + tail) + wd * s_err + 4 * EPS * (w2 * kap.abs() + wd * s.abs())
        h_err = num_err / q_lo + num.abs() * (r_q / (q_lo * q_lo)) + 2 * EPS * h.abs()
        delta = (h - rho).abs() * (1 + EPS) + h_err
        kappa[rows] = kap
        r_rho[rows] = delta / (1 - c) * (1 + 4 * EPS)
    r_rho.fill_diagonal_(0.0)  # C*_ii = 1 exactly
    # Σ̃ need not be bitwise symmetric (x @ x.T is not): the midpoint averages (i, j) and (j, i),
    # each within its own radius of the same ρ*_ij
    r_rho = torch.maximum(r_rho, r_rho.T)

    # R = horner_err + slope·r_ρ + 2u|κ| (built in place: the stage holds κ, r_ρ and R, not more)
    radius = (r_rho * slope).add_(horner_err).add_(kappa.abs().mul_(2 * EPS))
    frob = float(torch.linalg.norm(radius)) * SUM_MARGIN
    mid = torch.add(kappa, kappa.T).mul_(0.5)  # exactly symmetric; the averaging error is in R
    del kappa

    row_sums = torch.empty(n, dtype=torch.float64)
    for r0 in range(0, n, step):  # Σ_j ρ̄_ij^N with ρ̄ = min(|ρ| + r_ρ, 1), row blocks in cache
        rows = slice(r0, min(n, r0 + step))
        rho_bar = (sigma_float[rows] / q_float).clamp_(-1.0, 1.0).abs_().add_(r_rho[rows])
        rho_bar.clamp_(max=1.0).diagonal(offset=r0).fill_(0.0)
        row_sums[rows] = rho_bar.pow_(terms).sum(dim=1)
    r_max = float(r_rho.max())
    del r_rho
    row = float(row_sums.max()) * SUM_MARGIN
    tail_lo = float_down(arb(p_lo) * (1 - arb(row)).nonnegative_part())
    tail_hi = float_up(arb(p_hi) * (1 + arb(row)))

    lam_a = estimate - p_hi * (1 + row)  # λ_min(Ã) ≥ λ_min(G*) - ‖T_N‖: the first shift to try
    pd = lambda_min_lower(mid, lam_a if lam_a > 0 else estimate, SHIFTS)
    lower = float_down(arb(pd.lower) - arb(frob) + arb(tail_lo))  # no rounding lifts it
    upper = _rayleigh_upper(mid, radius, tail_hi, pd.shift)
    return LambdaCertificate(
        lower,
        upper,
        qs,
        pd.lower,
        frob,
        tail_lo,
        r_max,
        terms,
        prec,
        n * coef_err,
    )


def _rayleigh_upper(mid: torch.Tensor, radius: torch.Tensor, tail_hi: float, shift: float):
    """vᵀG*v/vᵀv ≤ (vᵀÃv + |v|ᵀR|v| + ‖T_N‖‖v‖² + rounding)/‖v‖², v from a few steps of
    inverse iteration on Ã - shift·I (or eigh when no shift succeeded)."""
    n = mid.shape[0]
    if math.isfinite(shift):
        shifted = mid.clone()
        shifted.diagonal().sub_(shift)
        factor, info = torch.linalg.cholesky_ex(shifted)
        del shifted
    if not math.isfinite(shift) or int(info) != 0:
        v = torch.linalg.eigh(mid)[1][:, 0]
    else:
        v = torch.ones(n, dtype=mid.dtype)
        for _ in range(8):
            v = torch.cholesky_solve(v[:, None], factor)[:, 0]
            v = v / v.norm()
    av = mid @ v
    quad = float(v @ av)
    absv = v.abs()
    rounding = 2 * float(gamma(n + 1).mid()) * float(absv @ (mid.abs() @ absv)) * 2
    extra = float(absv @ (radius @ absv)) * SUM_MARGIN
    norm2 = float(v @ v) * (1 - 2 * n * EPS)
    return math.nextafter(
        (quad + rounding + extra + tail_hi * float(v @ v) * SUM_MARGIN) / norm2, math.inf
    )


__all__ = ["SHIFTS", "LambdaCertificate", "certify_lambda_star"]
