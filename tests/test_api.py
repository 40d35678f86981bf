"""The Python API: each call checked against a value known another way, the README's one-liner
as written, and the quickstart example run as a script."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import torch

import verify
from symbolic.errors import VerifyError

ROOT = Path(__file__).resolve().parent.parent


def test_hermite_against_the_closed_form_with_exact_parity_zeros():
    """sin at q = 1: μ_n = e^{-1/2} sin(nπ/2)/√(n!) (theory §1); even n are exact zeros."""
    h = verify.hermite("sin", 8)
    for n, c in enumerate(h.coefficients):
        exact = math.exp(-0.5) * math.sin(n * math.pi / 2) / math.sqrt(math.factorial(n))
        assert c == pytest.approx(exact, abs=1e-15)  # 30-digit values rounded to float64
    assert h.zeros == (0, 2, 4, 6) and all(h.coefficients[n] == 0.0 for n in h.zeros)
    assert "μ = [0, 0.606531" in repr(h)
    assert h.as_tensor().dtype == torch.float64


def test_hermite_reports_the_precision_of_what_it_returns():
    """The 30-digit numbers are returned as such, within values_error (against the closed form
    at 50 digits); their float64 roundings are within ``error``, which must then include the
    rounding (up to half an ulp: a 30-digit error bar on float64 values would be false)."""
    h = verify.hermite("sin", 8, dps=30)
    with mpmath.workdps(50):
        for n in range(8):
            exact = (
                mpmath.exp(-0.5) * mpmath.sin(n * mpmath.pi / 2) / mpmath.sqrt(mpmath.factorial(n))
            )
            assert abs(h.values[n] - exact) <= 10 * h.values_error + mpmath.mpf(10) ** -45
            assert abs(mpmath.mpf(h.coefficients[n]) - exact) <= h.error
            assert h.values[n] != h.coefficients[n] or n in h.zeros  # 30 digits, not a float
    assert h.values_error < 1e-29 and 1e-18 < h.error < 1e-16


def test_population_gram_against_an_independent_loop_with_the_closed_dual():
    """sin, inputs of different norms: Σ ← 2σ_w² e^{-(Σ_ii+Σ_jj)/2} sinh Σ_ij + (2/d) x_iᵀx_j
    iterated here to 1e-15 (contraction 2σ_w² < 1), against the API's G* and Σ*."""
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    s2 = 1 / 16
    base = 2 / 3 * x @ x.T
    sigma = base.clone()
    for _ in range(200):
        d = sigma.diagonal()
        g = torch.exp(-(d[:, None] + d[None, :]) / 2) * torch.sinh(sigma)
        sigma = 2 * s2 * g + base
    d = sigma.diagonal()
    g = torch.exp(-(d[:, None] + d[None, :]) / 2) * torch.sinh(sigma)
    r = verify.population_gram("sin", x, s2)
    assert torch.allclose(r.gram, g, atol=1e-12, rtol=0)  # both solves stop at ~1e-14
    assert torch.allclose(r.sigma, sigma, atol=1e-12, rtol=0)
    assert r.lambda_star == pytest.approx(float(torch.linalg.eigvalsh(g)[0]), abs=1e-11)
    # tanh has no closed dual: the two-variance Mehler path (tested in test_gram_variances)
    assert "per-input variances" in verify.population_gram("tanh", x, s2).method
    with pytest.raises(VerifyError, match="kink away from 0"):
        verify.population_gram("max(x - 1, 0)", x, s2)


def test_lambda_star_enclosure_contains_the_float_value_and_is_tight():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 5, generator=gen, dtype=torch.float64)
    lam = verify.lambda_star("tanh", x, 1 / 16)
    lo, hi = lam.enclosure
    assert lam.certified_positive and lo <= lam.value <= hi
    assert hi - lo < 1e-5 * lam.value  # the certificate is sharp (issue: within 1%)
    exp = verify.lambda_star("exp", x, 0.01)  # L = ∞, yet a local contraction: certified
    assert exp.certified_positive and exp.enclosure[0] <= exp.value <= exp.enclosure[1]
    bad = verify.lambda_star("step", x, 1 / 16)  # a jump: no contraction, and it says why
    assert bad.enclosure is None and "jumps" in bad.failure and not bad.certified_positive


def test_train_reduces_the_loss_at_the_measured_rate():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(8, 4, generator=gen, dtype=torch.float64)
    y = 0.1 * torch.randn(8, generator=gen, dtype=torch.float64)
    t = verify.train("tanh", x, y, width=128, steps=40)
    loss = t.history.loss
    assert len(loss) == 41 and loss[-1] < loss[0]
    # the fitted rate is the geometric mean ratio over its window, within the fit's spread
    k0, k1 = t.rate.start, t.rate.end
    mean_ratio = (loss[k1 - 1] / loss[k0]) ** (1 / (k1 - 1 - k0))
    assert t.rate.rate == pytest.approx(mean_ratio, rel=1e-2)


def test_unknown_settings_are_a_type_error():
    with pytest.raises(TypeError, match="nosuch"):
        verify.check("tanh", nosuch=1)


def test_check_results_print_and_carry_arrays():
    r = verify.check("sin", n=8, train=False, width_sweep=False)
    assert repr(r).startswith("Verification(sin: ")
    assert "lambda_star_positive" in str(r)
    assert "bounded_dphi" in r._repr_markdown_()
    assert r.gram.gram.shape == (8, 8) and r.gram.enclosure[0] > 0
    assert r.hermite.coefficients[0] == 0.0 and r.hermite.zeros[:2] == (0, 2)


def _readme_one_liner() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r'python -c "(import verify;[^"]+)"', text)
    assert match, "the README shows the Python one-liner"
    return match.group(1)


def _python(*args: str) -> str:
    """stdout of this interpreter run on ``args`` from the project root (fails on exit ≠ 0)."""
    run = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    return run.stdout


def test_the_readme_one_liner_works_as_written(capsys):
    """The Python of the README's `python -c "..."`, run as written (in this process: the
    interpreter's start is what the quickstart's subprocess test covers)."""
    exec(compile(_readme_one_liner(), "<README one-liner>", "exec"), {})
    out = capsys.readouterr().out
    lam, rest = out.split(" ", 1)
    assert float(lam) > 0 and rest.startswith("(0.0, 0.60")  # tanh: μ_0 = 0 by parity


def test_the_quickstart_runs_as_a_script():
    """examples/quickstart.py (percent cells): λ*, the first Hermite coefficients, the rate."""
    out = _python(str(ROOT / "examples" / "quickstart.py"))
    assert re.search(r"λ\* = 0\.00\d+ certified in \(", out)
    assert "Hermite(gelu, q=0.5: μ = [0.162" in out
    assert re.search(r"measured rate per step: 0\.9\d+ bound: 0\.9\d+", out)
    assert "positive, proved: True" in out
