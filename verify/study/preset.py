"""The findings preset: the named, reproducible grids that answer the three open questions of
docs/findings.md, built on the study engine (:mod:`verify.study.grid`, run by
:func:`verify.study.run.run_work` into one store, so it resumes, shares a store and stops like
``study``).

Three parts, each a list of :class:`~verify.study.grid.StudyGrid` with its base settings:

* **atlas** (Q3, λ* explicitly): every activation of :data:`ACTIVATIONS` × σ_w² on a grid inside
  its admissible range × n on sphere data, groups only (no training): the certified λ*.
  The admissible range is decided by the one rule, :func:`verify.weight_scale.sigma_w2_admissible`
  (8σ_w²L² < 1): σ_w² = f/(8L̄²) for f in the scale's fractions, L̄ the proved upper bound of
  L = sup|φ'| (exact or certified), each value kept only if the rule says True. f = 1/2 is the
  tool's own default 1/(16L²). An activation with L = ∞ (x²) has no admissible σ_w²: it is run at
  the tool's default 1/16, outside the hypotheses, and said so.
* **width** (Q3 minimal width, and Q1 outside the hypotheses): every activation at f = 1/2 × n ×
  a geometric width grid (per n) × seeds: the smallest width at which the conclusions held.
* **gao** (Q3, beside relu's DEQ): Gao & Gao's implicit network with relu, on the width grid's
  n, widths and seeds (its cells share the DEQ's relu groups): the smallest width at which
  Theorem 3.2's conclusion held, to set beside their linear width m = Θ(n).
* **inputs** (Q2): a few activations at one n on each data source (sphere, digits, clusters,
  student-t, pairs@ANGLE) × widths × seeds.

Scales: ``tiny`` (a smoke run in seconds: the tests run it end to end), ``default`` (sized for
about 70 minutes on two cores; see :data:`DEFAULT_ESTIMATE`: its width grid reaches n = 64, not the
issue's 128), ``large`` (for a Dask cluster: n up to 1024 in the atlas, n up to 256 and widths
up to 8192 in the width grid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from symbolic.errors import VerifyError
from verify.settings import Settings
from verify.study.grid import SPHERE, ActivationSpec, Cell, Group, StudyGrid, groups_and_cells


@dataclass(frozen=True)
class PresetActivation:
    """An activation of the preset: its label in tables, and the name or formula it runs as."""

    label: str
    formula: str


#: The activations of Q3 (issue 27): twelve and more, covered and outside the hypotheses.
ACTIVATIONS = (
    PresetActivation("tanh", "tanh"),
    PresetActivation("sin", "sin"),
    PresetActivation("cos", "cos"),
    PresetActivation("erf", "erf"),
    PresetActivation("gelu", "gelu"),
    PresetActivation("swish", "swish"),
    PresetActivation("softplus", "softplus"),
    PresetActivation("elu", "elu"),
    PresetActivation("relu", "relu"),
    PresetActivation("leaky_relu(0.01)", "leaky_relu"),
    PresetActivation("leaky_relu(0.1)", "Max(x/10, x)"),
    PresetActivation("leaky_relu(0.3)", "Max(3*x/10, x)"),
    PresetActivation("x·exp(-x²/2)", "x*exp(-x**2/2)"),
    PresetActivation("x²", "square"),
)
#: The data sources of Q2.
SOURCES = (SPHERE, "digits", "clusters", "student-t", "pairs@1e-1", "pairs@1e-2", "pairs@1e-3")
SOURCES += ("pairs@1e-4",)
#: How long the default scale takes, estimated from per-task times measured on this project's
#: 2-core machine while it was loaded by other jobs (so an upper estimate for idle cores), one
#: process per task (``verify.study.cells``), 100 steps:
#:
#: * a cell (one GD run) costs about max(0.3, 2.35·(m/256)^1.8) s, nearly independent of n at
#:   n ≤ 64: measured (n, m) → s: (8, 128) 0.39, (16, 256) 2.24, (64, 256) 2.47, (32, 512) 10.6,
#:   (64, 1024) 28.7 (tanh);
#: * a group (G*, its certificate, and the symbolic facts of φ, recomputed per group) about
#:   4 + 9.5·n/1024 s: relu at n = 4..256 2.5-3.5 s, tanh 4.6-5.5 s, relu n = 512 7.8 s,
#:   n = 1024 13.5 s.
#:
#: * a cell of Gao & Gao's network costs more at large widths (its ‖B‖₂ is an SVD of m × m):
#:   (64, 256) 9.8 s, (64, 1024) 101 s, loaded.
#:
#: Default scale: 1750 width cells ≈ 4140 s, 125 Gao cells ≈ 1100 s, 360 inputs cells ≈ 1100 s,
#: 280 atlas groups ≈ 1870 s, 49 other groups ≈ 200 s: ≈ 8400 core-seconds, about 70 minutes on
#: 2 cores. The
#: width grid stops at n = 64 (widths ≤ 1024) to fit that hour: a width of 2048 alone would cost
#: ≈ 100 s per run, ≈ 7000 s more for n = 128 over 14 activations × 5 seeds.
DEFAULT_ESTIMATE = "≈ 8400 core-seconds: about 70 minutes on 2 cores"
#: The activation of Gao & Gao's network (their theorem is for the ReLU).
GAO_LABEL = "relu"
#: The fraction f of the admissible maximum 1/(8L²) used by the width and inputs grids (the
#: tool's default σ_w² = 1/(16L²)).
WIDTH_FRACTION = 0.5


@dataclass(frozen=True)
class Scale:
    """The sizes of one scale of the preset."""

    name: str
    labels: tuple[str, ...]  # activations of the atlas and width grids
    atlas_ns: tuple[int, ...]
    fractions: tuple[float, ...]  # σ_w² = f/(8L̄²)
    width_ns: tuple[int, ...]
    width_range: tuple[float, float]  # widths 2^k with lo·n ≤ 2^k ≤ hi·n
    width_cap: int  # no width above this
    seeds: int
    fraction: float  # share of seeds that must hold at m_min
    inputs_n: int
    inputs_labels: tuple[str, ...]
    inputs_sources: tuple[str, ...]
    inputs_widths: tuple[int, ...]
    steps: int
    draws: int  # bootstrap draws

    def widths(self, n: int) -> tuple[int, ...]:
        """The geometric width grid at ``n``: the powers of two in [lo·n, hi·n], capped."""
        lo, hi = self.width_range
        k0 = max(0, math.ceil(math.log2(lo * n) - 1e-12))
        out = []
        k = k0
        while 2**k <= min(hi * n, self.width_cap) + 1e-9:
            out.append(2**k)
            k += 1
        return tuple(out)


_ALL = tuple(a.label for a in ACTIVATIONS)
SCALES = {
    "tiny": Scale(
        "tiny",
        ("tanh", "relu"),
        (4, 8),
        (0.5,),
        (4, 8),
        (2.0, 4.0),
        4096,
        2,
        0.5,
        4,
        ("tanh",),
        (SPHERE, "pairs@1e-2"),
        (8, 16),
        40,
        200,
    ),
    "default": Scale(
        "default",
        _ALL,
        (16, 32, 64, 128, 256, 512, 1024),
        (0.25, 0.5, 0.75),
        (4, 8, 16, 32, 64),
        (1.0, 16.0),
        1024,
        5,
        0.8,
        16,
        ("tanh", "relu", "x²"),
        SOURCES,
        (32, 128, 512),
        100,
        1000,
    ),
    "large": Scale(
        "large",
        _ALL,
        (16, 32, 64, 128, 256, 512, 1024),
        (0.125, 0.25, 0.5, 0.75, 0.95),
        (8, 16, 32, 64, 128, 256),
        (1.0, 64.0),
        8192,
        8,
        0.8,
        64,
        _ALL,
        SOURCES,
        (64, 256, 1024, 4096),
        200,
        2000,
    ),
}


@dataclass(frozen=True)
class SigmaGrid:
    """σ_w² of one activation: the admissible values of the atlas (with their fraction f of
    1/(8L̄²)), the one the width and inputs grids use, L̄ (None: L = ∞ or not proved) and why
    none is admissible (None when some are)."""

    label: str
    formula: str
    lip_upper: float | None
    values: tuple[tuple[float, float], ...]  # (f, σ_w²); f = nan when outside
    width_sigma: float
    outside: str | None


def sigma_grid(act: PresetActivation, fractions: tuple[float, ...]) -> SigmaGrid:
    """σ_w² = f/(8L̄²) for each f, kept where :func:`sigma_w2_admissible` says True (see the module
    docstring); the tool's default 1/16 when L is infinite or not proved."""
    from numeric.sup import grid_sup
    from symbolic.activations import resolve
    from symbolic.bounds import sup_abs
    from verify.checks.facts import default_sigma_w2, sup_enclosures
    from verify.settings import PrecisionSettings
    from verify.weight_scale import sigma_w2_admissible

    phi = resolve(act.formula)
    lip = sup_abs(phi, 1, *grid_sup(phi, 1))
    if lip.bounded is not True:
        why = "L = sup|φ'| = ∞" if lip.bounded is False else "L = sup|φ'| not proved finite"
        value = default_sigma_w2(None)
        outside = f"{why}: no σ_w² is admissible; run at the tool's default 1/16"
        return SigmaGrid(act.label, act.formula, None, ((math.nan, value),), value, outside)
    enc = sup_enclosures(phi, {1: lip}, PrecisionSettings())[1]
    upper = enc.hi if enc is not None else float(lip.value)
    values = []
    for f in fractions:
        sigma = (math.sqrt(f / 8) / upper) ** 2 if f != WIDTH_FRACTION else None
        sigma = default_sigma_w2(upper) if sigma is None else sigma
        if sigma_w2_admissible(sigma, lip, enc) is True:
            values.append((f, sigma))
    return SigmaGrid(act.label, act.formula, upper, tuple(values), default_sigma_w2(upper), None)


