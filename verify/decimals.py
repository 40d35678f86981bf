"""How numbers become text, in every output (terminal, JSON strings, Markdown, HTML, CSV, LaTeX,
figure labels).

* A **certified** number (an end of a proved enclosure) leaves the program only through the
  directed roundings of :mod:`symbolic.enclosure`: a lower end or a lower bound is rounded
  toward −∞ at the printed digits, an upper end or an upper bound toward +∞, from the exact
  decimal value of the float or ball end (docs/theory.md §8.3). :func:`lower`, :func:`upper` and
  :func:`interval` are those roundings with the renderers' placeholder for a missing number.
* An **estimate** (a float measurement, a threshold, a fitted rate) is rounded to nearest and is
  never labelled "certified". :func:`estimate` writes it with Python's ``g`` (scientific
  notation outside [1e-5, 10^digits)), :func:`fixed` with a fixed number of decimals while the
  number is below 1e6 and in scientific notation above, so that no message prints a
  300-digit integer.

Torch-free: the refusals and the study's atlas use it.
"""

from __future__ import annotations

import math

from flint import arb

from symbolic.enclosure import format_enclosure, round_down, round_up

#: Printed for a number that does not exist (a stage that did not run).
MISSING = "—"
#: Above this magnitude :func:`fixed` switches to scientific notation.
FIXED_LIMIT = 1e6


def estimate(x: float | None, digits: int = 6) -> str:
    """``x`` rounded to nearest at ``digits`` significant digits; "∞", "-∞", "nan" and
    :data:`MISSING` (None) spelled out."""
    if x is None:
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if math.isnan(x):
        return "nan"
    return f"{x:.{digits}g}"


def fixed(x: float, places: int) -> str:
    """``x`` rounded to nearest with ``places`` decimals when |x| < 1e6, else in scientific
    notation with ``places`` + 1 significant digits (an estimate, never a certified number)."""
    x = float(x)
    if math.isfinite(x) and abs(x) < FIXED_LIMIT:
        return f"{x:.{places}f}"
    return estimate(x, places + 1)


def lower(x: float | arb | None, digits: int = 6) -> str:
    """A certified lower end or lower bound: at most ``digits`` significant digits, ≤ the exact
    value of ``x`` (of every point of a ball)."""
    return MISSING if x is None else round_down(x, digits)


def upper(x: float | arb | None, digits: int = 6) -> str:
    """A certified upper end or upper bound: at most ``digits`` significant digits, ≥ ``x``."""
    return MISSING if x is None else round_up(x, digits)


def interval(lo: float | arb, hi: float | arb | None = None, digits: int = 6) -> str:
    """``[lo↓, hi↑]``: a certified enclosure rounded outward (``hi`` defaults to ``lo``, for a
    ball's own two ends)."""
    return format_enclosure(lo, hi, digits)


def hex_ends(lo: float, hi: float) -> list[str]:
    """The exact ends of a float enclosure as hexadecimal floats (``float.fromhex`` reads them
    back bit for bit): the JSON's ``*_hex`` keys."""
    return [float(lo).hex(), float(hi).hex()]


__all__ = ["MISSING", "estimate", "fixed", "hex_ends", "interval", "lower", "upper"]
