"""Pure renderers of a :class:`Verification`: JSON (a stable contract), terminal text, Markdown."""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

from numeric.width import theory_width_scale
from symbolic.result import json_float
from verify.checks import INFORMATIONAL, Verification

JSON_VERSION = 1


def _f(v: float | None) -> Any:
    return json_float(v)


def to_json(v: Verification) -> dict[str, Any]:
    """The JSON document of one run (keys documented in README.md, "JSON output")."""
    g, c, t = v.gram, v.certificate, v.training
    hc = v.act.hermite
    return {
        "version": JSON_VERSION,
        "activation": {"name": v.act.name, "expression": sp.sstr(v.act.expr)},
        "settings": {**v.settings.to_dict(), "sigma_w2": v.sigma_w2},
        "hermite": {
            "q": 1.0,
            "coefficients": [float(x) for x in v.coefficients.values] if v.coefficients else [],
            "error": _f(v.coefficients.error) if v.coefficients else None,
            "method": v.coefficients.method if v.coefficients else None,
            "exact": [sp.sstr(e) for e in v.exact],
            "nonzero_pattern": v.pattern,
            "closed_form": hc.display() if hc is not None else None,
        },
        "dual": {
            "closed_form": sp.sstr(v.act.dual) if v.act.dual is not None else None,
            "equal_variance_sum": sp.sstr(v.dual_symbolic) if v.dual_symbolic is not None else None,
        },
        "conditions": [r.to_dict() for r in v.conditions],
        "gram": None
        if g is None
        else {
            "q_star": g.q_star,
            "lambda_star": _f(v.gram_eigenvalues[0]) if v.gram_eigenvalues else None,
            "lambda_min_sigma": _f(v.lambda_min_sigma),
            "certificate": _f(c.value) if c else None,
            "certificate_gershgorin": _f(c.gershgorin) if c else None,
            "residual": g.residual,
            "steps": g.steps,
            "error": g.error,
            "contraction_diag": _f(g.contraction_diag),
            "contraction_offdiag": _f(g.contraction_offdiag),
            "ntk_lambda_min": _f(v.ntk_min),
            "method": g.method,
        },
        "width_sweep": None
        if v.sweep is None
        else {
            "widths": v.sweep.widths,
            "errors": v.sweep.errors,
            "slope": v.sweep.slope,
        },
        "width_study": None
        if v.study is None
        else {
            "widths": v.study.widths,
            "passed_fraction": v.study.passed,
            "smallest_width": v.study.smallest,
            "theory_scale": _f(v.study.theory_scale),
        },
        "training": None
        if t is None
        else {
            "width": t.width,
            "lambda_0": t.lambda_0,
            "lr": t.lr,
            "rate_measured": t.rate.rate,
            "rate_max_step": t.rate.max_ratio,
            "rate_bound": t.rate_bound,
            "rate_predicted": _f(t.rate_infinite),
            "rate_predicted_finite": t.rate_finite,
            "final_loss": t.final_loss,
            "well_posed": t.well_posed,
            "ntk_drift": t.history.ntk_drift[-1],
            "init_draws": t.init.draws,
        },
        "verdict": v.verdict.value,
        "notes": v.notes,
        "timings_s": v.timings,
    }


def _num(x: float | None, digits: int = 6) -> str:
    if x is None:
        return "—"
    if isinstance(x, float) and math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{digits}g}"


def condition_rows(v: Verification) -> list[list[str]]:
    """[condition, status, value, bound, method] for each verdict (shared by text/MD/HTML);
    informational checks (not part of the verdict) are marked with "(info)"."""
    return [
        [
            c.name + (" (info)" if c.name in INFORMATIONAL else ""),
            c.status.value,
            _num(c.value),
            _num(c.bound),
            c.method,
        ]
        for c in v.conditions
    ]


