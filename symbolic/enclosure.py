"""Certified enclosures ``[lo, hi]`` of real numbers, and the conversions that keep them honest.

An :class:`Enclosure` holds exact endpoints (Arb balls of radius 0) and the method that proved
them. Converted to float64 for JSON and text, the endpoints are rounded outward, so the printed
interval still contains the number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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

    def __str__(self) -> str:
        return f"[{self.lo:.12g}, {self.hi:.12g}]"


__all__ = ["Enclosure", "float_down", "float_up"]
