"""The checker's own evaluation of φ (verify.recheck.compile_fn) and its tail rules (_tail), against
mpmath at 40 digits: every ball holds the true value and is narrow; a complex box across a
branch cut is nan (what acb.integral needs); anything the checker cannot evaluate is a
malformed file, in words; and on [16, ∞) each tail's range and growth type a·x^p·e^{βx} hold at
sample points out to 10⁴, with the exact ends where the rule is exact."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy as sp
from flint import acb, arb

from verify.recheck import Malformed, X, _tail, compile_fn

POINTS = (-3.7, -1.0, -0.3, 0.25, 0.9, 1.7, 3.3)
R = sp.Rational


def _mp(e: sp.Expr, x: float):
    with mpmath.workdps(40):
        return sp.lambdify(X, e, "mpmath")(mpmath.mpf(x))


@pytest.mark.parametrize(
    "e, positive",
    [
        (X**3 - 2 * X + sp.Float("-1.25e-3"), False),
        (sp.Float("3.5e10") * X + sp.Float("0.1"), False),
        (X ** R(1, 3) + 1, True),
        (X ** sp.Float("2.5"), True),
        (sp.sqrt(X**2 + 1), False),
        (sp.log(1 + X**2), False),
        (sp.atan(X) + sp.asinh(X), False),
        (sp.asin(X / 4) - sp.acos(X / 4), False),
        (sp.Abs(X - 1) + sp.Max(X, 2 * X - 1) - sp.Min(X, 0), False),
        (3 * sp.sign(X - 1) + sp.Heaviside(X - R(1, 2)), False),
        (sp.exp(-(X**2)) * sp.erf(X) + sp.erfc(X) * sp.tanh(X), False),
        (sp.pi * X + sp.E**X + sp.cos(X) * sp.sinh(X) - sp.cosh(X) * sp.tan(X / 3), False),
    ],
    ids=lambda v: str(v)[:30],
)
def test_compiled_formulas_hold_the_true_value(e, positive):
    f = compile_fn(e)
    for x in POINTS:
        if positive and x <= 0:
            continue
        ball, true = f(arb(x), False), float(_mp(e, x))
        slack = 4 * math.ulp(true)  # the 40-digit value rounded to a float
        assert ball.is_finite() and float(ball.rad()) <= 1e-12 * max(1.0, abs(true))
        assert float(ball.lower()) <= true + slack and float(ball.upper()) >= true - slack
        assert abs(float(ball.mid()) - true) <= 1e-13 * max(1.0, abs(true)), (e, x)


def test_complex_boxes_across_a_branch_cut_are_nan_and_elsewhere_the_value():
    """atan and asinh cut on ±i[1, ∞), asin and acos on ±[1, ∞), log on (-∞, 0]; nonsmooth
    atoms are real only."""
    for f, cut, inside in (
        (sp.atan(X), acb(0, 2), acb(0.5, 0.5)),
        (sp.asinh(X), acb(0.1, -3), acb(0.5, 0.5)),
        (sp.asin(X), acb(2, 0.1), acb(0.5, 0.1)),
        (sp.acos(X), acb(-3, 0), acb(0.5, 0.1)),
        (sp.log(X), acb(-1, 0), acb(1, 1)),
    ):
        g = compile_fn(f)
        assert not g(cut, True).is_finite(), f
        val = g(inside, True)
        z = complex(float(inside.real), float(inside.imag))
        ref = complex(sp.lambdify(X, f, "mpmath")(mpmath.mpc(z)))
        assert val.is_finite() and abs(complex(val) - ref) < 1e-13, f
    for atom in (sp.Abs(X), sp.Max(X, 0), sp.sign(X), sp.Heaviside(X)):
        assert not compile_fn(atom)(acb(0.5, 0.5), True).is_finite()
        assert not compile_fn(atom)(arb(0.5), True).is_finite()  # analytic=True: no branch
    assert compile_fn(sp.Heaviside(X))(arb(0, 1e-3), False).upper() >= 1
    assert compile_fn(sp.sign(X))(arb(0, 1e-3), False).lower() <= -1


@pytest.mark.parametrize(
    "e, said",
    [
        (sp.Symbol("y") * X, "cannot evaluate y"),
        (sp.I * X, "cannot evaluate I"),
        (sp.EulerGamma * X, "cannot evaluate EulerGamma"),
        (sp.gamma(X), "cannot evaluate gamma"),
    ],
)
def test_what_the_checker_cannot_evaluate_is_malformed_in_words(e, said):
    with pytest.raises(Malformed) as err:
        compile_fn(e)
    assert str(err.value) == said


SAMPLES = (16, 17, 20, 31.5, 50, 100, 1000, 10**4)


@pytest.mark.parametrize(
    "e, lo, hi",
    [
        (X**3, 4096, math.inf),
        (-(X**3), -math.inf, -4096),
        ((X - 20) ** 2, 0, math.inf),
        ((X - 20) ** 3, -math.inf, math.inf),
        ((X - 16) ** 3, 0, math.inf),  # the base starts at 0 exactly
        ((sp.sin(X) - R(1, 2)) ** 3, -(1.5**3), 1.5**3),  # base in [-3/2, 1/2]: ±(3/2)³
        (X**-2, 0, 1 / 256),
        (1 / (1 + X**2), 0, 1 / 257),
        (1 / sp.sqrt(1 + X**2), 0, 1 / math.sqrt(257)),
        (sp.sqrt(X), 4, math.inf),
        (sp.erfc(X), 0, None),  # at most 1 - erf(16) in working precision: below
        (sp.exp(-X / 32) * sp.sin(X), -math.exp(-0.5), math.exp(-0.5)),  # type's sup at x0
        (X**2 * sp.exp(-X), 0, 256 * math.exp(-16)),
        (X**5 * sp.exp(-X / 4), 0, 20**5 * math.exp(-5)),
        (sp.sin(X) / X, -1 / 16, 1 / 16),
        (sp.sin(X) * X / (X**2 + 1), -1 / 16, 1 / 16),  # type x⁻¹: its value at x0 bounds it
        (sp.sin(X) * X / (X + 1), -1, 1),  # type x⁰: the product's range alone is infinite
        (sp.log(1 + X**2) * sp.exp(-X), 0, None),
        (2 * X * sp.exp(-X) + 3 * X**2 * sp.exp(-2 * X) - 1, -1, None),
    ],
    ids=lambda v: str(v)[:30],
)
def test_tail_ranges_and_growth_hold_out_to_ten_thousand(e, lo, hi):
    """``lo``/``hi``: the exact ends the rules give (None: only checked to hold)."""
    t = _tail(e, arb(16))
    for x in SAMPLES:
        true = _mp(e, x)
        slack = 1e-15 * abs(true) + 1e-300
        assert float(t.lo.lower()) <= true + slack and true - slack <= float(t.hi.upper()), (e, x)
        if t.a is not None:
            with mpmath.workdps(40):
                env = mpmath.mpf(float(t.a.upper())) * mpmath.mpf(x) ** t.p
                env *= mpmath.exp(mpmath.mpf(float(t.beta.upper())) * x)
            assert abs(true) <= env * (1 + 1e-15), (e, x, t)
    for end, want in ((t.lo, lo), (t.hi, hi)):
        if want is None:
            continue
        if math.isinf(want):
            assert not end.is_finite() and (float(end.mid()) > 0) == (want > 0), (e, end)
        else:
            assert abs(float(end) - want) <= 1e-12 * abs(want) + 1e-300, (e, end, want)


def test_a_parity_identity_is_refuted_by_a_ball_before_sympy(monkeypatch):
    """tanh(x) - tanh(-x) = 2·tanh(x) is not 0: a ball at 0.577… shows it with sympy's simplify
    never called; tanh(x) + tanh(-x) ≡ 0 and a kinked odd φ are still proved by sympy."""
    from verify import recheck as rc

    with monkeypatch.context() as m:
        m.setattr(sp, "simplify", lambda *a, **k: pytest.fail("simplify was called"))
        assert rc._identically_zero(sp.tanh(X) - sp.tanh(-X)) is False
        assert rc._identically_zero(sp.Max(0, X) - sp.Max(0, -X) - 2 * sp.Max(0, X)) is False
    assert rc._identically_zero(sp.tanh(X) + sp.tanh(-X)) is True
    assert rc._identically_zero(sp.Abs(X) * X + sp.Abs(-X) * (-X)) is True


def test_negative_powers_of_a_growing_or_bounded_base():
    """(3x² + 2)⁻² on [16, ∞): range (0, 1/770²] and growth type exactly (1/3²)·x⁻⁴ (the base is
    at least 3x²); (2 + sin x)⁻¹: range [1/3, 1] from the base's range [1, 3]."""
    t = _tail((3 * X**2 + 2) ** -2, arb(16))
    assert (t.p, t.beta) == (-4, arb(0)) and abs(float(t.a) - 1 / 9) < 1e-15
    assert float(t.lo) == 0 and abs(float(t.hi) - 1 / 770**2) < 1e-20
    s = _tail((2 + sp.sin(X)) ** -1, arb(16))
    assert abs(float(s.lo) - 1 / 3) < 1e-15 and abs(float(s.hi) - 1) < 1e-15
    s = _tail((2 + sp.sin(X)) ** -2, arb(16))
    assert abs(float(s.lo) - 1 / 9) < 1e-15 and abs(float(s.hi) - 1) < 1e-15


