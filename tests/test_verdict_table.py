"""The verdict logic as a table (issue 28): for each theorem and each combination of the statuses
of its hypotheses, conclusions and regime checks (PASS, FAIL, INCONCLUSIVE, ERROR, or not run),
the theorem's verdict, the covering verdict of the run and the exit code.

The expected values are derived here, independently of verify/theorems.py, from the rules as the
documentation states them:

* which conditions are each theorem's hypotheses, conclusions and regime (information) checks:
  the README's tables, one per theorem;
* applicability, one theorem's outcome, the run's outcome and severity: docs/theory.md §8.1,
  rules 1-4 (and §7.4: a regime check enters only when it could not run);
* the version-2 status of each word: the paragraph after rule 5; the exit codes: rule 5 and the
  README's list.

No numerics: hand-made condition results only, fed through the same calls the pipeline makes
(``assess`` per theorem, then the run's outcome and the exit code of ``python -m verify``).
"""

from __future__ import annotations

import itertools

import pytest

from verify.cli import ExitCode, exit_code
from verify.results import CheckResult, Condition, Status
from verify.theorems import THEOREMS, assess, covered_verdict, outcome_of, outcome_reason

P, F, INC, ERR = Status.PASS, Status.FAIL, Status.INCONCLUSIVE, Status.ERROR
STATUSES = (P, F, INC, ERR)
MISSING = None  # the check did not run (its stage was skipped): not a result at all
C = Condition

# --- the documentation, written out (README's tables, one per theorem) --------------------------

DOC_HYPOTHESES = {
    "truong2023": (
        C.BOUNDED_DPHI,
        C.BOUNDED_D2PHI,
        C.INFINITE_HERMITE,
        C.WEIGHT_SCALE,
        C.DATA_NONPARALLEL,
    ),
    "ling2023": (C.RELU_ACTIVATION, C.LING_WEIGHT_SCALE, C.DATA_NONPARALLEL),
    "gao2022": (C.RELU_ACTIVATION, C.DATA_NONPARALLEL, C.GAO_WELL_POSED),
}
DOC_CONCLUSIONS = {
    "truong2023": (C.LAMBDA_STAR_POSITIVE, C.LAMBDA0_BOUND, C.LINEAR_RATE, C.WIDTH_STUDY),
    "ling2023": (C.LAMBDA_STAR_POSITIVE, C.LAMBDA0_BOUND, C.LINEAR_RATE, C.LING_LINEAR_RATE),
    "gao2022": (C.GAO_LAMBDA0_POSITIVE, C.GAO_LINEAR_RATE, C.GAO_LINEAR_WIDTH),
}
DOC_REGIME = {
    "truong2023": (C.BOUNDED_PHI, C.WIDTH_SWEEP),
    "ling2023": (C.LING_CONDITION1, C.LING_STEP_SIZE),
    "gao2022": (C.GAO_GRAM_INIT,),
}
#: The theorems whose model accepts only the ReLU: where relu_activation is refuted nothing is
#: measured on their model (README: "a model that does not accept φ is not trained").
RELU_MODELS = {"ling2023", "gao2022"}
IDS = ("truong2023", "ling2023", "gao2022")

# --- the rules of docs/theory.md §8.1, written out --------------------------------------------

APPLIES, NOT_APPLY, UNDECIDED = "applies", "does not apply", "undecided"
#: Rule 4: REFUTED > ERROR > NOT COVERED > INCONCLUSIVE > PASS.
SEVERITY = ["PASS", "INCONCLUSIVE", "NOT COVERED", "ERROR", "REFUTED"]
#: The version-2 JSON status of each word (REFUTED, NOT COVERED and n/a are FAIL there).
AS_STATUS = {
    "PASS": P,
    "REFUTED": F,
    "NOT COVERED": F,
    "INCONCLUSIVE": INC,
    "ERROR": ERR,
    "n/a": F,
}
#: Rule 5 and the README: 0 PASS, 1 REFUTED, 3 INCONCLUSIVE, 4 NOT COVERED, 5 ERROR.
EXIT = {"PASS": 0, "REFUTED": 1, "INCONCLUSIVE": 3, "NOT COVERED": 4, "ERROR": 5}


def doc_applicability(statuses: dict[Condition, Status | None], tid: str) -> str:
    """Rule 1: a refuted hypothesis: does not apply; every one checked and PASS: applies;
    otherwise (one open, one not run, or one that could not run) undecided."""
    hyps = [statuses.get(h) for h in DOC_HYPOTHESES[tid]]
    if F in hyps:
        return NOT_APPLY
    if all(s is P for s in hyps):
        return APPLIES
    return UNDECIDED


