"""The study wing: many runs over a grid (activations × data × n × widths × seeds), stored in
SQLite and resumable, analysed into minimal widths and exponents, and written as an atlas. It sits
beside the single run: it calls :func:`verify.checks.run_checks` per cell and shares the figure
and table code (:mod:`verify.figures`, :mod:`verify.tables`, :mod:`verify.tex`); the single-run
report never imports it.

- :mod:`~verify.study.grid`: the grid, its keys and seeds;
- :mod:`~verify.study.cells`: the work of one group (G*, λ*) and one cell (a training run);
- :mod:`~verify.study.store`: SQLite results, claims and heartbeats;
- :mod:`~verify.study.run`: the driver (local processes or Dask), claims, stopping on a signal;
- :mod:`~verify.study.analysis`: minimal widths and exponents;
- :mod:`~verify.study.atlas`: the atlas pages, CSV, LaTeX, figures and the JSON summary;
- :mod:`~verify.study.report`: :func:`~verify.study.report.study`, the whole study from Python.

The package is also the public function: ``verify.study(grid, out, ...)`` calls
:func:`verify.study.report.study` (the name is both the folder and the documented API).
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any


class _StudyPackage(types.ModuleType):
    """This package, callable as :func:`verify.study.report.study` (with its signature)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from verify.study.report import study

        return study(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        from verify.study.report import study

        return inspect.signature(study)


sys.modules[__name__].__class__ = _StudyPackage
