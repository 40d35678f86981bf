"""Long studies, out of the default run: pytest -m slow."""

import pytest

from numeric.data import sphere_data
from numeric.gram import population_gram
from numeric.ntk import ntk_infinite
from numeric.spectrum import eigenvalues
from numeric.width import gram_sweep, width_study
from symbolic import REGISTRY

pytestmark = pytest.mark.slow
S2 = 1 / 16


def test_gram_sweep_slope_is_about_minus_one_half():
    act = REGISTRY["tanh"]
    data = sphere_data(20, 10, 0)
    gram = population_gram(act, data.x, S2)
    sweep = gram_sweep(
        act,
        data,
        gram.gram,
        sigma_w2=S2,
        lip=1.0,
        widths=[64, 128, 256, 512, 1024, 2048],
        seeds=list(range(6)),
    )
    assert -0.65 < sweep.slope < -0.35  # 1/sqrt(m) with six seeds: ±0.15 covers the scatter


def test_width_study_finds_a_width_where_the_conclusions_hold():
    act = REGISTRY["sin"]
    data = sphere_data(12, 6, 0)
    gram = population_gram(act, data.x, S2)
    lam = float(eigenvalues(gram.gram)[0])
    study = width_study(
        act,
        data,
        lam,
        sigma_w2=S2,
        lip=1.0,
        widths=[32, 128, 512],
        seeds=[0, 1, 2],
        steps=120,
        theta_star=ntk_infinite(act, gram, S2),
    )
    assert study.smallest is not None and study.passed[-1] == 1.0
    assert study.theory_scale > study.smallest  # the theory's scale is far more conservative
