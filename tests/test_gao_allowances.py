"""Gao's λ_0 certificate (numeric.gao_certificate) against its formulas evaluated here, exactly
or at 60 digits, from the same inputs: each entry's radius is |J₁(s̃)/(2π) - Ã_ij| plus the
dot product's widening ½·4γ_{d+3} (no less, and no more than Arb's and the float's last
roundings), ‖R‖_F within the margin 1 + 1e-5 of (ΣR²)^½, the lower end t - ‖R‖_F rounded down
to one ulp, and the float error bar the one eig_error states plus ‖R‖_F. A changed γ index, a
dropped ½, a margin below 1 or a reversed rounding moves one of these by far more than the
tolerance (the comparisons with 50-digit λ_0 elsewhere have margins of 1e-6 relative)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import torch

from numeric.data import sphere_data
from numeric.gao_certificate import certify_lambda0, gram_balls
from numeric.gram_balls import unit_rows
from numeric.implicit import explicit_spectrum
from symbolic.balls import prec_scope

U = Fraction(1, 2**53)
FLOAT = 16 * U
#: The documented margin on a float sum of squares (the test's own copy: a changed constant in
#: the module must fail, not follow).
SUM_MARGIN = Fraction(1 + 1e-5)


def gamma(k: int) -> Fraction:
    return k * U / (1 - k * U)


@pytest.fixture(scope="module")
def x():
    """n = 6, d = 10, inputs 0 and 1 a near-duplicate pair (λ_0 ≈ 1e-7: the entries' error
    matters at the float resolution of the lower end)."""
    x = sphere_data(6, 10, 1, 0.1).x.clone()
    x[1] = x[0] + 1e-3 * x[2]
    return x / x.norm(dim=1, keepdim=True)


def test_each_radius_is_the_distance_to_the_exact_entry_plus_the_widening(x):
    n, d = x.shape
    unit = unit_rows(x)
    s = (unit @ unit.T).tolist()
    widen = gamma(d + 3) * 2  # ½·4γ_{d+3}
    with prec_scope(128):
        mid, rad = gram_balls(x)
    assert torch.equal(mid, mid.T) and torch.equal(rad, rad.T)
    assert torch.all(mid.diagonal() == 0.5) and torch.all(rad.diagonal() == 0.0)  # J₁(1)/(2π)
    with mpmath.workdps(60):
        for i in range(n):
            for j in range(i + 1, n):
                z = mpmath.mpf(max(-1.0, min(1.0, s[i][j])))
                entry = (mpmath.sqrt(1 - z * z) + (mpmath.pi - mpmath.acos(z)) * z) / (
                    2 * mpmath.pi
                )
                dist = abs(entry - mpmath.mpf(float(mid[i, j])))
                assert dist <= mpmath.mpf(2.0**-53) * abs(entry)  # the float nearest the entry
                need = dist + mpmath.mpf(widen.numerator) / widen.denominator
                r = mpmath.mpf(float(rad[i, j]))
                assert need <= r <= need * (1 + mpmath.mpf(2.0**-50)) + mpmath.mpf(2.0**-120)


def test_the_lower_end_frobenius_and_float_error_are_the_stated_sums(x):
    lam = explicit_spectrum(x)[0]
    c = certify_lambda0(x, float(lam), 128)
    with prec_scope(128):
        mid, rad = gram_balls(x)
    squares = sum(Fraction(v) ** 2 for v in rad.flatten().tolist())
    frob, margin = Fraction(c.frobenius), SUM_MARGIN
    assert squares <= frob**2  # sound
    assert squares * margin**2 * (1 - FLOAT) <= frob**2 <= squares * margin**2 * (1 + FLOAT)
    total = Fraction(c.cholesky_bound) - frob
    assert Fraction(c.lower) <= total <= Fraction(c.lower) + abs(total) * 2 * U
    assert c.positive and c.lower <= float(lam) <= c.upper
    n = mid.shape[0]
    norm = max(sum(abs(Fraction(v)) for v in row) for row in mid.tolist())
    stated = 10 * n * 2 * U * norm + n * 4 * 2 * U + frob  # eig_error(Ã, 4ε) + ‖R‖_F
    assert stated <= Fraction(c.float_error) * (1 + FLOAT)
    assert Fraction(c.float_error) <= stated * (1 + FLOAT)
