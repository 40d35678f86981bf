"""Certified real roots of a function with no closed-form zeros (x = cos x, e^x = 2 + x, ...).

:func:`isolate_roots` proves where *all* real zeros of ``g`` lie:

* on a window ``[-R, R]``, best-first bisection in ball arithmetic (Arb): a box where the
  enclosure of g excludes 0 holds no root; a box where g' keeps one sign (g strictly monotone,
  or weakly monotone with g analytic and not constant) and g changes sign strictly between the
  ends holds exactly one; anything else is split, up to a budget;
* on the tails ``[R, ∞)`` and ``(-∞, -R]``, interval arithmetic over the unbounded interval
  (:mod:`symbolic.tail_intervals`) shows g keeps one sign; R doubles until it does.

Each root becomes a :class:`RealRoot`, a sympy number that carries ``g`` and an isolating
bracket with rational ends: ``sp.N`` refines it with mpmath inside the bracket, and
:func:`root_ball` refines it rigorously (interval Newton in Arb) to the working precision, so
every layer that takes a breakpoint (pieces, quadrature panels, ball integrals) can use it. A
root that is an exact simple number (0, 1/2, π/3 ...) is returned as that number instead.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

import mpmath
import sympy as sp
from flint import arb, ctx

from symbolic.balls import ball_function, prec_scope, real_interval
from symbolic.errors import SymbolicTimeout, VerifyError
from symbolic.formula import X
from symbolic.tail_intervals import INF, NEG_INF, Interval, evaluate
from symbolic.timelimit import run_with_limit, seconds

#: The bound variable of the function a :class:`RealRoot` carries (never the activation's x).
_T = sp.Symbol("t_root", real=True)


class RealRoot(sp.Expr):
    """The unique real zero of ``g`` in the open interval (lo, hi) (rational ends), proved by
    :func:`isolate_roots`. A real number: ``float``, ``sp.N`` and :func:`root_ball` evaluate it."""

    is_number = True
    is_real = True
    is_finite = True
    is_extended_real = True
    is_comparable = True

    def __new__(cls, g: sp.Expr, lo: sp.Rational, hi: sp.Rational):
        fn = g if isinstance(g, sp.Lambda) else sp.Lambda(_T, g.subs(X, _T))
        return sp.Expr.__new__(cls, fn, sp.Rational(lo), sp.Rational(hi))

    @property
    def function(self) -> sp.Expr:
        """g as an expression in the activation's x."""
        fn = self.args[0]
        return fn.expr.subs(fn.variables[0], X)

    @property
    def bracket(self) -> tuple[sp.Rational, sp.Rational]:
        return self.args[1], self.args[2]

    @property
    def free_symbols(self) -> set:
        return set()

    def _eval_evalf(self, prec: int) -> sp.Float:
        lo, hi = self.bracket
        with mpmath.workprec(prec + 20):
            f = _mp_function(self.function)
            a, b = mpmath.mpf(lo.p) / lo.q, mpmath.mpf(hi.p) / hi.q
            fa = f(a)
            for _ in range(prec + 40):  # bisection: the bracket holds exactly one sign change
                m = (a + b) / 2
                fm = f(m)
                if fm == 0:
                    a = b = m
                    break
                if (fm > 0) == (fa > 0):
                    a, fa = m, fm
                else:
                    b = m
            return sp.Float((a + b) / 2, mpmath.libmp.prec_to_dps(prec) + 2)

    #: balls.py evaluates a node with this flag through :meth:`ball` (no import cycle).
    is_certified_root = True

    def ball(self) -> arb:
        """A ball containing the root at the working precision (:func:`root_ball`)."""
        return root_ball(self)

    def __float__(self) -> float:
        return float(self._eval_evalf(60))

    def _sympystr(self, printer) -> str:
        return f"root of {printer.doprint(self.function)} near {sp.N(self, 12)}"

    def _hashable_content(self):
        return self.args


def _mp_function(g: sp.Expr):
    from symbolic.evaluate import mp_function  # evaluate imports formula only: no cycle

    return mp_function(g)


