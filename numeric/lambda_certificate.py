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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import torch
from flint import arb, ctx

from numeric.gram_balls import dual_entries, s_error, unit_rows
from numeric.mehler import horner
from numeric.positive_definite import (
    PDBound,
    gamma,
    inverse_iteration,
    lambda_min_lower,
    rayleigh_bound,
    rayleigh_upper,
    shifted_cholesky_,
)
from numeric.symmetric import is_symmetric, maximum_mirror_, mirror_upper_
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
    ``rho`` (built from Σ̃ when asked for: not kept as a matrix of its own) and claimed radii,
    the μ_k(q*)² balls and Parseval remainder (series route), the Cholesky shift, the Rayleigh
    vector, and E[φ'(√q* Z)²] (upper end)."""

    correlations: Callable[[], torch.Tensor] = field(repr=False)
    rho_radius: torch.Tensor
    coefficients: tuple[arb, ...]
    remainder: arb | None
    shift: float
    vector: torch.Tensor
    slope_moment: arb

    @property
    def rho(self) -> torch.Tensor:
        """ρ̃ (n×n, symmetric, unit diagonal)."""
        return self.correlations()


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
    gram_float: torch.Tensor | None = None,
) -> LambdaCertificate:
    """The enclosure of λ_min(G*) described in the module docstring. ``sigma_float`` and
    ``q_float`` are the float solver's Σ* and q*, ``estimate`` its λ_min(G*); the closed-form
    route serves when φ has a dual and n ≤ ``dual_max_n``. ``gram_float``, the float solver's
    G* (exactly symmetric), if given, serves the series route's Rayleigh quotient in place of Ã
    (which Rump's test overwrote), with max|G̃ - Ã| added to R there: no second Horner pass.
    Raises :class:`VerifyError` when no invariant interval or contraction is proved."""
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
            gram_float,
        )


