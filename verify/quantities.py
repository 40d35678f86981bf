"""The quantities a user asks for, as frozen records with tensors and a readable summary
(``repr``, and Markdown for notebooks): the Hermite coefficients μ_n(q), λ* with its certified
enclosure, and G*, Σ*, q* with λ*. :mod:`verify.api` returns them, and a run's
:class:`verify.checks.records.Verification` shows its own through ``.hermite`` and ``.gram``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Hermite:
    """μ_n(q) = E[φ(√q Z) h_n(Z)] for n < len(coefficients), h_n = He_n/√(n!).

    ``values`` are the computed numbers at the precision of the route (mpmath numbers to
    ``dps`` digits for :func:`hermite`), within ``values_error``; ``coefficients`` are the same
    rounded to float64, within ``error`` (``values_error`` plus the float64 rounding, up to half
    an ulp of each). The indices in ``zeros`` are exactly 0 by φ's proved parity (stored as 0,
    not as quadrature noise)."""

    activation: str
    q: float
    coefficients: tuple[float, ...]
    error: float  # bound on |coefficients[n] - μ_n(q)| (estimate of the route's error + rounding)
    method: str
    zeros: tuple[int, ...] = ()
    values: tuple = ()  # the route's own numbers (mpmath at dps digits), within values_error
    values_error: float = 0.0

    @classmethod
    def of(cls, act, q: float, values, error: float, method: str) -> Hermite:
        """With the parity zeros of ``act`` set exactly (symbolic.hermite.parity); ``values``
        are the route's numbers (floats or mpmath numbers) within ``error``."""
        from symbolic.hermite import parity
        from symbolic.hermite_balls import zero_by_parity

        kind = parity(act)
        zeros = tuple(n for n in range(len(values)) if zero_by_parity(kind, n))
        exact = tuple(0 * v if n in zeros else v for n, v in enumerate(values))
        floats = tuple(float(v) for v in exact)
        rounding = max((_rounding(v, f) for v, f in zip(exact, floats)), default=0.0)
        return cls(
            act.name,
            float(q),
            floats,
            float(error + rounding) if rounding else float(error),
            method,
            zeros,
            exact,
            float(error),
        )

    def as_tensor(self) -> torch.Tensor:
        return torch.tensor(self.coefficients, dtype=torch.float64)

    def __repr__(self) -> str:
        head = ", ".join(f"{c:.6g}" for c in self.coefficients[:6])
        more = ", …" if len(self.coefficients) > 6 else ""
        return (
            f"Hermite({self.activation}, q={self.q:g}: μ = [{head}{more}] "
            f"(N = {len(self.coefficients)}, float64 error ≤ {self.error:.1e}; values to "
            f"{self.values_error:.1e}))"
        )

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {n} | {c:.12g} |" for n, c in enumerate(self.coefficients))
        return (
            f"**Hermite coefficients of {self.activation}** at q = {self.q:g} "
            f"({self.method}; float64 error ≤ {self.error:.1e})\n\n| n | μ_n |\n|---|---|\n{rows}\n"
        )


def _rounding(value, rounded: float) -> float:
    """|value - rounded| exactly (value a float or an mpmath number), rounded up to a float."""
    from fractions import Fraction

    if isinstance(value, float):
        return 0.0 if value == rounded else math.inf
    sign, man, exp, _ = value._mpf_  # value = (-1)^sign·man·2^exp exactly (mpmath's raw form)
    exact = (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)
    diff = abs(exact - Fraction(rounded))
    up = float(diff)
    return up if Fraction(up) >= diff else math.nextafter(up, math.inf)


@dataclass(frozen=True)
class LambdaStar:
    """λ* = λ_min(G*): the float value, and [lo, hi] ∋ λ* proved in ball arithmetic (None when no
    proof closed: ``failure`` says why)."""

    value: float
    enclosure: tuple[float, float] | None
    method: str
    failure: str | None

    @property
    def certified_positive(self) -> bool:
        return self.enclosure is not None and self.enclosure[0] > 0

    def __repr__(self) -> str:
        if self.enclosure is None:
            return f"LambdaStar({self.value:.10g}, not certified: {self.failure})"
        from verify.decimals import interval

        return f"LambdaStar({self.value:.10g} ∈ {interval(*self.enclosure, 10)}, certified)"

    def _repr_markdown_(self) -> str:
        return f"λ* = {self.value:.10g}; {self!r}; method: {self.method}"


@dataclass(frozen=True)
class PopulationGram:
    """G*, Σ* (n×n float64) and q* for the given inputs; λ* = λ_min(G*) (shift-invert Lanczos on a
    Cholesky factor, eigvalsh when G* is not numerically positive definite), with its error
    bar, and how G* was computed."""

    gram: torch.Tensor
    sigma: torch.Tensor
    q_star: float
    lambda_star: float
    lambda_error: float
    method: str
    certificate: LambdaStar | None = None  # the certified enclosure, when one was computed

    @property
    def eigenvalues(self) -> torch.Tensor:
        """Ascending eigenvalues of G* (one eigvalsh, within ``lambda_error``)."""
        from numeric.spectrum import eigenvalues

        return eigenvalues(self.gram)

    @property
    def enclosure(self) -> tuple[float, float] | None:
        return None if self.certificate is None else self.certificate.enclosure

    def __repr__(self) -> str:
        n = self.gram.shape[0]
        cert = "" if self.certificate is None else f", {self.certificate!r}"
        return (
            f"PopulationGram(n={n}, q*={self.q_star:.8g}, λ*={self.lambda_star:.8g} ± "
            f"{self.lambda_error:.1e}{cert}; {self.method})"
        )

    def _repr_markdown_(self) -> str:
        return f"`{self!r}`"


__all__ = ["Hermite", "LambdaStar", "PopulationGram"]
