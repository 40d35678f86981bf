"""The words of a verdict (docs/theory.md §8.1): each rule of verify/theorems.py against a table
derived from the documented logic, and the exit code of each word. No numerics: hand-made
condition results only."""

from __future__ import annotations

import pytest

from verify.cli import EPILOG, ExitCode, exit_code
from verify.results import CheckResult, Condition, Status
from verify.theorems import (
    GAO,
    LING,
    SEVERITY,
    THEOREMS,
    TRUONG,
    Outcome,
    applicability,
    assess,
    conclusions_label,
    most_severe,
    outcome_of,
    outcome_reason,
    run_outcome,
    theorem_outcome,
)

P, F, INC, ERR = Status.PASS, Status.FAIL, Status.INCONCLUSIVE, Status.ERROR
NA, OK, REF, UND, BRK, NC = (
    Outcome.NOT_APPLICABLE,
    Outcome.PASS,
    Outcome.REFUTED,
    Outcome.INCONCLUSIVE,
    Outcome.ERROR,
    Outcome.NOT_COVERED,
)


def res(name: Condition, status: Status, detail: str = "") -> CheckResult:
    return CheckResult(name, status, 0.0, 0.0, "test", detail)


@pytest.mark.parametrize(
    "statuses, expected, want",
    [
        ([P, P, P], 3, P),  # every hypothesis checked and true: applies
        ([P, P], 3, INC),  # one not checked: undecided
        ([P, F, P], 3, F),  # one refuted: does not apply
        ([INC, F, P], 3, F),  # a refutation outranks an open one
        ([ERR, F], 2, F),
        ([P, INC, P], 3, INC),
        ([P, ERR, P], 3, INC),  # a check that did not run decides nothing
        ([], 0, P),  # no hypothesis: applies
    ],
)
def test_applicability(statuses, expected, want):
    hyps = tuple(res(Condition.BOUNDED_DPHI, s) for s in statuses)
    assert applicability(hyps, expected) is want


@pytest.mark.parametrize(
    "applies, measured, want",
    [
        # does not apply: n/a whatever was measured (H false makes H ⇒ C true)
        (F, [], NA),
        (F, [P, P], NA),
        (F, [F], NA),
        (F, [ERR], NA),
        # applies: a failed conclusion refutes the theorem; then ERROR, then INCONCLUSIVE
        (P, [P, P], OK),
        (P, [], OK),
        (P, [P, F], REF),
        (P, [ERR, F], REF),
        (P, [INC, F], REF),
        (P, [P, ERR], BRK),
        (P, [INC, ERR], BRK),
        (P, [P, INC], UND),
        # undecided: never REFUTED, never PASS
        (INC, [P, P], UND),
        (INC, [], UND),
        (INC, [F], UND),
        (INC, [F, ERR], BRK),
        (INC, [INC], UND),
    ],
)
def test_theorem_outcome(applies, measured, want):
    assert theorem_outcome(applies, measured) is want


@pytest.mark.parametrize(
    "theorems, want",
    [
        ([(P, OK), (F, NA), (F, NA)], OK),
        ([(P, OK), (P, REF)], REF),  # every applicable theorem must hold
        ([(P, OK), (P, BRK)], BRK),
        ([(P, REF), (P, BRK)], REF),
        ([(P, UND), (P, OK)], UND),
        ([(P, OK), (INC, BRK)], OK),  # an undecided theorem does not spoil a covering one
        ([(F, NA), (INC, UND)], UND),
        ([(F, NA), (INC, BRK), (INC, UND)], BRK),
        ([(F, NA), (F, NA), (F, NA)], NC),
        ([], NC),
    ],
)
def test_run_outcome(theorems, want):
    assert run_outcome(theorems) is want


def test_severity_and_exit_codes():
    """REFUTED > ERROR > NOT COVERED > INCONCLUSIVE > PASS, one exit code per word, and --help
    lists them."""
    assert SEVERITY == (OK, UND, NC, BRK, REF)
    assert most_severe([OK, NC, UND]) is NC and most_severe([NC, BRK]) is BRK
    assert most_severe([BRK, REF, OK]) is REF and most_severe([]) is OK
    codes = {OK: 0, REF: 1, UND: 3, NC: 4, BRK: 5}
    for word, code in codes.items():
        assert exit_code([word]) == code
        assert f"{code} {word.name}" in EPILOG
    assert exit_code([OK, NC, UND]) == ExitCode.NOT_COVERED
    assert len({c.value for c in ExitCode}) == len(ExitCode) == 10  # no alias: 0-7, 70, 130


