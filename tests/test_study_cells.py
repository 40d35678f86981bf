"""The work of one study group and one cell (verify/study/cells.py), in this process, against
independent computations: G* and λ* from the population Gram of the same points, Truong's
hypotheses as the run reports them, and each cell's numbers from its own gradient-descent run
redone here with the cell's seed; what "held" means is derived from the documented rule (λ_0 ≥
mλ*/2 and the linear rate not refuted: every loss ratio within the bound, λ_min(Z(k)ᵀZ(k)) ≥
λ_0/2 and L‖W(k)‖₂ < 1 all along)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from numeric.data import load_dataset
from numeric.training import train_deq as train
from symbolic import resolve
from tests.helpers import eigmin, gram
from verify.settings import Settings, from_flat
from verify.study.cells import run_cell, run_group
from verify.study.grid import StudyGrid, groups_and_cells, parse_activations

BASE = from_flat({"steps": 40, "hermite_terms": 8, "dps": 20}, Settings())
TRUONG_HYPOTHESES = {
    "bounded_dphi",
    "bounded_d2phi",
    "infinite_hermite",
    "weight_scale",
    "data_nonparallel",
}


def _grid(acts: str, seeds: int = 2, widths=(8, 16)) -> tuple[list, list]:
    grid = StudyGrid(parse_activations(acts), (5,), widths, seeds, ("sphere",), 0.8)
    return groups_and_cells(grid, BASE)


@pytest.fixture(scope="module")
def sin_group():
    groups, cells = _grid("sin")
    return groups[0], cells, run_group(groups[0])


def test_a_group_record_holds_lambda_star_its_certificate_and_truongs_hypotheses(sin_group):
    group, _, rec = sin_group
    assert (rec["activation"], rec["data"], rec["n"]) == ("sin", "sphere", 5)
    assert rec["sigma_w2"] == 1 / 16 and rec["lip"] == 1.0  # σ_w² = 1/(16 L²), L = sup|cos| = 1
    data = load_dataset(group.settings.data, group.settings.seed)
    g = gram(resolve("sin"), data.x)
    assert rec["q_star"] == pytest.approx(g.q_star, rel=1e-12)
    assert rec["lambda_star"] == pytest.approx(eigmin(g.gram), rel=1e-9, abs=1e-15)
    lo, hi = rec["lambda_star_enclosure"]
    assert 0 < lo <= rec["lambda_star"] <= hi and rec["lambda_star_status"] == "PASS"
    assert rec["certificate_failure"] is None
    assert rec["covered"] == "PASS" and rec["refuted"] == []
    assert rec["hypotheses"] == {h: "PASS" for h in TRUONG_HYPOTHESES}
    theta = torch.tensor(rec["theta_star"])
    assert theta.shape == (5, 5) and torch.allclose(theta, theta.T)
    assert float(torch.linalg.eigvalsh(theta)[0]) > 0


def test_a_group_outside_the_hypotheses_says_which_one_failed():
    """relu: φ'' unbounded refutes Truong's hypothesis (the study measures it anyway, --force);
    without a certificate the enclosure is absent and says so."""
    groups, _ = _grid("relu")
    settings = from_flat({"certify": False}, groups[0].settings)
    rec = run_group(replace(groups[0], settings=settings))
    assert rec["covered"] == "FAIL" and rec["refuted"] == ["bounded_d2phi"]
    assert rec["hypotheses"]["bounded_d2phi"] == "FAIL"
    assert rec["hypotheses"]["bounded_dphi"] == "PASS"
    assert rec["lambda_star_enclosure"] is None and rec["lambda_star"] > 0


def test_each_cell_is_its_own_seeded_run_and_held_follows_the_rule(sin_group):
    _, cells, rec = sin_group
    outcomes = set()
    for cell in cells:
        out = run_cell(cell, rec)
        s = cell.settings
        res = train(
            resolve("sin"),
            load_dataset(s.data, s.seed),
            replace(s.model, sigma_w2=rec["sigma_w2"]),
            s.solve,
            s.schedule,
            lip=rec["lip"],
            seed=cell.weight_seed,
            theta_star=torch.tensor(rec["theta_star"], dtype=torch.float64),
            device="cpu",
            progress=None,
        )
        assert (out["width"], out["replicate"]) == (cell.width, cell.replicate)
        assert out["weight_seed"] == cell.weight_seed and out["error"] is None
        assert out["lambda_0"] == res.lambda_0 and out["lr"] == res.lr
        assert out["max_ratio"] == res.rate.max_ratio and out["rate"] == res.rate.rate
        assert out["rate_bound"] == res.rate_bound and out["rate_infinite"] == res.rate_infinite
        assert out["initial_loss"] == res.initial_loss and out["final_loss"] == res.final_loss
        lam = rec["lambda_star"]
        assert out["lambda_0_ratio"] == pytest.approx(res.lambda_0 / (cell.width * lam))
        assert out["lambda0_held"] == (res.lambda_0 >= cell.width * lam / 2)
        kept = min(res.history.lambda_min_zz) >= res.lambda_0 / 2
        assert out["lambda_kept"] == kept
        rate_held = res.rate.max_ratio <= res.rate_bound and kept
        assert out["rate_held"] == rate_held
        assert out["well_posed"] == all(b < 1 for b in res.history.lip_norm_bound)
        assert out["lazy"] == (res.history.ntk_drift[-1] < 0.1)
        held = out["lambda0_held"] and rate_held and out["well_posed"]
        assert out["held"] == held
        outcomes.add((out["lambda0_held"], rate_held))
    assert len({c.weight_seed for c in cells}) == len(cells) == 4
    assert len(outcomes) >= 2  # both sides of the rule are exercised


def test_a_cell_that_cannot_finish_is_recorded_as_not_held(sin_group):
    _, cells, rec = sin_group
    cell = cells[0]
    stuck = replace(cell, settings=from_flat({"max_iterations": 2}, cell.settings))
    out = run_cell(stuck, rec)
    assert out["held"] is False and "did not converge" in out["error"]
    assert (out["width"], out["replicate"], out["weight_seed"]) == (8, 0, cell.weight_seed)
    assert out["seconds"] >= 0 and math.isfinite(out["seconds"])
