"""The study grid's records and keys (verify.study.grid), rule by rule and without running any
work: what a group and a cell are set to compute, what their keys hold (and so when a stored row
may be reused), the list parsers' splits and their one-line refusals word for word, and the
cell seed's documented derivation. Torch-free (runs under --noconftest)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import replace
from importlib import metadata

import pytest

from symbolic.errors import VerifyError
from verify.settings import Settings
from verify.study.grid import (
    SPHERE,
    ActivationSpec,
    StudyGrid,
    groups_and_cells,
    parse_activations,
    parse_ints,
    project_version,
    split_top_level,
)

BASE = Settings()


def _grid(network: str = "deq", **kw) -> StudyGrid:
    acts = (ActivationSpec("sin", None), ActivationSpec("tanh", 0.02), ActivationSpec("erf", None))
    base = dict(
        activations=acts,
        ns=(4, 6),
        widths=(8, 16),
        seeds=3,
        data=(SPHERE, "points.csv"),
        fraction=0.8,
        network=network,
    )
    return StudyGrid(**{**base, **kw})


def _refusal(call, *args) -> str:
    with pytest.raises(VerifyError) as err:
        call(*args)
    return str(err.value)


@pytest.mark.parametrize(
    "text, parts",
    [
        ("sin", ["sin"]),
        (" sin , tanh ", ["sin", "tanh"]),
        ("sin,Max(0, x)", ["sin", "Max(0, x)"]),
        ("f(g(x, y), z),w", ["f(g(x, y), z)", "w"]),
        ("f(x),g(x)", ["f(x)", "g(x)"]),
        ("Piecewise((0, x < 0), (x, True)),[1, 2],{a, b},c", None),
    ],
)
def test_lists_split_on_top_level_commas_only(text, parts):
    if parts is None:
        parts = ["Piecewise((0, x < 0), (x, True))", "[1, 2]", "{a, b}", "c"]
    assert split_top_level(text) == parts


@pytest.mark.parametrize("text", ["sin,,tanh", ",sin", "sin,", " "])
def test_an_empty_entry_is_refused_in_one_line(text):
    assert _refusal(split_top_level, text) == f"empty entry in the list {text!r}"


def test_activations_with_and_without_their_own_sigma():
    assert parse_activations("sin, exp@0.01,Max(0, x)@1e-3") == (
        ActivationSpec("sin", None),
        ActivationSpec("exp", 0.01),
        ActivationSpec("Max(0, x)", 1e-3),
    )
    assert _refusal(parse_activations, "exp@x") == "σ_w² after '@' must be a number, got 'exp@x'"
    assert _refusal(parse_activations, "exp@0") == "σ_w² must be positive, got 'exp@0'"
    assert _refusal(parse_activations, "exp@nan") == "σ_w² must be positive, got 'exp@nan'"
    assert (
        _refusal(parse_activations, "sin,sin@0.1") == "an activation appears twice in 'sin,sin@0.1'"
    )


def test_integer_lists_are_sorted_sets_of_positive_integers():
    assert parse_ints("16,8,8,1", "widths") == (1, 8, 16)
    assert _refusal(parse_ints, "0,4", "widths") == "widths must be positive, got '0,4'"
    assert _refusal(parse_ints, "4,-2", "n") == "n must be positive, got '4,-2'"
    assert _refusal(parse_ints, "4,x", "n") == "n must be positive integers like 8,16, got '4,x'"


def test_the_grid_size_is_the_number_of_cells():
    grid = _grid()
    groups, cells = groups_and_cells(grid, BASE)
    assert grid.size == 3 * 2 * 2 * 2 * 3 == len(cells) == 72
    assert len(groups) == 3 * 2 * 2 == len({g.key for g in groups})
    assert len({c.key for c in cells}) == 72


def test_a_group_computes_the_population_quantities_once_under_truongs_theorem():
    """Train off, no width sweep, forced past refusals, Truong's theorem only; the data source
    as given (the sphere: no data file), σ_w² from 'NAME@σ' or else the base setting; the key is
    canonical JSON of those settings at width 1 and the version, and nothing else."""
    groups, _ = groups_and_cells(_grid(), BASE)
    for g in groups:
        s = g.settings
        assert (s.train, s.force, s.theorems) == (False, True, ("truong2023",))
        assert (s.study.width_sweep, s.study.width_study) == (False, ())
        assert (s.activation, s.data.n) == (g.activation, g.n)
        assert s.data.data == (None if g.data == SPHERE else g.data)
        want = 0.02 if g.activation == "tanh" else BASE.model.sigma_w2
        assert s.model.sigma_w2 == want
        body = json.loads(g.key)
        assert set(body) == {"settings", "version"} and body["version"] == project_version()
        at_one = replace(s, model=replace(s.model, width=1))
        assert body["settings"] == json.loads(json.dumps(at_one.to_dict(), default=str))
        assert g.key == json.dumps(body, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("network", ["deq", "gao"])
def test_a_cell_trains_its_groups_settings_at_its_width_and_replicate(network):
    groups, cells = groups_and_cells(_grid(network), BASE)
    by_key = {g.key: g for g in groups}
    for c in cells:
        g = by_key[c.group]
        assert (c.activation, c.data, c.n, c.network) == (g.activation, g.data, g.n, network)
        assert c.settings == replace(
            g.settings, train=True, model=replace(g.settings.model, width=c.width)
        )
        body = json.loads(c.key)
        extra = {"replicate": c.replicate} | ({"network": "gao"} if network == "gao" else {})
        assert set(body) == {"settings", "version", *extra}
        assert {k: body[k] for k in extra} == extra
        assert body["settings"] == json.loads(json.dumps(c.settings.to_dict(), default=str))
        assert c.key == json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert {(c.width, c.replicate) for c in cells} == {(m, k) for m in (8, 16) for k in range(3)}


def test_gao_cells_share_the_deq_groups_and_never_a_cell_key():
    deq_groups, deq_cells = groups_and_cells(_grid("deq"), BASE)
    gao_groups, gao_cells = groups_and_cells(_grid("gao"), BASE)
    assert [g.key for g in deq_groups] == [g.key for g in gao_groups]
    assert not {c.key for c in deq_cells} & {c.key for c in gao_cells}


def test_an_unknown_network_is_refused_with_the_choices():
    assert _refusal(groups_and_cells, _grid("mlp"), BASE) == (
        "unknown network 'mlp'; choose from deq, gao"
    )


def test_a_cells_weight_seed_is_the_first_60_bits_of_its_keys_sha256():
    """As documented: the seed depends on the key alone (where and in what order the cell ran do
    not matter), and fits a signed 64-bit integer (torch.manual_seed)."""
    _, cells = groups_and_cells(_grid(), BASE)
    seeds = {c.weight_seed for c in cells}
    assert len(seeds) == len(cells)
    for c in cells:
        assert c.weight_seed == int(hashlib.sha256(c.key.encode()).hexdigest()[:15], 16) < 2**60
    again = groups_and_cells(replace(_grid(), widths=(16,), seeds=1), BASE)[1][0]
    first = next(c for c in cells if c.key == again.key)
    assert again.weight_seed == first.weight_seed


def test_the_version_without_an_install(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert project_version() == "0+unknown"
    groups, _ = groups_and_cells(_grid(), BASE)
    assert json.loads(groups[0].key)["version"] == "0+unknown"


def test_the_records_are_immutable():
    """Keys and records are shared by the driver, the store and the workers: none may change."""
    groups, cells = groups_and_cells(_grid(), BASE)
    records = [ActivationSpec("sin", None), _grid(), groups[0], cells[0]]
    for record in records:
        field = dataclasses.fields(record)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, None)