@dataclass(frozen=True)
class Part:
    """One question's share of the preset: its grids, each with its base settings."""

    question: str  # "atlas", "width" or "inputs"
    grids: tuple[tuple[StudyGrid, Settings], ...]


@dataclass(frozen=True)
class Preset:
    """The whole preset at one scale and seed."""

    scale: Scale
    seed: int
    sigmas: dict[str, SigmaGrid]  # by label
    parts: tuple[Part, ...]

    def label_of(self, formula: str) -> str:
        """The table label of an activation run as ``formula``."""
        for s in self.sigmas.values():
            if s.formula == formula:
                return s.label
        return formula

    def work(self) -> tuple[list[Group], list[Cell], dict[str, list[Group]], dict[str, list[Cell]]]:
        """Every group and cell (each key once, in order), and those of each part."""
        groups: dict[str, Group] = {}
        cells: dict[str, Cell] = {}
        part_groups: dict[str, list[Group]] = {}
        part_cells: dict[str, list[Cell]] = {}
        for part in self.parts:
            pg: dict[str, Group] = {}
            pc: dict[str, Cell] = {}
            for grid, base in part.grids:
                gs, cs = groups_and_cells(grid, base)
                pg.update((g.key, g) for g in gs)
                pc.update((c.key, c) for c in cs)
            part_groups[part.question] = list(pg.values())
            part_cells[part.question] = list(pc.values())
            groups.update(pg)
            cells.update(pc)
        return list(groups.values()), list(cells.values()), part_groups, part_cells


