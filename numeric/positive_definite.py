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
    n = a.shape[0]
    b = a.clone()
    b.diagonal().sub_(shift)
    _, info = torch.linalg.cholesky_ex(b)
    if int(info) != 0:
        return None
    diag = b.diagonal()
    trace = arb(0)
    for v in diag.tolist():  # exact float inputs; Arb sums them with a rigorous radius
        trace += arb(v)
    big = arb(float(diag.abs().max()))
    g = gamma(n + 1)
    bound = arb(shift) - g / (1 - g) * trace - U * big - 4 * (n + 1) * (2 * (n + 1) + big) * ETA
    return float_down(bound)


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
        v = torch.ones(n, dtype=mid.dtype)
        for _ in range(8):
            v = torch.cholesky_solve(v[:, None], factor)[:, 0]
            v = v / v.norm()
    av = mid @ v
    quad = float(v @ av)
    absv = v.abs()
    # the last sums in ball arithmetic from the exact float terms: no rounding of ours lowers it
    rounding = 4 * gamma(n + 1) * arb(float(absv @ (mid.abs() @ absv))) * _SUM_MARGIN
    extra = arb(float(absv @ (radius @ absv))) * _SUM_MARGIN
    vv = arb(float(v @ v))
    norm2 = vv * (1 - 2 * n * U)
    bound = (arb(quad) + rounding + extra + arb(tail_hi) * vv * _SUM_MARGIN) / norm2
    return float_up(bound), v


__all__ = ["PDBound", "cholesky_lower_bound", "gamma", "lambda_min_lower", "rayleigh_upper"]
