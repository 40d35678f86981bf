"""deq-verify: the command line, the run pipeline, verdicts, JSON and reports.

The heavy layers are imported on first use, so ``python -m verify --help`` answers at once.
"""

from __future__ import annotations

from symbolic.lazy import lazy_dir, lazy_getattr

_LAZY = {
    "ExitCode": "verify.cli",
    "main": "verify.cli",
    "Settings": "verify.settings",
    "Verification": "verify.checks",
    "run_checks": "verify.checks",
    "CheckResult": "verify.results",
    "Condition": "verify.results",
    "Status": "verify.results",
    "study": "verify.study.report",
    "check": "verify.api",
    "hermite": "verify.api",
    "population_gram": "verify.api",
    "lambda_star": "verify.api",
    "train": "verify.api",
    "write_certificate": "verify.certificate_file",
    "StudyGrid": "verify.study.grid",
    "parse_activations": "verify.study.grid",
}

__all__ = sorted(_LAZY)


__getattr__ = lazy_getattr(__name__, _LAZY)
__dir__ = lazy_dir(globals(), _LAZY)
