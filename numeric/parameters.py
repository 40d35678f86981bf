"""The parameter records of the numeric layer, with their defaults and command-line spelling.

numeric/ takes these records whole (the data, the DEQ and its initialization, the fixed-point
solves, the population Gram fixed point, gradient descent, Gao & Gao's network); they live here,
at the bottom of the layer that uses them, and :mod:`verify.settings` gathers them with its own
records into the ``Settings`` tree that builds the command line. Each default is declared once,
here or there; library functions take no numeric defaults of their own.

Every leaf field carries its command-line spelling in its metadata (:func:`option`: the flag is
``--KEY``, or ``--no-KEY`` for a switch that is on by default, KEY the field's ``key`` or its
name); :func:`api_only` marks a method constant without a flag. The parsers turn a flag's text
into a typed value or one line saying what was expected (``argparse.ArgumentTypeError``).

Imports nothing heavy, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from typing import Any


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def fraction(text: str) -> float:
    value = positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text}")
    return value


def option(
    default: Any,
    help: str,
    *,
    key: str | None = None,
    parse: Any = None,
    choices: tuple[str, ...] | None = None,
    metavar: str | None = None,
    repeat: bool = False,
) -> Any:
    """A field with a command-line flag (``--KEY``, or ``--no-KEY`` for a switch on by default;
    ``repeat``: the flag may be given several times, collected in a tuple)."""
    meta = {"help": help, "key": key, "parse": parse, "choices": choices, "metavar": metavar}
    meta["repeat"] = repeat
    return field(default=default, metadata=meta)


def api_only(default: Any, help: str, *, key: str | None = None) -> Any:
    """A field without a flag: a method constant that Python users may change."""
    return field(default=default, metadata={"help": help, "key": key, "api_only": True})


#: Points drawn on the sphere or from the digits when --n is not given (a file is used whole).
GENERATED_POINTS = 20


@dataclass(frozen=True)
class DataSettings:
    """The training data (theory §3): n points on the unit sphere of R^d, or a file, or digits."""

    n: int | None = option(
        None,
        f"number of points (default: {GENERATED_POINTS} on the sphere or of the digits; "
        "every row of a data file)",
        parse=positive_int,
    )
    d: int = option(10, "input dimension (sphere data)", parse=positive_int)
    data: str | None = option(
        None,
        "a .npy/.npz/.csv file, 'digits' (scikit-learn), or generated: 'clusters', 'student-t', "
        "'pairs@ANGLE' (near-duplicate pairs, ANGLE in [1e-4, π/2] radians)",
        metavar="FILE|digits|clusters|student-t|pairs@ANGLE",
    )
    label_scale: float = option(
        0.1,
        "standard deviation of the labels (lazy training needs them small; see README)",
        parse=positive_float,
    )
    subsample: bool = option(
        False, "with --n and a data file: draw the rows with the seed, not the first n"
    )
    drop_parallel: bool = option(False, "drop rows parallel to an earlier one (an error otherwise)")

    @property
    def points(self) -> int:
        """Points drawn on the sphere or from the digits: ``n``, or GENERATED_POINTS."""
        return self.n if self.n is not None else GENERATED_POINTS


@dataclass(frozen=True)
class ModelSettings:
    """The DEQ and its initialization: W ~ N(0, 2σ_w²/m), U ~ N(0, 2/d), a ~ N(0, A/m)."""

    width: int = option(512, "width m", parse=positive_int)
    sigma_w2: float | None = option(
        None, "σ_w² (default 1/(16 L²), 1/16 if L = ∞)", parse=positive_float
    )
    a_scale: float = option(
        1.0, "read-out init a_j ~ N(0, A/m) (reconstructed constant)", parse=positive_float
    )
    init_margin: float = option(
        0.05,
        "redraw W until L‖W‖₂ <= 1 - MARGIN (reconstructed constant)",
        parse=fraction,
    )
    max_init_draws: int = api_only(100, "draws of W before the initialization gives up")


@dataclass(frozen=True)
class SolveSettings:
    """Fixed-point solves of the equilibrium and the adjoint: ‖g(z) - z‖ ≤ tol·max(‖g(z)‖, 1)."""

    method: str = option(
        "picard", "forward fixed-point solver", key="solver", choices=("picard", "anderson")
    )
    tol: float = option(1e-12, "relative residual of every DEQ solve", parse=positive_float)
    max_steps: int = option(
        5000,
        "iterations before a solve is declared unconverged",
        key="max_iterations",
        parse=positive_int,
    )
    anderson_memory: int = api_only(5, "past iterates kept by Anderson acceleration")


@dataclass(frozen=True)
class PopulationSettings:
    """The infinite-width Gram fixed point and its certificate (theory §4)."""

    tol: float = api_only(1e-14, "last update of the entrywise fixed point", key="gram_tol")
    q_tol: float = api_only(1e-15, "last relative update of the scalar q*", key="gram_q_tol")
    max_steps: int = api_only(2000, "iterations of the Gram recursions", key="gram_max_steps")
    table_above: int = api_only(1000, "n above which F(s) is tabulated", key="gram_table_above")
    series_terms: int = api_only(400, "Mehler terms when no closed dual", key="gram_series_terms")
    certificate_terms: int = api_only(
        200, "Hermite terms of the certificate Σ_r μ_r² λ_lower(C^∘r)", key="certificate_terms"
    )
    eig_upto: int = api_only(
        6, "largest r with an eigenvalue bound of C^∘r", key="certificate_eig_upto"
    )
    eig_max_n: int = api_only(1500, "largest n for those eigenvalues", key="certificate_eig_max_n")


@dataclass(frozen=True)
class ScheduleSettings:
    """Full-batch gradient descent on (W, U, a)."""

    steps: int = option(200, "gradient-descent steps", parse=positive_int)
    lr: float | None = option(
        None, "step size (default 1/λ_max of the NTK at initialization)", parse=positive_float
    )
    rate_constant: float = option(
        0.5, "c in the rate bound 1 - c·ηλ_0 (reconstructed constant)", parse=positive_float
    )
    norm_every: int = api_only(
        25, "steps between proved ‖W(k)‖₂ bounds (triangle inequality between)"
    )


@dataclass(frozen=True)
class GaoSettings:
    """Gao & Gao's implicit network (theory §7.2-7.3): B = (γ/m)A, A_ij = |N(0, 1)|, step
    α = C·λ_0/n² (the scale of A, γ and C are reconstructed)."""

    gamma: float = option(
        0.5, "Gao & Gao: implicit weight (γ/m)·|N(0,1)| (reconstructed)", parse=positive_float
    )
    step_scale: float = option(
        1.0,
        "Gao & Gao: step α = C·λ_0/n², this C (reconstructed: the paper gives O(λ_0/n²))",
        key="gao_step_scale",
        parse=positive_float,
    )
    width_ratio: float | None = option(
        None,
        "Gao & Gao's linear width: train at m = c·n for n/4, n/2, n (the paper's m = Ω(n))",
        parse=positive_float,
        metavar="c",
    )


__all__ = [
    "GENERATED_POINTS",
    "DataSettings",
    "GaoSettings",
    "ModelSettings",
    "PopulationSettings",
    "ScheduleSettings",
    "SolveSettings",
    "api_only",
    "fraction",
    "integer",
    "option",
    "positive_float",
    "positive_int",
]
