"""The Python API takes what a Python user has in hand: library callables (each mapped to its
exact formula, checked here against the callable's own float64 values), sympy expressions in the
formula vocabulary, traceable user functions, and refuses the rest in one line. Also: ``dir``,
short reprs of the result records, and σ_w² refused exactly as on the command line."""

from __future__ import annotations

import functools
import math
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy as sp
import torch
import torch.nn.functional as F

import verify
from numeric.data import Dataset
from numeric.deq import DEQParams
from numeric.gram import GramResult
from numeric.spectrum import Spectrum
from symbolic.activations import REGISTRY, resolve
from symbolic.errors import FormulaError, VerifyError
from symbolic.formula import X
from verify.api import settings
from verify.api_input import activation_spec, refuse_sigma_w2
from verify.checks import suprema
from verify.cli import main
from verify.refusals import OutsideTheory, outside_theory

ROOT = Path(__file__).resolve().parent.parent

#: float64 arguments on both sides of 0, 0 and tiny values included (sign, |x|, kinks at 0).
POINTS = np.concatenate([np.linspace(-8.0, 8.0, 161), [-1e-3, 1e-3, 0.013, -0.013, 2.0**-30]])
#: A library's float64 value vs the formula's 30-digit value: a few ulps of the largest quantity
#: in the computation (|x| or |φ(x)|, at least 1; the cancellations of gelu and mish at x < 0 are
#: absolute). A wrong function or parameter differs by more than 1e-5.
TOL = 1e-14


def _torch_call(fn, xs):
    return fn(torch.tensor(xs, dtype=torch.float64)).numpy()


def _numpy_call(fn, xs):
    return np.asarray(fn(np.asarray(xs, dtype=np.float64)), dtype=np.float64)


def _scalar_call(fn, xs):
    return np.array([float(fn(float(v))) for v in xs])


# (id, callable, how it is called, points): each is mapped to a formula, which must agree.
KNOWN = [
    *[(f"torch.{n}", getattr(torch, n), _torch_call) for n in ("tanh", "sin", "cos", "exp")],
    *[(f"torch.{n}", getattr(torch, n), _torch_call) for n in ("sinh", "cosh", "erf", "erfc")],
    *[(f"torch.{n}", getattr(torch, n), _torch_call) for n in ("atan", "asinh", "abs", "sign")],
    *[(f"torch.{n}", getattr(torch, n), _torch_call) for n in ("square", "sigmoid", "relu")],
    ("torch.special.expit", torch.special.expit, _torch_call),
    *[(f"F.{n}", getattr(F, n), _torch_call) for n in ("tanh", "sigmoid", "relu", "gelu")],
    *[(f"F.{n}", getattr(F, n), _torch_call) for n in ("silu", "softplus", "elu", "leaky_relu")],
    *[(f"F.{n}", getattr(F, n), _torch_call) for n in ("softsign", "hardtanh", "relu6", "mish")],
    ("partial(F.leaky_relu, 0.2)", functools.partial(F.leaky_relu, negative_slope=0.2), None),
    ("partial(F.gelu, tanh)", functools.partial(F.gelu, approximate="tanh"), _torch_call),
    ("partial(F.elu, 2)", functools.partial(F.elu, alpha=2.0), _torch_call),
    ("partial(F.softplus, 2.5)", functools.partial(F.softplus, beta=2.5), _torch_call),
    ("partial(F.hardtanh)", functools.partial(F.hardtanh, min_val=-2.0, max_val=0.5), None),
    ("nn.Tanh()", torch.nn.Tanh(), _torch_call),
    ("nn.Tanh", torch.nn.Tanh, None),
    ("nn.GELU(tanh)", torch.nn.GELU(approximate="tanh"), _torch_call),
    ("nn.SiLU()", torch.nn.SiLU(), _torch_call),
    ("nn.Softplus(2)", torch.nn.Softplus(beta=2.0), _torch_call),
    ("nn.ELU(0.5)", torch.nn.ELU(alpha=0.5), _torch_call),
    ("nn.LeakyReLU(0.1)", torch.nn.LeakyReLU(0.1), _torch_call),
    ("nn.LeakyReLU(3)", torch.nn.LeakyReLU(3.0), _torch_call),
    ("nn.Hardtanh(-3, 2)", torch.nn.Hardtanh(-3.0, 2.0), _torch_call),
    ("nn.ReLU6()", torch.nn.ReLU6(), _torch_call),
    ("nn.Mish()", torch.nn.Mish(), _torch_call),
    ("nn.Identity()", torch.nn.Identity(), _torch_call),
    *[(f"np.{n}", getattr(np, n), _numpy_call) for n in ("tanh", "sin", "cos", "exp", "sinh")],
    *[(f"np.{n}", getattr(np, n), _numpy_call) for n in ("cosh", "arctan", "arcsinh", "abs")],
    *[(f"np.{n}", getattr(np, n), _numpy_call) for n in ("fabs", "sign", "square")],
    ("scipy.special.erf", scipy.special.erf, _numpy_call),
    ("scipy.special.expit", scipy.special.expit, _numpy_call),
    *[(f"math.{n}", getattr(math, n), _scalar_call) for n in ("sin", "cos", "exp", "tanh")],
    *[(f"math.{n}", getattr(math, n), _scalar_call) for n in ("sinh", "cosh", "erf", "erfc")],
    *[(f"math.{n}", getattr(math, n), _scalar_call) for n in ("atan", "asinh", "fabs")],
    ("abs", abs, _scalar_call),
]
TAN = [("torch.tan", torch.tan, _torch_call), ("np.tan", np.tan, _numpy_call)]
TAN += [("math.tan", math.tan, _scalar_call)]


