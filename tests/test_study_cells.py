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
    import time

    groups, cells = _grid("sin")
    t0 = time.perf_counter()
    rec = run_group(groups[0])
    assert 0 <= rec["seconds"] <= time.perf_counter() - t0  # the group's own time
    return groups[0], cells, rec


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
    assert set(rec) == {
        "activation", "data", "n", "sigma_w2", "lip", "lambda_star", "lambda_star_enclosure",
        "lambda_star_status", "certificate_failure", "q_star", "covered", "refuted",
        "hypotheses", "theta_star", "seconds",
    }  # fmt: skip
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


DEQ_KEYS = {
    "width", "replicate", "weight_seed", "lr", "lambda_0", "lambda_0_ratio", "lambda0_held",
    "rate", "rate_r2", "max_ratio", "rate_bound", "rate_finite", "rate_infinite", "rate_held",
    "lambda_kept", "well_posed", "lazy", "held", "initial_loss", "final_loss", "error", "seconds",
}  # fmt: skip


def test_each_cell_is_its_own_seeded_run_and_held_follows_the_rule(sin_group):
    _, cells, rec = sin_group
    import time

    from verify.study.cells import symbolic_memo

    assert symbolic_memo() is symbolic_memo()  # one memo per process: φ's facts proved once
    outcomes = set()
    for cell in cells:
        torch.set_num_threads(2)
        t0 = time.perf_counter()
        out = run_cell(cell, rec)
        assert torch.get_num_threads() == 1  # every task on one thread: bit-identical anywhere
        assert 0 <= out["seconds"] <= time.perf_counter() - t0  # its own call's time
        assert set(out) == DEQ_KEYS
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
        assert out["rate_r2"] == res.rate.r2 and out["rate_finite"] == res.rate_finite
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
    import time

    _, cells, rec = sin_group
    cell = cells[0]
    stuck = replace(cell, settings=from_flat({"max_iterations": 2}, cell.settings))
    t0 = time.perf_counter()
    out = run_cell(stuck, rec)
    assert 0 <= out["seconds"] <= time.perf_counter() - t0
    assert set(out) == {"width", "replicate", "weight_seed", "error", "held", "seconds"}
    assert out["held"] is False and "did not converge" in out["error"]
    assert (out["width"], out["replicate"], out["weight_seed"]) == (8, 0, cell.weight_seed)


GAO_KEYS = {
    "network", "width", "replicate", "weight_seed", "lr", "lambda_0", "gram_init",
    "gram_init_held", "rate", "rate_r2", "max_ratio", "rate_bound", "rate_held", "gram_kept",
    "well_posed", "held", "initial_loss", "final_loss", "error", "seconds",
}  # fmt: skip


def test_a_gao_cell_is_gao_and_gaos_run_redone_here_and_held_follows_theorem_3_2():
    """relu, n = 5, width 16, network "gao": λ_0 = λ_min(G^∞) by eigvalsh of the arc-cosine
    kernel, Gao & Gao's network retrained here with the cell's settings and seed; every number of
    the record is that run's, Lemma 3.3's column is λ_min(G(0)) ≥ ¾λ_0, and "held" is Theorem
    3.2's conclusion: every ratio within 1 - αλ_0/2 (1e-12 slack), ‖B(k)‖₂ < 1 and
    λ_min(G(k)) ≥ λ_0/2 all along. Its recorded time lies within the call's."""
    import time

    from numeric.implicit import explicit_gram, train_gao

    grid = StudyGrid(parse_activations("relu"), (5,), (16,), 2, ("sphere",), 0.5, "gao")
    _, cells = groups_and_cells(grid, BASE)
    seen = set()
    for cell in cells:
        t0 = time.perf_counter()
        out = run_cell(cell, {})
        wall = time.perf_counter() - t0
        s = cell.settings
        data = load_dataset(s.data, s.seed)
        lam0 = float(torch.linalg.eigvalsh(explicit_gram(data.x))[0])
        res = train_gao(
            resolve("relu"), data, 16, s.gao, s.solve, s.schedule, lambda_0=lam0,
            seed=cell.weight_seed, device="cpu",
        )  # fmt: skip
        assert set(out) == GAO_KEYS and out["network"] == "gao" and out["error"] is None
        assert (out["width"], out["replicate"], out["weight_seed"]) == (
            16,
            cell.replicate,
            cell.weight_seed,
        )
        assert out["lambda_0"] == pytest.approx(lam0, rel=1e-12)
        for key in ("lr", "gram_init", "max_ratio", "rate_bound", "initial_loss", "final_loss"):
            assert out[key] == pytest.approx(getattr(res, key), rel=1e-9), key
        assert out["rate"] == pytest.approx(res.rate.rate, rel=1e-9)
        assert out["rate_r2"] == pytest.approx(res.rate.r2, rel=1e-9, abs=1e-12)
        assert out["gram_init_held"] is (res.gram_init >= 0.75 * lam0)
        assert out["gram_kept"] is (min(res.history.lambda_min_gram) >= lam0 / 2)
        assert out["well_posed"] is (max(res.history.norm_bound) < 1)
        rate = res.max_ratio <= res.rate_bound + 1e-12
        assert out["rate_held"] is rate
        assert out["held"] is (rate and out["well_posed"] and out["gram_kept"])
        assert 0 <= out["seconds"] <= wall
        seen.add(cell.weight_seed)
    assert len(seen) == 2


def test_a_gao_cell_that_cannot_start_is_recorded_as_not_held():
    """γ = 5: the drawn ‖(γ/m)A‖₂ ≥ 1, refused before any step; the record names the cell, keeps
    λ_0 and the reason, and does not hold."""
    from numeric.implicit import explicit_gram

    grid = StudyGrid(parse_activations("relu"), (5,), (16,), 1, ("sphere",), 0.5, "gao")
    _, (cell,) = groups_and_cells(grid, from_flat({"gamma": 5.0}, BASE))
    out = run_cell(cell, {})
    data = load_dataset(cell.settings.data, cell.settings.seed)
    lam0 = float(torch.linalg.eigvalsh(explicit_gram(data.x))[0])
    keys = {"network", "width", "replicate", "weight_seed", "lambda_0", "error", "held", "seconds"}
    assert set(out) == keys and (out["network"], out["width"], out["held"]) == ("gao", 16, False)
    assert (out["replicate"], out["weight_seed"]) == (0, cell.weight_seed)
    assert out["lambda_0"] == pytest.approx(lam0, rel=1e-12)
    assert out["error"].startswith("Gao & Gao: the drawn ‖(γ/m)A‖₂ = ")
    assert 0 <= out["seconds"] < 60


def test_a_group_with_lambda_star_zero_has_an_infinite_ratio(sin_group):
    """λ* = 0 (a singular G*, an affine φ): λ_0/(mλ*) is ∞, not a division by zero, and
    λ_0 ≥ m·0/2 holds."""
    _, cells, rec = sin_group
    out = run_cell(cells[0], {**rec, "lambda_star": 0.0})
    assert out["lambda_0_ratio"] == math.inf and out["lambda0_held"] is True
