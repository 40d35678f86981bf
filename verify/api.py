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
from dataclasses import fields, replace
from typing import Any

import torch

from verify.api_input import ActivationInput, activation_spec, refuse_settings, refuse_sigma_w2
from verify.checks.facts import default_sigma_w2, suprema
from verify.checks.pipeline import run_checks
from verify.checks.population import certify
from verify.checks.records import Verification
from verify.quantities import Hermite, LambdaStar, PopulationGram
from verify.render import render_markdown, render_text
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


class Checked(Verification):
    """A run as :func:`check` returns it: the :class:`Verification` record, printed as the command
    line's text (``str``) and as its Markdown section in notebooks."""

    @classmethod
    def of(cls, v: Verification) -> Checked:
        return cls(**{f.name: getattr(v, f.name) for f in fields(Verification)})

    def __str__(self) -> str:
        return render_text(self)

    def _repr_markdown_(self) -> str:
        return render_markdown(self)


def check(activation: ActivationInput, **values: Any) -> Checked:
    """The command line's run (``python -m verify activation NAME`` with these settings), as a
    :class:`verify.checks.records.Verification`: ``.verdict``, ``.conditions``, ``.gram``,
    ``.hermite``, ``.training``; it prints as the CLI's text."""
    return Checked.of(run_checks(settings(activation, **values)))


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
    from numeric.gram import population_gram_general
    from numeric.gram import population_gram_unit as gram_of
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
    from numeric.training import train_deq as run

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
    "Checked",
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