def _how(fn, how):
    """Partials and classes of torch objects are called as torch functions (a class: through
    its default instance)."""
    if how is not None:
        return how
    return lambda f, xs: _torch_call(f() if isinstance(f, type) else f, xs)


def _agree(fn, how, points) -> None:
    text = activation_spec(fn)
    formula = resolve(text).mp_fn
    got = _how(fn, how)(fn, points)
    with mpmath.workdps(30):
        want = [float(formula(mpmath.mpf(float(p)))) for p in points]
    for p, g, w in zip(points, got, want):
        assert abs(g - w) <= TOL * max(1.0, abs(p), abs(w)), (text, p, g, w)


@pytest.mark.parametrize("fn, how", [pytest.param(f, h, id=i) for i, f, h in KNOWN])
def test_a_known_callable_is_its_exact_formula(fn, how):
    """The formula the API runs for the callable, evaluated in 30 digits, equals the callable's
    own float64 value at 166 points in [-8, 8] (an independent evaluation of the same function)."""
    _agree(fn, how, POINTS)


@pytest.mark.parametrize("fn, how", [pytest.param(f, h, id=i) for i, f, h in TAN])
def test_tan_is_mapped_on_its_first_branch(fn, how):
    _agree(fn, how, np.linspace(-1.4, 1.4, 57))


def test_known_callables_take_the_registry_entry_where_there_is_one():
    """So the registry's closed forms and proofs apply exactly as for the name."""
    named = {
        torch.tanh: "tanh",
        F.gelu: "gelu",
        F.silu: "swish",
        F.softplus: "softplus",
        F.elu: "elu",
        F.leaky_relu: "leaky_relu",
        torch.nn.ReLU(): "relu",
        np.tanh: "tanh",
        math.erf: "erf",
        scipy.special.expit: "sigmoid",
        torch.nn.LeakyReLU(): "leaky_relu",
    }
    for fn, name in named.items():
        assert activation_spec(fn) == name and name in REGISTRY


def test_torch_softplus_shortcut_beyond_its_threshold_is_within_its_bound():
    """torch returns x where βx > threshold (20): the mapped formula log(1 + eˣ) differs there by
    log(1 + e^{-x}) < e^{-20}·(1 + |x|) relatively, as the README states."""
    xs = np.array([20.5, 25.0, 40.0])
    got = _torch_call(F.softplus, xs)
    exact = xs + np.log1p(np.exp(-xs))
    assert np.all(np.abs(got - exact) <= math.exp(-20) * (1 + xs))
    assert activation_spec(F.softplus) == "softplus"


def test_a_subclass_of_a_torch_module_is_not_taken_for_it():
    """Matched by exact type: a subclass may compute anything; here it is refused (torch code
    does not run on a sympy symbol) rather than read as tanh."""

    class NotTanh(torch.nn.Tanh):
        def forward(self, x):
            return torch.sin(x)

    with pytest.raises(FormulaError, match="cannot be proved"):
        activation_spec(NotTanh())


# --- sympy expressions --------------------------------------------------------------------------

