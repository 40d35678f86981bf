import math

import mpmath
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


def _mp_j1(r):
    return mpmath.sqrt(1 - r * r) + (mpmath.pi - mpmath.acos(r)) * r


def _mp_dual(name: str, r):
    """The arc-cosine duals at q1 = q2 = 1 written out at 50 digits (independent of the registry:
    |x| = relu(x) + relu(-x), max(x, αx) = αx + (1-α)relu(x))."""
    relu = _mp_j1(r) / (2 * mpmath.pi)
    if name == "relu":
        return relu
    if name == "abs":
        return (_mp_j1(r) + _mp_j1(-r)) / mpmath.pi
    a = mpmath.mpf(1) / 100  # leaky_relu's slope
    return a * a * r + a * (1 - a) * r + (1 - a) ** 2 * relu


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu"])
def test_arc_cosine_duals_are_accurate_up_to_both_ends(name):
    """At ρ = ±(1 - 10^-k), k = 1..15, against 50 digits. The textbook ReLU form cancels as
    ρ → -1 (relative error 6.6e4 at k = 15 before the stable J₁); the dual is well conditioned
    in ρ there (dE/dρ = (π - arccos ρ)/(2π) → 0), so a few ulps is the right tolerance
    (measured: at most 2 ulps)."""
    fn = dual_closed_fn(REGISTRY[name])
    with mpmath.workdps(50):
        for k in range(1, 16):
            for rho in (1 - 10.0**-k, -(1 - 10.0**-k)):
                got = float(fn(T(1.0), T(1.0), T(rho)))
                want = _mp_dual(name, mpmath.mpf(rho))  # the float ρ, exactly
                assert abs(got - want) <= 8e-16 * abs(want), (k, rho)  # 4 ulps


def test_gram_error_bar_covers_near_antipodal_inputs():
    """relu G* for a pair with x_1ᵀx_2 = -(1 - 10^-k): the scalar fixed point
    t = 2σ_w² κ(t) + (2/d)s solved at 50 digits is the reference; |error| ≤ the reported bar."""
    from tests.helpers import S2, gram

    def kappa(t, q):
        return q * _mp_j1(t / q) / (2 * mpmath.pi)

    with mpmath.workdps(50):
        for k in (1, 3, 6, 9, 12, 15):
            c = -(1 - 10.0**-k)
            x = torch.tensor([[1.0, 0.0], [c, math.sqrt((1 - c) * (1 + c))]], dtype=torch.float64)
            s = mpmath.mpf(float(x[0] @ x[1]))
            q = mpmath.mpf(1) / (1 - mpmath.mpf(S2))  # q = 2σ_w² q/2 + 2/d with d = 2
            t = s
            for _ in range(200):  # contraction 2σ_w² · 1/2 = 1/16 per step
                t = 2 * S2 * kappa(t, q) + s
            g = gram(REGISTRY["relu"], x)
            assert abs(float(g.gram[0, 1]) - kappa(t, q)) <= g.error, k


def test_horner_in_place_blocks_match_the_out_of_place_rule(monkeypatch):
    """Blocks of 5 entries (in place, no autograd) give bitwise the values of out = out·ρ + c
    from the top coefficient down; with autograd, the same values and Σ n c_n ρ^{n-1}."""
    import numeric.mehler as mh

    monkeypatch.setattr(mh, "HORNER_BLOCK", 5)
    c = torch.tensor([0.3, -0.2, 0.5, 0.125], dtype=torch.float64)
    rho = torch.linspace(-1, 1, 17, dtype=torch.float64).reshape(1, 17)
    ref = torch.zeros_like(rho)
    for a in reversed(c.tolist()):
        ref = ref * rho + a
    assert torch.equal(mh.horner(c, rho), ref)
    x = rho.clone().requires_grad_(True)
    value = mh.horner(c, x)
    (slope,) = torch.autograd.grad(value.sum(), x)
    assert torch.equal(value.detach(), ref)
    assert torch.allclose(slope, -0.2 + 2 * 0.5 * rho + 3 * 0.125 * rho**2, atol=1e-15)
