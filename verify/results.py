"""Verdicts: the statuses, their order, the condition names and the immutable result of a check.

symbolic/ and numeric/ produce facts; :mod:`verify.verdicts` turns facts into these results.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any


class Status(str, enum.Enum):
    """Outcome of one check. INCONCLUSIVE is never reported as PASS.

    Declared in order of severity: the overall verdict of several checks is the most severe
    (a refutation outranks a check that could not run, which outranks an undecided one).
    """

    PASS = "PASS"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"
    FAIL = "FAIL"

    @property
    def severity(self) -> int:
        return list(Status).index(self)


def worst(statuses: list[Status]) -> Status:
    """The most severe status (PASS for an empty list: nothing was refuted or left open)."""
    return max(statuses, key=lambda s: s.severity, default=Status.PASS)


class Condition(str, enum.Enum):
    """Names of the checks, in report order."""

    BOUNDED_PHI = "bounded_phi"
    BOUNDED_DPHI = "bounded_dphi"
    BOUNDED_D2PHI = "bounded_d2phi"
    INFINITE_HERMITE = "infinite_hermite"
    WEIGHT_SCALE = "weight_scale"
    DATA_NONPARALLEL = "data_nonparallel"
    LAMBDA_STAR_POSITIVE = "lambda_star_positive"
    WIDTH_SWEEP = "width_sweep"
    LAMBDA0_BOUND = "lambda0_bound"
    LINEAR_RATE = "linear_rate"
    WIDTH_STUDY = "width_study"
    RELU_ACTIVATION = "relu_activation"
    LING_WEIGHT_SCALE = "ling_weight_scale"
    LING_CONDITION1 = "ling_condition1"
    LING_STEP_SIZE = "ling_step_size"
    LING_LINEAR_RATE = "ling_linear_rate"
    GAO_WELL_POSED = "gao_well_posed"
    GAO_LAMBDA0_POSITIVE = "gao_lambda0_positive"
    GAO_GRAM_INIT = "gao_gram_init"
    GAO_LINEAR_RATE = "gao_linear_rate"
    GAO_LINEAR_WIDTH = "gao_linear_width"

    @property
    def informational(self) -> bool:
        """Reported, not required. sup|φ| is stated by some versions of the paper but the theorem
        needs only φ' and φ'' bounded (softplus, gelu, swish qualify); the width sweep is
        evidence for ZᵀZ/m → G*, whose rate the theory does not pin down; Ling's Condition 1 and
        step bound and Gao's λ_min(G(0)) ≥ ¾λ_0 say whether *this* network is inside the
        theorem's finite-width regime (theory §7.4). An ERROR still counts: a check that could
        not run means the run is broken."""
        return self in (
            Condition.BOUNDED_PHI,
            Condition.WIDTH_SWEEP,
            Condition.LING_CONDITION1,
            Condition.LING_STEP_SIZE,
            Condition.GAO_GRAM_INIT,
        )

    @property
    def order(self) -> int:
        return list(Condition).index(self)


@dataclass(frozen=True)
class CheckResult:
    """One verdict: the measured ``value`` with its uncertainty ``error``, the ``bound`` it was
    held to (always the threshold, None when the check has no numeric threshold), and the method.

    ``value`` and ``bound`` are floats (``math.inf`` for a proved infinity, ``None`` when the
    quantity has no number); ``exact`` holds the exact value as a string where sympy proved one;
    ``enclosure`` the proved [lo, hi] as floats rounded outward (JSON: ``enclosure`` and, exact,
    ``enclosure_hex``).
    """

    name: Condition
    status: Status
    value: float | None
    bound: float | None
    method: str
    detail: str = ""
    error: float | None = None
    exact: str | None = None
    enclosure: tuple[float, float] | None = None  # a certified [lo, hi] of the value

    @property
    def certified(self) -> bool:
        return self.enclosure is not None

    @property
    def counts(self) -> bool:
        """Whether this result enters the overall verdict (see Condition.informational)."""
        return not self.name.informational or self.status is Status.ERROR

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; infinities become the strings "inf" / "-inf"."""
        return {
            "name": self.name.value,
            "status": self.status.value,
            "value": json_float(self.value),
            "bound": json_float(self.bound),
            "error": json_float(self.error),
            "method": self.method,
            "detail": self.detail,
            "exact": self.exact,
            "enclosure": None
            if self.enclosure is None
            else [json_float(v) for v in self.enclosure],
            "enclosure_hex": None
            if self.enclosure is None
            else [float(v).hex() for v in self.enclosure],
        }


def overall(results: list[CheckResult]) -> Status:
    """The run's verdict: the most severe status among the results that count."""
    return worst([r.status for r in results if r.counts])


def json_float(v: float | None) -> float | str | None:
    """A float that JSON can carry: inf and nan become strings, None stays None."""
    if v is None:
        return None
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if math.isnan(v):
        return "nan"
    return v
