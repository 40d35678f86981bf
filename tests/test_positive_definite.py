"""Rump's Cholesky bound and the Rayleigh upper bound (numeric.positive_definite) at their
edges, against eigenvalues computed exactly in mpmath: a shift above λ_min at which the float
Cholesky still runs (so the bound's subtracted terms are all that keep it honest), and a
midpoint matrix below the truth along the test vector (so the radius term is needed)."""

import math

import mpmath
import pytest
import torch

from numeric.positive_definite import cholesky_lower_bound, gamma, lambda_min_lower, rayleigh_upper


def _exact_min(a: torch.Tensor) -> mpmath.mpf:
    with mpmath.workdps(60):
        m = mpmath.matrix([[mpmath.mpf(v) for v in row] for row in a.tolist()])
        return min(mpmath.eigsy(m, eigvals_only=True))


def _nearly_singular(n: int, eps: float) -> torch.Tensor:
    """J_n + eps·I - 1: λ_min = eps - 1 + ... ; here the all-ones matrix plus eps on the diagonal
    plus a small ladder, exactly representable entries."""
    a = torch.ones(n, n, dtype=torch.float64)
    a += torch.diag(torch.tensor([eps * (1 + k / 8) for k in range(n)], dtype=torch.float64))
    return a


@pytest.mark.parametrize("eps", [1e-12, 1e-14])
def test_a_shift_past_the_least_eigenvalue_still_gives_a_bound_below_it(eps):
    """On the 5×5 all-ones matrix plus ε·diag(1, 9/8, ...), λ_min ≈ ε while the entries are 1,
    so fl-Cholesky of A - tI still runs for some t above λ_min (its rounding hides the last
    ~1e-17). At every such t the returned bound is ≤ λ_min (exact, 60 digits): the trace term,
    the shift's rounding and the underflow term are what bring it down, each with its sign."""
    n = 5
    a = _nearly_singular(n, eps)
    lam = _exact_min(a)
    above = [float(lam) + j * n * 1e-19 for j in range(1, 2000, 7)]
    passed = [
        (t, b) for t in above if t > lam for b in [cholesky_lower_bound(a, t)] if b is not None
    ]
    assert passed, "the float Cholesky ran at no shift above λ_min: the case tests nothing"
    for t, bound in passed:
        assert mpmath.mpf(bound) <= lam
        trace = float(torch.trace(a)) - n * t
        assert t - bound >= float(gamma(n + 1).mid()) * trace * 0.99  # the trace term is there


def test_a_clear_shift_is_tight_and_a_failed_one_says_so():
    gen = torch.Generator().manual_seed(2)
    q, _ = torch.linalg.qr(torch.randn(8, 8, generator=gen, dtype=torch.float64))
    a = (q * torch.linspace(0.5, 2.0, 8, dtype=torch.float64)) @ q.T
    a = (a + a.T) / 2
    lam = _exact_min(a)
    bound = cholesky_lower_bound(a, 0.4)
    assert mpmath.mpf(bound) <= lam and 0.4 - bound < 1e-14
    assert cholesky_lower_bound(a, 0.6) is None
    pd = lambda_min_lower(a, float(lam), (1e-6, 1e-3))
    assert pd.tries == 1 and pd.shift == pytest.approx(float(lam) * (1 - 1e-6), rel=1e-15)
    assert mpmath.mpf(pd.lower) <= lam and float(lam) - pd.lower < 1e-6 * float(lam) * 1.01
    none = lambda_min_lower(a, 0.7, (1e-6,))  # 0.7·(1 - 1e-6) > λ_min: nothing proved
    assert none.lower == -math.inf and math.isnan(none.shift) and none.tries == 1
    zero = lambda_min_lower(a, 0.0, (1e-3, 1.0))  # estimate 0: shifts scale with max diag
    assert zero.tries == 1 and zero.shift == pytest.approx(-1e-3 * float(a.diagonal().max()))


def test_the_rayleigh_bound_needs_every_term():
    """G = Ã + R with R > 0 entrywise and v > 0 (G's Perron vector direction): vᵀÃv alone falls
    below λ_min(G) by vᵀRv; the bound adds |v|ᵀR|v| and the float rounding, and with a tail
    term T = τI it adds τ too. Held against λ_min(G + τI) from mpmath: contained, and above it
    by no more than the rounding allowance plus 1e-14 relative."""
    n = 6
    gen = torch.Generator().manual_seed(4)
    b = torch.rand(n, n, generator=gen, dtype=torch.float64)
    g = b @ b.T + 0.5 * torch.eye(n, dtype=torch.float64)
    r = torch.full((n, n), 1e-3, dtype=torch.float64)
    mid = g - r  # the midpoint: below G along any positive vector
    for tau in (0.0, 2e-3):
        exact = _exact_min(g + tau * torch.eye(n, dtype=torch.float64))
        upper, v = rayleigh_upper(mid, r, tau, float("nan"))  # eigh's vector of Ã
        assert mpmath.mpf(upper) >= exact
        slack = 4 * float(gamma(n + 1).mid()) * float(v.abs() @ (mid.abs() @ v.abs()))
        q = float(v @ ((g + tau * torch.eye(n, dtype=torch.float64)) @ v)) / float(v @ v)
        assert upper <= q + slack + 1e-14 * abs(q) + float(v.abs() @ (r @ v.abs()))
    # the shifted-Cholesky route (inverse iteration) gives a bound as good
    upper, _ = rayleigh_upper(mid, r, 0.0, 0.25)
    assert mpmath.mpf(upper) >= _exact_min(g)


def test_the_rayleigh_bound_is_tight_when_the_midpoint_shares_the_eigenvectors():
    """Ã = G - cI, R = cI (so G's eigenvectors are Ã's and |v|ᵀR|v| = vᵀ(G - Ã)v exactly), and a
    tail T = τI: the bound is λ_min(G + τI) plus only the rounding allowance — so a radius or
    tail term shrunk by even 1e-5 falls below the exact value, and a vector other than the least
    one (eigh's second column) overshoots by the eigengap."""
    n = 6
    gen = torch.Generator().manual_seed(6)
    b = torch.rand(n, n, generator=gen, dtype=torch.float64)
    g = b @ b.T + 0.5 * torch.eye(n, dtype=torch.float64)
    eye = torch.eye(n, dtype=torch.float64)
    for c, tau in ((1e-3, 0.0), (0.0, 1e-3)):  # each term alone: no margin hides another's loss
        upper, v = rayleigh_upper(g - c * eye, c * eye, tau, float("nan"))
        exact = _exact_min(g + tau * eye)
        mid_abs = (g - c * eye).abs()
        allowance = 4 * float(gamma(n + 1).mid()) * float(v.abs() @ (mid_abs @ v.abs()))
        margin = 2e-5 * (c + tau)  # the float sums' 1e-5 allowances on |v|ᵀR|v| and τ‖v‖²
        assert exact <= mpmath.mpf(upper) <= exact + 2 * allowance + margin
