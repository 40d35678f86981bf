"""Re-check a deq-verify certificate file (format: docs/certificate.md), independently.

Shared with the code that wrote the file: only the parsing of φ (the registry or the formula
parser gives its sympy tree) and the decimal display of the numbers. Everything the proofs rest
on is here, written for this purpose: φ evaluated in Arb by this module's own tree walker
(nonsmooth atoms frozen per segment after a sign check), its tails bounded by this module's own
growth rules, Gaussian expectations by its own calls to ``acb.integral``, the closed-form duals
from its own table, the float64 matrices in numpy with its own error bounds, and Rump's Cholesky
bound. No torch.

    python -m verify recheck FILE   → one line per claim, PROVED or NOT PROVED;
                                      exit 0: all proved, 7: some not proved, 2: malformed file.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import math
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import sympy as sp
from flint import acb, arb, ctx, fmpz

PROVED, NOT_PROVED, MALFORMED = 0, 7, 2
U = arb(2) ** -53  # unit roundoff of float64
ETA = arb(2) ** -1074  # least subnormal
X = sp.Symbol("x", real=True)
P = sp.Symbol("p", positive=True)
CRAMER = arb("1.086436")  # |He_n(z)|e^{-z²/4} ≤ 1.086435·√n! (Abramowitz & Stegun 22.14.17)


class Malformed(Exception):
    """The file is not a certificate this checker can read (one line, no traceback)."""


@dataclass(frozen=True)
class Result:
    claim: str
    proved: bool
    detail: str

    def line(self) -> str:
        return f"{'PROVED' if self.proved else 'NOT PROVED':<10}  {self.claim}: {self.detail}"


# ---------------------------------------------------------------------------------- reading


@contextmanager
def _prec(bits: int) -> Iterator[None]:
    """flint's working precision set to ``bits`` inside the block, restored after (even on
    error). The checker's own copy of :func:`symbolic.balls.prec_scope`: it imports none of the
    tool's computing code."""
    old = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = old


_HEX = re.compile(r"^([+-]?)0x([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?p([+-]?\d+)$")


def _num(text) -> arb:
    """An exact binary number written ±0x<hex>[.<hex>]p<exp>, as an exact ball."""
    m = _HEX.match(text) if isinstance(text, str) else None
    if m is None:
        raise Malformed(f"not an exact hexadecimal number: {str(text)[:40]!r}")
    sign, whole, frac, exp = m.groups()
    frac = frac or ""
    man = int(whole + frac, 16) * (-1 if sign == "-" else 1)
    with _prec(max(ctx.prec, man.bit_length() + 8)):
        return arb(fmpz(man)) * arb(2) ** (int(exp) - 4 * len(frac))


def _float(text) -> float:
    if not (isinstance(text, str) and _HEX.match(text)):
        raise Malformed(f"not a hexadecimal float: {str(text)[:40]!r}")
    try:
        return float.fromhex(text)  # finite: the pattern admits no inf or nan
    except OverflowError:
        raise Malformed(f"a claimed number is beyond float64's range: {text[:40]!r}") from None


def _ball(pair) -> arb:
    if not (isinstance(pair, list) and len(pair) == 2):
        raise Malformed("a ball is not [midpoint, radius]")
    rad = _float(pair[1])
    if rad < 0:
        raise Malformed("a ball has a negative radius")
    return _num(pair[0]) + arb(0, rad)


def _decode(obj) -> tuple[np.ndarray, list[int], bool]:
    """(the float64 values, the shape, stored as an upper triangle) of an array field."""
    try:
        raw = zlib.decompress(base64.b64decode(obj["float64_zlib_base64"], validate=True))
        shape = [int(s) for s in obj["shape"]]
        flat = np.frombuffer(raw, dtype="<f8").astype(np.float64)
    except (KeyError, TypeError, ValueError, zlib.error):
        raise Malformed("an array is not float64, zlib, base64") from None
    if not np.all(np.isfinite(flat)):
        raise Malformed("an array holds a non-finite number")
    triangle = bool(obj.get("upper_triangle"))
    if triangle and (
        len(shape) != 2 or shape[0] != shape[1] or flat.size != shape[0] * (shape[0] - 1) // 2
    ):
        raise Malformed("an upper triangle has the wrong length")
    return flat, shape, triangle


def _array(obj, n: int | None = None) -> np.ndarray:
    """A float64 array; a stored upper triangle comes back as the full symmetric matrix with a
    zero diagonal."""
    flat, shape, triangle = _decode(obj)
    if triangle:
        return _symmetric(flat, shape[0], 0.0)
    if flat.size != math.prod(shape) or (n is not None and shape[0] != n):
        raise Malformed("an array has the wrong shape")
    return flat.reshape(shape)


def _pairs(obj, n: int) -> np.ndarray:
    """An n×n field stored as its upper triangle: the entries (i, j), i < j, row by row."""
    flat, shape, triangle = _decode(obj)
    if not triangle or shape[0] != n:
        raise Malformed("the correlations are not an n×n upper triangle")
    return flat


def _symmetric(pairs: np.ndarray, n: int, diagonal: float) -> np.ndarray:
    """The symmetric n×n matrix with the given entries above the diagonal (row by row) and a
    constant diagonal."""
    out, start = np.empty((n, n)), 0
    for i in range(n):  # row by row: a fancy-indexed scatter costs four times as much
        row = pairs[start : start + n - 1 - i]
        out[i, i] = diagonal
        out[i, i + 1 :] = row
        out[i + 1 :, i] = row
        start += n - 1 - i
    return out


def _row_sums(pairs: np.ndarray, n: int) -> np.ndarray:
    """Σ_{j≠i} m_ij for each i, of the symmetric matrix m with these pairs (i < j, row by row)
    and a zero diagonal, in float64 (n - 1 terms a row, in some order)."""
    sums, start = np.zeros(n), 0
    for i in range(n - 1):
        row = pairs[start : start + n - 1 - i]
        sums[i] += row.sum()
        sums[i + 1 :] += row  # m_ji for j > i: row i's part of the later rows' sums
        start += n - 1 - i
    return sums


def _upper(m: np.ndarray) -> np.ndarray:
    """The entries (i, j), i < j, of a square matrix, row by row."""
    n = m.shape[0]
    return np.concatenate([m[i, i + 1 :] for i in range(n - 1)]) if n > 1 else np.zeros(0)


def _field(doc, *keys):
    for k in keys:
        if not isinstance(doc, dict) or k not in doc:
            raise Malformed(f"missing field '{k}'")
        doc = doc[k]
    return doc


def _formula(text) -> sp.Expr:
    from symbolic.activations import resolve  # parsing only: the registry or the safe parser
    from symbolic.formula import parse_formula

    if not isinstance(text, str):
        raise Malformed("the activation is not a string")
    try:
        return resolve(text).expr.subs(sp.Symbol("x", real=True), X)
    except Exception:
        try:
            return parse_formula(text)
        except Exception:
            raise Malformed(f"unreadable activation {text[:40]!r}") from None


# ---------------------------------------------------------------------- φ as Arb functions

_ANALYTIC = {sp.sin, sp.cos, sp.tan, sp.exp, sp.tanh, sp.sinh, sp.cosh, sp.erf, sp.erfc}
_CUT_IM = {sp.atan: "atan", sp.asinh: "asinh"}  # cuts on ±i[1, ∞)
_CUT_RE = {sp.asin: "asin", sp.acos: "acos"}  # cuts on ±[1, ∞)
_ATOMS = (sp.Max, sp.Min, sp.Abs, sp.sign, sp.Heaviside)


def _const(e: sp.Expr):
    if isinstance(e, sp.Rational):
        return arb(int(e.p)) / int(e.q)
    if isinstance(e, sp.Float):
        s, man, ex, _ = e._mpf_
        return arb(fmpz(-man if s else man)) * arb(2) ** int(ex)
    if e is sp.pi:
        return arb.pi()
    if e is sp.E:
        return arb.const_e()
    return None


