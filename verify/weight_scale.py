"""Truong's σ_w² hypothesis, σ_w² < 1/(8L²) with L = sup|φ'|, decided in one place: the refusal
before a run (:func:`verify.refusals.outside_theory`) and the verdict after it
(:func:`verify.verdicts.weight_scale`) both ask :func:`sigma_w2_admissible`.

Why the threshold: with Truong's scaling ‖W‖₂ → 2√2·σ_w as m → ∞, so z ↦ φ(Wz + Ux) contracts
at large width only if 2√2·σ_w·L < 1, i.e. 8σ_w²L² < 1.
"""

from __future__ import annotations

import math

import sympy as sp
from flint import arb

from symbolic.bounds import SupBound
from symbolic.enclosure import Enclosure


def sigma_w2_admissible(
    sigma_w2: float, lip: SupBound, enclosure: Enclosure | None = None
) -> bool | None:
    """Is 8·σ_w²·L² < 1? True or False when decided, None when not.

    - L = ∞ proved: False; L not proved finite: None;
    - L exact (sympy): 8σ_w²L² - 1 evaluated in 30 digits, exactly 0 counting as ≥ (not below);
    - else L ∈ [lo, hi] certified (``enclosure``): True when σ_w² < 1/(8hi²), False when
      σ_w² ≥ 1/(8lo²), in ball arithmetic; when σ_w² lies inside, as below;
    - else (or then) a proved lower bound w ≤ L (``lip.witness``: |φ'| at the grid's maximiser
      in ball arithmetic): False when 8σ_w²w² ≥ 1 exactly, else None. A float grid value alone never
      refutes (its evaluation error is unbounded)."""
    if lip.bounded is False:
        return False
    if lip.bounded is None:
        return None
    if lip.exact is not None:
        return not bool(sp.N(8 * sp.Rational(sigma_w2) * lip.exact**2 - 1, 30) >= 0)
    if enclosure is not None:
        inv = 1 / (8 * enclosure.ball * enclosure.ball)
        if arb(sigma_w2) < inv:
            return True
        if arb(sigma_w2) >= inv:
            return False  # otherwise σ_w² lies inside the enclosure's range: try the witness
    w = lip.witness
    if not (math.isfinite(w) and w > 0):
        return None
    return False if 8 * arb(sigma_w2) * arb(w) * arb(w) >= 1 else None


__all__ = ["sigma_w2_admissible"]
