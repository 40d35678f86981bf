"""Is φ the ReLU? (symbolic.relu; theory §7.4: Ling's and Gao's models accept only max(0, x)).

PASS needs φ = max(0, x) proved on *every* smooth piece; FAIL needs one point where they differ
at 30 digits. Formulas that are the ReLU on all pieces but one are the traps: a check on some
pieces, or on probes near the origin only, would call them the ReLU.
"""

from __future__ import annotations

import mpmath
import pytest

from symbolic.activations import resolve
from symbolic.relu import relu_fact

RELU = [
    "relu",
    "Max(0, x)",
    "Max(x, 0)",
    "(x + abs(x))/2",
    "x*Heaviside(x)",
    "x*Heaviside(x, 1/2)",
    "Max(0, x) + Min(0, 0)",
    "abs(x)/2 + x/2",
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
    fact = relu_fact(resolve(formula))
    assert fact.is_relu is True, fact.detail


@pytest.mark.parametrize("formula, where", ALL_BUT_ONE, ids=[f for f, _ in ALL_BUT_ONE])
def test_relu_on_all_pieces_but_one_is_refuted_at_a_real_point(formula, where):
    """Refuted (never proved): the reported point is one where φ and max(0, x) really differ
    (checked here at 40 digits, independently of the tool's probe)."""
    act = resolve(formula)
    assert abs(act.mp_fn(mpmath.mpf(where)) - max(0, where)) > 1e-12  # the table is right
    fact = relu_fact(act)
    assert fact.is_relu is False, fact.detail
    with mpmath.workdps(40):
        x0 = mpmath.mpf(fact.point)
        assert abs(act.mp_fn(x0) - max(mpmath.mpf(0), x0)) > 1e-20
