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


def grid_sup(act: Activation, k: int) -> tuple[float, str, float | None]:
    """(max |φ^{(k)}| on the grid, the interval it covered, the grid point where it is reached);
    classical derivative off the kinks, NaN read as ∞ (then no point is returned)."""
    x = torch.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS, dtype=torch.float64)
    with torch.no_grad():
        v = act.torch_fn(k)(x).abs().nan_to_num(nan=math.inf)
    where = f"[-{GRID_HALF_WIDTH:g}, {GRID_HALF_WIDTH:g}] ({GRID_POINTS} points)"
    i = int(v.argmax())
    best = float(v[i])
    return best, where, float(x[i]) if math.isfinite(best) else None


__all__ = ["grid_sup"]
