"""How results leave the program: every certified number parsed back from every export (text,
JSON, Markdown, HTML, CSV, LaTeX, figure labels) and checked against the proved enclosure in the
safe direction and within one unit of its last printed digit; the verdict words in each report;
LaTeX that pdflatex compiles; figures for papers (three formats, one colour per activation, axes
that follow the data, no overlapping tick labels); the HTML report in a real Chromium.

One relu and one sin run (no training, 8 Hermite terms) and one synthetic study atlas serve the
whole file."""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from flint import arb

from verify import ExitCode, main
from verify.checks import run_checks
from verify.decimals import estimate, expression, fixed, interval, lower, upper
from verify.figures import COLORS, LOG_PAD, overlapping_tick_labels, styles
from verify.plots import make_plots
from verify.render import render_markdown, render_text, to_json
from verify.report import SUMMARY_HEADER, render_html, summary_rows, write_report
from verify.results import CheckResult, Condition, Status
from verify.settings import PrecisionSettings, Settings, StudySettings
from verify.study.analysis import analyse
from verify.study.atlas import GROUP_HEADER, summary_json, write_atlas
from verify.tex import PACKAGES, tex_text, to_tex
from verify.theorems import THEOREMS, assess

QUICK = Settings(
    train=False,
    study=StudySettings(width_sweep=False),
    precision=PrecisionSettings(hermite_terms=8, dps=20),
)
#: Exact binary fractions whose decimal expansions end in 5 at the 7th significant digit: exactly
#: halfway between two 6-digit decimals. Rounded to nearest (ties to even) the lower end goes UP
#: (1.23438) and the upper end DOWN (1.26562): both would leave the enclosure.
HALF_LO, HALF_HI = 1 + 15 / 64, 1 + 17 / 64
#: The issue's study case: tanh, sphere, n = 8 proved λ* ≥ 0.014342775…; to nearest 0.0143428.
TANH_LOWER = 0.014342775
NUM = r"(-?[0-9][0-9.]*(?:e[-+][0-9]+)?)"
BRACKET = re.compile(rf"\[{NUM}, {NUM}\]")


def exact(x) -> Fraction:
    """The exact value of a float, an exact arb, or a decimal string."""
    if isinstance(x, str):
        return Fraction(Decimal(x))
    if isinstance(x, arb):
        man, exp = (int(v) for v in x.mid().man_exp())
        return Fraction(man) * Fraction(2) ** exp
    return Fraction(x)


def unit(text: str) -> Fraction:
    """One unit in the last printed digit of a decimal string."""
    d = Decimal(text)
    return Fraction(10) ** d.as_tuple().exponent


def check_lower(text: str, value) -> None:
    """``text`` is a safe printed lower bound of ``value``: ≤ it, and within one unit of the last
    printed digit (a bound pushed further out, or rounded the wrong way, fails)."""
    gap = exact(value) - exact(text)
    assert 0 <= gap < unit(text), (text, value)


def check_upper(text: str, value) -> None:
    gap = exact(text) - exact(value)
    assert 0 <= gap < unit(text), (text, value)


def certified_brackets(text: str, lo: float) -> list[tuple[str, str]]:
    """Every printed [a, b] whose lower end is within 1e-3 (relative) of ``lo``."""
    return [
        (a, b) for a, b in BRACKET.findall(text) if abs(float(a) - lo) <= 1e-3 * abs(lo) + 1e-300
    ]


@pytest.fixture(scope="module")
def relu():
    """As a report runs it (--spectra: the figure draws the float Hermite bound too)."""
    return run_checks(replace(QUICK, activation="relu", spectra=True))


@pytest.fixture(scope="module")
def sin():
    return run_checks(replace(QUICK, activation="sin"))


@pytest.fixture(scope="module")
def report(tmp_path_factory, sin, relu) -> Path:
    return write_report([sin, relu], tmp_path_factory.mktemp("rep") / "r", force=False)


def with_enclosure(v, lo: float, hi: float):
    """``v`` with λ*'s certificate moved to [lo, hi] (in the population and in its condition)."""
    pop = replace(v.population, certified=replace(v.population.certified, lower=lo, upper=hi))
    conditions = tuple(
        replace(c, enclosure=(lo, hi)) if c.name is Condition.LAMBDA_STAR_POSITIVE else c
        for c in v.conditions
    )
    return replace(v, population=pop, conditions=conditions)


