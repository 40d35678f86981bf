"""The grid of a study: activations × data × n × widths × seeds, as typed records with keys.

A study has two kinds of work:

* a **group** per (activation, σ_w², data source, n): the population quantities (λ*, its
  certificate, q*, Θ*) and which hypotheses of Truong's theorem hold, computed once;
* a **cell** per (group, width m, replicate k): one gradient-descent run at width m, of the DEQ
  (``network = "deq"``) or of Gao & Gao's implicit network on the same data (``"gao"``: relu's
  linear-width model; the cell's key holds ``"network": "gao"``, a DEQ cell's key has no such
  entry, so stores written before Gao cells existed keep their keys).

Each is keyed by its full :class:`verify.settings.Settings` (``to_dict``, canonical JSON) and the
project's version, so a store can tell what is missing and a changed setting never reuses a
stale row. The data are drawn with the study's seed (every cell of a group sees the same points);
each cell's weights are drawn with a seed derived from its own key, so a result does not depend on
where or in what order the cell ran. Torch-free.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from importlib import metadata

from symbolic.errors import VerifyError
from verify.settings import Settings

#: The data source of the default (sphere) data, as written in keys and tables.
SPHERE = "sphere"
#: The networks a cell can train: the DEQ, and Gao & Gao's implicit network.
NETWORKS = ("deq", "gao")


def project_version() -> str:
    """The installed deq-verify version (part of every key)."""
    try:
        return metadata.version("deq-verify")
    except metadata.PackageNotFoundError:  # run from a checkout without installing
        return "0+unknown"


@dataclass(frozen=True)
class ActivationSpec:
    """One activation of the grid, with its own σ_w² when given as ``NAME@SIGMA``."""

    name: str
    sigma_w2: float | None


@dataclass(frozen=True)
class StudyGrid:
    """What a study runs. ``data`` holds 'sphere', 'digits' or file paths; ``seeds`` is the
    number of replicates per (group, width); ``fraction`` the share of them that must hold at
    the minimal width; ``network`` the model its cells train ("deq", or "gao": Gao & Gao's)."""

    activations: tuple[ActivationSpec, ...]
    ns: tuple[int, ...]
    widths: tuple[int, ...]
    seeds: int
    data: tuple[str, ...]
    fraction: float
    network: str = "deq"

    @property
    def size(self) -> int:
        """Cells (training runs) in the grid."""
        per_group = len(self.widths) * self.seeds
        return len(self.activations) * len(self.data) * len(self.ns) * per_group


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: 'sin,Max(0, x)' → ['sin', 'Max(0, x)']."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    out = [p.strip() for p in parts]
    if any(not p for p in out):
        raise VerifyError(f"empty entry in the list {text!r}")
    return out


def parse_activations(text: str) -> tuple[ActivationSpec, ...]:
    """'sin,tanh,exp@0.01' → the activations, each with its σ_w² after '@' when given."""
    out = []
    for part in split_top_level(text):
        name, _, sigma = part.partition("@")
        value = None
        if sigma:
            try:
                value = float(sigma)
            except ValueError:
                raise VerifyError(f"σ_w² after '@' must be a number, got {part!r}") from None
            if not value > 0:
                raise VerifyError(f"σ_w² must be positive, got {part!r}")
        out.append(ActivationSpec(name.strip(), value))
    names = [a.name for a in out]
    if len(set(names)) != len(names):
        raise VerifyError(f"an activation appears twice in {text!r}")
    return tuple(out)


def parse_ints(text: str, what: str) -> tuple[int, ...]:
    """'8,16,32' → (8, 16, 32), sorted, each ≥ 1."""
    try:
        values = tuple(sorted({int(t) for t in split_top_level(text)}))
    except ValueError:
        raise VerifyError(f"{what} must be positive integers like 8,16, got {text!r}") from None
    if min(values) < 1:
        raise VerifyError(f"{what} must be positive, got {text!r}")
    return values


@dataclass(frozen=True)
class Group:
    """The population work shared by the cells of one (activation, σ_w², data, n)."""

    settings: Settings  # train off; width irrelevant
    key: str
    activation: str
    data: str
    n: int


@dataclass(frozen=True)
class Cell:
    """One training run: the group's settings at width ``width``, replicate ``replicate``."""

    settings: Settings
    key: str
    group: str  # the group's key
    activation: str
    data: str
    n: int
    width: int
    replicate: int
    network: str  # "deq", or "gao": Gao & Gao's network on the group's data

    @property
    def weight_seed(self) -> int:
        """The seed of W, U, a: from the key alone, the first 60 bits of sha256(key)."""
        return int(hashlib.sha256(self.key.encode()).hexdigest()[:15], 16)


def _key(settings: Settings, extra: dict) -> str:
    body = {"settings": settings.to_dict(), "version": project_version(), **extra}
    return json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))


def _group_settings(base: Settings, act: ActivationSpec, source: str, n: int) -> Settings:
    data = replace(base.data, n=n, data=None if source == SPHERE else source)
    sigma = act.sigma_w2 if act.sigma_w2 is not None else base.model.sigma_w2
    study = replace(base.study, width_sweep=False, width_study=())
    return replace(
        base,
        activation=act.name,
        data=data,
        model=replace(base.model, sigma_w2=sigma),
        study=study,
        theorems=("truong2023",),
        force=True,  # outside the hypotheses is a question of the study, not a refusal
    )


def groups_and_cells(grid: StudyGrid, base: Settings) -> tuple[list[Group], list[Cell]]:
    """Every group and cell of ``grid`` with ``base``'s other settings, in a fixed order."""
    if grid.network not in NETWORKS:
        raise VerifyError(f"unknown network {grid.network!r}; choose from {', '.join(NETWORKS)}")
    extra = {} if grid.network == "deq" else {"network": grid.network}
    groups, cells = [], []
    for act in grid.activations:
        for source in grid.data:
            for n in grid.ns:
                gs = _group_settings(base, act, source, n)
                gkey = _key(replace(gs, train=False, model=replace(gs.model, width=1)), {})
                groups.append(Group(replace(gs, train=False), gkey, act.name, source, n))
                for m in grid.widths:
                    cs = replace(gs, train=True, model=replace(gs.model, width=m))
                    for k in range(grid.seeds):
                        key = _key(cs, {"replicate": k, **extra})
                        cell = Cell(cs, key, gkey, act.name, source, n, m, k, grid.network)
                        cells.append(cell)
    return groups, cells


__all__ = [
    "NETWORKS",
    "SPHERE",
    "ActivationSpec",
    "Cell",
    "Group",
    "StudyGrid",
    "groups_and_cells",
    "parse_activations",
    "parse_ints",
    "project_version",
    "split_top_level",
]