@pytest.mark.parametrize(
    "e, ends",
    [
        (sp.Abs(X - R(1, 4)) + sp.Max(0, X - R(1, 2)), (-1, 1)),  # two atoms, no cut given
        (sp.Max(0, X - R(1, 2)) + sp.Abs(X - R(1, 4)), (-1, 1)),
        (sp.Max(X, 2 * X - R(2, 3)), (0, 2)),  # the switch is x - (2x - 2/3), zero at 2/3
        (sp.Max(0, X - R(1, 4)) + sp.Max(0, 2 * X - 1) + sp.Min(0, X + R(1, 3)), (-1, 1)),
        (sp.Max(0, -((X - R(1, 4)) ** 2)), (0, 0.5)),  # touches 0 at the midpoint
        (sp.Min(0, (X - R(1, 4)) ** 2) + X, (0, 0.5)),
        (sp.Max(0, sp.Abs(X) - 1), (0.5, 3)),  # a switch with an atom inside
    ],
    ids=lambda v: str(v)[:30],
)
def test_every_segment_is_frozen_to_the_branch_that_holds_on_it(e, ends):
    """verify.recheck.segments without the kinks among the ends: on each segment it calls
    definite, the frozen smooth expression equals φ at nine interior points."""
    from verify.recheck import segments

    segs = segments(e, [arb(ends[0]), arb(ends[1])])
    whole = compile_fn(e)
    checked = 0
    for lo, hi, f, crude, frozen in segs:
        if crude:
            continue
        for k in range(1, 10):
            x = lo + (hi - lo) * k / 10
            got, want = f(x, False), whole(x, False)
            assert abs(float(got.mid()) - float(want.mid())) < 1e-12, (e, float(x), frozen)
            checked += 1
    assert checked >= 9


