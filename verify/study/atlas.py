"""The study's atlas: Markdown and HTML pages with the tables and plots, CSV and LaTeX exports,
and the JSON summary, all from :class:`verify.study.analysis.Atlas`.

Files (next to the store ``study.sqlite``, written through
:func:`verify.report_folder.write_into`, so an interrupted write leaves the folder as it was):
``atlas.md``, ``atlas.html``, ``groups.csv`` (one row per activation, data, n), ``cells.csv``
(one row per training run), ``exponents.csv``, ``groups.tex``, ``exponents.tex`` and
``rates.tex`` (a booktabs ``tabular`` each, to paste inside a ``table``: see :mod:`verify.tex`),
and the figures ``lambda_star``, ``minimal_width`` and ``rates``, each as PNG, PDF and SVG, every
activation in one colour and marker throughout (:func:`verify.figures.styles`).

The certified lower end of λ* is printed rounded down (:mod:`verify.decimals`); every other
number is an estimate, rounded to nearest.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from verify.decimals import estimate, fixed, lower
from verify.figures import FORMATS, Figure, finish, fit_log, legend_outside, plt, styles
from verify.results import Status
from verify.study.analysis import Atlas, GroupRow
from verify.tables import to_csv
from verify.tex import tex_escape, to_tex
from verify.theorems import applies_label


def _g(x: float | None, digits: int = 4) -> str:
    """An estimate, rounded to nearest."""
    return estimate(x, digits)


def applies_word(status: str) -> str:
    """A stored applicability status (PASS, FAIL, INCONCLUSIVE) in the report's words."""
    return applies_label(Status(status)) if status in Status._value2member_map_ else status


GROUP_HEADER = [
    "activation",
    "data",
    "n",
    "σ_w²",
    "λ*",
    "λ* certified ≥",
    "q*",
    "Truong applies",
    "m_min",
    "n²/λ*²·log(n²/t)",
    "m_min/(n²/λ*²)",
]
GROUP_HEADER_TEX = [
    "activation",
    "data",
    "$n$",
    r"$\sigma_w^2$",
    r"$\lambda^*$",
    r"$\lambda^*$ certified $\geq$",
    "$q^*$",
    "Truong applies",
    r"$m_{\min}$",
    r"$n^2/\lambda^{*2}\cdot\log(n^2/t)$",
    r"$m_{\min}/(n^2/\lambda^{*2})$",
]


def group_cells(r: GroupRow) -> list[str]:
    """One group's row; the certified lower end of λ* rounded down, every other number an
    estimate."""
    return [
        r.activation,
        r.data,
        str(r.n),
        _g(r.sigma_w2),
        _g(r.lambda_star, 6),
        lower(r.enclosure[0], 6) if r.enclosure else "no certificate",
        _g(r.q_star, 6),
        applies_word(r.covered) + (f" ({', '.join(r.refuted)} refuted)" if r.refuted else ""),
        str(r.minimal_width) if r.minimal_width is not None else "> grid",
        _g(r.scale),
        _g(r.ratio),
    ]


EXPONENT_HEADER = ["activation", "data", "exponent of m_min in n", "± se", "points", "theory"]
EXPONENT_HEADER_TEX = [
    "activation",
    "data",
    r"exponent of $m_{\min}$ in $n$",
    r"$\pm$ se",
    "points",
    "theory",
]


def exponent_cells(atlas: Atlas) -> list[list[str]]:
    out = []
    for c in atlas.curves:
        fit, th = c.fit, c.theory
        out.append(
            [
                c.activation,
                c.data,
                _g(fit.slope, 3) if fit else "—",
                _g(fit.se, 2) if fit and fit.se is not None else "—",
                str(fit.points) if fit else "0",
                _g(th.slope, 3) if th else "—",
            ]
        )
    return out


RATE_HEADER = [
    "activation",
    "data",
    "n",
    "m",
    "rate",
    "bound",
    "Θ(0) prediction",
    "m·Θ* prediction",
    "λ_0/(mλ*)",
    "held",
]
RATE_HEADER_TEX = [
    "activation",
    "data",
    "$n$",
    "$m$",
    "rate",
    "bound",
    r"$\Theta(0)$ prediction",
    r"$m\,\Theta^*$ prediction",
    r"$\lambda_0/(m\lambda^*)$",
    "held",
]


