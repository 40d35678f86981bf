"""The population stage: G*, its λ_min (one Cholesky and Lanczos), the float Hermite certificate,
λ_min(Σ*) and Θ*, each computed once; λ* enclosed in ball arithmetic; the proofs that G* is
singular or that the variance recursion diverges.
"""

from __future__ import annotations

from functools import partial
from typing import TypeVar

import torch

from numeric.data import Correlation, Dataset
from numeric.gram import GramResult, population_gram_unit
from numeric.lambda_certificate import LambdaCertificate, certify_lambda_star
from numeric.ntk import ntk_infinite
from numeric.quadrature import hermite_float
from numeric.spectrum import (
    eigenvalues,
    hermite_certificate,
    spectral_bounds,
)
from symbolic.activations import Activation
from symbolic.errors import SolverError, VerifyError
from symbolic.hermite import parity
from symbolic.hermite_balls import tails
from symbolic.polynomial import PolynomialFact
from symbolic.variance_map import VarianceDiverges, divergence
from verify.checks.records import Population, SymbolicFacts
from verify.checks.stage import Failed, attempt
from verify.settings import ModelSettings, PrecisionSettings, Settings


def population(
    act: Activation, data: Dataset, model: ModelSettings, facts: SymbolicFacts, s: Settings
) -> Population:
    """G*, its λ_min (numeric.spectrum.spectral_bounds: the full spectrum waits for the report's
    figure) and λ*'s certified enclosure; with ``s.spectra`` also the
    informational float Hermite bound Σ_r μ_r² λ_lower(C^∘r), λ_min(Σ*) and Θ*'s (for the
    model's a-scale) λ_min. Θ* is built when first used (Population.theta_star)."""
    pop = s.population
    sups = (facts.sup_value(0), facts.sup_value(1), facts.sup_value(2))
    try:
        gram = population_gram_unit(act, data.x.to(s.device), model.sigma_w2, sups, pop)
    except SolverError:
        proof = diverging_variance(act, model.sigma_w2, data.d)
        if proof is not None:
            raise proof from None
        raise
    spectrum = spectral_bounds(gram.gram, gram.error)
    certified = certified_lambda(act, data, model, facts, s, gram, spectrum.lambda_min)
    cert = sigma_min = ntk_min = None
    theta = partial(ntk_infinite, act, gram, model.sigma_w2, model.a_scale)
    if s.spectra:  # informational: one pass over C's powers and one eigvalsh each, when asked
        mu = hermite_float(act, pop.certificate_terms, gram.q_star)
        cert = hermite_certificate(
            mu.values, mu.error, gram.corr, eig_upto=pop.eig_upto, eig_max_n=pop.eig_max_n
        )
        sigma_min = float(eigenvalues(gram.sigma)[0])
        theta_star = theta()
        ntk_min = float(eigenvalues(theta_star)[0])
        theta = partial(_same, theta_star)
    return Population(gram, spectrum, cert, certified, sigma_min, theta, ntk_min)


T = TypeVar("T")


def _same(value: T) -> T:
    return value


def diverging_variance(act: Activation, sigma_w2: float, d: int) -> VarianceDiverges | None:
    """The proof that the variance recursion diverges (symbolic.variance_map.divergence), or
    None when none closes (no growth envelope, or T(q) > q not proved everywhere)."""
    try:
        return divergence(act, sigma_w2, d, tails(act))
    except VerifyError:
        return None


def certified_lambda(
    act: Activation,
    data: Dataset,
    model: ModelSettings,
    facts: SymbolicFacts,
    s: Settings,
    gram: GramResult,
    estimate: float,
) -> LambdaCertificate | Failed | None:
    """The ball-arithmetic enclosure of λ* (None with --no-certify; Failed, with the reason,
    when no growth envelope, invariant interval or contraction is proved)."""
    if not s.precision.certify:
        return None
    return attempt(
        lambda: certify(
            act,
            data.x,
            model.sigma_w2,
            gram.sigma,
            gram.q_star,
            estimate,
            s.precision,
            gram.gram,
        )
    )


def certify(
    act: Activation,
    x: torch.Tensor,
    sigma_w2: float,
    sigma: torch.Tensor,
    q_star: float,
    estimate: float,
    p: PrecisionSettings,
    gram: torch.Tensor | None = None,
) -> LambdaCertificate:
    """λ* enclosed in ball arithmetic (theory §4) around the float Σ*, q* and λ_min(G*) =
    ``estimate`` of the rows of ``x``: q* on an invariant interval of the variance map (a local
    contraction, so φ' may be unbounded), the tails from φ's proved growth envelope; raises
    VerifyError when no envelope, invariant interval or contraction is proved. ``gram``, the float
    G* of the same Σ*, spares the certificate a second evaluation of its own midpoint."""
    return certify_lambda_star(
        act,
        x,
        sigma_w2,
        sigma,
        q_star,
        estimate,
        tails(act),
        terms=p.certify_terms,
        prec=p.prec,
        q_steps=p.certify_q_steps,
        dual_max_n=p.certify_dual_max_n,
        gram_float=gram,
    )


def singular_gram(
    act: Activation, data: Dataset, corr: Correlation, poly: PolynomialFact | Failed | None = None
) -> str | None:
    """A proof that G* is singular, or None: two identical inputs give two identical rows of
    G*; two opposite inputs give opposite rows when φ is odd (E[φ(-u)φ(v)] = -E[φ(u)φ(v)]);
    an affine φ (a proved polynomial of degree ≤ 1) gives G* = μ_0² 11ᵀ + μ_1² C with
    C = (2σ_w² G* + (2/d) XXᵀ)/q*, so (1 - 2σ_w²μ_1²/q*) G* = μ_0² 11ᵀ + (2μ_1²/(d q*)) XXᵀ has
    rank ≤ d + 1 (the factor is 1 - 2σ_w²b² for φ = a + bx, positive wherever q* exists:
    q*(1 - 2σ_w²b²) = 2σ_w²a² + 2/d > 0); a constant φ ≡ c gives G* = c²11ᵀ, of rank ≤ 1."""
    n, d = data.x.shape
    if isinstance(poly, PolynomialFact) and poly.is_polynomial and poly.degree is not None:
        if poly.degree == 0 and n >= 2:
            return f"φ is constant ({poly.reason}), so G* = c²·11ᵀ has rank ≤ 1 < n = {n}"
        if poly.degree <= 1 and n > d + 1:
            return (
                f"φ is affine ({poly.reason}), so G* is a combination of 11ᵀ and XXᵀ of rank "
                f"≤ d + 1 = {d + 1} < n = {n}"
            )
    i, j = corr.pair
    if i == j:
        return None
    if torch.equal(data.x[i], data.x[j]):
        return f"inputs {i} and {j} are equal, so rows {i} and {j} of G* are equal"
    if torch.equal(data.x[i], -data.x[j]) and parity(act) == "odd":
        return f"inputs {i} and {j} are opposite and φ is odd, so their rows of G* are opposite"
    return None
