"""The checker's claims one at a time, at their edges (verify.recheck): each claim is handed an
interval or a number that is true by a hair, or false by a hair, where the truth is known from an
independent computation (mpmath quadrature at 30 digits), and the checker must say PROVED and
NOT PROVED accordingly, with the numbers in its one-line reason. The file-level tests
(test_recheck.py) tamper with honest files by wide margins; these hold the rules themselves:
a contraction test that accepted slope 1.5, or half of a bisected piece, would pass those.

The variance map of tanh at σ_w² = 3/4 on inputs in R^64 (2/d = 1/32) is the case: its slope
T'(q) = 2σ_w²·d/dq E[tanh²(√q Z)] falls through 1 at q₁ ≈ 0.12598, so an interval K = [a, 4]
is a valid claim exactly when a > q₁ (T(J) ⊂ J and T(q) > q below K hold for every a here)."""

from __future__ import annotations

import copy
import json
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, localcontext
from pathlib import Path

import mpmath
import numpy as np
import pytest
from flint import arb, ctx

from verify.certificate_file import array, exact
from verify.recheck import (
    Run,
    _ball,
    _down,
    _kappa,
    _up,
    check_coefficients,
    check_contraction,
    check_q_star,
    check_variance_map,
    entries,
)

DATA = Path(__file__).parent / "data"
S2 = 1.5  # 2σ_w²
D = 64


def _slope(q: float) -> mpmath.mpf:
    """T'(q) = 2σ_w²·E[tanh²(√q Z)(Z² - 1)]/(2q) (Stein), by 30-digit quadrature."""
    with mpmath.workdps(30):
        f = lambda z: mpmath.tanh(mpmath.sqrt(q) * z) ** 2 * (z * z - 1) * mpmath.npdf(z)  # noqa: E731
        return S2 * mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]) / (2 * q)


@pytest.fixture(scope="module")
def q1() -> float:
    """Where T' = 1 (T' decreases through it)."""
    with mpmath.workdps(30):
        root = mpmath.findroot(lambda q: _slope(q) - 1, mpmath.mpf("0.126"))
    assert _slope(float(root) * 0.99) > 1 > _slope(float(root) * 1.01)
    return float(root)


@pytest.fixture(autouse=True)
def _file_precision():
    """The checker works at the file's precision_bits (128), which :func:`verify.recheck.recheck`
    sets for the call; the claims called one by one here get it from this fixture."""
    before = ctx.prec
    ctx.prec = 128
    yield
    ctx.prec = before


def _run(doc: dict) -> Run:
    before = ctx.prec
    try:
        return Run(doc)
    finally:
        ctx.prec = before


@pytest.fixture(scope="module")
def run() -> Run:
    """The stored tanh file with σ_w² = 3/4 and two inputs in R^64 (the variance map reads only
    φ, σ_w² and d)."""
    doc = copy.deepcopy(json.loads((DATA / "certificate_tanh.json").read_text()))
    doc["sigma_w2"] = (S2 / 2).hex()
    doc["inputs"] = {"n": 2, "d": D, "x": array(np.eye(D)[:2])}
    return _run(doc)


def _down10(x: float) -> str:
    """x rounded down to 10 significant digits, as the reasons print a lower end."""
    d = Decimal(x)
    return f"{d.quantize(Decimal(1).scaleb(d.adjusted() - 9), rounding=ROUND_FLOOR):f}"


def _up_text(x: arb, digits: int) -> str:
    """x's upper end rounded up to ``digits`` significant digits (exactly, from its binary ends)."""
    man, exp = (int(v) for v in x.upper().man_exp())
    exact = Decimal(man) * Decimal(2) ** exp if exp >= 0 else Decimal(man) / Decimal(2) ** -exp
    with localcontext(Context(prec=digits, rounding=ROUND_CEILING)):
        text = f"{+exact:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _gauss(f) -> mpmath.mpf:
    """E[f(Z)], Z ~ N(0, 1), by 30-digit quadrature."""
    with mpmath.workdps(30):
        return mpmath.quad(lambda z: f(z) * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf])


def _check(run: Run, start: float, hi: float = 4.0):
    return check_variance_map(run, {"start": start.hex(), "hi": hi.hex()})


def test_a_contraction_interval_just_above_the_slope_one_point_is_proved(run, q1):
    """a = 1.005·q₁: sup_K |T'| is within 0.3 % of 1; the pieces must be bisected to prove it."""
    a = q1 * 1.005
    result, slope = _check(run, a)
    assert result.proved, result.detail
    assert float(_slope(a)) <= float(slope.upper()) < 1
    assert result.detail == (
        f"T(J) ⊂ J, T(q) > q below K, sup_K |T'| ≤ {_up_text(slope, 4)} "
        f"(J = [0.03125, 4], K = [{_down10(a)}, 4])"
    )


