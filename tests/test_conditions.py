import math

import pytest

from numeric.quadrature import hermite_float
from numeric.sup import grid_sup
from symbolic import REGISTRY, polynomial_fact, resolve, sup_abs
from symbolic.l2 import square_integrable
from symbolic.timelimit import step_seconds
from verify import verdicts
from verify.results import Status


def check_bounded(act, k):
    """The verdict on sup|φ^{(k)}| and the fact behind it, as the pipeline computes them."""
    fact = sup_abs(act, k, *grid_sup(act, k))
    return verdicts.bounded(k, fact), fact


def check_infinite_hermite(act, evidence):
    """As the pipeline judges it before q* is known: at q = 1, with φ's L² membership."""
    fact = polynomial_fact(act, evidence)
    return verdicts.infinite_hermite(fact, evidence, square_integrable(act))


check_weight_scale = verdicts.weight_scale


def numeric_sup(act, k):
    return grid_sup(act, k)[0]


P, F, INC = Status.PASS, Status.FAIL, Status.INCONCLUSIVE

# theory §6: (φ bounded, φ' bounded, φ'' bounded, infinite Hermite)
SPEC_TABLE = {
    "sin": (P, P, P, P),
    "tanh": (P, P, P, P),
    "erf": (P, P, P, P),
    "sigmoid": (P, P, P, P),
    "softplus": (F, P, P, P),
    "gelu": (F, P, P, P),
    "swish": (F, P, P, P),
    "exp": (F, F, F, P),
    "relu": (F, P, F, P),
    "step": (P, F, F, P),
    "identity": (F, P, P, F),
    "square": (F, F, P, F),
    "x**3": (F, F, F, F),
    "x*exp(-x**2/2)": (P, P, P, P),
    "sin(x)+x/2": (F, P, P, P),
    "abs(x)": (F, P, F, P),
}


@pytest.mark.parametrize("name", list(SPEC_TABLE))
def test_spec_section_6_expectations(name):
    act = resolve(name)
    got = tuple(check_bounded(act, k)[0].status for k in range(3))
    got += (check_infinite_hermite(act, hermite_float(act, 40, 1.0)).status,)
    assert got == SPEC_TABLE[name]


EXACT_SUP = {
    ("sin", 1): 1.0,
    ("tanh", 1): 1.0,
    ("tanh", 2): 4 * math.sqrt(3) / 9,
    ("sigmoid", 1): 0.25,
    ("erf", 1): 2 / math.sqrt(math.pi),
    ("gelu", 2): math.sqrt(2 / math.pi),
}


@pytest.mark.parametrize("key", list(EXACT_SUP), ids=[f"{n}-d{k}" for n, k in EXACT_SUP])
def test_exact_suprema_agree_with_known_values_and_the_grid(key):
    name, k = key
    result, _ = check_bounded(REGISTRY[name], k)
    assert result.status is P and result.exact is not None
    assert result.value == pytest.approx(EXACT_SUP[key], rel=1e-14)
    # The grid (step 5e-4) can only undershoot the true supremum, by O(step²·|φ^{(k+2)}|).
    assert EXACT_SUP[key] - 1e-6 <= numeric_sup(REGISTRY[name], k) <= EXACT_SUP[key] + 1e-12


def test_supremum_approached_only_at_infinity_is_exact():
    result, _ = check_bounded(REGISTRY["atan"], 0)  # π/2, never attained: a grid undershoots
    assert result.status is P and result.value == pytest.approx(math.pi / 2, rel=1e-15)
    assert numeric_sup(REGISTRY["atan"], 0) < math.pi / 2 - 1e-3


def test_jump_is_reported_as_the_reason():
    result, _ = check_bounded(REGISTRY["relu"], 2)
    assert result.status is F and "jumps at x = 0" in result.detail


def test_pole_is_refuted():
    result, _ = check_bounded(resolve("1/(1+x**2) + tan(x)"), 0)
    assert result.status is F


def test_weight_scale_uses_the_exact_lipschitz_constant():
    _, lip = check_bounded(REGISTRY["sigmoid"], 1)  # L = 1/4, so 1/(8L²) = 2
    assert check_weight_scale(1.9, lip).status is P
    assert check_weight_scale(2.1, lip).status is F
    assert check_weight_scale(1.0, lip).bound == pytest.approx(2.0)
    _, lip_exp = check_bounded(REGISTRY["exp"], 1)
    assert check_weight_scale(0.01, lip_exp).status is F


def test_weight_scale_with_a_numeric_lipschitz_constant_is_inconclusive():
    _, lip = check_bounded(REGISTRY["swish"], 1)  # critical points of swish' have no closed form
    assert lip.exact is None and lip.bounded is True
    assert check_weight_scale(0.01, lip).status is INC


def test_polynomial_in_disguise_is_caught():
    result = check_infinite_hermite(
        resolve("sin(x)**2 + cos(x)**2 + x"), hermite_float(resolve("x"), 10, 1.0)
    )
    assert result.status is F