t = sp.Symbol("t")
r = sp.Symbol("r", real=True)
ACCEPTED = [
    (t * sp.tanh(t), X * sp.tanh(X)),
    (r * sp.erf(r / sp.sqrt(2)), X * sp.erf(X / sp.sqrt(2))),
    (sp.exp(-(t**2) / 2), sp.exp(-(X**2) / 2)),
    (sp.Max(0, t) + sp.Rational(1, 5) * sp.Min(0, t), sp.Max(0, X) + sp.Min(0, X) / 5),
    (0.25 * t + sp.Float(0.1) * t**2, X / 4 + X**2 / 10),
    (sp.Float(0.1 + 0.2) * t, sp.Rational("0.30000000000000004") * X),  # not 3/10
    (sp.Heaviside(t), sp.Heaviside(X, sp.S.Half)),
    (sp.Heaviside(t, 1), sp.Heaviside(X, 1)),
    (sp.pi * sp.sign(t) + sp.E, sp.pi * sp.sign(X) + sp.E),
    (sp.log(1 + sp.exp(t)), REGISTRY["softplus"].expr),
    (sp.Integer(2), sp.Integer(2)),
]


@pytest.mark.parametrize("given, expr", ACCEPTED, ids=[str(g) for g, _ in ACCEPTED])
def test_a_sympy_expression_in_the_vocabulary_runs_as_itself(given, expr):
    """Its formula text parses back to the same tree, read in the real variable x (floats as
    their shortest decimal, as the parser reads a literal; Heaviside keeps its value at 0)."""
    text = activation_spec(given)
    assert resolve(text).expr == expr


REFUSED = [
    (sp.Piecewise((t, t > 0), (0, True)), "Piecewise .* not in the formula vocabulary"),
    (sp.gamma(t), "gamma .* not in the formula vocabulary"),
    (sp.Function("sin")(t), "not in the formula vocabulary"),
    (sp.asin(t), "asin .* not in the formula vocabulary"),
    (t * sp.Symbol("a"), "2 free symbols"),
    (sp.Abs(sp.Symbol("p", positive=True)), "assumptions beyond real .*positive"),
    (sp.EulerGamma * t, "EulerGamma"),
    (sp.I * t, "imaginary"),
    (sp.oo * t, "not a finite real"),
    (sp.Float("0.1", 30) * t, "more digits than float64"),
    (t**20, "exponent too large"),
    (sp.Eq(t, 1), "not an expression"),
    (sp.Integral(t, (t, 0, 1)), "Integral"),
    (sp.sqrt(t), "not real and finite"),
]


@pytest.mark.parametrize("given, why", REFUSED, ids=[str(g) for g, _ in REFUSED])
def test_a_sympy_expression_outside_the_vocabulary_is_refused_in_one_line(given, why):
    with pytest.raises(FormulaError) as exc:
        resolve(activation_spec(given))
    _one_clear_line(str(exc.value), why)


def _one_clear_line(message: str, why: str) -> None:
    assert re.search(why, message), message
    assert "\n" not in message and len(message) < 400
    assert not re.search(r"\b\w*(Error|Exception)\b", message), message


# --- other callables: traced, or refused ----------------------------------------------------


def _branching(x):
    """sympy's tanh on a symbol, but sin on a number: the trace is not the function."""
    return sp.tanh(x) if isinstance(x, sp.Basic) else math.sin(x)


TRACED = [
    (lambda x: x * sp.tanh(x), X * sp.tanh(X)),
    (lambda x: x / (1 + abs(x)), REGISTRY["softsign"].expr),
    (lambda x: 0.5 * x + 1, X / 2 + 1),
    (lambda x: 3, sp.Integer(3)),
    (sp.tanh, sp.tanh(X)),
    (sp.Lambda(r, r**2), X**2),
]


@pytest.mark.parametrize("fn, expr", TRACED, ids=[str(e) for _, e in TRACED])
def test_a_function_built_from_sympy_operations_is_traced(fn, expr):
    assert resolve(activation_spec(fn)).expr == expr


UNTRACEABLE = [
    (lambda x: torch.tanh(x), "the lambda does not run on a sympy symbol"),
    (lambda x: F.leaky_relu(x, 0.2), "cannot be proved"),
    (lambda x: np.tanh(x), "cannot be proved"),
    (lambda x: math.sin(x), "cannot be proved"),
    (lambda x: max(x, 0), "cannot be proved"),
    (torch.log, "torch.log does not run on a sympy symbol"),
    (torch.nn.Sequential(torch.nn.Tanh()), "Sequential object does not run"),
    (lambda x: [x], "returns list"),
    (lambda x: sp.gamma(x), "traced on a sympy symbol: gamma"),
    (_branching, r"gives tanh\(x\), but at x = -7.3 it returns -0.85"),
    (lambda x: x if x.is_positive else 0 * x, "at x = -7.3 it returns no number"),
    (functools.partial(F.leaky_relu, slope=0.2), "takes negative_slope, inplace"),
    (functools.partial(F.leaky_relu, 0.2), "positional"),
    (functools.partial(F.elu, alpha="big"), "elu alpha = 'big': expected a real number"),
    (torch.nn.LeakyReLU(math.inf), "expected a finite number"),
    (3, "got int 3"),
    (None, "got NoneType"),
]


