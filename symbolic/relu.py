"""Is φ the ReLU? The model of Ling et al. and of Gao & Gao accepts φ(x) = max(0, x) only.

Proved piece by piece: on every smooth piece (lo, hi) of φ, sympy must simplify
φ - 0 to zero where hi ≤ 0 and φ - x to zero where lo ≥ 0; a piece straddling 0 cannot be
ReLU (whose one kink is at 0) unless sympy proves φ - max(0, x) = 0 on it. Refuted by a point
where |φ(x) - max(0, x)| exceeds 1e-20 at 30 digits (a difference far above that precision's
rounding). Anything else is undecided.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from symbolic.activations import Activation
from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.timelimit import run_with_limit, seconds

#: Where φ and max(0, x) are compared when the proof fails (a refutation needs one point).
PROBES = (-3.7, -1.3, -0.41, -0.013, 0.017, 0.37, 1.1, 2.9, 7.3)
#: ... and one point inside every smooth piece and beyond the formula's constants (_probes).
#: A difference above this at 30 digits is a refutation, not rounding.
MARGIN = 1e-20
#: Step times (symbolic.timelimit) for one sympy proof of the identity on a piece.
_STEPS = 1.25


@dataclass(frozen=True)
class ReluFact:
    """``is_relu`` True (proved), False (refuted at ``point``) or None (undecided)."""

    is_relu: bool | None
    detail: str
    point: float | None = None


def _probes(act: Activation) -> list[float]:
    """The fixed probes, then a point inside every smooth piece and beyond the formula's
    constants on both sides (Max(0, x) + Max(0, x - 100) agrees with the ReLU up to x = 100)."""
    extra = []
    try:
        pieces = act.pieces if act.kinks_finite else []
    except VerifyError:
        pieces = []
    for p in pieces:
        if p.lo == -sp.oo and p.hi == sp.oo:
            continue  # one piece: the fixed and far probes lie inside it
        lo = float(p.lo) if p.lo != -sp.oo else float(p.hi) - 1.7
        hi = float(p.hi) if p.hi != sp.oo else lo + 1.7
        extra.append((lo + hi) / 2)
    far = max((abs(float(c)) for c in act.expr.atoms(sp.Number) if abs(c) <= 10**6), default=0.0)
    extra += [2 * far + 8.3, -(2 * far + 8.3)]
    return [*PROBES, *extra]


def relu_fact(act: Activation) -> ReluFact:
    """Decide φ ≡ max(0, x) (see the module docstring): a refutation at a probe point first (it
    is cheap, and settles every φ that is not the ReLU), then sympy's proof."""
    with mpmath.workdps(30):
        for x0 in _probes(act):
            diff = abs(act.mp_fn(mpmath.mpf(x0)) - max(mpmath.mpf(0), mpmath.mpf(x0)))
            if diff > MARGIN:
                return ReluFact(
                    False,
                    f"φ({x0:.6g}) - max(0, {x0:.6g}) = {mpmath.nstr(diff, 6)} ≠ 0 (30 digits): "
                    "not the ReLU",
                    x0,
                )
    try:
        if act.kinks_finite and all(_piece_is_relu(p.expr, p.lo, p.hi) for p in act.pieces):
            kinks = ", ".join(sp.sstr(b) for b in act.exact_breakpoints) or "none"
            return ReluFact(True, f"φ = max(0, x) on every smooth piece (kinks: {kinks}; sympy)")
    except SymbolicTimeout:
        pass
    return ReluFact(None, "φ agrees with max(0, x) at the probes, but sympy could not prove it")


def _piece_is_relu(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> bool:
    if hi <= 0:
        target = sp.Integer(0)
    elif lo >= 0:
        target = X
    else:
        target = sp.Max(0, X)
    return bool(
        run_with_limit(lambda: sp.simplify(expr - target) == 0, seconds(_STEPS), "ReLU identity")
    )


__all__ = ["ReluFact", "relu_fact"]