def exports(v) -> dict[str, str]:
    """Every text export of one run, from the pure renderers (no figures)."""
    rows = summary_rows([v])
    return {
        "text": render_text(v),
        "json": json.dumps(to_json(v), ensure_ascii=False),
        "markdown": render_markdown(v),
        "html": html.unescape(render_html([v], {})),
        "csv": "\n".join(",".join(r) for r in rows),
        "tex": to_tex(SUMMARY_HEADER, rows),
    }


# --- A. outward rounding ----------------------------------------------------------------------


def test_the_roundings_at_exact_halfway_points_and_at_the_issues_numbers():
    """The rounding functions alone: a halfway value goes the safe way (to nearest it goes the
    unsafe way, which is the fault), exact values print exactly, signs and infinities."""
    assert f"{HALF_LO:.6g}" == "1.23438" and f"{HALF_HI:.6g}" == "1.26562"  # the fault
    assert lower(HALF_LO) == "1.23437" and upper(HALF_HI) == "1.26563"
    assert interval(HALF_LO, HALF_HI, 6) == "[1.23437, 1.26563]"
    assert interval(HALF_LO, HALF_HI, 7) == "[1.234375, 1.265625]"  # exact at 7 digits
    assert interval(0.0086686325, 0.0086686423, 6) == "[0.00866863, 0.00866865]"
    assert lower(TANH_LOWER) == "0.0143427" and estimate(TANH_LOWER) == "0.0143428"
    assert lower(-HALF_LO) == "-1.23438" and upper(-HALF_LO) == "-1.23437"
    assert upper(math.inf) == "inf" and lower(-math.inf) == "-inf" and lower(None) == "—"
    ball = arb(1) / 3  # a ball: its ends are rounded, not its midpoint
    lo, hi = interval(ball, None, 8)[1:-1].split(", ")
    check_lower(lo, ball.lower()) and check_upper(hi, ball.upper())


def test_estimates_stay_short_and_round_to_nearest():
    assert fixed(1e300 * 0.797, 4) == "7.97e+299" and fixed(0.99609683, 4) == "0.9961"
    assert estimate(1e150) == "1e+150" and estimate(math.inf) == "∞"
    assert len(fixed(1e300, 8)) < 20


def test_every_text_export_of_the_real_run_holds_the_proved_enclosure(relu):
    """relu: the issue's case. The printed λ* interval contains the certificate's float ends
    (which contain the Arb ball) in every export; q*'s contains its Arb ball itself."""
    cert = relu.population.certified
    for fmt, text in exports(relu).items():
        found = certified_brackets(text, cert.lower)
        assert found, fmt
        for a, b in found:
            if fmt == "json":  # JSON numbers are float64 (shortest round-trip repr): the floats
                assert float(a) <= cert.lower and float(b) >= cert.upper  # themselves
                continue
            check_lower(a, cert.lower)
            check_upper(b, cert.upper)
    ball = cert.q_star.enclosure.ball
    q_text = re.search(rf"q\* ∈ \[{NUM}, {NUM}\]", render_text(relu))
    check_lower(q_text.group(1), ball.lower())
    check_upper(q_text.group(2), ball.upper())


def test_halfway_ends_are_printed_outward_in_every_format(relu):
    """An enclosure whose ends lie exactly halfway between two printed decimals: rounding to
    nearest would move both ends inward."""
    v = with_enclosure(relu, HALF_LO, HALF_HI)
    for fmt, text in exports(v).items():
        found = certified_brackets(text, HALF_LO)
        assert len(found) >= (1 if fmt in ("csv", "tex") else 2), fmt
        for a, b in found:
            check_lower(a, HALF_LO)
            check_upper(b, HALF_HI)
        if fmt != "json":
            assert "[1.23437, 1.26563]" in text, fmt  # the 6-digit cells


