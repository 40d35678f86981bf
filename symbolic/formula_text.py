"""A sympy expression in one real variable, written as the formula text the parser reads back.

The Python API takes sympy expressions as activations. Rather than trust an arbitrary sympy tree,
it is accepted only in the formula vocabulary (:data:`symbolic.functions.FORMULA_NAMES`): the
tree is walked and every node must be the variable, a real number, ``pi`` or ``E``, a sum, a
product, a power, or a call of a whitelisted function (by its exact sympy class). The expression
is then printed as formula text, the text goes through the same parser as the command line's,
and the parsed expression must equal the given one node for node. The result is a formula the
command line would run identically (``python -m verify activation "<text>"``).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

from symbolic.errors import FormulaError
from symbolic.formula import X, parse_formula
from symbolic.functions import TABLE

#: The sympy classes a formula may call: the rows of the function table that have a spelling.
HEADS: frozenset[type] = frozenset(f.head for f in TABLE if f.names)
_SPELLING = ", ".join(sorted(f.names[0] for f in TABLE if f.names))
#: Constants the parser knows by name.
CONSTANTS: frozenset[sp.Expr] = frozenset({sp.pi, sp.E})


def formula_text(expr: sp.Basic) -> str:
    """The formula text of ``expr``, a sympy expression in at most one free symbol, read as the
    real variable x.

    Accepted: one free symbol with no assumptions beyond real (positivity or integrality would
    let sympy rewrite the expression for that case only); numbers that are integers, rationals
    or float64 values (a Float is read as its shortest float64 decimal, as the parser reads a
    literal); ``pi``, ``E``; ``+ * **``; the vocabulary's functions. Anything else raises
    :class:`FormulaError` with one line naming the part, as does text the parser refuses
    (length, constants, exponents)."""
    if not isinstance(expr, sp.Expr):
        raise FormulaError(f"not an expression in one variable: {_short(expr)}")
    e = _as_x(expr)
    _walk(e)
    text = _Printer().doprint(e)
    back = parse_formula(text)
    if back != _floats_as_parsed(e):
        raise FormulaError(f"{_short(expr)} cannot be written exactly as a formula; give the text")
    return text


def _as_x(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its free symbol replaced by the real x; refuses several symbols or a symbol
    with assumptions beyond real."""
    symbols = sorted(expr.free_symbols, key=str)
    if len(symbols) > 1:
        names = ", ".join(map(str, symbols))
        raise FormulaError(
            f"{_short(expr)} has {len(symbols)} free symbols ({names}); an activation is a "
            "function of one real variable"
        )
    if not symbols:
        return expr
    (sym,) = symbols
    if not isinstance(sym, sp.Symbol) or sym.assumptions0 not in _PLAIN:
        raise FormulaError(
            f"the symbol {sym} carries assumptions beyond real ({_assumed(sym)}); declare it "
            f"sp.Symbol('{sym}', real=True) so that φ is read on the whole line"
        )
    return expr.xreplace({sym: X})


#: The assumptions of a symbol read as x: none, or exactly those of a real symbol.
_PLAIN = (sp.Symbol("t").assumptions0, X.assumptions0)


def _assumed(sym: sp.Basic) -> str:
    extra = {k for k, v in getattr(sym, "assumptions0", {}).items() if v} - set(X.assumptions0)
    return ", ".join(sorted(extra)) or type(sym).__name__


def _walk(e: sp.Expr) -> None:
    """Refuse the first node outside the formula vocabulary (iteratively: no recursion limit)."""
    stack = [e]
    while stack:
        node = stack.pop()
        why = _refusal(node)
        if why:
            raise FormulaError(why)
        if not node.is_Atom:
            stack.extend(node.args)


def _refusal(node: sp.Basic) -> str | None:
    """Why ``node`` is outside the vocabulary, or None (its arguments are checked separately)."""
    if node == X:
        return None
    if node.is_Number:
        return _number_refusal(node)
    if node in CONSTANTS:
        return None
    if node.is_NumberSymbol:
        return f"the constant {node} is not in the formula vocabulary (pi and E are)"
    if node == sp.I:
        return "the imaginary unit I is not allowed: an activation is real"
    if node.is_Symbol:
        return f"the symbol {node} is bound inside the expression; use plain functions of x"
    if type(node) in (sp.Add, sp.Mul, sp.Pow) or type(node) in HEADS:
        return None
    return (
        f"{type(node).__name__} in {_short(node)} is not in the formula vocabulary "
        f"(+ - * / **, pi, E and {_SPELLING})"
    )


def _number_refusal(node: sp.Number) -> str | None:
    if not node.is_finite or not node.is_real:
        return f"the value {node} is not a finite real number"
    if isinstance(node, sp.Float) and sp.Float(float(node)) != node:
        return (
            f"the number {node} has more digits than float64; give it as a sympy Rational or "
            "a decimal of at most 17 digits"
        )
    return None


def _floats_as_parsed(e: sp.Expr) -> sp.Expr:
    """``e`` with each Float replaced by the rational the parser makes of its printed literal."""
    floats = {f: sp.Rational(repr(float(f))) for f in e.atoms(sp.Float)}
    return e.xreplace(floats) if floats else e


class _Printer(StrPrinter):
    """sympy's text printer, with Floats as their shortest float64 decimal and Heaviside with
    its value at 0 always written (sympy leaves a default ½ out; the parser's default is 1)."""

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"Heaviside({', '.join(self._print(a) for a in expr.args)})"


def _short(expr: object) -> str:
    text = str(expr)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["CONSTANTS", "HEADS", "formula_text"]
