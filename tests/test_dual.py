import math

import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.mehler import dual_series
from numeric.quadrature import dual_quadrature_2d
from symbolic import REGISTRY, dual_by_summation, dual_closed_fn
from symbolic.families import RHO, Q
from tests.known import dual_reference

T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(["exp", "sin", "cos", "erf", "relu", "step"]),
    q1=st.floats(0.1, 2.0),
    q2=st.floats(0.1, 2.0),
    r=st.floats(-0.95, 0.95),
)
def test_registry_closed_form_equals_spec_formula(name, q1, q2, r):
    c = r * math.sqrt(q1 * q2)
    got = float(dual_closed_fn(REGISTRY[name])(T(q1), T(q2), T(c)))
    assert got == pytest.approx(dual_reference(name, q1, q2, c), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    "name", ["sin", "cos", "exp", "erf", "tanh", "gelu", "gaussian", "sigmoid"]
)
def test_series_with_tail_bound_matches_2d_quadrature_for_smooth_phi(name):
    act = REGISTRY[name]
    q1, q2, c = 0.6, 1.4, 0.5
    series = dual_series(act, q1, q2, 200)
    value, tail = series(T([c / math.sqrt(q1 * q2)]))
    quad = dual_quadrature_2d(act, q1, q2, c, 100)
    # quadrature: 100² Gauss–Hermite nodes, exponentially accurate for smooth φ (~1e-13)
    assert abs(float(value[0]) - quad) <= tail + 1e-12
    if act.dual is not None:
        closed = float(dual_closed_fn(act)(T(q1), T(q2), T(c)))
        assert abs(float(value[0]) - closed) <= tail + 1e-13


@pytest.mark.parametrize("name", ["relu", "step", "sign", "abs", "leaky_relu"])
def test_kinked_closed_forms_match_the_series_within_its_tail_bound(name):
    act = REGISTRY[name]
    q1, q2 = 0.8, 1.1
    rho = T([-0.9, -0.3, 0.0, 0.4, 0.85])
    series = dual_series(act, q1, q2, 400)
    value, tail = series(rho)
    closed = dual_closed_fn(act)(T(q1), T(q2), rho * math.sqrt(q1 * q2))
    assert tail < 1e-10
    assert (value - closed).abs().max() <= tail + 1e-13


def test_tail_bound_is_rigorous_and_not_vacuous():
    """Truncating sign's series early: the bound holds and is within a factor 100 of the error."""
    act = REGISTRY["sign"]
    series = dual_series(act, 1.0, 1.0, 20)
    rho = T([0.7])
    value, tail = series(rho)
    exact = float(dual_closed_fn(act)(T(1.0), T(1.0), rho))
    err = abs(float(value[0]) - exact)
    assert err <= tail <= 100 * err


def test_sympy_sums_the_sin_series_to_the_spec_closed_form():
    got = dual_by_summation(REGISTRY["sin"], 10.0)
    assert sp.simplify(got - sp.exp(-Q) * sp.sinh(Q * RHO)) == 0
    got = dual_by_summation(REGISTRY["exp"], 10.0)
    assert sp.simplify(got - sp.exp(Q * (1 + RHO))) == 0


def test_symbolic_dual_at_equal_variance_agrees_with_registry_closed_form():
    for name in ("cos", "gaussian"):
        act = REGISTRY[name]
        summed = dual_by_summation(act, 10.0)
        q, r = 0.9, 0.35
        want = float(dual_closed_fn(act)(T(q), T(q), T(r * q)))
        assert float(summed.subs({Q: q, RHO: r})) == pytest.approx(want, rel=1e-13)
