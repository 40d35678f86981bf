"""Normalized probabilists' Hermite coefficients μ_n(q) = E[φ(√q Z) h_n(Z)] (SPEC §1).

Three routes, each checked against the others in the tests:

* :func:`hermite_exact`: sympy values. For smooth φ by Gaussian integration by parts,
  ``μ_n(q) = q^{n/2} E[φ^{(n)}(√q Z)] / sqrt(n!)``; for piecewise φ (where φ^{(n-1)} is not
  absolutely continuous) by integrating each smooth piece against ``He_n`` directly. Every term
  runs under a time limit; the first failure ends the exact series.
* :func:`hermite_mp`: mpmath at a chosen number of digits, all coefficients from one panelled
  Gauss–Legendre rule on [-R, R], panels split at φ's kinks, with an error estimate from a second,
  finer rule. Raises :class:`SolverError` when the two rules disagree beyond the tolerance.
* :func:`hermite_float`: the same scheme in float64 torch, fast for hundreds of terms.

Both numeric routes use the stable recurrence of ψ_n(z) = h_n(z) e^{-z²/4}:
``ψ_{n+1} = (z ψ_n - sqrt(n) ψ_{n-1}) / sqrt(n+1)``, bounded by about 1.09 (Cramér), so the
integrand ``φ(√q z) e^{-z²/4} ψ_n(z) / sqrt(2π)`` is truncated where ``|φ(√q z)| e^{-z²/4}`` is
below the tolerance.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp
import torch

from symbolic.activations import Activation
from symbolic.formula import X
from symbolic.result import SolverError, SymbolicTimeout, VerifyError
from symbolic.timelimit import run_with_limit

_Z = sp.Symbol("z", real=True)


@dataclass(frozen=True)
class HermiteCoefficients:
    """μ_0..μ_{N-1} at variance q, with an estimate of the largest absolute error."""

    q: float
    values: tuple  # floats (float64 route) or mpmath numbers (mp route)
    error: float
    method: str

    def as_floats(self) -> list[float]:
        return [float(v) for v in self.values]


# --------------------------------------------------------------------------------- exact route


def hermite_exact(
    act: Activation,
    n_terms: int,
    q: sp.Expr | int = 1,
    *,
    time_limit: float = 3.0,
    total_limit: float = 12.0,
) -> list[sp.Expr]:
    """Exact μ_0..μ_{k-1}(q) for the longest prefix k ≤ n_terms that sympy finishes in time."""
    q = sp.Integer(q) if isinstance(q, int) else q
    out: list[sp.Expr] = []
    budget = total_limit
    for n in range(n_terms):
        if budget <= 0:
            break
        t0 = time.monotonic()
        try:
            value = run_with_limit(
                lambda n=n: _exact_term(act, n, q), min(time_limit, budget), f"exact μ_{n}"
            )
        except (SymbolicTimeout, VerifyError, ValueError, NotImplementedError, TypeError):
            break
        budget -= time.monotonic() - t0
        if value is None:
            break
        out.append(value)
    return out


def _gauss(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    density = sp.exp(-(_Z**2) / 2) / sp.sqrt(2 * sp.pi)
    value = sp.integrate(sp.expand(expr * density), (_Z, lo, hi))
    return None if value.has(sp.Integral) else value


def _exact_term(act: Activation, n: int, q: sp.Expr) -> sp.Expr | None:
    rq = sp.sqrt(q)
    if act.smooth:
        dn = sp.diff(act.expr, X, n).subs(X, rq * _Z)
        e = _gauss(dn, -sp.oo, sp.oo)
        return (
            None
            if e is None
            else sp.simplify(q ** sp.Rational(n, 2) * e / sp.sqrt(sp.factorial(n)))
        )
    he = sp.hermite_prob(n, _Z)
    total = sp.Integer(0)
    for piece in act.pieces:
        if piece.expr == 0:
            continue
        e = _gauss(piece.expr.subs(X, rq * _Z) * he, piece.lo / rq, piece.hi / rq)
        if e is None:
            return None
        total += e
    return sp.simplify(total / sp.sqrt(sp.factorial(n)))


# ------------------------------------------------------------------------------- numeric rules


def _panels(radius: float, cuts: list[float], width: float) -> list[tuple[float, float]]:
    """Split [-radius, radius] at the cuts, then into panels no wider than ``width``."""
    edges = [-radius, *sorted(c for c in cuts if -radius < c < radius), radius]
    out = []
    for a, b in itertools.pairwise(edges):
        k = max(1, math.ceil((b - a) / width))
        out.extend((a + (b - a) * i / k, a + (b - a) * (i + 1) / k) for i in range(k))
    return out


def _radius(fn, q: float, tol: float) -> float:
    """Smallest R (from a growing search) with |fn(√q z)| e^{-z²/4} < tol for |z| in [R, 4R]."""
    radius = math.sqrt(4 * math.log(1 / tol))
    while radius < 400:
        z = torch.linspace(radius, 4 * radius, 200, dtype=torch.float64)
        z = torch.cat([z, -z])
        with np.errstate(all="ignore"):
            mag = fn(math.sqrt(q) * z).abs() * torch.exp(-(z**2) / 4)
        if torch.isfinite(mag).all() and float(mag.max()) < tol:
            return radius
        radius *= 1.5
    raise VerifyError(
        f"φ(√q z) grows too fast at q = {q:g}: E[φ(√q Z)²] is infinite or out of reach, "
        "so the Hermite expansion does not exist (φ not in L²(N(0,q)))"
    )


def _legendre(m: int) -> tuple[torch.Tensor, torch.Tensor]:
    x, w = np.polynomial.legendre.leggauss(m)
    return torch.from_numpy(x), torch.from_numpy(w)


def _float_rule(fn, breakpoints: list[float], q: float, width: float, m: int, radius: float):
    """Nodes z and weights W_i = w_i fn(√q z_i) e^{-z_i²/4} / sqrt(2π) of one panelled rule;
    panels split at the kinks ``breakpoints`` (in x)."""
    x, w = _legendre(m)
    cuts = [b / math.sqrt(q) for b in breakpoints]
    panels = torch.tensor(_panels(radius, cuts, width), dtype=torch.float64)
    half = (panels[:, 1] - panels[:, 0])[:, None] / 2
    mid = (panels[:, 1] + panels[:, 0])[:, None] / 2
    z = (mid + half * x[None, :]).reshape(-1)
    weights = (half * w[None, :]).reshape(-1)
    phi = fn(math.sqrt(q) * z)
    return z, weights * phi * torch.exp(-(z**2) / 4) / math.sqrt(2 * math.pi)


def _project(z: torch.Tensor, weights: torch.Tensor, n_terms: int) -> torch.Tensor:
    """Σ_i W_i ψ_n(z_i) for n < n_terms, by the ψ recurrence."""
    out = torch.empty(n_terms, dtype=torch.float64)
    prev = torch.zeros_like(z)
    cur = torch.exp(-(z**2) / 4)
    for n in range(n_terms):
        out[n] = weights @ cur
        prev, cur = cur, (z * cur - math.sqrt(n) * prev) / math.sqrt(n + 1)
    return out


def hermite_float(
    act: Activation, n_terms: int, q: float = 1.0, *, tol: float = 1e-13
) -> HermiteCoefficients:
    """μ_0..μ_{n_terms-1}(q) in float64; error estimate from two rules (m and 1.5m nodes)."""
    if q <= 0:
        raise VerifyError(f"variance q must be positive, got {q}")
    fn, kinks = act.torch_fn(0), act.breakpoints
    radius = _radius(fn, q, 1e-18)
    width = min(1.0, 6.0 / math.sqrt(max(n_terms, 1)) + 0.25)
    for _ in range(5):
        coarse = _project(*_float_rule(fn, kinks, q, width, 40, radius), n_terms)
        z, w = _float_rule(fn, kinks, q, width, 60, radius)
        fine = _project(z, w, n_terms)
        scale = max(1.0, float(w.norm()))  # the rule's size: roundoff grows with it
        error = float((fine - coarse).abs().max()) + 1e-16 * scale * math.sqrt(z.numel())
        if error <= tol * scale:
            return HermiteCoefficients(q, tuple(fine.tolist()), error, "gauss-legendre-float64")
        width /= 2
    raise SolverError(
        f"float64 Hermite coefficients of {act.name} at q={q:g} did not settle: "
        f"two rules differ by {error:.2e} > tol {tol:.1e}; use the mpmath route (hermite_mp)"
    )


def gaussian_expectation(fn, q: float, breakpoints: list[float]) -> tuple[float, float]:
    """E[fn(√q Z)] in float64 with an error estimate (two panelled Legendre rules).

    ``fn`` maps a float64 tensor of x values to a tensor; ``breakpoints`` are its kinks in x.
    """
    radius = _radius(fn, q, 1e-18)
    values = []
    for m in (40, 60):
        z, w = _float_rule(fn, breakpoints, q, 1.0, m, radius)
        values.append(float(w @ torch.exp(-(z**2) / 4)))
    return values[1], abs(values[1] - values[0]) + 1e-16 * abs(values[1])


# ------------------------------------------------------------------------------ mpmath route


def _mp_nodes(degree: int) -> list[tuple[mpmath.mpf, mpmath.mpf]]:
    rule = mpmath.calculus.quadrature.GaussLegendre(mpmath.mp)
    return rule.calc_nodes(degree, mpmath.mp.prec)


def _mp_project(act: Activation, q, panels, degree: int, n_terms: int) -> list:
    nodes = _mp_nodes(degree)
    rq = mpmath.sqrt(q)
    sums = [mpmath.mpf(0)] * n_terms
    roots = [mpmath.sqrt(n) for n in range(n_terms + 1)]
    norm = 1 / mpmath.sqrt(2 * mpmath.pi)
    phi = act.mp_fn
    for a, b in panels:
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        half, mid = (b - a) / 2, (b + a) / 2
        for x, w in nodes:
            z = mid + half * x
            g = mpmath.exp(-(z**2) / 4)
            weight = half * w * phi(rq * z) * g * norm
            prev, cur = mpmath.mpf(0), g
            for n in range(n_terms):
                sums[n] += weight * cur
                prev, cur = cur, (z * cur - roots[n] * prev) / roots[n + 1]
    return sums


def hermite_mp(
    act: Activation, n_terms: int, q: str | int = 1, *, dps: int = 30
) -> HermiteCoefficients:
    """μ_0..μ_{n_terms-1}(q) to ``dps`` digits (absolute), mpmath, with an error estimate.

    Pass ``q`` as an int or a decimal string ("0.7") so it is exact at the working precision.
    Gauss–Legendre with 48 and 96 nodes per panel; panels halve until the rules agree to 10^-dps.
    """
    with mpmath.workdps(dps + 10):
        tol = mpmath.mpf(10) ** (-dps)
        q = mpmath.mpf(q)
        if q <= 0:
            raise VerifyError(f"variance q must be positive, got {q}")
        radius = _radius(act.torch_fn(0), float(q), 10.0 ** -min(dps + 5, 300))
        cuts = [b / math.sqrt(float(q)) for b in act.breakpoints]
        width = 2.0
        for _ in range(5):
            panels = _panels(radius, cuts, width)
            coarse = _mp_project(act, q, panels, 5, n_terms)
            fine = _mp_project(act, q, panels, 6, n_terms)
            error = max(abs(f - c) for f, c in zip(fine, coarse))
            if error <= tol:
                return HermiteCoefficients(
                    float(q), tuple(fine), float(error), f"gauss-legendre-mp{dps}"
                )
            width /= 2
        raise SolverError(
            f"mpmath Hermite coefficients of {act.name} did not reach {dps} digits: "
            f"rules differ by {mpmath.nstr(error, 3)}; lower --dps or check φ's kinks"
        )


def second_moment(act: Activation, q: float = 1.0) -> tuple[float, float]:
    """E[φ(√q Z)²] in float64, with an error estimate."""
    fn = act.torch_fn(0)
    return gaussian_expectation(lambda x: fn(x) ** 2, q, act.breakpoints)


def parity(act: Activation, time_limit: float = 5.0) -> str:
    """'odd', 'even', 'odd+const' (φ - φ(0) odd), 'even+linear' (φ - c·x even) or 'none',
    proved by sympy simplification."""

    def _zero(e: sp.Expr) -> bool:
        return run_with_limit(lambda: sp.simplify(e) == 0, time_limit, "parity")

    flipped = act.expr.subs(X, -X)
    try:
        if _zero(act.expr + flipped):
            return "odd"
        if _zero(act.expr - flipped):
            return "even"
        if _zero(act.expr + flipped - 2 * act.expr.subs(X, 0)):
            return "odd+const"
        odd_part = (act.expr - flipped) / 2
        slope = run_with_limit(lambda: sp.simplify(odd_part / X), time_limit, "parity")
        if not slope.has(X):
            return "even+linear"
    except SymbolicTimeout:
        pass
    return "none"
