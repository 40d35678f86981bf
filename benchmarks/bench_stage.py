"""The CLI's ``gram`` stage as the user runs it, against one eigvalsh timed in the same process.

For each n: parse ``activation tanh --no-train --no-width-sweep --n N --d 10`` with the CLI's own
parser (unit-norm sphere data, the CLI's defaults otherwise), run the checks in this process and
read ``timings_s.gram`` from the JSON record; then time one ``torch.linalg.eigvalsh`` of a random
SPD matrix of the same n. Prints the ratio (the issue's goal: ≤ 2 at n = 3000 and 8000), the λ*
verdict, and the peak resident memory of the gram stage above the process before it (Linux
``VmHWM`` from /proc/self/status, reset through /proc/self/clear_refs before the run; where the
reset is refused, ru_maxrss deltas, which can only see a new peak), in n×n float64 matrices.

    python benchmarks/bench_stage.py              # n = 1000, 3000
    python benchmarks/bench_stage.py --large      # and n = 8000 (about 4 GB at its peak)
    python benchmarks/bench_stage.py --n 3000 --repeat 3 --profile 25
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import time

import torch

from verify.cli import _loaded, build_parser, settings_from_args


def _hwm_kib() -> int:
    """The process's peak resident set (VmHWM) in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _reset_hwm() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_stage(n: int, extra: list[str]):
    """The checks of ``activation tanh ... --n n`` in this process: (gram seconds, λ* verdict,
    peak KiB of the stage above the RSS before it, how the peak was measured, the Verification)."""
    from verify.checks import run_checks
    from verify.render import to_json

    argv = ["activation", "tanh", "--no-train", "--no-width-sweep", "--n", str(n), "--d", "10"]
    args = build_parser().parse_args([*argv, *extra])
    settings = settings_from_args(args, args.activation)
    data = _loaded(settings)
    seen: dict[str, object] = {}
    stage = run_checks.__globals__["population"]  # the gram stage's body, wherever it lives

    def measured(*args, **kwargs):
        before = _rss_kib()
        seen["how"] = "VmHWM (reset)" if _reset_hwm() else "ru_maxrss delta"
        peak0 = _hwm_kib()
        try:
            return stage(*args, **kwargs)
        finally:
            seen["peak"] = _hwm_kib() - (before if seen["how"] == "VmHWM (reset)" else peak0)

    run_checks.__globals__["population"] = measured
    try:
        v = run_checks(settings, None, data=data)
    finally:
        run_checks.__globals__["population"] = stage
    peak, how = seen["peak"], seen["how"]
    out = to_json(v)
    lam = next(c for c in out["conditions"] if c["name"] == "lambda_star_positive")
    return out["timings_s"]["gram"], lam["status"], peak, how, v


def time_eigvalsh(n: int, seed: int = 0) -> float:
    """Seconds of one torch.linalg.eigvalsh of a random SPD n×n float64 matrix."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, dtype=torch.float64, generator=g)
    m = a @ a.T / n + torch.eye(n, dtype=torch.float64)
    del a
    t0 = time.perf_counter()
    torch.linalg.eigvalsh(m)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--large", action="store_true", help="also n = 8000")
    p.add_argument("--n", type=int, action="append", help="these n instead of the defaults")
    p.add_argument("--repeat", type=int, default=1, help="runs per n (the range is printed)")
    p.add_argument("--profile", type=int, default=0, help="print this many cProfile lines")
    p.add_argument("--json", action="store_true", help="one JSON line per run")
    p.add_argument("extra", nargs="*", help="more CLI options after --, e.g. -- --spectra")
    a = p.parse_args()
    sizes = a.n or ([1000, 3000, 8000] if a.large else [1000, 3000])
    run_stage(20, a.extra)  # warm-up: imports, symbolic caches
    print(f"{'n':>6} {'gram':>8} {'eigvalsh':>9} {'ratio':>6} {'λ*':>6} {'peak':>9} {'n×n':>5}")
    for n in sizes:
        for _ in range(a.repeat):
            prof = cProfile.Profile() if a.profile else None
            if prof:
                prof.enable()
            gram, verdict, peak, how, v = run_stage(n, a.extra)
            if prof:
                prof.disable()
            eig = time_eigvalsh(n)
            mats = peak * 1024 / (8 * n * n)
            print(
                f"{n:>6} {gram:>7.2f}s {eig:>8.2f}s {gram / eig:>6.2f} {verdict:>6} "
                f"{peak / 1024:>7.0f}MB {mats:>5.1f}  ({how})",
                flush=True,
            )
            if a.json:
                row = {"n": n, "gram_s": gram, "eigvalsh_s": eig, "ratio": gram / eig}
                row |= {"lambda_star": verdict, "peak_mib": peak / 1024, "peak_matrices": mats}
                print(json.dumps(row), flush=True)
            if prof:
                stats = pstats.Stats(prof).sort_stats("cumulative")
                stats.print_stats(a.profile)
                stats.print_callees("population")
            del v


if __name__ == "__main__":
    main()