def test_the_json_carries_outward_floats_and_exact_hex_ends(relu):
    doc = to_json(relu)
    cert = relu.population.certified
    g = doc["gram"]
    assert g["lambda_star_enclosure"] == [cert.lower, cert.upper]
    assert [float.fromhex(h) for h in g["lambda_star_enclosure_hex"]] == [cert.lower, cert.upper]
    ball = cert.q_star.enclosure.ball
    q_lo, q_hi = (float.fromhex(h) for h in g["q_star_enclosure_hex"])
    assert exact(q_lo) <= exact(ball.lower()) and exact(q_hi) >= exact(ball.upper())
    assert g["q_star_enclosure"] == [q_lo, q_hi]
    lam = next(c for c in doc["conditions"] if c["name"] == "lambda_star_positive")
    assert [float.fromhex(h) for h in lam["enclosure_hex"]] == lam["enclosure"]
    lip = next(c for c in doc["conditions"] if c["name"] == "bounded_dphi")
    assert lip["enclosure_hex"] == [(1.0).hex(), (1.0).hex()]  # relu: L = 1 exactly
    no_enclosure = next(c for c in doc["conditions"] if c["name"] == "data_nonparallel")
    assert no_enclosure["enclosure_hex"] is None


def test_report_files_csv_tex_and_the_figure_label_hold_the_enclosure(report, relu):
    cert = relu.population.certified
    rows = list(csv.DictReader(io.StringIO((report / "summary.csv").read_text("utf-8"))))
    cell = next(r for r in rows if r["φ"] == "relu")["λ* certified in"]
    a, b = BRACKET.fullmatch(cell).groups()
    check_lower(a, cert.lower)
    check_upper(b, cert.upper)
    for name in ("summary.tex", "report.md", "report.html"):
        text = html.unescape((report / name).read_text("utf-8"))
        found = certified_brackets(text, cert.lower)
        assert found, name
        for a, b in found:
            check_lower(a, cert.lower)
            check_upper(b, cert.upper)
    labels = json.loads((report / "relu_gram.json").read_text("utf-8"))
    assert [float.fromhex(h) for h in labels["certified_hex"]] == [cert.lower, cert.upper]


def test_the_figure_label_of_the_certified_lower_end_is_rounded_down(relu):
    v = with_enclosure(relu, HALF_LO, HALF_HI)
    fig = make_plots(v)["gram"].figure
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    label = next(t for t in texts if t.startswith("certified lower end"))
    check_lower(label.rsplit(": ", 1)[1], HALF_LO)
    assert label.endswith(": 1.23437")
    assert any(t.startswith("float Hermite bound on λ* ≈") for t in texts)  # an estimate


def test_estimates_are_not_labelled_certified(relu):
    text = render_text(relu)
    assert "certificate ≥" not in text and "float Hermite bound" in text
    for line in text.splitlines():
        if "certified" in line and "not certified" not in line:
            assert BRACKET.search(line) or "certified:" in line or "(certified" in line, line


# --- the study's exports ------------------------------------------------------------------------

NASTY = "a_b^c%&#{}\\x~$<>|"  # a formula name with every LaTeX special character


def _group(act: str, data: str, n: int, lo: float, lam: float) -> dict:
    return {
        "activation": act,
        "data": data,
        "n": n,
        "lambda_star": lam,
        "lambda_star_enclosure": [lo, lam * 1.0000001],
        "q_star": 0.2,
        "sigma_w2": 0.0625,
        "covered": "FAIL" if act == "relu" else "PASS",
        "refuted": ["bounded_d2phi"] if act == "relu" else [],
    }


def _cell(act, data, n, m, k, held) -> dict:
    return {
        "activation": act,
        "data": data,
        "n": n,
        "width": m,
        "held": held,
        "rate": 0.9 + 0.001 * k,
        "rate_bound": 0.99,
        "rate_finite": 0.91,
        "rate_infinite": None,
        "lambda_0_ratio": 1.0,
        "seconds": 0.1,
        "replicate": k,
    }


