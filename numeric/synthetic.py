"""Generated inputs that are not Gaussian-like, for the findings' question of inputs (theory §3):
a clustered mixture, heavy-tailed rows, and near-duplicate pairs at a chosen angle. Each is drawn
from the seed given (numpy's ``default_rng``), in numpy, before torch, and returned as unit rows
with labels ~ N(0, label_scale²) through :func:`numeric.data.points_of`; every draw is said in
the notices.

Names, as ``--data`` takes them (beside ``digits`` and a file):

* ``clusters``: :data:`CLUSTERS` centres uniform on the sphere S^{d-1}; point i is the centre
  i mod k plus N(0, CLUSTER_SPREAD²/d · I), normalized: tight groups of close points;
* ``student-t``: rows with independent Student-t entries, :data:`T_DOF` degrees of freedom,
  normalized (heavy tails: a row is dominated by one or two large entries);
* ``pairs@ANGLE``: n/2 base points uniform on the sphere (n rounded up to even), each followed
  by its partner at exactly ``ANGLE`` radians: x' = cos(θ)·x + sin(θ)·u with u a unit vector
  orthogonal to x (so x·x' = cos θ up to rounding). ANGLE in [1e-4, π/2]: much below, the pair is
  parallel to float64's eye (|cos θ| ≥ 1 - PARALLEL_TOL = 1 - 1e-10 below θ ≈ 1.4e-5).
"""

from __future__ import annotations

import math

import numpy as np

from symbolic.errors import VerifyError

#: Centres of the clustered mixture.
CLUSTERS = 4
#: Standard deviation of a cluster's points around its centre (the whole vector, before
#: normalization).
CLUSTER_SPREAD = 0.3
#: Degrees of freedom of the heavy-tailed rows (3: finite variance, infinite fourth moment).
T_DOF = 3.0
#: The smallest angle of a near-duplicate pair.
ANGLE_MIN = 1e-4
#: The prefix of a near-duplicate source: pairs@1e-3.
PAIRS = "pairs@"
#: The generated sources by name (besides pairs@ANGLE).
NAMES = ("clusters", "student-t")


def is_generated(name: str) -> bool:
    """Whether ``name`` names a generated source (not a file)."""
    return name in NAMES or name.startswith(PAIRS)


def pair_angle(name: str) -> float:
    """The angle of 'pairs@ANGLE' (VerifyError for a bad one)."""
    text = name[len(PAIRS) :]
    try:
        angle = float(text)
    except ValueError:
        raise VerifyError(f"the angle of {name!r} must be a number like 1e-3") from None
    if not ANGLE_MIN <= angle <= math.pi / 2:
        raise VerifyError(f"the angle of {name!r} must lie in [{ANGLE_MIN:g}, π/2]")
    return angle


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def clustered(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n unit rows around CLUSTERS centres (see the module docstring)."""
    centres = _unit(rng.standard_normal((CLUSTERS, d)))
    noise = rng.standard_normal((n, d)) * CLUSTER_SPREAD / math.sqrt(d)
    return _unit(centres[np.arange(n) % CLUSTERS] + noise)


def student_t(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """n unit rows with Student-t(T_DOF) entries, normalized."""
    return _unit(rng.standard_t(T_DOF, size=(n, d)))


def pairs(n: int, d: int, angle: float, rng: np.random.Generator) -> np.ndarray:
    """ceil(n/2) base points and their partners at ``angle``, interleaved (x_0, x_0', x_1, ...),
    the first n rows. Needs d ≥ 2."""
    if d < 2:
        raise VerifyError("near-duplicate pairs need d ≥ 2")
    half = (n + 1) // 2
    base = _unit(rng.standard_normal((half, d)))
    u = rng.standard_normal((half, d))
    u = _unit(u - (u * base).sum(axis=1, keepdims=True) * base)  # orthogonal to its base point
    partner = math.cos(angle) * base + math.sin(angle) * u
    out = np.empty((2 * half, d))
    out[0::2], out[1::2] = base, partner
    return out[:n]


def generated_rows(name: str, n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The rows of source ``name`` (n × d, unit, float64) from ``seed``, labels ~ N(0, 1) drawn
    after them from the same generator, and their description."""
    rng = np.random.default_rng(seed)
    if name == "clusters":
        x, what = clustered(n, d, rng), f"{CLUSTERS} clusters (spread {CLUSTER_SPREAD:g})"
    elif name == "student-t":
        x, what = student_t(n, d, rng), f"Student-t({T_DOF:g}) rows normalized"
    elif name.startswith(PAIRS):
        angle = pair_angle(name)
        x, what = pairs(n, d, angle, rng), f"near-duplicate pairs at angle {angle:g}"
    else:
        raise VerifyError(f"no generated source {name!r}")
    return x, rng.standard_normal(n), f"{what} in R^{d} (seed {seed})"


__all__ = [
    "ANGLE_MIN",
    "CLUSTERS",
    "CLUSTER_SPREAD",
    "NAMES",
    "PAIRS",
    "T_DOF",
    "clustered",
    "generated_rows",
    "is_generated",
    "pair_angle",
    "pairs",
    "student_t",
]
