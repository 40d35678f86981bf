"""Integer powers of balls. python-flint 0.9's ``arb ** k`` is nan for a real ball whose
midpoint is exactly 0 (0 ± r, r > 0), as an integral of an odd integrand can return: the
producer (symbolic.balls.int_power) and the checker (verify.recheck._ipow, its own) give 0 ± r^k
there, which holds z^k for every z in the ball; elsewhere they are ``**``. Regression: the
sigmoid certificate's μ_2(q*)² (μ_2 = 0: sigmoid - 1/2 is odd, and the checker's integral came
back as 0 ± 1.3e-36) was NOT PROVED through a nan."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from flint import arb

from symbolic.balls import ball_function, int_power, prec_scope
from symbolic.formula import X
from verify.recheck import X as RX
from verify.recheck import _ipow, compile_fn, recheck

DATA = Path(__file__).parent / "data"


def _frac(v: arb) -> Fraction:
    man, exp = v.man_exp()
    return Fraction(int(man)) * Fraction(2) ** int(exp)


@pytest.mark.parametrize("power", [int_power, _ipow], ids=["producer", "checker"])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("r", [1.0, 2.0**-60, 0.75])
def test_a_power_of_a_ball_centred_at_zero_holds_every_power(power, k, r):
    """(0 ± r)^k: finite, and it contains z^k for z = ±r, ±r/3 and 0 (exact rationals); its
    radius is r^k rounded up, not more than r^k(1 + 2^-25) (a mag's 30 bits)."""
    with prec_scope(128):
        z = arb(0, r)
        assert z.mid() == 0 and not (z**k).is_finite()  # the case: flint's nan
        got = power(z, k)
        assert got.is_finite()
        lo, hi = _frac(got.mid()) - _frac(got.rad()), _frac(got.mid()) + _frac(got.rad())
        for t in (-1, Fraction(-1, 3), 0, Fraction(1, 3), 1):
            assert lo <= (t * Fraction(r)) ** k <= hi, (k, r, t)
        assert Fraction(r) ** k <= hi <= Fraction(r) ** k * (1 + Fraction(1, 2**25))


@pytest.mark.parametrize("power", [int_power, _ipow], ids=["producer", "checker"])
def test_elsewhere_a_power_is_flints(power):
    with prec_scope(128):
        for z, k in ((arb(0.5, 0.25), 3), (arb(-2), 5), (arb(0), 4), (arb(0, 1), 0), (arb(3), 0)):
            assert power(z, k).mid() == (z**k).mid() and power(z, k).rad() == (z**k).rad()


def test_compiled_powers_are_finite_on_a_ball_centred_at_zero():
    """x² - x³ on 0 ± 1/2 by both compilers: finite, and containing its values at ±1/2; x⁻² on
    it stays unbounded; negative powers at exact points are exact."""
    with prec_scope(128):
        z = arb(0, 0.5)
        for f in (ball_function(X**2 - X**3), lambda w, a: compile_fn(RX**2 - RX**3)(w, a)):
            v = f(z, False)
            assert v.is_finite() and v.contains(arb(0.375)) and v.contains(arb(0.125))
        assert not compile_fn(RX**-2)(z, False).is_finite()
        assert not ball_function(X**-2)(z, False).is_finite()
        for x, k, want in ((2, -2, arb(1) / 4), (-2, -3, arb(-1) / 8), (0.5, -1, arb(2))):
            assert ball_function(X**k)(arb(x), False) == want
            assert compile_fn(RX**k)(arb(x), False) == want


def test_the_sigmoid_certificate_rechecks_proved():
    """The honest sigmoid file (n = 8, the series route: μ_2 = 0 exactly) re-proves every claim,
    the coefficients included."""
    doc = json.loads((DATA / "certificate_sigmoid.json").read_text())
    assert doc["activation"]["spec"] == "sigmoid"
    results = recheck(doc)
    assert [r.claim for r in results if not r.proved] == []
    assert len(results) == 11 and "Hermite coefficients" in [r.claim for r in results]