@pytest.mark.parametrize("head", [sp.Max, sp.Min])
def test_freezing_at_a_tie_is_refused_and_elsewhere_picks_the_branch(head):
    """x and 2x - 1/2 are equal at 1/2: freezing max or min there cannot tell which branch holds
    beside it, so it is refused ("a kink at a segment's midpoint") and the caller tries another
    point; at 1/4 and 3/4 the branch is the one that is larger (max) or smaller (min) there."""
    from verify.recheck import _freeze

    e = head(X, 2 * X - R(1, 2))
    with pytest.raises(Malformed) as err:
        _freeze(e, arb(0.5))
    assert str(err.value) == "a kink at a segment's midpoint"
    low, high = (X, 2 * X - R(1, 2)) if head is sp.Max else (2 * X - R(1, 2), X)
    assert _freeze(e, arb(0.25)) == low and _freeze(e, arb(0.75)) == high
    with pytest.raises(Malformed) as err:
        _freeze(sp.Abs(X - R(1, 2)), arb(0.5))
    assert str(err.value) == "a kink at a segment's midpoint"
    assert _freeze(sp.Abs(X - R(1, 2)) + sp.sign(X), arb(0.25)) == R(1, 2) - X + 1


def test_square_roots_on_the_tail_and_the_powers_without_a_rule():
    """√x on [16, ∞): [4, ∞) with type 1·x¹ (a half power rounds p up); √(x² - 256) and
    √(x² - 255.5) start at 0 and √0.5 and are allowed (the base is ≥ 0); x^(3/2) has no rule."""
    t = _tail(sp.sqrt(X), arb(16))
    assert (float(t.lo), t.a, t.p, t.beta) == (4.0, arb(1), 1, arb(0))
    assert float(_tail(sp.sqrt(X**2 - 256), arb(16)).lo) == 0
    assert abs(float(_tail(sp.sqrt(X**2 - R(511, 2)), arb(16)).lo) - math.sqrt(0.5)) < 1e-15
    with pytest.raises(Malformed) as err:
        _tail(X ** R(3, 2), arb(16))
    assert str(err.value) == "no tail rule for the power x**(3/2)"
    with pytest.raises(Malformed) as err:
        _tail(sp.gamma(X), arb(16))
    assert str(err.value) == "no tail rule for gamma"


