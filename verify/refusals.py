"""Settings that refute a hypothesis at every width, found before any work (exit 2).

Torch-free, so the command line refuses them at once: only sympy's supremum of |φ'| and the
ReLU identity are computed first. ``verify.checks`` applies the same rules when called from
Python.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

import mpmath
import sympy as sp
from flint import arb

from numeric.limits import ABS_GAUSSIAN_MEAN, limit_norm
from symbolic.bounds import SupBound, sup_abs
from symbolic.enclosure import round_down, round_up
from symbolic.errors import SYMPY_GIVE_UPS, VerifyError
from symbolic.evaluate import mp_function
from symbolic.l2 import SquareIntegrable, square_integrable
from symbolic.relu import ReluFact, relu_fact
from symbolic.timelimit import step_seconds
from verify.decimals import fixed
from verify.weight_scale import sigma_w2_admissible

if TYPE_CHECKING:
    from symbolic.activations import Activation
    from verify.settings import Settings


class OutsideTheory(VerifyError):
    """The settings refute a hypothesis at every width (bad input: exit 2 before any work).
    ``overridable``: whether --force may run anyway (False when nothing could be computed)."""

    def __init__(self, message: str, *, overridable: bool = True) -> None:
        super().__init__(message)
        self.overridable = overridable


def outside_l2(l2: SquareIntegrable) -> str | None:
    """Why φ has no Hermite expansion at any variance (so no dual, G*, λ*: no setting helps),
    or None when it may have one."""
    if l2.member is not False:
        return None
    return (
        f"φ is not in L²(N(0, q)) for any variance q: {l2.reason}; the Gaussian expectations "
        "that define the dual activation, G* and λ* do not exist, whatever σ_w² or width"
    )


def outside_theory(sigma_w2: float, lip: SupBound | None) -> str | None:
    """Why σ_w² refutes the contraction at every width, or None when it does not.

    Truong's scaling has ‖W‖₂ → 2√2·σ_w as m → ∞, so with L finite the map z ↦ φ(Wz + Ux) is a
    contraction for large m only if σ_w² < 1/(8L²), decided by
    :func:`verify.weight_scale.sigma_w2_admissible` (L exact, certified, or bounded below by the
    grid maximiser's |φ'| evaluated in ball arithmetic). Nothing is refuted when L is infinite
    or unproved: the hypothesis then fails (or is undecided) on its own."""
    if lip is None or lip.bounded is not True or sigma_w2_admissible(sigma_w2, lip) is not False:
        return None
    if lip.exact is not None:
        L = float(sp.N(lip.exact, 17))
        bound = 1 / (8 * arb(str(sp.N(lip.exact, 40))) ** 2)  # the exact threshold, in a ball
        return (
            f"σ_w² = {sigma_w2:.6g} is outside the theory: σ_w² < 1/(8L²) = {round_up(bound, 6)} "
            f"is needed (L = {L:.6g}, proved exactly); at every width ‖W‖₂ → 2√2·σ_w, so "
            f"L‖W‖₂ → {2 * math.sqrt(2 * sigma_w2) * L:.3g} ≥ 1 and no width makes the DEQ "
            f"contract (--sigma-w2 below {round_down(bound, 6)} is inside)"
        )
    w = lip.witness
    if w == 0:
        return None
    bound = 1 / (8 * arb(w) ** 2)  # 1/(8L²) ≤ this, since L ≥ w
    return (
        f"σ_w² = {sigma_w2:.6g} is outside the theory: σ_w² < 1/(8L²) ≤ {round_up(bound, 6)} is "
        f"needed, as L ≥ {round_down(w, 6)} (|φ'| at the grid's maximiser, in ball arithmetic); "
        f"at every width ‖W‖₂ → 2√2·σ_w, so L‖W‖₂ ≥ {2 * math.sqrt(2 * sigma_w2) * w:.3g} ≥ 1 "
        "in the limit and no width makes the DEQ contract"
    )


def gamma_outside(gamma: float) -> str | None:
    """Why γ leaves Gao & Gao's network ill-posed at large width (γ·√(2/π) ≥ 1), or None."""
    if limit_norm(gamma) < 1:
        return None
    return (
        f"γ = {gamma:g} is outside Gao & Gao's well-posed range: ‖(γ/m)A‖₂ → γ·√(2/π) = "
        f"{fixed(limit_norm(gamma), 4)} ≥ 1 as m grows (--gamma below "
        f"{1 / ABS_GAUSSIAN_MEAN:.4f} is inside)"
    )


def maybe_relu(relu: ReluFact | None) -> bool:
    """φ was not refuted to be the ReLU (the models of Ling et al. and Gao & Gao run)."""
    return relu is None or relu.is_relu is not False


def refusal(s: Settings, lip: SupBound | None, relu: ReluFact | None) -> str | None:
    """Every reason the settings are outside the theory at every width, joined; None if none.
    σ_w² is judged only when the user set it; γ only when Gao & Gao's model would run."""
    reasons = []
    if s.model.sigma_w2 is not None:
        reasons.append(outside_theory(s.model.sigma_w2, lip))
    if (not s.theorems or "gao2022" in s.theorems) and maybe_relu(relu):
        reasons.append(gamma_outside(s.gao.gamma))
    found = [r for r in reasons if r]
    return "; ".join(found) if found else None


