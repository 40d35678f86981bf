"""Is φ the ReLU? (symbolic.relu; theory §7.4: Ling's and Gao's models accept only max(0, x)).

PASS needs φ = max(0, x) proved on *every* smooth piece; FAIL needs one point where they differ
at 30 digits. Formulas that are the ReLU on all pieces but one are the traps: a check on some
pieces, or on probes near the origin only, would call them the ReLU.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from symbolic.activations import resolve
from symbolic.relu import _probes, relu_fact

RELU = [
    "relu",
    "Max(0, x)",
    "Max(x, 0)",
    "(x + abs(x))/2",
    "x*Heaviside(x)",
    "x*Heaviside(x, 1/2)",
    "Max(0, x) + Min(0, 0)",
    "abs(x)/2 + x/2",
    "Max(0, x)*(Heaviside(x - 1/2) + Heaviside(1/2 - x))",  # a spurious kink at 1/2 inside (0, 1)
]

#: (formula, a point where it differs from max(0, x)): ReLU on every piece but the one holding it
ALL_BUT_ONE = [
    ("Max(0, x) + Max(0, x - 100)", 150.0),  # 2x - 100 beyond 100
    ("Max(0, x) - Max(0, -x - 50)", -60.0),  # x + 50 below -50
    ("Max(0, x) + Heaviside(x - 7)", 8.0),  # a unit jump at 7
    ("Max(0, x) + Max(0, x - 3000)/1000", 4000.0),  # far and small
    ("Max(0, x) + Heaviside(-x - 20)*exp(x)", -21.0),  # only below -20
    ("Max(0, x)*(1 + Heaviside(x - 1)*(x - 1))", 2.0),
    ("leaky_relu", -1.0),  # every piece differs... below 0
    ("Max(0, x) + 1e-6*Max(0, x - 40)", 41.0),
]


@pytest.mark.parametrize("formula", RELU)
def test_spellings_of_the_relu_are_proved(formula):
    act = resolve(formula)
    fact = relu_fact(act)
    assert fact.is_relu is True, fact.detail
    kinks = ", ".join(sp.sstr(b) for b in act.exact_breakpoints)
    assert f"(kinks: {kinks}; sympy)" in fact.detail and kinks.startswith("0")


@pytest.mark.parametrize("formula, where", ALL_BUT_ONE, ids=[f for f, _ in ALL_BUT_ONE])
def test_relu_on_all_pieces_but_one_is_refuted_at_a_real_point(formula, where):
    """Refuted (never proved): the reported point is one where φ and max(0, x) really differ
    (checked here at 40 digits, independently of the tool's probe)."""
    act = resolve(formula)
    assert abs(act.mp_fn(mpmath.mpf(where)) - max(0, where)) > 1e-12  # the table is right
    fact = relu_fact(act)
    assert fact.is_relu is False, fact.detail
    assert fact.detail.startswith(f"φ({fact.point:.6g}) - max(0, {fact.point:.6g}) = ")
    assert fact.detail.endswith("≠ 0 (30 digits): not the ReLU")
    with mpmath.workdps(40):
        x0 = mpmath.mpf(fact.point)
        assert abs(act.mp_fn(x0) - max(mpmath.mpf(0), x0)) > 1e-20


#: Formulas whose pieces and constants the probe set must cover (the constants of the last one
#: sit at the 10⁶ edge of the far-probe rule, which is inclusive)
COVERED = [
    "Max(0, x) + Max(0, x - 20) - 2*Max(0, x - 41/2) + Max(0, x - 21)",
    "Max(0, x) - Max(0, -x - 50) + Heaviside(x - 7)",
    "Max(0, x) + Max(0, x - 1000000)",
    "tanh(x)",
    "tanh(x - 15/2) + tanh(x + 15/2)",  # constants just beyond the fixed probes, and no kink
]


@pytest.mark.parametrize("formula", COVERED)
def test_probes_lie_inside_every_piece_and_beyond_every_constant(formula):
    """The refutation's contract (symbolic.relu): a probe strictly inside every smooth piece,
    and probes beyond every constant |c| ≤ 10⁶ of the formula on both sides."""
    act = resolve(formula)
    probes = _probes(act)
    assert all(mpmath.isfinite(x) for x in probes)
    for piece in act.pieces:
        assert any(piece.lo < x < piece.hi for x in probes), (piece.lo, piece.hi)
    far = max((abs(float(c)) for c in act.expr.atoms(sp.Number)), default=0.0)
    assert max(probes) > far and min(probes) < -far


def test_a_bump_between_two_far_kinks_is_refuted_inside_it():
    """A triangle of height 1/2 on [20, 21], zero elsewhere: no fixed probe and no far probe
    sees it, only the probes inside its two pieces."""
    act = resolve("Max(0, x) + Max(0, x - 20) - 2*Max(0, x - 41/2) + Max(0, x - 21)")
    fact = relu_fact(act)
    assert fact.is_relu is False and 20 < fact.point < 21, fact.detail


def test_a_proof_names_no_point_and_a_difference_below_the_margin_is_not_a_refutation():
    proved = relu_fact(resolve("Max(0, x)"))
    assert proved.is_relu is True and proved.point is None
    # differs from the ReLU, but by less than the margin at every point: not refuted (the margin
    # keeps 30-digit rounding from refuting), and never proved (sympy sees the 1e-25 term)
    tiny = relu_fact(resolve("Max(0, x) + 1e-25*tanh(x)"))
    assert tiny.is_relu is None and tiny.point is None, tiny.detail
    assert tiny.detail == "φ agrees with max(0, x) at the probes, but sympy could not prove it"
