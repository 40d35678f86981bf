"""The CUDA paths against the CPU ones: the CLI end to end, G* and λ* (unit-norm and table paths),
the Hermite certificate, the width sweep and the proved ‖W‖₂. Skipped without a CUDA device.

The two devices run the same algorithms on the same inputs (weights are drawn on the CPU and
moved); only the order of floating-point reductions differs (cuBLAS against the CPU's BLAS), a
few ulps per entry, carried through contractive recursions. The tolerances below are a few
hundred ulps of each quantity's scale, and each says why.
"""

import json
import subprocess
import sys

import pytest
import torch

from numeric.data import sphere_data
from numeric.operator_norm import spectral_norm_bound
from numeric.width import gram_sweep
from symbolic import REGISTRY
from tests.helpers import POP, S2, SOLVE, certificate, eigmin, gram, model

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def _cli(tmp_path, device: str) -> dict:
    out = tmp_path / f"{device}.json"
    args = ["tanh", "--n", "16", "--width", "128", "--steps", "40", "--device", device]
    subprocess.run(
        [sys.executable, "-m", "verify", "activation", *args, "--json", str(out), "--quiet"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return json.loads(out.read_text())


def test_cli_end_to_end_on_cuda_matches_cpu(tmp_path):
    cpu, gpu = _cli(tmp_path, "cpu"), _cli(tmp_path, "cuda")
    assert gpu["settings"]["device"] == "cuda"
    assert gpu["verdict"] == cpu["verdict"]
    assert [c["status"] for c in gpu["conditions"]] == [c["status"] for c in cpu["conditions"]]
    g, c = gpu["gram"], cpu["gram"]
    # q* is a scalar recursion on either device's reductions: a few ulps
    assert g["q_star"] == pytest.approx(c["q_star"], rel=1e-13)
    # λ*: entries agree to ~1e-15, so eigenvalues to n·1e-15 = 2e-14 absolute, plus each
    # eigvalsh's own backward error (lambda_star_error)
    assert abs(g["lambda_star"] - c["lambda_star"]) <= 1e-13 + 2 * c["lambda_star_error"]
    # each certified enclosure contains the other device's float λ*
    lo, hi = g["lambda_star_enclosure"]
    assert lo <= c["lambda_star"] <= hi
    # the sweep's relative errors and the training rate come from iterates solved to 1e-12
    sweep = gpu["width_sweep"]["errors"]
    assert sweep == pytest.approx(cpu["width_sweep"]["errors"], rel=1e-8)
    t, u = gpu["training"], cpu["training"]
    for key in ("lambda_0", "lr", "rate_measured", "rate_bound", "final_loss"):
        assert t[key] == pytest.approx(u[key], rel=1e-8), key


@pytest.mark.parametrize("n", [60, 1200])  # 1200 > gram_table_above: the tabulated F path
def test_population_gram_and_certificate_on_cuda_match_cpu(n):
    act = REGISTRY["tanh"]
    x = sphere_data(n, 10, 0, 0.1).x
    cpu, gpu = gram(act, x), gram(act, x.cuda())
    assert gpu.gram.device.type == "cuda" and gpu.method == cpu.method
    # entries: each device's error bar plus a few ulps of the reductions
    tol = cpu.error + gpu.error + 1e-14
    assert float((gpu.gram.cpu() - cpu.gram).abs().max()) <= tol
    assert float((gpu.sigma.cpu() - cpu.sigma).abs().max()) <= tol
    # λ*: ‖ΔG‖₂ ≤ n·max|ΔG_ij|, plus two eigvalsh backward errors (10 n u ‖G‖ each)
    norm = float(cpu.gram.abs().sum(dim=1).max())
    assert abs(eigmin(gpu.gram) - eigmin(cpu.gram)) <= n * tol + 20 * n * 2**-52 * norm
    # the Hermite certificate's Gershgorin levels run on the device: the same to rounding
    a, b = certificate(act, gpu), certificate(act, cpu)
    assert a.gershgorin == pytest.approx(b.gershgorin, rel=1e-10, abs=1e-15)
    assert a.value == pytest.approx(b.value, rel=1e-8, abs=1e-15)


def test_rows_of_different_norms_on_cuda_match_cpu():
    from numeric.gram_variances import population_gram_variances

    act = REGISTRY["tanh"]
    x = sphere_data(300, 8, 0, 0.1).x * torch.linspace(0.5, 2.0, 300, dtype=torch.float64)[:, None]
    cpu = population_gram_variances(act, x, S2, (1.0, 1.0, 1.0), POP)
    gpu = population_gram_variances(act, x.cuda(), S2, (1.0, 1.0, 1.0), POP)
    # the same Newton iteration on either device: each bound covers its own solve
    assert float((gpu.gram.cpu() - cpu.gram).abs().max()) <= cpu.error + gpu.error
    assert float((gpu.sigma.cpu() - cpu.sigma).abs().max()) <= cpu.error + gpu.error


def test_width_sweep_on_cuda_matches_cpu():
    act = REGISTRY["tanh"]
    data = sphere_data(12, 6, 0, 0.1)
    g = gram(act, data.x).gram
    kw = dict(lip=1.0, widths=[32, 64, 128], seeds=[0, 1], progress=None)
    cpu = gram_sweep(act, data, g, model(128), SOLVE, device="cpu", **kw)
    gpu = gram_sweep(act, data, g, model(128), SOLVE, device="cuda", **kw)
    # the same drawn weights (drawn on the CPU); iterates solved to 1e-12 relative
    assert gpu.errors == pytest.approx(cpu.errors, rel=1e-8)
    assert gpu.slope == pytest.approx(cpu.slope, rel=1e-6)


def test_spectral_norm_bound_on_cuda_is_above_the_cpu_singular_value():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(1024, 1024, generator=gen, dtype=torch.float64) * (2 * S2 / 1024) ** 0.5
    svd = float(torch.linalg.svdvals(w)[0])
    b = spectral_norm_bound(w.cuda())
    # a proved bound on either device; within 1e-8 (δ = 1e-9 plus Rump's allowance)
    assert svd * (1 - 1e-14) <= b.upper <= svd * (1 + 1e-8)
