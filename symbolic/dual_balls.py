"""The closed-form dual activation in ball arithmetic (theory §2, §4).

For every family :mod:`symbolic.families` recognizes (the arc-cosine duals of the relu family,
leaky relu and two-slope ReLUs included; erf, sin, cos, exp, step, sign, abs, the Gaussian, each
scaled as c·f(b·x)), the dual at equal variances q and correlation ρ,

    κ_q(ρ) = E[φ(u)φ(v)],  Var u = Var v = q, Cov(u, v) = qρ,

is the registry's expression in (q1, q2, c) at q1 = q2 = q, c = qρ, evaluated by Arb
(:func:`symbolic.balls.ball_function_of`): the ball contains κ_q(ρ) for every q in the q-ball and
the exact ρ given (no truncation, no tail). The relu node J₁ is evaluated as √((1-ρ)(1+ρ)) +
(π - arccos ρ)ρ, valid on [-1, 1] (its cancellation near ρ = -1 costs digits, not rigour).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from flint import arb

from symbolic.activations import Activation
from symbolic.balls import ball_function_of
from symbolic.families import Q1, Q2, C

Q = sp.Symbol("q", positive=True)
RHO = sp.Symbol("rho", real=True)


def kappa_expression(act: Activation) -> sp.Expr | None:
    """κ_q(ρ) as a sympy expression in (q, ρ), or None when φ has no closed-form dual."""
    if act.dual is None:
        return None
    return act.dual.subs(C, Q * RHO).subs({Q1: Q, Q2: Q}, simultaneous=True)


def kappa_ball(act: Activation) -> Callable[[arb, arb], arb] | None:
    """(q, ρ) ↦ a ball containing κ_q(ρ) for every q in the ball q (ρ exact, in [-1, 1]);
    None when φ has no closed-form dual."""
    expr = kappa_expression(act)
    return None if expr is None else ball_function_of(expr, (Q, RHO))


__all__ = ["RHO", "Q", "kappa_ball", "kappa_expression"]
