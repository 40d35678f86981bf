"""Mutation testing without mutmut's cache: mutmut 2.x's own mutants (``mutmut.list_mutations`` /
``mutmut.mutate``: the same mutants and line numbers as ``mutmut run``) of one module, optionally
only those on lines FIRST..LAST, each tested through scripts/mutmut_forkserver.py in a scratch
copy of the tracked files. Used where ``mutmut run`` crashes in its cache ("Mutant.line is
required": with a line filter, or on verify/study/store.py) or a module is too large to run whole.

    python scripts/mutate_lines.py verify/recheck.py --lines 658 1169 --out recheck.tsv \\
        --preload symbolic,numeric,verify -- -x -q -p no:cacheprovider -n 0 tests/test_recheck.py
    python scripts/mutate_lines.py verify/recheck.py --again recheck.tsv --out again.tsv -- ...

One TSV row per mutant (appended as it finishes, so a stopped run resumes where it stopped): the
mutant's key ``line:index``, its line, ``killed`` / ``survived`` / ``timeout`` (counted as
killed), seconds, and its diff (the removed and added lines). ``--again TSV`` re-tests that
file's survivors after tests were added, finding each by its diff text in the module as it is
now (``gone`` when the line no longer exists). The scratch copy is TMP/<module name> (``--tree``
to choose); the module in it is restored after each mutant and on SIGTERM. Scores and
survivors: docs/mutation.md.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "scripts" / "mutmut_forkserver.py"
sys.path.insert(0, str(SERVER.parent))
from mutmut_forkserver import ask  # noqa: E402  (the server's own client, beside this script)


def _diff(orig: str, mutated: str) -> str:
    lines = difflib.unified_diff(orig.splitlines(), mutated.splitlines(), lineterm="", n=0)
    return " | ".join(x.strip() for x in lines if x[:1] in "+-" and x[:3] not in ("+++", "---"))


def _mutants(module: str, orig: str, first: int, last: int) -> list[tuple[str, int, str, str]]:
    """(key, line, mutated source, diff) of every mutant on lines first..last."""
    import mutmut
    from mutmut import Context

    out = []
    for mid in mutmut.list_mutations(Context(source=orig, filename=module, dict_synonyms=[])):
        line = mid.line_number + 1
        if not first <= line <= last:
            continue
        ctx = Context(source=orig, filename=module, dict_synonyms=[], mutation_id=mid)
        mutated, count = mutmut.mutate(ctx)
        if count:
            out.append((f"{line}:{mid.index}", line, mutated, _diff(orig, mutated)))
    return out


def _tests(sock: str, tree: Path, args: list[str], limit: float) -> str:
    """killed, survived or timeout: the fork server's run of the tests on the mutant."""
    code = ask(sock, args, str(tree), limit)
    if code is None:
        return "timeout"
    return "survived" if code == 0 else "killed"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("module")
    p.add_argument("--lines", nargs=2, type=int, default=(1, 10**9), metavar=("FIRST", "LAST"))
    p.add_argument("--out", required=True, help="the TSV to append to")
    p.add_argument("--again", help="a TSV whose survivors to re-test")
    p.add_argument("--preload", default="", help="packages the fork server imports once")
    p.add_argument("--tree", help="the scratch copy (default: TMP/<module name>)")
    p.add_argument("--limit", type=float, default=120.0, help="seconds per mutant")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    a, args = p.parse_args(argv[:cut]), argv[cut + 1 :]  # after "--": the pytest arguments
    name = Path(a.module).stem
    tree = Path(a.tree or Path(tempfile.gettempdir()) / "deq-verify-lines" / name)
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for rel in filter(None, files.stdout.decode().split("\0")):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tree / rel)
    path = tree / a.module
    orig = path.read_text()
    mutants = _mutants(a.module, orig, *a.lines)
    if a.again:
        rows = [r.rstrip("\n").split("\t") for r in open(a.again)]
        wanted = {r[4] for r in rows if r[2] == "survived"}
        gone = wanted - {m[3] for m in mutants}
        mutants = [m for m in mutants if m[3] in wanted]
    done = set()
    if os.path.exists(a.out):
        done = {r.split("\t")[0] for r in open(a.out)}
    module = a.module[:-3].replace("/", ".")
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1"}
    env |= {"MUTATE_PRELOAD": a.preload, "MUTATE_SKIP": module}
    sock = str(tree / ".forkserver")
    server = subprocess.Popen([sys.executable, str(SERVER), "serve", sock], cwd=tree, env=env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so the finally below restores
    try:
        while not os.path.exists(sock):
            if server.poll() is not None:
                raise SystemExit("the fork server did not start")
            time.sleep(0.2)
        if _tests(sock, tree, args, 3600) != "survived":
            raise SystemExit("the tests fail without a mutant: no score")
        print(f"{len(mutants)} mutants of {a.module}", flush=True)
        with open(a.out, "a") as out:
            if a.again:
                for text in sorted(gone):
                    out.write(f"-\t-\tgone\t0\t{text}\n")
            for key, line, mutated, diff in mutants:
                if key in done:
                    continue
                path.write_text(mutated)
                start = time.monotonic()
                try:
                    status = _tests(sock, tree, args, a.limit)
                finally:
                    path.write_text(orig)
                out.write(f"{key}\t{line}\t{status}\t{time.monotonic() - start:.1f}\t{diff}\n")
                out.flush()
    finally:
        path.write_text(orig)
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
