"""The theorems checked, as data: one entry per paper (theory §5 and §7).

Each entry names its model, the conditions that are its hypotheses (on φ, on the scalings and
on the data: they decide whether it *applies*), its conclusions (measured on a real network of
its model) and the conditions that say whether this network is in its finite-width regime
(information only, theory §7.4). Adding a paper is one entry here plus its checks in
``verify.verdicts`` and, if its model is new, a stage in ``verify.checks``.
"""

from __future__ import annotations

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
    def conclusions_status(self) -> Status | None:
        """The worst conclusion (None when none was measured)."""
        return worst([r.status for r in self.conclusions]) if self.conclusions else None

    @property
    def verdict(self) -> Status:
        """FAIL when it does not apply; else the worst of applicability, conclusions, and any
        regime check that could not run (ERROR)."""
        if self.applies is Status.FAIL:
            return Status.FAIL
        statuses = [self.applies, *(r.status for r in self.conclusions)]
        statuses += [r.status for r in self.regime if r.status is Status.ERROR]
        return worst(statuses)

    @property
    def covers(self) -> bool:
        return self.applies is Status.PASS and self.verdict is Status.PASS


def assess(theorem: Theorem, results: dict[Condition, CheckResult]) -> Assessment:
    """The theorem's block from the run's condition results (no conclusions when its model does
    not accept φ: what was measured then belongs to another model)."""
    hyps = tuple(results[c] for c in theorem.hypotheses if c in results)
    failed = tuple(r for r in hyps if r.status is Status.FAIL)
    if failed:
        applies = Status.FAIL
    elif any(r.status is not Status.PASS for r in hyps) or len(hyps) < len(theorem.hypotheses):
        applies = Status.INCONCLUSIVE
    else:
        applies = Status.PASS
    if theorem.accepts is not None and any(r.name is theorem.accepts for r in failed):
        return Assessment(theorem, applies, failed, hyps, (), ())  # not its model: nothing to say
    concl = tuple(results[c] for c in theorem.conclusions if c in results)
    regime = tuple(results[c] for c in theorem.regime if c in results)
    return Assessment(theorem, applies, failed, hyps, concl, regime)


def covered_verdict(assessments: list[Assessment]) -> Status:
    """Is φ covered by some theorem whose conclusions held here? Where theorems apply, the worst
    of their verdicts (every applicable theorem's conclusions must hold); where none applies
    for sure, INCONCLUSIVE if one might, else FAIL (covered by none)."""
    applicable = [a for a in assessments if a.applies is Status.PASS]
    if applicable:
        return worst([a.verdict for a in applicable])
    if any(a.applies is Status.INCONCLUSIVE for a in assessments):
        return worst([a.verdict for a in assessments if a.applies is Status.INCONCLUSIVE])
    return Status.FAIL


__all__ = [
    "GAO",
    "LING",
    "THEOREMS",
    "TRUONG",
    "Assessment",
    "Theorem",
    "assess",
    "covered_verdict",
]
