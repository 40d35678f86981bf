"""What a Python user hands the API, read into what the library takes.

An activation may be given four ways, and each becomes the text the command line takes (a
registry name or a formula), so a Python call and ``python -m verify activation TEXT`` run the
same φ and every symbolic proof applies:

- a **string**: a registry name or a formula, as on the command line;
- a **sympy expression** in one real symbol, accepted in the formula vocabulary only
  (:func:`symbolic.formula_text.formula_text`);
- a **known callable** (``torch.tanh``, ``torch.nn.functional.gelu``, ``torch.nn.Tanh()``,
  ``numpy.tanh``, ``math.tanh``, …; matched by identity, or by exact type for torch modules) is
  its exact formula, with its parameters (``negative_slope``, ``alpha``, ``beta``,
  ``approximate``, …) read from the module or from a ``functools.partial``;
- any **other callable** is called once on the sympy symbol x. If it returns an expression in the
  formula vocabulary, and that expression agrees with the callable's own values at 15 points, it
  is that formula. Otherwise it is refused: a black box cannot be proved.

σ_w² given to the API is refused exactly as on the command line (:func:`refuse_sigma_w2`).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Union

from symbolic.errors import FormulaError, VerifyError

if TYPE_CHECKING:
    import sympy as sp

    from symbolic.bounds import SupBound

#: What the API accepts as an activation.
ActivationInput = Union[str, "sp.Expr", Callable[..., Any]]


def activation_spec(activation: ActivationInput) -> str:
    """The command-line text of ``activation`` (a name or a formula; see the module docstring for
    the four forms); raises :class:`FormulaError` with one line for anything else."""
    if isinstance(activation, str):
        return activation
    known = known_formula(activation)
    if known is not None:
        return known
    if _is_sympy(activation) and not isinstance(activation, sys.modules["sympy"].Lambda):
        from symbolic.formula_text import formula_text

        return formula_text(activation)
    if callable(activation):
        return traced_formula(activation)
    raise FormulaError(
        f"an activation is a name, a formula string, a sympy expression or a Python function of "
        f"one variable; got {type(activation).__name__} {_short(activation)}"
    )


def _is_sympy(obj: object) -> bool:
    return "sympy" in sys.modules and isinstance(obj, sys.modules["sympy"].Basic)


# --- known callables ------------------------------------------------------------------------------


def _fixed(text: str) -> Callable[..., str]:
    """A parameterless function: its formula (``inplace`` is accepted and changes nothing)."""

    def build(*, inplace: bool = False) -> str:
        return text

    return build


def _number(value: object, what: str) -> str:
    """A finite real parameter as a formula literal (float64's shortest decimal, parenthesized)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FormulaError(f"{what} = {_short(value)}: expected a real number")
    v = float(value)
    if not math.isfinite(v):
        raise FormulaError(f"{what} = {v}: expected a finite number")
    return f"({v!r})"


def _gelu(*, approximate: str = "none") -> str:
    if approximate == "none":
        return "gelu"
    if approximate == "tanh":
        return "x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x**3)))/2"
    raise FormulaError(f"gelu approximate = {approximate!r}: expected 'none' or 'tanh'")


def _softplus(*, beta: float = 1.0, threshold: float = 20.0) -> str:
    """(1/β) log(1 + e^{βx}); torch's linear shortcut above ``threshold`` (a float64 economy,
    within e^{-threshold} relatively) is not part of the function."""
    b = _number(beta, "softplus beta")
    _number(threshold, "softplus threshold")
    return "softplus" if float(beta) == 1.0 else f"log(1 + exp({b}*x))/{b}"


def _elu(*, alpha: float = 1.0, inplace: bool = False) -> str:
    a = _number(alpha, "elu alpha")
    return "elu" if float(alpha) == 1.0 else f"Max(0, x) + {a}*Min(0, exp(x) - 1)"


def _leaky_relu(*, negative_slope: float = 0.01, inplace: bool = False) -> str:
    s = _number(negative_slope, "leaky_relu negative_slope")
    return "leaky_relu" if float(negative_slope) == 0.01 else f"Max(0, x) + {s}*Min(0, x)"


def _hardtanh(*, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> str:
    lo, hi = _number(min_val, "hardtanh min_val"), _number(max_val, "hardtanh max_val")
    return f"Min(Max(x, {lo}), {hi})"


#: A library function's name -> its formula (a registry name where there is one).
TEXT: dict[str, str] = {
    **{n: n for n in ("sin", "cos", "exp", "tanh", "erf", "atan", "sign", "square", "sigmoid")},
    **{n: n for n in ("relu", "softsign")},
    **{n: f"{n}(x)" for n in ("tan", "sinh", "cosh", "erfc", "asinh")},
    **{"arctan": "atan", "arcsinh": "asinh(x)", "expit": "sigmoid", "silu": "swish"},
    **{"abs": "abs", "absolute": "abs", "fabs": "abs"},
    **{"mish": "x*tanh(softplus(x))", "relu6": "Min(Max(0, x), 6)"},
}
_MATH = ("sin", "cos", "tan", "exp", "tanh", "sinh", "cosh", "erf", "erfc", "atan", "asinh")
_NUMPY = ("sin", "cos", "tan", "exp", "tanh", "sinh", "cosh", "arctan", "arcsinh", "absolute")
_TORCH = (*_NUMPY, "erf", "erfc", "atan", "asinh", "abs", "sign", "square", "sigmoid", "relu")
_FUNCTIONAL = ("tanh", "sigmoid", "relu", "silu", "softsign", "mish", "relu6")


def _known_functions() -> list[tuple[object, Callable[..., str]]]:
    """(callable, formula builder) for every library already imported (none is imported here:
    an object of a library not imported cannot have been passed)."""
    table: list[tuple[object, Callable[..., str]]] = [(abs, _fixed("abs"))]
    table += _named(math, (*_MATH, "fabs"))
    if (np := sys.modules.get("numpy")) is not None:
        table += _named(np, (*_NUMPY, "fabs", "sign", "square"))
    if (special := sys.modules.get("scipy.special")) is not None:
        table += _named(special, ("erf", "erfc", "expit"))
    if (torch := sys.modules.get("torch")) is not None:
        F = torch.nn.functional
        table += _named(torch, _TORCH) + _named(torch.special, ("erf", "erfc", "expit"))
        table += _named(F, _FUNCTIONAL)
        table += [(F.gelu, _gelu), (F.softplus, _softplus), (F.elu, _elu)]
        table += [(F.leaky_relu, _leaky_relu), (F.hardtanh, _hardtanh)]
    return table


def _named(module: Any, names: tuple[str, ...]) -> list[tuple[object, Callable[..., str]]]:
    return [(getattr(module, n), _fixed(TEXT[n])) for n in names]


def _torch_module_formula(module: object) -> str | None:
    """The formula of a torch.nn activation module (exact type: a subclass may override forward),
    its parameters read from the instance (the class itself: its default instance); None for
    any other object."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    nn = torch.nn
    fixed = {nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.ReLU: "relu", nn.SiLU: "swish"}
    fixed |= {nn.Softsign: "softsign", nn.Mish: TEXT["mish"], nn.ReLU6: TEXT["relu6"]}
    fixed |= {nn.Identity: "identity"}
    built = {
        nn.GELU: lambda m: _gelu(approximate=m.approximate),
        nn.Softplus: lambda m: _softplus(beta=m.beta, threshold=m.threshold),
        nn.ELU: lambda m: _elu(alpha=m.alpha),
        nn.LeakyReLU: lambda m: _leaky_relu(negative_slope=m.negative_slope),
        nn.Hardtanh: lambda m: _hardtanh(min_val=m.min_val, max_val=m.max_val),
    }
    if isinstance(module, type) and (module in fixed or module in built):
        module = module()
    kind = type(module)
    if kind in fixed:
        return fixed[kind]
    return built[kind](module) if kind in built else None


def known_formula(fn: object) -> str | None:
    """The exact formula of a known library callable, else None: matched by identity against the
    table of :func:`_known_functions`, by exact type for a torch.nn module, and through a
    ``functools.partial`` of a known function with keyword parameters (``negative_slope=0.2``).
    A parameter the function does not take, or a positional one, is refused."""
    if isinstance(fn, functools.partial):
        base = _builder(fn.func)
        if base is None:
            return None
        if fn.args:
            raise FormulaError(
                f"partial({_name(fn.func)}, ...) binds positional arguments; give the "
                "function's parameters by keyword"
            )
        try:
            inspect.signature(base).bind(**fn.keywords)
        except TypeError:
            takes = ", ".join(inspect.signature(base).parameters) or "no parameters"
            raise FormulaError(
                f"partial({_name(fn.func)}, {', '.join(fn.keywords)}=...): the function takes "
                f"{takes}"
            ) from None
        return base(**fn.keywords)
    base = _builder(fn)
    if base is not None:
        return base()
    return _torch_module_formula(fn)


def _builder(fn: object) -> Callable[..., str] | None:
    return next((b for obj, b in _known_functions() if obj is fn), None)


# --- other callables: traced on a sympy symbol ---------------------------------------------------

#: Where a traced formula must agree with the callable's own value (the parser's reality probes
#: and seven more, 0 included, so that a branch the trace took wrongly is seen).
AGREEMENT_POINTS = (-7.3, -3.3, -2.1, -1.1, -0.7, -0.3, -0.01, 0.0, 0.013, 0.25, 0.6, 1.4, 1.9)
AGREEMENT_POINTS += (3.7, 6.8)
#: |callable(p) - formula(p)| ≤ AGREEMENT_TOL·max(1, |formula(p)|): float64 code evaluating the
#: same formula differs by rounding only (~1e-15 relative); a wrong branch differs by O(1).
AGREEMENT_TOL = 1e-9


def traced_formula(fn: Callable[..., Any]) -> str:
    """The formula of a user's callable, found by calling it once on the sympy symbol x (the
    user's own code, run as they would run it; no text is evaluated): its result must be an
    expression in the formula vocabulary, and the callable's values at
    :data:`AGREEMENT_POINTS` must agree with the formula's within :data:`AGREEMENT_TOL`. Else
    :class:`FormulaError`: a black box cannot be proved."""
    import sympy as sp

    from symbolic.formula import X
    from symbolic.formula_text import formula_text

    name = _name(fn)
    try:
        out = fn(X)
    except Exception:  # the user's code: any failure on a symbol means it cannot be traced
        raise FormulaError(
            f"{name} does not run on a sympy symbol, so it cannot be proved (a black box); {_GIVE}"
        ) from None
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        out = sp.Rational(repr(float(out))) if isinstance(out, float) else sp.Integer(int(out))
    if not isinstance(out, sp.Expr):
        raise FormulaError(f"{name} returns {type(out).__name__} on a sympy symbol; {_GIVE}")
    try:
        text = formula_text(out)
    except FormulaError as exc:
        raise FormulaError(f"{name}, traced on a sympy symbol: {exc}; {_GIVE}") from None
    _check_agreement(fn, name, text)
    return text


_GIVE = "give a formula (e.g. 'x*tanh(x)') or a sympy expression so that it can be proved"


def _check_agreement(fn: Callable[..., Any], name: str, text: str) -> None:
    import mpmath

    from symbolic.evaluate import mp_function
    from symbolic.formula import parse_formula

    formula = mp_function(parse_formula(text))
    for p in AGREEMENT_POINTS:
        try:
            with mpmath.workdps(30):
                want = float(formula(mpmath.mpf(p)))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue  # not real there: the reality check of the formula decides
        if not math.isfinite(want):
            continue
        got = _value_at(fn, p)
        if got is None or not abs(got - want) <= AGREEMENT_TOL * max(1.0, abs(want)):
            seen = "no number" if got is None else repr(got)
            raise FormulaError(
                f"{name} traced on a sympy symbol gives {text}, but at x = {p} it returns {seen}, "
                f"not {want!r} (a branch on its argument?); {_GIVE}"
            )


def _value_at(fn: Callable[..., Any], p: float) -> float | None:
    """fn(p) as a float (called with a Python float), or None when it gives no real number."""
    try:
        return float(fn(p))
    except Exception:  # the user's code
        return None


# --- σ_w² -----------------------------------------------------------------------------------------


def setting_refusal(key: str, value: object) -> str | None:
    """Why the command line would refuse ``--KEY value`` at parsing (its flag's own parse rule,
    applied to the number as text), or None; non-numbers and flags without a rule pass."""
    import argparse

    from verify.settings import Settings, leaves

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    parse = next((f.metadata.get("parse") for k, f, _ in leaves(Settings()) if k == key), None)
    if parse is None:
        return None
    try:
        parse(str(value))
    except argparse.ArgumentTypeError as exc:
        return f"{key}: {exc}"
    return None


def refuse_settings(values: dict[str, Any]) -> None:
    """Raise :class:`VerifyError` for the first value the command line would refuse at parsing
    (:func:`setting_refusal`): the API takes no value the CLI refuses."""
    for key, value in values.items():
        why = setting_refusal(key, value)
        if why:
            raise VerifyError(why)


def refuse_sigma_w2(sigma_w2: float, lip: SupBound | object, force: bool) -> None:
    """Refuse σ_w² as the command line does: its ``--sigma-w2`` parse (a positive finite number;
    never overridable), then :func:`verify.refusals.outside_theory` for the proved L = sup|φ'|
    (raises :class:`verify.refusals.OutsideTheory` unless ``force``, as ``--force`` does)."""
    from symbolic.bounds import SupBound
    from verify.refusals import OutsideTheory, outside_theory

    why = setting_refusal("sigma_w2", sigma_w2)
    if why:
        raise OutsideTheory(why, overridable=False)
    reason = outside_theory(float(sigma_w2), lip if isinstance(lip, SupBound) else None)
    if reason and not force:
        raise OutsideTheory(f"{reason}; or pass force=True to compute anyway")


def _name(fn: object) -> str:
    """How a callable is named in a message: module.name (top-level module), or its type."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        return f"the {type(fn).__name__} object"
    module = (getattr(fn, "__module__", None) or "").split(".")[0]
    if name == "<lambda>":
        return "the lambda"
    return f"{module}.{name}" if module and module not in ("builtins", "__main__") else name


def _short(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = [
    "AGREEMENT_POINTS",
    "AGREEMENT_TOL",
    "ActivationInput",
    "activation_spec",
    "known_formula",
    "refuse_settings",
    "refuse_sigma_w2",
    "setting_refusal",
    "traced_formula",
]