@pytest.mark.parametrize("factor", [0.99, 0.5])
def test_an_interval_reaching_where_the_slope_exceeds_one_is_not_proved(run, q1, factor):
    """a = 0.99·q₁ (|T'| > 1 only on a sliver at K's left end, inside its first piece) and
    a = q₁/2 (|T'| ≈ 1.3 there): T(J) ⊂ J and T ≥ a on K still hold, so only the slope rule
    can refuse, and it must, on every piece, not on one half of a bisected one."""
    a = q1 * factor
    assert 1 < float(_slope(a)) < 2
    result, slope = _check(run, a)
    assert (result.claim, result.proved, slope) == ("variance map", False, None)
    k = _down10(a)
    assert result.detail == (
        f"T(J) ⊂ J with a contraction on K not re-proved (J = [0.03125, 4], K = [{k}, 4])"
    )


def test_k_may_start_at_two_over_d(tanh_doc_default):
    """a = 2/d (no part below K) is a valid claim at the file's own σ_w² = 1/16: with d = 10 as
    the float nearest 1/5, and with d = 64, where a = 1/32 is 2/d exactly."""
    result, _ = check_variance_map(tanh_doc_default, {"start": (2 / 10).hex(), "hi": "0x1p1"})
    assert result.proved, result.detail
    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    doc["inputs"] = {"n": 2, "d": D, "x": array(np.eye(D)[:2])}
    exact, _ = check_variance_map(_run(doc), {"start": (1 / 32).hex(), "hi": "0x1p1"})
    assert exact.proved, exact.detail


@pytest.fixture(scope="module")
def tanh_doc_default() -> Run:
    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    assert doc["inputs"]["d"] == 10
    return _run(doc)


@pytest.mark.parametrize("start, hi", [(0.1, 4.0), (0.5, 0.5), (0.6, 0.5)])
def test_an_interval_that_is_not_two_over_d_below_a_below_b_is_refused(run, start, hi):
    """a < 2/d, a = b, a > b: refused before any integral, with the rule in the reason."""
    result, slope = _check(run, start / 4, hi) if start == 0.1 else _check(run, start, hi)
    assert (result.proved, slope) == (False, None)
    assert (result.claim, result.detail) == (
        "variance map",
        "the file's interval is not 2/d ≤ a < b",
    )


def test_outward_ends_are_the_adjacent_floats_outside():
    """_up/_down: a float end is kept when it is the ball's end, and moved one float outward
    when round-to-nearest went inward (1/10 rounds up, 1/3 down)."""
    tenth, third = arb(1) / 10, arb(1) / 3
    assert _down(tenth) == float.fromhex("0x1.9999999999999p-4") < 0.1
    assert _up(tenth) == 0.1 == float.fromhex("0x1.999999999999ap-4")
    assert _up(third) == math.nextafter(1 / 3, math.inf)
    assert _down(third) == 1 / 3
    assert _up(arb(0.5)) == 0.5 == _down(arb(0.5))


@pytest.mark.parametrize("factor, holds", [(1.01, True), (0.99, False)])
def test_the_correlation_map_contracts_exactly_where_its_slope_is_below_one(run, factor, holds):
    """c(q) = 2σ_w²E[sech⁴(√q Z)] falls through 1 at q_c ≈ 0.33415: at q = 1.01·q_c and 0.99·q_c
    the checker's ball holds the 30-digit value within 1e-30 and decides c < 1 by it; its
    reason gives c's upper end rounded up."""
    with mpmath.workdps(30):
        qc = mpmath.findroot(
            lambda q: S2 * _gauss(lambda z: mpmath.sech(mpmath.sqrt(q) * z) ** 4) - 1, 0.33
        )
    q = float(qc) * factor
    result, c, m1 = check_contraction(run, arb(q))
    truth = _gauss(lambda z: mpmath.sech(mpmath.sqrt(q) * z) ** 4)
    assert float(c.rad()) < 1e-30 and float(m1.rad()) < 1e-30
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(c.mid().str(40, radius=False)) - S2 * truth) < 1e-28
        assert abs(mpmath.mpf(m1.mid().str(40, radius=False)) - truth) < 1e-28
    assert result.proved is holds
    tail = " < 1" if holds else ", not proved < 1"
    assert result.detail == f"slope 2σ_w²E[φ'(√q*Z)²] ≤ {_up_text(c, 6)}{tail}"


def test_a_jumping_phi_has_no_contraction_to_prove(run):
    """φ = Heaviside: E[φ'(u)φ'(v)] is unbounded (φ' holds a Dirac delta)."""
    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    doc["activation"] = {"spec": "Heaviside(x)", "breakpoints": ["0"]}
    result, c, m1 = check_contraction(_run(doc), arb(0.5))
    assert (result.claim, result.proved, c, m1) == ("correlation map", False, 1, 0)
    assert result.detail == "φ jumps: E[φ'(u)φ'(v)] is unbounded"