def doc_measured(statuses: dict[Condition, Status | None], tid: str) -> list[Status]:
    """What was measured on the theorem's model (nothing when its model refuses φ)."""
    if tid in RELU_MODELS and statuses.get(C.RELU_ACTIVATION) is F:
        return []
    return [s for c in DOC_CONCLUSIONS[tid] if (s := statuses.get(c)) is not None]


def doc_regime(statuses: dict[Condition, Status | None], tid: str) -> list[Status]:
    if tid in RELU_MODELS and statuses.get(C.RELU_ACTIVATION) is F:
        return []
    return [s for c in DOC_REGIME[tid] if (s := statuses.get(c)) is not None]


def doc_outcome(statuses: dict[Condition, Status | None], tid: str) -> str:
    """Rule 2. Does not apply: n/a. Applies: REFUTED on a failed conclusion, else ERROR when a
    conclusion or a regime check could not run, else INCONCLUSIVE when a conclusion is open, else
    PASS. Undecided: ERROR when a check could not run (a hypothesis, a conclusion or a regime
    check), else INCONCLUSIVE; never REFUTED, never PASS. A regime check's PASS, FAIL or
    INCONCLUSIVE is information (§7.4) and never enters."""
    applicability = doc_applicability(statuses, tid)
    if applicability == NOT_APPLY:
        return "n/a"
    concl, regime = doc_measured(statuses, tid), doc_regime(statuses, tid)
    if applicability == APPLIES:
        if F in concl:
            return "REFUTED"
        if ERR in concl or ERR in regime:
            return "ERROR"
        if INC in concl:
            return "INCONCLUSIVE"
        return "PASS"
    hyps = [statuses.get(h) for h in DOC_HYPOTHESES[tid]]
    if ERR in hyps or ERR in concl or ERR in regime:
        return "ERROR"
    return "INCONCLUSIVE"


def doc_run_outcome(statuses: dict[Condition, Status | None], ids=IDS) -> str:
    """Rule 3: among the theorems that apply, the most severe outcome; else among the undecided
    ones; else (every theorem does not apply, or none was checked) NOT COVERED."""
    for wanted in (APPLIES, UNDECIDED):
        pool = [doc_outcome(statuses, t) for t in ids if doc_applicability(statuses, t) == wanted]
        if pool:
            return max(pool, key=SEVERITY.index)
    return "NOT COVERED"


# --- the code under test, called as the pipeline calls it -------------------------------------


#: One result per (condition, status), made once (detail and numbers do not enter a verdict).
RESULT = {
    (c, s): CheckResult(c, s, 0.0, 0.0, "table", f"{c.value} is {s.value}")
    for c in Condition
    for s in STATUSES
}


def results_of(statuses: dict[Condition, Status | None]) -> dict[Condition, CheckResult]:
    """Results as verify.checks hands them to ``assess``: one per condition that ran."""
    return {c: RESULT[c, s] for c, s in statuses.items() if s is not None}


def run(statuses: dict[Condition, Status | None], ids=IDS):
    results = results_of(statuses)
    blocks = [assess(THEOREMS[t], results) for t in ids]
    outcome = outcome_of(blocks)
    return blocks, outcome, covered_verdict(blocks), exit_code([outcome])


def everything(status: Status = P) -> dict[Condition, Status | None]:
    return {c: status for c in Condition}


#: Backgrounds: every check PASS (all three theorems apply); a tanh-like run (relu refuted: only
#: Truong can apply); a relu-like run (φ'' unbounded: only Ling and Gao can apply).
BACKGROUNDS = {
    "all pass": everything(),
    "tanh-like": {**everything(), C.RELU_ACTIVATION: F},
    "relu-like": {**everything(), C.BOUNDED_D2PHI: F},
}


def _mismatches(statuses, ids=IDS) -> list[str]:
    """Every way the code's answer differs from the documented one, in words."""
    blocks, outcome, verdict, code = run(statuses, ids)
    bad = []
    for tid, block in zip(ids, blocks):
        want = doc_outcome(statuses, tid)
        if block.outcome.value != want:
            bad.append(f"{tid}: outcome {block.outcome.value}, documented {want}")
        if block.verdict is not AS_STATUS[want]:
            bad.append(f"{tid}: verdict {block.verdict.value}, documented {AS_STATUS[want]}")
        if block.covers != (want == "PASS"):
            bad.append(f"{tid}: covers {block.covers}, documented {want == 'PASS'}")
    want_run = doc_run_outcome(statuses, ids)
    if outcome.value != want_run:
        bad.append(f"run outcome {outcome.value}, documented {want_run}")
    if verdict is not AS_STATUS[want_run]:
        bad.append(f"covering verdict {verdict.value}, documented {AS_STATUS[want_run].value}")
    if code != EXIT[want_run]:
        bad.append(f"exit code {int(code)}, documented {EXIT[want_run]}")
    if not bad:
        return []
    changed = {c.value: s and s.value for c, s in statuses.items() if s is not P}
    return [f"{changed}: {'; '.join(bad)}"]


