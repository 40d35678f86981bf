"""Gaussian expectations in float64: panelled Gauss–Legendre rules for E[f(√q Z)] and the
Hermite coefficients, and the one tensor-product Gauss–Hermite rule for E[φ(u)φ(v)].

The Hermite coefficients use the stable recurrence of ψ_n(z) = h_n(z) e^{-z²/4}:
``ψ_{n+1} = (z ψ_n - sqrt(n) ψ_{n-1}) / sqrt(n+1)``, bounded by about 1.09 (Cramér), so the
integrand ``φ(√q z) e^{-z²/4} ψ_n(z) / sqrt(2π)`` is truncated where ``|φ(√q z)| e^{-z²/4}`` is
below 1e-18. Two rules (40 and 60 nodes per panel) give the error estimate; the panels where
they disagree halve until the rules agree to 1e-13 relative to the rule's size (so a near-kink,
an oscillation accumulating at a point or an endpoint singularity refines only around itself).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from symbolic.activations import Activation
from symbolic.errors import SolverError, VerifyError
from symbolic.hermite import HermiteCoefficients, panels

#: Agreement asked of the two float64 rules, relative to the rule's size.
FLOAT_TOL = 1e-13
#: |f(√q z)| e^{-z²/4} below this is dropped (the integrand's truncation).
TRUNCATION = 1e-18

TensorFn = Callable[[torch.Tensor], torch.Tensor]


def gaussian_radius(fn: TensorFn, q: float, tol: float) -> float:
    """Smallest R (from a growing search) with |fn(√q z)| e^{-z²/4} < tol for |z| in [R, 2R]
    (checked at 200 points each side; beyond 2R a float64 φ may overflow long after the Gaussian
    weight has vanished)."""
    radius = math.sqrt(4 * math.log(1 / tol))
    while radius < 400:
        z = torch.linspace(radius, 2 * radius, 200, dtype=torch.float64)
        z = torch.cat([z, -z])
        with np.errstate(all="ignore"):
            mag = fn(math.sqrt(q) * z).abs() * torch.exp(-(z**2) / 4)
        if torch.isfinite(mag).all() and float(mag.max()) < tol:
            return radius
        radius *= 1.5
    raise SolverError(
        f"|φ(√q z)|·e^(-z²/4) is not below {tol:.0e} for |z| < 400 at q = {q:g}, or φ is not "
        "finite there in float64: E[φ(√q Z)²] is out of float64's reach (this proves nothing "
        "about φ ∈ L²(N(0, q)))"
    )


def _legendre(m: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, w = np.polynomial.legendre.leggauss(m)
    return torch.from_numpy(x), torch.from_numpy(w)


def _project(z: torch.Tensor, weights: torch.Tensor, n_terms: int) -> torch.Tensor:
    """Σ_i W_i ψ_n(z_i) for n < n_terms, by the ψ recurrence."""
    return weights @ _psi(z, n_terms)


#: Panels split at most this many times in all; below MIN_PANEL (relative to the radius) a panel
#: is not split further (float64 cannot place nodes more finely).
MAX_PANELS = 4000
MIN_PANEL = 1e-13
#: When the panels cannot shrink further (an endpoint singularity such as |x|^(-1/4), an
#: oscillation accumulating at a point), the result is kept if the rules agree to this,
#: relative to the rule's size, and carries its larger error estimate; else SolverError.
SOFT_TOL = 1e-8


def _panel_sums(fn: TensorFn, q: float, edges: torch.Tensor, m: int, basis) -> tuple:
    """Σ_i W_i b(z_i) per panel (P×N) for the m-node Legendre rule on each panel of ``edges``
    (P×2, in z), W_i = w_i fn(√q z_i) e^{-z_i²/4}/√(2π), and each panel's ‖W‖²."""
    x, w = _legendre(m)
    half = (edges[:, 1] - edges[:, 0])[:, None] / 2
    mid = (edges[:, 1] + edges[:, 0])[:, None] / 2
    z = mid + half * x[None, :]
    weights = half * w[None, :] * fn(math.sqrt(q) * z) * torch.exp(-(z**2) / 4)
    weights = weights / math.sqrt(2 * math.pi)
    b = basis(z.reshape(-1)).reshape(z.shape[0], z.shape[1], -1)
    return torch.einsum("pm,pmn->pn", weights, b), (weights * weights).sum(dim=1)


