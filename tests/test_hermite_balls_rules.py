"""The rules symbolic.hermite_balls builds its balls on, each against what it documents: which
μ_n vanish by parity (the docstring's table), where φ jumps (one-sided values compared), and
the growth envelope of φ' (it must dominate |φ'| on the tail it claims, checked in mpmath)."""

from __future__ import annotations

import mpmath
import pytest

from symbolic.activations import resolve
from symbolic.hermite_balls import tails, zero_by_parity


@pytest.mark.parametrize("n", range(8))
def test_the_parity_table_is_the_documented_one(n):
    """odd φ: even n; even φ: odd n; φ - φ(0) odd: even n ≥ 2; φ - c·x even: odd n ≥ 3."""
    assert zero_by_parity("odd", n) is (n % 2 == 0)
    assert zero_by_parity("even", n) is (n % 2 == 1)
    assert zero_by_parity("odd+const", n) is (n % 2 == 0 and n >= 2)
    assert zero_by_parity("even+linear", n) is (n % 2 == 1 and n >= 3)
    assert zero_by_parity("none", n) is False


@pytest.mark.parametrize(
    ("formula", "jump"),
    [
        ("Max(1, x)", None),  # continuous, with a nonzero value at its kink
        ("Max(0, x) + Min(0, exp(x) - 1)", None),
        ("sign(x)", "x = 0"),
        ("Heaviside(x)", "x = 0"),
    ],
)
def test_a_jump_is_where_the_one_sided_values_differ(formula, jump):
    t = tails(resolve(formula))
    assert t.jump == jump
    assert (t.dphi is None) is (jump is not None)  # no envelope of φ' across a Dirac mass


@pytest.mark.parametrize(
    ("formula", "dphi"), [("x**2", "2*x"), ("x**3", "3*x**2"), ("tanh(x)", None)]
)
def test_the_envelope_of_phi_prime_dominates_phi_prime_on_its_tail(formula, dphi):
    """|φ'(x)| ≤ a·e^{β|x|} for |x| ≥ start, at points from the start out to 10³ (both sides):
    the envelope of φ'' or of φ in its place fails this for a polynomial φ."""
    env = tails(resolve(formula)).dphi
    a, beta, start = (mpmath.mpf(float(v.upper())) for v in (env.a, env.beta, env.start))
    d = {
        "2*x": lambda x: 2 * x,
        "3*x**2": lambda x: 3 * x**2,
        None: lambda x: 1 - mpmath.tanh(x) ** 2,
    }[dphi]
    for x in (start, start + 1, 10, 100, 1000):
        for s in (1, -1):
            assert abs(d(s * x)) <= a * mpmath.exp(beta * x)


def test_a_narrow_window_is_paid_for_by_the_tail_term(monkeypatch):
    """With the integration window cut to |x| ≲ 9 (its radius chosen at 8 bits instead of the
    working precision), the truncated integral misses up to about 1e-10 of each μ_n(1) of tanh; the
    ball must still contain the value mpmath computes at 50 digits over all of ℝ, because
    the Cramér tail term is added to its radius. Dropping that term fails."""
    from flint import arb, ctx

    import symbolic.hermite_balls as hb
    from symbolic.balls import prec_scope

    wide = hb._window

    def narrow(*args, **kwargs):
        with prec_scope(8):
            return wide(*args, **kwargs)

    act = resolve("tanh")
    monkeypatch.setattr(hb, "_window", narrow)
    with prec_scope(128):
        balls = hb.hermite_balls(act, arb(1), 6, tails(act))
        assert ctx.prec == 128
    with mpmath.workdps(50):
        for n in (1, 3, 5):
            exact = mpmath.quad(
                lambda z, n=n: (
                    mpmath.tanh(z)
                    * mpmath.hermite(n, z / mpmath.sqrt(2))
                    * 2 ** (-mpmath.mpf(n) / 2)
                    / mpmath.sqrt(mpmath.factorial(n))
                    * mpmath.npdf(z)
                ),
                [-mpmath.inf, -10, 0, 10, mpmath.inf],
            )
            ball = balls[n]
            assert ball.contains(arb(mpmath.nstr(exact, 45))), (n, ball, exact)
            assert float(ball.rad()) < 1e-8  # paid for, not given up


