"""Symbolic layer (sympy + mpmath): activations, exact and 30-digit Hermite coefficients, closed
duals, and the facts behind the hypotheses (suprema, polynomial test)."""

from __future__ import annotations

from symbolic.lazy import lazy_dir, lazy_getattr

#: Public name -> module; imported on first use, so that light modules (errors, settings) can be
#: imported without sympy and torch.
_LAZY = {
    "REGISTRY": "symbolic.activations",
    "Activation": "symbolic.activations",
    "resolve": "symbolic.activations",
    "SupBound": "symbolic.bounds",
    "sup_abs": "symbolic.bounds",
    "dual_by_summation": "symbolic.dual",
    "dual_closed_fn": "symbolic.dual",
    "FormulaError": "symbolic.errors",
    "SolverError": "symbolic.errors",
    "SymbolicTimeout": "symbolic.errors",
    "VerifyError": "symbolic.errors",
    "parse_formula": "symbolic.formula",
    "HermiteCoefficients": "symbolic.hermite",
    "hermite_exact": "symbolic.hermite",
    "hermite_mp": "symbolic.hermite",
    "PolynomialFact": "symbolic.polynomial",
    "polynomial_fact": "symbolic.polynomial",
}

__all__ = sorted(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
