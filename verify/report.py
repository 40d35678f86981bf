"""Reports on disk: report.md, a self-contained report.html (figures embedded) and report.json,
written by :func:`verify.report_folder.write_into` (file by file, keeping the user's files)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from symbolic.errors import VerifyError
from verify.checks import Verification
from verify.decimals import estimate, expression, fixed, interval
from verify.figures import FORMATS, styles
from verify.plots import make_plots
from verify.render import (
    SPEC_HEADER,
    THEOREM_HEADER,
    condition_rows,
    outcome,
    render_markdown,
    render_summary_markdown,
    spec_table_rows,
    summary_lines,
    theorem_rows,
    to_json,
    verdict_line,
)
from verify.report_folder import check_report_folder, write_into
from verify.tables import to_csv
from verify.tex import to_tex

_CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#222}table{border-collapse:collapse;margin:1em 0;font-size:14px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f2f2}.PASS{color:#0a7a2f;font-weight:bold}
.FAIL,.REFUTED{color:#b00020;font-weight:bold}.INCONCLUSIVE{color:#a06000;font-weight:bold}
.ERROR{color:#6a1b9a;font-weight:bold}.NOT-COVERED{color:#444;font-weight:bold}
.na{color:#888}code{background:#f6f6f6;padding:1px 4px}img{max-width:100%}
li{margin:.2em 0}"""

#: The CSS class of each word a status column holds (n/a is grey).
_CLASS = {
    "PASS": "PASS",
    "FAIL": "FAIL",
    "REFUTED": "REFUTED",
    "NOT COVERED": "NOT-COVERED",
    "INCONCLUSIVE": "INCONCLUSIVE",
    "ERROR": "ERROR",
    "n/a": "na",
}


def write_report(runs: list[Verification], out_dir: str | Path, *, force: bool) -> Path:
    """Write report.md, report.html, report.json (and figures) for ``runs`` into ``out_dir``,
    keeping every other file there (see :mod:`verify.report_folder`). Raises VerifyError (one
    line) when the folder cannot be written."""
    out = Path(out_dir)
    try:
        check_report_folder(out, force=force)
        return write_into(out, force, lambda tmp: _write_all(runs, tmp))
    except OSError as exc:
        raise VerifyError(f"cannot write the report to {out}: {exc.strerror or exc}") from None


SUMMARY_HEADER = [
    "φ",
    "verdict",
    "covered by",
    "λ* (float)",
    "λ* certified in",
    "rate measured",
    "bound",
    "Θ(0) prediction",
    "m·Θ* prediction",
]
#: The same header in LaTeX (summary.tex).
SUMMARY_HEADER_TEX = [
    r"$\varphi$",
    "verdict",
    "covered by",
    r"$\lambda^*$ (float)",
    r"$\lambda^*$ certified in",
    "rate measured",
    "bound",
    r"$\Theta(0)$ prediction",
    r"$m\,\Theta^*$ prediction",
]


def summary_rows(runs: list[Verification]) -> list[list[str]]:
    """One row per activation: the verdict, the covering theorems, λ* with its certificate, and
    the measured rate against the bound and both predictions."""
    rows = []
    for v in runs:
        g = v.gram
        t = v.ok(v.training)
        enc = g.enclosure if g is not None else None

        def r(x: float | None) -> str:
            return "—" if x is None else fixed(x, 6)

        rows.append(
            [
                v.act.name,
                outcome(v).value,
                ", ".join(v.covering) or "none",
                estimate(g.lambda_star) if g is not None else "—",
                interval(enc[0], enc[1], 6) if enc else "not certified",
                r(t.rate.rate if t else None),
                r(t.rate_bound if t else None),
                r(t.rate_finite if t else None),
                r(t.rate_infinite if t else None),
            ]
        )
    return rows