def test_q_star_is_proved_exactly_when_its_ball_holds_the_fixed_point(run):
    """q* = T(q*) ≈ 0.3742 by 30-digit quadrature: a ball of radius 1e-20 about it is proved
    (|T(m) - m| + sup|T'|·r ≤ r); one moved off q* is not, even where |T(m) - m| < r, nor one
    whose ends leave K."""

    def t(q):
        return S2 * _gauss(lambda z: mpmath.tanh(mpmath.sqrt(q) * z) ** 2) + mpmath.mpf(2) / D

    with mpmath.workdps(30):
        qs = mpmath.findroot(lambda q: t(q) - q, 0.37)
    _, slope = _check(run, 0.3)
    assert slope is not None and float(slope.upper()) < 0.9
    mid, r = arb(mpmath.nstr(qs, 30)), 1e-20
    vm = {"start": (0.3).hex(), "hi": (4.0).hex()}

    def claim(m: arb, radius: float, vmap=vm):
        c = {"q_star": [exact(m), radius.hex()], "variance_map": vmap}
        return check_q_star(run, c, slope)[0]

    good = claim(mid, r)
    assert good.proved and good.claim == "q*", good.detail
    assert good.detail.startswith("q* ∈ [0.374198331") and good.detail.endswith("], T(I) ⊂ I")
    assert not claim(mid + 3 * r, r).proved
    # moved off q* by δ > r, yet |T(m) - m| ≈ (1 - T'(q*))δ = 0.9r < r: only the mean-value
    # term sup|T'|·r refuses it
    tp = float(_slope(float(qs)))
    delta = 0.9 * r / (1 - tp)
    assert 0 < tp < 1 and delta > 1.5 * r
    assert not claim(mid + delta, r).proved
    assert not claim(mid, r, {"start": (0.38).hex(), "hi": (4.0).hex()}).proved
    assert not claim(mid, r, {"start": (0.3).hex(), "hi": (0.37).hex()}).proved


# ------------------------------------------------------------------ the checker's own duals

#: family → (φ as the file writes it, its parameters, E[φ(μ + τZ)] for Z ~ N(0, 1)): the
#: conditional means are the textbook Gaussian ones (the normal's partial moments, Stein's
#: identities for sin, cos, exp and the Gaussian bump, erf's convolution), not the 2-D duals of
#: the checker's table. c = 3/2, b = 1/2 tell c from c², b from b² and both from 1.
_CB = {"c": "3/2", "b": "1/2"}
_C, _B = mpmath.mpf(3) / 2, mpmath.mpf(1) / 2


def _cdf(x):
    return mpmath.ncdf(x)


def _relu_mean(m, t):
    return m * _cdf(m / t) + t * mpmath.npdf(m / t)


FAMILIES = {
    "relu": ("3/2*Max(0, x/2)", _CB, lambda m, t: _C * _B * _relu_mean(m, t)),
    "abs": (
        "3/2*Abs(x/2)",
        _CB,
        lambda m, t: _C * _B * (2 * _relu_mean(m, t) - m),
    ),
    "erf": (
        "3/2*erf(x/2)",
        _CB,
        lambda m, t: _C * mpmath.erf(_B * m / mpmath.sqrt(1 + 2 * _B**2 * t**2)),
    ),
    "sin": (
        "3/2*sin(x/2)",
        _CB,
        lambda m, t: _C * mpmath.sin(_B * m) * mpmath.exp(-((_B * t) ** 2) / 2),
    ),
    "cos": (
        "3/2*cos(x/2)",
        _CB,
        lambda m, t: _C * mpmath.cos(_B * m) * mpmath.exp(-((_B * t) ** 2) / 2),
    ),
    "exp": ("3/2*exp(x/2)", _CB, lambda m, t: _C * mpmath.exp(_B * m + (_B * t) ** 2 / 2)),
    "step": ("3/2*Heaviside(x/2, 1)", _CB, lambda m, t: _C * _cdf(m / t)),
    "sign": ("3/2*sign(x/2)", _CB, lambda m, t: _C * (2 * _cdf(m / t) - 1)),
    "gaussian": (
        "3/2*exp(1/4 - x**2/3)",
        {"c": "3/2", "k": "1/4", "a": "1/3"},
        lambda m, t: (
            _C
            * mpmath.exp(mpmath.mpf(1) / 4 - m**2 / (3 * (1 + 2 * t**2 / 3)))
            / mpmath.sqrt(1 + 2 * t**2 / 3)
        ),
    ),
    "two_slope": (
        "x/4 + 3/2*Max(0, x)",
        {"alpha": "1/4", "beta": "3/2"},
        lambda m, t: m / 4 + _C * _relu_mean(m, t),
    ),
}


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_dual_of_the_checker_is_the_gaussian_expectation(name):
    """κ_q(ρ) = E[φ(u)φ(v)], (u, v) centred normal with variances q and correlation ρ, against
    E_z[φ(√q z)·E[φ(μ + τZ)]] with μ = √q ρ z, τ = √q √(1 - ρ²), the outer integral by 25-digit
    quadrature split at φ's kink: to 1e-13 relative at q = 3/4 and ρ ∈ {-0.6, 0.3, 0.9}."""
    spec, params, inner = FAMILIES[name]
    doc = json.loads((DATA / "certificate_relu.json").read_text())
    doc["activation"] = {"spec": spec, "breakpoints": ["0"], "family": {"name": name, **params}}
    kappa = _kappa(_run(doc))
    assert kappa is not None
    phi = _phi_mp(spec)
    q = mpmath.mpf(3) / 4
    for rho in ("-0.6", "0.3", "0.9"):
        with mpmath.workdps(25):
            r = mpmath.mpf(rho)
            t = mpmath.sqrt(q * (1 - r * r))
            truth = mpmath.quad(
                lambda z, r=r, t=t: (
                    phi(mpmath.sqrt(q) * z) * inner(mpmath.sqrt(q) * r * z, t) * mpmath.npdf(z)
                ),
                [-mpmath.inf, 0, mpmath.inf],
            )
            got = kappa(arb(0.75), arb(rho))
            assert float(got.rad()) < 1e-13 * float(abs(truth)) + 1e-15
            assert abs(mpmath.mpf(got.mid().str(30, radius=False)) - truth) < 1e-13 * abs(truth), (
                rho,
                got,
                truth,
            )