def test_growth_types_under_roots_and_negative_powers():
    """√(x² + 1): type x¹ (p = 1, an integer); √(eˣ + 1): β = 1/2; (3x + 2)⁻²: (1/9)·x⁻² and
    (3x² + sin²x)⁻²: (1/9)·x⁻⁴ (a sum of terms ≥ 0 is at least its c·x^p term, here c = 3)."""
    t = _tail(sp.sqrt(X**2 + 1), arb(16))
    assert t.p == 1 and isinstance(t.p, int) and t.beta == 0
    assert _tail(sp.sqrt(sp.exp(X) + 1), arb(16)).beta == arb(0.5)  # not rewritten as e^{x/2}
    for e, p in (((3 * X + 2) ** -2, -2), ((3 * X**2 + sp.sin(X) ** 2) ** -2, -4)):
        t = _tail(e, arb(16))
        assert (t.p, t.beta) == (p, arb(0)) and abs(float(t.a) - 1 / 9) < 1e-15, e


def test_a_tie_at_the_midpoint_is_passed_over_for_the_next_eighth():
    """max(x, x(1 + (x - 1/4)²)) on [0, 1/2]: the two branches touch at the midpoint 1/4, so
    the branch is read at 3/8 instead, where x(1 + (x - 1/4)²) is the larger."""
    from verify.recheck import _freeze_inside

    larger = X * (1 + (X - R(1, 4)) ** 2)
    assert _freeze_inside(sp.Max(X, larger), arb(0), arb(0.5)) == larger


def test_exponential_tail_types():
    """e^{3x + 1}: type e·e^{3x}... a = e¹, β = 3; e^{-x²}: -x² ≤ -16x on [16, ∞), so a = 1 and
    β = -16; e^{sin x}: no polynomial exponent, the range [1/e, e] and a = e, β = 0."""
    t = _tail(sp.exp(3 * X + 1), arb(16))
    assert (t.p, t.beta) == (0, arb(3)) and abs(float(t.a) - math.e) < 1e-15
    g = _tail(sp.exp(-(X**2)), arb(16))
    assert (g.p, g.beta) == (0, arb(-16)) and float(g.a) == 1.0
    s = _tail(sp.exp(sp.sin(X)), arb(16))
    assert (s.p, s.beta) == (0, arb(0)) and abs(float(s.a) - math.e) < 1e-15
    assert abs(float(s.lo) - 1 / math.e) < 1e-15 and abs(float(s.hi) - math.e) < 1e-15


