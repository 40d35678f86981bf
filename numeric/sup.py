"""The numeric cross-check of sup|φ^{(k)}|: a fine grid on a bounded interval.

A grid sees only the interval it covers: the result says which, and the symbolic proof
(:mod:`symbolic.bounds`) decides; the grid never overrides it.
"""

from __future__ import annotations

import math

import torch

from symbolic.activations import Activation

#: The grid covers [-GRID_HALF_WIDTH, GRID_HALF_WIDTH] with GRID_POINTS points.
GRID_HALF_WIDTH = 60.0
GRID_POINTS = 240_001


def grid_sup(act: Activation, k: int) -> tuple[float, str]:
    """(max |φ^{(k)}| on the grid, the interval it covered); classical derivative off the kinks,
    NaN read as ∞."""
    x = torch.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS, dtype=torch.float64)
    with torch.no_grad():
        v = act.torch_fn(k)(x).abs()
    where = f"[-{GRID_HALF_WIDTH:g}, {GRID_HALF_WIDTH:g}] ({GRID_POINTS} points)"
    return float(v.nan_to_num(nan=math.inf).max()), where


__all__ = ["grid_sup"]
