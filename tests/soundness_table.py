"""Formulas whose truth was derived by hand, for the soundness tests (issue: sound on every formula
the parser accepts). Each row: the formula, then the truth of

* ``dphi``: φ' bounded on ℝ (φ Lipschitz), ``d2phi``: φ'' bounded (φ' Lipschitz);
* ``hermite``: infinitely many nonzero Hermite coefficients, for φ ∈ L²(N(0, 1));

as T (true), F (false), or R (φ is in no L²(N(0, q)): refused before any work, and never T).
The tool may answer INCONCLUSIVE anywhere, never the opposite of the truth. ``must`` marks the
columns the tool has to decide (the cases reported against it).

The derivation of each truth is in the comment on its row.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Truth:
    formula: str
    dphi: str
    d2phi: str
    hermite: str
    must: str = ""  # columns that must be decided: "d", "2", "h"
    fast: bool = False  # in the default run


T, F, R = "T", "F", "R"

TABLE: tuple[Truth, ...] = (
    # --- the cases of the issue -----------------------------------------------------------------
    # a sawtooth: tan → ±∞ at π/2 + kπ and atan(±∞) = ±π/2, so φ jumps by π there; bounded and
    # not constant, so no polynomial
    Truth("atan(tan(x))", F, F, T, "d2h", True),
    # poles at π/2 + kπ: tan² ~ 1/(x - a)², not integrable against any Gaussian
    Truth("tan(x)", F, F, R, "h", True),
    Truth("1/x", F, F, R, "h", True),  # a simple pole
    Truth("1/(x - sin(x))", F, F, R, "h", True),  # x - sin x = x³/6 + ...: a pole of order 3
    Truth("1/(exp(x) - 1 - x)", F, F, R, "h", True),  # e^x - 1 - x = x²/2 + ...: order 2
    # φ' = sech²x + 5sech²(x - 300), largest at x = 300: 5 + sech²(300); φ'' bounded (smooth,
    # decaying); bounded and not constant
    Truth("tanh(x) + 5*tanh(x - 300)", T, T, T, "d2h"),
    # a bump far outside the [-60, 60] grid: φ' = -2(x - 200)e^{-(x-200)²}, largest √2e^{-1/2}
    Truth("exp(-(x - 200)**2)", T, T, T, "d2h", True),
    # φ' = -2000(x - 1000)e^{-(x-1000)²}, largest 1000√2e^{-1/2} = 857.76 at 1000 ± 1/√2
    Truth("1000*exp(-(x - 1000)**2)", T, T, T, "d2", False),
    # a kink at the root a of x = cos x: φ' = ±(1 + sin x) jumps from -(1 + sin a) to 1 + sin a
    Truth("abs(x - cos(x))", T, F, T, "d2h", True),
    Truth("cos(x)**2 + sin(x)**2", T, T, F, "d2h", True),  # the constant 1
    Truth("softplus(x) - softplus(-x)", T, T, F, "d2h", True),  # log(e^x) = x: affine
    Truth("sin(x)**3 - (3*sin(x) - sin(3*x))/4", T, T, F, "d2h", True),  # identically 0
    Truth("(exp(x) + exp(-x))/2 - cosh(x)", T, T, F, "h", True),  # identically 0
    # √(x² + ε): φ' = x/√(x² + ε) ∈ (-1, 1), φ'' = ε/(x² + ε)^{3/2} ≤ ε^{-1/2} = 10⁶
    Truth("sqrt(x**2 + 1e-12)", T, T, T, "d2", True),
    # φ' = sin(1/x) - cos(1/x)/x is unbounded near 0; φ'' too; |φ| ≤ |x|: L², not a polynomial
    Truth("x*sin(1/x)", F, F, T),
    # φ' = 2x sin(1/x) - cos(1/x): bounded (|φ'| ≤ 3 near 0, → 1 at ±∞); φ'' ~ -sin(1/x)/x²
    Truth("x**2*sin(1/x)", T, F, T),
    Truth("(x**2)**(1/3)", F, F, T, "", True),  # |x|^{2/3}: φ' ~ |x|^{-1/3} at 0
    Truth("log(abs(x))", F, F, T, "", True),  # log|x| → -∞ at 0 but ∫log² is finite
    # (1 + e^{-2x})/2: φ' = -e^{-2x} unbounded at -∞; L² (exponential growth)
    Truth("cosh(x)/exp(x)", F, F, T, ""),
    Truth("(x + 1)**3 - x**3 - 1", F, T, F, "d2h", True),  # 3x² + 3x
    # |φ| ≤ e^{-x²}; φ' ⊃ 2x cos(e^{x²}), unbounded
    Truth("exp(-x**2)*sin(exp(x**2))", F, F, T),
    Truth("sin(x) + 3*exp(-(x - 50)**2)", T, T, T, "d2h"),  # smooth, every derivative bounded
    Truth("Heaviside(x, 1)", F, F, T, "d2h", True),  # a jump at 0
    Truth("Heaviside(x, 1/2)", F, F, T, "d2h", True),  # the same a.e.
    # --- registry and smooth activations --------------------------------------------------------
    Truth("sin", T, T, T, "d2h", True),
    Truth("cos", T, T, T, "d2h"),
    Truth("tanh", T, T, T, "d2h"),
    Truth("erf", T, T, T, "d2h"),
    Truth("sigmoid", T, T, T, "d2h"),
    Truth("softplus", T, T, T, "d2h"),  # φ' = sigmoid, φ'' = sigmoid' ≤ 1/4
    Truth("gelu", T, T, T, "d2"),
    Truth("swish", T, T, T, "d2"),
    Truth("atan", T, T, T, "d2h"),
    Truth("exp", F, F, T, "d2h", True),
    Truth("identity", T, T, F, "d2h", True),
    Truth("square", F, T, F, "d2h", True),
    Truth("x**3", F, F, F, "d2h"),
    Truth("x*exp(-x**2/2)", T, T, T, "d2h"),
    Truth("gaussian", T, T, T, "d2h"),
    Truth("relu", T, F, T, "d2h", True),  # φ' jumps from 0 to 1 at 0
    Truth("abs", T, F, T, "d2h"),
    Truth("step", F, F, T, "d2h", True),
    Truth("sign", F, F, T, "d2h"),
    Truth("leaky_relu", T, F, T, "d2h"),
    Truth("elu", T, T, T, "d2h", True),  # φ' = e^x | 1 is continuous; φ'' jumps but |φ''| ≤ 1
    Truth("softsign", T, T, T, "d2h", True),  # φ'' = -2 sign(x)/(1 + |x|)³: bounded, jumps
    Truth("x*abs(x)", F, T, T, "d2h", True),  # φ' = 2|x| unbounded, Lipschitz (φ'' = 2sign)
    Truth("abs(x)**3", F, F, T, "d2h", True),  # φ'' = 6|x|
    Truth("sqrt(x**2 + 1)", T, T, T, "d2"),  # φ' = x/√(1 + x²), φ'' = (1 + x²)^{-3/2}
    Truth("log(1 + x**2)", T, T, T, "d2"),  # φ' = 2x/(1 + x²) ≤ 1, φ'' ≤ 2
    Truth("x/(1 + x**2)", T, T, T, "d2h"),
    Truth("sin(x) + x/2", T, T, T, "d2h"),
    # φ' = 2x cos(x²): sympy's accumulation bounds at ∞ prove nothing (undecided, sound); φ is
    # bounded and not constant, so no polynomial
    Truth("sin(x**2)", F, F, T, "h", True),
    Truth("x*exp(x)", F, F, T, "d2", True),  # (1 + x)e^x
    Truth("x**4 - x**2", F, F, F, "d2h"),
    Truth("1/(1 + exp(-x)) - 1/2", T, T, T, "d2"),
    Truth("tanh(x)**2", T, T, T, "d2"),
    Truth("erfc(x)", T, T, T, "d2h"),
    Truth("asinh(x)", T, T, T, "d2"),  # φ' = (1 + x²)^{-1/2}
    Truth("sinh(x)", F, F, T, "d2h"),
    Truth("cosh(x)", F, F, T, "d2h"),
    Truth("x - sin(x)", T, T, T, "d2"),  # φ' = 1 - cos x ≤ 2; not a polynomial
    Truth("Min(x, 1)", T, F, T, "d2h"),
    Truth("Max(Min(x, 1), -1)", T, F, T, "d2h", True),  # hard tanh: bounded, not constant
    Truth("sign(x)*x**2", F, T, T, "d2h", True),  # x|x| again
    Truth("exp(-x**2)*sign(x)", F, F, T, "d2h", True),  # a jump from -1 to 1 at 0
    Truth("1/(1 + x**2)", T, T, T, "d2h"),
    Truth("sqrt(abs(x))", F, F, T, "d2", True),  # φ' ~ |x|^{-1/2} at 0
    Truth("abs(x)**(-1/4)", F, F, T, "h", True),  # a singularity with ∫|x|^{-1/2} finite
    Truth("abs(x)**(-1/2)", F, F, R, "h", True),  # ∫|x|^{-1} diverges
    Truth("exp(x**3)", F, F, R, "h", True),  # faster than every e^{cx²} at +∞
    Truth("x**2*exp(-x**2)", T, T, T, "d2h"),
    Truth("tanh(1/x)", F, F, T, "d2h", True),  # jumps from -1 to 1 at 0
    Truth("atan(1/x)", F, F, T, "d2h", True),  # jumps from -π/2 to π/2 at 0
    Truth("x + atan(1/x)", F, F, T, "d2"),
    Truth("exp(-1/x**2)", T, T, T),  # C^∞, every derivative → 0 at 0
    Truth("sin(1/x)", F, F, T),  # bounded, no limit at 0
    Truth("x*sign(x - 300)", F, F, T, "d2h", True),  # jumps from -300 to 300 at 300
    Truth("Heaviside(x - 300) - Heaviside(x - 301)", F, F, T, "d2h"),
    Truth("Max(x, 0) + Max(x - 100, 0)", T, F, T, "d2h", True),  # two kinks, slope 2 beyond 100
    Truth("x*Heaviside(x)", T, F, T, "d2h", True),  # the ReLU
    Truth("(x + abs(x))/2", T, F, T, "d2h"),
    Truth("abs(sin(x))", T, F, T, "2h", True),  # φ' = ±cos x jumps at kπ; bounded
    Truth("sin(abs(x))", T, F, T, "d2h", True),  # φ' = sign(x)cos x jumps from -1 to 1 at 0
    Truth("exp(-abs(x))", T, F, T, "d2h", True),  # φ' jumps from 1 to -1 at 0
    Truth("exp(x/10)", F, F, T, "d2h"),
    Truth("3*x**2 + 1", F, T, F, "d2h"),
    Truth("atan(x**3)", T, T, T, "d2"),  # φ' = 3x²/(1 + x⁶) ≤ 3/2^{2/3}·...: bounded
    Truth("tan(atan(x))", T, T, F, "d2h", True),  # sympy writes it x
    Truth("1/(2 + sin(x))", T, T, T, "d2h"),
    Truth("sin(x)/x", T, T, T),  # removable at 0: entire
    Truth("1/abs(x - cos(x))", F, F, R),  # a pole at the root of x = cos x
)

#: Exact suprema sup|φ'| (L) that a certified enclosure must contain (derived on the rows above).
LIPSCHITZ: dict[str, tuple[float, float]] = {
    # (value, the width the enclosure may have)
    "tanh(x) + 5*tanh(x - 300)": (5.0 + 4 * 2.718281828459045**-600, 1e-9),
    "1000*exp(-(x - 1000)**2)": (1000 * 2**0.5 * 2.718281828459045**-0.5, 1e-6),
    "exp(-(x - 200)**2)": (2**0.5 * 2.718281828459045**-0.5, 1e-12),
}


__all__ = ["LIPSCHITZ", "TABLE", "F", "R", "T", "Truth"]
