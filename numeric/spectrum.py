"""Least eigenvalues and the Hermite certificate for λ* = λ_min(G*) (theory §4).

G* = Σ_r μ_r(q*)² C^{∘r} with C = Σ*/q* and every Hadamard power PSD, so

    λ* ≥ Σ_r μ_r(q*)² λ_lower(C^{∘r}),

where λ_lower is a proved lower bound on λ_min(C^{∘r}): the least eigenvalue minus its backward
error for small r, and the Gershgorin bound 1 - max_i Σ_{j≠i} |C_ij|^r (nondecreasing in r)
beyond. The μ_r are lowered by their quadrature error first. The Gershgorin-only sum uses no
eigenvalue solver at all; both are reported beside ``eigvalsh(G*)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

EPS = torch.finfo(torch.float64).eps


@dataclass(frozen=True)
class Certificate:
    """A proved lower bound on λ*: ``value`` (eigen + Gershgorin), ``gershgorin`` (no solver)."""

    value: float
    gershgorin: float
    spec_bound: float  # max_r μ_r² (1 - (n-1) ρ_max^r), the simplest form in theory §4
    first_r: int | None  # smallest r whose Gershgorin bound is positive
    rho_max: float


def eigenvalues(m: torch.Tensor) -> torch.Tensor:
    """Ascending eigenvalues of the symmetric matrix ``m`` (float64)."""
    return torch.linalg.eigvalsh((m + m.T) / 2)


def eig_error(m: torch.Tensor, entry_error: float) -> float:
    """Bound on |λ_computed - λ_true|: backward error of eigvalsh plus the entries' error
    (‖ΔM‖₂ ≤ n max|ΔM_ij|)."""
    n = m.shape[0]
    norm = float(m.abs().sum(dim=1).max())  # ≥ ‖M‖₂
    return 10 * n * EPS * norm + n * entry_error


def hermite_certificate(
    mu: torch.Tensor, mu_error: float, corr: torch.Tensor, *, eig_upto: int, eig_max_n: int
) -> Certificate:
    """Σ_r μ_r² λ_lower(C^{∘r}) for the coefficients ``mu`` = μ_r(q*) and correlations ``corr``:
    eigenvalue bounds for r ≤ ``eig_upto`` when n ≤ ``eig_max_n``, Gershgorin for the rest."""
    n = corr.shape[0]
    mu = torch.as_tensor(mu, dtype=torch.float64)
    corr = corr.to(torch.float64)
    mu2 = (mu.abs() - mu_error).clamp(min=0) ** 2
    off = corr.abs().clone()
    off.fill_diagonal_(0)
    rho_max = float(off.max()) if n > 1 else 0.0
    gersh = _gershgorin_levels(off, len(mu))
    eig = torch.zeros(len(mu), dtype=torch.float64)
    if n <= eig_max_n:
        for r in range(min(eig_upto, len(mu) - 1) + 1):
            if mu2[r] > 0:
                power = corr**r
                eig[r] = max(float(eigenvalues(power)[0]) - eig_error(power, 0.0), 0.0)
    lower = torch.maximum(gersh.clamp(min=0), eig)
    positive = (gersh > 0).nonzero()
    spec = [float(mu2[r]) * (1 - (n - 1) * rho_max**r) for r in range(len(mu))]
    return Certificate(
        float(mu2 @ lower),
        float(mu2 @ gersh.clamp(min=0)),
        max(max(spec), 0.0),
        int(positive[0]) if len(positive) else None,
        rho_max,
    )


def _gershgorin_levels(off: torch.Tensor, terms: int) -> torch.Tensor:
    """1 - max_i Σ_j |C_ij|^r for r < terms. For large n only at r on a geometric grid, each
    value serving as a lower bound up to the next grid point (the bound grows with r)."""
    n = off.shape[0]
    out = torch.empty(terms, dtype=torch.float64)
    grid = (
        list(range(terms))
        if n <= 600
        else sorted(
            {
                *range(min(terms, 17)),
                *(int(16 * 1.25**k) for k in range(40) if 16 * 1.25**k < terms),
            }
        )
    )
    for a, b in zip(grid, [*grid[1:], terms]):
        out[a:b] = 1 - float((off**a).sum(dim=1).max()) if a > 0 else 1.0 - (n - 1)
    return out


@dataclass(frozen=True)
class Spectrum:
    """Ascending eigenvalues of a symmetric matrix whose entries are known to ``entry_error``,
    and ``error``: a bound on |λ_computed - λ_true| for each (backward error + entries)."""

    eigenvalues: torch.Tensor
    error: float

    @property
    def lambda_min(self) -> float:
        return float(self.eigenvalues[0])


def spectral_bounds(m: torch.Tensor, entry_error: float) -> Spectrum:
    """eigvalsh of ``m`` once, with the error bound of :func:`eig_error`."""
    return Spectrum(eigenvalues(m), eig_error(m, entry_error))


__all__ = [
    "Certificate",
    "Spectrum",
    "eig_error",
    "eigenvalues",
    "hermite_certificate",
    "spectral_bounds",
]
