"""Time limits for symbolic steps: sympy can stall, a verifier must not.

In the main thread the limit is a real-time interval timer (SIGALRM), which interrupts pure
Python code such as sympy's between bytecodes; nested limits keep the earliest deadline. In
another thread the step runs in a daemon worker that is abandoned at the deadline, so the caller
never hangs (the worker finishes in the background).
"""

from __future__ import annotations

import gc
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from symbolic.errors import SymbolicTimeout

T = TypeVar("T")

#: Seconds for one symbolic step (a sympy limit, simplification or solveset): the unit of every
#: symbolic time limit, each of which is a stated multiple of it (``seconds(k)``). The command
#: line's --time-limit sets it for a run (verify.settings takes this default from here); a limit
#: reached makes an answer INCONCLUSIVE, never flips a PASS or a FAIL.
STEP_SECONDS = 4.0
_step: ContextVar[float] = ContextVar("symbolic_step_seconds", default=STEP_SECONDS)


def seconds(multiple: float) -> float:
    """``multiple`` × the step time in force (STEP_SECONDS unless :func:`step_seconds` set it)."""
    return _step.get() * multiple


@contextmanager
def step_seconds(value: float) -> Iterator[None]:
    """The step time of every symbolic limit inside the block (restored after)."""
    token = _step.set(value)
    try:
        yield
    finally:
        _step.reset(token)


_deadlines: list[float] = []


class _Alarm(BaseException):
    """Raised by the timer; a BaseException so that sympy's ``except Exception`` cannot eat it."""


def _on_alarm(signum, frame) -> None:
    """Raise :class:`_Alarm` in the interrupted code, unless that code is a garbage-collector
    callback (hypothesis installs one), a weak reference's callback (weakref.py's dictionaries
    and finalizers) or a ``__del__``: an exception there is printed and dropped by the
    interpreter, never reaching the limited step. The timer fires again 0.2 s later."""
    if frame is not None and (
        frame.f_code.co_filename == weakref.__file__
        or frame.f_code.co_name == "__del__"
        or any(getattr(cb, "__code__", None) is frame.f_code for cb in gc.callbacks)
    ):
        return
    raise _Alarm


def run_with_limit(fn: Callable[[], T], limit: float, what: str) -> T:
    """Return ``fn()``, or raise :class:`SymbolicTimeout` once ``limit`` seconds have passed."""
    if limit <= 0:
        raise SymbolicTimeout(f"{what}: no time left (limit {limit:g} s)")
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _run_with_alarm(fn, limit, what)
    return _run_in_thread(fn, limit, what)


def _run_with_alarm(fn: Callable[[], T], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    outer = _deadlines[-1] if _deadlines else None
    deadline = min(deadline, outer) if outer is not None else deadline

    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append(deadline)
    # Fires again every 0.2 s in case library code swallowed the first alarm.
    signal.setitimer(signal.ITIMER_REAL, max(deadline - time.monotonic(), 1e-3), 0.2)
    try:
        return fn()
    except _Alarm:
        raise SymbolicTimeout(f"{what} ran past its time limit of {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _deadlines.pop()
        signal.signal(signal.SIGALRM, previous)
        if _deadlines:  # re-arm the enclosing limit
            signal.setitimer(signal.ITIMER_REAL, max(_deadlines[-1] - time.monotonic(), 1e-3), 0.2)


def _run_in_thread(fn: Callable[[], T], seconds: float, what: str) -> T:
    box: dict[str, object] = {}

    def _target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=_target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SymbolicTimeout(f"{what} ran past its time limit of {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
