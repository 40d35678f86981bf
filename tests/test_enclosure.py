"""symbolic.enclosure: the one way a certified number becomes text, and float ends. Table-driven
from the documented rule: the exact decimal of each end, rounded toward -∞ (lower) or +∞
(upper) at the printed digits, written as Python's ``g`` writes numbers."""

import dataclasses
import math
from fractions import Fraction

import pytest
from flint import arb

from symbolic.balls import prec_scope
from symbolic.enclosure import (
    Enclosure,
    float_down,
    float_up,
    format_enclosure,
    round_down,
    round_up,
)


@pytest.fixture(autouse=True)
def _prec():
    with prec_scope(128):
        yield


@pytest.mark.parametrize(
    "value",
    [0.5, -0.25, 12.5, 1024.0, 3e10, 2.0**-20, 1.5e-5, -7.0, 123456.0, 0.0001220703125],
)
@pytest.mark.parametrize("digits", [3, 6, 12])
def test_values_with_few_digits_print_as_python_g_writes_them(value, digits):
    """No rounding needed when the exact decimal has at most ``digits`` digits (or g's own
    rounding agrees in both directions): both ends read as ``f"{value:.{digits}g}"`` exactly
    when that string is the value."""
    text = f"{value:.{digits}g}"
    if Fraction(text) == Fraction(value):
        assert round_down(value, digits) == text == round_up(value, digits)
    else:
        assert (
            Fraction(round_down(value, digits))
            < Fraction(value)
            < Fraction(round_up(value, digits))
        )


@pytest.mark.parametrize(
    ("value", "digits", "down", "up"),
    [
        (1e-5, 6, "1e-05", "1.00001e-05"),  # exponent form below 1e-4, as g (1e-5 > 10^-5)
        (1e-4, 6, "0.0001", "0.000100001"),
        (2**-17, 3, "7.62e-06", "7.63e-06"),
        (1234567.0, 6, "1.23456e+06", "1.23457e+06"),  # exponent form from 10^digits on
        (999999.5, 6, "999999", "1e+06"),
        (-1234567.0, 3, "-1.24e+06", "-1.23e+06"),
        (0.1, 3, "0.1", "0.101"),  # 0.1 is 0.1000000000000000055...: up past the float
        (-0.1, 3, "-0.101", "-0.1"),
        (2.0**70, 4, "1.18e+21", "1.181e+21"),  # 1180591620717411303424: an integer > 2^53
    ],
)
def test_directed_rounding_table(value, digits, down, up):
    assert round_down(value, digits) == down
    assert round_up(value, digits) == up
    assert Fraction(down) <= Fraction(value) <= Fraction(up)


def test_more_digits_than_decimals_default_context():
    """Decimal's default context keeps 28 digits: a 30-digit end must not pass through it (it
    would round half-even, upward for a lower end)."""
    x = arb("0.333333333333333333333333333333499")  # 1/3 + 1.66e-31, to 30 digits ...3334 near
    assert round_down(x, 30) == "0.333333333333333333333333333333"
    assert round_up(x, 30) == "0.333333333333333333333333333334"


def test_balls_round_their_own_ends_outward():
    third = arb(1) / 3  # radius ~1e-39 at 128 bits
    assert round_down(third, 30) == "0.333333333333333333333333333333"
    assert round_up(third, 30) == "0.333333333333333333333333333334"
    assert format_enclosure(third, None, 4) == "[0.3333, 0.3334]"  # hi defaults to lo's ball
    wide = arb(1, 0.25)  # [0.75, 1.25], its radius rounded up by Arb
    assert format_enclosure(0.75, 1.25, 3) == "[0.75, 1.25]"  # exact ends: no widening
    assert Fraction(round_down(wide, 6)) <= Fraction(3, 4) and Fraction(round_up(wide, 6)) >= 1.25
    assert len(round_down(wide, 6).replace("0.", "")) == 6  # Arb's rounded-up radius shows at 6
    big = arb(3) * arb(2) ** 70  # an exact ball with a positive binary exponent
    assert round_down(big, 25) == "3541774862152233910272"
    assert round_down(-third, 2) == "-0.34" and round_up(-third, 2) == "-0.33"


def test_defaults_zero_and_short_mantissas():
    """The digit count is always the caller's (no hidden default), zero is "0", and a two-digit
    mantissa in exponent form keeps its point."""
    assert round_down(1 / 3, 6) == "0.333333" and round_up(1 / 3, 6) == "0.333334"
    assert format_enclosure(1 / 3, None, 6) == "[0.333333, 0.333334]"
    assert round_down(0.0, 6) == "0" == round_up(0.0, 6)
    assert format_enclosure(arb(0), None, 6) == "[0, 0]"
    with pytest.raises(TypeError):
        round_down(1 / 3)  # type: ignore[call-arg]
    assert round_down(1.2e7, 2) == "1.2e+07" and round_down(-1.2e-7, 2) == "-1.2e-07"


def test_infinities():
    assert round_down(-math.inf, 6) == "-inf" and round_up(math.inf, 6) == "inf"
    unbounded = arb(0, math.inf)
    assert round_down(unbounded, 6) == "-inf" and round_up(unbounded, 6) == "inf"
    assert float_down(unbounded) == -math.inf and float_up(unbounded) == math.inf
    assert format_enclosure(unbounded, None, 6) == "[-inf, inf]"


@pytest.mark.parametrize("value", ["1/3", "-2/7", "1e-300/3", "7"])
def test_float_ends_are_adjacent_floats_outside_the_ball(value):
    num, _, den = value.partition("/")
    x = arb(num) / int(den or 1)
    lo, hi = float_down(x), float_up(x)
    assert arb(lo) <= x.lower() and arb(hi) >= x.upper()
    if x.rad() == 0 and arb(float(x)) == x:
        assert lo == hi == float(x)  # exact and representable: not widened
    else:
        assert math.nextafter(lo, math.inf) == hi or math.nextafter(lo, math.inf) == float(x)


def test_enclosure_record():
    e = Enclosure(arb(1) / 3, "test")
    assert e.lo < 1 / 3 < e.hi or e.lo <= 1 / 3 <= e.hi
    assert e.as_list() == [e.lo, e.hi] and e.mid == pytest.approx(1 / 3, abs=0)
    assert e.radius >= float(e.ball.rad()) and e.radius < 1e-37
    assert [float.fromhex(h) for h in e.exact_ends()] == [e.lo, e.hi]
    assert str(e) == "[0.333333333333, 0.333333333334]" == e.format(12)
    assert e.format(3) == "[0.333, 0.334]" and str(e) == e.format(12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.method = "changed"
