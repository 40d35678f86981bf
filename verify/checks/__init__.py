"""One run, split by what each stage decides: ``run_checks(settings) -> Verification``.

- :mod:`~verify.checks.stage`: how a stage fails (:class:`Failed`) or is timed;
- :mod:`~verify.checks.records`: the frozen records a run produces (:class:`Verification`);
- :mod:`~verify.checks.facts`: the symbolic facts about φ (suprema, Hermite coefficients, dual);
- :mod:`~verify.checks.population`: G*, its spectrum and certificates, Θ*;
- :mod:`~verify.checks.finite_width`: width sweep, DEQ training, width study, Ling's run;
- :mod:`~verify.checks.gao_runs`: Gao & Gao's network;
- :mod:`~verify.checks.judge`: every condition's verdict from the records;
- :mod:`~verify.checks.pipeline`: the stages in order.
"""

from __future__ import annotations

from verify.checks.facts import default_sigma_w2, sup_enclosures, suprema
from verify.checks.pipeline import run_checks
from verify.checks.population import certify, singular_gram
from verify.checks.records import Verification
from verify.checks.stage import Failed

__all__ = [
    "Failed",
    "Verification",
    "certify",
    "default_sigma_w2",
    "run_checks",
    "singular_gram",
    "sup_enclosures",
    "suprema",
]
