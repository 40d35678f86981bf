"""Normalized probabilists' Hermite coefficients μ_n(q) = E[φ(√q Z) h_n(Z)] (theory §1).

Two routes here, and a float64 one in :mod:`numeric.quadrature`, each checked against the others
in the tests:

* :func:`hermite_exact`: sympy values. For smooth φ by Gaussian integration by parts,
  ``μ_n(q) = q^{n/2} E[φ^{(n)}(√q Z)] / sqrt(n!)``; for piecewise φ (where φ^{(n-1)} is not
  absolutely continuous) by integrating each smooth piece against ``He_n`` directly. Every term
  runs under a time limit; the first failure ends the exact series.
* :func:`hermite_mp`: mpmath at a chosen number of digits, all coefficients from one panelled
  Gauss–Legendre rule on [-R, R], panels split at φ's kinks, with an error estimate from a second,
  finer rule. Raises :class:`SolverError` when the two rules disagree beyond the tolerance.
* ``numeric.quadrature.hermite_float``: the same scheme in float64 torch, for hundreds of terms.

Both quadrature routes use the stable recurrence of ψ_n(z) = h_n(z) e^{-z²/4}:
``ψ_{n+1} = (z ψ_n - sqrt(n) ψ_{n-1}) / sqrt(n+1)``, bounded by about 1.09 (Cramér), so the
integrand ``φ(√q z) e^{-z²/4} ψ_n(z) / sqrt(2π)`` is truncated where ``|φ(√q z)| e^{-z²/4}`` is
below the tolerance.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from dataclasses import dataclass

import mpmath
import sympy as sp

from symbolic.activations import Activation
from symbolic.errors import SolverError, SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.timelimit import run_with_limit, seconds

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
    q: sp.Expr | int,
    *,
    time_limit: float,
    total_limit: float,
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


# ------------------------------------------------------------------------------ mpmath route


@functools.lru_cache(maxsize=32)
def _mp_nodes(degree: int, prec: int) -> tuple[tuple[mpmath.mpf, mpmath.mpf], ...]:
    """Gauss–Legendre nodes and weights on [-1, 1] (mpmath's degree: 3·2^(degree-1) nodes)."""
    with mpmath.workprec(prec):
        return tuple(mpmath.calculus.quadrature.GaussLegendre(mpmath.mp).calc_nodes(degree, prec))


def panels(radius, cuts: list, width) -> list[tuple]:
    """[-radius, radius] split at the cuts, then into panels no wider than ``width``. Works on
    floats and on mpmath numbers alike (the float64 route in numeric.quadrature uses it too)."""
    edges = [-radius, *sorted(c for c in cuts if -radius < c < radius), radius]
    out = []
    for a, b in itertools.pairwise(edges):
        k = max(1, math.ceil((b - a) / width))
        out.extend((a + (b - a) * i / k, a + (b - a) * (i + 1) / k) for i in range(k))
    return out


def _mp_radius(phi, rq: mpmath.mpf, tol: mpmath.mpf) -> mpmath.mpf:
    """Smallest R (growing by 1.5) with |φ(√q z)| e^{-z²/4} < tol at 40 points of ±[R, 4R],
    evaluated at the working precision (a float64 search would cap the rule at 17 digits)."""
    radius = mpmath.sqrt(4 * mpmath.log(1 / tol))
    while radius < 400:
        zs = [radius * (1 + 3 * mpmath.mpf(i) / 39) for i in range(40)]
        if all(abs(phi(rq * s * z)) * mpmath.exp(-(z**2) / 4) < tol for z in zs for s in (1, -1)):
            return radius
        radius *= mpmath.mpf(3) / 2
    raise VerifyError(
        f"φ(√q z) grows too fast at q = {mpmath.nstr(rq**2, 6)}: E[φ(√q Z)²] is infinite or out "
        "of reach, so the Hermite expansion does not exist (φ not in L²(N(0,q)))"
    )


def _mp_project(act: Activation, rq, panels, degree: int, n_terms: int) -> list:
    nodes = _mp_nodes(degree, mpmath.mp.prec)
    sums = [mpmath.mpf(0)] * n_terms
    roots = [mpmath.sqrt(n) for n in range(n_terms + 1)]
    norm = 1 / mpmath.sqrt(2 * mpmath.pi)
    phi = act.mp_fn
    for a, b in panels:
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


def exact_at_precision(value: sp.Expr) -> mpmath.mpf:
    """An exact sympy number (a kink such as 1/3 or sqrt(2)) rounded at the working precision."""
    return mpmath.mpf(sp.N(value, mpmath.mp.dps + 10))


def hermite_mp(act: Activation, n_terms: int, q: str | int, *, dps: int) -> HermiteCoefficients:
    """μ_0..μ_{n_terms-1}(q) to ``dps`` digits (absolute), mpmath, with an error estimate.

    Pass ``q`` as an int or a decimal string ("0.7") so it is exact at the working precision.
    The kinks enter as exact sympy numbers rounded at the working precision, and the truncation
    radius is found in mpmath. Gauss–Legendre with 48 and 96 nodes per panel; panels halve until
    the rules agree to 10^-dps.
    """
    with mpmath.workdps(dps + 10):
        tol = mpmath.mpf(10) ** (-dps)
        q = mpmath.mpf(q)
        if q <= 0:
            raise VerifyError(f"variance q must be positive, got {q}")
        rq = mpmath.sqrt(q)
        radius = _mp_radius(act.mp_fn, rq, mpmath.mpf(10) ** -(dps + 5))
        cuts = [exact_at_precision(b) / rq for b in act.exact_breakpoints]
        width = mpmath.mpf(2)
        for _ in range(5):
            edges = panels(radius, cuts, width)
            coarse = _mp_project(act, rq, edges, 5, n_terms)
            fine = _mp_project(act, rq, edges, 6, n_terms)
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


#: Step times (symbolic.timelimit) for each sympy simplification of the parity test.
PARITY_STEPS = 1.25


#: Where a parity identity e(x) = 0 is first tried by evaluation: rationals near γ, the golden
#: ratio, e, e², 100/φ and 1234.5678901, off the round numbers where formulas put breakpoints,
#: and out to the far tail where an adversarial formula hides its asymmetry.
PARITY_WITNESSES = tuple(
    sp.Rational(p, 10**9)
    for p in (577215665, 1618033989, 2718281828, 7389056099, 61803398875, 1234567890100)
)


def _nonzero_at_a_witness(e: sp.Expr) -> bool:
    """True when |e(x)| > 1e-20 at one of :data:`PARITY_WITNESSES` (30-digit evalf): e is then
    not identically zero, and no simplification needs to try. A wrong True could only turn a
    parity into 'none', the answer that proves nothing; a zero is never inferred from it. The
    evaluations share one step's time; when it runs out, nothing is refuted."""

    def search() -> bool:
        for point in PARITY_WITNESSES:
            value = e.subs(X, point).evalf(30)
            if value.is_number and value.is_finite and abs(value) > sp.Float("1e-20"):
                return True
        return False

    try:
        return run_with_limit(search, seconds(PARITY_STEPS), "parity witness")
    except SymbolicTimeout:
        return False


def parity(act: Activation) -> str:
    """'odd', 'even', 'odd+const' (φ - φ(0) odd), 'even+linear' (φ - c·x even) or 'none',
    proved by sympy simplification; an identity that fails at a point is refuted there first."""

    def _zero(e: sp.Expr) -> bool:
        if _nonzero_at_a_witness(e):
            return False
        return run_with_limit(lambda: sp.simplify(e) == 0, seconds(PARITY_STEPS), "parity")

    flipped = act.expr.subs(X, -X)
    try:
        if _zero(act.expr + flipped):
            return "odd"
        if _zero(act.expr - flipped):
            return "even"
        if _zero(act.expr + flipped - 2 * act.expr.subs(X, 0)):
            return "odd+const"
        # φ - c·x even ⇔ the odd part over x is the constant c: refuted where it differs
        # from its value at the first witness, else proved by simplification
        ratio = (act.expr - flipped) / (2 * X)
        ratio_at = ratio.subs(X, PARITY_WITNESSES[0])

        if not _nonzero_at_a_witness(ratio - ratio_at) and not run_with_limit(
            lambda: sp.simplify(ratio).has(X), seconds(PARITY_STEPS), "parity"
        ):
            return "even+linear"
    except SymbolicTimeout:
        pass
    return "none"
