"""What a study's rows say: the empirical minimal width per (activation, data, n), its fitted
exponent in n, the theory's scale beside it, and the rates. Pure functions of the stored
records (torch-free), so the same numbers come out wherever the cells ran.

* minimal width m_min(n): the smallest width of the grid at which at least ``fraction`` of the
  replicates held all three conclusions (λ_0 ≥ mλ*/2; every loss ratio ≤ 1 - c·ηλ_0 with
  λ_min(Z(k)ᵀZ(k)) ≥ λ_0/2; L‖W(k)‖₂ < 1 all along, or uncheckable when L = ∞);
* exponent: least squares of log m_min on log n over the n with an m_min, with its standard error
  s/√Σ(log n - mean)² (s² = residual sum of squares / (k - 2); none for k = 2 points);
* the theory's scale n²/λ*²·log(n²/t) (Truong's width requirement up to an unknown constant),
  its own log-log slope over the same n (λ* moves with n, so this is not simply 2), and the
  ratio m_min / (n²/λ*²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fit:
    """y ≈ a + b·x by least squares: slope b, its standard error (None below 3 points)."""

    slope: float
    intercept: float
    se: float | None
    points: int


def fit_line(xs: list[float], ys: list[float]) -> Fit | None:
    """Ordinary least squares; None for fewer than 2 distinct x."""
    k = len(xs)
    if k < 2 or len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / k, sum(ys) / k
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    intercept = my - slope * mx
    if k < 3:
        return Fit(slope, intercept, None, k)
    ssr = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys))
    return Fit(slope, intercept, math.sqrt(ssr / (k - 2) / sxx), k)


def theory_scale(n: int, lambda_star: float, t: float) -> float:
    """n²/λ*² · log(n²/t) (∞ when λ* ≤ 0)."""
    return n**2 / lambda_star**2 * math.log(n**2 / t) if lambda_star > 0 else math.inf


def minimal_width(held: dict[int, list[bool]], fraction: float) -> int | None:
    """The smallest width whose replicates held in at least ``fraction`` of cases."""
    for m in sorted(held):
        runs = held[m]
        if runs and sum(runs) / len(runs) >= fraction:
            return m
    return None


@dataclass(frozen=True)
class GroupRow:
    """One (activation, data, n) of the atlas."""

    activation: str
    data: str
    n: int
    lambda_star: float
    enclosure: list[float] | None
    q_star: float
    sigma_w2: float
    covered: str
    refuted: list[str]
    held: dict[int, float]  # width → fraction of replicates that held
    minimal_width: int | None
    scale: float  # n²/λ*²·log(n²/t)
    ratio: float | None  # m_min / (n²/λ*²)
    certificate_failure: str | None  # why λ* has no certified enclosure (None: it has one)


@dataclass(frozen=True)
class CurveRow:
    """One (activation, data): the exponent of m_min in n, and the theory's over the same n."""

    activation: str
    data: str
    fit: Fit | None
    theory: Fit | None


@dataclass(frozen=True)
class RateRow:
    """Means over the replicates of one (activation, data, n, width)."""

    activation: str
    data: str
    n: int
    width: int
    rate: float
    bound: float
    finite: float
    infinite: float | None
    lambda_0_ratio: float
    held: float  # over every replicate (a failed run did not hold)
    seconds: float
    failed: int  # replicates that could not finish (see cells.csv's error column)


@dataclass(frozen=True)
class Atlas:
    groups: list[GroupRow]
    curves: list[CurveRow]
    rates: list[RateRow]
    fraction: float
    t: float


def analyse(
    groups: list[dict[str, Any]], cells: list[dict[str, Any]], fraction: float, t: float
) -> Atlas:
    """The atlas of the records: ``groups`` as :func:`verify.study.cells.run_group` returns
    them, ``cells`` as :func:`verify.study.cells.run_cell` with 'activation', 'data', 'n' added."""
    by_group: dict[tuple, dict[int, list[dict]]] = {}
    for c in cells:
        key = (c["activation"], c["data"], c["n"])
        by_group.setdefault(key, {}).setdefault(c["width"], []).append(c)
    rows, rates = [], []
    for g in sorted(groups, key=lambda g: (g["activation"], g["data"], g["n"])):
        key = (g["activation"], g["data"], g["n"])
        per_width = by_group.get(key, {})
        held = {m: [bool(c["held"]) for c in runs] for m, runs in per_width.items()}
        m_min = minimal_width(held, fraction)
        lam = g["lambda_star"]
        base = g["n"] ** 2 / lam**2 if lam > 0 else math.inf
        rows.append(
            GroupRow(
                g["activation"],
                g["data"],
                g["n"],
                lam,
                g["lambda_star_enclosure"],
                g["q_star"],
                g["sigma_w2"],
                g["covered"],
                g["refuted"],
                {m: sum(h) / len(h) for m, h in sorted(held.items())},
                m_min,
                theory_scale(g["n"], lam, t),
                m_min / base if m_min is not None and math.isfinite(base) else None,
                g.get("certificate_failure"),
            )
        )
        for m, every in sorted(per_width.items()):
            runs = [c for c in every if not c.get("error")]
            if not runs:
                continue
            infinite = [c["rate_infinite"] for c in runs if c["rate_infinite"] is not None]
            rates.append(
                RateRow(
                    g["activation"],
                    g["data"],
                    g["n"],
                    m,
                    _mean([c["rate"] for c in runs]),
                    _mean([c["rate_bound"] for c in runs]),
                    _mean([c["rate_finite"] for c in runs]),
                    _mean(infinite) if infinite else None,
                    _mean([c["lambda_0_ratio"] for c in runs]),
                    _mean([float(c["held"]) for c in every]),
                    _mean([c["seconds"] for c in every]),
                    len(every) - len(runs),
                )
            )
    curves = []
    for act, data in sorted({(r.activation, r.data) for r in rows}):
        mine = [r for r in rows if (r.activation, r.data) == (act, data)]
        found = [r for r in mine if r.minimal_width is not None]
        fit = fit_line([math.log(r.n) for r in found], [math.log(r.minimal_width) for r in found])
        finite = [r for r in mine if math.isfinite(r.scale)]
        theory = fit_line([math.log(r.n) for r in finite], [math.log(r.scale) for r in finite])
        curves.append(CurveRow(act, data, fit, theory))
    return Atlas(rows, curves, rates, fraction, t)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


__all__ = [
    "Atlas",
    "CurveRow",
    "Fit",
    "GroupRow",
    "RateRow",
    "analyse",
    "fit_line",
    "minimal_width",
    "theory_scale",
]
