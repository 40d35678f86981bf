"""Where φ may fail to be smooth, on the whole real line, found from the expression tree.

Each node of the tree is smooth except on a set given by a *switching function* g of its
argument (the node is smooth where g ≠ 0):

==========================  =========  ==========================================
node                        kind       φ may be non-smooth where
==========================  =========  ==========================================
``Abs(u)``, ``Max``/``Min``  kink       u = 0; a - b = 0 for each pair of arguments
``sign(u)``, ``Heaviside``   jump       u = 0
``u**(-k)``                  pole       u = 0
``u**(p/q)`` (not integer)   branch     u = 0 (a pole when p/q < 0)
``log(u)``                   log        u = 0
``tan(u)``                   pole       cos(u) = 0
``asin(u)``, ``acos(u)``     branch     u² - 1 = 0
==========================  =========  ==========================================

Every other function of the table (sin, exp, tanh, erf, atan, ...) is analytic on ℝ. The kind is
only where to look: what φ does at a point (a pole, a jump, a kink, nothing at all, as for
x·sin(1/x) at 0 or atan(tan x) where the poles of tan become jumps) is decided later from φ's
one-sided limits there, never from a simplified derivative.

The zeros of each g are found by sympy's ``solveset`` over the reals (exact), or, when it returns
no closed form, isolated with a proof by :func:`symbolic.roots.isolate_roots`. A zero set that
is infinite (tan, |sin x|) is kept as the zeros within ``±WINDOW`` for the numerics and marked
``finite = False``: a proof on pieces then covers no more than the window. A zero set that
neither route determines leaves the analysis ``complete = False``, naming the node.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from symbolic.errors import SymbolicTimeout
from symbolic.formula import X
from symbolic.roots import RootSearch, isolate_roots
from symbolic.timelimit import run_with_limit, seconds

#: Step times (symbolic.timelimit) for sympy to find the zeros of one switching function.
ZEROS_STEPS = 2.5

#: Where a switching function has infinitely many zeros (sin x), only those within this |x|
#: become breakpoints: the pieces then serve numerics (the Gaussian weight e^{-x²/2q} is far below
#: float64 there) and refutations at those points, never proofs about the whole line.
WINDOW = 200.0

#: Kinds whose node is continuous where its arguments are (so φ stays continuous there).
CONTINUOUS = frozenset({"kink"})


@dataclass(frozen=True)
class Switch:
    """φ may be non-smooth where ``g`` vanishes, because of the subexpression ``node``."""

    kind: str  # "kink", "jump", "pole", "branch" or "log"
    g: sp.Expr
    node: sp.Expr


@dataclass(frozen=True)
class SingularSet:
    """The points where φ may be non-smooth, sorted, exact (or certified RealRoot numbers).

    ``finite``: every zero set is finite, so ``points`` is all of them; ``complete``: every zero
    set was determined (``why`` names the node otherwise); ``kinds`` maps each point to the kinds
    of the switches that vanish there."""

    points: tuple[sp.Expr, ...]
    kinds: tuple[frozenset[str], ...]
    finite: bool
    complete: bool
    why: str = ""

    @property
    def proves_whole_line(self) -> bool:
        """The points are all the candidate singular points of φ on ℝ."""
        return self.finite and self.complete


def switches(expr: sp.Expr) -> list[Switch]:
    """The switching functions of every node of ``expr`` that depend on x (module table)."""
    out: list[Switch] = []
    for node in sp.preorder_traversal(expr):
        out.extend(s for s in _node_switches(node) if s.g.has(X))
    return out


def _node_switches(node: sp.Expr) -> list[Switch]:
    if isinstance(node, sp.Abs):
        return [Switch("kink", node.args[0], node)]
    if isinstance(node, (sp.Max, sp.Min)):
        return [Switch("kink", a - b, node) for a, b in itertools.combinations(node.args, 2)]
    if isinstance(node, (sp.sign, sp.Heaviside)):
        return [Switch("jump", node.args[0], node)]
    if isinstance(node, sp.Pow) and node.exp.is_number and not node.exp.is_integer:
        kind = "pole" if node.exp.is_negative else "branch"
        return [Switch(kind, node.base, node)]
    if isinstance(node, sp.Pow) and node.exp.is_number and node.exp.is_negative:
        return [Switch("pole", node.base, node)]
    if isinstance(node, sp.log):
        return [Switch("log", node.args[0], node)]
    if isinstance(node, sp.tan):
        return [Switch("pole", sp.cos(node.args[0]), node)]
    if isinstance(node, (sp.asin, sp.acos)):
        return [Switch("branch", node.args[0] ** 2 - 1, node)]
    return []


def singular_set(expr: sp.Expr, search: RootSearch | None = None) -> SingularSet:
    """All candidate non-smooth points of φ = ``expr`` (see the module docstring)."""
    points: dict[sp.Expr, set[str]] = {}
    finite, complete, why = True, True, []
    for s in switches(expr):
        zeros, is_finite, reason = _zeros(s.g, search)
        if reason:
            complete = False
            why.append(f"the zeros of {sp.sstr(s.g)} (from {sp.sstr(s.node)}): {reason}")
            continue
        finite &= is_finite
        for z in zeros:
            key = _same_point(points, z)
            points.setdefault(key, set()).add(s.kind)
    order = sorted(points, key=float)
    return SingularSet(
        tuple(order),
        tuple(frozenset(points[p]) for p in order),
        finite,
        complete,
        "; ".join(why),
    )


def _same_point(points: dict, z: sp.Expr) -> sp.Expr:
    """``z``, or an equal point already found (the same root from two switches)."""
    for p in points:
        if abs(float(p) - float(z)) < 1e-9 and _equal(p, z):
            return p
    return z


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    if a == b:
        return True
    try:
        return bool(abs(sp.N(a - b, 40)) < 1e-35)
    except (TypeError, ValueError):
        return False


def _zero_form(g: sp.Expr) -> sp.Expr:
    """A function with the same real zeros as g and fewer non-smooth atoms: |u| and u^p (p > 0)
    vanish exactly where u does."""
    while True:
        if isinstance(g, sp.Abs):
            g = g.args[0]
        elif isinstance(g, sp.Pow) and g.exp.is_number and g.exp.is_positive:
            g = g.base
        else:
            return g


def _zeros(g: sp.Expr, search: RootSearch | None) -> tuple[list[sp.Expr], bool, str]:
    """(zeros, finite?, why undetermined or ""). Infinite sets: the zeros within ±WINDOW."""
    g = _zero_form(g)
    try:
        zeros = run_with_limit(
            lambda: sp.solveset(sp.Eq(g, 0), X, domain=sp.S.Reals), seconds(ZEROS_STEPS), "zeros"
        )
    except (SymbolicTimeout, NotImplementedError, ValueError, TypeError):
        zeros = None
    if zeros is sp.S.EmptySet:
        return [], True, ""
    if isinstance(zeros, sp.FiniteSet) and all(_is_real_number(z) for z in zeros):
        return [sp.nsimplify(z) if z.is_Float else z for z in zeros], True, ""
    if zeros is not None and _infinite_family(zeros):
        window = sp.Interval(-WINDOW, WINDOW)
        try:
            near = run_with_limit(
                lambda: sp.solveset(sp.Eq(g, 0), X, domain=window), seconds(ZEROS_STEPS), "zeros"
            )
        except (SymbolicTimeout, NotImplementedError, ValueError, TypeError):
            near = None
        if isinstance(near, sp.FiniteSet) and all(_is_real_number(z) for z in near):
            return list(near), False, ""
    found = isolate_roots(g, search)
    if found.complete:
        return list(found.roots), True, ""
    return [], True, found.detail


def _is_real_number(z: sp.Expr) -> bool:
    return bool(z.is_number and z.is_real is not False and z.is_finite is not False)


def _infinite_family(zeros: sp.Set) -> bool:
    """An ImageSet over the integers, or a union of them (the zeros of sin, cos, ...)."""
    if isinstance(zeros, sp.Union):
        parts = zeros.args
        return all(isinstance(a, (sp.ImageSet, sp.FiniteSet)) or _infinite_family(a) for a in parts)
    return isinstance(zeros, sp.ImageSet)


__all__ = ["CONTINUOUS", "WINDOW", "SingularSet", "Switch", "singular_set", "switches"]
