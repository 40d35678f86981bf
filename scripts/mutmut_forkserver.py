"""A fork server for mutmut's test runner: import the heavy libraries once, fork per mutant.

Each mutant's pytest run spends about half its time importing torch, sympy, flint and pytest.
``serve`` imports them, and every module of the packages named in ``MUTATE_PRELOAD`` (packages
below the mutated module, which cannot import it: imports run downward), once; then for each
request it forks a child that runs ``pytest.main`` on the arguments sent, and the child imports
the rest of the project, the mutated module included, fresh from disk. ``run`` is the runner
mutmut calls; its exit status is the child's.

    python scripts/mutmut_forkserver.py serve SOCKET &
    mutmut run --runner "python scripts/mutmut_forkserver.py run SOCKET -x -q tests/..."

Used by scripts/mutate.sh (FORK=1, the default); FORK=0 runs a fresh interpreter per mutant.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import traceback

#: A child that runs longer than this is killed (mutmut's own timeout kills the client first).
CHILD_LIMIT_S = 600


def serve(path: str) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.dont_write_bytecode = True
    import importlib

    import pytest  # noqa: F401  (the point: imported once, before any fork)

    for name in ["mpmath", "numpy", "sympy", "flint", "torch"]:  # no pytest plugin (hypothesis):
        # pytest warns, an error here, when a plugin was imported before it could rewrite it
        importlib.import_module(name)
    for package in filter(None, os.environ.get("MUTATE_PRELOAD", "").split(",")):
        for file in sorted(os.listdir(package)):
            if file.endswith(".py") and file not in ("__init__.py", "__main__.py"):
                if f"{package}.{file[:-3]}" in os.environ.get("MUTATE_SKIP", "").split(","):
                    continue  # the mutated module itself (MUTATE_SKIP): read fresh per mutant
                importlib.import_module(f"{package}.{file[:-3]}")
    for name in filter(None, os.environ.get("MUTATE_SKIP", "").split(",")):
        if name in sys.modules:
            raise SystemExit(f"{name} was imported by the preload: it would not be re-read")
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(conn.makefile().readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                _child(request)
            code = _wait(pid, conn)
            if code is not None:
                conn.sendall(f"{code}\n".encode())


def _wait(pid: int, conn: socket.socket) -> int | None:
    """The child's exit status; None (the child killed) when the client went away first, as
    it does when mutmut's timeout kills it."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(1):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None


def _child(request: dict) -> None:
    os.chdir(request["cwd"])
    out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    signal.alarm(CHILD_LIMIT_S)
    import pytest

    try:
        code = int(pytest.main(request["args"]))
    except BaseException:  # a crash of the run is a failed run: the mutant is killed
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def ask(path: str, args: list[str], cwd: str, limit: float | None = None) -> int | None:
    """The pytest exit status of ``args`` run in ``cwd`` by the server at ``path``; None when
    no status came back within ``limit`` seconds (the child is then killed) or at all."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.settimeout(limit)
    log = os.environ.get("MUTATE_RUN_LOG", os.devnull)
    try:
        client.sendall((json.dumps({"cwd": cwd, "args": args, "log": log}) + "\n").encode())
        reply = client.makefile().readline()
    except TimeoutError:
        return None
    finally:
        client.close()
    return int(reply) if reply else None


def run(path: str, args: list[str]) -> int:
    code = ask(path, args, os.getcwd())
    # mutmut 2 counts only exit status 1 as "tests failed": a mutant that cannot be imported (a
    # syntax error, pytest's status 2) or crashes the run would count as survived
    return 0 if code == 0 else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit(run(sys.argv[2], sys.argv[3:]))
