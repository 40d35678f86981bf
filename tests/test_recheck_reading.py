"""How the checker reads numbers (verify.recheck): exact hexadecimal numbers of any length, hex
floats within float64's range, balls as [midpoint, radius]. Anything else is a malformed file,
refused in one line that quotes at most 40 characters of what it read; never a traceback."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from flint import arb, ctx, fmpz

from verify.recheck import MALFORMED, Malformed, _ball, _float, _num, main

LONG = "0x" + "g" * 70 + "p0"  # not hex, 74 characters


@pytest.mark.parametrize(
    "text, value",
    [("0x1.8p1", 3), ("+0x1.8p1", 3), ("-0x1.8p1", -3), ("-0x3p-2", -0.75), ("0x0p0", 0)],
)
def test_an_exact_number_keeps_its_sign_and_value(text, value):
    got = _num(text)
    assert got.rad() == 0 and got == arb(value)


def test_a_mantissa_longer_than_the_working_precision_is_exact():
    """205 bits at 53-bit working precision: the ball is the integer itself, radius 0."""
    digits = "1" + "0" * 50 + "1"
    before = ctx.prec
    ctx.prec = 53
    try:
        got = _num(f"-0x{digits}p-4")
    finally:
        ctx.prec = before
    ctx.prec = 400  # compared exactly
    try:
        assert got.rad() == 0 and got * 16 == -arb(fmpz(int(digits, 16)))
        assert got != arb(float(got.mid()))  # not representable in 53 bits
    finally:
        ctx.prec = before


@pytest.mark.parametrize(
    "reader, text, message",
    [
        (_num, "1.5", "not an exact hexadecimal number: '1.5'"),
        (_num, 1.5, "not an exact hexadecimal number: '1.5'"),
        (_num, LONG, f"not an exact hexadecimal number: {LONG[:40]!r}"),
        (_float, "1.5", "not a hexadecimal float: '1.5'"),
        (_float, None, "not a hexadecimal float: 'None'"),
        (_float, LONG, f"not a hexadecimal float: {LONG[:40]!r}"),
        (_float, "0x1p99999", "a claimed number is beyond float64's range: '0x1p99999'"),
        (_ball, ["0x1p0"], "a ball is not [midpoint, radius]"),
        (_ball, ["0x1p0", "0x0p0", "0x0p0"], "a ball is not [midpoint, radius]"),
        (_ball, ("0x1p0", "0x0p0"), "a ball is not [midpoint, radius]"),
        (_ball, ["0x1p0", "-0x1p-10"], "a ball has a negative radius"),
    ],
)
def test_what_is_not_a_number_or_a_ball_is_malformed_in_those_words(reader, text, message):
    with pytest.raises(Malformed) as err:
        reader(text)
    assert str(err.value) == message


def test_a_ball_is_its_midpoint_plus_minus_its_radius():
    b = _ball(["-0x1p0", "0x1p-10"])
    assert b.mid() == -1 and b.rad() >= 2.0**-10
    assert b.lower() <= -1 - 2.0**-10 and b.upper() >= -1 + 2.0**-10
    assert _float("-0x1p-1074") == -(2.0**-1074) and _float("0x1.fffffffffffffp1023") > 1e308


def test_a_number_out_of_range_in_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    from pathlib import Path

    doc = json.loads((Path(__file__).parent / "data" / "certificate_relu.json").read_text())
    doc["sigma_w2"] = "0x1p99999"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(doc))
    assert main(str(path)) == MALFORMED
    err = capsys.readouterr().err
    assert err == (
        f"error: {path} is not a valid certificate: a claimed number is beyond float64's "
        "range: '0x1p99999'\n"
    )


def _packed(values, **extra) -> dict:
    import base64
    import zlib

    import numpy as np

    raw = np.asarray(values, dtype="<f8").tobytes()
    text = base64.b64encode(zlib.compress(raw)).decode()
    return {"float64_zlib_base64": text, "shape": list(np.shape(values)), **extra}


def test_arrays_are_read_whole_or_refused_in_those_words():
    import numpy as np

    from verify.recheck import _array

    good = _packed([[1.0, -2.0], [3.0, 4.5]])
    assert np.array_equal(_array(good), [[1.0, -2.0], [3.0, 4.5]])
    tri = _packed([0.5, -0.25, 0.125], upper_triangle=True)
    tri["shape"] = [3, 3]
    assert np.array_equal(_array(tri), [[0, 0.5, -0.25], [0.5, 0, 0.125], [-0.25, 0.125, 0]])
    junk = dict(
        good,
        float64_zlib_base64=good["float64_zlib_base64"][:8] + "!" + good["float64_zlib_base64"][8:],
    )  # a character outside base64: refused, not skipped
    cases = [
        (junk, "an array is not float64, zlib, base64"),
        (_packed([1.0, float("nan")]), "an array holds a non-finite number"),
        (dict(tri, shape=[3, 4]), "an upper triangle has the wrong length"),
        (dict(tri, shape=[4, 4]), "an upper triangle has the wrong length"),
        (dict(good, shape=[5]), "an array has the wrong shape"),
    ]
    for obj, message in cases:
        with pytest.raises(Malformed) as err:
            _array(obj)
        assert str(err.value) == message
    with pytest.raises(Malformed) as err:
        _array(good, n=3)
    assert str(err.value) == "an array has the wrong shape"


def test_the_tail_rules_of_sin_and_log():
    """On [16, ∞): sin and cos range over [-1, 1] and no less; log x lies in [log 16, ∞) with the
    growth type c·x (p = 1, β = 0) of the rule c = |log lo| + |log a| + p + |β| of x."""
    import sympy as sp

    from verify.recheck import X, _tail

    for f in (sp.sin, sp.cos):
        t = _tail(f(X), arb(16))
        assert (t.lo, t.hi, t.p, t.beta) == (arb(-1), arb(1), 0, arb(0)) and t.a == 1
    t = _tail(sp.log(X), arb(16))
    assert (t.p, t.beta) == (1, arb(0)) and not t.hi.is_finite()
    assert 0 <= math.log(16) - float(t.lo.lower()) < 1e-14  # log 16, rounded down
    assert 0 <= float(t.a) - (math.log(16) + 1) < 1e-14  # |log 16| + |log 1| + p 1 + |β| 0


def test_bounded_increasing_functions_of_an_unbounded_argument_keep_their_own_range():
    """x·sin(x) ranges over all of R on [16, ∞): tanh, erf and atan of it range over exactly
    their own (-1, 1), (-1, 1), (-π/2, π/2), the closed bounds the tail rule uses."""
    import sympy as sp

    from verify.recheck import X, _tail

    inner = _tail(X * sp.sin(X), arb(16))
    assert not inner.lo.is_finite() and not inner.hi.is_finite()
    for f in (sp.tanh, sp.erf):
        t = _tail(f(X * sp.sin(X)), arb(16))
        assert (t.lo, t.hi) == (arb(-1), arb(1)), f
    t = _tail(sp.atan(X * sp.sin(X)), arb(16))
    half_pi = math.pi / 2
    assert abs(float(t.lo) + half_pi) < 1e-14 and abs(float(t.hi) - half_pi) < 1e-14
    assert float(t.lo.lower()) <= -half_pi and float(t.hi.upper()) >= half_pi


def test_pairs_are_read_as_stored_and_the_symmetric_matrix_built_from_them():
    """_pairs: an n×n field stored as its upper triangle comes back as the entries i < j row by
    row; anything else (a full matrix, another n) is refused. _symmetric puts them back above
    and below a constant diagonal, _upper reads them off again: the same order both ways,
    checked against numpy's triu_indices on n = 1, 2, 5, 6; _row_sums gives each row's sum off
    the diagonal without building the matrix."""
    import numpy as np

    from verify.recheck import _pairs, _row_sums, _symmetric, _upper

    for n in (1, 2, 5, 6):
        vals = np.arange(1, n * (n - 1) // 2 + 1, dtype=float) / 8
        tri = _packed(vals, upper_triangle=True)
        tri["shape"] = [n, n]
        assert np.array_equal(_pairs(tri, n), vals)
        full = _symmetric(vals, n, -0.5)
        want = np.full((n, n), -0.5)
        want[np.triu_indices(n, 1)] = vals
        want[np.tril_indices(n, -1)] = want.T[np.tril_indices(n, -1)]
        assert np.array_equal(full, want), n
        assert np.array_equal(_upper(full), vals), n
        sums = _row_sums(vals, n)  # dyadic values: the float sums are exact
        assert np.array_equal(sums, full.sum(axis=1) + 0.5), n  # the diagonal -1/2 left out
    tri = _packed([0.5, -0.25, 0.125], upper_triangle=True)
    tri["shape"] = [3, 3]
    square = _packed(np.eye(3))
    for obj, n in ((tri, 4), (square, 3)):
        with pytest.raises(Malformed) as err:
            _pairs(obj, n)
        assert str(err.value) == "the correlations are not an n×n upper triangle"


@pytest.mark.parametrize(
    "rho, rad, message",
    [
        ([0.5, -0.25, 1.0 + 2.0**-52], [0.0] * 3, "a correlation outside [-1, 1]"),
        ([0.5, -1.0 - 2.0**-52, 0.0], [0.0] * 3, "a correlation outside [-1, 1]"),
        ([0.5, -0.25, 0.125], [0.0, -(2.0**-1074), 0.0], "a correlation has a negative radius"),
    ],
)
def test_correlations_outside_their_range_are_a_malformed_file(rho, rad, message):
    """entries() refuses a ρ̃ an ulp outside [-1, 1] and a negative radius before any
    arithmetic, on either route; ±1 itself and a zero radius are read."""
    from types import SimpleNamespace

    import numpy as np

    from verify.recheck import entries

    def field(v):
        obj = _packed(np.asarray(v, dtype=float), upper_triangle=True)
        obj["shape"] = [3, 3]
        return obj

    run = SimpleNamespace(n=3, family=None, unit=lambda: (np.eye(3), 0.0))
    for route in ("dual", "series"):
        c = {"rho": field(rho), "rho_radius": field(rad), "route": route}
        with pytest.raises(Malformed) as err:
            entries(run, c, arb(1), arb(0.5), arb(0.5), None)
        assert str(err.value) == message
    c = {"rho": field([1.0, -1.0, 0.0]), "rho_radius": field([0.0] * 3), "route": "dual"}
    result, *_ = entries(run, c, arb(1), arb(0.5), arb(0.5), None)  # read: no family, no dual
    assert result.detail == "φ is not the family the file names"


def _head(**changes) -> dict:
    """The smallest file the checker's Run reads: tanh, n = 1, d = 2, no claims."""
    doc = {
        "format": "deq-verify certificate",
        "version": 1,
        "activation": {"spec": "tanh"},
        "precision_bits": 128,
        "sigma_w2": (0.0625).hex(),
        "inputs": {"n": 1, "d": 2, "x": _packed([[0.6, 0.8]])},
        "claims": {},
    }
    doc.update(changes)
    return doc


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"version": 2}, "not a deq-verify certificate, version 1"),
        ({"version": "1"}, "not a deq-verify certificate, version 1"),
        ({"format": "deq-verify"}, "not a deq-verify certificate, version 1"),
        ({"precision_bits": 52}, "precision_bits outside [53, 1024]"),
        ({"precision_bits": 1025}, "precision_bits outside [53, 1024]"),
        ({"activation": {"spec": "tanh", "breakpoints": ["1/("]}}, "unreadable breakpoints"),
        ({"activation": {"spec": "tanh", "breakpoints": ["y + 1"]}}, "unreadable breakpoints"),
        ({"activation": {"spec": "tanh", "breakpoints": ["x/2"]}}, "a breakpoint is not a number"),
        (
            {"inputs": {"n": 1, "d": 3, "x": _packed([[0.6, 0.8]])}},
            "the inputs' shape is not (n, d)",
        ),
        (
            {"inputs": {"n": 0, "d": 2, "x": _packed(np.zeros((0, 2)))}},
            "the inputs' shape is not (n, d)",
        ),
    ],
)
def test_the_header_is_checked_before_anything_else(changes, message):
    """The format and version must both be right (either wrong is refused), and
    precision_bits must lie in [53, 1024], both ends included (read below); breakpoints must
    parse, and the inputs must be n×d with n ≥ 1."""
    from verify.recheck import Run

    with pytest.raises(Malformed) as err:
        Run(_head(**changes))
    assert str(err.value) == message


