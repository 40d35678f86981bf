"""The symbolic stage kept per process for a study's groups (verify.checks.pipeline.SymbolicMemo):
φ's facts are proved once for every group of that φ, the results are those of a run without the
memo, and the memo never serves another activation or other precision settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

import verify.checks.pipeline as pipeline
from verify.checks.pipeline import SymbolicMemo, run_checks
from verify.settings import Settings, from_flat

BASE = from_flat(
    {"hermite_terms": 8, "dps": 20, "n": 5, "train": False, "certify": False, "width_sweep": False},
    Settings(),
)


def _numbers(v) -> tuple:
    return (v.gram.lambda_star, v.model.sigma_w2, v.verdict, v.symbolic.coefficients)


@pytest.fixture
def counted(monkeypatch):
    """The number of times each symbolic step ran."""
    calls = {"facts": 0, "sups": 0, "l2": 0}

    def wrap(name, fn):
        def inner(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        return inner

    monkeypatch.setattr(pipeline, "symbolic_facts", wrap("facts", pipeline.symbolic_facts))
    monkeypatch.setattr(pipeline, "suprema", wrap("sups", pipeline.suprema))
    monkeypatch.setattr(pipeline, "square_integrable", wrap("l2", pipeline.square_integrable))
    return calls


def test_groups_of_one_activation_prove_its_facts_once_with_the_same_results(counted):
    memo = SymbolicMemo()
    first, second = (
        replace(
            BASE,
            activation="sin",
            data=replace(BASE.data, n=n),
            model=replace(BASE.model, sigma_w2=w),
        )
        for n, w in ((5, 0.0625), (7, 0.03))
    )
    run_checks(first, memo=memo)
    served = _numbers(run_checks(second, memo=memo))
    assert counted == {"facts": 1, "sups": 1, "l2": 1}
    assert served == _numbers(run_checks(second))  # λ*, σ_w², verdict, μ_k: bit for bit
    assert counted == {"facts": 2, "sups": 2, "l2": 2}
    # never another activation, other precision settings, or another certify switch
    assert memo.get(replace(second, activation="tanh")) is None
    assert memo.get(replace(second, precision=replace(second.precision, dps=25))) is None
    assert memo.get(replace(second, precision=replace(second.precision, certify=True))) is None
    assert memo.get(replace(second, seed=7, model=replace(second.model, sigma_w2=0.01))) is not None


def test_the_memo_keeps_at_most_its_size_oldest_first():
    memo = SymbolicMemo(size=2)
    stages = {}
    for name in ("a", "b", "c"):
        stages[name] = object()
        memo.put(replace(BASE, activation=name), stages[name])
    assert memo.get(replace(BASE, activation="a")) is None
    assert memo.get(replace(BASE, activation="c")) is stages["c"]
    assert memo.get(replace(BASE, activation="b")) is stages["b"]