def root_ball(root: RealRoot) -> arb:
    """A ball containing the root, refined to the working precision by interval Newton on its
    bracket (X ← X ∩ (m - g(m)/g'(X))); the bracket itself when g' is not usable."""
    lo, hi = root.bracket
    box = real_interval(arb(_fmpq(lo)), arb(_fmpq(hi)))
    g = ball_function(root.function)
    dg = ball_function(sp.diff(root.function, X))
    target = arb(2) ** (-ctx.prec + 8)
    for _ in range(200):
        if box.rad() <= target * (1 + abs(box.mid())):
            break
        m = arb(box.mid())
        slope = dg(box, False)
        if slope.contains(0) or not slope.is_finite():
            box = _bisect(g, box)
            continue
        newton = m - g(m, False) / slope
        if not newton.overlaps(box):
            raise VerifyError(f"{root} has no root in its bracket (interval Newton)")
        lower = newton.lower().max(box.lower())
        upper = newton.upper().min(box.upper())
        new = real_interval(lower, upper)
        if not new.rad() < box.rad():
            box = _bisect(g, box)
        else:
            box = new
    return box


def _bisect(g, box: arb) -> arb:
    """One halving step of a bracket with a sign change of g (a proved root inside)."""
    a, b = box.lower(), box.upper()
    m = arb(box.mid())
    ga, gm = g(a, False), g(m, False)
    if gm.contains(0):
        return box  # no progress at this precision
    return real_interval(a, m) if _sign(ga) != _sign(gm) else real_interval(m, b)


def _fmpq(r: sp.Rational):
    from flint import fmpq, fmpz

    return fmpq(fmpz(int(r.p)), fmpz(int(r.q)))


def _sign(v: arb) -> int:
    return 1 if v > 0 else (-1 if v < 0 else 0)


@dataclass(frozen=True)
class RootSearch:
    """How :func:`isolate_roots` searches: first window half-width, the largest it may grow to,
    the boxes it may examine, and the working precision in bits."""

    window: float = 16.0
    max_window: float = 2.0**21
    max_boxes: int = 4000
    prec: int = 96


@dataclass(frozen=True)
class RootSet:
    """All real zeros of g, proved (``complete``), or why not: ``roots`` exact or RealRoot."""

    roots: tuple[sp.Expr, ...]
    complete: bool
    detail: str


def isolate_roots(g: sp.Expr, search: RootSearch | None = None) -> RootSet:
    """Every real zero of ``g`` (see the module docstring), or an incomplete set with the reason.

    ``g`` must be continuous on ℝ (a switching function of the formula): a box whose enclosure is
    not finite is split like any other, and the search gives up when its budget runs out."""
    search = search or RootSearch()
    with prec_scope(search.prec):
        try:
            radius = _tail_radius(g, search)
            if radius is None:
                return RootSet(
                    (), False, f"no proof that {g} keeps one sign beyond ±{search.max_window:g}"
                )
            return _window_roots(g, radius, search)
        except (VerifyError, ZeroDivisionError, ValueError, OverflowError, SymbolicTimeout) as exc:
            return RootSet((), False, f"root isolation of {g} failed: {exc}")


def _tail_radius(g: sp.Expr, search: RootSearch) -> float | None:
    """The smallest R = window·2^k with no zero of g on [R, ∞) nor on (-∞, -R] (proved)."""
    r = search.window
    forms, slopes = _forms(g), _forms(sp.diff(g, X))
    fn = ball_function(g)
    while r <= search.max_window:
        if _no_zero(forms, slopes, fn, r, +1) and _no_zero(forms, slopes, fn, r, -1):
            return r
        r *= 2
    return None


def _no_zero(forms, slopes, fn, r: float, side: int) -> bool:
    """No zero of g on the tail beyond side·r: its range there excludes 0, or g(side·r) ≠ 0 and g
    moves away from 0 all along (g' has the sign of side·g(side·r) on the tail)."""
    over = Interval(arb(r), INF) if side > 0 else Interval(NEG_INF, arb(-r))
    if _sign_on(forms, over) != 0:
        return True
    start = _sign(fn(arb(side * r), False))
    return start != 0 and _sign_on(slopes, over) == side * start


def _sign_on(forms: list[sp.Expr], over: Interval) -> int:
    """+1 or -1 when one of the forms is proved of that sign on ``over``, else 0. A product is
    signed factor by factor (exp(·) > 0 everywhere), so x·e^{-x²} > 0 on [R, ∞) although its
    interval there is [0, e^{-R²}R]."""
    for form in forms:
        factors = form.args if isinstance(form, sp.Mul) else (form,)
        sign = 1
        for f in factors:
            s = 1 if isinstance(f, sp.exp) else _interval_sign(f, over)
            sign *= s
            if sign == 0:
                break
        if sign:
            return sign
    return 0


