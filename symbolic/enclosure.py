"""Certified enclosures ``[lo, hi]`` of real numbers, and the conversions that keep them honest.

An :class:`Enclosure` holds exact endpoints (Arb balls of radius 0) and the method that proved
them. Converted to float64 for JSON and text, the endpoints are rounded outward, so the printed
interval still contains the number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

from flint import arb


def float_down(x: arb) -> float:
    """The largest float64 ≤ every point of the ball ``x`` (-inf when unbounded)."""
    lo = x.lower()
    if not lo.is_finite():
        return -math.inf
    f = float(lo)
    return math.nextafter(f, -math.inf) if arb(f) > lo else f


def float_up(x: arb) -> float:
    """The smallest float64 ≥ every point of the ball ``x`` (inf when unbounded)."""
    hi = x.upper()
    if not hi.is_finite():
        return math.inf
    f = float(hi)
    return math.nextafter(f, math.inf) if arb(f) < hi else f


def _exact_decimal(x: arb | float) -> Decimal | None:
    """The exact value of a float or of an exact (radius-0) ball as a Decimal; None for ±inf."""
    if isinstance(x, float):
        return Decimal(x) if math.isfinite(x) else None
    if not x.is_finite():
        return None
    man, exp = (int(v) for v in x.mid().man_exp())
    # m·2^e = m·5^k·10^-k for e = -k < 0; the string constructor is exact (no context rounding)
    return Decimal(f"{man * 5**-exp}E{exp}") if exp < 0 else Decimal(man << exp)


def _plain(d: Decimal, digits: int) -> str:
    """``d`` (already at most ``digits`` significant digits) written as Python's ``g`` writes
    numbers: fixed point for exponents in [-5, digits), else mantissa·e±XX; no trailing zeros."""
    if d.is_zero():
        return "0"
    sign, digs, exp = d.normalize(Context(prec=digits)).as_tuple()  # (default: 28 digits)
    text = "".join(map(str, digs))
    point = len(text) + exp  # the decimal point sits after this many digits
    if -4 <= point - 1 < digits:
        if point <= 0:
            body = "0." + "0" * -point + text
        elif point >= len(text):
            body = text + "0" * (point - len(text))
        else:
            body = text[:point] + "." + text[point:]
    else:
        mant = text[0] + ("." + text[1:] if len(text) > 1 else "")
        e = point - 1
        body = f"{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return ("-" if sign else "") + body


def round_down(x: arb | float, digits: int) -> str:
    """A decimal with at most ``digits`` significant digits that is ≤ every point of ``x`` (a ball
    or a float): the form in which a certified lower bound becomes text. "-inf" when unbounded."""
    exact = _exact_decimal(x if isinstance(x, float) else x.lower())
    if exact is None:
        return "-inf"
    return _plain(Context(prec=digits, rounding=ROUND_FLOOR).plus(exact), digits)


def round_up(x: arb | float, digits: int) -> str:
    """A decimal with at most ``digits`` significant digits that is ≥ every point of ``x``: the form
    in which a certified upper bound becomes text. "inf" when unbounded."""
    exact = _exact_decimal(x if isinstance(x, float) else x.upper())
    if exact is None:
        return "inf"
    return _plain(Context(prec=digits, rounding=ROUND_CEILING).plus(exact), digits)


def format_enclosure(lo: arb | float, hi: arb | float | None, digits: int) -> str:
    """``[lo↓, hi↑]`` at ``digits`` significant digits, each end rounded outward (``hi`` defaults
    to ``lo``: a ball's own two ends). The only way a certified interval becomes text."""
    hi = lo if hi is None else hi
    return f"[{round_down(lo, digits)}, {round_up(hi, digits)}]"


@dataclass(frozen=True)
class Enclosure:
    """A proved interval ``[lo, hi]`` containing a real number, and how it was proved."""

    ball: arb
    method: str

    @property
    def lo(self) -> float:
        return float_down(self.ball)

    @property
    def hi(self) -> float:
        return float_up(self.ball)

    @property
    def mid(self) -> float:
        return float(self.ball.mid())

    @property
    def radius(self) -> float:
        return float_up(self.ball.rad())

    def as_list(self) -> list[float]:
        """[lo, hi] outward-rounded (the JSON form)."""
        return [self.lo, self.hi]

    def exact_ends(self) -> list[str]:
        """[lo, hi] as exact hexadecimal floats (outward-rounded), for re-checking."""
        return [self.lo.hex(), self.hi.hex()]

    def format(self, digits: int) -> str:
        return format_enclosure(self.ball, self.ball, digits)

    def __str__(self) -> str:
        return self.format(12)


__all__ = [
    "Enclosure",
    "float_down",
    "float_up",
    "format_enclosure",
    "round_down",
    "round_up",
]
