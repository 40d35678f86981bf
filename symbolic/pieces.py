"""Piecewise-smooth structure of an activation: the smooth piece of φ between consecutive
candidate singular points (:mod:`symbolic.singular`).

Between two consecutive points every non-smooth atom (``Abs, sign, Heaviside, Max, Min``) takes
one branch, so the piece is a smooth expression: that is what the proofs and quadratures work
on. Poles, branch points and logarithmic points are breakpoints too, so no piece contains one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from symbolic.errors import VerifyError
from symbolic.formula import X
from symbolic.functions import NONSMOOTH
from symbolic.singular import WINDOW, SingularSet, singular_set

#: Kept for callers that name the window of infinitely many breakpoints.
BREAKPOINT_RANGE = WINDOW


@dataclass(frozen=True)
class Piece:
    """The smooth expression ``expr`` that equals φ on the open interval (lo, hi)."""

    lo: sp.Expr
    hi: sp.Expr
    expr: sp.Expr


class Undetermined(VerifyError):
    """The non-smooth points of φ could not be located: what depends on them is undecided."""


def is_smooth(expr: sp.Expr) -> bool:
    """True when ``expr`` contains none of the non-smooth atoms (poles and branch points are
    found by :func:`symbolic.singular.singular_set`, not here)."""
    return not expr.has(*NONSMOOTH)


def breakpoints(expr: sp.Expr) -> list[sp.Expr]:
    """Sorted candidate singular points of φ, exact (or certified roots), wherever they are (a
    kink at x = 300 is as much a kink as one at 0); infinitely many contribute those within
    ±WINDOW. Raises :class:`Undetermined` when a zero set could not be found."""
    return list(_determined(singular_set(expr)).points)


def kinks_finite(expr: sp.Expr) -> bool:
    """True when φ has finitely many candidate singular points, all located (proved)."""
    return singular_set(expr).proves_whole_line


def _determined(s: SingularSet) -> SingularSet:
    if not s.complete:
        raise Undetermined(f"cannot locate the non-smooth points of φ: {s.why}")
    return s


def smooth_pieces(expr: sp.Expr, singular: SingularSet | None = None) -> list[Piece]:
    """φ as smooth pieces on the intervals between its candidate singular points (one piece
    when there are none). Raises :class:`Undetermined` when they could not be located."""
    s = _determined(singular if singular is not None else singular_set(expr))
    if not s.points:
        return [Piece(-sp.oo, sp.oo, expr)]
    cuts = [-sp.oo, *s.points, sp.oo]
    return [Piece(lo, hi, _branch(expr, _inside(lo, hi))) for lo, hi in itertools.pairwise(cuts)]


def _inside(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return sp.floor(hi) - 1 if hi.is_Rational else hi - 1
    if hi == sp.oo:
        return sp.floor(lo) + 1 if lo.is_Rational else lo + 1
    return (lo + hi) / 2


def _branch(expr: sp.Expr, t: sp.Expr) -> sp.Expr:
    """Replace every non-smooth atom by the branch it takes at the interior point ``t``."""

    def sign_at(g: sp.Expr) -> int:
        v = float(sp.N(g.subs(X, t), 30))
        return (v > 0) - (v < 0)

    def rebuild(e: sp.Expr) -> sp.Expr:
        if not e.args or not e.has(X):
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


__all__ = [
    "BREAKPOINT_RANGE",
    "Piece",
    "Undetermined",
    "breakpoints",
    "is_smooth",
    "kinks_finite",
    "smooth_pieces",
]