def _interval_sign(expr: sp.Expr, over: Interval) -> int:
    try:
        r = evaluate(expr, over)
    except VerifyError:
        return 0
    return 1 if r.lo > 0 else (-1 if r.hi < 0 else 0)


def _forms(g: sp.Expr) -> list[sp.Expr]:
    out = [g]
    for f in (sp.factor, sp.expand, sp.together):
        try:
            h = f(g)
        except (ValueError, TypeError, NotImplementedError):  # sympy gave up on this form
            continue
        if h not in out:
            out.append(h)
    return out


def _window_roots(g: sp.Expr, radius: float, search: RootSearch) -> RootSet:
    fns = _derivatives(g)
    fn = fns[0]
    analytic = not g.has(sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)
    found: list[tuple[sp.Rational, sp.Rational]] = []
    count = itertools.count()
    lo, hi = sp.Rational(-radius), sp.Rational(radius)
    heap = [(0, next(count), lo, hi)]
    boxes = 0
    while heap:
        _, _, a, b = heapq.heappop(heap)
        boxes += 1
        if boxes > search.max_boxes:
            return RootSet((), False, f"root isolation of {g} ran out of boxes on [{lo}, {hi}]")
        verdict = _examine(fns, a, b, analytic)
        if verdict == "none":
            continue
        if verdict == "one":
            found.append((a, b))
            continue
        if b - a < 2 * radius * sp.Rational(1, 2**24):
            exact = _multiple_zero(g, a, b) if analytic else None
            if exact is None:
                return RootSet(
                    (), False, f"a zero of {g} near {sp.N((a + b) / 2, 8)} could not be isolated"
                )
            found.append((exact, exact))
            continue
        m = _split_point(fn, a, b)
        heapq.heappush(heap, (-(b - a), next(count), a, m))
        heapq.heappush(heap, (-(b - a), next(count), m, b))
    roots = tuple(a if a == b else _exact_or_root(g, a, b) for a, b in sorted(found))
    return RootSet(
        roots,
        True,
        f"all real zeros of {g}: isolated in [-{radius:g}, {radius:g}], "
        "one sign beyond (interval arithmetic)",
    )


def _signed(forms) -> int:
    """+1 / -1 when some enclosure in ``forms`` is finite and of one sign, else 0."""
    for v in forms:
        if v.is_finite() and v > 0:
            return 1
        if v.is_finite() and v < 0:
            return -1
    return 0


def _weakly_signed(forms) -> bool:
    return any(v.is_finite() and (v >= 0 or v <= 0) for v in forms)


#: Derivatives of g compiled for the Taylor enclosures (g, g', ..., g^(TAYLOR)).
TAYLOR = 4


def _derivatives(g: sp.Expr) -> list:
    """Ball functions of g, g', g'', ... up to TAYLOR (fewer where sympy's derivative has an
    atom that balls cannot evaluate, such as DiracDelta at a kink)."""
    out, d = [], g
    for _ in range(TAYLOR + 1):
        try:
            out.append(ball_function(d))
        except VerifyError:
            break
        d = sp.diff(d, X)
    return out


def _enclosures(fns: list, k: int, a: arb, b: arb) -> list[arb]:
    """Enclosures of g^{(k)} on [a, b]: the natural one, the mean-value form
    g^{(k)}(m) + g^{(k+1)}(box)(box - m), and Taylor forms at each end,
    Σ_{i<J} g^{(k+i)}(e) t^i/i! + g^{(k+J)}(box) t^J/J! with t ∈ [0, h] or [-h, 0]: they keep the
    sign of a function whose first derivatives all push the same way (x - sin x near 0)."""
    box = real_interval(a, b)
    out = [fns[k](box, False)]
    if k + 1 < len(fns):
        m = arb(box.mid())
        out.append(fns[k](m, False) + fns[k + 1](box, False) * (box - m))
    h = b - a
    for end, sign in ((a, 1), (b, -1)):
        if k + 1 >= len(fns):
            break
        lower, upper, fact = arb(0), arb(0), arb(1)
        for i in range(len(fns) - k):
            last = k + i == len(fns) - 1
            coeff = fns[k + i](box if last else end, False) / fact
            # t^i over t ∈ [0, h] (or [-h, 0]) is exactly [0, h^i] (or ±[0, h^i]): endpoint
            # arithmetic, since a ball power of [0, h] would lose the sign
            ends = (arb(1),) if i == 0 else (arb(0), h**i * (sign if i % 2 else 1))
            products = [c * e for c in (coeff.lower(), coeff.upper()) for e in ends]
            lower += min(products, key=lambda v: float(v.lower())).lower()
            upper += max(products, key=lambda v: float(v.upper())).upper()
            fact *= i + 1
        out.append(real_interval(lower.lower(), upper.upper()))
    return out