def _phi_mp(spec: str):
    """φ as an mpmath function, written out here (not parsed by the checker)."""
    half = mpmath.mpf(1) / 2
    return {
        "3/2*Max(0, x/2)": lambda x: _C * max(0, x * half),
        "3/2*Abs(x/2)": lambda x: _C * abs(x * half),
        "3/2*erf(x/2)": lambda x: _C * mpmath.erf(x * half),
        "3/2*sin(x/2)": lambda x: _C * mpmath.sin(x * half),
        "3/2*cos(x/2)": lambda x: _C * mpmath.cos(x * half),
        "3/2*exp(x/2)": lambda x: _C * mpmath.exp(x * half),
        "3/2*Heaviside(x/2, 1)": lambda x: _C * (1 if x >= 0 else 0),
        "3/2*sign(x/2)": lambda x: _C * mpmath.sign(x),
        "3/2*exp(1/4 - x**2/3)": lambda x: _C * mpmath.exp(mpmath.mpf(1) / 4 - x * x / 3),
        "x/4 + 3/2*Max(0, x)": lambda x: x / 4 + _C * max(0, x),
    }[spec]


def test_a_family_that_is_not_phi_gives_no_dual():
    """The file names relu with c = 3/2, b = 1/2 but φ is relu with c = 1: sympy refuses it."""
    doc = json.loads((DATA / "certificate_relu.json").read_text())
    doc["activation"] = {
        "spec": "Max(0, x)",
        "breakpoints": ["0"],
        "family": {"name": "relu", **_CB},
    }
    run = _run(doc)
    assert _kappa(run) is None
    c = doc["claims"]["lambda_star"]
    result, *rest = entries(run, c, _ball(c["q_star"]), arb(0.5), arb(0.5), None)
    assert (result.claim, result.proved, result.detail) == (
        "correlations",
        False,
        "φ is not the family the file names",
    )
    assert rest == [None, None, 0, 0]


# ------------------------------------------------------------- the Hermite coefficients


def _mu_squared(kind: str, k: int, q: mpmath.mpf) -> mpmath.mpf:
    """μ_k(q)² for cos, or sin + cos: E[e^{i√q Z}He_k(Z)] = (i√q)^k e^{-q/2}, so μ_k of cos is
    Re(i^k)·q^{k/2}e^{-q/2}/√k! and of sin + cos (Re + Im)(i^k)·q^{k/2}e^{-q/2}/√k!."""
    unit = mpmath.mpc(0, 1) ** k
    part = unit.real if kind == "cos" else unit.real + unit.imag
    return (part * q ** (mpmath.mpf(k) / 2) * mpmath.exp(-q / 2)) ** 2 / mpmath.factorial(k)


@pytest.mark.parametrize("spec, kind", [("cos(x)", "cos"), ("sin(x) + cos(x)", "both")])
def test_coefficient_balls_are_proved_exactly_when_they_hold_mu_squared(spec, kind):
    """cos (even: the odd μ_k are exact zeros, claimed with radius 0) and sin + cos (no parity:
    every μ_k by integration over ℝ), at q = 3/4, k < 6, balls of radius 1e-25 about the closed
    form: PROVED; a ball moved wholly below its value, or every ball moved, is named."""
    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    doc["activation"] = {"spec": spec, "breakpoints": []}
    run = _run(doc)
    q = arb(0.75)
    with mpmath.workdps(40):
        truth = [_mu_squared(kind, k, mpmath.mpf(3) / 4) for k in range(6)]

    def claim(shift: dict[int, float]):
        balls = []
        for k, v in enumerate(truth):
            if v == 0 and k not in shift:
                balls.append(["0x0p0", "0x0p+0"])
                continue
            with mpmath.workdps(40):
                mid = arb(mpmath.nstr(v + shift.get(k, 0), 35))
            balls.append([exact(mid), (1e-25).hex()])
        return check_coefficients(run, {"coefficients": balls}, q)[0]

    honest = claim({})
    assert honest.proved and honest.detail == "6 balls of μ_k(q*)² contain the re-derived ones"
    one = claim({2: -3e-25})
    assert (one.proved, one.detail) == (False, "k = [2] do not")
    every = claim({k: 3e-25 for k in range(6)})
    assert (every.proved, every.detail) == (False, "k = [0, 1, 2, 3, 4, 5] do not")
    if kind == "cos":  # an odd coefficient claimed nonzero: cos proved even, μ_1 = 0 exactly
        assert claim({1: 3e-25}).detail == "k = [1] do not"