def _adaptive(fn: TensorFn, q: float, cuts: list[float], radius: float, width: float, basis):
    """Σ_i W_i b(z_i) over [-radius, radius] by adaptive Gauss–Legendre: every panel is computed
    with 40 and 60 nodes; while the sum of their differences exceeds FLOAT_TOL relative to the
    rule's size, the worst panels are halved (near a near-kink, an oscillation or an endpoint
    singularity the panels shrink there only); when they cannot shrink further, a result within
    SOFT_TOL is kept with its own error. Returns (sums, error) or raises SolverError."""
    edges = torch.tensor(panels(radius, cuts, width), dtype=torch.float64)
    done, done_err, done_norm = None, 0.0, 0.0
    total_panels = edges.shape[0]
    while True:
        coarse, _ = _panel_sums(fn, q, edges, 40, basis)
        fine, norm2 = _panel_sums(fn, q, edges, 60, basis)
        diff = (fine - coarse).abs().amax(dim=1)
        if not torch.isfinite(fine).all():
            raise SolverError("φ is not finite in float64 at some quadrature node")
        acc = fine.sum(dim=0) if done is None else done + fine.sum(dim=0)
        norm = done_norm + float(norm2.sum())
        scale = max(1.0, math.sqrt(norm))
        roundoff = 1e-16 * scale * math.sqrt(60 * total_panels)
        err = done_err + float(diff.sum())
        if err + roundoff <= FLOAT_TOL * scale:
            return acc, err + roundoff
        share = FLOAT_TOL * scale / (2 * total_panels)
        lengths = edges[:, 1] - edges[:, 0]
        split = (diff > share) & (lengths > MIN_PANEL * radius)
        if not bool(split.any()) or total_panels + int(split.sum()) > MAX_PANELS:
            if err + roundoff <= SOFT_TOL * scale:
                return acc, err + roundoff
            raise SolverError(
                f"two rules differ by {err + roundoff:.2e} > tol {FLOAT_TOL * scale:.1e} with "
                f"{total_panels} panels"
            )
        keep = ~split
        done = fine[keep].sum(dim=0) if done is None else done + fine[keep].sum(dim=0)
        done_err += float(diff[keep].sum())
        done_norm += float(norm2[keep].sum())
        bad = edges[split]
        mids = (bad[:, 0] + bad[:, 1]) / 2
        edges = torch.cat([torch.stack([bad[:, 0], mids], 1), torch.stack([mids, bad[:, 1]], 1)])
        total_panels += int(split.sum())


def hermite_float(act: Activation, n_terms: int, q: float) -> HermiteCoefficients:
    """μ_0..μ_{n_terms-1}(q) = E[φ(√q Z) h_n(Z)] in float64, with an error estimate from two
    rules (40 and 60 nodes per panel) on panels that adapt where they disagree. Raises
    SolverError when they cannot be made to agree to FLOAT_TOL."""
    if q <= 0:
        raise VerifyError(f"variance q must be positive, got {q}")
    fn, kinks = act.torch_fn(0), act.breakpoints
    radius = gaussian_radius(fn, q, TRUNCATION)
    width = min(1.0, 6.0 / math.sqrt(max(n_terms, 1)) + 0.25)
    cuts = [b / math.sqrt(q) for b in kinks]
    try:
        mu, error = _adaptive(fn, q, cuts, radius, width, lambda z: _psi(z, n_terms))
    except SolverError as exc:
        raise SolverError(
            f"float64 Hermite coefficients of {act.name} at q = {q:g} did not settle: {exc}"
        ) from None
    return HermiteCoefficients(q, tuple(mu.tolist()), error, "gauss-legendre-float64 (adaptive)")


@dataclass(frozen=True)
class HermiteMany:
    """μ_n(q_i) for n < N (``mu``: k×N) and E[φ(√q_i Z)²] (``m2``: k) for k variances q_i, with
    one error estimate for all (two rules, as :func:`hermite_float`)."""

    mu: torch.Tensor
    m2: torch.Tensor
    error: float


def hermite_many(act: Activation, qs: torch.Tensor, n_terms: int) -> HermiteMany:
    """μ_n(q_i) = E[φ(√q_i Z) h_n(Z)] and E[φ(√q_i Z)²] for every q_i in ``qs`` on one panelled
    Gauss–Legendre rule in z shared by all of them: a kink of φ at x = 0 sits at z = 0 whatever q,
    so the panels need not move (kinks elsewhere: a VerifyError; use :func:`hermite_float` per q).
    The ψ_n(z) recurrence is evaluated once and applied to all q by one matrix product. Two rules
    (40 and 60 nodes per panel) give the error; panels halve until they agree to FLOAT_TOL."""
    kinks = act.breakpoints
    if any(b != 0 for b in kinks):
        raise VerifyError(f"{act.name} has a kink away from 0: its panels move with q")
    qs = qs.to(torch.float64)
    if qs.numel() == 0 or float(qs.min()) <= 0:
        raise VerifyError("variances q must be positive")
    fn = act.torch_fn(0)
    ends = (float(qs.min()), float(qs.max()))
    radius = max(gaussian_radius(fn, q, TRUNCATION) for q in ends)
    width = min(1.0, 6.0 / math.sqrt(max(n_terms, 1)) + 0.25)
    roots = torch.sqrt(qs)[:, None]
    for _ in range(5):
        found = []
        for m in (40, 60):
            z, w = _shared_nodes(kinks, width, m, radius)
            values = fn(roots * z[None, :])  # k × P
            gauss = w * torch.exp(-(z**2) / 4) / math.sqrt(2 * math.pi)
            weights = values * gauss  # the rows of _rule's weights, one per q
            mu = weights @ _psi(z, n_terms)
            m2 = (values * values) @ (gauss * torch.exp(-(z**2) / 4))
            found.append((mu, m2, weights))
        (mu_c, m2_c, _), (mu, m2, weights) = found
        scale = max(1.0, float(weights.norm(dim=1).max()))
        error = float((mu - mu_c).abs().max()) + 1e-16 * scale * math.sqrt(weights.shape[1])
        m2_error = float(((m2 - m2_c).abs() / m2.abs().clamp(min=1e-300)).max())
        if error <= FLOAT_TOL * scale and m2_error <= FLOAT_TOL:
            return HermiteMany(mu, m2, error)
        width /= 2
    raise SolverError(
        f"float64 Hermite coefficients of {act.name} on q in [{ends[0]:g}, {ends[1]:g}] did not "
        f"settle: two rules differ by {error:.2e} > tol {FLOAT_TOL:.1e}"
    )


