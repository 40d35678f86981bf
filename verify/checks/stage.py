"""How a stage of a run fails or is timed.

:class:`Failed` holds the project error that stopped a stage (an unconverged solver, a sympy
give-up, Python's arithmetic or conversion errors turned into words); :func:`attempt` runs a stage
and keeps such an error; :class:`Clock` times the stages and reports their names as progress. Any
other exception is a bug and propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from symbolic.errors import VerifyError

Progress = Callable[[str], None]


T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """A stage or fact that could not be established, and why."""

    error: BaseException

    def __str__(self) -> str:
        return str(self.error)


class Clock:
    """Times the stages and reports their names as progress."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.timings = progress, {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 3)


#: Python's own arithmetic and conversion errors inside a check: the check could not decide (an
#: overflow, a division by zero, a value sympy or torch could not convert), which the verdict
#: reports as INCONCLUSIVE with the cause in words; never a traceback for an accepted formula.
NUMERIC_GIVE_UPS: tuple[type[BaseException], ...] = (ArithmeticError, ValueError, TypeError)


_CAUSES = {
    OverflowError: "a number overflowed float64",
    ZeroDivisionError: "a division by zero",
    FloatingPointError: "a floating-point error",
}


def cause(exc: BaseException) -> VerifyError:
    """A project error saying in words what a Python arithmetic or conversion error meant."""
    if isinstance(exc, VerifyError):
        return exc
    kinds = (w for t, w in _CAUSES.items() if isinstance(exc, t))
    what = next(kinds, "a value could not be computed")
    detail = str(exc).strip()
    return VerifyError(f"{what} ({detail})" if detail else what)


def attempt(fn: Callable[[], T], *catch: type[BaseException]) -> T | Failed:
    """fn(), or Failed for the project's own errors, Python's arithmetic and conversion errors
    (NUMERIC_GIVE_UPS, turned into words) and the extra give-ups named."""
    try:
        return fn()
    except (VerifyError, *NUMERIC_GIVE_UPS, *catch) as exc:
        return Failed(cause(exc))
