"""Tables as CSV, shared by the single-run report and the study's atlas: a header row, then the
rows, with the csv module's quoting and ``\\n`` line ends (the cells are written as given: the
callers format every number, certified ends rounded outward, estimates to nearest)."""

from __future__ import annotations

import csv
import io
from typing import Any


def to_csv(header: list[str], rows: list[list[Any]]) -> str:
    """The CSV text of ``header`` and ``rows``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


__all__ = ["to_csv"]
