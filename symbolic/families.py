"""Closed forms known in general n: Hermite coefficients and dual activations (theory §1, §2).

A :class:`HermiteClosedForm` gives ``μ_n(q)`` for every n: explicit values for the first few n,
then ``μ_{start + step·k}(q) = term(k, q)`` for k = 0, 1, ..., and zero for the indices the step
skips (parity). The formulas follow from Gaussian integration by parts,
``μ_n(q) = q^{n/2} E[φ^{(n)}(√q Z)] / sqrt(n!)``, and are checked against quadrature in the tests.

Duals are sympy expressions in ``Q1, Q2, C`` (variances and covariance of the Gaussian pair).
A family member ``c·f(b·x)`` inherits both: ``μ_n = c·sign(b)^n·μ_n^f(b² q)`` and
``E = c²·E^f(b² q1, b² q2, b² c)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.functions import FAMILY_HEADS, NONSMOOTH, ArcCosJ1

K = sp.Symbol("k", integer=True, nonnegative=True)
N = sp.Symbol("n", integer=True, nonnegative=True)
Q = sp.Symbol("q", positive=True)
Q1 = sp.Symbol("q1", positive=True)
Q2 = sp.Symbol("q2", positive=True)
C = sp.Symbol("c", real=True)
RHO = sp.Symbol("rho", real=True)


@dataclass(frozen=True)
class HermiteClosedForm:
    """μ_n(q): ``initial[n]`` for listed n, ``term(k)`` at n = start + step·k, else 0."""

    start: int
    step: int
    term: sp.Expr
    initial: dict[int, sp.Expr] = field(default_factory=dict)

    def mu(self, n: int, q: sp.Expr = Q) -> sp.Expr:
        """The exact coefficient μ_n(q)."""
        if n in self.initial:
            return sp.simplify(self.initial[n].subs(Q, q))
        k, r = divmod(n - self.start, self.step)
        if n < self.start or r:
            return sp.Integer(0)
        return sp.simplify(self.term.subs({K: k, Q: q}))

    def nonzero_forever(self) -> bool:
        """Whether ``term(k)`` is nonzero for every k (checked on the formula's factors)."""
        factors = sp.Mul.make_args(sp.factor(self.term))
        return all(f.is_zero is False for f in factors)

    def pattern(self) -> str:
        """Which indices carry the nonzero coefficients, in words."""
        head = sorted(n for n, v in self.initial.items() if v != 0)
        tail = {1: "all n", 2: "odd n" if self.start % 2 else "even n"}[self.step]
        tail = tail if self.start <= 1 else f"{tail} >= {self.start}"
        return ", ".join([*(f"n = {n}" for n in head), tail])

    def display(self) -> str:
        """The formula as text: μ_{start+step·k}(q) = term."""
        index = sp.Integer(self.start) + self.step * K
        lines = [f"μ_{n}(q) = {sp.sstr(v)}" for n, v in sorted(self.initial.items())]
        lines.append(f"μ_{{{sp.sstr(index)}}}(q) = {sp.sstr(self.term)}  (k >= 0)")
        if self.step == 2:
            lines.append("all other μ_n(q) = 0")
        return "; ".join(lines)

    def scaled(self, c: sp.Expr, b: sp.Expr) -> HermiteClosedForm:
        """Closed form of ``c·f(b·x)`` from that of ``f`` (b ≠ 0)."""

        def tr(expr: sp.Expr, n: sp.Expr) -> sp.Expr:
            return c * sp.sign(b) ** n * expr.subs(Q, b**2 * Q)

        return HermiteClosedForm(
            self.start,
            self.step,
            sp.simplify(tr(self.term, self.start + self.step * K)),
            {n: sp.simplify(tr(v, n)) for n, v in self.initial.items()},
        )


def _double_fact_ratio(k: sp.Expr) -> sp.Expr:
    """He_{2k}(0) = (-1)^k (2k)! / (2^k k!)."""
    return (-1) ** k * sp.factorial(2 * k) / (2**k * sp.factorial(k))


_SQRT2PI = sp.sqrt(2 * sp.pi)

#: Closed forms of the base families, at variance Q.
HERMITE_FAMILIES: dict[str, HermiteClosedForm] = {
    "sin": HermiteClosedForm(
        1,
        2,
        (-1) ** K
        * Q ** (K + sp.Rational(1, 2))
        * sp.exp(-Q / 2)
        / sp.sqrt(sp.factorial(2 * K + 1)),
    ),
    "cos": HermiteClosedForm(
        0, 2, (-1) ** K * Q**K * sp.exp(-Q / 2) / sp.sqrt(sp.factorial(2 * K))
    ),
    "exp": HermiteClosedForm(0, 1, Q ** (K / 2) * sp.exp(Q / 2) / sp.sqrt(sp.factorial(K))),
    "erf": HermiteClosedForm(
        1,
        2,
        2
        / sp.sqrt(sp.pi)
        * sp.sqrt(Q)
        * (-Q) ** K
        * sp.factorial(2 * K)
        / (
            sp.factorial(K)
            * sp.sqrt(sp.factorial(2 * K + 1))
            * (1 + 2 * Q) ** (K + sp.Rational(1, 2))
        ),
    ),
    "step": HermiteClosedForm(
        1,
        2,
        _double_fact_ratio(K) / (_SQRT2PI * sp.sqrt(sp.factorial(2 * K + 1))),
        {0: sp.Rational(1, 2)},
    ),
    "sign": HermiteClosedForm(
        1, 2, 2 * _double_fact_ratio(K) / (_SQRT2PI * sp.sqrt(sp.factorial(2 * K + 1)))
    ),
    "relu": HermiteClosedForm(
        2,
        2,
        sp.sqrt(Q) * _double_fact_ratio(K) / (_SQRT2PI * sp.sqrt(sp.factorial(2 * K + 2))),
        {0: sp.sqrt(Q) / _SQRT2PI, 1: sp.sqrt(Q) / 2},
    ),
    "abs": HermiteClosedForm(
        2,
        2,
        2 * sp.sqrt(Q) * _double_fact_ratio(K) / (_SQRT2PI * sp.sqrt(sp.factorial(2 * K + 2))),
        {0: 2 * sp.sqrt(Q) / _SQRT2PI, 1: sp.Integer(0)},
    ),
    "gaussian": HermiteClosedForm(
        0,
        2,
        sp.sqrt(sp.factorial(2 * K)) / sp.factorial(K) * (-Q / (2 * (1 + Q))) ** K / sp.sqrt(1 + Q),
    ),
}

_RHO12 = C / sp.sqrt(Q1 * Q2)
#: √(q1 q2)·J₁(ρ)/(2π) with J₁(ρ) = √(1 - ρ²) + (π - arccos ρ)ρ, evaluated stably near ρ = -1.
_RELU_DUAL = sp.sqrt(Q1 * Q2) * ArcCosJ1(_RHO12) / (2 * sp.pi)

#: Closed-form duals E[φ(u)φ(v)] of the base families (theory §2).
DUAL_FAMILIES: dict[str, sp.Expr] = {
    "sin": sp.exp(-(Q1 + Q2) / 2) * sp.sinh(C),
    "cos": sp.exp(-(Q1 + Q2) / 2) * sp.cosh(C),
    "exp": sp.exp((Q1 + Q2) / 2 + C),
    "erf": 2 / sp.pi * sp.asin(2 * C / sp.sqrt((1 + 2 * Q1) * (1 + 2 * Q2))),
    "step": sp.Rational(1, 4) + sp.asin(_RHO12) / (2 * sp.pi),
    "sign": 2 / sp.pi * sp.asin(_RHO12),
    "relu": _RELU_DUAL,
    # |x| = relu(x) + relu(-x): E = 2√(q1q2)(J₁(ρ) + J₁(-ρ))/(2π), i.e.
    # (2/π)√(q1q2)(√(1 - ρ²) + ρ asin ρ)
    "abs": sp.sqrt(Q1 * Q2) * (ArcCosJ1(_RHO12) + ArcCosJ1(-_RHO12)) / sp.pi,
    "gaussian": 1 / sp.sqrt((1 + Q1) * (1 + Q2) - C**2),
}


def linear_relu_forms(alpha: sp.Expr, beta: sp.Expr) -> tuple[HermiteClosedForm, sp.Expr]:
    """Hermite closed form and dual of ``α x + β relu(x)`` (slope α left of 0, α + β right).

    μ_n adds α√q to relu's μ_1 and scales the rest by β; E[(αu + βr(u))(αv + βr(v))] =
    α²c + αβc + β² E[r(u)r(v)], since E[u r(v)] = E[uv 1{v > 0}] = c/2 by symmetry."""
    relu = HERMITE_FAMILIES["relu"]
    hermite = HermiteClosedForm(
        2,
        2,
        beta * relu.term,
        {0: beta * relu.initial[0], 1: alpha * sp.sqrt(Q) + beta * relu.initial[1]},
    )
    dual = alpha**2 * C + alpha * beta * C + beta**2 * _RELU_DUAL
    return hermite, dual


def leaky_relu_forms(alpha: sp.Expr) -> tuple[HermiteClosedForm, sp.Expr]:
    """Hermite closed form and dual of ``max(x, α x) = α x + (1-α) relu(x)`` (α < 1)."""
    return linear_relu_forms(alpha, 1 - alpha)


def gaussian_forms(a: sp.Expr) -> tuple[HermiteClosedForm, sp.Expr]:
    """Hermite closed form and dual of ``exp(-a x²)`` for real a > -1/4 (a < 0: growth, with
    E[φ(√q Z)²] finite while 1 + 4aq > 0): from exp(-x²/2) at variance 2aq, analytic in a,
    μ_{2k}(q) = √((2k)!)/k! · (-aq/(1 + 2aq))^k / √(1 + 2aq), odd μ_n = 0, and
    E = 1/√((1 + 2a q1)(1 + 2a q2) - 4a²c²)."""
    hermite = HermiteClosedForm(
        0,
        2,
        sp.sqrt(sp.factorial(2 * K))
        / sp.factorial(K)
        * (-a * Q / (1 + 2 * a * Q)) ** K
        / sp.sqrt(1 + 2 * a * Q),
    )
    dual = 1 / sp.sqrt((1 + 2 * a * Q1) * (1 + 2 * a * Q2) - 4 * a**2 * C**2)
    return hermite, dual


def match_family(expr: sp.Expr) -> tuple[HermiteClosedForm, sp.Expr] | None:
    """If ``expr == c·f(b·x)`` for a base family f, its closed Hermite form and dual; else None.

    Matched by structure, not spelling: a Gaussian ``c·exp(k - a x²)`` in any form sympy
    normalizes to it, and any φ whose smooth pieces are s_1·x left of 0 and s_2·x right of it
    (``Max(x, x/5)``, ``(3x + 2|x|)/5``, ``x·Heaviside(x)``, ...) as s_1 x + (s_2 - s_1) relu."""
    c, core = expr.as_coeff_Mul()
    if not c.is_number or c == 0:
        return None
    name, arg = _family_of(core)
    b, rest = arg.as_coeff_Mul()
    if name is None or rest != X or b == 0 or not b.is_real:
        return _by_structure(c, core, expr)
    dual = c**2 * DUAL_FAMILIES[name].subs(
        {Q1: b**2 * Q1, Q2: b**2 * Q2, C: b**2 * C}, simultaneous=True
    )
    return HERMITE_FAMILIES[name].scaled(c, b), dual


def family_parameters(expr: sp.Expr) -> dict[str, str] | None:
    """Which family member ``expr`` is, as text a certificate file can carry (see
    docs/certificate.md): {"name": f, "c": c, "b": b} for c·f(b·x) with f a base family;
    {"name": "gaussian", "c": c, "k": k, "a": a} for c·exp(k - a x²); {"name": "two_slope",
    "alpha": α, "beta": β} for α x + β relu(x); None when :func:`match_family` finds none."""
    c, core = expr.as_coeff_Mul()
    if not c.is_number or c == 0:
        return None
    name, arg = _family_of(core)
    b, rest = arg.as_coeff_Mul()
    if name is not None and rest == X and b != 0 and b.is_real:
        return {"name": name, "c": sp.sstr(c), "b": sp.sstr(b)}
    gauss = _gaussian(core)
    if gauss is not None:
        k, a = gauss
        return {"name": "gaussian", "c": sp.sstr(c), "k": sp.sstr(k), "a": sp.sstr(a)}
    two = _two_slopes(expr)
    if two is not None:
        return {"name": "two_slope", "alpha": sp.sstr(two[0]), "beta": sp.sstr(two[1])}
    return None


def _by_structure(c: sp.Expr, core: sp.Expr, expr: sp.Expr):
    """The Gaussian and two-slope families, recognized from φ's structure (see match_family)."""
    gauss = _gaussian(core)
    if gauss is not None:
        k, a = gauss
        hermite, dual = gaussian_forms(a)
        return hermite.scaled(c * sp.exp(k), sp.Integer(1)), (c * sp.exp(k)) ** 2 * dual
    two_slopes = _two_slopes(expr)
    return linear_relu_forms(*two_slopes) if two_slopes is not None else None


def _gaussian(core: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(k, a) when ``core = exp(k - a x²)`` with real numbers k and a > -1/4, a ≠ 0."""
    if not isinstance(core, sp.exp):
        return None
    arg = sp.expand(core.args[0])
    if not arg.is_polynomial(X) or sp.degree(arg, X) != 2 or arg.coeff(X, 1) != 0:
        return None
    a, k = -arg.coeff(X, 2), arg.coeff(X, 0)
    if not (a.is_number and k.is_number and a.is_real and k.is_real):
        return None
    return (k, a) if a > sp.Rational(-1, 4) else None


def _two_slopes(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """(α, β) when φ = α x + β relu(x): smooth pieces s_1·x on (-∞, 0) and s_2·x on (0, ∞) with
    s_1 ≠ s_2 (so α = s_1, β = s_2 - s_1); None otherwise (or when sympy cannot split φ)."""
    from symbolic.pieces import smooth_pieces  # pieces needs the function table, not families

    if not expr.has(*NONSMOOTH):
        return None
    try:
        pieces = smooth_pieces(expr)
    except (VerifyError, ValueError, TypeError):
        return None
    if len(pieces) != 2 or pieces[0].hi != 0:
        return None
    slopes = []
    for p in pieces:
        e = sp.expand(p.expr)
        if not e.is_polynomial(X) or sp.degree(e, X) > 1 or e.coeff(X, 0) != 0:
            return None
        slopes.append(e.coeff(X, 1))
    s1, s2 = slopes
    if s1 == s2 or not (s1.is_number and s2.is_number):
        return None
    return s1, s2 - s1


def _family_of(core: sp.Expr) -> tuple[str | None, sp.Expr]:
    if isinstance(core, sp.Max) and len(core.args) == 2 and 0 in core.args:
        return "relu", next(a for a in core.args if a != 0)
    if isinstance(core, sp.exp):
        return "exp", core.args[0]
    for name, head in FAMILY_HEADS.items():
        if isinstance(core, head):
            return name, core.args[0]
    return None, X