# ---------------------------------------------------------- the correlations, at a hair


def _true_rho(doc: dict, i: int, j: int) -> float:
    """ρ*_ij of the stored file's φ (relu or tanh), σ_w² and inputs, independently: q* = T(q*)
    and ρ = (2σ_w² E[φ(u)φ(v)] + (2/d)s_ij)/q* iterated to their fixed points, the Gaussian
    expectations by Gauss–Hermite quadrature (120 and 120² nodes; φ analytic or the relu
    expectation's closed form: errors ~1e-15)."""
    from numpy.polynomial.hermite_e import hermegauss

    x, w = hermegauss(120)
    w = w / np.sqrt(2 * np.pi)
    relu = (doc["activation"].get("family") or {}).get("name") == "relu"
    phi = (lambda v: np.maximum(v, 0.0)) if relu else np.tanh
    s2, d = 2 * float.fromhex(doc["sigma_w2"]), doc["inputs"]["d"]
    u = _array_of(doc)
    u = u / np.linalg.norm(u, axis=1, keepdims=True)
    s = float(u[i] @ u[j])
    q = 1.0
    for _ in range(200):
        q = s2 * (0.5 * q if relu else float(w @ np.tanh(np.sqrt(q) * x) ** 2)) + 2 / d

    def kappa(r: float) -> float:
        if relu:  # the arc-cosine kernel: a closed form, not the quadrature's business
            return q * (np.sqrt(1 - r * r) + (np.pi - np.arccos(r)) * r) / (2 * np.pi)
        z1, z2 = np.meshgrid(x, x, indexing="ij")
        a, b = np.sqrt(q) * z1, np.sqrt(q) * (r * z1 + np.sqrt(1 - r * r) * z2)
        return float(w @ (phi(a) * phi(b)) @ w)

    r = s
    for _ in range(200):
        r = (s2 * kappa(r) + 2 / d * s) / q
    return r


def _array_of(doc):
    from verify.recheck import _array

    return _array(doc["inputs"]["x"], doc["inputs"]["n"])


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_a_correlation_ball_missing_the_fixed_point_by_a_hair_is_not_proved(name):
    """ρ̃_01 moved to ρ*_01 + δ (δ = 1e-9, ρ* computed independently): a radius of 0.999δ
    leaves ρ* outside the ball, and the checker must refuse it (its own bound is about
    (1 - T')δ/(1 - c) ≥ δ); a radius of 10δ holds it, and is proved. The closed-form dual route
    (relu) and the Hermite-series route (tanh)."""
    from verify.recheck import _array, recheck

    doc = json.loads((DATA / f"certificate_{name}.json").read_text())
    truth = _true_rho(doc, 0, 1)
    rho0 = _array(doc["claims"]["lambda_star"]["rho"])
    assert abs(rho0[0, 1] - truth) < 1e-13  # the stored ρ̃ is within its radius of the truth

    def correlations(radius: float):
        bad = copy.deepcopy(doc)
        c = bad["claims"]["lambda_star"]
        rho, rad = _array(c["rho"]), _array(c["rho_radius"])
        rho[0, 1] = rho[1, 0] = truth + 1e-9
        rad[0, 1] = rad[1, 0] = radius
        c["rho"], c["rho_radius"] = array(rho, triangle=True), array(rad, triangle=True)
        return next(r for r in recheck(bad) if r.claim == "correlations")

    missed = correlations(0.999e-9)
    assert (missed.proved, missed.detail) == (False, "1 claimed radii too small")
    held = correlations(1e-8)
    route = "closed-form dual" if name == "relu" else "Hermite series"
    assert (held.proved, held.detail) == (
        True,
        f"|ρ*_ij - ρ̃_ij| ≤ the claimed radius for all 15 pairs ({route})",
    )


# ------------------------------------------------------------------------ the suprema


def _sup(spec: str, k: int, lo: float, hi: float, breakpoints=()):
    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    doc["activation"] = {"spec": spec, "breakpoints": list(breakpoints)}
    doc["claims"] = {"sup": {str(k): {"lo": lo.hex(), "hi": hi.hex(), "method": "test"}}}
    from verify.recheck import recheck

    (result,) = recheck(doc)
    return result