def test_the_checkers_records_are_frozen():
    import dataclasses

    from verify.recheck import Result, _Tail

    for record in (Result, _Tail):
        assert record.__dataclass_params__.frozen, record
    with pytest.raises(dataclasses.FrozenInstanceError):
        Result("q*", True, "").proved = False


@pytest.mark.parametrize(
    "e, a, b",
    [
        (sp.exp(-X), 1.0, 1.0),  # e^{|x|} on the left, decaying on the right
        (X**3, (12 / math.e) ** 3, 0.25),  # x^p ≤ (4p/e)^p·e^{x/4}
        (1 / (4 + 4 * X**2), 0.25, 0.0),
        (X**2 * sp.exp(-X), None, 1.25),  # left: x²e^{x}; right: its value at x0 = 16
        (sp.exp(X / 2) * sp.sin(X), None, 0.5),
        (X**20 * sp.exp(-sp.Abs(X) / 2), 40**20 * math.exp(-20), 0.0),  # peak at 40 > 16
    ],
    ids=lambda v: str(v)[:24],
)
def test_the_growth_envelope_holds_on_both_tails(e, a, b):
    """verify.recheck.envelope: |e(x)| ≤ A·e^{β|x|} for |x| ≥ 16 on both sides (40-digit mpmath
    at points out to 200), with the A and β the rules give where they are simple."""
    from verify.recheck import envelope

    big_a, beta = envelope(e, arb(16))
    if a is not None:
        assert abs(float(big_a) - a) <= 1e-12 * a, (e, big_a)
    assert abs(float(beta) - b) < 1e-15, (e, beta)
    for x in (16, 17.5, 25, 40, 60, 200):
        for side in (1, -1):
            true = abs(_mp(e, side * x))
            with mpmath.workdps(40):
                bound = mpmath.mpf(float(big_a.upper())) * mpmath.exp(float(beta.upper()) * x)
            assert true <= bound * (1 + 1e-15), (e, side * x)


def test_the_log_rule_of_a_growing_argument():
    """log(3e^{2x}) on [16, ∞): the argument's tail is 3·e^{2x} (a = 3, β = 2, from 3e^{32}), so
    c = |log lo| + |log a| + p + |β| = (log 3 + 32) + log 3 + 0 + 2 bounds log(·)/x."""
    t = _tail(sp.log(3 * sp.exp(2 * X)), arb(16))
    assert (t.p, t.beta) == (1, arb(0))
    assert abs(float(t.a) - (2 * math.log(3) + 34)) < 1e-12


@pytest.mark.parametrize(
    "e",
    [sp.log(2 + sp.sin(X)), sp.log(R(1, 2) + sp.exp(-X)), sp.log(1 + sp.exp(-X))],
    ids=str,
)
def test_the_log_rule_of_an_argument_whose_lower_end_is_at_most_one(e):
    """log(g) on [16, ∞) for g with inf g in (0, 1]: allowed (g > 0 is all the rule needs), its
    range [log inf g, log sup g] holds, and so does |log g(x)| ≤ c·x with
    c = |log lo| + |log a| (p = β = 0): 40-digit mpmath at points out to 10⁴."""
    arg, t = _tail(e.args[0], arb(16)), _tail(e, arb(16))
    assert (t.p, t.beta) == (1, arb(0))
    assert abs(float(t.lo) - math.log(float(arg.lo))) < 1e-15
    c = abs(math.log(float(arg.lo))) + abs(math.log(float(arg.a)))
    assert abs(float(t.a) - c) <= 1e-12 * c, (e, t.a, c)
    for x in (16, 16.5, 17.3, 31.4, 100, 1e4):
        v = _mp(e, x)
        assert float(t.lo.lower()) <= v <= float(t.hi.upper()), (e, x)
        assert abs(v) <= float(t.a.upper()) * x, (e, x)


def test_erfc_on_the_tail_is_one_minus_erf_in_working_precision():
    """erfc(x) ≤ 1 - erf(16) ≈ 2.3e-113 on [16, ∞): at 53 bits the checker's bound is the
    rounding of 1 - erf(16), at most 2^-52; never near 1 (which 2 - erf or 1 + erf would give)."""
    t = _tail(sp.erfc(X), arb(16))
    assert float(t.lo) <= math.erfc(16) <= float(t.hi) <= 2.0**-52