def rate_cells(atlas: Atlas) -> list[list[str]]:
    return [
        [
            r.activation,
            r.data,
            str(r.n),
            str(r.width),
            fixed(r.rate, 6),
            fixed(r.bound, 6),
            fixed(r.finite, 6),
            fixed(r.infinite, 6) if r.infinite is not None else "—",
            _g(r.lambda_0_ratio, 3),
            f"{r.held:.0%}" + (f" ({r.failed} failed)" if r.failed else ""),
        ]
        for r in atlas.rates
    ]


def _md(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def findings(atlas: Atlas) -> list[str]:
    """The answers in words: exponents against the theory, activations outside the hypotheses,
    and data sources compared."""
    out = []
    for c in atlas.curves:
        if c.fit is None:
            out.append(
                f"{c.activation} ({c.data}): a minimal width was found at fewer than two n; no "
                "exponent."
            )
            continue
        se = f" ± {c.fit.se:.2f}" if c.fit.se is not None else " (two points: no error bar)"
        th = f"{c.theory.slope:.2f}" if c.theory else "n/a"
        out.append(
            f"{c.activation} ({c.data}): m_min ∝ n^{c.fit.slope:.2f}{se}; the theory's scale "
            f"n²/λ*²·log(n²/t) grows as n^{th} over the same n."
        )
    outside = sorted({r.activation for r in atlas.groups if r.covered != "PASS"})
    if outside:
        parts = []
        for name in outside:
            mine = [r for r in atlas.groups if r.activation == name]
            found = [f"{r.data} n = {r.n}: {r.minimal_width or '> grid'}" for r in mine]
            parts.append(
                f"{name} (Truong's theorem {applies_word(mine[0].covered)}; refuted: "
                f"{', '.join(mine[0].refuted) or 'none'}) — m_min {'; '.join(found)}"
            )
        out.append("Outside Truong's hypotheses: " + " / ".join(parts) + ".")
    failures: dict[str, set[str]] = {}
    for r in atlas.groups:
        if r.enclosure is None and r.certificate_failure:
            failures.setdefault(r.activation, set()).add(r.certificate_failure)
    for name, reasons in sorted(failures.items()):
        out.append(f"{name}: λ* not certified — {'; '.join(sorted(reasons))}.")
    sources = sorted({r.data for r in atlas.groups})
    if len(sources) > 1:
        for name in sorted({r.activation for r in atlas.groups}):
            cells = []
            for src in sources:
                mine = [r for r in atlas.groups if (r.activation, r.data) == (name, src)]
                lam = ", ".join(f"{_g(r.lambda_star, 3)}" for r in mine)
                mm = ", ".join(str(r.minimal_width) if r.minimal_width else ">" for r in mine)
                cells.append(f"{src}: λ* = {lam}; m_min = {mm}")
            out.append(
                f"{name} by data (n = {sorted({r.n for r in atlas.groups})}): " + "; ".join(cells)
            )
    return out


def _figures(atlas: Atlas) -> dict[str, Figure]:
    """λ* against n, the minimal width against n, measured against predicted rates: each
    activation in its one colour and marker, each data source in its line style (rates: filled
    markers for the first source, hollow for the others)."""
    out = {}
    series = sorted({(r.activation, r.data) for r in atlas.groups})
    sources = sorted({s for _, s in series})
    lines = {src: ls for src, ls in zip(sources, ["-", "--", ":", "-."])}
    palette = styles(a for a, _ in series)
    fig, ax = plt.subplots(figsize=(7.6, 3.6))
    for act, src in series:
        rows = [r for r in atlas.groups if (r.activation, r.data) == (act, src)]
        pos = [r for r in rows if r.lambda_star > 0]
        ax.plot(
            [r.n for r in pos],
            [r.lambda_star for r in pos],
            marker=palette[act].marker,
            color=palette[act].color,
            ls=lines[src],
            label=f"{act} ({src})",
        )
    ax.set(xscale="log", yscale="log", xlabel="n (points)", ylabel="λ* = λ_min(G*)")
    fit_log(ax, [r.lambda_star for r in atlas.groups])
    _n_axis(ax, atlas)
    ax.set_title("λ* per activation")
    legend_outside(ax, fontsize=7)
    out["lambda_star"] = finish(fig, {})

    fig, ax = plt.subplots(figsize=(7.6, 3.8))
    anchor, xs = None, []
    for i, (act, src) in enumerate(series):
        rows = [r for r in atlas.groups if (r.activation, r.data) == (act, src) and r.minimal_width]
        if rows:
            shift = 1 + 0.025 * (i - len(series) / 2)  # equal values stay visible side by side
            xs += [r.n * shift for r in rows]
            ax.plot(
                [r.n * shift for r in rows],
                [r.minimal_width for r in rows],
                marker=palette[act].marker,
                color=palette[act].color,
                ls=lines[src],
                label=f"{act} ({src})",
            )
            anchor = anchor or (rows[0].n, rows[0].minimal_width)
    ns = sorted({r.n for r in atlas.groups})
    if anchor:
        n0, m0 = anchor
        ax.plot(
            ns, [m0 * (n / n0) ** 2 for n in ns], color="k", lw=0.8, ls=":", label="slope 2 (n²)"
        )
    ax.set(xscale="log", yscale="log", xlabel="n (points)", ylabel="minimal width m_min")
    widths = sorted({m for r in atlas.groups for m in r.held})
    if widths:
        fit_log(ax, widths)
        ax.set_yticks(widths, [str(m) for m in widths])
        ax.set_yticks([], minor=True)
    _n_axis(ax, atlas, xs)
    ax.set_title(
        f"smallest grid width where ≥ {atlas.fraction:.0%} of seeds held (points offset in n)",
        fontsize=10,
    )
    legend_outside(ax, fontsize=7)
    out["minimal_width"] = finish(fig, {})

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for act, src in series:
        rows = [r for r in atlas.rates if (r.activation, r.data) == (act, src)]
        st = palette[act]
        hollow = {} if src == sources[0] else {"mfc": "none"}
        ax.plot(
            [r.finite for r in rows],
            [r.rate for r in rows],
            st.marker,
            color=st.color,
            ms=4,
            label=f"{act} ({src})",
            **hollow,
        )
    lo = min((min(r.rate, r.finite) for r in atlas.rates), default=0.9)
    hi = max((max(r.rate, r.finite) for r in atlas.rates), default=1.0)
    ax.plot([lo, hi], [lo, hi], color="gray", lw=1, ls="--", label="measured = predicted")
    ax.set(xlabel="predicted rate, Θ(0) lazy dynamics", ylabel="measured rate per step")
    ax.set_title("measured vs predicted rate")
    legend_outside(ax, fontsize=7)
    out["rates"] = finish(fig, {})
    return out


def _n_axis(ax, atlas: Atlas, drawn: tuple[float, ...] | list[float] = ()) -> None:
    """The n axis (log): ticks at the grid's n, labelled, range fitted to them and to the
    positions ``drawn`` (points offset in n)."""
    ns = sorted({r.n for r in atlas.groups})
    if ns:
        fit_log(ax, [*ns, *drawn], axis="x")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.set_xticks([], minor=True)


def write_atlas(
    atlas: Atlas, cells: list[dict[str, Any]], folder: Path, meta: dict[str, str]
) -> dict[str, Figure]:
    """Write every atlas file into ``folder`` (a fresh temporary folder; see the module doc);
    returns the figures drawn."""
    groups_rows = [group_cells(r) for r in atlas.groups]
    exps = exponent_cells(atlas)
    rates = rate_cells(atlas)
    figures = _figures(atlas)
    for name, fig in figures.items():
        for fmt in FORMATS:
            (folder / f"{name}.{fmt}").write_bytes(fig.files[fmt])
    cell_header = sorted({k for c in cells for k in c})
    (folder / "cells.csv").write_text(
        to_csv(cell_header, [[c.get(k) for k in cell_header] for c in cells]), encoding="utf-8"
    )
    (folder / "groups.csv").write_text(to_csv(GROUP_HEADER, groups_rows), encoding="utf-8")
    (folder / "exponents.csv").write_text(to_csv(EXPONENT_HEADER, exps), encoding="utf-8")
    for name, header, tex_header, rows in (
        ("groups.tex", GROUP_HEADER, GROUP_HEADER_TEX, groups_rows),
        ("exponents.tex", EXPONENT_HEADER, EXPONENT_HEADER_TEX, exps),
        ("rates.tex", RATE_HEADER, RATE_HEADER_TEX, rates),
    ):
        (folder / name).write_text(to_tex(header, rows, tex_header), encoding="utf-8")
    said = findings(atlas)
    setting = "; ".join(f"{k}: {v}" for k, v in meta.items())
    md = [
        "# Study atlas",
        "",
        f"Settings: {setting}.",
        "",
        "## What it says",
        "",
        *[f"- {s}" for s in said],
        "",
        "## λ* and the minimal width per activation",
        "",
        _md(GROUP_HEADER, groups_rows),
        "![λ*](lambda_star.png)",
        "",
        "![minimal width](minimal_width.png)",
        "",
        "## Exponent of the minimal width in n",
        "",
        _md(EXPONENT_HEADER, exps),
        "## Rates: measured, bound, predictions",
        "",
        _md(RATE_HEADER, rates),
        "![rates](rates.png)",
        "",
        "Exports: groups.csv, cells.csv, exponents.csv; groups.tex, exponents.tex, rates.tex "
        "(LaTeX tabulars, need booktabs); each figure as PNG, PDF and SVG.",
        "",
    ]
    (folder / "atlas.md").write_text("\n".join(md), encoding="utf-8")
    page = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Study atlas</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:2px 6px}</style></head><body>",
        "<h1>Study atlas</h1>",
        f"<p>Settings: {html.escape(setting)}.</p>",
        "<h2>What it says</h2><ul>",
        *[f"<li>{html.escape(s)}</li>" for s in said],
        "</ul><h2>λ* and the minimal width per activation</h2>",
        _html_table(GROUP_HEADER, groups_rows),
        "<p><img src='lambda_star.png' alt='λ* per activation'>",
        "<img src='minimal_width.png' alt='minimal width against n'></p>",
        "<h2>Exponent of the minimal width in n</h2>",
        _html_table(EXPONENT_HEADER, exps),
        "<h2>Rates</h2>",
        "<details><summary>every (activation, data, n, width)</summary>",
        _html_table(RATE_HEADER, rates),
        "</details><p><img src='rates.png' alt='measured against predicted rate'></p>",
        "<p>Exports: <a href='groups.csv'>groups.csv</a>, <a href='cells.csv'>cells.csv</a>, "
        "<a href='exponents.csv'>exponents.csv</a>, <a href='groups.tex'>groups.tex</a>, "
        "<a href='exponents.tex'>exponents.tex</a>, <a href='rates.tex'>rates.tex</a> (LaTeX "
        "tabulars, need booktabs); each figure also as PDF and SVG (lambda_star.pdf, "
        "minimal_width.svg, ...).</p></body></html>",
    ]
    (folder / "atlas.html").write_text("\n".join(page), encoding="utf-8")
    return figures