def _shared_nodes(kinks: list[float], width: float, m: int, radius: float):
    """Nodes z and Legendre weights of the panelled rule on [-radius, radius], split at 0 when
    φ has a kink there."""
    x, w = _legendre(m)
    edges = torch.tensor(panels(radius, [0.0] if kinks else [], width), dtype=torch.float64)
    half = (edges[:, 1] - edges[:, 0])[:, None] / 2
    mid = (edges[:, 1] + edges[:, 0])[:, None] / 2
    return (mid + half * x[None, :]).reshape(-1), (half * w[None, :]).reshape(-1)


def _psi(z: torch.Tensor, n_terms: int) -> torch.Tensor:
    """ψ_n(z_p) for n < n_terms as a P×N matrix (the recurrence of the module doc)."""
    out = torch.empty(z.numel(), n_terms, dtype=torch.float64)
    prev = torch.zeros_like(z)
    cur = torch.exp(-(z**2) / 4)
    for n in range(n_terms):
        out[:, n] = cur
        prev, cur = cur, (z * cur - math.sqrt(n) * prev) / math.sqrt(n + 1)
    return out


def gaussian_expectation(fn: TensorFn, q: float, breakpoints: list[float]) -> tuple[float, float]:
    """E[fn(√q Z)] in float64 with an error estimate (two panelled Legendre rules, adaptive).

    ``fn`` maps a float64 tensor of x values to a tensor; ``breakpoints`` are its kinks in x.
    """
    radius = gaussian_radius(fn, q, TRUNCATION)
    cuts = [b / math.sqrt(q) for b in breakpoints]
    value, error = _adaptive(fn, q, cuts, radius, 1.0, lambda z: torch.exp(-(z**2) / 4)[:, None])
    return float(value[0]), error


def second_moment(act: Activation, q: float) -> tuple[float, float]:
    """E[φ(√q Z)²] in float64, with an error estimate."""
    fn = act.torch_fn(0)
    return gaussian_expectation(lambda x: fn(x) ** 2, q, act.breakpoints)


def pair_expectation_2d(
    act: Activation, q1: float, q2: torch.Tensor, rho: torch.Tensor, points: int
) -> torch.Tensor:
    """E[φ(u)φ(v_j)] by ``points``² Gauss–Hermite nodes, elementwise over (q2_j, ρ_j):
    u = √q1 Z1, v_j = √q2_j (ρ_j Z1 + sqrt(1 - ρ_j²) Z2).

    Fast for smooth φ (tanh: 1e-15 at 300², but 1e-8 at 64² for variances near 1.7: the poles of
    tanh limit it); only like 1/points for kinks (relu: 1e-3 at 48², 3e-4 at 200², against its
    closed form).
    The independent baseline for the duals, and the all-pairs Gram recursion's unit of work.
    """
    z, w = np.polynomial.hermite_e.hermegauss(points)
    z = torch.from_numpy(z).to(rho)
    w = torch.from_numpy(w / math.sqrt(2 * math.pi)).to(rho)
    fn = act.torch_fn(0)
    z1, z2 = z[:, None], z[None, :]
    r = rho[:, None, None]
    u = math.sqrt(float(q1)) * z1.expand(points, points)
    v = torch.sqrt(q2)[:, None, None] * (r * z1 + torch.sqrt((1 - r**2).clamp(min=0)) * z2)
    return ((w[:, None] * w[None, :]) * fn(u)[None] * fn(v)).sum(dim=(1, 2))


def dual_quadrature_2d(act: Activation, q1: float, q2: float, c: float, points: int) -> float:
    """E[φ(u)φ(v)] for one pair (Var u = q1, Var v = q2, Cov = c) by :func:`pair_expectation_2d`."""
    t = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
    return float(pair_expectation_2d(act, q1, t(q2), t(c / math.sqrt(q1 * q2)), points)[0])


__all__ = [
    "HermiteMany",
    "dual_quadrature_2d",
    "gaussian_expectation",
    "hermite_float",
    "hermite_many",
    "pair_expectation_2d",
    "second_moment",
]
