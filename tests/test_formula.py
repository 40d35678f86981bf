import builtins

import pytest
import sympy as sp

from symbolic import FormulaError, VerifyError, parse_formula, resolve
from symbolic.formula import X
from symbolic.functions import TABLE

GOOD = {
    "x*exp(-x**2/2)": X * sp.exp(-(X**2) / 2),
    "sin(x)+x/2": sp.sin(X) + X / 2,
    "x**3": X**3,
    "abs(x)": sp.Abs(X),
    "-x + 0.5": -X + sp.Rational(1, 2),
    "Max(0, x) - relu(x)": sp.Integer(0),
    "E**x * pi": sp.pi * sp.exp(X),
    "2**x": 2**X,
}


@pytest.mark.parametrize("text", list(GOOD), ids=list(GOOD))
def test_formulas_parse_to_the_expected_expression(text):
    assert sp.simplify(parse_formula(text) - GOOD[text]) == 0


HOSTILE = {
    "__import__('os').system('touch /tmp/pwned')": "__import__",
    "x.__class__": "Attribute",
    "(lambda: 1)()": "only plain function names may be called",
    "[x][0]": "Subscript is not allowed",
    "'x'": "real numbers",
    "y + 1": "unknown name",
    "open('f')": "unknown function",
    "sin(x, 2)": "takes 1",
    "9**9**9": "exponent",
    "x**100": "exponent",
    "x**x": "positive constant base",
    "10**10**2": "exponent too large (|exponent| <= 16)",
    "sin(x=1)": "keyword",
    "x if x else 1": "IfExp",
    "x; import os": "not a formula",
    "1e300*x": "out of range",
    "x" * 500: "characters",
    "sin(" * 60 + "x" + ")" * 60: "nested deeper",
}


@pytest.mark.parametrize("text", list(HOSTILE), ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_formulas_are_rejected_without_executing_anything(text, monkeypatch, tmp_path):
    called = []
    for name in ("eval", "exec"):
        monkeypatch.setattr(builtins, name, lambda *a, _n=name, **k: called.append(_n))
    with pytest.raises(FormulaError) as info:
        parse_formula(text.replace("/tmp/pwned", str(tmp_path / "pwned")))
    monkeypatch.undo()
    assert called == []
    assert not (tmp_path / "pwned").exists()
    message = str(info.value)
    assert "\n" not in message and HOSTILE[text] in message


def test_sympify_and_eval_are_never_called_on_user_text(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("sympify/parse_expr called")

    monkeypatch.setattr(sp, "sympify", boom)
    monkeypatch.setattr(sp.parsing.sympy_parser, "parse_expr", boom)
    assert parse_formula("sin(x)*exp(-x)") == sp.sin(X) * sp.exp(-X)


def test_unknown_name_suggests_registry_names():
    with pytest.raises(VerifyError, match="did you mean tanh"):
        resolve("tanhh")


def test_formula_not_real_on_the_line_is_rejected():
    with pytest.raises(FormulaError, match="not real"):
        resolve("log(x)")
    with pytest.raises(FormulaError, match="not real"):
        resolve("sqrt(x)")


def _samples(row):
    lo, hi = row.domain
    return [lo + (hi - lo) * t for t in (0.05, 0.3, 0.5, 0.71, 0.97)] + [0.0] * (lo < 0 < hi)


@pytest.mark.parametrize("row", TABLE, ids=[r.head.__name__ for r in TABLE])
def test_every_function_agrees_with_sympy_in_every_backend(row):
    """torch (float64) and mpmath (30 digits) against sympy's own 30-digit value of the node."""
    import mpmath
    import torch

    arity = row.arities[0]
    for i, t in enumerate(_samples(row)):
        args = [sp.Rational(repr(t))] + [
            sp.Rational(repr(t * 0.5 - 0.3 * j)) for j in range(1, arity)
        ]
        with sp.evaluate(False):  # keep the node, e.g. Heaviside(0, 1), to read its arguments
            node = row.build(*args)
        want = sp.N(node.doit(), 30)
        if isinstance(node, row.head):  # evaluate the node's own arguments (Heaviside(a, 1))
            args = list(node.args)
        floats = [float(a) for a in args]
        got_torch = float(row.torch(*(torch.tensor(f, dtype=torch.float64) for f in floats)))
        assert got_torch == pytest.approx(float(want), rel=1e-14, abs=1e-15), (i, args)
        with mpmath.workdps(30):
            got_mp = row.mpmath(*(mpmath.mpf(sp.N(a, 35)) for a in args))
            assert abs(got_mp - mpmath.mpf(str(want))) < 1e-27 * max(1, abs(float(want)))


def test_derived_lists_follow_the_table():
    from symbolic.families import HERMITE_FAMILIES
    from symbolic.formula import FUNCTIONS
    from symbolic.functions import COMPOSITES, FAMILY_HEADS, MPMATH, NONSMOOTH, TORCH

    names = {n for row in TABLE for n in row.names} | set(COMPOSITES)
    assert set(FUNCTIONS) == names
    assert set(TORCH) == set(MPMATH) == {row.head for row in TABLE}
    assert set(NONSMOOTH) == {sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min}
    assert set(FAMILY_HEADS) <= set(HERMITE_FAMILIES)
    for name in names:  # every spelling parses and evaluates
        call = f"{name}(x)" if 1 in FUNCTIONS[name][1] else f"{name}(x, x/2)"
        resolve(call if name not in ("log", "sqrt") else f"{name}(1 + x**2)")