@pytest.mark.parametrize("fn, why", UNTRACEABLE, ids=[str(w) for _, w in UNTRACEABLE])
def test_a_black_box_is_refused_with_what_to_give_instead(fn, why):
    """Never a verdict on a function the checks cannot read: one line naming the way out."""
    with pytest.raises(FormulaError) as exc:
        activation_spec(fn)
    _one_clear_line(str(exc.value), why)


def test_the_api_entries_take_python_objects():
    """check's settings, hermite and the refusals, through the public functions."""
    assert settings(torch.nn.GELU()).activation == "gelu"
    assert settings(t * sp.tanh(t)).activation == "x*tanh(x)"
    h = verify.hermite(torch.sin, 4)
    assert h.activation == "sin" and h.coefficients == verify.hermite("sin", 4).coefficients
    assert verify.hermite(lambda x: sp.sin(x) / 2, 4).coefficients[1] == pytest.approx(
        h.coefficients[1] / 2, rel=1e-15
    )
    for bad in (lambda x: torch.tanh(x), 3.5, sp.gamma(t)):
        with pytest.raises(VerifyError):
            verify.check(bad, n=4, train=False)


def test_mapping_a_library_callable_imports_no_library():
    """The table is built from the modules already imported: a math function, or a refusal,
    costs no torch or numpy import."""
    code = (
        "import math, sys; from verify.api_input import activation_spec;"
        "print(activation_spec(math.tanh), 'torch' in sys.modules, 'numpy' in sys.modules)"
    )
    out = _python(code)
    assert out.split() == ["tanh", "False", "False"]


def _python(code: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


# --- dir, __all__ ---------------------------------------------------------------------------


def test_dir_lists_the_public_api_without_importing_it():
    out = _python(
        "import sys, verify; d = dir(verify);"
        "print(all(n in d for n in verify.__all__), 'check' in d and 'hermite' in d "
        "and 'train' in d and 'lambda_star' in d, 'torch' in sys.modules, 'sympy' in sys.modules)"
    )
    assert out.split() == ["True", "True", "False", "False"]
    for name in verify.__all__:
        assert getattr(verify, name) is not None


# --- short reprs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(4, generator=gen, dtype=torch.float64)
    return verify.train(torch.tanh, x, y, width=16, steps=8)


def test_a_training_result_prints_its_numbers_not_its_tensors(trained):
    text = repr(trained)
    assert len(text) < 400 and "tensor(" not in text and "\n" not in text
    for part in (
        "width 16",
        "seed 0",
        "8 steps",
        f"loss {trained.initial_loss:.4g} → {trained.final_loss:.4g}",
        f"rate {trained.rate.rate:.6g} per step",
        f"bound {trained.rate_bound:.6g}",
        f"λ_0 {trained.lambda_0:.4g}",
        f"well-posed {trained.well_posed}",
        "W 16×16, U 16×3, a 16",
    ):
        assert part in text, part
    assert len(trained.history.loss) == 9  # the data is one attribute away
    history = repr(trained.history)
    assert "steps 0..8" in history and f"{trained.history.loss[-1]:.4g}" in history
    assert len(history) < 200 and "[" not in history
    assert repr(trained.final) == "DEQParams(W 16×16, U 16×3, a 16; float64 on cpu)"


def test_records_holding_large_tensors_print_their_shapes():
    big = torch.zeros(300, 300, dtype=torch.float64)
    gram = GramResult(0.75, big, big, 1e-15, 12, 3e-14, 0.5, 0.25, "closed-form dual", None)
    text = repr(gram)
    assert len(text) < 200 and "gram 300×300, sigma 300×300" in text and "q* 0.75" in text
    assert "12 steps" in text and "closed-form dual" in text
    data = Dataset(torch.zeros(500, 7), torch.zeros(500), "500 points on the sphere", ("a",))
    assert repr(data) == "Dataset(x 500×7, y 500; 500 points on the sphere; 1 notices)"
    spec = Spectrum(torch.arange(1.0, 401.0, dtype=torch.float64), 1e-12)
    assert repr(spec) == "Spectrum(400 eigenvalues, λ_min 1 ± 1e-12)"
    params = DEQParams(big, big[:, :5], big[:, 0])
    assert repr(params) == "DEQParams(W 300×300, U 300×5, a 300; float64 on cpu)"


# --- σ_w² as on the command line ------------------------------------------------------------

X4 = torch.tensor(
    [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8], [-0.8, 0.0, 0.6]], dtype=torch.float64
)


