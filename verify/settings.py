"""Typed settings of one run, split as the mathematics splits, each default declared once.

The ``Settings`` tree: the records numeric/ takes (data, model, solve, population, schedule,
Gao & Gao's network) come from :mod:`numeric.parameters`, at the bottom of the layer that uses
them, and are re-exported here; the records only verify/ reads (width study, precision and
certificates, Ling's δ, the theorems to check) are declared here.

Every leaf field carries its command-line spelling in its metadata: the flag is ``--KEY`` (or
``--no-KEY`` for a switch that is on by default), where KEY is the field's ``key`` (its name unless
given). ``verify.cli`` builds argparse from these fields, and :func:`from_flat` builds the record
from the parsed values, so a default lives in its record and nowhere else. Fields marked
``api_only`` have no flag: they are method constants a Python user may change. Library functions
take no numeric defaults: they receive these records whole.

This module imports nothing heavy, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

from numeric.parameters import (
    GENERATED_POINTS,
    DataSettings,
    GaoSettings,
    ModelSettings,
    PopulationSettings,
    ScheduleSettings,
    SolveSettings,
    api_only,
    fraction,
    integer,
    option,
    positive_float,
    positive_int,
)
from symbolic.timelimit import STEP_SECONDS

#: Seeds numpy's and torch's generators both accept.
SEED_MAX = 2**64 - 1
#: Beyond these the mpmath Hermite route does not finish in minutes (measured on 2 cores:
#: tanh at 300 digits 105 s, relu with 1000 terms 39 s).
DPS_MAX = 150
HERMITE_TERMS_MAX = 1000


def nonnegative_int(text: str) -> int:
    value = integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 0, got {value}")
    return value


def _seed(text: str) -> int:
    value = integer(text)
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"expected a seed in [0, 2**64 - 1], got {text}")
    return value


def _bounded_int(limit: int):
    def parse(text: str) -> int:
        value = positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(
                f"expected at most {limit} (more does not finish in minutes), got {value}"
            )
        return value

    return parse


def _fraction_closed(text: str) -> float:
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text}")
    return value


#: Bits of the ball arithmetic: below 64 the certificates cannot beat float64's rounding; above
#: 1024 the integrals take minutes.
PREC_MIN, PREC_MAX = 64, 1024


def _bits(text: str) -> int:
    value = positive_int(text)
    if not PREC_MIN <= value <= PREC_MAX:
        raise argparse.ArgumentTypeError(f"expected bits in [{PREC_MIN}, {PREC_MAX}], got {value}")
    return value


def _width_list(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected widths like 64,256,1024, got {text!r}"
        ) from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive, got {text!r}")
    return tuple(sorted(set(widths)))


def _device(text: str) -> str:
    if text == "cpu":
        return text
    if text.startswith("cuda"):
        import torch  # only when a GPU is asked for: --help stays fast

        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError("CUDA is not available in this torch installation")
        return text
    raise argparse.ArgumentTypeError(f"device must be cpu or cuda[:N], got {text!r}")


@dataclass(frozen=True)
class StudySettings:
    """Width sweep (‖ZᵀZ/m - G*‖ against m) and the empirical width study."""

    width_sweep: bool = option(True, "run the ‖ZᵀZ/m - G*‖ width sweep")
    sweep_seeds: int = option(3, "seeds per width in the sweep", parse=positive_int)
    width_study: tuple[int, ...] = option(
        (),
        "train at these widths and report the smallest where λ_0 ≥ mλ*/2 and the linear rate "
        "held in --study-fraction of --study-seeds seeds",
        parse=_width_list,
        metavar="M1,M2,...",
    )
    study_seeds: int = option(3, "seeds per width in the width study", parse=positive_int)
    study_fraction: float = option(
        0.8, "fraction of seeds that must hold at the smallest width", parse=_fraction_closed
    )
    confidence_t: float = option(
        0.01, "t in the theory's width scale n²/λ*²·log(n²/t)", parse=fraction
    )


THEOREM_IDS = ("truong2023", "ling2023", "gao2022")


def _theorem(text: str) -> str:
    if text not in THEOREM_IDS:
        raise argparse.ArgumentTypeError(
            f"unknown theorem {text!r}; choose from {', '.join(THEOREM_IDS)}"
        )
    return text


@dataclass(frozen=True)
class LingSettings:
    """Ling et al.'s Condition 1 (theory §7.1): the slack δ in ρ̄ = ‖·(0)‖₂ + δ."""

    delta: float | None = option(
        None,
        "Ling et al.: δ of Condition 1 (default (1 - ‖W(0)‖₂)/2, reconstructed)",
        key="ling_delta",
        parse=positive_float,
    )