def _assert_table(rows) -> None:
    bad = [m for statuses in rows for m in _mismatches(statuses)]
    assert not bad, f"{len(bad)} rows differ from docs/theory.md §8.1, e.g.:\n" + "\n".join(bad[:8])


@pytest.mark.parametrize("background", list(BACKGROUNDS))
@pytest.mark.parametrize("tid", IDS)
def test_one_hypothesis_one_conclusion_one_regime_check_in_every_status(tid, background):
    """Every combination of the statuses (PASS, FAIL, INCONCLUSIVE, ERROR, not run) of one
    hypothesis h, one conclusion c and one regime check r of the theorem, with every hypothesis,
    conclusion and regime check taking each part in turn, the others as in the background: every
    theorem's outcome, verdict and covering flag, the run's outcome, its covering verdict and the
    exit code are the documented ones."""
    base = BACKGROUNDS[background]
    hyps, concls, regime = DOC_HYPOTHESES[tid], DOC_CONCLUSIONS[tid], DOC_REGIME[tid]
    turns = max(len(hyps), len(concls), len(regime))
    rows = []
    for sh, sc, sr in itertools.product((*STATUSES, MISSING), repeat=3):
        for k in range(turns):
            h, c, r = hyps[k % len(hyps)], concls[k % len(concls)], regime[k % len(regime)]
            rows.append({**base, h: sh, c: sc, r: sr})
    _assert_table(rows)


#: Conditions that belong to one theorem only (so each theorem's state can be set alone).
OWN = {
    "truong2023": (C.BOUNDED_DPHI, C.WIDTH_STUDY, C.WIDTH_SWEEP),
    "ling2023": (C.LING_WEIGHT_SCALE, C.LING_LINEAR_RATE, C.LING_CONDITION1),
    "gao2022": (C.GAO_WELL_POSED, C.GAO_LINEAR_RATE, C.GAO_GRAM_INIT),
}


def test_every_combination_of_the_three_theorems_states():
    """Each theorem in each state of (own hypothesis, own conclusion), all three at once (16³
    runs; in turn none or one of them with its own regime check ERROR): the run's outcome is the
    documented combination of the three (rule 3), whatever mix of applies / undecided / does not
    apply."""
    states = list(itertools.product(STATUSES, STATUSES))
    rows = []
    for i, per_theorem in enumerate(itertools.product(states, repeat=3)):
        statuses = everything()
        for j, (tid, (sh, sc)) in enumerate(zip(IDS, per_theorem)):
            h, c, r = OWN[tid]
            statuses.update({h: sh, c: sc, r: ERR if i % 4 == j + 1 else P})
        rows.append(statuses)
    _assert_table(rows)


def test_the_documented_lists_are_the_theorems_lists():
    """The hypotheses decide applicability, the conclusions the outcome; the regime checks are
    information: each documented condition plays its documented part, one at a time (a list
    that lost, gained or swapped an entry changes one of these answers)."""
    for tid in IDS:
        for cond in Condition:
            for status in (F, INC, ERR):
                statuses = {**everything(), cond: status}
                blocks, *_ = run(statuses, (tid,))
                want = doc_outcome(statuses, tid)
                assert blocks[0].outcome.value == want, (tid, cond.value, status.value)


@pytest.mark.parametrize("tid", IDS)
def test_a_theorem_run_alone(tid):
    """`--theorem ID`: the run's outcome is that theorem's alone (rule 3 over one theorem)."""
    base = everything()
    rows = []
    for cond in (*DOC_HYPOTHESES[tid], *DOC_CONCLUSIONS[tid], *DOC_REGIME[tid]):
        for status in (*STATUSES, MISSING):
            rows.append({**base, cond: status})
    bad = [m for statuses in rows for m in _mismatches(statuses, (tid,))]
    assert not bad, bad[:5]


def test_no_theorem_checked_is_not_covered():
    _, outcome, verdict, code = run(everything(), ())
    assert outcome.value == "NOT COVERED" and verdict is F and code == ExitCode.NOT_COVERED


