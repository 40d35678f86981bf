"""Catalogue of known answers (theory §1, §2, §6), used through parametrize with readable ids."""

import math

import mpmath

# name -> μ_n(1) for n = 0..5, from theory §1 / hand derivations (independent of symbolic.families)
KNOWN_MU = {
    "sin": [
        math.exp(-0.5) * math.sin(n * math.pi / 2) / math.sqrt(math.factorial(n)) for n in range(6)
    ],
    "exp": [math.exp(0.5) / math.sqrt(math.factorial(n)) for n in range(6)],
    "cos": [
        math.exp(-0.5) * math.cos(n * math.pi / 2) / math.sqrt(math.factorial(n)) for n in range(6)
    ],
    "relu": [
        1 / math.sqrt(2 * math.pi),
        0.5,
        1 / (2 * math.sqrt(math.pi)),
        0.0,
        -math.sqrt(3) / (12 * math.sqrt(math.pi)),
        0.0,
    ],
    "step": [
        0.5,
        1 / math.sqrt(2 * math.pi),
        0.0,
        -1 / math.sqrt(2 * math.pi * 6) * 1,
        0.0,
        3 / math.sqrt(2 * math.pi * 120),
    ],
    "identity": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
    "square": [1.0, 0.0, math.sqrt(2), 0.0, 0.0, 0.0],
}


def dual_reference(name, q1, q2, c):
    """theory §2 closed forms, written out independently of the registry."""
    rho = c / math.sqrt(q1 * q2)
    return {
        "exp": math.exp((q1 + q2) / 2 + c),
        "sin": math.exp(-(q1 + q2) / 2) * math.sinh(c),
        "cos": math.exp(-(q1 + q2) / 2) * math.cosh(c),
        "erf": 2 / math.pi * math.asin(2 * c / math.sqrt((1 + 2 * q1) * (1 + 2 * q2))),
        "relu": math.sqrt(q1 * q2)
        * (math.sqrt(1 - rho**2) + (math.pi - math.acos(rho)) * rho)
        / (2 * math.pi),
        "step": 0.25 + math.asin(rho) / (2 * math.pi),
    }[name]


def mu_by_mpmath_quad(fn, n, q=1, dps=30, cuts=(0,)):
    """The naive, independent route: one mpmath.quad per coefficient, split at ``cuts`` (in z)."""
    with mpmath.workdps(dps):
        rq = mpmath.sqrt(q)

        def integrand(z):
            return (
                fn(rq * z)
                * mpmath.hermite(n, z / mpmath.sqrt(2))
                * 2 ** (-mpmath.mpf(n) / 2)
                * mpmath.npdf(z)
            )

        return mpmath.quad(integrand, [-mpmath.inf, *cuts, mpmath.inf]) / mpmath.sqrt(
            mpmath.factorial(n)
        )
