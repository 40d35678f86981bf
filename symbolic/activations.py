"""The activation registry and the :class:`Activation` object every layer works with."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy as sp

from symbolic.errors import FormulaError, VerifyError
from symbolic.evaluate import mp_function, torch_function
from symbolic.families import HermiteClosedForm, leaky_relu_forms, match_family
from symbolic.formula import X, parse_formula
from symbolic.pieces import Piece, Undetermined, smooth_pieces
from symbolic.singular import SingularSet, singular_set


@dataclass(frozen=True)
class Activation:
    """An activation φ(x): a sympy expression with optional closed forms.

    ``hermite`` gives μ_n(q) in general n, ``dual`` gives E[φ(u)φ(v)] in (q1, q2, c); both are
    None when no closed form is known (the numeric paths then serve). They are matched from the
    expression on first use (sympy's simplify is slow), unless ``closed_forms`` gives them.
    """

    name: str
    expr: sp.Expr
    description: str = ""
    closed_forms: tuple[HermiteClosedForm, sp.Expr] | None = None
    from_formula: bool = False

    @cached_property
    def _family(self) -> tuple[HermiteClosedForm | None, sp.Expr | None]:
        if self.closed_forms is not None:
            return self.closed_forms
        match = match_family(self.expr)
        return (match[0], match[1]) if match is not None else (None, None)

    @property
    def hermite_closed_form(self) -> HermiteClosedForm | None:
        """μ_n(q) in closed form in n, when φ is in a known family (None otherwise)."""
        return self._family[0]

    @property
    def dual(self) -> sp.Expr | None:
        return self._family[1]

    @cached_property
    def singular(self) -> SingularSet:
        """The candidate non-smooth points of φ (kinks, jumps, poles, branch points) on ℝ."""
        return singular_set(self.expr)

    @cached_property
    def pieces(self) -> list[Piece]:
        """Smooth pieces between breakpoints (one piece for a smooth φ); raises
        :class:`symbolic.pieces.Undetermined` when the breakpoints could not be located."""
        return smooth_pieces(self.expr, self.singular)

    @cached_property
    def exact_breakpoints(self) -> list[sp.Expr]:
        """The kinks and jumps of φ, exact (sympy numbers)."""
        return [p.hi for p in self.pieces[:-1]]

    @cached_property
    def breakpoints(self) -> list[float]:
        """The kinks and jumps of φ as float64 (for float64 rules only; the mpmath route rounds
        :attr:`exact_breakpoints` at its own precision); none when they could not be located
        (the adaptive rules then find them the slow way)."""
        try:
            return [float(b) for b in self.exact_breakpoints]
        except Undetermined:
            return []

    @property
    def smooth(self) -> bool:
        """φ is analytic on all of ℝ: no candidate singular point at all (proved)."""
        s = self.singular
        return s.complete and s.finite and not s.points

    @cached_property
    def kinks_finite(self) -> bool:
        """Finitely many candidate singular points on the whole line, all located (so the pieces
        cover it exactly)."""
        return self.singular.proves_whole_line

    def derivative_expr(self, k: int) -> list[Piece]:
        """The k-th derivative of each smooth piece (jumps at breakpoints not included)."""
        return [Piece(p.lo, p.hi, sp.diff(p.expr, X, k)) for p in self.pieces]

    def torch_fn(self, k: int = 0):
        """φ^{(k)} as a float64 torch function, piecewise (classical derivative off the kinks);
        built once per k and kept on the instance."""
        key = f"_torch_{k}"
        if key not in self.__dict__:
            try:
                parts = [
                    (float(p.lo), float(p.hi), torch_function(p.expr))
                    for p in self.derivative_expr(k)
                ]
                self.__dict__[key] = _piecewise_torch(parts)
            except Undetermined:  # no pieces: the expression (and its classical derivative)
                self.__dict__[key] = torch_function(sp.diff(self.expr, X, k))
        return self.__dict__[key]

    @cached_property
    def mp_fn(self):
        """φ at arbitrary precision (mpmath)."""
        return mp_function(self.expr)


def _piecewise_torch(parts):
    if len(parts) == 1:
        return parts[0][2]

    def fn(x):
        import torch  # numeric use only: resolving an activation does not import torch

        out = torch.zeros_like(x)
        for lo, hi, f in parts:
            mask = (x >= lo) & (x < hi) if math.isfinite(hi) else (x >= lo)
            if mask.any():
                out[mask] = f(x[mask])
        return out

    return fn


def _act(name: str, expr: sp.Expr, description: str, **kw) -> Activation:
    return Activation(name, expr, description, **kw)


_LEAKY_ALPHA = sp.Rational(1, 100)
_leaky_h, _leaky_d = leaky_relu_forms(_LEAKY_ALPHA)

REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in [
        _act("sin", sp.sin(X), "sine"),
        _act("cos", sp.cos(X), "cosine"),
        _act("tanh", sp.tanh(X), "hyperbolic tangent"),
        _act("erf", sp.erf(X), "error function"),
        _act("sigmoid", 1 / (1 + sp.exp(-X)), "logistic sigmoid"),
        _act("softplus", sp.log(1 + sp.exp(X)), "log(1 + e^x)"),
        _act("gelu", X * (1 + sp.erf(X / sp.sqrt(2))) / 2, "Gaussian error linear unit x·Φ(x)"),
        _act("swish", X / (1 + sp.exp(-X)), "swish / SiLU x·sigmoid(x)"),
        _act("elu", sp.Max(0, X) + sp.Min(0, sp.exp(X) - 1), "exponential linear unit (α = 1)"),
        _act("relu", sp.Max(0, X), "rectified linear unit"),
        _act(
            "leaky_relu",
            sp.Max(X, _LEAKY_ALPHA * X),
            "leaky ReLU, slope 1/100",
            closed_forms=(_leaky_h, _leaky_d),
        ),
        _act("step", sp.Heaviside(X, 1), "unit step 1[x >= 0]"),
        _act("sign", sp.sign(X), "sign"),
        _act("abs", sp.Abs(X), "absolute value"),
        _act("exp", sp.exp(X), "exponential"),
        _act("identity", X, "identity (linear)"),
        _act("square", X**2, "square"),
        _act("gaussian", sp.exp(-(X**2) / 2), "Gaussian bump exp(-x²/2)"),
        _act("atan", sp.atan(X), "arctangent"),
        _act("softsign", X / (1 + sp.Abs(X)), "x / (1 + |x|)"),
    ]
}

#: Other names users type for registry entries.
ALIASES = {
    "silu": "swish",
    "heaviside": "step",
    "linear": "identity",
    "x": "identity",
    "logistic": "sigmoid",
    "arctan": "atan",
    "leakyrelu": "leaky_relu",
}


def resolve(spec: str) -> Activation:
    """The registry entry named ``spec`` (or an alias), else ``spec`` parsed as a formula in x.

    Raises :class:`VerifyError` with the closest registry names for an unknown bare name, and
    :class:`FormulaError` (naming the offending part) for a rejected formula.
    """
    key = spec.strip()
    name = ALIASES.get(key.lower(), key.lower())
    if name in REGISTRY:
        return REGISTRY[name]
    if key.isidentifier() and key != "x":
        close = difflib.get_close_matches(key.lower(), [*REGISTRY, *ALIASES], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see 'python -m verify list'"
        raise VerifyError(f"unknown activation '{key}'{hint}")
    expr = parse_formula(key)
    _check_real(expr, key)
    return _act(key, expr, "user formula", from_formula=True)


_FLOAT64_MAX = mpmath.mpf(1.7976931348623157e308)
#: Where a user formula must be real and finite (a quick screen; the checks decide the rest).
PROBES = (-7.3, -2.1, -0.7, -0.01, 0.013, 0.6, 1.9, 6.8)


def _check_real(expr: sp.Expr, text: str) -> None:
    """Reject formulas that are not real and finite on the line (probed at a few points, in
    double precision with mpmath, as float64 would see them)."""
    fn = mp_function(expr)
    for at in PROBES:
        try:
            with mpmath.workprec(53):
                value = fn(mpmath.mpf(at))
            ok = isinstance(value, mpmath.mpf) and abs(value) <= _FLOAT64_MAX
        except (ValueError, ZeroDivisionError, OverflowError):
            ok = False
        if not ok:
            raise FormulaError(f"'{text}' is not real and finite on the whole line (at x = {at:g})")
    if expr.free_symbols - {X}:
        raise FormulaError(f"'{text}' has variables other than x")


__all__ = ["ALIASES", "REGISTRY", "Activation", "VerifyError", "resolve"]