def _certify(
    act,
    x,
    sigma_w2,
    sigma_float,
    q_float,
    estimate,
    t: Tails,
    terms,
    prec,
    q_steps,
    dual_max_n,
    gram_float,
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
    if kappa is None:
        args = (sigma_float, q_float, estimate, t, terms, qs, c, m1, gram_float)
        return _certify_series(act, x, sigma_w2, *args)
    e = dual_entries(
        kappa, x, sigma_float, q_float, big_q, sigma_w2, c, m1, (CLAIM_SLACK, CLAIM_ULPS)
    )
    frob = float(torch.linalg.norm(e.radius)) * SUM_MARGIN
    pd = lambda_min_lower(e.mid, estimate, SHIFTS)
    lower = float_down(arb(pd.lower) - arb(frob))  # no rounding lifts it
    upper, v = rayleigh_upper(e.mid, e.radius, 0.0, pd.shift)
    evidence = Evidence(partial(_same, e.rho), e.rho_radius, (), None, pd.shift, v, m1)
    return LambdaCertificate(
        lower,
        upper,
        qs,
        pd.lower,
        frob,
        0.0,
        float(e.rho_radius.max()),
        terms,
        prec,
        0.0,
        "dual",
        float_up(c),
        evidence,
    )


def _same(value: torch.Tensor) -> torch.Tensor:
    return value


def _certify_series(
    act, x, sigma_w2, sigma_float, q_float, estimate, t, terms, qs, c, m1, gram_float
):
    """The Hermite-series route, with at most two n×n matrices of its own: the midpoint Ã
    (factored in place by Rump's test) and the correlations' radii; R is never stored whole."""
    sigma_float = sigma_float.to(torch.float64).cpu()
    if not is_symmetric(sigma_float):  # the upper triangle decides (population_gram's Σ̃ is)
        sigma_float = mirror_upper_(sigma_float.clone())
    s = _series(act, x, sigma_w2, sigma_float, q_float, qs.enclosure.ball, terms, t, c)
    if gram_float is not None and gram_float.shape == s.mid.shape:
        g = gram_float.to(torch.float64).cpu()
        if is_symmetric(g):
            s.use_float_gram(g)
    lam_a = estimate - s.tail_hi  # λ_min(Ã) ≥ λ_min(G*) - ‖T_N‖: the first shift to try
    pd = _rump_in_place(s, lam_a if lam_a > 0 else estimate)
    lower = float_down(arb(pd.lower) - arb(s.frobenius) + arb(s.tail_lo))  # no rounding lifts it
    if math.isfinite(pd.shift):
        v = inverse_iteration(s.mid.mT)  # the factor Rump's test left in place
    else:  # no shift succeeded: Ã's own eigenvector (rebuilt first; the test overwrote it)
        s.fill_mid()
        v = torch.linalg.eigh(s.mid)[1][:, 0]
    upper = rayleigh_bound(s.blocks(), s.tail_hi, v)
    evidence = Evidence(
        partial(_correlations, sigma_float, q_float),
        s.rho_radius,
        s.coefs,
        s.rest,
        pd.shift,
        v,
        m1,
    )
    return LambdaCertificate(
        lower,
        upper,
        qs,
        pd.lower,
        s.frobenius,
        s.tail_lo,
        float(s.rho_radius.max()),
        terms,
        ctx.prec,
        s.prec_part,
        "series",
        float_up(c),
        evidence,
    )


def _rump_in_place(s: _Series, estimate: float) -> PDBound:
    """:func:`numeric.positive_definite.lambda_min_lower` on the series midpoint, factored in
    place: the shifts estimate - f·|estimate| for f in SHIFTS, Ã rebuilt after each failure. On
    success ``s.mid.mT`` is the Cholesky factor of Ã - shift·I."""
    scale = abs(estimate) if estimate != 0 else float(s.mid.diagonal().abs().max())
    for k, f in enumerate(SHIFTS, start=1):
        if k > 1:
            s.fill_mid()
        shift = estimate - f * scale
        lower = shifted_cholesky_(s.mid, shift)
        if lower is not None:
            return PDBound(lower, shift, k)
    return PDBound(float("-inf"), float("nan"), len(SHIFTS))


def _correlations(sigma: torch.Tensor, q_float: float) -> torch.Tensor:
    """ρ̃ = clamp(Σ̃/q̃, -1, 1) with a unit diagonal (``sigma`` exactly symmetric)."""
    n = sigma.shape[0]
    return torch.cat([_rho_rows(sigma, q_float, r0, min(n, r0 + step)) for r0, step in _steps(n)])


def _steps(n: int):
    step = max(1, BLOCK // max(1, n))
    return ((r0, step) for r0 in range(0, n, step))


def _rho_rows(sigma: torch.Tensor, q_float: float, r0: int, r1: int) -> torch.Tensor:
    """Rows r0..r1-1 of :func:`_correlations` (``sigma`` exactly symmetric)."""
    rows = torch.div(sigma[r0:r1], q_float).clamp_(-1.0, 1.0)
    rows.diagonal(r0).fill_(1.0)
    return rows


@dataclass
class _Series:
    """The series route's entries: ``mid`` = Ã = Horner(ρ̃) (n×n, the one matrix Rump's test
    factors in place; :meth:`fill_mid` rebuilds it), ``rho_radius`` (n×n, symmetric), and the
    scalars of R_ij = horner_err + slope·r_ρij + 2u|Ã_ij|, which is never stored whole:
    :meth:`blocks` yields it row block by row block, beside Ã's rows."""

    mid: torch.Tensor
    rho_radius: torch.Tensor
    sigma: torch.Tensor
    q_float: float
    coeffs: torch.Tensor
    horner_err: float
    slope: float
    coefs: tuple[arb, ...]
    rest: arb
    prec_part: float
    frobenius: float = math.nan
    tail_lo: float = 0.0
    tail_hi: float = 0.0
    gram: torch.Tensor | None = None  # the float G̃, when it stands in for Ã (use_float_gram)
    gap: float = 0.0  # ≥ max |G̃_ij - Ã_ij|

    def mid_rows(self, r0: int, r1: int) -> torch.Tensor:
        """Rows r0..r1-1 of Ã = Horner(ρ̃) (the roundings horner_err bounds)."""
        return horner(self.coeffs, _rho_rows(self.sigma, self.q_float, r0, r1))

    def radius_rows(self, r0: int, r1: int, abs_mid_rows: torch.Tensor) -> torch.Tensor:
        """Rows r0..r1-1 of R, from the same rows of |Ã| (or of an upper bound on them)."""
        r = self.rho_radius[r0:r1] * self.slope
        return r.add_(self.horner_err).add_(abs_mid_rows.mul_(2 * EPS))

    def use_float_gram(self, gram: torch.Tensor) -> None:
        """Let the float G̃ (exactly symmetric) stand in for Ã in :meth:`blocks`: |G* - G̃| ≤
        R + gap with gap ≥ max|G̃ - Ã| (one pass over Ã, before Rump's test overwrites it:
        |fl(a - b)| is within a factor 1 + u of |a - b|, plus an underflow)."""
        n = gram.shape[0]
        worst = 0.0
        for r0, step in _steps(n):
            rows = slice(r0, min(n, r0 + step))
            worst = max(worst, float(torch.sub(gram[rows], self.mid[rows]).abs_().max()))
        self.gram, self.gap = gram, worst * (1 + 2 * EPS) + 2.0**-1074

    def fill_mid(self) -> None:
        """Ã again, row block by row block, where Rump's test overwrote it."""
        for r0, step in _steps(self.mid.shape[0]):
            r1 = min(self.mid.shape[0], r0 + step)
            self.mid[r0:r1] = self.mid_rows(r0, r1)

    def blocks(self):
        """(r0, r1, rows of a midpoint, rows of its entry bound) over all rows: G̃ and R + gap
        when G̃ stands in (R's 2u|Ã| from |G̃| + gap), else Ã recomputed (its factor took its
        place) and R."""
        n = self.mid.shape[0]
        for r0, step in _steps(n):
            r1 = min(n, r0 + step)
            if self.gram is not None:
                rows = self.gram[r0:r1]
                bound = self.radius_rows(r0, r1, rows.abs().add_(self.gap)).add_(self.gap)
                yield r0, r1, rows, bound
            else:
                rows = self.mid_rows(r0, r1)
                yield r0, r1, rows, self.radius_rows(r0, r1, rows.abs())


def _widen(ball: arb, scale: arb) -> arb:
    """The ball with its radius doubled and widened by 2^-(prec-16)·scale (module doc): an
    independent integration of the same μ_k² (its own subdivision, its own tail bound; the exact
    zeros of parity come back as (0 ± 2^-prec)²) lands inside."""
    extra = ball.rad() + abs(scale) * arb(2) ** (16 - ctx.prec)
    return arb(ball.mid(), (ball.rad() + extra).upper())


def _series(act, x, sigma_w2, sigma_float, q_float, big_q, terms, t: Tails, c: arb) -> _Series:
    """The Hermite-series route of the module docstring: one pass over row blocks for Ã and r_ρ,
    one for ‖R‖_F and the Gershgorin row sums of the tail."""
    n, d = x.shape
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
    out = _Series(
        torch.empty(n, n, dtype=torch.float64),
        torch.empty(n, n, dtype=torch.float64),
        sigma_float,
        q_float,
        coeffs,
        horner_err,
        slope,
        tuple(a),
        rest,
        n * coef_err,
    )
    r_rho = out.rho_radius
    for r0, step in _steps(n):  # row blocks that stay in cache through the Horner passes
        rows = slice(r0, min(n, r0 + step))
        s = unit[rows] @ unit.T
        rho = _rho_rows(sigma_float, q_float, rows.start, rows.stop)
        kap = horner(coeffs, rho)  # the rounding horner_err bounds: out·ρ + c_k from the top
        out.mid[rows] = kap
        # in place, each the same float operations in the same order as written out:
        # num = w2·κ + wd·s,  h = num/q,  tail = |ρ|^N·p_hi(1 + 1e-13) (libm's pow: within
        # 1e-13 of it),  num_err = w2(horner_err + tail) + wd·s_err + 4u(w2|κ| + wd|s|),
        # h_err = num_err/q_lo + |num|·r_q/q_lo² + 2u|h|,  delta = |h - ρ|(1 + u) + h_err
        num = torch.mul(kap, w2).add_(torch.mul(s, wd))
        h = torch.div(num, q_mid)
        err = rho.abs().pow_(terms).mul_(p_hi * (1 + 1e-13))
        err.add_(horner_err).mul_(w2).add_(wd * s_err)
        err.add_(kap.abs_().mul_(w2).add_(s.abs_().mul_(wd)).mul_(4 * EPS))
        err.div_(q_lo).add_(num.abs_().mul_(r_q / (q_lo * q_lo)))
        err.add_(h.abs().mul_(2 * EPS))  # h_err
        delta = err.add_(h.sub_(rho).abs_().mul_(1 + EPS))
        r_rho[rows] = delta.div_(1 - cc).mul_(1 + 4 * EPS).mul_(1 + CLAIM_SLACK).add_(CLAIM_ULPS)
    r_rho.fill_diagonal_(0.0)  # C*_ii = 1 exactly
    maximum_mirror_(r_rho)  # one radius per pair, the larger of the two

    # ‖R‖_F and Σ_j ρ̄_ij^N with ρ̄ = min(|ρ| + r_ρ, 1), row blocks in cache
    row_sums = torch.empty(n, dtype=torch.float64)
    squares = 0.0
    for r0, step in _steps(n):
        rows = slice(r0, min(n, r0 + step))
        radius = out.radius_rows(r0, rows.stop, out.mid[rows].abs())
        squares += float(torch.linalg.vector_norm(radius)) ** 2
        rho_bar = _rho_rows(sigma_float, q_float, r0, rows.stop).abs_().add_(r_rho[rows])
        rho_bar.clamp_(max=1.0).diagonal(offset=r0).fill_(0.0)
        row_sums[rows] = rho_bar.pow_(terms).sum(dim=1)
    # the float sum of the blocks' squared norms and its root: within SUM_MARGIN of ‖R‖_F
    out.frobenius = math.sqrt(squares) * SUM_MARGIN
    row = float(row_sums.max()) * SUM_MARGIN
    out.tail_lo = float_down(arb(p_lo) * (1 - arb(row)).nonnegative_part())
    out.tail_hi = float_up(arb(p_hi) * (1 + arb(row)))
    return out


__all__ = ["CLAIM_SLACK", "SHIFTS", "Evidence", "LambdaCertificate", "certify_lambda_star"]
