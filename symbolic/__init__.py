"""Symbolic layer: activations, Hermite coefficients, dual activations, condition proofs."""

from symbolic.activations import REGISTRY, Activation, resolve
from symbolic.conditions import check_bounded, check_infinite_hermite, check_weight_scale
from symbolic.dual import dual_by_summation, dual_closed_fn, dual_quadrature_2d, dual_series
from symbolic.formula import parse_formula
from symbolic.hermite import HermiteCoefficients, hermite_exact, hermite_float, hermite_mp
from symbolic.result import CheckResult, FormulaError, SolverError, Status, VerifyError

__all__ = [
    "REGISTRY",
    "Activation",
    "CheckResult",
    "FormulaError",
    "HermiteCoefficients",
    "SolverError",
    "Status",
    "VerifyError",
    "check_bounded",
    "check_infinite_hermite",
    "check_weight_scale",
    "dual_by_summation",
    "dual_closed_fn",
    "dual_quadrature_2d",
    "dual_series",
    "hermite_exact",
    "hermite_float",
    "hermite_mp",
    "parse_formula",
    "resolve",
]