def compile_fn(e: sp.Expr):
    """``e`` (smooth: no Max/Min/Abs/sign/Heaviside) as f(z, analytic) over arb and acb; with
    analytic=True a complex box crossing a branch cut gives nan (acb.integral's convention)."""
    if e == X:
        return lambda z, a: z
    c = _const(e)
    if c is not None:
        return lambda z, a: c
    if e.is_Symbol or isinstance(e, sp.NumberSymbol) or e is sp.I:
        raise Malformed(f"cannot evaluate {e}")
    args = [compile_fn(a) for a in e.args]
    if isinstance(e, _ATOMS):  # real balls only: never holomorphic, so nan on complex boxes
        return _atom(e.func, args)
    if isinstance(e, sp.Add):
        return lambda z, a: sum((f(z, a) for f in args[1:]), args[0](z, a))
    if isinstance(e, sp.Mul):
        return lambda z, a: math.prod((f(z, a) for f in args[1:]), start=args[0](z, a))
    if isinstance(e, sp.Pow):
        base, k = args[0], e.exp
        if k.is_Integer and k >= 0:
            return lambda z, a: _ipow(base(z, a), int(k))
        if k.is_Integer:
            return lambda z, a: 1 / _ipow(base(z, a), -int(k))
        if k == sp.S.Half:
            return lambda z, a: _sqrt(base(z, a), a)
        return lambda z, a: (args[1](z, a) * _log(base(z, a), a)).exp()
    (f,) = args
    if e.func in _ANALYTIC:
        name = e.func.__name__
        return lambda z, a: getattr(f(z, a), name)()
    if e.func is sp.log:
        return lambda z, a: _log(f(z, a), a)
    if e.func in _CUT_IM or e.func in _CUT_RE:
        name = e.func.__name__
        im = e.func in _CUT_IM

        def cut(z, a):
            w = f(z, a)
            if a and isinstance(w, acb) and not abs(w.imag if im else w.real).upper() < 1:
                return acb("nan")
            return getattr(w, name)()

        return cut
    raise Malformed(f"cannot evaluate {e.func.__name__}")


def _ipow(z, k: int):
    """z^k, k ≥ 0: python-flint's ``arb ** k`` is nan for a real ball 0 ± r (midpoint exactly
    0, r > 0), where z^k lies in [-r^k, r^k]: that ball then."""
    if isinstance(z, arb) and k > 0 and z.mid() == 0 and z.rad() > 0:
        return arb(0, (arb(z.rad()) ** k).upper())
    return z**k


def _atom(head, args):
    def real(z, a):
        if a or isinstance(z, acb):
            return acb("nan")
        v = [f(z, a) for f in args]
        if head in (sp.Max, sp.Min):
            return _fold(head, v)
        g = v[0]
        if head is sp.Abs:
            return abs(g)
        pos, neg = arb(1), arb(-1) if head is sp.sign else arb(0)
        return pos if g > 0 else neg if g < 0 else pos.union(neg)

    return real


def _fold(head, v):
    out = v[0]
    for w in v[1:]:
        out = out.max(w) if head is sp.Max else out.min(w)
    return out


def _log(w, a):
    return w.log(analytic=a) if isinstance(w, acb) else w.log()


def _sqrt(w, a):
    return w.sqrt(analytic=a) if isinstance(w, acb) else w.sqrt()


def _switches(e: sp.Expr) -> list[sp.Expr]:
    out = []
    for atom in e.atoms(*_ATOMS):
        if isinstance(atom, (sp.Max, sp.Min)):
            out += [p - q for p, q in itertools.combinations(atom.args, 2)]
        else:
            out.append(atom.args[0])
    return [g for g in out if g.has(X)]


def _freeze(e: sp.Expr, at: arb) -> sp.Expr:
    """``e`` with every nonsmooth atom replaced by its branch at the real point ``at``."""
    while True:
        atoms = sorted(e.atoms(*_ATOMS), key=sp.count_ops)
        if not atoms:
            return e
        atom = atoms[0]  # innermost first: its arguments are smooth
        vals = [compile_fn(a)(at, False) for a in atom.args]
        if isinstance(atom, (sp.Max, sp.Min)):
            best = 0
            for i, v in enumerate(vals[1:], 1):
                if (v > vals[best]) if isinstance(atom, sp.Max) else (v < vals[best]):
                    best = i
                elif not ((v < vals[best]) if isinstance(atom, sp.Max) else (v > vals[best])):
                    raise Malformed("a kink at a segment's midpoint")
            new = atom.args[best]
        else:
            g = vals[0]
            if not (g > 0 or g < 0):
                raise Malformed("a kink at a segment's midpoint")
            s = 1 if g > 0 else -1
            new = {sp.Abs: s * atom.args[0], sp.sign: sp.Integer(s)}.get(atom.func, s > 0)
            new = sp.Integer(int(new)) if isinstance(new, bool) else new
        e = e.xreplace({atom: new})


def _freeze_inside(e: sp.Expr, lo: arb, hi: arb) -> sp.Expr:
    """``e`` frozen at an interior point of [lo, hi] where no switching function vanishes (the
    midpoint, else one of the eighths): on a segment where every switching function keeps one
    weak sign, that point's branches hold on the whole segment."""
    for k in (4, 3, 5, 1, 7, 2, 6):
        try:
            return _freeze(e, lo + (hi - lo) * k / 8)
        except Malformed:
            continue
    raise Malformed("a switching function vanishes at every trial point of a segment")


def _definite(e: sp.Expr, lo: arb, hi: arb) -> bool:
    """Every switching function g of ``e`` keeps one weak sign on [lo, hi]: by its range on the
    box, or, when g is monotone there (g' ≠ 0 on the box), by its values at the two ends (so a
    kink exactly at an end, where the box's rounded radius pokes past it, still passes)."""
    box, at = lo.union(hi), (lo + hi) / 2
    for g in _switches(e):
        g = _freeze(g, at) if g.atoms(*_ATOMS) else g
        v = compile_fn(g)(box, False)
        if v >= 0 or v <= 0:
            continue
        dg = compile_fn(sp.diff(g, X))(box, False)
        a, b = (compile_fn(g)(t, False) for t in (lo, hi))
        if not ((dg > 0 or dg < 0) and ((a >= 0 and b >= 0) or (a <= 0 and b <= 0))):
            return False
    return True


def segments(e: sp.Expr, ends: list[arb], depth: int = 40) -> list:
    """[(lo, hi, f, crude, frozen)] covering [ends[0], ends[-1]]: f is ``e`` frozen on a segment
    where every switching function keeps its sign (bisected until it does; ``frozen`` is that
    smooth expression); after ``depth`` halvings the rest is a crude segment, f then ``e`` itself
    on real balls (``frozen`` None). A segment within 2^(12-prec) (relative) of a cut known only
    as a ball is crude at once: bisection cannot separate what the ball does not resolve (and
    would branch at every level), and a segment that narrow where no trial point shows its side
    is crude too."""
    out = []
    floor = arb(2) ** (12 - ctx.prec)

    def split(lo, hi, k):
        if not (hi - lo) > floor * abs(lo).max(abs(hi)).max(arb(1)):
            out.append((lo, hi, compile_fn(e), True, None))
            return
        definite = _definite(e, lo, hi)
        if definite:
            try:
                frozen = _freeze_inside(e, lo, hi)
                out.append((lo, hi, compile_fn(frozen), False, frozen))
                return
            except Malformed:
                pass
        if definite or k >= depth:
            out.append((lo, hi, compile_fn(e), True, None))
        else:
            mid = (lo + hi) / 2
            split(lo, mid, k + 1)
            split(mid, hi, k + 1)

    for lo, hi in itertools.pairwise(ends):
        split(lo, hi, 0)
    return out


