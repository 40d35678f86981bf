"""The finite-width stages: the ‖ZᵀZ/m - G*‖ width sweep, gradient descent at the model's width, the
width study over widths and seeds, and Ling et al.'s rerun at Theorem 1's own step.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from numeric.data import Dataset
from numeric.lambda_certificate import LambdaCertificate
from numeric.training import TrainingResult, train_deq
from numeric.width import GramSweep, gram_sweep, theory_width_scale
from symbolic.errors import VerifyError
from verify import verdicts
from verify.checks.records import LingRun
from verify.checks.stage import Failed
from verify.settings import Settings


def run_width_sweep(act, data, pop, model, lip, s: Settings) -> GramSweep:
    """‖ZᵀZ/m - G*‖ at the width and four halvings (at least 32), with the run's settings."""
    if isinstance(pop, Failed):
        raise VerifyError(f"the width sweep needs G*, which is unavailable: {pop}")
    widths = sorted({max(32, model.width // 2**k) for k in range(5)})
    seeds = [s.seed + i for i in range(s.study.sweep_seeds)]
    return gram_sweep(
        act,
        data,
        pop.gram.gram,
        model,
        s.solve,
        lip=lip,
        widths=widths,
        seeds=seeds,
        device=s.device,
        progress=None,
    )


def deq_run(act, data, pop, model, lip, s: Settings, seed: int, progress) -> TrainingResult:
    """GD at ``model``'s width with the run's solve and schedule settings."""
    report = None
    if progress is not None:

        def report(k: int, total: int, loss: float) -> None:
            if k % 20 == 0 or k == total:
                progress(f"training step {k}/{total}, loss {loss:.3e}")

    theta = None if isinstance(pop, Failed) else pop.theta_star
    return train_deq(
        act,
        data,
        model,
        s.solve,
        s.schedule,
        lip=lip,
        seed=seed,
        theta_star=theta,
        device=s.device,
        progress=report,
    )


def run_width_study(act, data, pop, model, lip, s: Settings) -> verdicts.WidthStudy:
    """Train at every (width, seed) with the run's settings, and judge each seed."""
    if isinstance(pop, Failed):
        raise VerifyError(f"the width study needs λ*, which is unavailable: {pop}")
    lam, err = pop.lambda_star, pop.spectrum.error
    proved = isinstance(pop.certified, LambdaCertificate) and pop.certified.positive
    if not (proved or lam > err):  # a float λ* within its own error is no evidence of λ* > 0
        raise VerifyError(
            f"the width study needs λ* > 0; λ_min(G*) = {lam:.3g} ± {err:.2g}, not proved positive"
        )
    seeds = [s.seed + k for k in range(s.study.study_seeds)]
    passed, lrs = [], []
    for m in s.study.width_study:
        wide = replace(model, width=m)
        runs = [deq_run(act, data, pop, wide, lip, s, seed, None) for seed in seeds]
        passed.append(sum(verdicts.seed_held(r, lam) for r in runs) / len(seeds))
        lrs.append(runs[0].lr)
    scale = theory_width_scale(data.n, lam, s.study.confidence_t)
    return verdicts.WidthStudy(
        list(s.study.width_study), passed, s.study.study_fraction, scale, lrs
    )


def drawn_ling_constants(s: Settings, data: Dataset, t: TrainingResult) -> verdicts.LingConstants:
    """Condition 1's constants on the training run's drawn W(0), U(0), a(0) (δ from --ling-delta,
    else (1 - ‖W(0)‖₂)/2); raises VerifyError when ‖W(0)‖₂ + δ ≥ 1."""
    p, w = t.initial, t.init.w_norm
    delta = s.ling.delta if s.ling.delta is not None else (1 - w) / 2
    u_norm = float(torch.linalg.matrix_norm(p.U.cpu(), ord=2))
    return verdicts.ling_constants(w, u_norm, float(p.a.norm()), delta)


def ling_run(act, data, pop, model, lip, s: Settings, t: TrainingResult) -> LingRun:
    """The training run repeated (same seed, so the same draw) at η = 0.99 × Theorem 1's bound
    min(2/λ_0, 2(c_w² + c_u²)/((c_w² + c_u² + c_a²)²‖X‖_F²)) with Ling's rate constant 1/2."""
    lc = drawn_ling_constants(s, data, t)
    cc = lc.c_w**2 + lc.c_u**2
    bound = min(2 / t.lambda_0, 2 * cc / ((cc + lc.c_a**2) ** 2 * float(data.x.norm()) ** 2))
    schedule = replace(s.schedule, lr=0.99 * bound, rate_constant=0.5)
    res = deq_run(act, data, pop, model, lip, replace(s, schedule=schedule), s.seed, None)
    return LingRun(bound, res)