@pytest.fixture(scope="module")
def atlas_dir(tmp_path_factory):
    """A synthetic study: crowded n and widths (tick labels that collide unless thinned), the
    issue's tanh lower end, a halfway lower end, a LaTeX-hostile name and a non-ASCII file."""
    ns, widths = (8, 9, 10, 11, 12), (32, 33, 34, 64)
    acts = {"tanh": TANH_LOWER, "relu": HALF_LO, NASTY: 0.5, "sin": 0.25}
    groups, cells = [], []
    for act, lo in acts.items():
        for data in ("sphere", "données.csv"):
            for n in ns:
                groups.append(_group(act, data, n, lo, lo * 1.00000001))
                for m in widths:
                    cells += [_cell(act, data, n, m, k, m >= 4 * n) for k in range(2)]
    atlas = analyse(groups, cells, 0.8, 0.01)
    folder = tmp_path_factory.mktemp("atlas")
    figures = write_atlas(atlas, cells, folder, {"seed": "0"})
    return folder, atlas, figures, acts


def test_study_groups_print_the_certified_lower_end_rounded_down(atlas_dir):
    folder, atlas, _, acts = atlas_dir
    col = GROUP_HEADER.index("λ* certified ≥")
    rows = list(csv.reader(io.StringIO((folder / "groups.csv").read_text("utf-8"))))[1:]
    assert len(rows) == len(atlas.groups)
    for row in rows:
        check_lower(row[col], acts[row[0]])
    tanh = [r[col] for r in rows if r[0] == "tanh"]
    assert set(tanh) == {"0.0143427"}  # the issue printed 0.0143428, above the proof
    assert {r[col] for r in rows if r[0] == "relu"} == {"1.23437"}
    tex_rows = [
        line for line in (folder / "groups.tex").read_text("utf-8").splitlines() if " & " in line
    ][1:]
    assert len(tex_rows) == len(rows)
    for line, row in zip(tex_rows, rows):
        check_lower(line.split(" & ")[col], acts[row[0]])
    md = [
        [c.strip() for c in line.split(" | ")]
        for line in (folder / "atlas.md").read_text("utf-8").splitlines()
        if line.startswith(("| tanh |", "| relu |")) and line.count(" | ") == len(GROUP_HEADER) - 1
    ]
    page = html.unescape((folder / "atlas.html").read_text("utf-8"))
    cells = [re.findall(r"<td>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", page)]
    cells = [c for c in cells if c and c[0] in ("tanh", "relu") and len(c) == len(GROUP_HEADER)]
    assert len(md) == len(cells) == len([r for r in rows if r[0] in ("tanh", "relu")])
    for row in [*md, *cells]:
        name = row[0].lstrip("| ")
        check_lower(row[col], acts[name])
    summary = summary_json(atlas, {}, "sphere")
    hexes = summary["activations"]["tanh"]["lambda_star_certified_lower_hex"]
    assert {float.fromhex(h) for h in hexes.values()} == {TANH_LOWER}


# --- D. LaTeX ---------------------------------------------------------------------------------


def test_tex_text_escapes_user_text_and_writes_symbols_as_macros():
    assert tex_text("a_b^c%&#{}\\") == (r"a\_b\textasciicircum{}c\%\&\#\{\}\textbackslash{}")
    assert tex_text("λ* ≥ 0.5 · σ²") == r"$\lambda$* $\geq$ 0.5 $\cdot$ $\sigma$\textsuperscript{2}"
    assert tex_text("é—数") == r"{\'{e}}---?"
    tex = to_tex(["a_b", "φ"], [["x&y", "50%"]], ["a", r"$\varphi$"])
    first, *_ = tex.splitlines()
    assert first.startswith("%") and r"\usepackage{booktabs}" in first
    assert r"a & $\varphi$ \\" in tex and r"x\&y & 50\% \\" in tex
    with pytest.raises(ValueError):
        to_tex(["a", "b"], [["only one"]])


def _pdflatex():
    found = shutil.which("pdflatex")
    if found is None and os.environ.get("DEQ_VERIFY_REQUIRE_PDFLATEX"):
        pytest.fail("pdflatex is required here (DEQ_VERIFY_REQUIRE_PDFLATEX) but not installed")
    if found is None:
        pytest.skip("needs pdflatex with booktabs (CI installs texlive-latex-recommended)")
    return found