def _examine(fns: list, a: sp.Rational, b: sp.Rational, analytic: bool) -> str:
    """'none' (no zero in [a, b]), 'one' (exactly one, in (a, b)) or 'split'.

    With g' of one sign (strictly, or weakly for analytic g, which is then not constant on the
    box since it changes sign) g is monotone and a strict sign change means exactly one zero."""
    lo, hi = arb(_fmpq(a)), arb(_fmpq(b))
    if _signed(_enclosures(fns, 0, lo, hi)):
        return "none"
    ga, gb = fns[0](lo, False), fns[0](hi, False)
    if ga.contains(0) or gb.contains(0) or len(fns) < 2:
        return "split"
    slopes = _enclosures(fns, 1, lo, hi)
    if not (_signed(slopes) or (analytic and _weakly_signed(slopes))):
        return "split"
    return "one" if _sign(ga) != _sign(gb) else "none"


def _multiple_zero(g: sp.Expr, a: sp.Rational, b: sp.Rational) -> sp.Expr | None:
    """A simple number c in (a, b) with g(c) = ... = g^{(j-1)}(c) = 0 exactly (sympy) and
    g^{(j)} ≠ 0 on [a, b] (ball arithmetic): by Rolle g has at most j zeros there counted with
    multiplicity, all of them at c. None when no such c is found (x - sin x at 0: j = 3)."""
    box = real_interval(arb(_fmpq(a)), arb(_fmpq(b)))
    mid = sp.N((a + b) / 2, 20)
    candidates = [sp.Integer(0), sp.nsimplify(mid, [sp.pi], tolerance=float(b - a))]
    for c in dict.fromkeys(candidates):
        if not (a < c < b):
            continue
        derivative = g
        for _j in range(8):
            if not _exactly_zero(derivative.subs(X, c)):
                break
            derivative = sp.diff(derivative, X)
            value = ball_function(derivative)(box, False)
            if value.is_finite() and (value > 0 or value < 0):
                return c
    return None


def _exactly_zero(value: sp.Expr) -> bool:
    """value == 0 proved by sympy (a 50-digit nonzero value answers False at once)."""
    if value == 0:
        return True
    try:
        if abs(sp.N(value, 50)) > sp.Float(10) ** -40:
            return False
        return bool(run_with_limit(lambda: sp.simplify(value) == 0, seconds(1), "exact zero"))
    except (SymbolicTimeout, TypeError, ValueError, NotImplementedError):
        return False


def _split_point(fn, a: sp.Rational, b: sp.Rational) -> sp.Rational:
    """The midpoint, nudged off a point where g's sign cannot be decided (a root on the cut)."""
    m = (a + b) / 2
    for shift in (0, sp.Rational(1, 7), -sp.Rational(1, 5), sp.Rational(2, 9)):
        c = m + shift * (b - a) / 4
        if not fn(arb(_fmpq(c)), False).contains(0):
            return c
    return m


def _exact_or_root(g: sp.Expr, a: sp.Rational, b: sp.Rational) -> sp.Expr:
    """The exact root when a simple candidate in (a, b) is a zero sympy proves, else RealRoot."""
    root = RealRoot(g, a, b)
    approx = sp.N(root, 30)
    for candidate in (sp.nsimplify(approx, [sp.pi], tolerance=1e-25), sp.Rational(0)):
        if not (a < candidate < b):
            continue
        if _exactly_zero(g.subs(X, candidate)):
            return candidate
    return root


__all__ = ["RealRoot", "RootSearch", "RootSet", "isolate_roots", "root_ball"]