def summary_json(atlas: Atlas, counts: dict[str, Any], first_data: str) -> dict[str, Any]:
    """The ``--json`` summary: counts, the store, and per activation (first data source)
    λ* and m_min per n with the exponent; ``by_data`` holds the same for every source."""

    def block(src: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c in atlas.curves:
            if c.data != src:
                continue
            rows = [r for r in atlas.groups if (r.activation, r.data) == (c.activation, src)]
            out[c.activation] = {
                "lambda_star": {str(r.n): r.lambda_star for r in rows},
                "lambda_star_certified_lower": {
                    str(r.n): (r.enclosure[0] if r.enclosure else None) for r in rows
                },
                "lambda_star_certified_lower_hex": {
                    str(r.n): (float(r.enclosure[0]).hex() if r.enclosure else None) for r in rows
                },
                "minimal_width": {str(r.n): r.minimal_width for r in rows},
                "exponent": c.fit.slope if c.fit else None,
                "exponent_se": c.fit.se if c.fit else None,
                "theory_exponent": c.theory.slope if c.theory else None,
            }
        return out

    sources = sorted({r.data for r in atlas.groups})
    return {
        **counts,
        "activations": block(first_data),
        "by_data": {src: block(src) for src in sources},
    }


__all__ = [
    "applies_word",
    "findings",
    "group_cells",
    "summary_json",
    "tex_escape",
    "to_tex",
    "write_atlas",
]
