"""Report figures (matplotlib, Agg): each returns a :class:`verify.figures.Figure` — PNG, PDF and
SVG, and the data drawn (exported beside the report as JSON) — or None when there is no data.
Every figure of one activation is drawn in that activation's colour (:func:`verify.figures.styles`
over the report's activations)."""

from __future__ import annotations

from typing import Any

from verify.checks import Verification
from verify.decimals import estimate, lower
from verify.figures import Figure, Style, finish, fit_log, integer_ticks, plt, style_of


def hermite_plot(v: Verification, style: Style) -> Figure | None:
    """|μ_n(1)| on a log scale fitted to the coefficients drawn; coefficients zero by φ's proved
    parity, and those below the error estimate, are marked on the axis itself (not drawn at the
    error floor as if they were data, which stretched the axis over 40 decades)."""
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
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogy(
        shown,
        [vals[n] for n in shown],
        style.marker,
        color=style.color,
        ms=4,
        label="|μ_n(1)|",
    )
    axis = ax.get_xaxis_transform()  # x in data, y in axes coordinates: on the axis itself
    if below:
        ax.plot(
            below,
            [0.03] * len(below),
            "v",
            color="C1",
            transform=axis,
            label=f"|μ_n| below the error estimate {co.error:.0e}",
        )
    if zeros:
        ax.plot(
            zeros,
            [0.03] * len(zeros),
            "x",
            color="gray",
            transform=axis,
            label=f"exactly 0 by parity ({kind})",
        )
    fit_log(ax, [vals[n] for n in shown])
    integer_ticks(ax)
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
        "below_error": below,
        "error": float(co.error),
    }
    return finish(fig, data)


def dual_plot(v: Verification, style: Style) -> Figure | None:
    """The dual activation φ̂_1(ρ) on [-1, 1]: closed form and truncated series."""
    c = v.symbolic.dual_curve
    if not c:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(c["rho"], c["series"], color=style.color, label="Hermite series (truncated)")
    if "closed" in c:
        ax.plot(c["rho"], c["closed"], "--", color="k", lw=0.9, label="closed form")
    ax.set(
        xlabel="correlation ρ",
        ylabel="φ̂_1(ρ) = E[φ(u)φ(v)]",
        title="dual activation at variance q = 1",
    )
    ax.legend(fontsize=8)
    return finish(fig, {k: list(map(float, c[k])) for k in c})


def gram_plot(v: Verification, style: Style) -> Figure | None:
    """Eigenvalues of G* (ascending, log scale fitted to them), with λ*'s certified lower end
    (its label rounded down) and the float Hermite bound (an estimate)."""
    pop = v.ok(v.population)
    if pop is None:
        return None
    ev = pop.spectrum.eigenvalues.cpu().tolist()
    drawn = [max(e, 1e-18) for e in ev]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.semilogy(
        range(1, len(ev) + 1),
        drawn,
        "-",
        marker=style.marker,
        color=style.color,
        ms=3,
        label="eig(G*)",
    )
    hb = None if pop.certificate is None else pop.certificate.value  # with --spectra only
    data: dict[str, Any] = {"eigenvalues": ev, "hermite_bound": hb}
    if hb is not None and hb > 0:
        label = f"float Hermite bound on λ* ≈ {estimate(hb, 3)}"
        ax.axhline(hb, color="gray", ls="--", label=label)
    g = v.gram
    enc = g.enclosure if g is not None else None
    if enc is not None and enc[0] > 0:
        ax.axhline(
            enc[0], color="k", ls=":", label=f"certified lower end of λ*: {lower(enc[0], 6)}"
        )
        data["certified"] = list(enc)
        data["certified_hex"] = [float(e).hex() for e in enc]
    near = [x for x in (hb, enc[0] if enc else None) if x and min(drawn) / 100 < x]
    fit_log(ax, [*drawn, *near])
    integer_ticks(ax)
    ax.set(
        xlabel="eigenvalue index (ascending)",
        ylabel="eigenvalue of G* (log scale)",
        title="spectrum of the population Gram matrix",
    )
    ax.legend(fontsize=8)
    return finish(fig, data)


def training_plot(v: Verification, style: Style) -> Figure | None:
    """The training loss with, on the same axes from the start of the fit window: the fitted
    rate, the theorem's bound 1 - c·ηλ_0, and both lazy predictions (Θ(0) and m·Θ*)."""
    t = v.ok(v.training)
    if t is None:
        return None
    loss = t.history.loss
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.semilogy(loss, color=style.color, lw=1.8, label="loss (measured)")
    k0 = t.rate.start
    ks = list(range(k0, len(loss)))
    lines = {}
    for rate, color, ls, name in (
        (t.rate.rate, "k", "-", "fitted rate"),
        (t.rate_bound, "k", ":", "bound 1 - c·ηλ_0"),
        (t.rate_finite, "gray", "--", "prediction, Θ(0)"),
        (t.rate_infinite, "gray", "-.", "prediction, m·Θ*"),
    ):
        if rate is not None:
            curve = [loss[k0] * rate ** (k - k0) for k in ks]
            ax.semilogy(ks, curve, ls=ls, color=color, lw=1, label=f"{name}: {rate:.5f}/step")
            lines[name] = rate
    fit_log(ax, loss)
    integer_ticks(ax)
    ax.set(
        xlabel="gradient-descent step k",
        ylabel="loss ½‖f − y‖² (log scale)",
        title=f"training at width {t.width}, η = {estimate(t.lr, 3)}",
    )
    ax.legend(fontsize=7)
    data = {"loss": [float(x) for x in loss], "fit_start": k0, "rates": lines}
    return finish(fig, data)


def sweep_plot(v: Verification, style: Style) -> Figure | None:
    """‖ZᵀZ/m - G*‖/‖G*‖ against the width, log-log, with the fitted slope and the m^{-1/2}
    reference."""
    s = v.ok(v.sweep)
    if s is None:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.errorbar(
        s.widths,
        s.errors,
        yerr=s.spread,
        fmt="-",
        marker=style.marker,
        color=style.color,
        label=f"measured, fitted slope {s.slope:.2f}",
    )
    ref = [s.errors[0] * (m / s.widths[0]) ** -0.5 for m in s.widths]
    ax.plot(s.widths, ref, "--", color="gray", label="slope −1/2 (theory)")
    ax.set(xscale="log", yscale="log")
    lows = [e - sp for e, sp in zip(s.errors, s.spread)]
    highs = [e + sp for e, sp in zip(s.errors, s.spread)]
    fit_log(ax, [*s.errors, *lows, *highs, *ref])
    fit_log(ax, s.widths, axis="x")
    ax.set(
        xlabel="width m (log scale)",
        ylabel="‖ZᵀZ/m − G*‖_F / ‖G*‖_F",
        title="finite-width Gram matrix against G*",
    )
    ax.legend(fontsize=8)
    data = {"widths": s.widths, "errors": s.errors, "spread": s.spread, "slope": s.slope}
    return finish(fig, data)


PLOTS = {
    "hermite": hermite_plot,
    "dual": dual_plot,
    "gram": gram_plot,
    "training": training_plot,
    "width_sweep": sweep_plot,
}


def make_plots(v: Verification, style: Style | None = None) -> dict[str, Figure]:
    """All figures that have data, by name, in ``style`` (the activation's own when None)."""
    style = style or style_of(v.act.name)
    out = {}
    for name, fn in PLOTS.items():
        fig = fn(v, style)
        if fig is not None:
            out[name] = fig
    return out