@pytest.mark.parametrize(
    "changed, want",
    [
        # all three theorems apply and hold
        ({}, "covered by truong2023, ling2023, gao2022"),
        ({C.RELU_ACTIVATION: F}, "covered by truong2023"),
        ({C.BOUNDED_D2PHI: F}, "covered by ling2023, gao2022"),
        # a theorem that applies and does not cover names nothing as covering
        ({C.BOUNDED_D2PHI: F, C.GAO_LINEAR_RATE: INC}, "gao2022 applies; gao_linear_rate"),
    ],
)
def test_the_reason_names_what_the_rules_found(changed, want):
    """§8.2: the run's one line names the covering theorems, or what is undecided."""
    blocks, *_ = run({**everything(), **changed})
    assert outcome_reason(blocks).startswith(want)


def test_the_reason_names_every_refuted_hypothesis_failed_conclusion_and_broken_check():
    """§8.2 for the other words: NOT COVERED names each theorem's refuted hypothesis; REFUTED the
    conclusion that failed; ERROR the check that could not run (a regime check included)."""
    none = {**everything(), C.RELU_ACTIVATION: F, C.INFINITE_HERMITE: F}
    blocks, outcome, *_ = run(none)
    why = outcome_reason(blocks)
    assert outcome.value == "NOT COVERED"
    for part in ("truong2023: infinite_hermite", "ling2023: relu_activation", "gao2022: relu"):
        assert part in why
    refuted = {**everything(), C.RELU_ACTIVATION: F, C.LAMBDA0_BOUND: F}
    blocks, outcome, *_ = run(refuted)
    assert outcome.value == "REFUTED" and "lambda0_bound failed" in outcome_reason(blocks)
    broken = {**everything(), C.RELU_ACTIVATION: F, C.WIDTH_SWEEP: ERR}
    blocks, outcome, *_ = run(broken)
    assert outcome.value == "ERROR" and outcome_reason(blocks) == "width_sweep could not run"


@pytest.mark.parametrize(
    "outcomes, code",
    [
        (["PASS", "PASS"], 0),
        (["PASS", "INCONCLUSIVE"], 3),
        (["INCONCLUSIVE", "NOT COVERED"], 4),
        (["NOT COVERED", "ERROR", "PASS"], 5),
        (["ERROR", "REFUTED"], 1),
        (["REFUTED", "PASS", "NOT COVERED"], 1),
        ([], 0),
    ],
)
def test_the_exit_code_of_several_runs_is_the_most_severe(outcomes, code):
    """`report` over several activations: the code of the most severe word (rule 4)."""
    from verify.theorems import Outcome

    assert exit_code([Outcome(o) for o in outcomes]) == code
    if outcomes:
        assert code == EXIT[max(outcomes, key=SEVERITY.index)]


def test_the_applicability_words():
    """README, "Reading the verdicts": APPLIES when every hypothesis is PASS, DOES NOT APPLY when
    one is refuted, else UNDECIDED (an ERROR included)."""
    from verify.theorems import applies_label

    words = {s: applies_label(s) for s in STATUSES}
    assert words == {P: "APPLIES", F: "DOES NOT APPLY", INC: "UNDECIDED", ERR: "UNDECIDED"}


