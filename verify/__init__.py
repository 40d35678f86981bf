"""The deq-verify command line, JSON output and reports."""

from verify.checks import Verification, run_checks
from verify.cli import ExitCode, main
from verify.settings import Settings

__all__ = ["ExitCode", "Settings", "Verification", "main", "run_checks"]
