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


#: Integers and the parts of fractions longer than this many digits are printed in scientific
#: notation in text for people (:func:`expression`).
LONGEST = 15


def expression(expr, digits: int = 6) -> str:
    """A sympy expression as text for people: sympy's spelling, except integers and fractions
    with more than :data:`LONGEST` digits, written as ``digits``-digit decimals in scientific
    notation (so 1e-300 in a formula is not printed as a 301-digit fraction). The JSON keeps the
    exact form."""
    import mpmath
    from sympy.printing.str import StrPrinter

    def short(p: int, q: int = 1) -> str | None:
        if max(len(str(abs(p))), len(str(q))) <= LONGEST:
            return None
        with mpmath.workdps(digits + 5):
            return mpmath.nstr(mpmath.mpf(p) / q, digits)

    class _Short(StrPrinter):
        def _print_Integer(self, e) -> str:
            return short(int(e.p)) or super()._print_Integer(e)

        def _print_Rational(self, e) -> str:
            return short(int(e.p), int(e.q)) or super()._print_Rational(e)

    return _Short().doprint(expr)


def hex_ends(lo: float, hi: float) -> list[str]:
    """The exact ends of a float enclosure as hexadecimal floats (``float.fromhex`` reads them
    back bit for bit): the JSON's ``*_hex`` keys."""
    return [float(lo).hex(), float(hi).hex()]


__all__ = [
    "LONGEST",
    "MISSING",
    "estimate",
    "expression",
    "fixed",
    "hex_ends",
    "interval",
    "lower",
    "upper",
]
