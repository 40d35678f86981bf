"""deq-verify: the command line, the run pipeline, verdicts, JSON and reports.

The heavy layers are imported on first use, so ``python -m verify --help`` answers at once.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ExitCode": "verify.cli",
    "main": "verify.cli",
    "Settings": "verify.settings",
    "Verification": "verify.checks",
    "run_checks": "verify.checks",
    "CheckResult": "verify.results",
    "Condition": "verify.results",
    "Status": "verify.results",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'verify' has no attribute {name!r}")