def test_a_product_with_a_factor_of_no_growth_type_has_none():
    """e^{x·sin x} is unbounded with no type a·x^p·e^{βx} (its exponent is not a polynomial):
    x times it has none either."""
    assert _tail(sp.exp(X * sp.sin(X)), arb(16)).a is None
    assert _tail(X * sp.exp(X * sp.sin(X)), arb(16)).a is None


def test_a_log_touching_zero_and_a_kink_on_a_tail_are_refused_in_words():
    from verify.recheck import _freeze_tail

    with pytest.raises(Malformed) as err:
        _tail(sp.log(1 + sp.sin(X)), arb(16))
    assert str(err.value) == "log of a tail not bounded away from 0"
    with pytest.raises(Malformed) as err:
        _freeze_tail(sp.Max(0, X - 100), 1, arb(16))
    assert str(err.value) == "a kink on a tail"
    assert _freeze_tail(sp.Max(0, X - 100), 1, arb(128)) == X - 100
    assert _freeze_tail(sp.Max(0, X - 100), -1, arb(16)) == 0


def test_a_negative_power_of_a_base_that_reaches_zero_has_no_rule():
    with pytest.raises(Malformed) as err:
        _tail((X - 16) ** -2, arb(16))
    assert str(err.value) == "no tail rule for the power (x - 16)**(-2)"