#: Peak memory of a run, in n×n float64 matrices (measured at n = 4000 above the process's
#: 0.27 GB: 7.4 for tanh's series kernel, 8.1 for relu's closed form and its Gao & Gao Gram
#: matrix; 12 leaves half again) and in m×m matrices at width m (~5 at m = 4096).
GRAM_COPIES = 12
WIDTH_COPIES = 8
#: The share of physical memory a run may plan to use.
MEMORY_SHARE = 0.8


def physical_memory() -> int:
    """Bytes of physical memory (16 GiB assumed where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 16 << 30


#: The fewest points a run accepts: λ* of a 1×1 Gram matrix is its diagonal q*-term, positive
#: for any φ, so it says nothing about the theory (no pair of inputs, no correlation).
MIN_POINTS = 2


def size_refusal(n: int, s: Settings) -> str | None:
    """Why n points and the run's widths are refused, or None: fewer than :data:`MIN_POINTS`
    points (vacuous), or more memory than the machine has, estimated as
    8·(GRAM_COPIES·n² + WIDTH_COPIES·m²) bytes, m the largest width trained."""
    if n < MIN_POINTS:
        return (
            f"n = {n} point{'s' if n != 1 else ''}: λ* of a {n}×{n} Gram matrix is vacuous (no "
            f"pair of inputs to separate); use --n {MIN_POINTS} or more"
        )
    m = max((s.model.width, *s.study.width_study)) if s.train or s.study.width_study else 0
    need = 8 * (GRAM_COPIES * n * n + WIDTH_COPIES * m * m)
    have = physical_memory()
    if need <= MEMORY_SHARE * have:
        return None
    what = f"n = {n} points and width {m}" if m else f"n = {n} points"
    return (
        f"{what} need about {need / 2**30:.3g} GiB "
        f"(~{GRAM_COPIES} n×n and {WIDTH_COPIES} m×m float64 matrices), more than "
        f"{MEMORY_SHARE:.0%} of this machine's {have / 2**30:.3g} GiB; lower --n or --width"
    )


def check_sizes(n: int, s: Settings) -> None:
    """Raise VerifyError (exit 2) when :func:`size_refusal` refuses."""
    why = size_refusal(n, s)
    if why:
        raise VerifyError(why)


#: The coarse grid of |φ'| used up front: where it peaks, |φ'| is evaluated again in ball
#: arithmetic (symbolic.bounds.witness), the only lower bound on L a refusal uses.
PRECHECK_GRID = (60.0, 4001)


def precheck(act: Activation, s: Settings) -> None:
    """Raise OutsideTheory, before any numeric work, when ``s`` is outside the theory (see
    :func:`refusal`) or φ has no Hermite expansion at any variance, every symbolic step limited
    by ``s.precision.time_limit``."""
    with step_seconds(s.precision.time_limit):
        _precheck(act, s)


def _precheck(act: Activation, s: Settings) -> None:
    """Raise OutsideTheory, before any numeric work, when ``s`` is outside the theory (see
    :func:`refusal`) and ``s.force`` is not set. Uses sympy's sup|φ'| with a 53-bit mpmath grid
    as its cross-check (the full float64 grid comes later, in the checks)."""
    if s.data.data is None or s.data.data == "digits":  # a file's n is known once read
        check_sizes(s.data.points, s)
    outside = outside_l2(square_integrable(act))
    if outside:
        raise OutsideTheory(outside, overridable=False)
    if s.force:
        return
    lip = None
    if s.model.sigma_w2 is not None:
        try:
            lip = sup_abs(act, 1, *_mp_grid_sup(act, 1))
        except SYMPY_GIVE_UPS:
            lip = None
    relu = None
    if not s.theorems or "gao2022" in s.theorems:
        try:
            relu = relu_fact(act)
        except SYMPY_GIVE_UPS:
            relu = None
    why = refusal(s, lip, relu)
    if why:
        raise OutsideTheory(f"{why}; or pass --force to measure anyway")


def _mp_grid_sup(act: Activation, k: int) -> tuple[float, str, float | None]:
    """max |φ^{(k)}| on an evenly spaced grid (53-bit mpmath; a non-real or infinite value reads
    as ∞), the interval it covered, and the grid point where it is reached."""
    half, points = PRECHECK_GRID
    pieces = [(float(p.lo), float(p.hi), mp_function(p.expr)) for p in act.derivative_expr(k)]
    best, at = 0.0, None
    with mpmath.workprec(53):
        for i in range(points):
            x = -half + 2 * half * i / (points - 1)
            fn = next(f for lo, hi, f in pieces if lo <= x < hi)
            try:
                v = fn(mpmath.mpf(x))
                value = abs(float(v)) if isinstance(v, mpmath.mpf) else math.inf
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                value = math.inf
            if value != value:  # NaN reads as ∞
                value = math.inf
            if value > best:
                best, at = value, x
    return (
        best,
        f"[-{half:g}, {half:g}] ({points} points, mpmath)",
        (at if math.isfinite(best) else None),
    )


__all__ = [
    "MIN_POINTS",
    "OutsideTheory",
    "check_sizes",
    "gamma_outside",
    "maybe_relu",
    "outside_l2",
    "outside_theory",
    "physical_memory",
    "precheck",
    "refusal",
    "size_refusal",
]
