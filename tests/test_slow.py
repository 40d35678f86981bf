"""Long studies, out of the default run: pytest -m slow."""

from dataclasses import replace

import pytest

from numeric.data import sphere_data
from numeric.width import gram_sweep
from symbolic import REGISTRY
from tests.helpers import SOLVE, S, gram, model
from verify.checks import run_checks
from verify.results import Condition, Status

pytestmark = pytest.mark.slow


def test_gram_sweep_slope_is_about_minus_one_half():
    act = REGISTRY["tanh"]
    data = sphere_data(20, 10, 0, 0.1)
    sweep = gram_sweep(
        act,
        data,
        gram(act, data.x).gram,
        model(64),
        SOLVE,
        lip=1.0,
        widths=[64, 128, 256, 512, 1024, 2048],
        seeds=list(range(6)),
        device="cpu",
        progress=None,
    )
    assert -0.65 < sweep.slope < -0.35  # 1/sqrt(m) with six seeds: ±0.15 covers the scatter


def test_width_study_finds_a_width_where_the_conclusions_hold():
    s = replace(
        S,
        activation="sin",
        train=False,
        data=replace(S.data, n=12, d=6),
        schedule=replace(S.schedule, steps=120),
        study=replace(S.study, width_sweep=False, width_study=(32, 128, 512)),
    )
    v = run_checks(s)
    study = v.study
    assert v.condition(Condition.WIDTH_STUDY).status is Status.PASS
    assert study.smallest is not None and study.passed[-1] == 1.0
    assert study.theory_scale > 1e3 * study.smallest  # the theory's scale is far more conservative