# ------------------------------------------------------------------ tails: growth and ranges


INF, NINF = arb("inf"), arb("-inf")


@dataclass(frozen=True)
class _Tail:
    """On x ≥ x0: lo ≤ value ≤ hi (±inf allowed) and |value| ≤ a·x^p·e^{βx} (a None: none)."""

    lo: arb
    hi: arb
    a: arb | None
    p: int
    beta: arb


def _from_range(lo: arb, hi: arb) -> _Tail:
    a = abs(lo).max(abs(hi)).upper() if lo.is_finite() and hi.is_finite() else None
    return _Tail(lo, hi, a, 0, arb(0))


def _mul(u: arb, v: arb) -> arb:
    return arb(0) if u.is_zero() or v.is_zero() else u * v  # 0·∞ = 0 on closed intervals


def _tail(e: sp.Expr, x0: arb) -> _Tail:
    """Range and growth of the smooth ``e`` on [x0, ∞), x0 ≥ 1 (docs/certificate.md)."""
    if e == X:
        return _Tail(x0, INF, arb(1), 1, arb(0))
    if not e.has(X):
        c = compile_fn(e)(arb(0), False)
        return _from_range(c.lower(), c.upper())
    if isinstance(e, sp.Pow):
        return _power(e, x0)
    ts = [_tail(a, x0) for a in e.args]
    if isinstance(e, sp.Add):
        lo, hi = sum((t.lo for t in ts), arb(0)).lower(), sum((t.hi for t in ts), arb(0)).upper()
        if any(t.a is None for t in ts):
            return _Tail(lo, hi, None, 0, arb(0))
        p, beta = max(t.p for t in ts), functools.reduce(arb.max, (t.beta.upper() for t in ts))
        a = sum((t.a * x0 ** (t.p - p) * ((t.beta - beta) * x0).exp() for t in ts), arb(0))
        return _Tail(lo, hi, a.upper(), p, beta)
    if isinstance(e, sp.Mul):
        return _reduce_times(ts, x0)
    (t,) = ts
    if e.func is sp.exp:
        return _exp(e.args[0], t, x0)
    if e.func is sp.log:
        if not (t.lo > 0 and t.a is not None):
            raise Malformed("log of a tail not bounded away from 0")
        c = abs(t.lo.log()) + abs(t.a.log()) + t.p + abs(t.beta)
        return _Tail(t.lo.log().lower(), t.hi.log().upper(), c.upper(), 1, arb(0))
    if e.func in (sp.sin, sp.cos):
        return _from_range(arb(-1), arb(1))
    bounds = {sp.tanh: (-1, 1), sp.erf: (-1, 1), sp.atan: (-arb.pi() / 2, arb.pi() / 2)}
    if e.func in bounds:  # increasing and bounded
        f, (lo, hi) = e.func.__name__, (arb(b) for b in bounds[e.func])
        lo = getattr(t.lo, f)() if t.lo.is_finite() else lo
        hi = getattr(t.hi, f)() if t.hi.is_finite() else hi
        return _from_range(lo.lower(), hi.upper())
    if e.func is sp.erfc:
        inner = _tail(sp.erf(e.args[0]), x0)
        return _from_range((1 - inner.hi).lower(), (1 - inner.lo).upper())
    raise Malformed(f"no tail rule for {e.func.__name__}")


def _reduce_times(ts: list[_Tail], x0: arb) -> _Tail:
    out = ts[0]
    for t in ts[1:]:
        a = None if out.a is None or t.a is None else (out.a * t.a).upper()
        p, beta = out.p + t.p, out.beta + t.beta
        prods = [_mul(u, v) for u in (out.lo, out.hi) for v in (t.lo, t.hi)]
        lo = functools.reduce(arb.min, (v.lower() for v in prods))  # exact: no float ties
        hi = functools.reduce(arb.max, (v.upper() for v in prods))
        m = None if a is None else _type_sup(a, p, beta, x0)
        if m is not None:  # the growth type may bound what interval products cannot
            lo, hi = lo.max(-m), hi.min(m)
        out = _Tail(lo, hi, a, p, beta)
    return out


def _type_sup(a: arb, p: int, beta: arb, x0: arb) -> arb | None:
    """sup over x ≥ x0 of a·x^p·e^{βx} when finite (β < 0, or β = 0 and p ≤ 0), else None."""
    if beta < 0:
        peak = arb(max(p, 0)) / -beta  # x^p e^{βx} decreases beyond x = p/|β|
        at = peak if peak > x0 else x0
        return (a * at**p * (beta * at).exp()).upper()
    if beta.is_zero() and p <= 0:
        return (a * x0**p).upper()
    return None