def test_words_as_the_version_2_status():
    assert [w.status for w in (OK, REF, NC, UND, BRK, NA)] == [P, F, F, INC, ERR, F]


def test_conclusions_label():
    assert conclusions_label(F) == "outside the hypotheses"
    assert conclusions_label(P) == "within the hypotheses"
    assert conclusions_label(INC) == conclusions_label(ERR) == "hypotheses undecided"


def _all(status: Status = P) -> dict[Condition, CheckResult]:
    return {c: res(c, status) for c in Condition}


def test_relu_like_run_truong_is_na_with_its_conclusions_outside_and_the_run_covered():
    """The issue's case: relu refutes Truong's φ'' hypothesis while all three of its measured
    conclusions pass; Ling and Gao apply. Truong: n/a, not FAIL; the run: PASS."""
    results = {**_all(), Condition.BOUNDED_D2PHI: res(Condition.BOUNDED_D2PHI, F, "kink at 0")}
    blocks = [assess(t, results) for t in THEOREMS.values()]
    truong = blocks[0]
    assert truong.outcome is NA and truong.conclusions  # measured, and labelled outside
    assert conclusions_label(truong.applies) == "outside the hypotheses"
    assert [b.outcome for b in blocks[1:]] == [OK, OK]
    assert outcome_of(blocks) is OK
    assert outcome_reason(blocks) == "covered by ling2023, gao2022"


def test_tanh_like_run_the_relu_papers_are_na_and_nothing_is_measured_on_their_models():
    results = {**_all(), Condition.RELU_ACTIVATION: res(Condition.RELU_ACTIVATION, F)}
    ling, gao = assess(LING, results), assess(GAO, results)
    assert ling.outcome is gao.outcome is NA and not ling.conclusions and not gao.conclusions
    assert outcome_of([assess(TRUONG, results), ling, gao]) is OK


def test_not_covered_names_every_refuted_hypothesis():
    results = {
        **_all(),
        Condition.RELU_ACTIVATION: res(Condition.RELU_ACTIVATION, F),
        Condition.BOUNDED_DPHI: res(Condition.BOUNDED_DPHI, F),
    }
    blocks = [assess(t, results) for t in THEOREMS.values()]
    assert outcome_of(blocks) is NC
    why = outcome_reason(blocks)
    assert why.startswith("no theorem's hypotheses hold for φ")
    assert "truong2023: bounded_dphi refuted" in why and "gao2022: relu_activation refuted" in why


def test_refuted_names_the_failed_conclusion_and_error_the_broken_check():
    bad = {
        **_all(),
        Condition.RELU_ACTIVATION: res(Condition.RELU_ACTIVATION, F),
        Condition.LINEAR_RATE: res(Condition.LINEAR_RATE, F),
    }
    blocks = [assess(t, bad) for t in THEOREMS.values()]
    assert outcome_of(blocks) is REF
    assert outcome_reason(blocks) == "truong2023 applies and its conclusion linear_rate failed"
    broken = {**bad, Condition.LINEAR_RATE: res(Condition.LINEAR_RATE, ERR)}
    blocks = [assess(t, broken) for t in THEOREMS.values()]
    assert outcome_of(blocks) is BRK
    assert outcome_reason(blocks) == "linear_rate could not run"


def test_a_conclusion_failing_under_an_undecided_hypothesis_is_not_a_refutation():
    """Was FAIL (exit 1) before: a failed conclusion with an open hypothesis refutes only "the
    hypotheses hold"."""
    results = {
        **_all(),
        Condition.RELU_ACTIVATION: res(Condition.RELU_ACTIVATION, F),
        Condition.WEIGHT_SCALE: res(Condition.WEIGHT_SCALE, INC),
        Condition.LINEAR_RATE: res(Condition.LINEAR_RATE, F),
    }
    blocks = [assess(t, results) for t in THEOREMS.values()]
    assert blocks[0].outcome is UND and outcome_of(blocks) is UND
    why = outcome_reason(blocks)
    assert "hypotheses undecided (weight_scale)" in why and "linear_rate failed outside" in why


def test_the_regime_is_information_unless_it_could_not_run():
    """Ling's Condition 1 failing (far from met at practical widths) changes nothing; a regime
    check that could not run makes the theorem's outcome ERROR."""
    info = {**_all(), Condition.LING_CONDITION1: res(Condition.LING_CONDITION1, F)}
    assert assess(LING, info).outcome is OK and assess(LING, info).covers
    broken = {**_all(), Condition.LING_CONDITION1: res(Condition.LING_CONDITION1, ERR)}
    assert assess(LING, broken).outcome is BRK and not assess(LING, broken).covers
