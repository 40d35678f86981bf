"""A certified enclosure [lo, hi] of λ* = λ_min(G*) for unit-norm data (the inputs taken as
x_i/‖x_i‖ exactly).

Ingredients, each proved:

1. q* as a ball on an invariant interval J of the variance map with sup_J|T'| < 1
   (:mod:`symbolic.variance_map`): no global Lipschitz constant of φ is needed, so φ' may be
   unbounded (x², e^x). The correlation map's slope c = 2σ_w² E[φ'(√q Z)²] < 1 for q in q*'s
   ball (Price's theorem and Cauchy–Schwarz: |E[φ'(u)φ'(v)]| ≤ E[φ'(√q Z)²]): the diagonal
   iterates converge to q*, so the off-diagonal recursion contracts from some step on and
   converges to the fixed point below.
2. The entries, by one of two routes:

   * **closed-form dual** (where φ has one and n ≤ ``dual_max_n``): each G*_ij = κ(ρ*_ij) as a
     ball from the exact dual, ρ*_ij by Banach a posteriori (:mod:`numeric.gram_balls`); no
     series, no tail: G* = Ã + E, |E_ij| ≤ R_ij.
   * **Hermite series**: μ_k(q*)² for k < N as balls (Arb integrals), the Parseval remainder
     P = E[φ(√q* Z)²] - Σ_{k<N} μ_k² ∈ [P_lo, P_hi], E[φ(√q*Z)²] = (q* - 2/d)/(2σ_w²) exactly.
     The correlations solve ρ = h(ρ) = (2σ_w² κ(ρ) + (2/d)s_ij)/q* with κ(ρ) = Σ_k μ_k² ρ^k;
     |h'| ≤ c, so |ρ* - ρ̃| ≤ |h(ρ̃) - ρ̃|/(1 - c), h(ρ̃) evaluated in float64 with an a-priori
     error bound (Horner's rule γ_{2N}Σ|a_k|, the coefficients' radii, the series tail
     |ρ|^N·P_hi, s_ij's rounding 4γ_{d+3}, q*'s radius and the last roundings). G* = G_N + T_N,
     G_N = Σ_{k<N} μ_k² C*^{∘k}, T_N = Σ_{k≥N} μ_k² C*^{∘k} ⪰ 0 (Schur) with
     λ_min(T_N) ≥ P_lo·(1 - max_i Σ_{j≠i}|ρ*_ij|^N) (Gershgorin); G_N's float midpoint Ã
     (Horner at ρ̃) differs from G_N by R_ij ≤ E_h + D·|ρ* - ρ̃|_ij, D = Σ k·a_k.

3. λ_min(Ã) ≥ t by one Cholesky (:mod:`numeric.positive_definite`), ‖R‖₂ ≤ ‖R‖_F, so

    lo = t - ‖R‖_F + (series: P_lo·(1 - max_i Σ_{j≠i} ρ̄_ij^N)₊),
    hi = vᵀG*v/vᵀv bounded above for v the eigenvector estimate of Ã (Rayleigh quotient).

Every radius written to a certificate file (q*'s ball, the μ_k² balls, the correlations'
radii) is the one the bounds above used, widened beforehand (the correlations' by CLAIM_SLACK
and CLAIM_ULPS,
the μ_k²'s twice and by 2^-(prec-16)·E[φ²]) so that an independent re-derivation of the same
quantity, rounded differently, still lies inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from flint import arb, ctx

from numeric.gram_balls import dual_entries, s_error, unit_rows
from numeric.mehler import horner
from numeric.positive_definite import gamma, lambda_min_lower, rayleigh_upper
from symbolic.activations import Activation
from symbolic.balls import prec_scope
from symbolic.dual_balls import kappa_ball
from symbolic.enclosure import float_down, float_up
from symbolic.errors import VerifyError
from symbolic.hermite_balls import Tails, hermite_balls, slope_moment
from symbolic.variance_map import QStar, q_star_ball

EPS = 2.0**-53
#: Shifts tried by the Cholesky test, as fractions of the float λ_min below it.
SHIFTS = (1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.5, 1.0)
#: Relative allowance for the rounding of float64 sums of n² nonnegative terms (n ≤ 10⁵).
SUM_MARGIN = 1 + 1e-5
#: Entries per row block of the elementwise bounds (2 MiB of float64: stays in cache).
BLOCK = 1 << 18
#: Relative widening of every radius a certificate file claims (module docstring).
CLAIM_SLACK = 2.0**-4
#: Absolute widening of the same: a re-derivation rounds h(ρ̃) differently by a few ulps of 1.
CLAIM_ULPS = 2.0**-49


@dataclass(frozen=True)
class Evidence:
    """What the bounds used, as a certificate file states it: the correlations' float midpoints
    ``rho`` and claimed radii, the μ_k(q*)² balls and Parseval remainder (series route), the
    Cholesky shift, the Rayleigh vector, and E[φ'(√q* Z)²] (upper end)."""

    rho: torch.Tensor
    rho_radius: torch.Tensor
    coefficients: tuple[arb, ...]
    remainder: arb | None
    shift: float
    vector: torch.Tensor
    slope_moment: arb


@dataclass(frozen=True)
class LambdaCertificate:
    """λ* ∈ [lower, upper], proved; with q*'s enclosure and the pieces of the lower bound."""

    lower: float
    upper: float
    q_star: QStar
    cholesky_bound: float  # t ≤ λ_min(Ã)
    frobenius: float  # ‖R‖_F
    tail: float  # P_lo (1 - max_i Σ ρ̄^N)₊ (0 on the closed-form route)
    rho_radius: float  # max |ρ* - ρ̃|
    terms: int
    prec: int
    precision_part: float  # n·Σ_k rad(μ_k²): the part of ‖R‖_F that --prec controls
    route: str = "series"  # "dual" (closed form in ball arithmetic) or "series" (Hermite)
    contraction: float = math.nan  # c = 2σ_w² E[φ'(√q* Z)²], the correlation map's slope
    evidence: Evidence | None = field(default=None, repr=False, compare=False)

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
        head = (
            f"ball arithmetic, {self.prec} bits (Arb): q* on an invariant interval (local "
            "contraction)"
        )
        if self.route == "dual":
            entries = (
                "each G*_ij from the closed-form dual at ρ*_ij (Banach a posteriori on the "
                "float correlations)"
            )
            tail = ""
        else:
            entries = (
                f"μ_k(q*) for k < {self.terms} by rigorous integration, Σ* by a posteriori "
                "bounds on the float entries"
            )
            tail = "; Gershgorin on the Hermite tail"
        return f"{head}, {entries}; Rump's Cholesky test on the midpoint matrix{tail}"


def certify_lambda_star(
    act: Activation,
    x: torch.Tensor,
    sigma_w2: float,
    sigma_float: torch.Tensor,
    q_float: float,
    estimate: float,
    tails: Tails,
    *,
    terms: int,
    prec: int,
    q_steps: int,
    dual_max_n: int,
) -> LambdaCertificate:
    """The enclosure of λ_min(G*) described in the module docstring. ``sigma_float`` and
    ``q_float`` are the float solver's Σ* and q*, ``estimate`` its λ_min(G*); the closed-form
    route serves when φ has a dual and n ≤ ``dual_max_n``. Raises :class:`VerifyError` when no
    invariant interval or contraction is proved."""
    with prec_scope(prec):
        return _certify(
            act,
            x,
            sigma_w2,
            sigma_float,
            q_float,
            estimate,
            tails,
            terms,
            prec,
            q_steps,
            dual_max_n,
        )


def _certify(
    act, x, sigma_w2, sigma_float, q_float, estimate, t: Tails, terms, prec, q_steps, dual_max_n
):
    n, d = x.shape
    qs = q_star_ball(act, sigma_w2, d, q_float, t, q_steps)
    big_q = qs.enclosure.ball
    m1 = slope_moment(act, big_q, t).upper()
    c = (2 * arb(sigma_w2) * m1).upper()
    if not c < 1:
        raise VerifyError(
            f"the correlation map is not proved a contraction at q*: 2σ_w² E[φ'(√q* Z)²] ≤ "
            f"{float(c):.3g} is not below 1"
        )
    kappa = kappa_ball(act) if n <= dual_max_n else None
    if kappa is not None:
        e = dual_entries(
            kappa, x, sigma_float, q_float, big_q, sigma_w2, c, m1, (CLAIM_SLACK, CLAIM_ULPS)
        )
        radius, widened = e.radius, e.rho_radius
        mid, coefs, rest, tail_lo, tail_hi, prec_part = e.mid, (), None, 0.0, 0.0, 0.0
        rho = e.rho
        route = "dual"
    else:
        s = _series(act, x, sigma_w2, sigma_float, q_float, big_q, terms, t, c)
        mid, radius, rho, widened = s.mid, s.radius, s.rho, s.rho_radius
        coefs, rest, prec_part = s.coefs, s.rest, s.prec_part
        tail_lo, tail_hi = s.tail_lo, s.tail_hi
        route = "series"
    frob = float(torch.linalg.norm(radius)) * SUM_MARGIN
    lam_a = estimate - tail_hi  # λ_min(Ã) ≥ λ_min(G*) - ‖T_N‖: the first shift to try
    pd = lambda_min_lower(mid, lam_a if lam_a > 0 else estimate, SHIFTS)
    lower = float_down(arb(pd.lower) - arb(frob) + arb(tail_lo))  # no rounding lifts it
    upper, v = rayleigh_upper(mid, radius, tail_hi, pd.shift)
    evidence = Evidence(rho, widened, coefs, rest, pd.shift, v, m1)
    return LambdaCertificate(
        lower,
        upper,
        qs,
        pd.lower,
        frob,
        tail_lo,
        float(widened.max()),
        terms,
        prec,
        prec_part,
        route,
        float_up(c),
        evidence,
    )


@dataclass(frozen=True)
class _Series:
    mid: torch.Tensor
    radius: torch.Tensor
    rho: torch.Tensor
    rho_radius: torch.Tensor
    coefs: tuple[arb, ...]
    rest: arb
    tail_lo: float
    tail_hi: float
    prec_part: float


def _widen(ball: arb, scale: arb) -> arb:
    """The ball with its radius doubled and widened by 2^-(prec-16)·scale (module doc): an
    independent integration of the same μ_k² (its own subdivision, its own tail bound; the exact
    zeros of parity come back as (0 ± 2^-prec)²) lands inside."""
    extra = ball.rad() + abs(scale) * arb(2) ** (16 - ctx.prec)
    return arb(ball.mid(), (ball.rad() + extra).upper())


def _series(act, x, sigma_w2, sigma_float, q_float, big_q, terms, t: Tails, c: arb) -> _Series:
    """The Hermite-series route of the module docstring, entries in row blocks."""
    n, d = x.shape
    sigma_float = sigma_float.to(torch.float64).cpu()
    s2 = 2 * arb(sigma_w2)
    moment = (big_q - arb(2) / d) / s2
    a = [_widen(m * m, moment) for m in hermite_balls(act, big_q, terms, t)]
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
    unit = unit_rows(x)
    s_err = s_error(d)
    w2, wd = 2 * sigma_w2, 2.0 / d
    cc = float_up(c)
    rho_all = (sigma_float / q_float).clamp_(-1.0, 1.0)
    rho_all.fill_diagonal_(1.0)
    rho_all = torch.triu(rho_all) + torch.triu(rho_all, 1).T  # symmetric: the upper triangle
    kappa = torch.empty(n, n, dtype=torch.float64)
    r_rho = torch.empty(n, n, dtype=torch.float64)
    step = max(1, BLOCK // n)  # row blocks that stay in cache through the Horner passes
    for r0 in range(0, n, step):
        rows = slice(r0, min(n, r0 + step))
        s = unit[rows] @ unit.T
        rho = rho_all[rows]
        kap = horner(coeffs, rho)  # the rounding horner_err bounds: out·ρ + c_k from the top
        num = w2 * kap + wd * s
        h = num / q_mid
        tail = rho.abs() ** terms * (p_hi * (1 + 1e-13))  # libm's pow: within 1e-13 of it
        num_err = w2 * (horner_err + tail) + wd * s_err + 4 * EPS * (w2 * kap.abs() + wd * s.abs())
        h_err = num_err / q_lo + num.abs() * (r_q / (q_lo * q_lo)) + 2 * EPS * h.abs()
        delta = (h - rho).abs() * (1 + EPS) + h_err
        kappa[rows] = kap
        r_rho[rows] = (delta / (1 - cc) * (1 + 4 * EPS) * (1 + CLAIM_SLACK)).add_(CLAIM_ULPS)
    r_rho.fill_diagonal_(0.0)  # C*_ii = 1 exactly
    r_rho = torch.maximum(r_rho, r_rho.T)  # one radius per pair, the larger of the two

    # R = horner_err + slope·r_ρ + 2u|κ| (built in place: the stage holds κ, r_ρ and R, not more)
    radius = (r_rho * slope).add_(horner_err).add_(kappa.abs().mul_(2 * EPS))
    mid = torch.add(kappa, kappa.T).mul_(0.5)  # exactly symmetric; the averaging error is in R
    del kappa

    row_sums = torch.empty(n, dtype=torch.float64)
    for r0 in range(0, n, step):  # Σ_j ρ̄_ij^N with ρ̄ = min(|ρ| + r_ρ, 1), row blocks in cache
        rows = slice(r0, min(n, r0 + step))
        rho_bar = rho_all[rows].abs().add_(r_rho[rows])
        rho_bar.clamp_(max=1.0).diagonal(offset=r0).fill_(0.0)
        row_sums[rows] = rho_bar.pow_(terms).sum(dim=1)
    row = float(row_sums.max()) * SUM_MARGIN
    tail_lo = float_down(arb(p_lo) * (1 - arb(row)).nonnegative_part())
    tail_hi = float_up(arb(p_hi) * (1 + arb(row)))
    return _Series(mid, radius, rho_all, r_rho, tuple(a), rest, tail_lo, tail_hi, n * coef_err)


__all__ = ["CLAIM_SLACK", "SHIFTS", "Evidence", "LambdaCertificate", "certify_lambda_star"]
