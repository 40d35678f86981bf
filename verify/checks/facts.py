"""The facts the symbolic layer establishes about φ: sup|φ^{(k)}| for k = 0, 1, 2 (sympy's proof
with a grid cross-check, and the certified enclosures in ball arithmetic), the Hermite
coefficients at q = 1 (exact, dps digits, float64 evidence), the polynomial test, the dual in
closed form and as a curve; and σ_w² resolved from the proved L.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch

from numeric.mehler import dual_series
from numeric.quadrature import hermite_float
from numeric.sup import grid_sup
from symbolic.activations import Activation
from symbolic.bounds import SupBound, sup_abs
from symbolic.dual import dual_by_summation, dual_closed_fn
from symbolic.enclosure import Enclosure
from symbolic.errors import SYMPY_GIVE_UPS, VerifyError
from symbolic.hermite import hermite_exact, hermite_mp
from symbolic.l2 import SquareIntegrable, square_integrable
from symbolic.polynomial import polynomial_fact
from symbolic.sup_enclosure import SupSearch, sup_enclosure
from symbolic.timelimit import seconds
from verify import verdicts
from verify.checks.records import SymbolicFacts
from verify.checks.stage import Clock, Failed, attempt
from verify.settings import ModelSettings, PrecisionSettings, Settings

#: Step times (symbolic.timelimit) for one exact Hermite coefficient and for all of them.
EXACT_TERM_STEPS = 0.5


EXACT_TOTAL_STEPS = 1.5


def suprema(act: Activation, clock: Clock | None = None) -> dict[int, SupBound | Failed]:
    """sup|φ^{(k)}| for k = 0, 1, 2: sympy's proof, each with its grid cross-check (each stage
    timed by ``clock`` when given)."""
    clock = clock if clock is not None else Clock(None)
    sups: dict[int, SupBound | Failed] = {}
    for k, name in verdicts.BOUNDED.items():
        with clock.stage(name.value):
            grid = attempt(lambda k=k: grid_sup(act, k))
            if isinstance(grid, Failed):
                grid = (math.inf, f"no grid ({grid})")
            sups[k] = attempt(lambda k=k, g=grid: sup_abs(act, k, *g), *SYMPY_GIVE_UPS)
    return sups


def enclosures(
    act: Activation, s: Settings, clock: Clock, sups: dict[int, SupBound | Failed]
) -> dict[int, Enclosure | None]:
    """Certified sup|φ^{(k)}| for k = 0, 1, 2 where the symbolic layer proved it finite (the
    closed form in ball arithmetic, or branch and bound); empty with --no-certify."""
    if not s.precision.certify:
        return {}
    with clock.stage("certified_sups"):
        return sup_enclosures(act, sups, s.precision)


def sup_enclosures(
    act: Activation, sups: dict[int, SupBound | Failed], p: PrecisionSettings
) -> dict[int, Enclosure | None]:
    """sup|φ^{(k)}| in ball arithmetic at ``p.prec`` bits for each k whose bound ``sups`` proved
    (None where it did not, or where no proof of the enclosure closed)."""
    search = SupSearch(p.sup_window, p.sup_max_window, p.sup_tol, p.sup_evaluations)
    return {
        k: sup_enclosure(act, k, b, p.prec, search) if isinstance(b, SupBound) else None
        for k, b in sups.items()
    }


def symbolic_facts(
    act: Activation,
    s: Settings,
    clock: Clock,
    sups: dict[int, SupBound | Failed],
    l2: SquareIntegrable | None = None,
) -> SymbolicFacts:
    """With the suprema of φ, φ', φ'' and the L² membership given: the Hermite coefficients
    (exact, dps digits, float64 evidence) at q = 1, the polynomial test, the dual in closed form
    and as a curve."""
    p = s.precision
    notes: list[str] = []
    l2 = l2 if l2 is not None else square_integrable(act)
    outside = l2.at(1.0) is False
    with clock.stage("hermite"):
        if outside:
            coefficients = Failed(VerifyError(f"φ ∉ L²(N(0, 1)): {l2.reason}"))
        else:
            coefficients = attempt(lambda: hermite_mp(act, p.hermite_terms, 1, dps=p.dps))
        if isinstance(coefficients, Failed):
            notes.append(f"{p.dps}-digit Hermite coefficients unavailable: {coefficients}")
        exact = hermite_exact(
            act,
            min(p.hermite_terms, p.exact_terms),
            1,
            time_limit=seconds(EXACT_TERM_STEPS),
            total_limit=seconds(EXACT_TOTAL_STEPS),
        )
        evidence = (
            coefficients if outside else attempt(lambda: hermite_float(act, p.evidence_terms, 1.0))
        )
        if isinstance(evidence, Failed) and not outside:
            notes.append(f"float64 Hermite coefficients unavailable: {evidence}")
        evidence = None if isinstance(evidence, Failed) else evidence
        poly = attempt(lambda: polynomial_fact(act, evidence), *SYMPY_GIVE_UPS)
    with clock.stage("dual"):
        summed = dual_by_summation(act, seconds(1))
        curve = coefficients if outside else attempt(lambda: dual_curve(act, p.dual_curve_terms))
    return SymbolicFacts(
        sups,
        enclosures(act, s, clock, sups),
        poly,
        None if isinstance(coefficients, Failed) else coefficients,
        evidence,
        tuple(exact),
        summed,
        None if isinstance(curve, Failed) else curve,
        tuple(notes),
        l2,
    )


def dual_curve(act: Activation, terms: int) -> dict[str, list[float]]:
    """φ̂_1(ρ) on ρ ∈ [-1, 1]: the closed form (if any) and the truncated series with its tail."""
    rho = torch.linspace(-1, 1, 201, dtype=torch.float64)
    series = dual_series(act, 1.0, 1.0, terms)
    values, _ = series(rho)
    tail = [(abs(float(r)) ** terms) * math.sqrt(series.tail1 * series.tail2) for r in rho]
    out = {"rho": rho.tolist(), "series": values.tolist(), "tail": tail}
    closed = dual_closed_fn(act)
    if closed is not None:
        one = torch.ones_like(rho)
        out["closed"] = closed(one, one, rho).tolist()
    return out


def resolve_model(model: ModelSettings, facts: SymbolicFacts) -> tuple[ModelSettings, list[str]]:
    """The model with σ_w² resolved: the user's, else 1/(16 L²) (half the admissible maximum)
    with L a proved upper bound (exact or certified), else 1/16 when L is infinite, zero or not
    proved (an estimated L never sets σ_w²)."""
    if model.sigma_w2 is not None:
        return model, []
    upper = facts.sup_upper(1)
    value = default_sigma_w2(upper)
    if upper is not None and math.isfinite(upper) and upper > 0:
        b1 = facts.sups[1]
        how = "exact" if isinstance(b1, SupBound) and b1.exact is not None else "certified"
        note = f"σ_w² defaults to 1/(16 L²) = {value:.6g} (L ≤ {upper:.6g}, {how})"
        return replace(model, sigma_w2=value), [note]
    if upper is None:
        why = "L = sup|φ'| was not proved, so the weight-scale hypothesis stays undecided"
    else:
        why = f"L = {upper:g}"
    return replace(model, sigma_w2=value), [f"σ_w² defaults to 1/16 ({why})"]


def default_sigma_w2(lip: float | None) -> float:
    """1/(16 L²), half the admissible maximum 1/(8L²), for a proved L > 0; 1/16 when L is
    infinite, zero or unknown (None). Computed as (1/(4L))², so a huge L does not overflow;
    raises VerifyError when the result underflows float64 (set σ_w² by hand)."""
    if lip is None or not math.isfinite(lip) or lip <= 0:
        return 1 / 16
    value = (0.25 / lip) ** 2
    if value == 0.0:
        raise VerifyError(
            f"L = sup|φ'| = {lip:.3g} is so large that 1/(16 L²) underflows float64; "
            "set --sigma-w2 yourself"
        )
    return value