def _readme_section(tid: str) -> tuple[str, str, str]:
    """(heading, model paragraph, reconstructed paragraph) of the README's section on ``tid``."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index(f"### `{tid}` — ")
    body = text[start : text.index("\n| condition |", start)]
    heading = body.splitlines()[0]
    paragraphs = re.split(r"\n\s*\n", body)
    model = next(p for p in paragraphs if p.lstrip().startswith("Model"))
    return heading, model, model[model.index("Reconstructed") :]


@pytest.mark.parametrize("tid", IDS)
def test_each_theorem_is_the_paper_and_model_the_readme_names(tid):
    """The authors and arXiv reference of the README's heading, every formula of its Model
    paragraph, and exactly the options it calls reconstructed, each a real option."""
    import re

    from verify.cli import build_parser

    heading, model, reconstructed = _readme_section(tid)
    authors, reference = re.match(rf"### `{tid}` — (.+?), (arXiv [^:]+):", heading).groups()
    theorem = THEOREMS[tid]
    assert theorem.id == tid and theorem.title.startswith(authors + ":")
    assert theorem.reference.startswith(reference)
    formulas = [t for t in re.findall(r"`([^`]+)`", model) if not t.startswith("--")]
    formulas = [t for t in formulas if not t.endswith(".py")]
    assert formulas and all(f in theorem.model for f in formulas), formulas
    options = set(re.findall(r"--[a-z][a-z-]+", reconstructed))
    assert set(re.findall(r"--[a-z][a-z-]+", theorem.reconstructed)) == options
    help_text = build_parser().format_help() + "".join(
        a.format_help() for a in build_parser()._subparsers._group_actions[0].choices.values()
    )
    assert all(o in help_text for o in options)


def _reason(changed: dict, ids=IDS) -> tuple[str, str]:
    blocks, outcome, *_ = run({**everything(), **changed}, ids)
    return outcome.value, outcome_reason(blocks)


def test_the_reason_names_each_thing_once_and_nothing_that_held():
    """§8.2, one line per run: every failed conclusion of each refuted theorem; every check that
    could not run (a hypothesis of an undecided theorem, a conclusion, a regime check), once;
    what leaves each theorem undecided (open hypotheses, or how many were not run, and what
    failed outside them); never a check that held."""
    word, why = _reason({C.RELU_ACTIVATION: F, C.LAMBDA0_BOUND: F, C.LINEAR_RATE: F})
    assert word == "REFUTED"
    assert why == "truong2023 applies and its conclusion lambda0_bound, linear_rate failed"
    word, why = _reason({C.BOUNDED_D2PHI: F, C.LING_LINEAR_RATE: F, C.GAO_LINEAR_RATE: F})
    assert word == "REFUTED" and why == (
        "ling2023 applies and its conclusion ling_linear_rate failed; "
        "gao2022 applies and its conclusion gao_linear_rate failed"
    )
    # a hypothesis that could not run leaves its theorem undecided, and the run ERROR
    word, why = _reason({C.RELU_ACTIVATION: F, C.WEIGHT_SCALE: ERR})
    assert (word, why) == ("ERROR", "weight_scale could not run")
    word, why = _reason({C.RELU_ACTIVATION: F, C.LINEAR_RATE: ERR, C.WIDTH_SWEEP: ERR})
    assert word == "ERROR" and why == "linear_rate could not run; width_sweep could not run"
    shared = {C.BOUNDED_D2PHI: F, C.LAMBDA0_BOUND: ERR}  # one check, two theorems
    assert _reason(shared) == ("ERROR", "lambda0_bound could not run")
    # undecided: the open hypotheses, or how many did not run, and what failed outside them
    word, why = _reason({C.RELU_ACTIVATION: F, C.WEIGHT_SCALE: INC, C.LINEAR_RATE: F})
    assert word == "INCONCLUSIVE"
    assert why == "truong2023: hypotheses undecided (weight_scale); linear_rate failed outside them"
    word, why = _reason({C.RELU_ACTIVATION: F, C.WEIGHT_SCALE: None, C.INFINITE_HERMITE: None})
    assert (word, why) == ("INCONCLUSIVE", "truong2023: hypotheses undecided (2 not run)")
    word, why = _reason({C.RELU_ACTIVATION: F, C.LAMBDA0_BOUND: INC, C.WIDTH_STUDY: INC})
    assert (word, why) == (
        "INCONCLUSIVE",
        "truong2023 applies; lambda0_bound, width_study undecided",
    )
    # NOT COVERED names each theorem's refuted hypotheses, all of them
    word, why = _reason({C.RELU_ACTIVATION: F, C.BOUNDED_DPHI: F, C.BOUNDED_D2PHI: F})
    assert word == "NOT COVERED" and why == (
        "no theorem's hypotheses hold for φ (truong2023: bounded_dphi, bounded_d2phi refuted; "
        "ling2023: relu_activation refuted; gao2022: relu_activation refuted)"
    )
    assert _reason({}, ()) == ("NOT COVERED", "no theorem was checked")
    word, why = _reason(
        {C.RELU_ACTIVATION: F, C.WEIGHT_SCALE: INC, C.BOUNDED_DPHI: INC, C.LINEAR_RATE: F}
        | {C.LAMBDA0_BOUND: F}
    )
    assert why == (
        "truong2023: hypotheses undecided (bounded_dphi, weight_scale); "
        "lambda0_bound, linear_rate failed outside them"
    )
    # two theorems undecided: each says why, in theorem order
    word, why = _reason({C.BOUNDED_D2PHI: F, C.RELU_ACTIVATION: INC})
    assert word == "INCONCLUSIVE" and why == (
        "ling2023: hypotheses undecided (relu_activation); "
        "gao2022: hypotheses undecided (relu_activation)"
    )