def test_every_tex_export_compiles_with_pdflatex(report, atlas_dir, tmp_path):
    """Each .tex file of a report and of a study, \\input into a bare article that loads exactly
    the packages its first line names: pdflatex succeeds and drops no character."""
    pdflatex = _pdflatex()
    folder, *_ = atlas_dir
    files = [report / "summary.tex", *sorted(folder.glob("*.tex"))]
    assert {f.name for f in files} == {"summary.tex", "groups.tex", "exponents.tex", "rates.tex"}
    extra = tmp_path / "extra.tex"  # user text no font has: a CJK file name, a Greek formula
    extra.write_text(to_tex(["data", "φ"], [["数据.csv", "sin(θ·x)+μ"], [NASTY, "ζ"]]), "utf-8")
    files.append(extra)
    packages = set()
    body = []
    for i, f in enumerate(files):
        text = f.read_text("utf-8")
        first = text.splitlines()[0]
        assert first.startswith("% deq-verify export: needs")
        packages |= set(re.findall(r"\\usepackage\{([^}]+)\}", first))
        (tmp_path / f"t{i}.tex").write_text(text, encoding="utf-8")
        body.append(rf"\input{{t{i}.tex}}\par")
    assert packages == set(PACKAGES)
    doc = (
        r"\documentclass{article}\usepackage[landscape,margin=1cm]{geometry}"
        + "".join(rf"\usepackage{{{p}}}" for p in sorted(packages))
        + r"\begin{document}\tiny "
        + "\n".join(body)
        + r"\end{document}"
    )
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    run = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / "doc.log").read_text("utf-8", errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    assert r"sin(\ensuremath" not in log  # (no math-mode leak into the log's error lines)
    assert (tmp_path / "doc.pdf").read_bytes()[:5] == b"%PDF-"


# --- E. figures -------------------------------------------------------------------------------


def test_report_figures_in_three_formats_each_activation_in_its_one_colour(report):
    palette = styles(["sin", "relu"])
    assert palette["sin"].color != palette["relu"].color
    assert styles(["relu", "sin"]) == palette  # the answer depends on the names only
    for act, other in (("sin", "relu"), ("relu", "sin")):
        for fig in ("hermite", "dual", "gram"):
            stem = report / f"{act}_{fig}"
            assert (stem.with_suffix(".png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert (stem.with_suffix(".pdf")).read_bytes()[:5] == b"%PDF-"
            svg = (stem.with_suffix(".svg")).read_text("utf-8")
            assert "<svg" in svg
            assert palette[act].color in svg and palette[other].color not in svg, (act, fig)


def test_palette_is_deterministic_and_distinct_within_a_set():
    study = styles(["sin", "tanh", "sigmoid", "relu", "exp"])
    assert len({s.color for s in study.values()}) == 5
    assert study["sin"].color == COLORS[0]  # registry activations keep their own slot
    assert styles(["x*exp(-x**2)", "sin"])["sin"] == study["sin"]
    many = styles([f"x**{k}" for k in range(12)])
    assert len({(s.color, s.marker) for s in many.values()}) == 12


def test_figure_axes_follow_the_data_and_ticks_do_not_overlap(relu):
    """relu's Hermite coefficients span 1.5 decades, its error estimate is 1e-41: the axis used
    to span 40 decades. Now it spans the coefficients drawn, padded by a quarter decade."""
    figs = make_plots(relu)
    shown = [abs(m) for n, m in enumerate(figs["hermite"].data["mu"]) if abs(m) > 1e-30]
    lo, hi = figs["hermite"].figure.axes[0].get_ylim()
    assert min(shown) / (LOG_PAD * 1.001) <= lo and hi <= max(shown) * LOG_PAD * 1.001
    gram = figs["gram"].data  # the eigenvalues and the two lines drawn near them
    drawn = [*gram["eigenvalues"], gram["hermite_bound"], *gram["certified"]]
    lo, hi = figs["gram"].figure.axes[0].get_ylim()
    assert min(drawn) / (LOG_PAD * 1.001) <= lo and hi <= max(drawn) * LOG_PAD * 1.001
    for name, fig in figs.items():
        assert overlapping_tick_labels(fig.figure) == [], name
        assert set(fig.files) == {"png", "pdf", "svg"}


def test_study_figures_keep_colours_fit_the_data_and_thin_crowded_ticks(atlas_dir):
    """n = 8..12 and widths 32, 33, 34 on log axes: their labels collide unless thinned."""
    folder, atlas, figures, acts = atlas_dir
    for name in ("lambda_star", "minimal_width", "rates"):
        for fmt in ("png", "pdf", "svg"):
            assert (folder / f"{name}.{fmt}").stat().st_size > 1000
    palette = styles(acts)
    for name, fig in figures.items():
        assert overlapping_tick_labels(fig.figure) == [], name
        for line in fig.figure.axes[0].get_lines():
            act = line.get_label().rsplit(" (", 1)[0]
            if act in palette:
                assert line.get_color() == palette[act].color, (name, act)
                assert line.get_marker() == palette[act].marker, (name, act)
    ax = figures["lambda_star"].figure.axes[0]
    lams = [r.lambda_star for r in atlas.groups]
    lo, hi = ax.get_ylim()
    assert min(lams) / (LOG_PAD * 1.001) <= lo and hi <= max(lams) * LOG_PAD * 1.001
    labels = [t.get_text() for t in figures["minimal_width"].figure.axes[0].get_yticklabels()]
    assert "32" in labels and "" in labels  # one of the colliding labels was blanked


# --- B and C: verdict words and reasons in every format -----------------------------------------


def test_the_words_in_text_markdown_html_and_json(relu, sin):
    """relu: Truong does not apply (n/a, its measured conclusions outside the hypotheses); sin:
    the ReLU papers are n/a with nothing measured."""
    text, md = render_text(relu), render_markdown(relu)
    assert "- truong2023: DOES NOT APPLY (n/a)" in text
    assert "conclusions (outside the hypotheses): lambda_star_positive PASS" in text
    assert "verdict: PASS (covered by ling2023, gao2022)" in text
    assert "| DOES NOT APPLY | *n/a* |" in md and "| APPLIES | PASS |" in md
    page = render_html([relu, sin], {})
    assert '<td class="na">n/a</td>' in page and "ling2023" in page
    assert 'DOES NOT APPLY</td><td class="FAIL">' not in page  # the issue's red FAIL
    doc = {t["id"]: t for t in to_json(relu)["theorems"]}
    assert doc["truong2023"]["outcome"] == "n/a"
    assert doc["truong2023"]["conclusions_measured"] == "outside the hypotheses"
    assert doc["truong2023"]["verdict"] == "FAIL"  # version 2's status, kept
    assert doc["ling2023"]["outcome"] == "PASS"
    assert doc["ling2023"]["conclusions_measured"] == "within the hypotheses"
    sdoc = {t["id"]: t for t in to_json(sin)["theorems"]}
    assert sdoc["gao2022"]["outcome"] == "n/a" and sdoc["gao2022"]["conclusions_measured"] is None
    assert to_json(sin)["outcome"] == "PASS"


def test_not_covered_in_the_reports(relu):
    refuted = CheckResult(Condition.RELU_ACTIVATION, Status.FAIL, None, None, "m", "not relu")
    conditions = tuple(refuted if c.name is refuted.name else c for c in relu.conditions)
    by = {c.name: c for c in conditions}
    blocks = tuple(assess(t, by) for t in THEOREMS.values())
    v = replace(relu, conditions=conditions, assessments=blocks)
    assert to_json(v)["outcome"] == "NOT COVERED" and to_json(v)["verdict"] == "FAIL"
    assert "truong2023: bounded_d2phi refuted" in to_json(v)["outcome_reason"]
    assert (
        render_text(v)
        .rstrip()
        .splitlines()[-1]
        .startswith("verdict: NOT COVERED (no theorem's hypotheses hold for φ")
    )
    page = render_html([v], {})
    assert "<span class='NOT-COVERED'>NOT COVERED</span>" in page


def test_text_gives_every_error_and_inconclusive_its_one_line_reason(relu):
    odd = (
        CheckResult(
            Condition.WIDTH_SWEEP,
            Status.ERROR,
            None,
            None,
            "check could not run",
            "the solver stopped\nafter 500 steps: residual 1e-3. Raise --max-steps.",
        ),
        CheckResult(
            Condition.WEIGHT_SCALE,
            Status.INCONCLUSIVE,
            0.06,
            0.1,
            "L known only numerically",
            "L was not proved exactly. Evidence: grid max 1.09.",
        ),
    )
    v = replace(relu, conditions=(*relu.conditions, *odd))
    lines = render_text(v).splitlines()
    start = lines.index("reasons (each ERROR and INCONCLUSIVE):")
    reasons = lines[start + 1 : start + 1 + 2]
    assert reasons == [
        "- weight_scale INCONCLUSIVE: L was not proved exactly",
        "- width_sweep ERROR: the solver stopped after 500 steps: residual 1e-3",
    ] or reasons == [
        "- width_sweep ERROR: the solver stopped after 500 steps: residual 1e-3",
        "- weight_scale INCONCLUSIVE: L was not proved exactly",
    ]
    assert "reasons (" not in render_text(relu)  # none when every condition is decided


# --- F. messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["activation", "relu", "--gamma", "1e300"], "7.9788e+299"),
        (["activation", "sin", "--n", "1"], "vacuous"),
        (["study", "--n", "1,4", "--out", "OUT", "--data", "sphere"], "vacuous"),
    ],
)
def test_messages_are_one_short_line(argv, needle, capsys, tmp_path):
    argv = [str(tmp_path / "s") if a == "OUT" else a for a in argv]
    assert main(argv) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err and len(err) < 400, err
    assert not re.search(r"\d{20}", err)


def test_long_numbers_in_formulas_print_in_scientific_notation(relu):
    """A soft ReLU (x + √(x² + 1e-300))/2: its formula, and sup|φ''| = 5·10¹⁴⁹, used to print as
    300- and 150-digit integers; the JSON keeps the exact forms."""
    import sympy as sp

    from symbolic.activations import resolve

    soft = resolve("(x + sqrt(x**2 + 1e-300))/2")
    assert expression(soft.expr) == "x/2 + sqrt(x**2 + 1.0e-300)/2"
    assert expression(sp.Integer(5 * 10**149)) == "5.0e+149"
    x = sp.Symbol("x")
    assert expression(sp.Integer(10) ** 14 * x + sp.Rational(1, 7)) == "100000000000000*x + 1/7"
    v = replace(relu, act=soft)
    for text in (render_text(v), render_markdown(v), render_html([v], {})):
        assert not re.search(r"\d{20}", text)
    assert "1/1" + "0" * 300 + ")" in to_json(v)["activation"]["expression"]  # exact


def test_a_data_file_of_one_row_is_refused(tmp_path, capsys):
    (tmp_path / "one.csv").write_text("1,2,3\n")
    assert main(["activation", "sin", "--data", str(tmp_path / "one.csv")]) == ExitCode.USAGE
    assert "vacuous" in capsys.readouterr().err


# --- the HTML report in a real browser --------------------------------------------------------


def _chromium() -> None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("DEQ_VERIFY_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required here (DEQ_VERIFY_REQUIRE_BROWSER) but not installed")
    if found is None:
        pytest.skip("needs Debian's chromium (CI installs it and sets DEQ_VERIFY_REQUIRE_BROWSER)")


def test_the_report_and_its_svg_figures_in_a_real_browser(report):
    """Chromium: no error; every embedded figure decodes and fits the page; n/a is painted grey
    and REFUTED/FAIL red nowhere for a theorem that does not apply; the SVG files decode too."""
    _chromium()
    from scripts.screenshot_report import browser_check

    seen = browser_check(report / "report.html")
    assert seen["errors"] == [] and seen["broken"] == [] and seen["images"] == 6
    for img in seen["sizes"]:
        assert img["natural"][0] > 300 and img["shown"][1] > 100
        assert 0 <= img["left"] and img["right"] <= seen["page_width"]
    na = [s for s in seen["styled"] if s["text"] == "n/a"]
    assert na and all(s["color"] == "rgb(136, 136, 136)" for s in na)  # grey, from .na
    assert {s["color"] for s in seen["styled"] if s["text"] == "PASS"} == {"rgb(10, 122, 47)"}
    page = report / "svg.html"
    svgs = sorted(p.name for p in report.glob("*.svg"))
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'></head><body>"
        + "".join(f"<img alt='{n}' src='{n}'>" for n in svgs)
        + "</body></html>",
        encoding="utf-8",
    )
    seen = browser_check(page)
    assert seen["images"] == len(svgs) == 6 and seen["broken"] == [] and seen["errors"] == []
