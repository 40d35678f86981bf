"""Report figures (matplotlib, Agg): each returns PNG bytes, or None when there is no data."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from verify.checks import Verification


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def hermite_plot(v: Verification) -> bytes | None:
    """|μ_n(1)| on a log scale, odd and even n marked apart (the parity pattern)."""
    co = v.symbolic.coefficients
    if not co:
        return None
    vals = [abs(float(x)) for x in co.values]
    floor = max(co.error, 1e-300)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for parity, marker in ((0, "o"), (1, "s")):
        ns = [n for n in range(len(vals)) if n % 2 == parity]
        ax.semilogy(
            ns,
            [max(vals[n], floor) for n in ns],
            marker,
            label=f"{'even' if parity == 0 else 'odd'} n",
        )
    ax.axhline(floor, color="gray", lw=0.8, ls="--", label="error estimate")
    ax.set(xlabel="n", ylabel="|μ_n(1)|", title=f"Hermite coefficients of {v.act.name}")
    ax.legend(fontsize=8)
    return _png(fig)


def dual_plot(v: Verification) -> bytes | None:
    """The dual activation φ̂_1(ρ) on [-1, 1]: closed form and truncated series."""
    c = v.symbolic.dual_curve
    if not c:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(c["rho"], c["series"], label="Hermite series (200 terms)")
    if "closed" in c:
        ax.plot(c["rho"], c["closed"], "--", label="closed form")
    ax.set(xlabel="ρ", ylabel="E[φ(u)φ(v)]", title="dual activation at q = 1")
    ax.legend(fontsize=8)
    return _png(fig)


def gram_plot(v: Verification) -> bytes | None:
    """Eigenvalues of G* (ascending), with λ* and the certificate."""
    pop = v.ok(v.population)
    if pop is None:
        return None
    ev = pop.spectrum.eigenvalues.cpu().tolist()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogy(range(1, len(ev) + 1), [max(e, 1e-18) for e in ev], "o-", ms=3, label="eig(G*)")
    if pop.certificate.value > 0:
        ax.axhline(pop.certificate.value, color="C2", ls="--", label="Hermite certificate")
    ax.set(xlabel="index", ylabel="eigenvalue", title="spectrum of the population Gram matrix")
    ax.legend(fontsize=8)
    return _png(fig)


def training_plot(v: Verification) -> bytes | None:
    """Training loss with the measured rate, the bound 1 - ηλ_0/2 and the prediction."""
    t = v.ok(v.training)
    if t is None:
        return None
    loss = t.history.loss
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.semilogy(loss, label="loss")
    k0 = t.rate.start
    ks = range(k0, len(loss))
    for rate, style, name in (
        (t.rate.rate, "-", "fitted"),
        (t.rate_bound, ":", "bound 1-ηλ₀/2"),
        (t.rate_infinite, "--", "prediction (m·Θ*)"),
    ):
        if rate is not None:
            ax.semilogy(
                ks,
                [loss[k0] * rate ** (k - k0) for k in ks],
                style,
                lw=1,
                label=f"{name}: {rate:.5f}",
            )
    ax.set(xlabel="step", ylabel="½‖f - y‖²", title=f"gradient descent, width {t.width}")
    ax.legend(fontsize=8)
    return _png(fig)


def sweep_plot(v: Verification) -> bytes | None:
    """‖ZᵀZ/m - G*‖/‖G*‖ against the width, log-log, with the m^{-1/2} reference."""
    s = v.ok(v.sweep)
    if s is None:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.errorbar(
        s.widths, s.errors, yerr=s.spread, fmt="o-", label=f"measured (slope {s.slope:.2f})"
    )
    ref = [s.errors[0] * (m / s.widths[0]) ** -0.5 for m in s.widths]
    ax.plot(s.widths, ref, "--", label="m^(-1/2)")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="width m",
        ylabel="relative error",
        title="finite-width Gram matrix against G*",
    )
    ax.legend(fontsize=8)
    return _png(fig)


PLOTS = {
    "hermite": hermite_plot,
    "dual": dual_plot,
    "gram": gram_plot,
    "training": training_plot,
    "width_sweep": sweep_plot,
}


def make_plots(v: Verification) -> dict[str, bytes]:
    """All figures that have data, by name."""
    out = {}
    for name, fn in PLOTS.items():
        png = fn(v)
        if png is not None:
            out[name] = png
    return out