@pytest.mark.parametrize("which, k", [("phi2", 0), ("slope", 0), ("mu", 3), ("dphi2", 0)])
@pytest.mark.parametrize(
    "e, env, q",
    [
        (sp.tanh(X), (1, 0), 1),
        (2 * sp.exp(X / 4) * sp.tanh(X), (2, 0.25), 1),
        (2 * sp.exp(X / 4) * sp.tanh(X), (2, 0.25), 0.64),
    ],
    ids=str,
)
def test_a_narrow_window_is_paid_for_by_the_stated_tail(which, k, e, env, q, monkeypatch):
    """Phi.expect at q with its window cut to [-W, W], W = 4√q (R = 4 in units of √q): the ball
    holds the true expectation (40-digit mpmath quadrature over the line) and its radius is the
    stated tail bound beyond R (docs/certificate.md), to 0.1 %: a tail too small would miss the
    value, a looser one would show in the radius. tanh has the envelope A = 1, β = 0, where a
    factor A or e^{β²q} of the bound is invisible; 2e^{x/4}·tanh(x) has A = 2, β = 1/4 (and
    A = 4.5 for φ'); q = 0.64 shows where q or √q enters (at q = 1 q, √q and 1/q agree)."""
    from verify.recheck import CRAMER, Phi

    phi = Phi(e, [])
    assert float(phi.env[0]) == env[0] and float(phi.env[1]) == env[1]
    w = 4 * math.sqrt(q)  # exact for q = 1 and 0.64
    monkeypatch.setattr(Phi, "window", lambda self, q, beta: (arb(w), arb(4)))
    got = phi.expect(arb(q), which, k)
    a, b = (mpmath.mpf(float(v)) for v in (phi.denv if which == "dphi2" else phi.env))
    with mpmath.workdps(40):
        mq = mpmath.mpf(q)
        sq = mpmath.sqrt(mq)
        g = sp.lambdify(X, e, "mpmath")
        dg = sp.lambdify(X, sp.diff(e, X), "mpmath")
        dens = lambda z: mpmath.exp(-(z**2) / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        f = {
            "phi2": lambda z: g(sq * z) ** 2,
            "slope": lambda z: g(sq * z) ** 2 * (z**2 - 1) / (2 * mq),
            "mu": lambda z: g(sq * z) * (z**3 - 3 * z) / mpmath.sqrt(6),
            "dphi2": lambda z: dg(sq * z) ** 2,
        }[which]
        true = mpmath.quad(lambda z: f(z) * dens(z), [-mpmath.inf, 0, mpmath.inf])
        two = mpmath.sqrt(2)
        tail = {
            "phi2": a * a * mpmath.exp(2 * b * b * mq) * mpmath.erfc((4 - 2 * b * sq) / two),
            "dphi2": a * a * mpmath.exp(2 * b * b * mq) * mpmath.erfc((4 - 2 * b * sq) / two),
            "slope": two * a * a * mpmath.exp(4 * b * b * mq) * mpmath.erfc(2 - 2 * b * sq) / mq,
            "mu": mpmath.mpf(float(CRAMER.upper())) * 2 * a * mpmath.exp(b * b * mq)
            * mpmath.erfc(2 - b * sq) / two,
        }[which]  # fmt: skip
    assert float(got.lower()) <= float(true) <= float(got.upper()), (which, got, true)
    assert 0.999 * float(tail) <= float(got.rad()) <= 1.001 * float(tail) + 1e-15, (which, got)


def test_more_exact_tail_rules():
    """(2 + sin x)³ ranges up to 27; e^{1 - x²} has type e·e^{-16x}; (2 + 3e^{x/2 + 1})⁻¹ has type
    (1/(3e))·e^{-x/2} (the base is at least its exponential term); a kink at 16.5 lies on the
    tail from 16; a φ with no growth type has no envelope; atan at 1.5i is across its cut."""
    from verify.recheck import _freeze_tail, envelope

    assert float(_tail((2 + sp.sin(X)) ** 3, arb(16)).hi) == 27.0
    t = _tail(sp.exp(1 - X**2), arb(16))
    assert t.beta == arb(-16) and abs(float(t.a) - math.e) < 1e-14
    u = _tail((2 + 3 * sp.exp(X / 2 + 1)) ** -1, arb(16))
    assert u.beta == arb(-0.5) and abs(float(u.a) - 1 / (3 * math.e)) < 1e-15
    with pytest.raises(Malformed) as err:
        _freeze_tail(sp.Max(0, X - R(33, 2)), 1, arb(16))
    assert str(err.value) == "a kink on a tail"
    with pytest.raises(Malformed) as err:
        envelope(sp.exp(X * sp.sin(X)), arb(16))
    assert str(err.value) == "no growth bound on a tail"
    assert not compile_fn(sp.atan(X))(acb(0, 1.5), True).is_finite()


def test_an_integral_that_does_not_converge_is_refused_in_words(monkeypatch):
    """Where acb.integral returns a non-finite ball (it gave up), the expectation is not
    bounded: a malformed file in one line, never a nan carried into a claim."""
    import verify.recheck as rc

    class GivingUp(acb):
        @staticmethod
        def integral(*args, **kwargs):
            return acb("nan")

    phi = rc.Phi(sp.tanh(X), [])
    monkeypatch.setattr(rc, "acb", GivingUp)
    with pytest.raises(Malformed) as err:
        phi.expect(arb(1), "phi2")
    assert str(err.value) == "an integral did not converge"


def test_a_sums_growth_rate_is_the_top_of_its_terms_rates_far_out():
    """e^{x/3} + e^{-x} at 53 bits: the rate 1/3 is a ball (radius about 2^-54), so the sum's
    type must take its upper end. Its envelope then holds at x = 10⁸ (40-digit mpmath), where a
    rate 5e-17 too small would fall short by e^{-5e-9}, ten times the envelope's slack at x0
    (A = 1 + e^{-16(1 + 1/3)} ≈ 1 + 5.6e-10)."""
    from verify.recheck import _prec, _tail

    e = sp.exp(X / 3) + sp.exp(-X)
    with _prec(53):
        t = _tail(e, arb(16))
        assert t.beta.rad() == 0 and t.beta >= arb(1) / 3
    with mpmath.workdps(40):
        x = mpmath.mpf(10) ** 8
        bound = mpmath.mpf(float(t.a.upper())) * mpmath.exp(mpmath.mpf(float(t.beta)) * x)
        assert _mp(e, x) <= bound