@pytest.mark.parametrize("q", ["0.5", "2"])
@pytest.mark.parametrize("narrow_window", [False, True])
def test_the_moments_contain_their_50_digit_values_away_from_q_1(q, narrow_window, monkeypatch):
    """E[φ(√q Z)²], d/dq of it (= E[φ(√q Z)²(Z² - 1)]/(2q)) and E[φ'(√q Z)²] for tanh at q ≠ 1
    (at q = 1, q and 1/q are one number), each against mpmath at 50 digits over ℝ; with the
    window cut to |x| ≲ 9 too, where each tail term must pay for what the window leaves out."""
    from flint import arb

    import symbolic.hermite_balls as hb
    from symbolic.balls import prec_scope

    if narrow_window:
        wide = hb._window

        def narrow(*args, **kwargs):
            with prec_scope(8):
                return wide(*args, **kwargs)

        monkeypatch.setattr(hb, "_window", narrow)
    act = resolve("tanh")
    with prec_scope(128), mpmath.workdps(50):
        t = tails(act)
        balls = (
            hb.second_moment(act, arb(q), t),
            hb.variance_slope(act, arb(q), t),
            hb.slope_moment(act, arb(q), t),
        )
        qq = mpmath.mpf(q)
        r = mpmath.sqrt(qq)

        def e(f):
            return mpmath.quad(
                lambda z: f(z) * mpmath.npdf(z), [-mpmath.inf, -10, 0, 10, mpmath.inf]
            )

        exact = (
            e(lambda z: mpmath.tanh(r * z) ** 2),
            e(lambda z: mpmath.tanh(r * z) ** 2 * (z * z - 1)) / (2 * qq),
            e(lambda z: mpmath.sech(r * z) ** 4),
        )
        for ball, value in zip(balls, exact, strict=True):
            assert ball.contains(arb(mpmath.nstr(value, 45))), (ball, value)
            assert float(ball.rad()) < (1e-8 if narrow_window else 1e-25)


@pytest.mark.parametrize("a, beta, q, big_r", [(1.0, 0.0, 1.0, 8.0), (1.5, 0.25, 0.7, 10.0)])
def test_the_slope_tail_is_its_stated_bound_and_bounds_the_tail(a, beta, q, big_r):
    """_tail_slope is 2√2·A²·e^{4β²q}·erfc(R/2 - 2β√q) (its docstring; mpmath at 30 digits),
    and that is at least the tail it bounds, ∫_{|z|>R} A²e^{2β√q|z|}|z² - 1|e^{-z²/2}dz/√(2π)
    (mpmath quadrature)."""
    import mpmath
    from flint import arb

    from symbolic.growth import Envelope
    from symbolic.hermite_balls import _tail_slope

    got = _tail_slope(Envelope(arb(a), arb(beta), arb(0), "test"), arb(q), arb(big_r))
    with mpmath.workdps(30):
        a_, b_, q_, r_ = (mpmath.mpf(v) for v in (a, beta, q, big_r))
        formula = 2 * mpmath.sqrt(2) * a_**2 * mpmath.exp(4 * b_**2 * q_)
        formula *= mpmath.erfc(r_ / 2 - 2 * b_ * mpmath.sqrt(q_))
        density = lambda z: mpmath.exp(-(z**2) / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        tail = 2 * mpmath.quad(
            lambda z: a_**2 * mpmath.exp(2 * b_ * mpmath.sqrt(q_) * z) * (z**2 - 1) * density(z),
            [r_, mpmath.inf],
        )
    assert float(formula) <= float(got) <= float(formula) * (1 + 1e-12)  # 53-bit balls
    assert float(tail) <= float(formula)