@pytest.fixture(scope="module")
def cli_reason():
    """The command line's own refusal of σ_w² = 1/8 for tanh (L = 1: 1/(8L²) is not inside)."""

    def run(argv):
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code
        return code, err.getvalue().strip().splitlines()[-1]

    code, line = run(["activation", "tanh", "--sigma-w2", "0.125", "--n", "4", "--no-train"])
    assert code == 2
    reason = line.removeprefix("error: ").removesuffix("; or pass --force to measure anyway")
    code, parse_line = run(["activation", "tanh", "--sigma-w2", "-1"])
    assert code == 2
    return reason, parse_line.split("--sigma-w2: ")[1]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s2: verify.lambda_star("tanh", X4, s2), id="lambda_star"),
        pytest.param(lambda s2: verify.population_gram(torch.tanh, X4, s2), id="population_gram"),
        pytest.param(
            lambda s2: verify.train("tanh", X4, X4[:, 0], width=8, steps=4, sigma_w2=s2),
            id="train",
        ),
    ],
)
def test_the_api_refuses_sigma_w2_with_the_cli_reason(cli_reason, call):
    reason, parse_reason = cli_reason
    with pytest.raises(OutsideTheory) as exc:
        call(0.125)
    assert str(exc.value) == f"{reason}; or pass force=True to compute anyway"
    assert exc.value.overridable
    with pytest.raises(VerifyError) as exc:
        call(-1)
    assert str(exc.value) == f"sigma_w2: {parse_reason}"


def test_check_refuses_what_the_cli_parse_refuses_before_any_work():
    for values, why in (
        ({"sigma_w2": -1.0}, "sigma_w2: expected a positive finite number, got -1.0"),
        ({"sigma_w2": math.nan}, "sigma_w2: expected a positive finite number, got nan"),
        ({"sigma_w2": math.inf}, "sigma_w2: expected a positive finite number, got inf"),
        ({"n": 0}, "n: expected a positive integer, got 0"),
        ({"prec": 8}, "prec: "),
    ):
        with pytest.raises(VerifyError) as exc:
            verify.check("tanh", **values)
        assert str(exc.value).startswith(why)


def test_the_sigma_w2_boundary_is_the_clis_and_force_computes_anyway():
    """tanh: L = 1 exactly, so 1/8 is refused and the float just below it is inside."""
    lip = suprema(resolve("tanh"))[1]
    assert outside_theory(0.125, lip) is not None
    with pytest.raises(OutsideTheory):
        refuse_sigma_w2(0.125, lip, force=False)
    refuse_sigma_w2(math.nextafter(0.125, 0.0), lip, force=False)
    refuse_sigma_w2(0.125, lip, force=True)
    with pytest.raises(OutsideTheory):  # not a positive number: refused whatever force says
        refuse_sigma_w2(-1.0, None, force=True)
    refuse_sigma_w2(5.0, None, force=False)  # no proved L: nothing is refuted up front


def test_force_computes_lambda_star_outside_the_theory():
    """As --force does: λ* at σ_w² = 1/8 for tanh, with its enclosure."""
    lam = verify.lambda_star("tanh", X4, 0.125, force=True)
    assert lam.enclosure is not None and lam.enclosure[0] <= lam.value <= lam.enclosure[1]


def test_a_printer_that_loses_a_part_is_caught_by_the_round_trip(monkeypatch):
    """The parsed text must equal the expression node for node: with Heaviside printed without
    its value at 0 (sympy's own printer), H(x) with H(0) = ½ would read back as H(0) = 1."""
    from sympy.printing.str import StrPrinter

    from symbolic import formula_text as module

    monkeypatch.setattr(module._Printer, "_print_Heaviside", StrPrinter._print_Heaviside)
    with pytest.raises(FormulaError, match="cannot be written exactly as a formula"):
        module.formula_text(sp.Heaviside(t))
    assert module.formula_text(sp.Heaviside(t, 1)) == "Heaviside(x, 1)"  # written whole: kept
