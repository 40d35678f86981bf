"""A verified lower bound on λ_min of a symmetric float64 matrix by one Cholesky (Rump's test).

If the floating-point Cholesky factorization of B = fl(A - sI) runs to completion, then
(Demmel 1989; Rump, "Verification of positive definiteness", BIT 46, 2006)

    L̃L̃ᵀ = B + ΔB,  |ΔB| ≤ γ_{n+1}|L̃||L̃ᵀ|,  ‖ΔB‖₂ ≤ γ_{n+1}/(1 - γ_{n+1}) · tr(B),

with γ_k = k·u/(1 - k·u), u = 2⁻⁵³, whatever the order of the inner products (blocked LAPACK
and fused multiply-adds included), barring underflow (an extra 4(n+1)(2(n+1) + max b_ii)·η,
η = 2⁻¹⁰⁷⁴, covers it). The diagonal shift rounds by at most u·|b_ii|. So

    λ_min(A) ≥ s - γ_{n+1}/(1 - γ_{n+1})·tr(B) - u·max|b_ii| - 4(n+1)(2(n+1) + max b_ii)·η.

The scalar bound is computed in ball arithmetic from the exact float inputs, so its own rounding
cannot lift it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from flint import arb

from symbolic.enclosure import float_down, float_up

U = arb(2) ** -53
_SUM_MARGIN = 1 + 1e-5  # float64 sums of n² nonnegative terms (n ≤ 10⁵) lose less than this
ETA = arb(2) ** -1074


def gamma(k: int) -> arb:
    """γ_k = k·u / (1 - k·u), as a ball."""
    return k * U / (1 - k * U)


@dataclass(frozen=True)
class PDBound:
    """λ_min(A) ≥ ``lower`` (proved), found with the shift ``shift`` after ``tries`` Cholesky
    factorizations."""

    lower: float
    shift: float
    tries: int


def cholesky_lower_bound(a: torch.Tensor, shift: float) -> float | None:
    """A proved lower bound on λ_min(a) when fl-Cholesky of a - shift·I succeeds, else None."""
    b = a.clone()
    b.diagonal().sub_(shift)
    _, info = torch.linalg.cholesky_ex(b)
    if int(info) != 0:
        return None
    return rump_bound(b.diagonal(), shift)


def rump_bound(b_diag: torch.Tensor, shift: float) -> float:
    """The module docstring's bound s - γ_{n+1}/(1 - γ_{n+1})·tr B - u·max|b_ii| - underflow, for
    B = fl(A - s·I) with diagonal ``b_diag`` whose fl-Cholesky ran to completion, rounded down."""
    n = b_diag.shape[0]
    trace = arb(0)
    for v in b_diag.tolist():  # exact float inputs; Arb sums them with a rigorous radius
        trace += arb(v)
    big = arb(float(b_diag.abs().max()))
    g = gamma(n + 1)
    bound = arb(shift) - g / (1 - g) * trace - U * big - 4 * (n + 1) * (2 * (n + 1) + big) * ETA
    return float_down(bound)


def shifted_cholesky_(a: torch.Tensor, shift: float) -> float | None:
    """Rump's test on the exactly symmetric CPU matrix ``a`` without a copy of it: a's diagonal
    is lowered by ``shift`` (B = fl(a - shift·I)) and fl-Cholesky overwrites ``a`` in place.
    Returns the proved lower bound on λ_min(a) (:func:`rump_bound`) when it runs to completion,
    and then ``a.mT`` is the lower Cholesky factor of B (for :func:`inverse_iteration`); None
    when it breaks down. Either way ``a`` no longer holds the matrix."""
    a.diagonal().sub_(shift)
    b_diag = a.diagonal().clone()
    view = a.mT  # column-major, as LAPACK wants it: factored where it lies (a = aᵀ exactly)
    info = torch.empty((), dtype=torch.int32)
    torch.linalg.cholesky_ex(view, out=(view, info))
    return rump_bound(b_diag, shift) if int(info) == 0 else None


#: Solves of the inverse iteration that finds the Rayleigh vector.
INVERSE_STEPS = 8


def inverse_iteration(factor: torch.Tensor) -> torch.Tensor:
    """A unit vector near the eigenvector of the least eigenvalue of B = factor·factorᵀ
    (``factor`` lower triangular): INVERSE_STEPS solves B v_new = v from v = (1, …, 1)."""
    v = torch.ones(factor.shape[0], dtype=factor.dtype)
    for _ in range(INVERSE_STEPS):
        # two triangular solves on the factor where it lies (cholesky_solve would copy it)
        w = torch.linalg.solve_triangular(factor, v[:, None], upper=False)
        v = torch.linalg.solve_triangular(factor.mT, w, upper=True)[:, 0]
        v = v / v.norm()
    return v


def lambda_min_lower(a: torch.Tensor, estimate: float, fractions: tuple[float, ...]) -> PDBound:
    """The best proved bound over shifts estimate - f·|estimate| for f in ``fractions``
    (smallest first: the first success is the tightest)."""
    scale = abs(estimate) if estimate != 0 else float(a.diagonal().abs().max())
    for k, f in enumerate(fractions, start=1):
        shift = estimate - f * scale
        lower = cholesky_lower_bound(a, shift)
        if lower is not None:
            return PDBound(lower, shift, k)
    return PDBound(float("-inf"), float("nan"), len(fractions))


def rayleigh_upper(mid: torch.Tensor, radius: torch.Tensor, tail_hi: float, shift: float):
    """λ_min(G) ≤ vᵀGv/vᵀv ≤ (vᵀÃv + |v|ᵀR|v| + tail_hi‖v‖² + rounding)/‖v‖² for any symmetric
    G = Ã + E + T with |E| ≤ R entrywise and ‖T‖₂ ≤ tail_hi; v from a few steps of inverse
    iteration on Ã - shift·I (or eigh when no shift succeeded). Returns the bound and v. The
    rounding allowance is twice γ_{n+1}|v|ᵀ|Ã||v| (the float quadratic form's error), so
    that a re-computation rounded differently stays below the bound."""
    n = mid.shape[0]
    if math.isfinite(shift):
        shifted = mid.clone()
        shifted.diagonal().sub_(shift)
        factor, info = torch.linalg.cholesky_ex(shifted)
        del shifted
    if not math.isfinite(shift) or int(info) != 0:
        v = torch.linalg.eigh(mid)[1][:, 0]
    else:
        v = inverse_iteration(factor)
    return rayleigh_bound([(0, n, mid, radius)], tail_hi, v), v


def rayleigh_bound(blocks, tail_hi: float, v: torch.Tensor) -> float:
    """The bound of :func:`rayleigh_upper` for the vector ``v``, with Ã and R given as row blocks:
    ``blocks`` yields (r0, r1, rows r0..r1-1 of Ã, the same rows of R), covering 0..n-1 once
    (the matrices need not exist whole). Any summation order is within the allowances."""
    n = v.shape[0]
    absv = v.abs()
    av, hv, rv = (torch.empty(n, dtype=v.dtype) for _ in range(3))
    for r0, r1, mid_rows, radius_rows in blocks:
        av[r0:r1] = mid_rows @ v
        hv[r0:r1] = mid_rows.abs() @ absv
        rv[r0:r1] = radius_rows @ absv
    quad = float(v @ av)
    # the last sums in ball arithmetic from the exact float terms: no rounding of ours lowers it
    rounding = 4 * gamma(n + 1) * arb(float(absv @ hv)) * _SUM_MARGIN
    extra = arb(float(absv @ rv)) * _SUM_MARGIN
    vv = arb(float(v @ v))
    norm2 = vv * (1 - 2 * n * U)
    bound = (arb(quad) + rounding + extra + arb(tail_hi) * vv * _SUM_MARGIN) / norm2
    return float_up(bound)


__all__ = [
    "PDBound",
    "cholesky_lower_bound",
    "gamma",
    "inverse_iteration",
    "lambda_min_lower",
    "rayleigh_bound",
    "rayleigh_upper",
    "rump_bound",
    "shifted_cholesky_",
]
