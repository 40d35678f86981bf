"""The README's claim "every registry activation re-checks PROVED", held (slow: about a minute):
each activation's run at n = 8 writes its certificate, and the independent checker re-proves
every claim in it. exp at σ_w² = 1/16 certifies nothing: its variance map is proved to diverge
and sup|φ'| = ∞ (a file with no claims re-checks with exit 0)."""

from __future__ import annotations

import json

import pytest

import verify
from symbolic.activations import REGISTRY
from verify.certificate_file import write_certificate
from verify.recheck import recheck


@pytest.mark.slow
@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registry_activation_rechecks_proved(name, tmp_path):
    v = verify.check(name, n=8, train=False, width_sweep=False)
    path = tmp_path / "c.json"
    write_certificate(v, str(path))
    results = recheck(json.loads(path.read_text()))
    assert [r.line() for r in results if not r.proved] == []
    assert len(results) >= (0 if name == "exp" else 1)