def _power(e: sp.Pow, x0: arb) -> _Tail:
    t = _tail(e.base, x0)
    k = e.exp
    if k.is_Integer and k > 0:
        k = int(k)
        a = None if t.a is None else (t.a**k).upper()
        m = abs(t.lo).max(abs(t.hi))
        low = (t.lo**k).lower() if t.lo >= 0 else (-(m**k) if k % 2 else arb(0))
        return _Tail(low, (m**k).upper() if t.lo < 0 else _up_pow(t.hi, k), a, t.p * k, t.beta * k)
    if (k.is_Integer or k == -sp.S.Half) and t.lo > 0:
        root = k == -sp.S.Half
        top = 1 / (t.lo.sqrt() if root else t.lo ** int(-k))
        low = arb(0) if not t.hi.is_finite() else 1 / (t.hi.sqrt() if root else t.hi ** int(-k))
        out = _from_range(low.lower(), top.upper())
        grow = _lower_growth(e.base, x0)
        if grow is None:
            return out
        if root:
            return out  # (a half power of x^p would leave the integer powers of the types)
        c, p, beta = grow  # base ≥ c·x^p·e^{βx}, so base^-j ≤ c^-j·x^{-jp}·e^{-jβx}
        j = int(-k)
        return _Tail(out.lo, out.hi, (1 / c**j).upper(), -p * j, -beta * j)
    if k == sp.S.Half and t.lo >= 0:
        a = None if t.a is None else t.a.sqrt().upper()
        hi = t.hi.sqrt().upper() if t.hi.is_finite() else INF
        return _Tail(t.lo.sqrt().lower(), hi, a, (t.p + 1) // 2, t.beta / 2)
    raise Malformed(f"no tail rule for the power {e}")


def _lower_growth(e: sp.Expr, x0: arb):
    """(c, p, β) with e ≥ c·x^p·e^{βx} > 0 on [x0, ∞): e a sum of terms ≥ 0 there, one of them
    c·x^p (p > 0) or c·e^{a+βx} (β > 0) with c > 0 (the fastest such term); else None."""
    if not isinstance(e, sp.Add) or any(_tail(t, x0).lo < 0 for t in e.args):
        return None
    found = []
    for t in e.args:
        c, rest = t.as_coeff_Mul()
        if not c > 0:
            continue
        c = compile_fn(c)(arb(0), False)
        if rest == X or (isinstance(rest, sp.Pow) and rest.base == X and rest.exp.is_Integer):
            p = 1 if rest == X else int(rest.exp)
            if p > 0:
                found.append((c.lower(), p, arb(0)))
        if isinstance(rest, sp.exp) and rest.args[0].is_polynomial(X):
            poly = sp.Poly(rest.args[0], X)
            if poly.degree() == 1:
                beta, a = (compile_fn(v)(arb(0), False) for v in poly.all_coeffs())
                if beta > 0:
                    found.append(((c * a.exp()).lower(), 0, beta))
    return max(found, key=lambda g: (float(g[2]), g[1])) if found else None


def _up_pow(h: arb, k: int) -> arb:
    return (h**k).upper() if h.is_finite() else INF


def _exp(u: sp.Expr, t: _Tail, x0: arb) -> _Tail:
    lo = t.lo.exp().lower() if t.lo.is_finite() else arb(0)
    hi = t.hi.exp().upper() if t.hi.is_finite() else INF
    poly = sp.Poly(u, X) if u.is_polynomial(X) else None
    coeffs = [compile_fn(v)(arb(0), False) for v in poly.all_coeffs()] if poly else []
    if poly is not None and poly.degree() == 1:
        return _Tail(lo, hi, coeffs[1].exp().upper(), 0, coeffs[0])
    if poly is not None and poly.degree() == 2 and coeffs[1].is_zero() and coeffs[0] < 0:
        return _Tail(lo, hi, coeffs[2].exp().upper(), 0, coeffs[0] * x0)  # -|a|x² ≤ -|a|x0·x
    return _Tail(lo, hi, hi if hi.is_finite() else None, 0, arb(0))


def _freeze_tail(e: sp.Expr, side: int, x0: arb) -> sp.Expr:
    """e(side·x) for x ≥ x0 with its nonsmooth atoms frozen, after a check that their switching
    functions keep one sign there."""
    f = e.subs(X, side * X)
    for g in _switches(f):
        r = _tail(_freeze(g, x0 + 1) if g.atoms(*_ATOMS) else g, x0)
        if not (r.lo >= 0 or r.hi <= 0):
            raise Malformed("a kink on a tail")
    return _freeze(f, x0 + 1)


def tail_of(e: sp.Expr, side: int, x0: arb) -> _Tail:
    """The tail bounds of ``e`` on x ≥ x0 (side +1) or x ≤ -x0 (side -1)."""
    return _tail(_freeze_tail(e, side, x0), x0)


def envelope(e: sp.Expr, x0: arb) -> tuple[arb, arb]:
    """(A, β) with |e(x)| ≤ A·e^{β|x|} for |x| ≥ x0 (x^p ≤ (4p/e)^p e^{x/4} where p > 0)."""
    best_a, best_b = arb(0), arb(0)
    for side in (1, -1):
        t = tail_of(e, side, x0)
        if t.a is None:
            raise Malformed("no growth bound on a tail")
        a, b = t.a, t.beta.max(arb(0))
        if t.p > 0 and t.beta < 0:
            peak = arb(t.p) / -t.beta
            at = peak if peak > x0 else x0
            a, b = a * at**t.p * (t.beta * at).exp(), arb(0)
        elif t.p > 0:
            a, b = a * (arb(4 * t.p) / arb.const_e()) ** t.p, b + arb(1) / 4
        best_a, best_b = best_a.max(a.upper()), best_b.max(b)
    return best_a, best_b


def cut_ends(cuts: list[arb]) -> list[arb]:
    """Exact segment ends for the breakpoints: an exact cut is one end; a cut known only as a
    ball (1/3, √2) gives the two exact points mid ∓ 2^(10-prec)·max(|mid|, 1), far enough
    outside the ball (and outside any re-evaluation of it at this precision) that the segments
    beside it are definite; only the one between, 2^(11-prec) wide relative, is crude."""
    out = []
    for c in cuts:
        if c.rad() == 0:
            out.append(c)
        else:
            margin = arb(2) ** (10 - ctx.prec) * max(abs(arb(c.mid())), arb(1)).upper()
            out += [(c - margin).lower(), (c + margin).upper()]
    return sorted(out, key=exact_order)


def _compare(x: arb, y: arb) -> int:
    return -1 if x < y else 1 if x > y else 0


#: A sort key for exact points that tells apart those a float cannot (the two ends beside a cut
#: at 1/3 are 2^-117 apart): Arb's own comparison, exact for exact points.
exact_order = functools.cmp_to_key(_compare)


# ---------------------------------------------------------------- Gaussian expectations


class Phi:
    """φ on the line: split points (the file's breakpoints, as hints: every segment is checked),
    frozen pieces of φ and φ' per segment, and growth envelopes on |x| ≥ x0."""

    def __init__(self, expr: sp.Expr, breakpoints: list[arb]):
        self.expr = expr
        self.dexpr = sp.diff(expr, X)
        self.jumps = self.dexpr.has(sp.DiracDelta)
        self.cuts = cut_ends(breakpoints)
        self.x0 = arb(max([1, *(math.ceil(abs(float(b))) + 1 for b in self.cuts)]))
        self.env = envelope(expr, self.x0)
        self.denv = None if self.jumps else envelope(self.dexpr, self.x0)
        self._segments: dict[tuple, list] = {}

    def segments(self, w: arb, deriv: bool = False) -> list:
        """:func:`segments` of φ (or φ') covering [-w, w], split at the breakpoints."""
        key = (float(w), deriv, ctx.prec)  # slivers and the floor scale with the precision
        if key not in self._segments:
            ends = [-w, *(c for c in self.cuts if -w < c < w), w]
            if not any(c.is_zero() for c in ends):  # 0 always an end: even integrands halve
                ends.append(arb(0))
            ends = sorted(ends, key=exact_order)
            self._segments[key] = segments(self.dexpr if deriv else self.expr, ends)
        return self._segments[key]

    def window(self, q: arb, beta: arb) -> tuple[arb, arb]:
        """(W, R): W ≥ x0 exact with e^{-(R/2 - 2β√q)²} ≈ 2^-(prec+16), R = W/√q at q's top."""
        qh = arb(q.upper())
        r = (4 * (ctx.prec + 16) * arb(2).log()).sqrt() + 4 * beta * qh.sqrt()
        w = arb(math.ceil(max(float((r * qh.sqrt()).upper()), float(self.x0))) + 1)
        return w, (w / qh.sqrt()).lower()

    def expect(self, q: arb, which: str, k: int = 0, half: bool = False) -> arb:
        """E[g(√q Z)] for g = φ² ("phi2"), φ²(Z² - 1)/(2q) ("slope"), φ'² ("dphi2") or
        φ·He_k(Z)/√k! ("mu"), for every q in the ball q, tails included; ``half``: the integrand
        is even, so twice its integral over x ≥ 0."""
        env = self.denv if which == "dphi2" else self.env
        a, b = env
        w, big_r = self.window(q, b)
        qh = arb(q.upper())
        sq = qh.sqrt()
        norm = 1 / (2 * arb.pi() * q).sqrt()
        if which == "mu":
            tail = CRAMER * 2 * a * (b * b * qh).exp() * (big_r / 2 - b * sq).erfc() / arb(2).sqrt()
        elif which == "slope":
            tail = (
                2 * arb(2).sqrt() * a * a * (4 * b * b * qh).exp() * (big_r / 2 - 2 * b * sq).erfc()
            )
        else:
            tail = a * a * (2 * b * b * qh).exp() * ((big_r - 2 * b * sq) / arb(2).sqrt()).erfc()
        scale = 1 / ((arb(2) ** k) * arb.fac_ui(k)).sqrt()
        inv_root2q, minus_inv2q, inv_q = 1 / (2 * q).sqrt(), -1 / (2 * q), 1 / q

        def weight(x, f):  # f is φ(x), or φ'(x) for "dphi2"; e^{-x²/(2q)} times
            g = (x * x * minus_inv2q).exp()
            if which == "mu":
                return f * (x * inv_root2q).hermite_h(k) * scale * g
            if which == "slope":
                return f * f * (x * x * inv_q - 1) * g
            return f * f * g

        total = arb(0)
        tol = arb(2) ** -ctx.prec
        for lo, hi, f, crude, _ in self.segments(w, which == "dphi2"):
            if half and not lo >= 0:
                continue
            if crude:
                box = lo.union(hi)
                total += (hi - lo) * weight(box, f(box, False))
                continue
            v = acb.integral(
                lambda x, an, f=f: weight(x, f(x, an)), acb(lo), acb(hi), rel_tol=tol, abs_tol=tol
            ).real
            if not v.is_finite():
                raise Malformed("an integral did not converge")
            total += v
        out = (2 * total if half else total) * norm + arb(0, tail.upper())
        return out / (2 * q) if which == "slope" else out


# ------------------------------------------------------------------------------ the claims


class Run:
    """The file's inputs, parsed, and φ."""

    def __init__(self, doc: dict):
        if doc.get("format") != "deq-verify certificate" or doc.get("version") != 1:
            raise Malformed("not a deq-verify certificate, version 1")
        act = _field(doc, "activation")
        self.prec = int(_field(doc, "precision_bits"))
        if not 53 <= self.prec <= 1024:
            raise Malformed("precision_bits outside [53, 1024]")
        ctx.prec = self.prec
        from symbolic.formula import parse_formula  # parsing only

        self.expr = _formula(_field(act, "spec"))
        try:
            self.exact_cuts = [parse_formula(b) for b in act.get("breakpoints", [])]
            cuts = [compile_fn(b)(arb(0), False) for b in self.exact_cuts]
        except Exception:
            raise Malformed("unreadable breakpoints") from None
        if any(b.free_symbols for b in self.exact_cuts):
            raise Malformed("a breakpoint is not a number")
        self.family = act.get("family")
        self.sigma_w2 = _float(_field(doc, "sigma_w2"))
        inputs = _field(doc, "inputs")
        self.n, self.d = int(_field(inputs, "n")), int(_field(inputs, "d"))
        self.x = _array(_field(inputs, "x"), self.n)
        if self.x.shape != (self.n, self.d) or self.n < 1:
            raise Malformed("the inputs' shape is not (n, d)")
        self.claims = _field(doc, "claims")
        self.cuts = cuts
        self._phi = None

    @property
    def phi(self) -> Phi:
        if self._phi is None:
            self._phi = Phi(self.expr, self.cuts)
        return self._phi

    def unit(self) -> tuple[np.ndarray, float]:
        """The float dot products of the float unit rows, and their error bound 4γ_{d+3}."""
        u = self.x / np.linalg.norm(self.x, axis=1, keepdims=True)
        return u @ u.T, _up(4 * _gamma(self.d + 3))  # rounded up, not to nearest


def _gamma(k: int) -> arb:
    return k * U / (1 - k * U)


def _up(x: arb) -> float:
    f = float(x.upper())
    return f if arb(f) >= x.upper() else math.nextafter(f, math.inf)


def _down(x: arb) -> float:
    f = float(x.lower())
    return f if arb(f) <= x.lower() else math.nextafter(f, -math.inf)


def _show(lo, hi=None) -> str:
    from symbolic.enclosure import format_enclosure  # decimal display only, rounded outward

    return format_enclosure(lo, lo if hi is None else hi, 10)


def check_variance_map(run: Run, c: dict) -> tuple[Result, arb | None]:
    """T(J) ⊂ J for J = [2/d, b], T(q) > q on [2/d, a), and on K = [a, b]: T ≥ a and
    |T'| < 1; returns the result and the proved sup_K |T'|."""
    lo, start, hi = arb(2) / run.d, _num(_field(c, "start")), _num(_field(c, "hi"))
    s2 = 2 * arb(run.sigma_w2)
    if not (lo <= start and start < hi):
        return Result("variance map", False, "the file's interval is not 2/d ≤ a < b"), None
    slope, budget = arb(0), [4000]

    def pieces(a, b):
        count = max(8, math.ceil(math.log(float((b / a).upper())) / math.log(1.06)))
        ends = [a * (b / a) ** (arb(j) / count) for j in range(count + 1)]
        ends[0], ends[-1] = a, b
        return list(itertools.pairwise(ends))

    def holds(a, b, below: bool) -> bool:
        nonlocal slope
        budget[0] -= 1
        piece = a.union(b)
        t = s2 * run.phi.expect(piece, "phi2") + lo
        ok = t.upper() <= hi and (t.lower() > piece.upper() if below else t.lower() >= start)
        if ok and not below:
            sl = abs(s2 * run.phi.expect(piece, "slope")).upper()
            ok = sl < 1
            slope = slope.max(sl) if ok else slope
        if ok or budget[0] <= 0 or not (b - a) > a * arb(2) ** -30:
            return ok
        m = (a + b) / 2
        return holds(a, m, below) and holds(m, b, below)

    with _prec(min(ctx.prec, 64)):
        ok = all(holds(a, b, True) for a, b in (pieces(lo, start) if start > lo else []))
        ok = ok and all(holds(a, b, False) for a, b in pieces(start, hi))
    j = f"J = {_show(lo, hi)}, K = {_show(start, hi)}"
    if not ok:
        return Result(
            "variance map", False, f"T(J) ⊂ J with a contraction on K not re-proved ({j})"
        ), None
    return Result(
        "variance map", True, f"T(J) ⊂ J, T(q) > q below K, sup_K |T'| ≤ {_above(slope, 4)} ({j})"
    ), slope


def check_q_star(run: Run, c: dict, slope: arb) -> tuple[Result, arb | None]:
    """q* ∈ I: I ⊂ K and |T(m) - m| + c·r ≤ r (mean value form) for I = m ± r."""
    big_q = _ball(_field(c, "q_star"))
    vm = _field(c, "variance_map")
    start, hi = _num(_field(vm, "start")), _num(_field(vm, "hi"))
    m, r = arb(big_q.mid()), arb(big_q.rad())
    t = 2 * arb(run.sigma_w2) * run.phi.expect(m, "phi2") + arb(2) / run.d
    ok = big_q.lower() >= start and big_q.upper() <= hi and (abs(t - m) + slope * r).upper() <= r
    return Result("q*", ok, f"q* ∈ {_show(big_q.lower(), big_q.upper())}, T(I) ⊂ I"), big_q


def check_contraction(run: Run, big_q: arb) -> tuple[Result, arb, arb]:
    """c = 2σ_w² E[φ'(√q Z)²] < 1 on q*'s ball: the correlation map contracts."""
    if run.phi.jumps:
        return (
            Result("correlation map", False, "φ jumps: E[φ'(u)φ'(v)] is unbounded"),
            arb(1),
            arb(0),
        )
    m1 = run.phi.expect(big_q, "dphi2")
    c = 2 * arb(run.sigma_w2) * m1
    ok = c.upper() < 1
    said = f"slope 2σ_w²E[φ'(√q*Z)²] ≤ {_above(c, 6)}" + (" < 1" if ok else ", not proved < 1")
    return Result("correlation map", ok, said), c, m1


def _identically_zero(e: sp.Expr) -> bool:
    """e ≡ 0 on the line, proved by sympy's simplify; refuted first, without sympy, where a ball
    of e at x = 0.5772… or 1.618… excludes 0 (a proof that e is not zero there)."""
    for point in (arb("0.5772156649015329"), arb("1.618033988749895")):
        try:
            value = compile_fn(e)(point, False)
        except Malformed:
            break
        if value.is_finite() and not value.contains(0):
            return False
    return sp.simplify(e) == 0


def check_coefficients(run: Run, c: dict, big_q: arb) -> tuple[Result, list[arb] | None]:
    """Each claimed ball of μ_k(q*)² contains this module's own enclosure (φ proved odd or even
    by sympy: the vanishing μ_k are exact zeros, the others twice an integral over x ≥ 0)."""
    claimed = [_ball(b) for b in _field(c, "coefficients")]
    e = run.expr
    odd, even = (_identically_zero(e + s * e.subs(X, -X)) for s in (1, -1))
    bad = []
    for k, ball in enumerate(claimed):
        if (odd and k % 2 == 0) or (even and k % 2 == 1):
            own = arb(0)
        else:
            own = _ipow(run.phi.expect(big_q, "mu", k, half=odd or even), 2)
        if not (own.lower() >= ball.lower() and own.upper() <= ball.upper()):
            bad.append(k)
    ok = not bad
    detail = f"{len(claimed)} balls of μ_k(q*)² contain the re-derived ones"
    return Result("Hermite coefficients", ok, detail if ok else f"k = {bad[:8]} do not"), claimed


def _kappa(run: Run):
    """κ_q(ρ) = E[φ(u)φ(v)] from this module's own table of closed forms, after sympy proves φ
    equal to the family member the file names (on x > 0 and x < 0 separately)."""
    from symbolic.formula import parse_formula  # parsing only

    fam = run.family
    name = _field(fam, "name")
    num = {k: parse_formula(v) for k, v in fam.items() if k != "name"}
    ball = {k: compile_fn(v)(arb(0), False) for k, v in num.items()}

    def relu(q, r):
        return q * (((1 - r) * (1 + r)).sqrt() + (arb.pi() - r.acos()) * r) / (2 * arb.pi())

    table = {
        "relu": (lambda z: sp.Max(0, z), relu),
        "abs": (
            sp.Abs,
            lambda q, r: 2 * q * (((1 - r) * (1 + r)).sqrt() + r * r.asin()) / arb.pi(),
        ),
        "erf": (sp.erf, lambda q, r: 2 / arb.pi() * (2 * q * r / (1 + 2 * q)).asin()),
        "sin": (sp.sin, lambda q, r: (-q).exp() * (q * r).sinh()),
        "cos": (sp.cos, lambda q, r: (-q).exp() * (q * r).cosh()),
        "exp": (sp.exp, lambda q, r: (q * (1 + r)).exp()),
        "step": (lambda z: sp.Heaviside(z, 1), lambda q, r: arb(1) / 4 + r.asin() / (2 * arb.pi())),
        "sign": (sp.sign, lambda q, r: 2 / arb.pi() * r.asin()),
    }
    if name == "two_slope":
        al, be = num["alpha"], num["beta"]
        member = al * X + be * sp.Max(0, X)
        a, b = ball["alpha"], ball["beta"]
        kappa = lambda q, r: (a * a + a * b) * q * r + b * b * relu(q, r)  # noqa: E731
    elif name == "gaussian":
        member = num["c"] * sp.exp(num["k"] - num["a"] * X**2)
        c2, a = (ball["c"] * ball["k"].exp()) ** 2, ball["a"]
        kappa = lambda q, r: c2 / ((1 + 2 * a * q) ** 2 - 4 * a * a * q * q * r * r).sqrt()  # noqa: E731
    elif name in table:
        f, base = table[name]
        member = num["c"] * f(num["b"] * X)
        c2, b2 = ball["c"] ** 2, ball["b"] ** 2
        kappa = lambda q, r: c2 * base(b2 * q, r)  # noqa: E731
    else:
        raise Malformed(f"unknown family {name!r}")
    for side in (1, -1):
        if sp.simplify((run.expr - member).subs(X, side * P)) != 0:
            return None
    return kappa


def entries(run: Run, c: dict, big_q: arb, cc: arb, m1: arb, claimed: list | None):
    """(Result, Ã, R, tail_lo, tail_hi): the correlations' claimed radii checked against this
    module's Banach bounds, then G* = Ã + E with |E| ≤ R (+ the PSD tail on the series route).
    The pairs i < j are worked on as flat arrays (row by row, as stored); Ã and R come back as
    full symmetric matrices."""
    rho = _pairs(_field(c, "rho"), run.n)
    rad = _pairs(_field(c, "rho_radius"), run.n)
    if np.any(rad < 0):
        raise Malformed("a correlation has a negative radius")
    if np.any(np.abs(rho) > 1):
        raise Malformed("a correlation outside [-1, 1]")
    s, s_err = run.unit()
    if _field(c, "route") == "dual":
        return _dual_entries(run, rho, rad, _upper(s), s_err, big_q, cc, m1)
    return _series_entries(run, rho, rad, _upper(s), s_err, big_q, cc, claimed)


def _dual_entries(run, rho, rad, s, s_err, big_q, cc, m1):
    """The closed-form route on the pairs i < j (flat, row by row)."""
    kappa = _kappa(run) if run.family else None
    if kappa is None:
        return Result("correlations", False, "φ is not the family the file names"), None, None, 0, 0
    n, s2, wd = run.n, 2 * arb(run.sigma_w2), arb(2) / run.d
    inv, slope = 1 / (1 - arb(cc.upper())), (big_q * m1).upper()
    mid, radius = np.zeros(rho.size), np.zeros(rho.size)
    bad = 0
    for j, (r, sij, rr) in enumerate(zip(rho.tolist(), s.tolist(), rad.tolist())):
        k = kappa(big_q, arb(r))
        h = (s2 * k + wd * arb(sij, s_err)) / big_q
        bad += not (abs(h - r) * inv).upper() <= rr
        mid[j], radius[j] = _split_ball(k + arb(0, (slope * rr).upper()))
    diag_mid, diag_rad = _split_ball((big_q - wd) / s2)
    ok = bad == 0
    detail = (
        f"|ρ*_ij - ρ̃_ij| ≤ the claimed radius for all {n * (n - 1) // 2} pairs (closed-form dual)"
    )
    res = Result("correlations", ok, detail if ok else f"{bad} claimed radii too small")
    return res, _symmetric(mid, n, diag_mid), _symmetric(radius, n, diag_rad), 0.0, 0.0


def _split_ball(g: arb) -> tuple[float, float]:
    m = float(g.mid())
    return m, _up(g.rad() + abs(g.mid() - m))


def _horner(coeffs: list[float], t: np.ndarray) -> np.ndarray:
    """Σ_k c_k t^k by Horner from the top, in float64 (|error| ≤ γ_{2K}Σ|c_k| for |t| ≤ 1)."""
    out = np.full(t.shape, coeffs[-1]) if coeffs else np.zeros(t.shape)
    for a in reversed(coeffs[:-1]):
        np.multiply(out, t, out=out)
        out += a
    return out


def _series(mids: list[float], rho: np.ndarray) -> np.ndarray:
    """Σ_k a_k ρ^k in float64, |ρ| ≤ 1: ρ·p(ρ²) when the even a_k are zero, p(ρ²) when the odd
    are (half the passes), else Horner in ρ. Every term then carries at most 3N/2 + 1 roundings
    (N/2 in Horner's pairs, N/2 in the powers of fl(ρ²), one for the factor ρ): within
    γ_{2N}Σ|a_k|, the bound of the plain rule."""
    if all(m == 0 for m in mids[0::2]):
        return _horner(mids[1::2], rho * rho) * rho
    if all(m == 0 for m in mids[1::2]):
        return _horner(mids[0::2], rho * rho)
    return _horner(mids, rho)


def _series_entries(run, rho, rad, s, s_err, big_q, cc, claimed):
    """The Hermite-series route on the pairs i < j (flat, row by row); the diagonal is the
    series at ρ = 1."""
    n, terms = run.n, len(claimed)
    s2 = 2 * arb(run.sigma_w2)
    rest = (big_q - arb(2) / run.d) / s2 - sum(claimed, arb(0))
    p_lo, p_hi = max(_down(rest), 0.0), _up(rest)
    mids = [float(a.mid()) for a in claimed]
    coef_err = sum((abs(a - arb(m)) for a, m in zip(claimed, mids)), arb(0))
    slope = _up(sum((k * a for k, a in enumerate(claimed)), arb(0)))
    total = sum(abs(m) for m in mids)
    horner_err = _up(_gamma(2 * terms) * arb(total) * (1 + _gamma(terms)) + coef_err)
    kap = _series(mids, np.append(rho, 1.0))  # the last: the diagonal, at ρ = 1
    kap, kap_diag = kap[:-1], float(kap[-1])
    q_mid, q_lo = float(big_q.mid()), _down(big_q)
    r_q = _up(abs(big_q - arb(q_mid)))
    eps = 2.0**-53
    w2, wd = 2 * run.sigma_w2, 2.0 / run.d
    num = w2 * kap + wd * s
    h = num / q_mid
    tail = _array_power(np.abs(rho), terms) * (p_hi * (1 + 4 * terms * eps))
    num_err = w2 * (horner_err + tail) + wd * s_err + 4 * eps * (w2 * np.abs(kap) + wd * np.abs(s))
    h_err = num_err / q_lo + np.abs(num) * (r_q / (q_lo * q_lo)) + 2 * eps * np.abs(h)
    own = (np.abs(h - rho) * (1 + eps) + h_err) / (1 - _up(cc)) * (1 + 4 * eps)
    bad = int(np.count_nonzero(own > rad))
    # the three terms' float sum (two roundings) widened by 4u: at or above the exact sum
    radius = (horner_err + slope * rad + 2 * eps * np.abs(kap)) * (1 + 4 * eps)
    radius_diag = (horner_err + 2 * eps * abs(kap_diag)) * (1 + 4 * eps)
    power = _array_power(np.minimum(np.abs(rho) + rad, 1.0), terms) * (1 + 4 * terms * eps)
    rows = arb(float(_row_sums(power, n).max())) * (1 + _gamma(n + 2 * terms))
    tail_lo = _down(arb(p_lo) * (1 - rows).nonnegative_part())
    tail_hi = _up(arb(p_hi) * (1 + rows))
    ok = bad == 0
    detail = (
        f"|ρ*_ij - ρ̃_ij| ≤ the claimed radius for all {n * (n - 1) // 2} pairs (Hermite series)"
    )
    res = Result("correlations", ok, detail if ok else f"{bad} claimed radii too small")
    mid = _symmetric(kap, n, kap_diag)
    return res, mid, _symmetric(radius, n, radius_diag), tail_lo, tail_hi


def _array_power(a: np.ndarray, k: int) -> np.ndarray:
    """a^k elementwise by squaring: at most 2·log2(k) roundings, so within (1 + 4k·u) of it."""
    out, acc = np.ones_like(a), a
    while k:
        if k & 1:
            out = out * acc
        acc, k = acc * acc, k >> 1
    return out


def rump(mid: np.ndarray, shift: float) -> arb | None:
    """λ_min(mid) ≥ the returned ball's lower end when fl-Cholesky of fl(mid - shift·I) runs to
    completion (Demmel; Rump 2006): shift - γ_{n+1}/(1-γ_{n+1})·tr B - u·max b_ii - 4(n+1)(2(n+1)
    + max b_ii)·η; None when it breaks down."""
    n = mid.shape[0]
    b = mid.copy()
    b[np.diag_indices(n)] -= shift
    try:
        np.linalg.cholesky(b)
    except np.linalg.LinAlgError:
        return None
    diag = np.diag(b)
    trace = sum((arb(float(v)) for v in diag), arb(0))
    big = arb(float(np.abs(diag).max()))
    g = _gamma(n + 1)
    return arb(shift) - g / (1 - g) * trace - U * big - 4 * (n + 1) * (2 * (n + 1) + big) * ETA


def frobenius(r: np.ndarray) -> arb:
    """‖R‖_F from above: the float sum of squares within γ_{n²+1}, then √."""
    return (arb(float(np.sum(r * r))) * (1 + _gamma(r.size + 1))).sqrt()


def rayleigh(mid: np.ndarray, radius: np.ndarray, tail_hi: float, v: np.ndarray) -> arb:
    """An upper bound on vᵀGv/vᵀv ≥ λ_min(G) for G = Ã + E + T, |E| ≤ R, ‖T‖₂ ≤ tail_hi."""
    n = mid.shape[0]
    av = np.abs(v)
    quad = arb(float(v @ (mid @ v)))
    g2 = _gamma(2 * n + 2)
    rounding = g2 * arb(float(av @ (np.abs(mid) @ av))) * (1 + g2)
    extra = arb(float(av @ (radius @ av))) * (1 + g2)
    vv = arb(float(v @ v))
    return (quad + rounding + extra + arb(tail_hi) * vv * (1 + g2)) / (vv * (1 - g2))


def check_lambda(run: Run) -> list[Result]:
    """Every claim of the λ* certificate, in order; a failed link stops the chain."""
    c = run.claims["lambda_star"]
    out = []
    vm, slope = check_variance_map(run, _field(c, "variance_map"))
    out.append(vm)
    if slope is None:
        return out
    qs, big_q = check_q_star(run, c, slope)
    out.append(qs)
    con, cc, m1 = check_contraction(run, big_q)
    out.append(con)
    if not (qs.proved and con.proved):
        return out
    claimed = None
    if _field(c, "route") == "series":
        res, claimed = check_coefficients(run, c, big_q)
        out.append(res)
        if not res.proved:
            return out
    res, mid, radius, tail_lo, tail_hi = entries(run, c, big_q, cc, m1, claimed)
    out.append(res)
    if not res.proved:
        return out
    out += _spectrum(run, c, "λ*", mid, radius, tail_lo, tail_hi)
    return out


def _spectrum(run, c, name, mid, radius, tail_lo, tail_hi) -> list[Result]:
    """Rump's test at the claimed shift, then the claimed lower and upper ends."""
    shift = _float(_field(c, "shift"))
    bound = rump(mid, shift)
    if bound is None:
        return [
            Result(f"{name} Cholesky", False, f"fl-Cholesky of Ã - tI breaks down at t = {shift!r}")
        ]
    low = bound - frobenius(radius) + arb(tail_lo)
    claim_lo, claim_hi = _float(_field(c, "lower")), _float(_field(c, "upper"))
    v = _array(_field(c, "vector"), run.n)
    high = rayleigh(mid, radius, tail_hi, v.reshape(-1))
    lo_ok = low.lower() >= arb(claim_lo)
    hi_ok = high.upper() <= arb(claim_hi)
    return [
        Result(
            f"{name} Cholesky",
            True,
            f"λ_min(Ã) ≥ {_below(bound, 10)} (Rump, t = {shift!r})",
        ),
        Result(
            f"{name} ≥ lower end",
            lo_ok,
            f"{name} ≥ {_below(low, 10)}, claimed {_show(claim_lo, claim_hi)}",
        ),
        Result(
            f"{name} ≤ upper end",
            hi_ok,
            f"{name} ≤ {_above(high, 10)} (Rayleigh quotient)",
        ),
    ]


def check_gao(run: Run) -> list[Result]:
    """G^∞_ij = J₁(s_ij)/(2π) as balls (s_ij within 4γ_{d+3}, dG/ds ≤ 1/2), then Rump's test."""
    c = run.claims["gao_lambda0"]
    s, s_err = run.unit()
    n = run.n
    widen = arb(0, (arb(s_err) / 2).upper())
    mid, radius = np.full((n, n), 0.5), np.zeros((n, n))
    for i in range(n):
        ms, es = [], []
        for z in np.clip(s[i, i + 1 :], -1.0, 1.0).tolist():
            z = arb(z)
            g = (((1 - z) * (1 + z)).sqrt() + (arb.pi() - z.acos()) * z) / (2 * arb.pi())
            m, e = _split_ball(g + widen)
            ms.append(m)
            es.append(e)
        mid[i, i + 1 :], radius[i, i + 1 :] = ms, es
    lower = np.tril_indices(n, -1)
    mid[lower], radius[lower] = mid.T[lower], radius.T[lower]
    return _spectrum(run, c, "Gao λ_0", mid, radius, 0.0, 0.0)


def check_sup(run: Run, k: int, c: dict) -> Result:
    """sup_x |φ^{(k)}(x)| ∈ [lo, hi], φ^{(k)} the classical derivative of each smooth piece:
    φ^{(j)} continuous at every breakpoint for j < k (sympy; a jump makes the supremum infinite),
    branch and bound on [-X, X] (a point where |φ^{(k)}| ≥ lo, and |φ^{(k)}| ≤ hi on every box),
    the tails |x| ≥ X by the tail rules; X = 16, then 64."""
    lo, hi = arb(_float(_field(c, "lo"))), arb(_float(_field(c, "hi")))
    name = f"sup|φ{chr(39) * k}|"
    jump = _jump(run, k)
    if jump:
        return Result(
            name, False, f"φ^(j) jumps at x = {jump} for some j < {k}: no finite supremum"
        )
    for x0 in (arb(16), arb(64)):
        if not all(_tail_below(run.expr, side, x0, k, hi) for side in (1, -1)):
            continue
        best = _branch_and_bound(run, k, x0, lo, hi)
        if best is not None and not best >= lo:  # a supremum approached at infinity
            for side in (1, -1):
                fn = compile_fn(sp.diff(_freeze(run.expr.subs(X, side * X), arb(65)), X, k))
                for j in range(4, 64):
                    best = best.max(abs(fn(arb(2**j), False)).lower())
        if best is None:
            window = int(float(x0.mid()))
            said = f"|φ^({k})| ≤ {_above(hi, 10)} not re-proved on [-{window}, {window}]"
            return Result(name, False, said)
        ok = best >= lo
        return Result(name, ok, f"∈ {_show(lo, hi)} (a point reaches {_below(best, 10)})")
    return Result(name, False, "no bound ≤ the claimed upper end on the tails |x| ≥ 64")


def _tail_below(e: sp.Expr, side: int, x0: arb, k: int, hi: arb) -> bool:
    """|e^{(k)}| ≤ hi on the tail, from the tail rules on the derivative as sympy writes it, or
    put over one denominator (softplus'' is a difference of two terms near 1 otherwise)."""
    for form in (lambda f: f, lambda f: sp.cancel(sp.together(f))):
        try:
            t = _tail(form(sp.diff(_freeze_tail(e, side, x0), X, k)) * side**k, x0)
        except Malformed:
            continue
        if abs(t.lo).max(abs(t.hi)) <= hi:
            return True
    return False


def _jump(run: Run, k: int) -> str | None:
    """A breakpoint where some φ^{(j)}, j < k, has different one-sided values, or None."""
    for b in run.exact_cuts:
        at = compile_fn(b)(arb(0), False)
        gaps = [abs(float(c) - float(b)) for c in run.exact_cuts if c != b]
        step = arb(min([2.0**-20, *(g / 4 for g in gaps)]))
        left, right = (_freeze(run.expr, at + d) for d in (-step, step))
        for j in range(k):
            if sp.simplify((sp.diff(left, X, j) - sp.diff(right, X, j)).subs(X, b)) != 0:
                return sp.sstr(b)
    return None


#: Boxes the branch and bound of a supremum may split before it settles for what it has.
BOX_BUDGET = 30000


def _branch_and_bound(run: Run, k: int, x0: arb, lo: arb, hi: arb) -> arb | None:
    """The best |φ^{(k)}(point)| found while proving |φ^{(k)}| ≤ hi on [-x0, x0] (None if that
    fails), each box inside a segment of φ's pieces, bounded by the smaller of f(box) and the
    centred form f(m) + f'(box)·[-w/2, w/2] (near a maximum f' is small: boxes need not shrink
    to the claim's 2^-40)."""
    ends = [-x0, *(c for c in cut_ends(run.cuts) if -x0 < c < x0), x0]
    best, budget = arb(0), BOX_BUDGET
    boxes = []
    for a, b, _, crude, frozen in segments(run.expr, ends):
        if crude:  # a sliver around a cut known as a ball: both one-sided branches bound it
            top = _sliver_bound(run.expr, k, a, b)
            if top is None or not top <= hi:
                return None
            continue
        f = sp.diff(frozen, X, k)
        boxes.append((a, b, compile_fn(f), compile_fn(sp.diff(f, X))))
    while boxes:
        budget -= 1
        a, b, fn, dfn = boxes.pop()
        m, box = (a + b) / 2, a.union(b)
        at = fn(m, False)
        best = best.max(abs(at).lower())
        top = (
            abs(fn(box, False)).upper().min((abs(at) + abs(dfn(box, False)) * (b - a) / 2).upper())
        )
        if top <= hi and (best >= lo or top < lo):
            continue
        if budget <= 0 or not (b - a) > arb(2) ** -100:
            if top <= hi:
                continue
            return None
        boxes += [(a, m, fn, dfn), (m, b, fn, dfn)]
    return best


def _sliver_bound(e: sp.Expr, k: int, a: arb, b: arb) -> arb | None:
    """sup |e^{(k)}| on [a, b] but the one point where a switching function vanishes: when
    exactly one switching function changes sign on the box, monotonically, e^{(k)} is there the
    branch frozen just left of a or the one frozen just right of b (every other switching
    function keeps its sign on the box and its neighbours), so the larger of the two branches'
    ranges on the box bounds it. None when that is not shown. The signs are read on the box
    widened by its width on each side, so that the two points where the branches are frozen
    see the same signs as the box's two parts."""
    box, w = a.union(b), b - a
    hull = (a - w).union(b + w)
    straddling = 0
    for g in _switches(e):
        try:
            g = _freeze(g, (a + b) / 2) if g.atoms(*_ATOMS) else g
        except Malformed:
            return None
        v = compile_fn(g)(hull, False)
        if v >= 0 or v <= 0:
            continue
        dg = compile_fn(sp.diff(g, X))(hull, False)
        if not (dg > 0 or dg < 0):
            return None
        straddling += 1
    if straddling != 1:
        return None
    try:
        sides = [_freeze(e, p) for p in (a - w, b + w)]
    except Malformed:
        return None
    return max(abs(compile_fn(sp.diff(f, X, k))(box, False)).upper() for f in sides)


def recheck(doc: dict) -> list[Result]:
    """Every claim of the certificate document, re-derived (at the file's precision_bits, which
    hold for this call only)."""
    with _prec(ctx.prec):
        run = Run(doc)
        claims = run.claims
        if not isinstance(claims, dict):
            raise Malformed("claims is not an object")
        out = []
        for key, c in sorted((claims.get("sup") or {}).items()):
            if key not in ("0", "1", "2"):
                raise Malformed("a supremum claim for k outside 0, 1, 2")
            out.append(check_sup(run, int(key), c))
        if "lambda_star" in claims:
            out += check_lambda(run)
        if "gao_lambda0" in claims:
            out += check_gao(run)
        return out


def main(path: str) -> int:
    """Print one line per claim; return PROVED (0), NOT_PROVED (7) or MALFORMED (2)."""
    with _prec(ctx.prec):  # the file's precision_bits hold for this run only
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"error: cannot read {path} as a certificate: {exc}", file=_stderr())
            return MALFORMED
        try:
            results = recheck(doc)
        except (Malformed, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            print(f"error: {path} is not a valid certificate: {exc}", file=_stderr())
            return MALFORMED
    for r in results:
        print(r.line())
    if not results:
        print("the file holds no certified claim: nothing to re-check")
        return PROVED
    ok = all(r.proved for r in results)
    count = f"{sum(r.proved for r in results)} of {len(results)} claims"
    print(f"{'PROVED' if ok else 'NOT PROVED'}: {count}")
    return PROVED if ok else NOT_PROVED


def _above(x: arb, digits: int) -> str:
    """A certified upper bound as text: ``digits`` significant digits, rounded up."""
    from symbolic.enclosure import round_up  # decimal display only

    return round_up(x, digits)


def _below(x: arb, digits: int) -> str:
    """A certified lower bound as text: ``digits`` significant digits, rounded down."""
    from symbolic.enclosure import round_down  # decimal display only

    return round_down(x, digits)


def _stderr():
    import sys

    return sys.stderr


__all__ = ["MALFORMED", "NOT_PROVED", "PROVED", "Result", "main", "recheck"]