def _write_all(runs: list[Verification], folder: Path) -> None:
    figures = {}
    md = [render_summary_markdown(runs)] if len(runs) > 1 else []
    rows = summary_rows(runs)
    tex = to_tex(SUMMARY_HEADER, rows, SUMMARY_HEADER_TEX)
    (folder / "summary.tex").write_text(tex, encoding="utf-8")
    (folder / "summary.csv").write_text(to_csv(SUMMARY_HEADER, rows), encoding="utf-8")
    palette = styles(v.act.name for v in runs)
    for v in runs:
        made = make_plots(v, palette[v.act.name])
        names = {}
        for name, fig in made.items():
            path = f"{_slug(v.act.name)}_{name}"
            for fmt in FORMATS:
                (folder / f"{path}.{fmt}").write_bytes(fig.files[fmt])
            (folder / f"{path}.json").write_text(json.dumps(fig.data), encoding="utf-8")
            names[name] = f"{path}.png"
        figures[v.act.name] = {name: (fig, names[name]) for name, fig in made.items()}
        md.append(render_markdown(v, names))
    (folder / "report.md").write_text("\n".join(md), encoding="utf-8")
    doc = [to_json(v) for v in runs]
    (folder / "report.json").write_text(
        json.dumps(doc if len(doc) > 1 else doc[0], indent=2), encoding="utf-8"
    )
    (folder / "report.html").write_text(render_html(runs, figures), encoding="utf-8")


def _slug(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in name)
    return keep.strip("_")[:40] or "formula"


def _word_class(cell: str) -> str:
    """The CSS class of a status cell: its word, or the word after its last comma ("applies,
    PASS"); no class for anything else."""
    word = cell.rsplit(",", 1)[-1].strip()
    return f' class="{_CLASS[word]}"' if word in _CLASS else ""


def _table(header: list[str], rows: list[list[str]], status_cols: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            cls = _word_class(c) if i in status_cols else ""
            cells.append(f"<td{cls}>{html.escape(c)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render_html(runs: list[Verification], figures: dict[str, dict]) -> str:
    """One self-contained page (figures as data: URIs): the summary block first, then one
    section per activation with its theorems and conditions; details folded."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>deq-verify report</title>"
        f"<style>{_CSS}</style></head><body><h1>deq-verify report</h1>"
    ]
    first = runs[0]
    parts.append(
        f"<p>Seed {first.settings.seed}; n = {first.data.n}, d = {first.data.d}; "
        f"width {first.model.width}; training {'on' if first.settings.train else 'off'}.</p>"
    )
    parts.append(
        "<h2>Summary</h2>"
        + _table(SUMMARY_HEADER, summary_rows(runs), (1,))
        + "<p>Exports: <a href='summary.csv'>summary.csv</a>, <a href='summary.tex'>summary.tex"
        "</a> (LaTeX tabular, needs booktabs), <a href='report.json'>report.json</a>; each "
        "figure as PNG, PDF and SVG, with the data behind it as JSON.</p>"
    )
    if len(runs) > 1:
        parts.append(
            "<h3>Hypotheses per activation</h3>"
            + _table(SPEC_HEADER, spec_table_rows(runs), tuple(range(6, len(SPEC_HEADER))))
        )
    for v in runs:
        word = outcome(v).value
        parts.append(
            f"<h2>{html.escape(v.act.name)}: <span class='{_CLASS[word]}'>{word}</span></h2>"
            f"<p><code>φ(x) = {html.escape(expression(v.act.expr))}</code></p>"
        )
        parts.append(
            f"<p><b>{html.escape(verdict_line(v))}</b></p><h3>Theorems</h3>"
            + _table(THEOREM_HEADER, theorem_rows(v), (2,))
        )
        parts.append(
            "<h3>Conditions</h3>"
            + _table(["condition", "status", "value", "bound", "method"], condition_rows(v), (1,))
        )
        parts.append(
            "<details><summary>each condition in detail</summary><ul>"
            + "".join(
                f"<li><b>{html.escape(c.name.value)}</b>: {html.escape(c.detail)}</li>"
                for c in v.conditions
            )
            + "</ul></details>"
        )
        parts.append(
            "<details><summary>numbers of the run</summary><ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(v))
            + "</ul></details>"
        )
        for name, (fig, path) in figures.get(v.act.name, {}).items():
            data = base64.b64encode(fig.png).decode("ascii")
            stem = path.removesuffix(".png")
            links = ", ".join(f"<a href='{stem}.{f}'>{f.upper()}</a>" for f in ("pdf", "svg"))
            parts.append(
                f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(name)} — {links}; data: <a href='{stem}.json'>"
                f"{stem}.json</a></figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)
