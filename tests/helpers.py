"""Shared test settings: every default comes from verify.settings.Settings, as for a user."""

import math
from dataclasses import replace

import torch

from numeric.deq import init_params
from numeric.gram import population_gram_unit
from numeric.quadrature import hermite_float
from numeric.spectrum import hermite_certificate
from verify.settings import Settings

S = Settings()
S2 = 1 / 16  # σ_w² = 1/(16 L²) for L = 1: the default for sin and tanh
SOLVE = S.solve
POP = S.population
SCHEDULE = S.schedule
UNKNOWN_SUPS = (math.inf, math.inf, math.inf)  # sup|φ|, sup|φ'|, sup|φ''| not given


def model(width: int, sigma_w2: float = S2, **changes):
    """The default model settings at ``width`` and ``sigma_w2``."""
    return replace(S.model, width=width, sigma_w2=sigma_w2, **changes)


def gram(act, x, sigma_w2: float = S2, sups=UNKNOWN_SUPS):
    """G* with the default population settings."""
    return population_gram_unit(act, x, sigma_w2, sups, POP)


def certificate(act, g, terms: int = 200):
    """The Hermite certificate of λ* for the Gram result ``g``, default settings."""
    mu = hermite_float(act, terms, g.q_star)
    return hermite_certificate(
        mu.values, mu.error, g.corr, eig_upto=POP.eig_upto, eig_max_n=POP.eig_max_n
    )


def params(width: int, d: int, seed: int = 0, lip: float = 1.0, **changes):
    """init_params with the default model settings."""
    return init_params(model(width, **changes), d, lip, seed, "cpu")


def eigmin(m: torch.Tensor) -> float:
    return float(torch.linalg.eigvalsh((m + m.T) / 2)[0])


def certified(act, g, x, sigma_w2: float = S2, *, prec: int = 128, terms: int = 48, **changes):
    """The ball-arithmetic enclosure of λ* for the float result ``g`` (as the CLI builds it)."""
    from verify.checks import certify

    p = replace(S.precision, prec=prec, certify_terms=terms, **changes)
    return certify(act, x, sigma_w2, g.sigma, g.q_star, eigmin(g.gram), p)
