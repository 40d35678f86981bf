"""The certificate file of a run: every certified claim with what re-checking it needs
(format: docs/certificate.md; checker: :mod:`verify.recheck`). The encoders import no torch
(the checker's tests build files with them).

Numbers are exact: floats as hexadecimal floats (``float.hex``), Arb balls as
``[exact midpoint, radius]`` with the midpoint written ``±0x<hex integer>p<exponent>`` (any
precision) and the radius a hexadecimal float rounded up; arrays of float64 as little-endian
bytes, zlib (stored blocks, level 0: float64 bits shrink by 4-10 % at level 6, which costs
0.5 s to write and 15 ms to read per 4 MB), base64 (the n×n ones as their upper triangle,
i < j, row by row).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import zlib
from typing import Any

import numpy as np
import sympy as sp
from flint import arb

from symbolic.enclosure import float_down, float_up
from symbolic.errors import VerifyError

FORMAT = "deq-verify certificate"
VERSION = 1


def exact(x: arb) -> str:
    """The exact midpoint of ``x`` as ±0x<hex integer>p<exponent>."""
    man, exp = (int(v) for v in x.mid().man_exp())
    return f"{'-' if man < 0 else ''}0x{abs(man):x}p{exp}"


def ball(x: arb) -> list[str]:
    """[exact midpoint, radius rounded up as a hex float]."""
    return [exact(x), float_up(x.rad()).hex()]


def array(a, triangle: bool = False) -> dict[str, Any]:
    """A float64 array (numpy, or a torch tensor), exactly (zlib + base64 of its little-endian
    bytes); ``triangle``: only the entries above the diagonal of a square matrix, row by row."""
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    a = np.asarray(a, dtype="<f8")
    shape = list(a.shape)
    if triangle:
        a = a[np.triu_indices(a.shape[0], 1)]
    data = base64.b64encode(zlib.compress(a.tobytes(), 0)).decode("ascii")
    return {"shape": shape, "upper_triangle": triangle, "float64_zlib_base64": data}


def _lambda_claims(c) -> dict[str, Any]:
    e = c.evidence
    inv = c.q_star.invariant
    out = {
        "route": c.route,
        "variance_map": {
            "start": exact(inv.start),
            "hi": exact(inv.hi),
            "pieces": inv.pieces,
            "slope": float_up(inv.slope).hex(),
        },
        "q_star": ball(c.q_star.enclosure.ball),
        "contraction": c.contraction.hex(),
        "slope_moment": float_up(e.slope_moment).hex(),
        "rho": array(e.rho, triangle=True),
        "rho_radius": array(e.rho_radius, triangle=True),
        "shift": e.shift.hex(),
        "cholesky_lower": c.cholesky_bound.hex(),
        "frobenius": c.frobenius.hex(),
        "tail_lower": c.tail.hex(),
        "vector": array(e.vector),
        "lower": c.lower.hex(),
        "upper": c.upper.hex(),
    }
    if c.route == "series":
        out["terms"] = c.terms
        out["coefficients"] = [ball(a) for a in e.coefficients]
        out["remainder"] = ball(e.remainder)
    return out


#: Relative widening of a supremum's enclosure in the file: a ball test cannot prove f ≤ max f
#: on a neighbourhood of the maximizer, nor reach a supremum that is only a limit (tanh → 1).
SUP_SLACK = arb(2) ** -40


def _sup_claim(e) -> dict[str, str]:
    """sup|φ^(k)| ∈ [lo(1 - 2^-40), hi(1 + 2^-40)]: the run's enclosure, widened (SUP_SLACK)."""
    lo = float_down(e.ball * (1 - SUP_SLACK)) if e.lo > 0 else 0.0
    return {
        "lo": max(lo, 0.0).hex(),
        "hi": float_up(e.ball * (1 + SUP_SLACK)).hex(),
        "method": e.method,
    }


def _gao_claims(g) -> dict[str, Any]:
    return {
        "shift": g.shift.hex(),
        "cholesky_lower": g.cholesky_bound.hex(),
        "frobenius": g.frobenius.hex(),
        "vector": array(g.vector),
        "lower": g.lower.hex(),
        "upper": g.upper.hex(),
    }


def _envelopes(act) -> dict[str, Any]:
    """The tails' growth envelopes the integrals used (information: the checker proves its own)."""
    from symbolic.hermite_balls import tails

    try:
        t = tails(act)
    except VerifyError:
        return {}
    out = {}
    for key, env in (("phi", t.phi), ("dphi", t.dphi)):
        if env is not None:
            out[key] = {
                "a": float_up(env.a).hex(),
                "beta": float_up(env.beta).hex(),
                "start": float_up(env.start).hex(),
                "text": env.text,
            }
    return out


def certificate_document(v) -> dict[str, Any]:
    """The certificate of the run ``v`` (a :class:`verify.checks.Verification`) as a JSON-ready
    dictionary: the claims that were proved, each with what re-checking it needs."""
    from numeric.gao_certificate import GaoCertificate
    from numeric.lambda_certificate import LambdaCertificate
    from symbolic.families import family_parameters

    act = v.act
    claims: dict[str, Any] = {}
    sups = {
        str(k): _sup_claim(e) for k, e in sorted(v.symbolic.enclosures.items()) if e is not None
    }
    if sups:
        claims["sup"] = sups
    pop = v.ok(v.population)
    notes = []
    if pop is not None and isinstance(pop.certified, LambdaCertificate):
        claims["lambda_star"] = _lambda_claims(pop.certified)
    else:
        why = "the population stage failed" if pop is None else str(pop.certified)
        notes.append(f"λ* not certified: {why}")
    if isinstance(v.gao.certified, GaoCertificate):
        claims["gao_lambda0"] = _gao_claims(v.gao.certified)
    family = family_parameters(act.expr)
    return {
        "format": FORMAT,
        "version": VERSION,
        "activation": {
            "spec": v.settings.activation,
            "expression": sp.sstr(act.expr),
            "breakpoints": [sp.sstr(b) for b in act.exact_breakpoints],
            "family": family,
        },
        "precision_bits": v.settings.precision.prec,
        "sigma_w2": float(v.sigma_w2).hex(),
        "inputs": {"n": v.data.n, "d": v.data.d, "x": array(v.data.x)},
        "envelopes": _envelopes(act),
        "claims": claims,
        "notes": notes,
    }


def write_certificate(v, path: str) -> None:
    """Write the certificate of ``v`` to ``path`` atomically (a temporary file in the same folder,
    then renamed: an interrupted run leaves no half-written file). Raises VerifyError when the
    folder cannot be written."""
    text = json.dumps(certificate_document(v), indent=1)
    folder = os.path.dirname(os.path.abspath(path)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".certificate-", dir=folder)
    except OSError as exc:
        raise VerifyError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would have made it (mkstemp makes 0600)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise VerifyError(f"cannot write {path}: {exc.strerror}") from None


__all__ = [
    "FORMAT",
    "VERSION",
    "array",
    "ball",
    "certificate_document",
    "exact",
    "write_certificate",
]