def test_a_supremum_without_a_closed_form_is_proved_at_a_hair_and_refused_past_it():
    """sup|swish'| = 1.0998393201… at x ≈ 2.3994 (the root of swish'' by 30-digit findroot):
    [T(1 - 1e-9), T(1 + 1e-9)] is proved by branch and bound; an upper end 1e-10 below T, or a
    lower end 1e-10 above it, is not, each with its reason (the bound that failed, or the best
    point found, rounded down)."""
    with mpmath.workdps(30):
        d1 = lambda x: (1 + x * (1 - 1 / (1 + mpmath.exp(-x)))) / (1 + mpmath.exp(-x))  # noqa: E731
        top = float(d1(mpmath.findroot(lambda x: mpmath.diff(d1, x), 2.4)))
    held = _sup("x/(1+exp(-x))", 1, top * (1 - 1e-9), top * (1 + 1e-9))
    assert (held.claim, held.proved) == ("sup|φ'|", True)
    point = held.detail.split("(a point reaches ")[1][:-1]
    assert top * (1 - 1e-9) <= float(point) <= top
    low = _sup("x/(1+exp(-x))", 1, top * (1 - 1e-9), top * (1 - 1e-10))
    assert (low.proved, low.detail) == (
        False,
        f"|φ^(1)| ≤ {_up_text(arb(top * (1 - 1e-10)), 10)} not re-proved on [-16, 16]",
    )
    high = _sup("x/(1+exp(-x))", 1, top * (1 + 1e-10), top * (1 + 1e-9))
    assert not high.proved and high.detail.endswith(f"(a point reaches {point})")


def test_a_far_bump_is_not_missed():
    """tanh(x) + 5·tanh(x - 300): |φ'| ≈ 1 on [-64, 64] but 5 at x = 300; a claim of ≤ 4.99 is
    refused by the tail bound, whatever the window shows."""
    far = _sup("tanh(x) + 5*tanh(x - 300)", 1, 0.5, 4.99)
    assert (far.proved, far.detail) == (
        False,
        "no bound ≤ the claimed upper end on the tails |x| ≥ 64",
    )


def test_a_jump_makes_the_derivatives_supremum_infinite():
    jump = _sup("Heaviside(x)", 1, 0.5, 4.99, ["0"])
    assert (jump.claim, jump.proved) == ("sup|φ'|", False)
    assert jump.detail == "φ^(j) jumps at x = 0 for some j < 1: no finite supremum"
    step = _sup("Heaviside(x)", 0, 1.0, 1.0, ["0"])
    assert (step.claim, step.proved, step.detail) == (
        "sup|φ|",
        True,
        "∈ [1, 1] (a point reaches 1)",
    )


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_wider_correlation_balls_widen_the_entries_and_the_tight_lower_end_falls(name):
    """Every correlation radius ×10⁴: the correlations still hold (a wider ball), but G*'s entry
    bounds grow with them (Lipschitz in ρ: q*E[φ'²] on the dual route, Σ k μ_k² on the series
    route) and the file's lower end, proved with the narrow radii, is no longer reached."""
    from verify.recheck import _array, recheck

    doc = json.loads((DATA / f"certificate_{name}.json").read_text())
    wide = copy.deepcopy(doc)
    c = wide["claims"]["lambda_star"]
    c["rho_radius"] = array(_array(c["rho_radius"]) * 1e4, triangle=True)
    flags = {r.claim: r.proved for r in recheck(wide)}
    assert flags["correlations"] is True and flags["λ* Cholesky"] is True
    assert flags["λ* ≥ lower end"] is False


def test_a_supremum_approached_at_infinity_and_one_needing_a_common_denominator():
    """sup|tanh| = 1 is approached only as x → ∞: a lower end 1e-15 below 1 is out of reach on
    [-16, 16] (tanh 16 = 1 - 2.5e-14) and reached at x = 2^j far out; with it at 1 it is not.
    sup|softplus''| = 1/4 (at 0) needs the tail rule on e^x/(1 + e^x)² over one denominator."""
    far = _sup("tanh(x)", 0, 1 - 1e-15, 1.0)
    assert (far.claim, far.proved) == ("sup|φ|", True)
    assert not _sup("tanh(x)", 0, 1.0, 1.0).proved
    soft = _sup("log(1+exp(x))", 2, 0.25 * (1 - 1e-9), 0.25 * (1 + 1e-9))
    assert (soft.claim, soft.proved) == ("sup|φ''|", True)
    assert soft.detail == "∈ [0.2499999997, 0.2500000003] (a point reaches 0.25)"


def test_k_starting_above_the_fixed_point_is_refused(tanh_doc_default):
    """a = 1/2 > q* ≈ 0.213 (tanh, σ_w² = 1/16, d = 10): T stays below a on K and T(q) < q just
    below a, though T(J) ⊂ J and the slope is small: not proved."""
    result, _ = check_variance_map(tanh_doc_default, {"start": (0.5).hex(), "hi": "0x1p1"})
    assert not result.proved


def test_an_unknown_family_is_a_malformed_file():
    from verify.recheck import Malformed, recheck

    doc = json.loads((DATA / "certificate_relu.json").read_text())
    doc["activation"]["family"] = {"name": "nope", "c": "1", "b": "1"}
    with pytest.raises(Malformed) as err:
        recheck(doc)
    assert str(err.value) == "unknown family 'nope'"


