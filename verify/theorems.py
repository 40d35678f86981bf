"""The theorems checked, as data: one entry per paper (theory §5 and §7).

Each entry names its model, the conditions that are its hypotheses (on φ, on the scalings and
on the data: they decide whether it *applies*), its conclusions (measured on a real network of
its model) and the conditions that say whether this network is in its finite-width regime
(information only, theory §7.4). Adding a paper is one entry here plus its checks in
``verify.verdicts`` and, if its model is new, a stage in ``verify.checks``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from verify.results import CheckResult, Condition, Status, worst

C = Condition


@dataclass(frozen=True)
class Theorem:
    id: str
    title: str
    reference: str
    model: str
    hypotheses: tuple[Condition, ...]
    conclusions: tuple[Condition, ...]
    regime: tuple[Condition, ...]
    reconstructed: str
    accepts: Condition | None  # the hypothesis saying its model accepts φ (None: any φ)


TRUONG = Theorem(
    "truong2023",
    "Truong: global convergence of DEQs for general activations",
    "arXiv 2302.05797",
    "z* = φ(Wz* + Ux), f = aᵀz*; W ~ N(0, 2σ_w²/m), U ~ N(0, 2/d), a ~ N(0, A/m); W, U, a "
    "trained by full-batch GD",
    (C.BOUNDED_DPHI, C.BOUNDED_D2PHI, C.INFINITE_HERMITE, C.WEIGHT_SCALE, C.DATA_NONPARALLEL),
    (C.LAMBDA_STAR_POSITIVE, C.LAMBDA0_BOUND, C.LINEAR_RATE, C.WIDTH_STUDY),
    (C.BOUNDED_PHI, C.WIDTH_SWEEP),
    "--a-scale, --init-margin, --rate-constant",
    None,
)

LING = Theorem(
    "ling2023",
    "Ling, Xie, Wang, Zhang, Lin: global convergence of over-parameterized ReLU DEQs",
    "arXiv 2205.13814 (AISTATS 2023)",
    "the same DEQ with φ = ReLU (σ' = 1[x ≥ 0]); W ~ N(0, 2σ_w²/m), U ~ N(0, 2/d), "
    "a ~ N(0, 1/m); W, U, a trained; inputs ‖x‖ = √d in the paper, unit here (ReLU is "
    "homogeneous: K and λ* scale by d, the step by 1/d)",
    (C.RELU_ACTIVATION, C.LING_WEIGHT_SCALE, C.DATA_NONPARALLEL),
    (C.LAMBDA_STAR_POSITIVE, C.LAMBDA0_BOUND, C.LINEAR_RATE, C.LING_LINEAR_RATE),
    (C.LING_CONDITION1, C.LING_STEP_SIZE),
    "--ling-delta (Condition 1's δ)",
    C.RELU_ACTIVATION,
)

GAO = Theorem(
    "gao2022",
    "Gao & Gao: linear convergence of ReLU implicit networks at linear width",
    "arXiv 2205.07463 (model of arXiv 2110.05645)",
    "z = σ((γ/m)A z + σ(Wx)/√m), ŷ = uᵀz + vᵀσ(Wx)/√m, σ = ReLU; A_ij = |N(0, 1)|, "
    "W_ij ~ N(0, 1), u, v Rademacher; A, W, u, v trained with step α = C·λ_0/n²",
    (C.RELU_ACTIVATION, C.DATA_NONPARALLEL, C.GAO_WELL_POSED),
    (C.GAO_LAMBDA0_POSITIVE, C.GAO_LINEAR_RATE, C.GAO_LINEAR_WIDTH),
    (C.GAO_GRAM_INIT,),
    "--gamma and the scale γ/m with |N(0,1)| entries, --gao-step-scale (theory §7.3)",
    C.RELU_ACTIVATION,
)

THEOREMS: dict[str, Theorem] = {t.id: t for t in (TRUONG, LING, GAO)}


class Outcome(str, enum.Enum):
    """The words of a verdict (docs/theory.md §8.1). Per theorem: n/a, PASS, REFUTED,
    INCONCLUSIVE, ERROR; per run: PASS, REFUTED, NOT COVERED, INCONCLUSIVE, ERROR."""

    PASS = "PASS"  # covered: a theorem applies and its conclusions held here
    REFUTED = "REFUTED"  # a theorem applies and one of its conclusions failed here
    NOT_COVERED = "NOT COVERED"  # no theorem's hypotheses hold for φ (each has one refuted)
    INCONCLUSIVE = "INCONCLUSIVE"  # nothing refuted, something undecided
    ERROR = "ERROR"  # a check that decides the answer could not run
    NOT_APPLICABLE = "n/a"  # (per theorem) a hypothesis is refuted: the theorem says nothing

    @property
    def status(self) -> Status:
        """The four-valued status of the version-2 JSON ``verdict`` (REFUTED and NOT COVERED
        are both FAIL there; a theorem that does not apply is FAIL too)."""
        return _STATUS[self]


_STATUS = {
    Outcome.PASS: Status.PASS,
    Outcome.REFUTED: Status.FAIL,
    Outcome.NOT_COVERED: Status.FAIL,
    Outcome.INCONCLUSIVE: Status.INCONCLUSIVE,
    Outcome.ERROR: Status.ERROR,
    Outcome.NOT_APPLICABLE: Status.FAIL,
}

#: Severity of the outcomes of several runs (report, exit code): a refutation first, then a
#: check that could not run, then φ outside every theorem, then undecided.
SEVERITY = (
    Outcome.PASS,
    Outcome.INCONCLUSIVE,
    Outcome.NOT_COVERED,
    Outcome.ERROR,
    Outcome.REFUTED,
)


def most_severe(outcomes: list[Outcome]) -> Outcome:
    """The most severe run outcome (PASS for none); n/a never occurs among run outcomes."""
    return max(outcomes, key=SEVERITY.index, default=Outcome.PASS)


def applicability(hypotheses: tuple[CheckResult, ...], expected: int) -> Status:
    """FAIL (does not apply) when a hypothesis is refuted; PASS (applies) when all ``expected``
    hypotheses were checked and PASS; INCONCLUSIVE (undecided) otherwise, an ERROR included."""
    if any(r.status is Status.FAIL for r in hypotheses):
        return Status.FAIL
    if len(hypotheses) == expected and all(r.status is Status.PASS for r in hypotheses):
        return Status.PASS
    return Status.INCONCLUSIVE


def theorem_outcome(applies: Status, measured: list[Status]) -> Outcome:
    """One theorem's word, from its applicability and the statuses of its conclusions (with any
    regime check that could not run): n/a when it does not apply; where it applies, REFUTED on a
    failed conclusion, else ERROR, else INCONCLUSIVE, else PASS; where applicability is
    undecided, ERROR on a check that could not run, else INCONCLUSIVE (a failed conclusion then
    refutes "the hypotheses hold", not the theorem)."""
    if applies is Status.FAIL:
        return Outcome.NOT_APPLICABLE
    worst_seen = worst(measured)
    if applies is Status.PASS:
        return {
            Status.PASS: Outcome.PASS,
            Status.INCONCLUSIVE: Outcome.INCONCLUSIVE,
            Status.ERROR: Outcome.ERROR,
            Status.FAIL: Outcome.REFUTED,
        }[worst_seen]
    return Outcome.ERROR if Status.ERROR in measured else Outcome.INCONCLUSIVE


def run_outcome(theorems: list[tuple[Status, Outcome]]) -> Outcome:
    """The run's word from each theorem's (applicability, outcome): where some theorem applies,
    the most severe outcome among those that apply; else, where some is undecided, the most
    severe among those; else NOT COVERED (every theorem has a refuted hypothesis)."""
    applicable = [o for a, o in theorems if a is Status.PASS]
    if applicable:
        return most_severe(applicable)
    undecided = [o for a, o in theorems if a is Status.INCONCLUSIVE]
    if undecided:
        return most_severe(undecided)
    return Outcome.NOT_COVERED


_APPLIES = {Status.PASS: "APPLIES", Status.FAIL: "DOES NOT APPLY", Status.INCONCLUSIVE: "UNDECIDED"}


def applies_label(status: Status) -> str:
    """APPLIES, DOES NOT APPLY or UNDECIDED (an ERROR in a hypothesis is undecided too)."""
    return _APPLIES.get(status, "UNDECIDED")


def conclusions_label(applies: Status) -> str:
    """How measured conclusions are labelled: they test the theorem only where it applies."""
    return {
        Status.PASS: "within the hypotheses",
        Status.FAIL: "outside the hypotheses",
    }.get(applies, "hypotheses undecided")


@dataclass(frozen=True)
class Assessment:
    """One theorem on one run: does it apply (PASS applies, FAIL does not, INCONCLUSIVE
    undecided), which hypotheses were refuted, and the verdict of its conclusions."""

    theorem: Theorem
    applies: Status
    failed: tuple[CheckResult, ...]
    hypotheses: tuple[CheckResult, ...]
    conclusions: tuple[CheckResult, ...]
    regime: tuple[CheckResult, ...]

    @property
    def measured(self) -> list[Status]:
        """The statuses that enter its outcome: its conclusions, and any hypothesis or regime
        check that could not run (ERROR: theory §8.1 rule 2, "ERROR when a check could not
        run"); the regime is information otherwise (theory §7.4). A hypothesis's ERROR occurs
        only where applicability is undecided (rule 1)."""
        errors = [r.status for r in (*self.hypotheses, *self.regime) if r.status is Status.ERROR]
        return [*(r.status for r in self.conclusions), *errors]

    @property
    def outcome(self) -> Outcome:
        """n/a, PASS, REFUTED, INCONCLUSIVE or ERROR (see :func:`theorem_outcome`)."""
        return theorem_outcome(self.applies, self.measured)

    @property
    def verdict(self) -> Status:
        """The outcome as a status (FAIL for n/a and REFUTED): the version-2 JSON's value."""
        return self.outcome.status

    @property
    def covers(self) -> bool:
        """It applies and its conclusions held (PASS is reached only where it applies)."""
        return self.outcome is Outcome.PASS


def assess(theorem: Theorem, results: dict[Condition, CheckResult]) -> Assessment:
    """The theorem's block from the run's condition results (no conclusions when its model does
    not accept φ: what was measured then belongs to another model)."""
    hyps = tuple(results[c] for c in theorem.hypotheses if c in results)
    failed = tuple(r for r in hyps if r.status is Status.FAIL)
    applies = applicability(hyps, len(theorem.hypotheses))
    if theorem.accepts is not None and any(r.name is theorem.accepts for r in failed):
        return Assessment(theorem, applies, failed, hyps, (), ())  # not its model: nothing to say
    concl = tuple(results[c] for c in theorem.conclusions if c in results)
    regime = tuple(results[c] for c in theorem.regime if c in results)
    return Assessment(theorem, applies, failed, hyps, concl, regime)


def outcome_of(assessments: list[Assessment]) -> Outcome:
    """The run's outcome (see :func:`run_outcome`)."""
    return run_outcome([(a.applies, a.outcome) for a in assessments])


def covered_verdict(assessments: list[Assessment]) -> Status:
    """The run's outcome as a status (the version-2 JSON ``verdict``)."""
    return outcome_of(assessments).status


def outcome_reason(assessments: list[Assessment]) -> str:
    """The run's outcome in one line: which theorems cover φ, which conclusion failed, which
    check could not run, what is undecided, or why no theorem applies."""
    outcome = outcome_of(assessments)
    applicable = [a for a in assessments if a.applies is Status.PASS]
    pool = applicable or [a for a in assessments if a.applies is Status.INCONCLUSIVE]
    if outcome is Outcome.PASS:
        return "covered by " + ", ".join(a.theorem.id for a in assessments if a.covers)
    if outcome is Outcome.NOT_COVERED:
        why = "; ".join(
            f"{a.theorem.id}: {', '.join(r.name.value for r in a.failed)} refuted"
            for a in assessments
        )
        return f"no theorem's hypotheses hold for φ ({why})" if why else "no theorem was checked"
    if outcome is Outcome.REFUTED:
        return "; ".join(
            f"{a.theorem.id} applies and its conclusion "
            f"{', '.join(r.name.value for r in a.conclusions if r.status is Status.FAIL)} failed"
            for a in applicable
            if a.outcome is Outcome.REFUTED
        )
    if outcome is Outcome.ERROR:
        broken = [
            r
            for a in pool
            for r in (*a.hypotheses, *a.conclusions, *a.regime)
            if r.status is Status.ERROR
        ]
        return "; ".join(dict.fromkeys(f"{r.name.value} could not run" for r in broken))
    return "; ".join(_undecided(a) for a in pool if a.outcome is Outcome.INCONCLUSIVE)


def _undecided(a: Assessment) -> str:
    """What leaves one theorem undecided: its open hypotheses, or its open conclusions."""
    if a.applies is not Status.PASS:
        open_ = [r.name.value for r in a.hypotheses if r.status is not Status.PASS]
        failed = [r.name.value for r in a.conclusions if r.status is Status.FAIL]
        missing = len(a.theorem.hypotheses) - len(a.hypotheses)
        text = f"{a.theorem.id}: hypotheses undecided ({', '.join(open_) or f'{missing} not run'})"
        return text + (f"; {', '.join(failed)} failed outside them" if failed else "")
    open_ = [r.name.value for r in a.conclusions if r.status is not Status.PASS]
    return f"{a.theorem.id} applies; {', '.join(open_)} undecided"


__all__ = [
    "GAO",
    "LING",
    "SEVERITY",
    "THEOREMS",
    "TRUONG",
    "Assessment",
    "Outcome",
    "Theorem",
    "applicability",
    "applies_label",
    "assess",
    "conclusions_label",
    "covered_verdict",
    "most_severe",
    "outcome_of",
    "outcome_reason",
    "run_outcome",
    "theorem_outcome",
]
