"""Piecewise-smooth structure of an activation: breakpoints and the smooth piece between them.

An expression built from smooth functions and the non-smooth atoms ``Abs, sign, Heaviside,
Max, Min`` is smooth between the real zeros of the atoms' switching functions (``g`` for
``Abs(g)``, ``a - b`` for ``Max(a, b)``). Between two consecutive zeros every atom takes one
branch, so the piece is a smooth expression; that is what the proofs and quadratures work on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.functions import NONSMOOTH
from symbolic.timelimit import run_with_limit

#: Seconds for sympy to find the zeros of one switching function.
ZEROS_LIMIT = 10.0

#: Where a switching function has infinitely many zeros (sin x), only those within this |x|
#: become breakpoints: the pieces then serve numerics (the Gaussian weight e^{-x²/2q} is far below
#: float64 there), never proofs (``kinks_finite`` is False).
BREAKPOINT_RANGE = 200.0


@dataclass(frozen=True)
class Piece:
    """The smooth expression ``expr`` that equals φ on the open interval (lo, hi)."""

    lo: sp.Expr
    hi: sp.Expr
    expr: sp.Expr


def is_smooth(expr: sp.Expr) -> bool:
    """True when ``expr`` contains none of the non-smooth atoms."""
    return not expr.has(*NONSMOOTH)


def _switching_functions(expr: sp.Expr) -> list[sp.Expr]:
    out: list[sp.Expr] = []
    for atom in expr.atoms(*NONSMOOTH):
        args = atom.args[:1] if isinstance(atom, sp.Heaviside) else atom.args
        if isinstance(atom, (sp.Max, sp.Min)):
            out.extend(a - b for a, b in itertools.combinations(args, 2))
        else:
            out.append(args[0])
    return [g for g in out if g.has(X)]


def breakpoints(expr: sp.Expr) -> list[sp.Expr]:
    """Sorted real zeros of the switching functions, exact, wherever they are (a kink at
    x = 300 is as much a kink as one at 0). A switching function with infinitely many zeros
    contributes those within ±BREAKPOINT_RANGE (see there).

    Raises :class:`VerifyError` if a zero set cannot be found in closed form in time.
    """
    points: set[sp.Expr] = set()
    window = sp.Interval(-BREAKPOINT_RANGE, BREAKPOINT_RANGE)
    for g in _switching_functions(expr):
        zeros = run_with_limit(
            lambda g=g: sp.solveset(sp.Eq(g, 0), X, domain=sp.S.Reals), ZEROS_LIMIT, f"zeros of {g}"
        )
        if not isinstance(zeros, (sp.FiniteSet, sp.EmptySet.__class__)):
            zeros = run_with_limit(
                lambda g=g: sp.solveset(sp.Eq(g, 0), X, domain=window),
                ZEROS_LIMIT,
                f"zeros of {g}",
            )
        if zeros is sp.S.EmptySet:
            continue
        if not isinstance(zeros, sp.FiniteSet):
            raise VerifyError(f"cannot locate the kinks of the activation: zeros of {g} = {zeros}")
        points.update(sp.nsimplify(z) if z.is_Float else z for z in zeros)
    return sorted(points, key=lambda p: float(p))


def kinks_finite(expr: sp.Expr) -> bool:
    """True when every switching function has finitely many real zeros (proved by solveset over
    the reals). Otherwise the pieces (built in ±BREAKPOINT_RANGE) serve numerics, not proofs."""
    for g in _switching_functions(expr):
        try:
            zeros = run_with_limit(
                lambda g=g: sp.solveset(sp.Eq(g, 0), X, domain=sp.S.Reals),
                ZEROS_LIMIT,
                f"zeros of {g}",
            )
        except SymbolicTimeout:
            return False
        if not (zeros is sp.S.EmptySet or isinstance(zeros, sp.FiniteSet)):
            return False
    return True


def smooth_pieces(expr: sp.Expr) -> list[Piece]:
    """φ as smooth pieces on the intervals between its breakpoints (one piece when smooth)."""
    if is_smooth(expr):
        return [Piece(-sp.oo, sp.oo, expr)]
    cuts = [-sp.oo, *breakpoints(expr), sp.oo]
    return [Piece(lo, hi, _branch(expr, _inside(lo, hi))) for lo, hi in itertools.pairwise(cuts)]


def _inside(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return hi - 1
    if hi == sp.oo:
        return lo + 1
    return (lo + hi) / 2


def _branch(expr: sp.Expr, t: sp.Expr) -> sp.Expr:
    """Replace every non-smooth atom by the branch it takes at the interior point ``t``."""

    def sign_at(g: sp.Expr) -> int:
        v = float(sp.N(g.subs(X, t), 30))
        return (v > 0) - (v < 0)

    def rebuild(e: sp.Expr) -> sp.Expr:
        if not e.args:
            return e
        e = e.func(*[rebuild(a) for a in e.args])
        if isinstance(e, sp.Abs):
            return sign_at(e.args[0]) * e.args[0]
        if isinstance(e, sp.sign):
            return sp.Integer(sign_at(e.args[0]))
        if isinstance(e, sp.Heaviside):
            return sp.Integer(1 if sign_at(e.args[0]) > 0 else 0)
        if isinstance(e, (sp.Max, sp.Min)):
            values = [float(sp.N(a.subs(X, t), 30)) for a in e.args]
            pick = max if isinstance(e, sp.Max) else min
            return e.args[values.index(pick(values))]
        return e

    return rebuild(expr)


__all__ = ["Piece", "breakpoints", "is_smooth", "kinks_finite", "smooth_pieces"]
