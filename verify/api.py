"""The Python API: the five common uses in one call each, returning frozen results with tensors
and a readable summary (``repr``, and Markdown for notebooks).

    import verify
    r = verify.check("tanh", n=12, train=False)     # the CLI's run: verdicts, G*, training
    r.gram.lambda_star, r.gram.enclosure, r.hermite.coefficients[:4]
    verify.hermite("gelu", 8, q=0.5)                 # μ_0..μ_7(q), 30 digits
    g = verify.population_gram("sin", x, 1 / 16)     # G*, Σ*, q* for your inputs
    verify.lambda_star("sin", x, 1 / 16)             # λ* with its ball-arithmetic enclosure
    verify.train("tanh", x, y, width=512)            # a real DEQ trained by GD

The activation is a name, a formula, a sympy expression or a Python callable
(:mod:`verify.api_input`: library functions by their exact formula, others traced or refused).
Settings are the command line's, by their flag names without dashes (``n=12``, ``width=1024``,
``solver="anderson"``, ``prec=256``; ``verify.settings.Settings`` lists them all), parsed once
here into the typed record the library takes; defaults are ``Settings()``'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import torch

from verify.api_input import ActivationInput, activation_spec, refuse_settings, refuse_sigma_w2
from verify.settings import Settings, from_flat


def settings(activation: ActivationInput = "sin", **values: Any) -> Settings:
    """A :class:`Settings` from flat keys (the flags without dashes); unknown keys raise, values
    the command line refuses raise as there."""
    activation = activation_spec(activation)
    refuse_settings(values)
    try:
        return from_flat({**values, "activation": activation})
    except KeyError as exc:
        raise TypeError(f"unknown setting(s): {exc.args[0]}") from None


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
    """G*, Σ* (n×n float64) and q* for the given inputs; λ* from one eigvalsh, with its error
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
        """Ascending eigenvalues of G* (one eigvalsh)."""
        return torch.linalg.eigvalsh(self.gram)

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


def check(activation: ActivationInput, **values: Any):
    """The command line's run (``python -m verify activation NAME`` with these settings), as a
    :class:`verify.checks.Verification`: ``.verdict``, ``.conditions``, ``.gram``, ``.hermite``,
    ``.training``; it prints as the CLI's text."""
    from verify.checks import run_checks

    return run_checks(settings(activation, **values))


def hermite(activation: ActivationInput, n: int, q: float = 1.0, dps: int = 30) -> Hermite:
    """μ_0..μ_{n-1}(q) to ``dps`` digits (mpmath quadrature split at the exact kinks, with an
    error estimate from two rules): ``.values`` holds those mpmath numbers (within
    ``.values_error``), ``.coefficients`` their float64 roundings (within ``.error``, which
    includes the rounding)."""
    from symbolic.activations import resolve
    from symbolic.hermite import hermite_mp

    act = resolve(activation_spec(activation))
    co = hermite_mp(act, n, repr(float(q)), dps=dps)
    return Hermite.of(act, q, co.values, co.error, co.method)


def _act_sups(activation: str):
    """φ, its sup bounds as the CLI proves them, and (sup|φ|, sup|φ'|, sup|φ''|) as numbers (∞
    when refuted or unknown)."""
    from symbolic.activations import resolve
    from symbolic.bounds import SupBound
    from verify.checks import suprema

    act = resolve(activation)
    found = suprema(act)

    def value(b) -> float:
        return b.value if isinstance(b, SupBound) and b.bounded is not False else math.inf

    return act, found, tuple(value(found[k]) for k in (0, 1, 2))