@pytest.mark.parametrize("bits", [53, 1024])
def test_the_ends_of_the_precision_range_are_read(bits):
    """A file at 53 or 1024 bits is read, and recheck works at that precision for the call."""
    from verify.recheck import Run, recheck

    before = ctx.prec
    try:
        run = Run(_head(precision_bits=bits))
        assert run.prec == bits and ctx.prec == bits
    finally:
        ctx.prec = before
    assert recheck(_head(precision_bits=bits)) == [] and ctx.prec == before


def test_the_unit_rows_and_their_dot_products_error_bound():
    """Run.unit: the inputs scaled to unit rows (3-4-5 rows, exact in float64) and their dot
    products, with the bound 4γ_{d+3} = 4(d+3)u/(1 - (d+3)u) rounded up to a float."""
    from fractions import Fraction

    from verify.recheck import Run

    before = ctx.prec
    try:
        run = Run(_head(inputs={"n": 2, "d": 2, "x": _packed([[3.0, 4.0], [0.0, -2.0]])}))
    finally:
        ctx.prec = before
    s, err = run.unit()
    assert np.array_equal(s, [[1.0, -0.8], [-0.8, 1.0]])
    u = Fraction(1, 2**53)
    want = 4 * 5 * u / (1 - 5 * u)
    assert want <= Fraction(err) <= want * (1 + 2 * u)  # the float at or above, an ulp at most
