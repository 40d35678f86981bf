"""Report figures (matplotlib, Agg): each returns a :class:`Figure` — the PNG and the data drawn
(exported beside the report as JSON) — or None when there is no data."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from verify.checks import Verification


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@dataclass(frozen=True)
class Figure:
    png: bytes
    data: dict[str, Any]  # the numbers behind the figure, JSON-ready


def hermite_plot(v: Verification) -> Figure | None:
    """|μ_n(1)| on a log scale; coefficients zero by φ's proved parity are marked on the axis as
    such (not drawn at the quadrature's error floor as if they were data)."""
    from symbolic.hermite import parity
    from symbolic.hermite_balls import zero_by_parity

    co = v.symbolic.coefficients
    if not co:
        return None
    vals = [abs(float(x)) for x in co.values]
    kind = parity(v.act)
    zeros = [n for n in range(len(vals)) if zero_by_parity(kind, n)]
    shown = [n for n in range(len(vals)) if n not in zeros and vals[n] > co.error]
    below = [n for n in range(len(vals)) if n not in zeros and vals[n] <= co.error]
    floor = max(co.error, 1e-300)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogy(shown, [vals[n] for n in shown], "o", ms=4, label="|μ_n(1)|")
    if below:
        ax.semilogy(below, [floor] * len(below), "v", color="C1", ms=4, label="below the error")
    if zeros:
        ax.plot(  # on the axis itself (axes coordinates in y): exact zeros, not data
            zeros,
            [0.03] * len(zeros),
            "x",
            color="gray",
            transform=ax.get_xaxis_transform(),
            label=f"exactly 0 by parity ({kind})",
        )
    if below or (shown and floor > 1e-6 * min(vals[n] for n in shown)):
        ax.axhline(floor, color="gray", lw=0.8, ls="--", label=f"error estimate {co.error:.0e}")
    ax.set(
        xlabel="index n",
        ylabel="|μ_n(1)| (log scale)",
        title=f"Hermite coefficients of {v.act.name}, q = 1",
    )
    ax.legend(fontsize=7)
    data = {
        "n": list(range(len(vals))),
        "mu": [0.0 if n in zeros else float(co.values[n]) for n in range(len(vals))],
        "zero_by_parity": zeros,
        "error": float(co.error),
    }
    return Figure(_png(fig), data)


def dual_plot(v: Verification) -> Figure | None:
    """The dual activation φ̂_1(ρ) on [-1, 1]: closed form and truncated series."""
    c = v.symbolic.dual_curve
    if not c:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(c["rho"], c["series"], label="Hermite series (truncated)")
    if "closed" in c:
        ax.plot(c["rho"], c["closed"], "--", label="closed form")
    ax.set(
        xlabel="correlation ρ",
        ylabel="φ̂_1(ρ) = E[φ(u)φ(v)]",
        title="dual activation at variance q = 1",
    )
    ax.legend(fontsize=8)
    return Figure(_png(fig), {k: list(map(float, c[k])) for k in c})


def gram_plot(v: Verification) -> Figure | None:
    """Eigenvalues of G* (ascending, log scale), with λ*'s certified lower end and the Hermite
    bound."""
    pop = v.ok(v.population)
    if pop is None:
        return None
    ev = pop.spectrum.eigenvalues.cpu().tolist()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogy(range(1, len(ev) + 1), [max(e, 1e-18) for e in ev], "o-", ms=3, label="eig(G*)")
    data: dict[str, Any] = {"eigenvalues": ev, "hermite_bound": pop.certificate.value}
    if pop.certificate.value > 0:
        ax.axhline(pop.certificate.value, color="C2", ls="--", label="Hermite bound on λ*")
    g = v.gram
    if g is not None and g.enclosure is not None and g.enclosure[0] > 0:
        ax.axhline(g.enclosure[0], color="C3", ls=":", label="certified lower end of λ*")
        data["certified"] = list(g.enclosure)
    ax.set(
        xlabel="eigenvalue index (ascending)",
        ylabel="eigenvalue of G* (log scale)",
        title="spectrum of the population Gram matrix",
    )
    ax.legend(fontsize=8)
    return Figure(_png(fig), data)


def training_plot(v: Verification) -> Figure | None:
    """The training loss with, on the same axes from the start of the fit window: the fitted
    rate, the theorem's bound 1 - c·ηλ_0, and both lazy predictions (Θ(0) and m·Θ*)."""
    t = v.ok(v.training)
    if t is None:
        return None
    loss = t.history.loss
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.semilogy(loss, color="k", lw=1.6, label="loss (measured)")
    k0 = t.rate.start
    ks = list(range(k0, len(loss)))
    lines = {}
    for rate, style, name in (
        (t.rate.rate, "-", "fitted rate"),
        (t.rate_bound, ":", "bound 1 - c·ηλ_0"),
        (t.rate_finite, "--", "prediction, Θ(0)"),
        (t.rate_infinite, "-.", "prediction, m·Θ*"),
    ):
        if rate is not None:
            curve = [loss[k0] * rate ** (k - k0) for k in ks]
            ax.semilogy(ks, curve, style, lw=1, label=f"{name}: {rate:.5f}/step")
            lines[name] = rate
    ax.set(
        xlabel="gradient-descent step k",
        ylabel="loss ½‖f − y‖² (log scale)",
        title=f"training at width {t.width}, η = {t.lr:.3g}",
    )
    ax.legend(fontsize=7)
    data = {"loss": [float(x) for x in loss], "fit_start": k0, "rates": lines}
    return Figure(_png(fig), data)


def sweep_plot(v: Verification) -> Figure | None:
    """‖ZᵀZ/m - G*‖/‖G*‖ against the width, log-log, with the fitted slope and the m^{-1/2}
    reference."""
    s = v.ok(v.sweep)
    if s is None:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.errorbar(
        s.widths, s.errors, yerr=s.spread, fmt="o-", label=f"measured, fitted slope {s.slope:.2f}"
    )
    ref = [s.errors[0] * (m / s.widths[0]) ** -0.5 for m in s.widths]
    ax.plot(s.widths, ref, "--", color="gray", label="slope −1/2 (theory)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="width m (log scale)",
        ylabel="‖ZᵀZ/m − G*‖_F / ‖G*‖_F",
        title="finite-width Gram matrix against G*",
    )
    ax.legend(fontsize=8)
    data = {"widths": s.widths, "errors": s.errors, "spread": s.spread, "slope": s.slope}
    return Figure(_png(fig), data)


PLOTS = {
    "hermite": hermite_plot,
    "dual": dual_plot,
    "gram": gram_plot,
    "training": training_plot,
    "width_sweep": sweep_plot,
}


def make_plots(v: Verification) -> dict[str, Figure]:
    """All figures that have data, by name."""
    out = {}
    for name, fn in PLOTS.items():
        fig = fn(v)
        if fig is not None:
            out[name] = fig
    return out
