"""The project's own errors. Every stage catches these (and only these, plus sympy's known
give-ups); anything else is a bug and surfaces as one."""

from __future__ import annotations


class VerifyError(Exception):
    """A user-facing failure with a one-line message (bad input, unconverged solver...)."""


class FormulaError(VerifyError):
    """A formula was rejected by the parser: the message names the offending part."""


class SymbolicTimeout(VerifyError):
    """A symbolic step ran past its time limit."""


class SolverError(VerifyError):
    """A numeric solver did not converge: the message gives the residual, the tolerance and
    the setting to change."""


#: What sympy raises when it gives up on a step (rather than on a bug of ours): a symbolic
#: stage turns these into INCONCLUSIVE evidence.
SYMPY_GIVE_UPS: tuple[type[BaseException], ...] = (NotImplementedError, ValueError, TypeError)