def base_settings(scale: Scale, seed: int) -> Settings:
    """The settings every grid of the preset starts from: the defaults, the seed, the scale's
    steps and fraction."""
    s = Settings()
    return replace(
        s,
        seed=seed,
        schedule=replace(s.schedule, steps=scale.steps),
        study=replace(s.study, study_fraction=scale.fraction),
    )


def build_preset(scale_name: str, seed: int) -> Preset:
    """The preset at ``scale_name`` (tiny, default, large) with the data seed ``seed``."""
    if scale_name not in SCALES:
        raise VerifyError(f"unknown scale {scale_name!r}; choose from {', '.join(SCALES)}")
    scale = SCALES[scale_name]
    base = base_settings(scale, seed)
    by_label = {a.label: a for a in ACTIVATIONS}
    labels = list(dict.fromkeys([*scale.labels, *scale.inputs_labels]))
    sigmas = {lab: sigma_grid(by_label[lab], scale.fractions) for lab in labels}
    atlas = []
    for lab in scale.labels:
        s = sigmas[lab]
        for _, sigma in s.values:
            spec = (ActivationSpec(s.formula, sigma),)
            atlas.append((StudyGrid(spec, scale.atlas_ns, (), 1, (SPHERE,), scale.fraction), base))
    width = []
    for n in scale.width_ns:
        specs = tuple(
            ActivationSpec(sigmas[lab].formula, sigmas[lab].width_sigma) for lab in scale.labels
        )
        grid = StudyGrid(specs, (n,), scale.widths(n), scale.seeds, (SPHERE,), scale.fraction)
        width.append((grid, base))
    specs = tuple(
        ActivationSpec(sigmas[lab].formula, sigmas[lab].width_sigma) for lab in scale.inputs_labels
    )
    inputs = StudyGrid(
        specs,
        (scale.inputs_n,),
        scale.inputs_widths,
        scale.seeds,
        scale.inputs_sources,
        scale.fraction,
    )
    gao = []
    if GAO_LABEL in scale.labels:
        s = sigmas[GAO_LABEL]
        for n in scale.width_ns:
            spec = (ActivationSpec(s.formula, s.width_sigma),)
            grid = StudyGrid(spec, (n,), scale.widths(n), scale.seeds, (SPHERE,), scale.fraction)
            gao.append((replace(grid, network="gao"), base))
    parts = (
        Part("atlas", tuple(atlas)),
        Part("width", tuple(width)),
        Part("gao", tuple(gao)),
        Part("inputs", ((inputs, base),)),
    )
    return Preset(scale, seed, sigmas, parts)


__all__ = [
    "ACTIVATIONS",
    "DEFAULT_ESTIMATE",
    "GAO_LABEL",
    "SCALES",
    "SOURCES",
    "WIDTH_FRACTION",
    "Part",
    "Preset",
    "PresetActivation",
    "Scale",
    "SigmaGrid",
    "base_settings",
    "build_preset",
    "sigma_grid",
]
