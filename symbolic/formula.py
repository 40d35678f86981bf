"""Parse a user's activation formula into a sympy expression in ``x`` without evaluating it.

The text goes through Python's :mod:`ast` and a whitelist: numbers, ``x``, the constants ``pi``
and ``E``, ``+ - * / **``, unary signs, and calls of the functions in :data:`FUNCTIONS`. The
sympy tree is built node by node; nothing is handed to ``eval``, ``sympify`` or ``parse_expr``,
all of which execute Python. Anything else is rejected with a one-line :class:`FormulaError`
that names the offending part.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import sympy as sp

from symbolic.errors import FormulaError
from symbolic.functions import FORMULA_NAMES

#: The variable of every activation: a real symbol.
X = sp.Symbol("x", real=True)

MAX_LENGTH = 400  #: characters in a formula
MAX_DEPTH = 40  #: nesting depth of the expression tree
MAX_EXPONENT = 16  #: largest |constant exponent| in ``**``
MAX_CONSTANT = 10**6  #: largest |number literal|
MAX_CONSTANT_RESULT = sp.Integer(10) ** 60  #: largest |constant| a subexpression may reach


#: Whitelisted functions: name -> (builder, allowed numbers of arguments), from the one table.
FUNCTIONS = FORMULA_NAMES

_CONSTANTS: dict[str, sp.Expr] = {"x": X, "pi": sp.pi, "E": sp.E}

_BINARY: dict[type, Callable[[sp.Expr, sp.Expr], sp.Expr]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


def parse_formula(text: str) -> sp.Expr:
    """Return the sympy expression of ``text``, a formula in ``x``; raise :class:`FormulaError`.

    >>> parse_formula("x*exp(-x**2/2)")
    x*exp(-x**2/2)
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"not a formula: {exc.msg} at column {exc.offset}") from None
    return _Builder(text.strip()).build(tree.body, 0)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source

    def _part(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.source, node) or type(node).__name__
        return seg if len(seg) <= 60 else seg[:57] + "..."

    def _reject(self, node: ast.AST, why: str) -> FormulaError:
        return FormulaError(f"{why}: '{self._part(node)}'")

    def build(self, node: ast.AST, depth: int) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise self._reject(node, f"formula nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            if node.id not in _CONSTANTS:
                raise self._reject(node, "unknown name (only x, pi and E)")
            return _CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise self._reject(node, f"{type(node).__name__} is not allowed in a formula")

    def _number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._reject(node, "only real numbers are allowed as constants")
        if abs(value) > MAX_CONSTANT or value != value:
            raise self._reject(node, f"number out of range (|c| <= {MAX_CONSTANT})")
        return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))

    def _binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            return self._power(node, left, right)
        op = _BINARY.get(type(node.op))
        if op is None:
            raise self._reject(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node.op, ast.Div) and right == 0:
            raise self._reject(node, "division by zero")
        return self._checked(node, op(left, right))

    def _power(self, node: ast.BinOp, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_number:
            if abs(exponent) > MAX_EXPONENT:
                raise self._reject(node, f"exponent too large (|exponent| <= {MAX_EXPONENT})")
        elif not (base.is_number and base.is_positive):
            raise self._reject(node, "a variable exponent needs a positive constant base")
        if base == 0 and exponent.is_number and exponent.is_nonpositive:
            raise self._reject(node, "zero to a non-positive power")
        return self._checked(node, base**exponent)

    def _checked(self, node: ast.AST, expr: sp.Expr) -> sp.Expr:
        if expr.is_number and expr.is_finite is not False:
            if expr.is_real and abs(expr) > MAX_CONSTANT_RESULT:
                raise self._reject(node, "constant too large")
        if expr.has(sp.zoo, sp.nan, sp.oo):
            raise self._reject(node, "undefined value")
        return expr

    def _call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self._reject(node.func, "only plain function names may be called")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self._reject(node.func, "unknown function")
        if node.keywords:
            raise self._reject(node, "keyword arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self._reject(node, "starred arguments are not allowed")
        builder, arities = FUNCTIONS[name]
        if len(node.args) not in arities:
            want = " or ".join(str(a) for a in arities)
            raise self._reject(node, f"{name} takes {want} argument(s), got {len(node.args)}")
        args = [self.build(a, depth + 1) for a in node.args]
        return self._checked(node, builder(*args))
