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

from numeric.symmetric import row_step, symmetric_part

EPS = torch.finfo(torch.float64).eps
TINY = 2.0**-1074  # the least subnormal: the absolute rounding of an operation that underflows


@dataclass(frozen=True)
class Certificate:
    """A proved lower bound on λ*: ``value`` (eigen + Gershgorin), ``gershgorin`` (no solver)."""

    value: float
    gershgorin: float
    spec_bound: float  # max_r μ_r² (1 - (n-1) ρ_max^r), the simplest form in theory §4
    first_r: int | None  # smallest r whose Gershgorin bound is positive
    rho_max: float


def eigenvalues(m: torch.Tensor) -> torch.Tensor:
    """Ascending eigenvalues of the symmetric matrix ``m`` (float64); of (m + mᵀ)/2 when ``m``
    is not exactly symmetric (only then is that copy made)."""
    return torch.linalg.eigvalsh(symmetric_part(m))


def eig_error(m: torch.Tensor, entry_error: float) -> float:
    """Bound on |λ_computed - λ_true| for every eigenvalue of one :func:`eigenvalues` call:
    backward error of eigvalsh, 10·n·ε·‖M‖ with ε the machine epsilon of ``m``'s dtype and
    ‖M‖ ≤ the largest row sum, plus the entries' error (‖ΔM‖₂ ≤ n max|ΔM_ij|). The one error bar
    of every float eigvalsh in the project."""
    n = m.shape[0]
    step = row_step(n)
    norm = max(float(m[i : i + step].abs().sum(dim=1).max()) for i in range(0, n, step))  # ≥ ‖M‖₂
    return 10 * n * torch.finfo(m.dtype).eps * norm + n * entry_error


def hermite_certificate(
    mu: torch.Tensor, mu_error: float, corr: torch.Tensor, *, eig_upto: int, eig_max_n: int
) -> Certificate:
    """Σ_r μ_r² λ_lower(C^{∘r}) for the coefficients ``mu`` = μ_r(q*) and correlations ``corr``:
    eigenvalue bounds for r ≤ ``eig_upto`` when n ≤ ``eig_max_n``, Gershgorin for the rest.
    |C| is read row block by row block (no n×n copy of it)."""
    n = corr.shape[0]
    mu = torch.as_tensor(mu, dtype=torch.float64)
    corr = corr.to(torch.float64)
    mu2 = (mu.abs() - mu_error).clamp(min=0) ** 2
    gersh, rho_max = _gershgorin_scan(corr, len(mu))
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


#: Entries per row block of the Gershgorin powers on the CPU: 2 MiB of float64, so a block and
#: its running power stay in cache while r climbs (n = 4000, 200 terms: 3.6 s → 0.4 s).
GERSHGORIN_BLOCK = 1 << 18
#: The same on a GPU, where each block costs kernel launches rather than cache misses.
GERSHGORIN_BLOCK_GPU = 1 << 26


def gershgorin_grid(n: int, terms: int) -> list[int]:
    """The r at which the levels are computed: all r < ``terms`` for n ≤ 600, else 0..16 and a
    geometric grid 16·1.25^k beyond (each value serves up to the next grid point)."""
    if n <= 600:
        return list(range(terms))
    tail = (int(16 * 1.25**k) for k in range(40) if 16 * 1.25**k < terms)
    return sorted({*range(min(terms, 17)), *tail})


def _gershgorin_levels(off: torch.Tensor, terms: int, block: int | None = None) -> torch.Tensor:
    """Lower bounds on 1 - max_i Σ_{j≠i} |C_ij|^r for r < ``terms`` (``off``: C, or |C| with a
    zero diagonal), computed at the r of :func:`gershgorin_grid`; between grid points the last
    value serves (the bound grows with r). Returned on the CPU."""
    return _gershgorin_scan(off, terms, block)[0]


