"""How fast the command line answers when it does no work: `--help`, a σ_w² outside the theory,
a malformed data file, a hostile report folder; and how fast a study stops on SIGINT. Each is
timed as a fresh process (median of REPEATS) against two baselines timed in the same run: a bare
interpreter, and one that imports torch (what every refusal must stay clear of). The tests
assert only the behaviour behind these numbers (nothing heavy imported, no work started).

    python benchmarks/bench_refusals.py
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 3
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def timed(argv: list[str]) -> tuple[float, int]:
    """Median wall time of ``argv`` as a fresh process, and its exit code."""
    times, code = [], 0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        code = subprocess.run(argv, cwd=ROOT, env=ENV, capture_output=True).returncode
        times.append(time.perf_counter() - t0)
    return statistics.median(times), code


def stop_latency(folder: Path) -> float:
    """Seconds from SIGINT to the exit of a study whose pool process is training."""
    cmd = [sys.executable, "-m", "verify", "study", "--activations", "sin", "--n", "16"]
    cmd += ["--widths", "8", "--seeds", "2", "--data", "sphere", "--steps", "10000000"]
    cmd += ["--no-certify", "--quiet", "--workers", "1", "--out", str(folder)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stderr=subprocess.DEVNULL)
    store = folder / "study.sqlite"
    while proc.poll() is None:
        time.sleep(0.05)
        try:
            db = sqlite3.connect(f"file:{store}?mode=rw", uri=True)
            groups = db.execute("SELECT count(*) FROM groups").fetchall()[0][0]
            db.close()
        except sqlite3.Error:
            continue
        if groups:
            break
    time.sleep(1.0)  # a cell is training
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait()
    return time.perf_counter() - t0


def main() -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "bad.csv").write_text("1,2,3\n4,1_0,6\n")
        (tmp / "rep").mkdir()
        (tmp / "rep" / ".deq-verify-report.json").write_text(json.dumps({"files": ["x"]}))
        cases = {
            "python -c pass (baseline)": [py, "-c", "pass"],
            "python -c 'import torch' (baseline)": [py, "-c", "import torch"],
            "--help": [py, "-m", "verify", "--help"],
            "list": [py, "-m", "verify", "list"],
            "σ_w² outside the theory": [
                py,
                "-m",
                "verify",
                "activation",
                "tanh",
                "--sigma-w2",
                "1",
            ],
            "malformed CSV (1_0)": [
                py,
                "-m",
                "verify",
                "activation",
                "sin",
                "--data",
                str(tmp / "bad.csv"),
            ],
            "hostile report folder": [
                py,
                "-m",
                "verify",
                "activation",
                "sin",
                "--report",
                str(tmp / "rep"),
            ],
        }
        results = {name: timed(argv) for name, argv in cases.items()}
        (tmp / "study").mkdir()
        stop = stop_latency(tmp / "study")
    base, torch_base = (
        results["python -c pass (baseline)"][0],
        results["python -c 'import torch' (baseline)"][0],
    )
    print(f"{'command':40s} {'exit':>4s} {'seconds':>8s} {'/python':>8s} {'/torch':>7s}")
    for name, (seconds, code) in results.items():
        print(
            f"{name:40s} {code:4d} {seconds:8.2f} {seconds / base:8.1f} {seconds / torch_base:7.2f}"
        )
    print(f"study: SIGINT to exit while a cell trains: {stop:.2f} s")


if __name__ == "__main__":
    main()