def test_a_jump_is_sought_between_close_cuts_on_each_side_of_the_cut():
    """_jump compares φ^(j) just left and right of each cut, a quarter of the gap to the next
    cut away: φ = 1 + (x - 1)₊ + 4(x - 1 - 1e-7)₊ is continuous (no jump for k = 1) with a kink
    at 1 (a jump of φ' for k = 2); looking 2^-20 away would land past the second cut and see a
    jump of -4e-7 in φ that is not there. A step of 4 at the second cut is found there."""
    from types import SimpleNamespace

    import sympy as sp

    from symbolic.formula import X
    from verify.recheck import _jump

    one, near = sp.Integer(1), 1 + sp.Rational(1, 10**7)
    kinks = 1 + sp.Max(0, X - one) + 4 * sp.Max(0, X - near)
    run = SimpleNamespace(exact_cuts=[one, near], expr=kinks)
    assert (_jump(run, 1), _jump(run, 2)) == (None, "1")
    step = SimpleNamespace(exact_cuts=[one, near], expr=kinks + 4 * sp.Heaviside(X - near))
    assert _jump(step, 1) == "10000001/10000000"


def test_a_cut_off_the_bisection_grid_is_a_segment_end():
    """relu moved right by 2^-45: bisecting [-16, 16] reaches widths of 2^-35 only, so the cut
    must be an end of the branch and bound's segments for sup|φ'| = 1 to be proved."""
    cut = "1/2**16/2**16/2**13"
    held = _sup(f"Max(0, x - {cut})", 1, 1.0, 1.0, [cut])
    assert (held.claim, held.proved, held.detail) == (
        "sup|φ'|",
        True,
        "∈ [1, 1] (a point reaches 1)",
    )


def test_the_centred_form_bounds_a_maximum_at_a_segment_end():
    """The tent max(0, min(x, 2 - x)) peaks at the cut x = 1, where both segments still slope:
    on [0, 1] the centred form is f(1/2) + |f'|·w/2 = 1, the true maximum. sup|φ| ≤ 1 is proved
    and ≤ 0.99 is not (a form with w/3, or f(m) - |f'|·w/2, would prove it)."""
    tent, cuts = "Max(0, Min(x, 2 - x))", ["0", "1", "2"]
    held = _sup(tent, 0, 0.4, 1.0, cuts)
    assert (held.proved, held.detail) == (True, "∈ [0.4, 1] (a point reaches 0.5)")
    low = _sup(tent, 0, 0.4, 0.99, cuts)
    assert (low.proved, low.detail) == (False, "|φ^(0)| ≤ 0.99 not re-proved on [-16, 16]")


def test_the_checkers_command_counts_its_claims_and_exits_by_them(tmp_path, capsys):
    """verify.recheck.main on files: every claim PROVED → exit 0 and "PROVED: n of n claims";
    one moved → exit 7 and "NOT PROVED: n - 1 of n claims"; no claim → exit 0 with "nothing to
    re-check"; claims that are not an object, or a supremum for k = 3, are malformed (exit 2)
    with that reason on stderr."""
    from verify.recheck import MALFORMED, NOT_PROVED, PROVED, main, recheck

    doc = json.loads((DATA / "certificate_relu.json").read_text())
    results = recheck(doc)
    n = len(results)
    assert n >= 10 and all(r.proved for r in results)

    def run(edit) -> tuple[int, str, str]:
        bad = copy.deepcopy(doc)
        edit(bad)
        path = tmp_path / "c.json"
        path.write_text(json.dumps(bad))
        code = main(str(path))
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run(lambda d: None)
    assert code == PROVED == 0 and out.splitlines()[-1] == f"PROVED: {n} of {n} claims"
    # one line per claim: the word padded to 10, two spaces, the claim, its reason
    assert out.splitlines()[:-1] == [f"PROVED      {r.claim}: {r.detail}" for r in results]

    def moved(d):
        c = d["claims"]["lambda_star"]
        c["lower"] = c["upper"]

    code, out, _ = run(moved)
    assert code == NOT_PROVED == 7 and out.splitlines()[-1] == f"NOT PROVED: {n - 1} of {n} claims"
    assert (
        [x for x in out.splitlines() if x.startswith("NOT PROVED  ")]
        == [x for x in out.splitlines() if x.startswith("NOT PROVED  λ* ≥ lower end: ")]
        != []
    )
    code, out, _ = run(lambda d: d.update(claims={}))
    assert (code, out) == (PROVED, "the file holds no certified claim: nothing to re-check\n")
    code, _, err = run(lambda d: d.update(claims=[]))
    assert code == MALFORMED == 2 and err.endswith(
        "is not a valid certificate: claims is not an object\n"
    )
    code, _, err = run(lambda d: d["claims"].update(sup={"3": {"lo": "0x1p0", "hi": "0x1p0"}}))
    assert code == MALFORMED and err.endswith(": a supremum claim for k outside 0, 1, 2\n")