@dataclass(frozen=True)
class PrecisionSettings:
    """Digits and terms of the reported Hermite coefficients; time limits of sympy steps."""

    dps: int = option(
        30, f"digits of the mpmath coefficients (at most {DPS_MAX})", parse=_bounded_int(DPS_MAX)
    )
    hermite_terms: int = option(
        16,
        f"Hermite coefficients to report (at most {HERMITE_TERMS_MAX})",
        parse=_bounded_int(HERMITE_TERMS_MAX),
    )
    exact_terms: int = api_only(8, "exact sympy coefficients tried")
    time_limit: float = option(
        STEP_SECONDS,
        "seconds for one symbolic step (a sympy limit, simplification or solveset); every "
        "symbolic time limit is a stated multiple of it, and one that is reached makes an answer "
        "INCONCLUSIVE, never flips it",
        parse=positive_float,
        metavar="SECONDS",
    )
    evidence_terms: int = api_only(60, "float64 coefficients shown as Hermite evidence")
    certify: bool = option(
        True, "certify λ* and the constants of the hypotheses in ball arithmetic (python-flint)"
    )
    prec: int = option(
        128,
        f"bits of the ball arithmetic of the certificates ({PREC_MIN} to {PREC_MAX})",
        parse=_bits,
        metavar="BITS",
    )
    certify_terms: int = api_only(48, "Hermite coefficients enclosed by the λ* certificate")
    certify_q_steps: int = api_only(200, "ball evaluations of the variance map to refine q*")
    certify_dual_max_n: int = api_only(
        1500, "largest n whose G* entries come from the closed-form dual in ball arithmetic"
    )
    sup_window: float = api_only(8.0, "first half-width of the branch and bound for sup|φ^(k)|")
    sup_max_window: float = api_only(64.0, "largest half-width before the tail proof gives up")
    sup_tol: float = api_only(1e-12, "relative width at which the branch and bound stops")
    sup_evaluations: int = api_only(20000, "interval evaluations per piece of the branch and bound")
    dual_curve_terms: int = api_only(200, "Mehler terms of the plotted dual")


@dataclass(frozen=True)
class Settings:
    """Every setting of a run, passed whole from the command line down."""

    activation: str = field(
        default="sin",
        metadata={"help": "a registry name or a formula in x", "key": None, "positional": True},
    )
    seed: int = option(0, "seed of every random draw, in [0, 2**64 - 1]", parse=_seed)
    device: str = option("cpu", "cpu or cuda[:N]", parse=_device)
    train: bool = option(True, "train a finite-width DEQ (the conclusions)")
    spectra: bool = option(
        False,
        "also compute the informational spectra λ_min(Σ*) and λ_min(Θ*) (one eigvalsh each) and "
        "the float Hermite bound (a report turns this on); without it the JSON lists them under "
        "gram.skipped",
    )
    force: bool = option(
        False,
        "run even where the settings are outside the theory (what is measured is then labelled "
        "so), and replace report files of the same name that deq-verify did not write",
    )
    data: DataSettings = field(default_factory=DataSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    solve: SolveSettings = field(default_factory=SolveSettings)
    population: PopulationSettings = field(default_factory=PopulationSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    study: StudySettings = field(default_factory=StudySettings)
    precision: PrecisionSettings = field(default_factory=PrecisionSettings)
    ling: LingSettings = field(default_factory=LingSettings)
    gao: GaoSettings = field(default_factory=GaoSettings)
    theorems: tuple[str, ...] = option(
        (),
        "check only this theorem (repeatable; default: every one)",
        key="theorem",
        parse=_theorem,
        repeat=True,
        metavar="ID",
    )

    def to_dict(self) -> dict[str, Any]:
        """Flat {key: value} of every leaf field (the JSON ``settings`` object)."""
        return {key: value for key, _, value in leaves(self)}


def key_of(f) -> str:
    """The field's flat key (its flag without dashes)."""
    return f.metadata.get("key") or f.name


def leaves(record: Any) -> list[tuple[str, Any, Any]]:
    """(key, field, value) for every leaf field of a settings record, depth first."""
    out = []
    for f in fields(record):
        value = getattr(record, f.name)
        out.extend(leaves(value) if is_dataclass(value) else [(key_of(f), f, value)])
    return out


def from_flat(values: dict[str, Any], base: Settings | None = None) -> Settings:
    """A Settings from {key: value} (argparse's namespace as a dict); keys not given keep
    ``base``'s values (the defaults when None). Unknown keys raise ``KeyError``."""
    base = base if base is not None else Settings()
    known = {k for k, _, _ in leaves(base)}
    unknown = set(values) - known
    if unknown:
        raise KeyError(f"unknown settings: {sorted(unknown)}")
    return _rebuild(base, values)


def _rebuild(record: Any, values: dict[str, Any]) -> Any:
    changes = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if is_dataclass(value):
            changes[f.name] = _rebuild(value, values)
        elif key_of(f) in values:
            changes[f.name] = values[key_of(f)]
    return replace(record, **changes)


__all__ = [
    "GENERATED_POINTS",
    "DataSettings",
    "GaoSettings",
    "LingSettings",
    "ModelSettings",
    "PopulationSettings",
    "PrecisionSettings",
    "ScheduleSettings",
    "Settings",
    "SolveSettings",
    "StudySettings",
    "from_flat",
    "key_of",
    "leaves",
    "nonnegative_int",
    "positive_float",
    "positive_int",
]
