"""When does the variance map have a fixed point? T(q) = 2σ_w² m(q) + 2/d, m(q) = E[φ(√q Z)²]
(theory §4, unit-norm inputs).

T(q) = q exactly when σ_w² = h(q) = (q − 2/d)/(2 m(q)) for some q > 2/d. h is continuous, h → 0 as
q ↓ 2/d, so a fixed point exists for every σ_w² in (0, sup_{q>2/d} h(q)] (the supremum included
when it is attained) and for no larger σ_w²: above it T(q) > q for every q and the recursion,
started at 2/d, increases without bound.

For a polynomial φ, m(q) is a polynomial in q computed exactly from the Gaussian moments
E[Z^{2k}] = (2k − 1)!!, and sup h is found exactly (critical points of h and its limit at ∞):
the statement "no fixed point at this σ_w²" is then proved. For other φ the numeric layer
estimates sup h by quadrature (:func:`numeric.gram.largest_sigma_w2`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symbolic.activations import Activation
from symbolic.errors import SymbolicTimeout
from symbolic.formula import X
from symbolic.timelimit import run_with_limit, seconds

#: Time for the critical points of the variance map's range, in symbolic steps
#: (symbolic.timelimit.seconds: a multiple of the one --time-limit setting).
SUP_STEPS = 2.5


#: The variance, as a symbol of the exact moment polynomial.
Q = sp.Symbol("q", positive=True)
_Z = sp.Symbol("z", real=True)


@dataclass(frozen=True)
class FixedPointRange:
    """A fixed point of T exists exactly for 0 < σ_w² ≤ ``largest`` (< when not attained);
    ``exact`` is the proved closed form (None when ``largest`` is only an estimate), ``at`` the
    variance where the supremum is reached (None at ∞)."""

    largest: float
    exact: sp.Expr | None
    attained: bool
    at: float | None
    how: str

    @property
    def proved(self) -> bool:
        return self.exact is not None

    def has_fixed_point(self, sigma_w2: float) -> bool | None:
        """True or False, proved when ``exact`` is known (else the estimate's answer, None at the
        boundary)."""
        if self.exact is not None:
            s = sp.Rational(sigma_w2)
            if s < self.exact or (s == self.exact and self.attained):
                return True
            return False
        if sigma_w2 == self.largest:
            return None
        return sigma_w2 < self.largest


def moment_polynomial(act: Activation) -> sp.Expr | None:
    """m(q) = E[φ(√q Z)²] as an exact polynomial in q when φ is a polynomial (one piece), else
    None."""
    expr = sp.expand(act.expr)
    if not expr.is_polynomial(X) or not act.smooth:
        return None
    square = sp.Poly(sp.expand((expr.subs(X, sp.sqrt(Q) * _Z)) ** 2), _Z)
    total = sp.Integer(0)
    for (k,), c in square.terms():
        if k % 2 == 0:
            total += c * sp.factorial2(k - 1)
    return sp.expand(total)


def exact_range(act: Activation, d: int) -> FixedPointRange | None:
    """The exact existence range for a polynomial φ (see the module docstring), or None."""
    m = moment_polynomial(act)
    if m is None or m == 0:
        return None
    base = sp.Rational(2, d)
    h = (Q - base) / (2 * m)
    try:
        crit = run_with_limit(
            lambda: sp.solveset(sp.diff(h, Q), Q, sp.Interval.open(base, sp.oo)),
            seconds(SUP_STEPS),
            "sup h",
        )
    except (SymbolicTimeout, NotImplementedError, ValueError, TypeError):
        return None
    if crit is not sp.S.EmptySet and not isinstance(crit, sp.FiniteSet):
        return None
    crit = [] if crit is sp.S.EmptySet else list(crit)
    candidates = [
        (sp.nsimplify(h.subs(Q, c)) if c.is_Float else sp.simplify(h.subs(Q, c)), c) for c in crit
    ]
    at_infinity = sp.limit(h, Q, sp.oo)
    best, where = max(candidates, key=lambda v: float(v[0]), default=(sp.Integer(0), None))
    if float(at_infinity) > float(best):
        return FixedPointRange(
            float(at_infinity),
            at_infinity,
            False,
            None,
            f"sup of (q - 2/d)/(2m(q)) at q → ∞, m(q) = {m}",
        )
    return FixedPointRange(
        float(sp.N(best, 30)),
        best,
        True,
        float(where),
        f"max of (q - 2/d)/(2m(q)) at q = {sp.sstr(where)}, m(q) = {m}",
    )


__all__ = ["FixedPointRange", "Q", "exact_range", "moment_polynomial"]
