"""Independent 50-digit values of the certified quantities, computed here from closed forms with
mpmath (none of the project's numeric or ball code): the variance fixed point q*, the
correlations ρ*_ij, G* and λ* = λ_min(G*) for unit-norm inputs, and Gao & Gao's λ_0.

Each ``kappa`` below is E[φ(u)φ(v)] at variances q and correlation ρ, written out for the φ it
names (theory §2); ``moment(q)`` is E[φ(√q Z)²] = κ(q, 1)."""

from __future__ import annotations

import mpmath

DPS = 50


def j1(r):
    """J₁(ρ) = √(1 - ρ²) + (π - arccos ρ)ρ."""
    r = max(mpmath.mpf(-1), min(mpmath.mpf(1), r))
    return mpmath.sqrt((1 - r) * (1 + r)) + (mpmath.pi - mpmath.acos(r)) * r


KAPPA = {
    "relu": lambda q, r: q * j1(r) / (2 * mpmath.pi),
    "sin": lambda q, r: mpmath.exp(-q) * mpmath.sinh(q * r),
    "exp": lambda q, r: mpmath.exp(q * (1 + r)),
    "erf": lambda q, r: 2 / mpmath.pi * mpmath.asin(2 * q * r / (1 + 2 * q)),
    "square": lambda q, r: q * q * (1 + 2 * r * r),  # E[u²v²] = q² + 2c²
}


def unit_dots(x) -> list[list]:
    """s_ij = x_iᵀx_j/(‖x_i‖‖x_j‖) of the float rows (a tensor), at DPS digits."""
    rows = [[mpmath.mpf(float(v)) for v in row] for row in x.tolist()]
    norms = [mpmath.sqrt(mpmath.fsum(v * v for v in r)) for r in rows]
    return [
        [mpmath.fsum(a * b for a, b in zip(ri, rj)) / (ni * nj) for rj, nj in zip(rows, norms)]
        for ri, ni in zip(rows, norms)
    ]


def q_star(name: str, sigma_w2: float, d: int, start=None):
    """q = 2σ_w² κ(q, 1) + 2/d by findroot from ``start`` (the float value)."""
    with mpmath.workdps(DPS):
        s2, base = 2 * mpmath.mpf(sigma_w2), mpmath.mpf(2) / d
        k = KAPPA[name]
        return mpmath.findroot(lambda q: s2 * k(q, 1) + base - q, mpmath.mpf(start or base))


def gram(name: str, sigma_w2: float, x) -> tuple:
    """(q*, ρ*, G*) for the unit-norm rows of ``x``: each ρ*_ij by fixed-point iteration of
    ρ = (2σ_w² κ(q*, ρ) + (2/d)s_ij)/q* to DPS digits (a contraction)."""
    n, d = x.shape
    with mpmath.workdps(DPS + 10):
        q = q_star(name, sigma_w2, d, start=0.5)
        s2, wd, k = 2 * mpmath.mpf(sigma_w2), mpmath.mpf(2) / d, KAPPA[name]
        s = unit_dots(x)
        rho = [[mpmath.mpf(1)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                r = wd * s[i][j] / q
                for _ in range(400):
                    new = (s2 * k(q, r) + wd * s[i][j]) / q
                    if abs(new - r) < mpmath.mpf(10) ** -(DPS + 5):
                        break
                    r = new
                rho[i][j] = rho[j][i] = new
        g = mpmath.matrix([[k(q, rho[i][j]) for j in range(n)] for i in range(n)])
        return q, rho, g


def lambda_min(g) -> mpmath.mpf:
    """The least eigenvalue of the symmetric mpmath matrix ``g`` (Jacobi, DPS digits)."""
    with mpmath.workdps(DPS + 10):
        return min(mpmath.eigsy(g, eigvals_only=True))


def gao_gram(x):
    """G^∞_ij = J₁(s_ij)/(2π) at DPS digits."""
    with mpmath.workdps(DPS + 10):
        s = unit_dots(x)
        n = len(s)
        return mpmath.matrix([[j1(s[i][j]) / (2 * mpmath.pi) for j in range(n)] for i in range(n)])
