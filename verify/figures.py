"""What every figure of a report or a study shares (torch-free): one colour and marker per
activation, tick labels that do not overlap, axis ranges that follow the data, and the files
(PNG for the pages, PDF and SVG for papers).

* :func:`styles` gives each activation of a report or study its (colour, marker), the same in
  every figure: registry activations prefer the slot of their registry position, formulas a slot
  from a CRC-32 of their text; a colour already taken in the set moves to the next free one, in
  a fixed order (registry order, then by name), so the answer depends only on the names.
* :func:`finish` fixes the axis ranges, hides the tick labels that would overlap, and writes the
  three formats (PDF and SVG without a date, so the same data give the same bytes).
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

#: Tableau's ten colours (matplotlib's default cycle), spelled out so the palette never depends
#: on the user's matplotlib style.
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: The formats written for each figure.
FORMATS = ("png", "pdf", "svg")
#: The largest padding of a log axis around its data, as a factor at each end (a quarter of a
#: decade: also the padding of a single value); a spread of data is padded by 5% of its span.
LOG_PAD = 10**0.25
#: Gap (pixels) kept between two tick labels.
TICK_GAP = 2.0

matplotlib.rcParams["svg.hashsalt"] = "deq-verify"  # stable ids inside the SVG files


@dataclass(frozen=True)
class Style:
    color: str
    marker: str


def _registry_names() -> list[str]:
    from symbolic.activations import REGISTRY

    return list(REGISTRY)


def _preferred(name: str, registry: list[str]) -> int:
    """The slot an activation asks for: its registry position, else a CRC-32 of its name."""
    return registry.index(name) if name in registry else zlib.crc32(name.encode("utf-8"))


def styles(names: Iterable[str]) -> dict[str, Style]:
    """One (colour, marker) per activation name, distinct in colour while there are colours
    left, and in the pair while there are pairs (see the module doc)."""
    registry = _registry_names()
    order = sorted(set(names), key=lambda n: (n not in registry, _preferred(n, registry), n))
    taken_colors: set[int] = set()
    taken: set[tuple[int, int]] = set()
    out = {}
    for name in order:
        slot = _preferred(name, registry)
        c0, m0 = slot % len(COLORS), slot % len(MARKERS)
        pairs = [
            ((c0 + k) % len(COLORS), (m0 + k // len(COLORS)) % len(MARKERS))
            for k in range(len(COLORS) * len(MARKERS))
        ]
        free = [p for p in pairs if p not in taken] or pairs
        c, m = next((p for p in free if p[0] not in taken_colors), free[0])
        taken_colors.add(c)
        taken.add((c, m))
        out[name] = Style(COLORS[c], MARKERS[m])
    return out


def style_of(name: str) -> Style:
    """The style of one activation on its own (its preferred slot)."""
    return styles([name])[name]


def fit_log(ax, values: Iterable[float], axis: str = "y") -> None:
    """Set a log axis's range to the positive finite ``values``, padded at each end by 5% of
    their span in decades (at least 0.03 decade, for the markers; at most :data:`LOG_PAD`,
    which is also the padding of one value), so
    that reference lines far from the data do not stretch it over decades of nothing."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not vals:
        return
    span = math.log10(max(vals) / min(vals))
    pad = min(LOG_PAD, 10 ** max(0.05 * span, 0.03)) if span > 0 else LOG_PAD
    (ax.set_ylim if axis == "y" else ax.set_xlim)(min(vals) / pad, max(vals) * pad)


def legend_outside(ax, **kw) -> None:
    """The legend to the right of the axes (many series: it would hide data inside), when
    something was drawn."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def integer_ticks(ax, axis: str = "x") -> None:
    """Ticks at integers only (indices, counts)."""
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))


def _visible_labels(axis) -> list[tuple[Any, Any]]:
    return [(t, t.get_window_extent()) for t in axis.get_ticklabels(which="both") if t.get_text()]


def declutter(fig) -> None:
    """Freeze each axis's ticks and blank the labels that would overlap a label kept before them
    (major labels first, then minor ones, each in order along the axis)."""
    fig.canvas.draw()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            kept: list[Any] = []
            for minor in (False, True):
                locs = axis.get_ticklocs(minor=minor)
                labels = axis.get_ticklabels(minor=minor)
                ticks = [(loc, t) for loc, t in zip(locs, labels) if lo <= loc <= hi]
                texts = []
                for _, t in ticks:
                    box = t.get_window_extent()
                    keep = bool(t.get_text()) and not any(_overlap(box, k) for k in kept)
                    if keep:
                        kept.append(box)
                    texts.append(t.get_text() if keep else "")
                axis.set_ticks([loc for loc, _ in ticks], texts, minor=minor)


def _overlap(a, b) -> bool:
    return not (
        a.x1 + TICK_GAP <= b.x0
        or b.x1 + TICK_GAP <= a.x0
        or a.y1 + TICK_GAP <= b.y0
        or b.y1 + TICK_GAP <= a.y0
    )


def overlapping_tick_labels(fig) -> list[tuple[str, str]]:
    """Pairs of visible tick labels (on one axis) whose boxes overlap: empty after
    :func:`declutter` (the tests' check)."""
    fig.canvas.draw()
    pairs = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            seen = _visible_labels(axis)
            for i, (t, a) in enumerate(seen):
                for u, b in seen[i + 1 :]:
                    if a.overlaps(b):
                        pairs.append((t.get_text(), u.get_text()))
    return pairs


@dataclass(frozen=True)
class Figure:
    """One figure: its files by format, the numbers drawn (JSON-ready, exported beside it) and
    the matplotlib figure itself (closed; for inspection)."""

    files: dict[str, bytes]
    data: dict[str, Any]
    figure: Any = field(default=None, repr=False, compare=False)

    @property
    def png(self) -> bytes:
        return self.files["png"]


_METADATA = {"pdf": {"CreationDate": None, "Producer": None}, "svg": {"Date": None}, "png": {}}


def finish(fig, data: dict[str, Any]) -> Figure:
    """Lay out, declutter the ticks, write every format, close the figure (one draw per format:
    the layout is fixed before, not searched for at each save)."""
    fig.tight_layout()
    declutter(fig)
    files = {}
    for fmt in FORMATS:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=110, metadata=_METADATA[fmt])
        files[fmt] = buf.getvalue()
    plt.close(fig)
    return Figure(files, data, fig)


__all__ = [
    "COLORS",
    "FORMATS",
    "MARKERS",
    "Figure",
    "Style",
    "declutter",
    "finish",
    "fit_log",
    "integer_ticks",
    "legend_outside",
    "overlapping_tick_labels",
    "plt",
    "style_of",
    "styles",
]