def test_bounded_oscillation_is_no_polynomial():
    """sin(x²) has no limit at ±∞ sympy can name, but it is bounded on ℝ (interval arithmetic)
    and takes two different values: a bounded polynomial is constant, so it is none."""
    act = resolve("sin(x**2)")
    result = check_infinite_hermite(act, hermite_float(act, 20, 1.0))
    assert result.status is P and "bounded polynomial is constant" in result.detail


def test_polynomial_in_disguise_unbounded_oscillation_stays_undecided():
    """x·sin(x)² - x·sin(x)² + x·cos(x)**3 ... : unbounded and oscillating, with no limit at ±∞,
    is neither proved nor refuted to be a polynomial by the limit test: INCONCLUSIVE, never a
    guess."""
    act = resolve("x*sin(x**2)")
    assert check_infinite_hermite(act, hermite_float(act, 20, 1.0)).status in (INC, P)


def test_periodic_kinks_refute_only_at_a_real_point():
    """|sin x| has infinitely many kinks: pieces built in a window cannot prove a supremum over
    the whole line (sup|φ| = sup|φ'| = 1 stay undecided), but one real jump refutes: φ' goes from
    -1 to 1 at x = 0 (one-sided limits of cos x·sign), so φ'' has a Dirac mass there."""
    act = resolve("abs(sin(x))")
    assert not act.kinks_finite
    statuses = [check_bounded(act, k)[0] for k in range(3)]
    assert [r.status for r in statuses] == [INC, INC, F]
    assert "x = 0" in statuses[2].detail


def test_max_of_continuous_functions_has_no_jump():
    act = resolve("Max(x/2, x**3/(1 + x**2))")  # kinks at x = 0 and x = ±1, finitely many
    assert act.kinks_finite
    assert check_bounded(act, 1)[0].status is P


def test_a_stalled_sympy_step_gives_inconclusive_within_its_limit(monkeypatch):
    """sympy's limit patched to stall: the check must give up at its time limit (0.125 s a step
    here) and say INCONCLUSIVE. Without the limit the stall would run to its end (60 s, a
    generous bound on the hang) and be recorded as such."""
    import time

    import sympy

    from symbolic.timelimit import step_seconds

    ran_to_the_end = []

    def stall(*args, **kwargs):
        time.sleep(60)
        ran_to_the_end.append(True)
        raise AssertionError("a sympy step ran past its time limit")

    monkeypatch.setattr(sympy, "limit", stall)
    with step_seconds(0.125):  # every sympy step 0.125 s, the whole supremum 15 steps
        result, fact = check_bounded(REGISTRY["tanh"], 1)
    assert not ran_to_the_end  # cut short by the limit, every time sympy's limit was called
    assert result.status is INC and fact.bounded is None and "time limit" in result.detail


def test_the_alarm_skips_a_garbage_collector_callback_and_fires_elsewhere():
    """An exception raised inside a gc callback is printed and dropped by the interpreter (pytest
    turns it into an error); the alarm must leave such frames alone, the repeating timer firing
    again 0.2 s later, and interrupt any other code."""
    import gc
    import sys

    from symbolic import timelimit

    frames = []

    def callback(phase, info):
        frames.append(sys._getframe())

    gc.callbacks.append(callback)
    try:
        gc.collect()
        assert frames and timelimit._on_alarm(14, frames[0]) is None
        with pytest.raises(timelimit._Alarm):
            timelimit._on_alarm(14, sys._getframe())
    finally:
        gc.callbacks.remove(callback)


@pytest.mark.parametrize(
    "formula, k",
    [("tanh(x) + 5*tanh(x - 300)", 1), ("sin(x)", 2), ("relu", 1), ("x*tanh(x)", 1), ("gelu", 2)],
)
def test_the_witness_is_a_proved_lower_bound_at_the_grid_maximiser(formula, k):
    """sup|φ^{(k)}| ≥ witness: |φ^{(k)}| at the grid's maximiser in balls, rounded down. Checked
    against mpmath's 40-digit numerical derivative there (an independent method), within the
    rounding of one float."""
    import mpmath

    from symbolic.bounds import witness

    act = resolve(formula)
    best, _, at = grid_sup(act, k)
    with step_seconds(1.0):  # the witness does not depend on how long sympy searches
        fact = sup_abs(act, k, best, "grid", at)
    with mpmath.workdps(40):
        true = abs(mpmath.diff(act.mp_fn, mpmath.mpf(at), k))
    assert fact.witness == witness(act, k, at) > 0
    assert fact.witness <= true and fact.witness >= true * (1 - 1e-15)
    assert abs(fact.witness - best) <= 1e-12 * best  # the float grid agreed here


def test_no_witness_on_a_cut_or_without_a_point():
    from symbolic.bounds import witness

    relu = resolve("relu")
    assert witness(relu, 1, 0.0) == 0.0  # the kink: no piece holds it strictly
    assert witness(relu, 1, None) == 0.0 and witness(relu, 1, math.inf) == 0.0
    assert witness(relu, 1, -1.0) == 0.0 and witness(relu, 1, 2.0) == 1.0
