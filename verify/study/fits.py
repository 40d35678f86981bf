"""Power laws fitted with intervals, for the findings preset (torch-free).

* :func:`certified_slope`: the least-squares slope of log λ against log n when each λ_i is only
  known to lie in a certified enclosure [lo_i, hi_i]. The slope is linear in the y_i,
  b = Σ w_i·y_i with w_i = (x_i - x̄)/Σ(x_j - x̄)², so over every choice of y_i ∈ [log lo_i,
  log hi_i] it ranges over [Σ w_i·(log lo_i if w_i > 0 else log hi_i), Σ w_i·(log hi_i if w_i > 0
  else log lo_i)]. Computed in ball arithmetic (python-flint), so the interval returned contains
  the least-squares slope of the true λ* values: a certified statement about the fit, not about
  a power law (whether λ* follows one is what the residual says, an estimate).
* :func:`bootstrap_exponent`: m_min ∝ n^α with a percentile bootstrap over seeds: the replicates
  of each (n, width) are drawn again with replacement (numpy's ``default_rng(seed)``), m_min(n)
  recomputed with :func:`verify.study.analysis.minimal_width`, and the slope of log m_min on log n
  refitted; the interval holds the central ``level`` of the slopes. Draws in which fewer than two
  n have an m_min give no slope and are counted. The interval is over seeds only: the width
  grid's spacing is a resolution the bootstrap does not see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from flint import arb

from verify.study.analysis import fit_line, minimal_width


@dataclass(frozen=True)
class CertifiedSlope:
    """Least-squares slope of log y on log x: ``slope`` from the floats (an estimate), ``lo``,
    ``hi`` a certified enclosure of the slope over every y_i in its enclosure, ``residual`` the
    root-mean-square residual of the float fit (an estimate), ``points`` the number of x."""

    slope: float
    lo: arb
    hi: arb
    residual: float
    points: int


def certified_slope(
    xs: list[float], enclosures: list[tuple[float, float]]
) -> CertifiedSlope | None:
    """The slope of log y on log x with y_i ∈ [lo_i, hi_i] (all > 0); None for fewer than two
    distinct x or a non-positive end."""
    if len(xs) < 2 or len(set(xs)) < 2 or any(lo <= 0 or hi < lo for lo, hi in enclosures):
        return None
    lx = [arb(x).log() for x in xs]
    mean = sum(lx, arb(0)) / len(lx)
    sxx = sum(((v - mean) ** 2 for v in lx), arb(0))
    weights = [(v - mean) / sxx for v in lx]
    lo_sum, hi_sum = arb(0), arb(0)
    for w, (lo, hi) in zip(weights, enclosures, strict=True):
        ylo, yhi = arb(lo).log(), arb(hi).log()
        # a weight whose sign the balls cannot decide takes both ends' worst case
        lo_sum += _min_product(w, ylo, yhi)
        hi_sum += _max_product(w, ylo, yhi)
    mids = [math.sqrt(lo * hi) for lo, hi in enclosures]
    fit = fit_line([math.log(x) for x in xs], [math.log(m) for m in mids])
    assert fit is not None
    res = [math.log(m) - fit.intercept - fit.slope * math.log(x) for x, m in zip(xs, mids)]
    rms = math.sqrt(sum(r * r for r in res) / len(res))
    return CertifiedSlope(fit.slope, lo_sum.lower(), hi_sum.upper(), rms, len(xs))


def _min_product(w: arb, a: arb, b: arb) -> arb:
    """A ball below every w·y with y between a and b (w, a, b balls)."""
    products = [w * a, w * b]
    return arb(min(p.lower() for p in products)).lower()


def _max_product(w: arb, a: arb, b: arb) -> arb:
    products = [w * a, w * b]
    return arb(max(p.upper() for p in products)).upper()


@dataclass(frozen=True)
class BootstrapExponent:
    """m_min ∝ n^α: ``slope`` fitted on every replicate, ``lo``, ``hi`` the percentile interval of
    the bootstrap slopes (None when no draw gave one), ``draws`` asked, ``fitted`` that gave a
    slope, ``points`` the n with an m_min on every replicate, ``level`` the interval's coverage."""

    slope: float | None
    lo: float | None
    hi: float | None
    draws: int
    fitted: int
    points: int
    level: float


def exponent_of(
    held: dict[int, dict[int, list[bool]]], fraction: float
) -> tuple[float | None, int]:
    """(slope of log m_min on log n, number of n with an m_min) for held[n][width] = replicates."""
    found = {n: minimal_width(per, fraction) for n, per in held.items()}
    found = {n: m for n, m in found.items() if m is not None}
    fit = fit_line(
        [math.log(n) for n in sorted(found)], [math.log(found[n]) for n in sorted(found)]
    )
    return (fit.slope if fit else None), len(found)


def bootstrap_exponent(
    held: dict[int, dict[int, list[bool]]],
    fraction: float,
    *,
    draws: int,
    seed: int,
    level: float = 0.95,
) -> BootstrapExponent:
    """The exponent of m_min(n) and its bootstrap interval over seeds (module docstring).
    ``held[n][width]``: whether each replicate held, in replicate order."""
    slope, points = exponent_of(held, fraction)
    rng = np.random.default_rng(seed)
    slopes = []
    for _ in range(draws):
        again = {}
        for n in sorted(held):
            again[n] = {}
            for m in sorted(held[n]):
                runs = held[n][m]
                idx = rng.integers(0, len(runs), size=len(runs)) if runs else []
                again[n][m] = [runs[i] for i in idx]
        s, _ = exponent_of(again, fraction)
        if s is not None:
            slopes.append(s)
    if not slopes:
        return BootstrapExponent(slope, None, None, draws, 0, points, level)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(slopes, [tail, 100 - tail], method="linear")
    return BootstrapExponent(slope, float(lo), float(hi), draws, len(slopes), points, level)


__all__ = [
    "BootstrapExponent",
    "CertifiedSlope",
    "bootstrap_exponent",
    "certified_slope",
    "exponent_of",
]
