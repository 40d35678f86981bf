"""Gao & Gao's network as drawn and as its limit kernel (numeric.implicit): the laws of the draw
(A = |N(0, 1)|, W ~ N(0, 1), u, v Rademacher), its seed (the user's, never torch's global
generator), the one-line refusal of a drawn ‖(γ/m)A‖₂ ≥ 1, and G^∞ at antipodal rows whose
float product falls below -1."""

from __future__ import annotations

import math
import re

import pytest
import torch

from numeric.implicit import explicit_gram, init_implicit
from numeric.parameters import GaoSettings
from symbolic.errors import VerifyError


def test_the_draw_has_the_stated_laws():
    """m = 400: A ≥ 0 with mean √(2/π) (160000 draws: standard error 0.0015), W's 1200 entries
    with mean 0 and variance 1 (errors 0.03 and 0.04), u and v exactly ±1, both signs, about
    evenly (standard error 0.05); B = (γ/m)A."""
    p = init_implicit(400, 3, GaoSettings(gamma=0.5), 0, "cpu")
    assert p.width == 400 and p.scale == 0.5 / 400 and torch.equal(p.B, p.scale * p.A)
    assert float(p.A.min()) >= 0 and abs(float(p.A.mean()) - math.sqrt(2 / math.pi)) < 0.01
    assert abs(float(p.W.mean())) < 0.15 and abs(float(p.W.var()) - 1) < 0.2
    for signs in (p.u, p.v):
        assert set(signs.tolist()) == {-1.0, 1.0} and abs(float(signs.mean())) < 0.25
    assert not torch.equal(p.u, p.v)


def test_the_draw_follows_the_users_seed_only():
    torch.manual_seed(123)
    a = init_implicit(16, 3, GaoSettings(), 5, "cpu")
    torch.manual_seed(456)
    b = init_implicit(16, 3, GaoSettings(), 5, "cpu")
    c = init_implicit(16, 3, GaoSettings(), 6, "cpu")
    for name in ("A", "W", "u", "v"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.A, c.A) and not torch.equal(a.W, c.W)


def test_a_drawn_implicit_weight_at_or_above_one_is_refused_in_one_line():
    with pytest.raises(VerifyError) as err:
        init_implicit(8, 3, GaoSettings(gamma=5.0), 0, "cpu")
    said = re.fullmatch(
        r"Gao & Gao: the drawn ‖\(γ/m\)A‖₂ = (\d+\.\d{4}) ≥ 1 at γ = 5, m = 8; lower --gamma "
        r"\(its large-width limit is γ·√\(2/π\) = 3\.9894\)",
        str(err.value),
    )
    assert said is not None and float(said.group(1)) >= 1


def test_the_limit_kernel_at_antipodal_rows_whose_product_rounds_below_minus_one():
    """x·x = 1 + 2⁻⁵² in float for this unit x: x·(-x) rounds below -1, and Q(-1) = 0 exactly
    (the clamp to [-1, 1] keeps the square root real)."""
    x = torch.tensor([-0.5429819681513284, -0.8031918784760959, 0.24505792909544966])
    x = x.to(torch.float64)
    assert float(x @ x) > 1
    g = explicit_gram(torch.stack([x, -x]))
    assert torch.isfinite(g).all()
    assert float(g[0, 1]) == 0.0 and float(g[0, 0]) == pytest.approx(0.5, abs=1e-15)
