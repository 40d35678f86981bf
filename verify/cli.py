"""Command line: ``python -m verify activation|list|report``. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import enum
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import fields, replace

import sympy as sp

from symbolic.activations import REGISTRY, resolve
from symbolic.result import Status, VerifyError
from verify.checks import Verification, run_checks
from verify.render import render_summary_markdown, render_text, to_json
from verify.report import write_report
from verify.settings import Settings


class ExitCode(enum.IntEnum):
    """Process exit codes (listed in --help)."""

    PASS = 0  # every check passed
    FAIL = 1  # some check failed or could not run (ERROR)
    USAGE = 2  # bad usage or bad input
    INCONCLUSIVE = 3  # no failure, but something could not be decided
    INTERRUPTED = 130  # stopped with Ctrl-C


EPILOG = (
    "exit codes: "
    + ", ".join(f"{c.value} {c.name}" for c in ExitCode)
    + (
        "  (0: all PASS; 1: any FAIL or ERROR; 2: bad usage or input; "
        "3: no FAIL, some INCONCLUSIVE)"
    )
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def _width_list(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected widths like 64,256,1024, got {text!r}"
        ) from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive, got {text!r}")
    return tuple(sorted(set(widths)))


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text}")
    return value


def _device(text: str) -> str:
    import torch

    if text == "cpu":
        return text
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            raise argparse.ArgumentTypeError("CUDA is not available in this torch installation")
        return text
    raise argparse.ArgumentTypeError(f"device must be cpu or cuda[:N], got {text!r}")


def _add_run_options(p: argparse.ArgumentParser, train_default: bool) -> None:
    d = Settings()
    g = p.add_argument_group("data")
    g.add_argument("--n", type=_positive_int, default=d.n, help=f"number of points (default {d.n})")
    g.add_argument("--d", type=_positive_int, default=d.d, help=f"input dimension (default {d.d})")
    g.add_argument(
        "--data", metavar="FILE|digits", help="a .npy/.csv file, or 'digits' (scikit-learn)"
    )
    g.add_argument(
        "--label-scale",
        type=_positive_float,
        default=d.label_scale,
        help=f"standard deviation of the labels (default {d.label_scale}; see README)",
    )
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--width", type=_positive_int, default=d.width, help=f"width m (default {d.width})"
    )
    g.add_argument(
        "--sigma-w2", type=_positive_float, help="σ_w² (default 1/(16 L²), 1/16 if L = ∞)"
    )
    g.add_argument(
        "--steps", type=_positive_int, default=d.steps, help=f"GD steps (default {d.steps})"
    )
    g.add_argument(
        "--lr", type=_positive_float, help="step size (default 1/λ_max of the NTK at init)"
    )
    g.add_argument(
        "--solver",
        choices=["picard", "anderson"],
        default=d.solver,
        help="forward fixed-point solver (default picard)",
    )
    g.add_argument("--device", type=_device, default="cpu", help="cpu or cuda[:N] (default cpu)")
    if train_default:
        g.add_argument(
            "--no-train",
            dest="train",
            action="store_false",
            help="symbolic and population checks only",
        )
    else:
        g.add_argument("--train", dest="train", action="store_true", help="also train each DEQ")
    g.add_argument(
        "--width-study",
        type=_width_list,
        default=(),
        metavar="M1,M2,...",
        help="train at these widths over --study-seeds seeds and report the smallest width "
        "where λ_0 ≥ mλ*/2 and the linear rate held",
    )
    g.add_argument("--study-seeds", type=_positive_int, default=3, help="seeds per width (3)")
    g.add_argument(
        "--no-width-sweep",
        dest="width_sweep",
        action="store_false",
        help="skip the ‖ZᵀZ/m - G*‖ width sweep",
    )
    g = p.add_argument_group("reconstructed constants (SPEC.md marks them; defaults from it)")
    g.add_argument(
        "--a-scale",
        type=_positive_float,
        default=d.a_scale,
        help=f"read-out init a_j ~ N(0, A/m) (default {d.a_scale:g})",
    )
    g.add_argument(
        "--init-margin",
        type=_fraction,
        default=d.init_margin,
        help=f"redraw W until L‖W‖₂ <= 1 - MARGIN (default {d.init_margin:g})",
    )
    g.add_argument(
        "--rate-constant",
        type=_positive_float,
        default=d.rate_constant,
        help=f"c in the rate bound 1 - c·ηλ_0 (default {d.rate_constant:g})",
    )
    g = p.add_argument_group("precision and output")
    g.add_argument(
        "--seed", type=int, default=d.seed, help=f"seed of every random draw (default {d.seed})"
    )
    g.add_argument(
        "--dps",
        type=_positive_int,
        default=d.dps,
        help=f"digits of the mpmath coefficients (default {d.dps})",
    )
    g.add_argument(
        "--hermite-terms",
        type=_positive_int,
        default=d.hermite_terms,
        help=f"Hermite coefficients to report (default {d.hermite_terms})",
    )
    g.add_argument("--quiet", action="store_true", help="no progress on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m verify",
        description="Verify the hypotheses and conclusions of DEQ global-convergence theory "
        "(Truong, arXiv 2302.05797) for an activation.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("activation", help="run every check for one activation", epilog=EPILOG)
    p.add_argument(
        "activation", help="a registry name (see 'list') or a formula in x, e.g. 'x*exp(-x**2/2)'"
    )
    _add_run_options(p, train_default=True)
    p.add_argument("--json", metavar="PATH", help="write the JSON result to PATH ('-' for stdout)")
    p.add_argument(
        "--report", metavar="DIR", help="write report.md, report.html, report.json to DIR"
    )
    sub.add_parser("list", help="the activation registry", epilog=EPILOG)
    p = sub.add_parser("report", help="one report over several activations", epilog=EPILOG)
    p.add_argument("activations", nargs="*", help="names or formulas (default: the whole registry)")
    p.add_argument("--out", metavar="DIR", required=True, help="output folder")
    _add_run_options(p, train_default=False)
    return parser


def _settings(args: argparse.Namespace, activation: str) -> Settings:
    """Every Settings field that has an option of the same name; the rest keep their defaults."""
    given = {f.name: getattr(args, f.name) for f in fields(Settings) if hasattr(args, f.name)}
    return Settings(**{**given, "activation": activation})


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    return lambda msg: print(f"\r\033[K… {msg}", end="", file=sys.stderr, flush=True)


def _exit_code(statuses: list[Status]) -> ExitCode:
    if Status.FAIL in statuses or Status.ERROR in statuses:
        return ExitCode.FAIL
    return ExitCode.INCONCLUSIVE if Status.INCONCLUSIVE in statuses else ExitCode.PASS


def _cmd_list() -> int:
    width = max(len(n) for n in REGISTRY)
    for name, act in REGISTRY.items():
        extras = [
            k
            for k, v in (("Hermite closed form", act.hermite), ("closed dual", act.dual))
            if v is not None
        ]
        tail = f"  [{', '.join(extras)}]" if extras else ""
        print(f"{name.ljust(width)}  {sp.sstr(act.expr)}  — {act.description}{tail}")
    return ExitCode.PASS


def _cmd_activation(args: argparse.Namespace) -> int:
    progress = _progress(args.quiet)
    v = run_checks(_settings(args, args.activation), progress)
    if progress:
        print("\r\033[K", end="", file=sys.stderr)
    text = render_text(v)
    if args.json == "-":
        print(json.dumps(to_json(v), indent=2))
        if not args.quiet:
            print(text, file=sys.stderr, end="")
    else:
        print(text, end="")
        if args.json:
            _write_text(args.json, json.dumps(to_json(v), indent=2))
    if args.report:
        print(f"report: {write_report([v], args.report)}/report.html", file=sys.stderr)
    return _exit_code([v.verdict])


def _cmd_report(args: argparse.Namespace) -> int:
    names = args.activations or list(REGISTRY)
    acts = [resolve(a) for a in names]  # bad names fail before any work
    progress = _progress(args.quiet)
    runs: list[Verification] = []
    base = _settings(args, names[0])
    for i, act in enumerate(acts, 1):
        step = (
            (lambda m, i=i, a=act: progress(f"[{i}/{len(acts)}] {a.name}: {m}"))
            if progress
            else None
        )
        runs.append(run_checks(replace(base, activation=act.name), step, act=act))
    if progress:
        print("\r\033[K", end="", file=sys.stderr)
    path = write_report(runs, args.out)
    print(render_summary_markdown(runs))
    print(f"report: {path}/report.html", file=sys.stderr)
    return _exit_code([v.verdict for v in runs])


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as exc:
        raise VerifyError(f"cannot write {path}: {exc.strerror}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (see :class:`ExitCode`)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line error and usage
        return ExitCode.PASS if exc.code == 0 else ExitCode.USAGE
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "activation":
            return _cmd_activation(args)
        return _cmd_report(args)
    except VerifyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return ExitCode.PASS
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