def test_a_kink_at_one_third_is_re_proved_and_its_supremum_held_at_a_hair():
    """φ = max(0, x - 1/3) + tanh(x) (stored: ``python -m verify activation "Max(0, x - 1/3) +
    tanh(x)" --n 6 --no-train --no-width-sweep --certificate …``): a breakpoint no binary
    number equals. Every claim re-proves (q* and sup|φ'| did not while the segments ended at a
    float near 1/3). sup|φ'| = 2 - tanh²(1/3) is approached only as x → 1/3 from the right: an
    upper end 1e-12 below it, or a lower end 1e-12 above it, is refused."""
    from verify.recheck import recheck

    doc = json.loads((DATA / "certificate_kink_third.json").read_text())
    assert doc["activation"]["breakpoints"] == ["1/3"]
    assert all(r.proved for r in recheck(doc))
    with mpmath.workdps(30):
        top = float(2 - mpmath.tanh(mpmath.mpf(1) / 3) ** 2)
    spec = doc["activation"]["spec"]
    assert _sup(spec, 1, top * (1 - 1e-12), top * (1 + 1e-12), ["1/3"]).proved
    assert not _sup(spec, 1, top * (1 - 1e-12), top * (1 - 1e-12), ["1/3"]).proved
    assert not _sup(spec, 1, top * (1 + 1e-12), top * (1 + 2e-12), ["1/3"]).proved


def test_a_sliver_is_bounded_only_when_one_switch_crosses_it_monotonically():
    """Around 1/3 (a few ulps at 128 bits): max(0, x - 1/3) has one switch there, and the bound
    is the larger one-sided branch of φ' (1, not the hull of a ball); with a second switch at
    the same point, or one that is not monotone on the box, nothing is claimed."""
    import sympy as sp

    from symbolic.formula import X
    from verify.recheck import _prec, _sliver_bound, cut_ends

    with _prec(128):
        third = arb(1) / 3
        a, b = cut_ends([third])
        assert a < third < b and float(b - a) < 1e-34
        one = _sliver_bound(sp.Max(0, X - sp.Rational(1, 3)), 1, a, b)
        assert one is not None and float(one) == 1.0 and one <= 1
        two = sp.Max(0, X - sp.Rational(1, 3)) + sp.Abs(X - sp.Rational(1, 3))
        assert _sliver_bound(two, 1, a, b) is None
        assert _sliver_bound(sp.Abs((X - sp.Rational(1, 3)) ** 2 - 1e-80), 1, a, b) is None


def test_a_kink_exactly_at_the_tail_start_keeps_a_weak_sign_there():
    """φ = tanh(x) + |x - 64|/8, written as two max atoms whose switches (64 - x and x - 64)
    vanish exactly at x0 = 64, where the tail rule starts: each keeps a weak sign on [64, ∞),
    so sup|φ'| = 7/8 (at 0) is proved with the tails from 64 (from 16 the kink is inside)."""
    spec = "tanh(x) + Max(0, x - 64)/8 + Max(0, 64 - x)/8"
    held = _sup(spec, 1, 0.875 * (1 - 1e-9), 0.875 * (1 + 1e-9), ["64"])
    assert (held.claim, held.proved) == ("sup|φ'|", True), held.detail


def test_two_kinks_one_of_them_at_one_third_re_prove():
    """φ = tanh(x) + max(0, x - 1/3)/4 + max(0, x - 20)/8 (stored like the 1/3 file, with
    ``--certificate``), whose q* ball is 9e-37 wide: every claim re-proves. It did not while the
    segment ends were sorted by their float (the two ends beside 1/3, 2^-118 apart, could swap
    places), nor while segments made at the variance map's 64 bits were reused at 128."""
    from verify.recheck import exact_order, recheck

    doc = json.loads((DATA / "certificate_two_kinks.json").read_text())
    assert doc["activation"]["breakpoints"] == ["1/3", "20"]
    results = recheck(doc)
    assert len(results) == 9 and all(r.proved for r in results), [r.line() for r in results]
    third = arb(1) / 3
    a, b = (third - arb(2) ** -118).lower(), (third + arb(2) ** -118).upper()
    assert float(a) == float(b) and sorted([b, a], key=exact_order) == [a, b]


def test_the_branch_and_bound_stops_at_its_budget_of_boxes(monkeypatch):
    """sup|tanh''| = 0.76980… at x ≈ ±0.66, claimed in the tanh file: the branch and bound
    finds a point reaching the claimed lower end after some splitting (the first box's midpoint
    0 gives 0). With a budget of 3 boxes it settles for what it has: no point reaching the lower
    end (or no bound), so the claim is NOT PROVED; it never runs past its budget."""
    import verify.recheck as rc

    doc = json.loads((DATA / "certificate_tanh.json").read_text())
    c = doc["claims"]["sup"]["2"]
    run = _run(doc)
    lo, hi = arb(float.fromhex(c["lo"])), arb(float.fromhex(c["hi"]))
    full = rc._branch_and_bound(run, 2, arb(16), lo, hi)
    assert full is not None and full >= lo
    monkeypatch.setattr(rc, "BOX_BUDGET", 3)
    cut = rc._branch_and_bound(run, 2, arb(16), lo, hi)
    assert cut is None or not cut >= lo
    assert not rc.check_sup(run, 2, c).proved
