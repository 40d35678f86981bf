"""Verdicts: immutable results that every check returns (SPEC §5)."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """Outcome of one check. INCONCLUSIVE is never reported as PASS."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"


@dataclass(frozen=True)
class CheckResult:
    """One verdict: the measured value, the bound it was held to, and the method.

    ``value`` and ``bound`` are floats (``math.inf`` for a proved infinity, ``None`` when the
    quantity has no number); ``exact`` holds the exact value as a string where sympy proved one.
    """

    name: str
    status: Status
    value: float | None
    bound: float | None
    method: str
    detail: str = ""
    exact: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; infinities become the strings "inf" / "-inf"."""
        return {
            "name": self.name,
            "status": self.status.value,
            "value": json_float(self.value),
            "bound": json_float(self.bound),
            "method": self.method,
            "detail": self.detail,
            "exact": self.exact,
        }


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


class VerifyError(Exception):
    """A user-facing failure with a one-line message (bad input, unconverged solver...)."""


class FormulaError(VerifyError):
    """A formula was rejected by the parser: the message names the offending part."""


class SymbolicTimeout(VerifyError):
    """A symbolic step ran past its time limit."""


class SolverError(VerifyError):
    """A numeric solver did not converge: the message gives the residual, the tolerance and
    the setting to change."""
