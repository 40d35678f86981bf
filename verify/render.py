"""Pure renderers of a :class:`Verification`: JSON (a stable contract), terminal text, Markdown."""

from __future__ import annotations

import math
from typing import Any

import sympy as sp

from numeric.lambda_certificate import LambdaCertificate
from numeric.width import theory_width_scale
from verify.checks import Verification
from verify.decimals import estimate, expression, fixed, hex_ends, interval
from verify.results import CheckResult, Condition, Status, json_float
from verify.theorems import (
    THEOREMS,
    Assessment,
    Outcome,
    applies_label,
    conclusions_label,
    outcome_of,
    outcome_reason,
)

JSON_VERSION = 2


def _f(v: float | None) -> Any:
    return json_float(v)


def to_json(v: Verification) -> dict[str, Any]:
    """The JSON document of one run (keys documented in README.md, "JSON output")."""
    f, pop, t = v.symbolic, v.ok(v.population), v.ok(v.training)
    sweep, study = v.ok(v.sweep), v.ok(v.study)
    hc, co = v.act.hermite_closed_form, f.coefficients
    return {
        "version": JSON_VERSION,
        "activation": {"name": v.act.name, "expression": sp.sstr(v.act.expr)},
        "settings": {**v.settings.to_dict(), "sigma_w2": v.sigma_w2},
        "data": {
            "source": v.data.source,
            "n": v.data.n,
            "d": v.data.d,
            "notices": list(v.data.notices),
        },
        "hermite": {
            "q": 1.0,
            "coefficients": [float(x) for x in co.values] if co else [],
            "error": _f(co.error) if co else None,
            "method": co.method if co else None,
            "exact": [sp.sstr(e) for e in f.exact],
            "nonzero_pattern": _pattern(v),
            "closed_form": hc.display() if hc is not None else None,
        },
        "dual": {
            "closed_form": sp.sstr(v.act.dual) if v.act.dual is not None else None,
            "equal_variance_sum": sp.sstr(f.dual_symbolic) if f.dual_symbolic is not None else None,
        },
        "conditions": [r.to_dict() for r in v.conditions],
        "theorems": [
            {
                "id": a.theorem.id,
                "title": a.theorem.title,
                "reference": a.theorem.reference,
                "applies": applies_label(a.applies),
                "failed_hypotheses": [r.name.value for r in a.failed],
                "verdict": a.verdict.value,
                "outcome": a.outcome.value,
                "conclusions_measured": conclusions_label(a.applies) if a.conclusions else None,
                "conditions": [r.name.value for r in (*a.hypotheses, *a.conclusions, *a.regime)],
                "reconstructed": a.theorem.reconstructed,
            }
            for a in v.assessments
        ],
        "covered_by": list(v.covering),
        "gram": None
        if pop is None
        else {
            "q_star": pop.gram.q_star,
            "lambda_star": _f(pop.lambda_star),
            "lambda_star_error": _f(pop.spectrum.error),
            "lambda_star_enclosure": _certified(pop).enclosure if _certified(pop) else None,
            "lambda_star_enclosure_hex": hex_ends(*_certified(pop).enclosure)
            if _certified(pop)
            else None,
            "lambda_star_method": _certified(pop).method if _certified(pop) else None,
            "lambda_star_certified_positive": bool(_certified(pop) and _certified(pop).positive),
            "q_star_enclosure": _certified(pop).q_star.enclosure.as_list()
            if _certified(pop)
            else None,
            "q_star_enclosure_hex": _certified(pop).q_star.enclosure.exact_ends()
            if _certified(pop)
            else None,
            "certificate_failure": _certificate_failure(pop),
            "lambda_min_sigma": _f(pop.lambda_min_sigma),
            "certificate": None if pop.certificate is None else _f(pop.certificate.value),
            "certificate_gershgorin": None
            if pop.certificate is None
            else _f(pop.certificate.gershgorin),
            "residual": pop.gram.residual,
            "steps": pop.gram.steps,
            "error": pop.gram.error,
            "contraction_diag": _f(pop.gram.contraction_diag),
            "contraction_offdiag": _f(pop.gram.contraction_offdiag),
            "ntk_lambda_min": _f(pop.ntk_min),
            "method": pop.gram.method,
            "skipped": list(pop.skipped),
        },
        "width_sweep": None
        if sweep is None
        else {"widths": sweep.widths, "errors": sweep.errors, "slope": sweep.slope},
        "width_study": None
        if study is None
        else {
            "widths": study.widths,
            "passed_fraction": study.passed,
            "smallest_width": study.smallest,
            "theory_scale": _f(study.theory_scale),
            "lr": study.lr,
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
        "outcome": outcome_of(list(v.assessments)).value,
        "outcome_reason": outcome_reason(list(v.assessments)),
        "notes": list(v.notes),
        "timings_s": dict(v.timings),
    }


def _pattern(v: Verification) -> str:
    poly = v.symbolic.polynomial
    return getattr(poly, "pattern", "")


def _spectral(x: float | None) -> str:
    """An informational least eigenvalue, or why it is absent (computed with --spectra)."""
    return "not computed (--spectra)" if x is None else _num(x)


def _num(x: float | None, digits: int = 6) -> str:
    """An estimate, rounded to nearest (see :mod:`verify.decimals`)."""
    return estimate(x, digits)


def value_cell(c: CheckResult) -> str:
    """The measured value (an estimate, ± its error), and its certified enclosure rounded
    outward where one was proved."""
    text = _num(c.value) + (f" ± {c.error:.1e}" if c.error is not None else "")
    if c.enclosure is not None:
        text += f"; certified ∈ {interval(*c.enclosure, 6)}"
    return text


def condition_rows(v: Verification) -> list[list[str]]:
    """[condition, status, value, bound, method] for each verdict (shared by text/MD/HTML);
    informational checks (not part of the verdict) are marked with "(info)"."""
    return [
        [
            c.name.value + (" (info)" if c.name.informational else ""),
            c.status.value,
            value_cell(c),
            _num(c.bound),
            c.method,
        ]
        for c in v.conditions
    ]


def one_line(detail: str) -> str:
    """A detail's first sentence on one line (whitespace collapsed): the reason of an ERROR or
    INCONCLUSIVE in the terminal."""
    flat = " ".join(detail.split())
    for stop in (". Evidence:", ". "):
        cut = flat.find(stop)
        if cut > 0:
            return flat[:cut]
    return flat.rstrip(".") or "(no reason given)"


def reason_lines(v: Verification) -> list[str]:
    """One line per ERROR or INCONCLUSIVE condition: its name, status and reason."""
    return [
        f"- {c.name.value} {c.status.value}: {one_line(c.detail)}"
        for c in v.conditions
        if c.status in (Status.ERROR, Status.INCONCLUSIVE)
    ]


def summary_lines(v: Verification) -> list[str]:
    """The numbers under the table: coefficients, closed forms, λ*, λ_0, the rate."""
    f, pop, t = v.symbolic, v.ok(v.population), v.ok(v.training)
    out = [
        f"activation: {v.act.name} = {expression(v.act.expr)}",
        f"seed: {v.settings.seed}",
        f"data: {v.data.source}; n = {v.data.n}, d = {v.data.d}",
        *(f"notice: {n}" for n in v.data.notices),
    ]
    if f.coefficients:
        co = f.coefficients
        k = min(8, len(co.values))
        coeffs = ", ".join(
            "0" if abs(float(x)) <= 10 * co.error else f"{float(x):.6g}" for x in co.values[:k]
        )
        out.append(
            f"Hermite μ_0..μ_{k - 1}(1): {coeffs} (±{co.error:.0e}, {co.method}); "
            f"nonzero: {_pattern(v)}"
        )
    if f.exact:
        out.append("exact: " + ", ".join(expression(e) for e in f.exact[:6]))
    if v.act.hermite_closed_form is not None:
        out.append("closed form in n: " + v.act.hermite_closed_form.display())
    if v.act.dual is not None:
        out.append("dual E[φ(u)φ(v)] = " + expression(v.act.dual))
    if f.dual_symbolic is not None:
        out.append("dual at equal variance q: φ̂_q(ρ) = " + expression(f.dual_symbolic))
    out.append(f"σ_w² = {v.sigma_w2:.6g}")
    if pop is not None:
        g, c = pop.gram, pop.certificate
        out.append(
            f"q* = {g.q_star:.8g}; λ* = λ_min(G*) = {_num(pop.lambda_star)}; "
            f"λ_min(Σ*) = {_spectral(pop.lambda_min_sigma)}; float Hermite bound "
            f"{_spectral(None) if c is None else _num(c.value) + ' (an estimate)'}; "
            f"fixed point: {g.steps} steps, residual "
            f"{g.residual:.1e}"
        )
        ok = _certified(pop)
        if ok is not None:
            out.append(
                f"certified: λ* ∈ {interval(ok.lower, ok.upper, 10)}, q* ∈ "
                f"{ok.q_star.enclosure} ({ok.method})"
            )
        else:
            out.append(f"λ* not certified: {_certificate_failure(pop)}")
        out.append(
            f"contraction numbers: diagonal {_num(g.contraction_diag, 4)}, "
            f"off-diagonal {_num(g.contraction_offdiag, 4)}"
        )
        out.append(
            f"infinite-width NTK: λ_min(Θ*) = {_spectral(pop.ntk_min)} "
            f"(Θ* = lim Θ/m, a ~ N(0, {v.model.a_scale:g}/m))"
        )
        scale = theory_width_scale(v.data.n, pop.lambda_star, v.settings.study.confidence_t)
        out.append(
            f"width requirement scale n²/λ*²·log(n²/t) = {_num(scale, 3)} "
            f"(t = {v.settings.study.confidence_t:g}; constants unknown)"
        )
    if t is not None:
        lam = pop.lambda_star if pop is not None else math.nan
        out.append(
            f"λ_0 = {_num(t.lambda_0)} vs m·λ*/2 = {_num(t.width * lam / 2)} (m = {t.width})"
        )
        pred = _num(t.rate_infinite, 8)
        out.append(
            f"rate: measured {fixed(t.rate.rate, 8)}, bound {fixed(t.rate_bound, 8)}, predicted "
            f"(m·Θ*) {pred}, (Θ(0)) {fixed(t.rate_finite, 8)}; NTK drift "
            f"{fixed(t.history.ntk_drift[-1], 3)}"
        )
    m, sch = v.model, v.settings.schedule
    out.append(
        "reconstructed constants (--a-scale, --init-margin, --rate-constant): "
        f"a ~ N(0, {m.a_scale:g}/m); redraw W until L‖W‖₂ ≤ {1 - m.init_margin:g}; "
        f"rate bound 1 - {sch.rate_constant:g}·ηλ_0; λ* := λ_min(G*) (λ_min(Σ*) reported too)"
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
    reasons = reason_lines(v)
    why = ["", "reasons (each ERROR and INCONCLUSIVE):", *reasons] if reasons else []
    tail = [*summary_lines(v), "", "theorems:", *theorem_lines(v), "", verdict_line(v)]
    return "\n".join([*lines, *why, "", *tail]) + "\n"


def theorem_lines(v: Verification) -> list[str]:
    """One block per theorem: whether it applies and its outcome (n/a when it does not), which
    hypothesis failed (with its proof), its conclusions as measured on its own model (labelled
    "outside the hypotheses" where it does not apply), and its finite-width regime."""
    out = []
    for a in v.assessments:
        t = a.theorem
        out.append(
            f"- {t.id}: {applies_label(a.applies)} ({a.outcome.value}) — {t.title} ({t.reference})"
        )
        for r in a.failed:
            out.append(f"    - hypothesis {r.name.value} FAILS: {r.detail}")
        for r in a.hypotheses:
            if r.status not in (Status.PASS, Status.FAIL):
                out.append(f"    - hypothesis {r.name.value} {r.status.value}: {r.detail}")
        if a.conclusions:
            out.append(f"    - {conclusions_cell(a)}")
        elif a.applies is Status.FAIL:
            out.append("    - conclusions: not measured (its model does not accept φ)")
        if a.regime:
            regime = ", ".join(f"{r.name.value} {r.status.value}" for r in a.regime)
            out.append(f"    - information (not required): {regime}")
        out.append(f"    - model: {t.model}; reconstructed: {t.reconstructed}")
    return out


def conclusions_cell(a: Assessment) -> str:
    """The conclusions measured, with the label that says whether they test the theorem."""
    if not a.conclusions:
        return "—"
    measured = ", ".join(f"{r.name.value} {r.status.value}" for r in a.conclusions)
    return f"conclusions ({conclusions_label(a.applies)}): {measured}"


def theorem_rows(v: Verification) -> list[list[str]]:
    """One row per theorem: id and reference, applies, outcome (n/a where it does not apply),
    refuted hypotheses (with the proof), conclusions as measured (labelled)."""
    return [
        [
            f"{a.theorem.id} — {a.theorem.title} ({a.theorem.reference})",
            applies_label(a.applies),
            a.outcome.value,
            "; ".join(f"{r.name.value}: {r.detail}" for r in a.failed) or "—",
            conclusions_cell(a),
        ]
        for a in v.assessments
    ]


def outcome(v: Verification) -> Outcome:
    """The run's outcome word (docs/theory.md §8.1)."""
    return outcome_of(list(v.assessments))


def verdict_line(v: Verification) -> str:
    """The outcome with its reason: the covering theorems, the conclusion that failed, the check
    that could not run, what is undecided, or why no theorem applies."""
    return f"verdict: {outcome(v).value} ({outcome_reason(list(v.assessments))})"


THEOREM_HEADER = ["theorem", "applies", "outcome", "refuted hypotheses", "conclusions measured"]


def _md_word(word: str) -> str:
    """n/a in italics (Markdown has no grey)."""
    return "*n/a*" if word == Outcome.NOT_APPLICABLE.value else word


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = [[c.replace("|", "\\|") for c in r] for r in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc])


def render_markdown(v: Verification, images: dict[str, str] | None = None) -> str:
    """One activation's section: verdict table, details of each check, numbers, plots."""
    parts = [f"## {v.act.name}: {outcome(v).value}", "", f"`φ(x) = {expression(v.act.expr)}`", ""]
    parts.append(_md_table(["condition", "status", "value", "bound", "method"], condition_rows(v)))
    parts += ["", "### Details", ""]
    parts += [f"- **{c.name.value}** ({c.status.value}): {c.detail}" for c in v.conditions]
    rows = [[r[0], r[1], _md_word(r[2]), *r[3:]] for r in theorem_rows(v)]
    parts += ["", "### Theorems", "", _md_table(THEOREM_HEADER, rows), ""]
    parts += [*theorem_lines(v), "", f"**{verdict_line(v)}**"]
    parts += ["", "### Numbers", ""] + [f"- {line}" for line in summary_lines(v)]
    for name, path in (images or {}).items():
        parts += ["", f"![{name}]({path})"]
    return "\n".join(parts) + "\n"


def spec_table_rows(runs: list[Verification]) -> list[list[str]]:
    """The cross-activation table: each hypothesis's status, λ* and the verdict."""
    rows = []
    for v in runs:

        def st(name: Condition, v: Verification = v) -> str:
            c = v.condition(name)
            return c.status.value if c else "—"

        pop = v.ok(v.population)
        lam = _num(pop.lambda_star, 3) if pop is not None else "—"
        rows.append(
            [
                v.act.name,
                st(Condition.BOUNDED_DPHI),
                st(Condition.BOUNDED_D2PHI),
                st(Condition.BOUNDED_PHI),
                f"{st(Condition.INFINITE_HERMITE)} ({_pattern(v) or '—'})",
                f"{st(Condition.LAMBDA_STAR_POSITIVE)} ({lam})",
                *(_theorem_cell(v, t) for t in THEOREMS),
                outcome(v).value,
            ]
        )
    return rows


def _theorem_cell(v: Verification, theorem_id: str) -> str:
    a = next((a for a in v.assessments if a.theorem.id == theorem_id), None)
    if a is None:
        return "—"
    if a.applies is Status.FAIL:
        return a.outcome.value
    return f"{applies_label(a.applies).lower()}, {a.outcome.value}"


SPEC_HEADER = [
    "φ",
    "φ' bounded",
    "φ'' bounded",
    "φ bounded",
    "Hermite",
    "λ* > 0",
    *THEOREMS,
    "verdict",
]


def render_summary_markdown(runs: list[Verification]) -> str:
    """Title, the summary table over activations and the settings."""
    first = runs[0]
    s, m = first.settings, first.model
    head = [
        "# deq-verify report",
        "",
        f"Seed {s.seed}; data n = {first.data.n}, d = {first.data.d} ({first.data.source}); "
        f"training {'on' if s.train else 'off'}. Reconstructed constants: "
        f"a ~ N(0, {m.a_scale:g}/m), the redraw rule L‖W‖₂ ≤ {1 - m.init_margin:g}, "
        f"the rate bound 1 - {s.schedule.rate_constant:g}·ηλ_0, λ* = λ_min(G*).",
        "",
        "## Summary",
        "",
        _md_table(SPEC_HEADER, spec_table_rows(runs)),
        "",
    ]
    return "\n".join(head)


def _certified(pop) -> LambdaCertificate | None:
    """The population's λ* enclosure, when one was proved."""
    c = pop.certified
    return c if isinstance(c, LambdaCertificate) else None


def _certificate_failure(pop) -> str | None:
    """Why λ* has no enclosure (None when it has one)."""
    if isinstance(pop.certified, LambdaCertificate):
        return None
    return (
        "certification turned off (--no-certify)" if pop.certified is None else str(pop.certified)
    )