def _gershgorin_scan(
    corr: torch.Tensor, terms: int, block: int | None = None
) -> tuple[torch.Tensor, float]:
    """(:func:`_gershgorin_levels`, max_{i≠j} |C_ij|) in one pass over row blocks of ``block``
    entries that stay in cache, |C| taken block by block.

    Each block's power |C_ij|^r grows from the last grid point's by factors |C_ij|^(2^k) kept by
    squaring (r = 186 in 11 products instead of 185): every |C_ij|^r is still a product of r
    factors |C_ij| in some order, r - 1 roundings, within γ_{r-1} of the exact power. Each row sum
    is raised by its rounding allowance γ_{r+n} (r - 1 products, n additions), so the float
    result stays below the exact level."""
    n = corr.shape[0]
    grid = gershgorin_grid(n, terms)
    if block is None:
        block = GERSHGORIN_BLOCK if corr.device.type == "cpu" else GERSHGORIN_BLOCK_GPU
    sums = torch.zeros(len(grid), dtype=torch.float64, device=corr.device)
    rho_max = torch.zeros((), dtype=torch.float64, device=corr.device)
    rows = max(1, block // max(1, n))
    for i in range(0, n, rows):
        b = corr[i : i + rows].abs()
        b.diagonal(i).zero_()
        rho_max = torch.maximum(rho_max, b.max())
        squares = [b]  # squares[k] = b^(2^k), made when first needed
        power, exponent = b.clone(), 1
        for k, r in enumerate(grid):
            if r == 0:
                continue
            step, bit = r - exponent, 0
            while step:
                if bit == len(squares):
                    squares.append(squares[-1] * squares[-1])
                if step & 1:
                    power.mul_(squares[bit])
                step, bit = step >> 1, bit + 1
            exponent = r
            sums[k] = torch.maximum(sums[k], power.sum(dim=1).max())
    rs = torch.tensor(grid, dtype=torch.float64)
    u, k = EPS / 2, rs + n
    gamma = k * u / (1 - k * u)  # relative rounding of r - 1 products and n additions
    # sums raised by γ_{r+n}, by 4u for their own product, and by k·n·TINY for underflow; the
    # final 1 - x loses at most u·(1 + x), taken off twice over
    x = sums.cpu() * (1 + gamma + 4 * u) + k * n * TINY
    levels = (1 - x) - EPS * (1 + x)
    levels[rs == 0] = 1.0 - (n - 1)
    out = torch.empty(terms, dtype=torch.float64)
    for k, (a, b) in enumerate(zip(grid, [*grid[1:], terms])):
        out[a:b] = levels[k]
    return out, float(rho_max) if n > 1 else 0.0


class Spectrum:
    """λ_min of a symmetric matrix whose entries are known to ``entry_error``, with ``error``: a
    bound on |λ_computed - λ_true| (backward error + entries, and the Lanczos residual when
    ``method`` says so). All ascending ``eigenvalues`` are computed on first use (one eigvalsh)
    when only λ_min was (the report's figure asks for them; a plain run does not)."""

    def __init__(
        self,
        eigenvalues: torch.Tensor | None,
        error: float,
        *,
        least: float | None = None,
        matrix: torch.Tensor | None = None,
        method: str = "eigvalsh with backward-error bound",
    ) -> None:
        if eigenvalues is None and (least is None or matrix is None):
            raise ValueError("a Spectrum needs its eigenvalues, or λ_min and the matrix")
        self._eigenvalues = eigenvalues
        self._matrix = matrix if eigenvalues is None else None
        self._least = least
        self.error = error
        self.method = method

    @property
    def eigenvalues(self) -> torch.Tensor:
        if self._eigenvalues is None:
            self._eigenvalues = eigenvalues(self._matrix)
            self._matrix = None
        return self._eigenvalues

    @property
    def lambda_min(self) -> float:
        return float(self._eigenvalues[0]) if self._least is None else self._least

    def __repr__(self) -> str:
        if self._eigenvalues is None:
            n = self._matrix.shape[0]
            lam = f"λ_min {self.lambda_min:.10g} ± {self.error:.2g}"
            return f"Spectrum({lam} of {n}×{n}, {self.method})"
        n = self._eigenvalues.shape[0]
        return f"Spectrum({n} eigenvalues, λ_min {self.lambda_min:.10g} ± {self.error:.2g})"


def spectral_bounds(m: torch.Tensor, entry_error: float) -> Spectrum:
    """λ_min of ``m`` with its error bar: by shift-invert Lanczos on one Cholesky factor
    (numeric.least_eigenvalue) when ``m`` is numerically positive definite, the bar
    :func:`eig_error` + the Ritz residual; otherwise by one eigvalsh, the bar :func:`eig_error`.
    The other eigenvalues wait until asked for."""
    from numeric.least_eigenvalue import least_eigenvalue

    sym = symmetric_part(m)
    found = least_eigenvalue(sym)
    bar = eig_error(m, entry_error)
    if found is None:
        return Spectrum(torch.linalg.eigvalsh(sym), bar)
    return Spectrum(
        None,
        bar + found.residual,
        least=found.value,
        matrix=m,
        method=f"shift-invert Lanczos, {found.steps} steps on a Cholesky factor, residual bound",
    )


__all__ = [
    "Certificate",
    "Spectrum",
    "eig_error",
    "eigenvalues",
    "hermite_certificate",
    "spectral_bounds",
]