def summary_lines(v: Verification) -> list[str]:
    """The numbers under the table: coefficients, closed forms, λ*, λ_0, the rate."""
    out = [f"activation: {v.act.name} = {sp.sstr(v.act.expr)}", f"seed: {v.settings.seed}"]
    if v.coefficients:
        k = min(8, len(v.coefficients.values))
        err = v.coefficients.error
        coeffs = ", ".join(
            "0" if abs(float(x)) <= 10 * err else f"{float(x):.6g}"
            for x in v.coefficients.values[:k]
        )
        out.append(
            f"Hermite μ_0..μ_{k - 1}(1): {coeffs} (±{v.coefficients.error:.0e}, "
            f"{v.coefficients.method}); nonzero: {v.pattern}"
        )
    if v.exact:
        out.append("exact: " + ", ".join(sp.sstr(e) for e in v.exact[:6]))
    if v.act.hermite is not None:
        out.append("closed form in n: " + v.act.hermite.display())
    if v.act.dual is not None:
        out.append("dual E[φ(u)φ(v)] = " + sp.sstr(v.act.dual))
    if v.dual_symbolic is not None:
        out.append("dual at equal variance q: φ̂_q(ρ) = " + sp.sstr(v.dual_symbolic))
    out.append(f"σ_w² = {v.sigma_w2:.6g}")
    if v.gram is not None:
        g, c = v.gram, v.certificate
        out.append(
            f"q* = {g.q_star:.8g}; λ* = λ_min(G*) = {_num(v.gram_eigenvalues[0])}; "
            f"λ_min(Σ*) = {_num(v.lambda_min_sigma)}; certificate ≥ {_num(c.value)}; "
            f"fixed point: {g.steps} steps, residual {g.residual:.1e}"
        )
        out.append(
            f"contraction numbers: diagonal {_num(g.contraction_diag, 4)}, "
            f"off-diagonal {_num(g.contraction_offdiag, 4)}"
        )
    if v.ntk_min is not None:
        out.append(f"infinite-width NTK: λ_min(Θ*) = {v.ntk_min:.6g} (Θ* = lim Θ/m)")
    if v.sweep is not None:
        out.append(
            f"width sweep ‖ZᵀZ/m - G*‖/‖G*‖ over m = {v.sweep.widths}: log-log slope "
            f"{v.sweep.slope:.3f} (theory: -1/2)"
        )
    if v.gram_eigenvalues and v.data is not None:
        scale = theory_width_scale(v.data.n, v.gram_eigenvalues[0], v.settings.confidence_t)
        out.append(
            f"width requirement scale n²/λ*²·log(n²/t) = {_num(scale, 3)} "
            f"(t = {v.settings.confidence_t:g}; constants unknown)"
        )
    if v.study is not None:
        held = ", ".join(f"m={m}: {f:.0%}" for m, f in zip(v.study.widths, v.study.passed))
        out.append(
            f"width study (λ_0 ≥ mλ*/2 and linear rate, {v.settings.study_seeds} seeds): "
            f"{held}; smallest width with ≥ {v.study.fraction:.0%}: {v.study.smallest}"
        )
    t = v.training
    if t is not None:
        lam = v.gram_eigenvalues[0] if v.gram_eigenvalues else math.nan
        out.append(f"λ_0 = {t.lambda_0:.6g} vs m·λ*/2 = {t.width * lam / 2:.6g} (m = {t.width})")
        pred = _num(t.rate_infinite, 8)
        out.append(
            f"rate: measured {t.rate.rate:.8f}, bound {t.rate_bound:.8f}, predicted "
            f"(m·Θ*) {pred}, (Θ(0)) {t.rate_finite:.8f}; NTK drift {t.history.ntk_drift[-1]:.3f}"
        )
    s = v.settings
    out.append(
        "reconstructed constants (SPEC; --a-scale, --init-margin, --rate-constant): "
        f"a ~ N(0, {s.a_scale:g}/m); redraw W until L‖W‖₂ ≤ {1 - s.init_margin:g}; "
        f"rate bound 1 - {s.rate_constant:g}·ηλ_0; λ* := λ_min(G*) (λ_min(Σ*) reported too)"
    )
    out.extend(f"note: {n}" for n in v.notes)
    return out


def render_text(v: Verification) -> str:
    """Plain-text table and summary for the terminal."""
    header = ["condition", "status", "value", "bound", "method"]
    rows = condition_rows(v)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header[:4], widths)) + "  method"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows]
    return "\n".join([*lines, "", *summary_lines(v), f"verdict: {v.verdict.value}"]) + "\n"


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc])


def render_markdown(v: Verification, images: dict[str, str] | None = None) -> str:
    """One activation's section: verdict table, details of each check, numbers, plots."""
    parts = [f"## {v.act.name}: {v.verdict.value}", "", f"`φ(x) = {sp.sstr(v.act.expr)}`", ""]
    parts.append(_md_table(["condition", "status", "value", "bound", "method"], condition_rows(v)))
    parts += ["", "### Details", ""]
    parts += [f"- **{c.name}** ({c.status.value}): {c.detail}" for c in v.conditions]
    parts += ["", "### Numbers", ""] + [f"- {line}" for line in summary_lines(v)]
    for name, path in (images or {}).items():
        parts += ["", f"![{name}]({path})"]
    return "\n".join(parts) + "\n"


def spec_table_rows(runs: list[Verification]) -> list[list[str]]:
    """The cross-activation table in the spirit of SPEC §6."""
    rows = []
    for v in runs:

        def st(name: str, v: Verification = v) -> str:
            c = v.condition(name)
            return c.status.value if c else "—"

        lam = _num(v.gram_eigenvalues[0], 3) if v.gram_eigenvalues else "—"
        rows.append(
            [
                v.act.name,
                st("bounded_dphi"),
                st("bounded_d2phi"),
                st("bounded_phi"),
                f"{st('infinite_hermite')} ({v.pattern or '—'})",
                f"{st('lambda_star_positive')} ({lam})",
                v.verdict.value,
            ]
        )
    return rows


SPEC_HEADER = ["φ", "φ' bounded", "φ'' bounded", "φ bounded", "Hermite", "λ* > 0", "verdict"]


def render_summary_markdown(runs: list[Verification]) -> str:
    """Title, the SPEC §6 style summary table and the settings."""
    s = runs[0].settings
    source = runs[0].data.source if runs[0].data else "—"
    head = [
        "# deq-verify report",
        "",
        f"Seed {s.seed}; data n = {s.n}, d = {s.d} ({source}); "
        f"training {'on' if s.train else 'off'}. Constants marked reconstructed in SPEC.md: "
        f"a ~ N(0, {s.a_scale:g}/m), the redraw rule L‖W‖₂ ≤ {1 - s.init_margin:g}, "
        f"the rate bound 1 - {s.rate_constant:g}·ηλ_0, λ* = λ_min(G*).",
        "",
        "## Summary",
        "",
        _md_table(SPEC_HEADER, spec_table_rows(runs)),
        "",
    ]
    return "\n".join(head)