def population_gram(
    activation: ActivationInput, x: torch.Tensor, sigma_w2: float, **values: Any
) -> PopulationGram:
    """G* and Σ* of theory §4 for the rows of ``x`` (n×d), by the population settings
    (``gram_tol``, ``gram_series_terms``, …). Unit-norm rows take the one-variance path; rows of
    different norms keep each input's own variance Σ_ii: through the closed-form dual where there
    is one (sin, cos, exp, erf, relu, step, …), else through the Mehler series with two variances
    (:mod:`numeric.gram_variances`; φ's kinks must sit at 0)."""
    activation = activation_spec(activation)
    s = settings(activation, sigma_w2=sigma_w2, **values)  # refused at once as --sigma-w2 is
    act, found, sups = _act_sups(activation)
    refuse_sigma_w2(sigma_w2, found[1], s.force)
    x = torch.as_tensor(x, dtype=torch.float64)
    return _gram(act, sups, x, sigma_w2, s)


def _gram(act, sups, x: torch.Tensor, sigma_w2: float, s: Settings) -> PopulationGram:
    from numeric.gram import population_gram as gram_of
    from numeric.gram import population_gram_general
    from numeric.gram_variances import population_gram_variances
    from numeric.spectrum import spectral_bounds

    pop = s.population
    if (x.norm(dim=1) - 1).abs().max() <= 1e-10:
        g = gram_of(act, x, sigma_w2, sups, pop)
    elif act.dual is None:
        g = population_gram_variances(act, x, sigma_w2, sups, pop)
    else:
        g = population_gram_general(
            act, x, sigma_w2, tol=pop.tol, max_steps=pop.max_steps, quadrature_points=None
        )
    spec = spectral_bounds(g.gram, g.error)
    return PopulationGram(g.gram, g.sigma, g.q_star, spec.lambda_min, spec.error, g.method)


def lambda_star(
    activation: ActivationInput, x: torch.Tensor, sigma_w2: float, **values: Any
) -> LambdaStar:
    """λ* for unit-norm rows of ``x`` (normalized here), with its certified enclosure (``prec``
    bits, 128 by default; see theory §4)."""
    from symbolic.errors import VerifyError
    from verify.checks import certify

    activation = activation_spec(activation)
    s = settings(activation, sigma_w2=sigma_w2, **values)  # refused at once as --sigma-w2 is
    act, found, sups = _act_sups(activation)
    refuse_sigma_w2(sigma_w2, found[1], s.force)
    x = torch.as_tensor(x, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    g = _gram(act, sups, x, sigma_w2, s)
    try:
        c = certify(act, x, sigma_w2, g.sigma, g.q_star, g.lambda_star, s.precision)
    except VerifyError as exc:
        return LambdaStar(g.lambda_star, None, "float eigvalsh only", str(exc))
    return LambdaStar(g.lambda_star, (c.lower, c.upper), c.method, None)


def train(
    activation: ActivationInput,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    width: int,
    seed: int = 0,
    **values: Any,
):
    """Gradient descent on a width-``width`` DEQ (W, U, a; exact implicit gradients; theory §3,
    §5) on the rows of ``x`` (normalized here) and labels ``y``; returns
    :class:`numeric.training.TrainingResult` (``.history.loss``, ``.rate``, ``.lambda_0``, …).
    σ_w² defaults as on the command line (1/(16L²))."""
    from numeric.data import Dataset
    from numeric.training import train as run
    from verify.checks import default_sigma_w2

    activation = activation_spec(activation)
    s = settings(activation, width=width, **values)
    act, found, sups = _act_sups(activation)
    model = s.model
    if model.sigma_w2 is not None:
        refuse_sigma_w2(model.sigma_w2, found[1], s.force)
    else:
        model = replace(model, sigma_w2=default_sigma_w2(sups[1]))
    x = torch.as_tensor(x, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True)
    data = Dataset(x, torch.as_tensor(y, dtype=torch.float64), "user tensors")
    return run(
        act,
        data,
        model,
        s.solve,
        s.schedule,
        lip=sups[1],
        seed=seed,
        theta_star=None,
        device=s.device,
        progress=None,
    )


__all__ = [
    "Hermite",
    "LambdaStar",
    "PopulationGram",
    "check",
    "hermite",
    "lambda_star",
    "population_gram",
    "settings",
    "train",
]
