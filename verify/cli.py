"""Command line: ``python -m verify activation|list|report|recheck|study|findings``;
 ``main(argv) -> int``.

The run options are generated from the fields of :class:`verify.settings.Settings`, so each
default is declared once. The heavy layers (sympy, torch) are imported only when a command runs:
``--help`` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

from symbolic.errors import VerifyError
from verify.report_folder import UnsafeFolder
from verify.settings import (
    Settings,
    from_flat,
    key_of,
    leaves,
    nonnegative_int,
    positive_float,
    positive_int,
)


class ExitCode(enum.IntEnum):
    """Process exit codes, one per outcome word (docs/theory.md §8.1; listed in --help)."""

    PASS = 0  # covered: a theorem applies and its conclusions held
    REFUTED = 1  # a theorem applies and one of its conclusions failed
    USAGE = 2  # bad usage or bad input
    INCONCLUSIVE = 3  # nothing refuted, something undecided
    NOT_COVERED = 4  # no theorem's hypotheses hold for φ
    ERROR = 5  # a computation contradicted itself (a float outside its own certified enclosure)
    UNSAFE_FOLDER = 6  # the output folder could make the tool replace or remove a user's file
    NOT_PROVED = 7  # recheck: some claim of the certificate file was not re-proved
    INTERNAL = 70  # a bug in deq-verify (one line, no traceback)
    INTERRUPTED = 130  # stopped with Ctrl-C (SIGINT) or SIGTERM


EPILOG = (
    "exit codes: 0 PASS (covered: a theorem applies and its conclusions held); 1 REFUTED (a "
    "theorem applies and one of its conclusions failed); 2 USAGE (bad usage or input); 3 "
    "INCONCLUSIVE (nothing refuted, a hypothesis or conclusion undecided); 4 NOT_COVERED (no "
    "theorem's hypotheses hold for φ); 5 ERROR (a computation contradicted itself); 6 "
    "UNSAFE_FOLDER (the output folder was refused, nothing written: its manifest "
    ".deq-verify-report.json names something other than files deq-verify wrote (checked by "
    "content hash), or a link, a folder or another program's file stands where deq-verify would "
    "write); 7 NOT_PROVED (recheck: a claim of the certificate file was not re-proved); 70 "
    "INTERNAL (a bug: one line, please report it); 130 INTERRUPTED (Ctrl-C or "
    "SIGTERM). Over several activations, the most severe: REFUTED, ERROR, NOT_COVERED, "
    "INCONCLUSIVE, PASS."
)
STUDY_EPILOG = (
    "Ctrl-C (SIGINT) or SIGTERM stops a study within a second or so: finished cells are "
    "committed, pending ones cancelled, the workers stopped (a Dask cluster's running tasks "
    "are cancelled), and it prints 'interrupted: K of N cells kept; resume with the same "
    "command' and exits 130; a second Ctrl-C stops at once. Several studies may share one --out "
    "folder: each claims a group or cell in the store before computing it, so they split the "
    "work and every cell is computed once; a claim whose run died (its process gone, or no "
    "heartbeat for 60 s) is taken over. Keep the folder on a local disk. " + EPILOG
)

_GROUPS = {
    "data": "data",
    "model": "model (σ_w², width and the reconstructed initialization constants)",
    "solve": "fixed-point solves",
    "schedule": "gradient descent",
    "study": "width sweep and width study",
    "precision": "precision",
    "ling": "Ling et al.'s Condition 1 (theorem ling2023)",
    "gao": "Gao & Gao's implicit network (theorem gao2022)",
}

#: The report command trains only when asked (--train) and draws every spectrum; every other
#: default is Settings'.
REPORT_DEFAULTS = replace(Settings(), train=False, spectra=True)
#: The study's own grid replaces these settings (its cells always train, force, Truong only).
STUDY_EXCLUDED = frozenset(
    {"n", "data", "width", "sigma_w2", "width_study", "width_sweep", "theorem", "force", "train"}
    | {"sweep_seeds", "study_seeds"}
)
STUDY_DEFAULTS = Settings()
#: The default study: covered (sin, tanh, sigmoid), outside (relu: φ'' unbounded; exp: φ'
#: unbounded, at a σ_w² where its variance map has a fixed point).
STUDY_ACTIVATIONS = "sin,tanh,sigmoid,relu,exp@0.01"


def _add_field(group, f, default) -> None:
    meta, key = f.metadata, key_of(f)
    flag = "--" + key.replace("_", "-")
    if isinstance(default, bool):
        if default:
            flag = "--no-" + key.replace("_", "-")
        action = "store_false" if default else "store_true"
        text = f"turn off (on by default): {meta['help']}" if default else meta["help"]
        group.add_argument(flag, dest=key, action=action, default=default, help=text)
        return
    shown = "" if default is None or default == () else f" (default {default})"
    kwargs = {"dest": key, "default": default, "help": meta["help"] + shown}
    if meta.get("repeat"):
        kwargs["action"] = "append"
        kwargs["default"] = None  # argparse appends to a given default; the record has ()
    if meta.get("parse"):
        kwargs["type"] = meta["parse"]
    if meta.get("choices"):
        kwargs["choices"] = meta["choices"]
    if meta.get("metavar"):
        kwargs["metavar"] = meta["metavar"]
    group.add_argument(flag, **kwargs)


def add_settings_options(
    p: argparse.ArgumentParser, defaults: Settings, exclude: frozenset[str] = frozenset()
) -> None:
    """One option per Settings leaf that is not API-only (nor in ``exclude``, by key), grouped
    by sub-record."""
    top = p.add_argument_group("run")
    for f in fields(defaults):
        value = getattr(defaults, f.name)
        if is_dataclass(value):
            flagged = [
                sub
                for sub in fields(value)
                if not sub.metadata.get("api_only") and key_of(sub) not in exclude
            ]
            group = p.add_argument_group(_GROUPS[f.name]) if flagged else None
            for sub in flagged:
                _add_field(group, sub, getattr(value, sub.name))
        elif not (
            f.metadata.get("api_only") or f.metadata.get("positional") or key_of(f) in exclude
        ):
            _add_field(top, f, value)
    top.add_argument("--quiet", action="store_true", help="no progress on stderr")
    top.add_argument(
        "--progress",
        action="store_true",
        help="show progress even when stderr is not a terminal (a log file, CI)",
    )


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
    add_settings_options(p, Settings())
    p.add_argument("--json", metavar="PATH", help="write the JSON result to PATH ('-' for stdout)")
    p.add_argument(
        "--report", metavar="DIR", help="write report.md, report.html, report.json to DIR"
    )
    p.add_argument(
        "--certificate",
        metavar="FILE",
        help="write the run's certified claims, with what re-checking them needs, to FILE "
        "(see 'recheck')",
    )
    sub.add_parser("list", help="the activation registry", epilog=EPILOG)
    p = sub.add_parser(
        "recheck",
        help="re-check a certificate file independently: PROVED or NOT PROVED per claim",
        epilog=EPILOG,
    )
    p.add_argument("file", help="a file written by 'activation ... --certificate FILE'")
    p = sub.add_parser("report", help="one report over several activations", epilog=EPILOG)
    p.add_argument("activations", nargs="*", help="names or formulas (default: the whole registry)")
    p.add_argument("--out", metavar="DIR", required=True, help="output folder")
    add_settings_options(p, REPORT_DEFAULTS)
    p = sub.add_parser(
        "study",
        help="a grid of activations × data × n × widths × seeds, stored and resumable, "
        "with an atlas",
        epilog=STUDY_EPILOG,
    )
    g = p.add_argument_group("the grid")
    g.add_argument(
        "--activations",
        default=STUDY_ACTIVATIONS,
        help="names or formulas, comma-separated; NAME@S gives that one σ_w² = S "
        f"(default {STUDY_ACTIVATIONS})",
    )
    g.add_argument("--n", dest="study_n", default="8,16", help="numbers of points (default 8,16)")
    g.add_argument("--widths", default="32,128,512", help="widths m (default 32,128,512)")
    g.add_argument(
        "--seeds", type=positive_int, default=3, help="replicates per (n, width) (default 3)"
    )
    g.add_argument(
        "--data",
        dest="study_data",
        default="sphere,digits",
        help="data sources: sphere, digits or files, comma-separated (default sphere,digits)",
    )
    g.add_argument(
        "--sigma-w2",
        dest="study_sigma_w2",
        type=positive_float,
        help="σ_w² for every activation without its own @S (default: each one's 1/(16L²))",
    )
    g = p.add_argument_group("where it runs and what it writes")
    g.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run the cells on this Dask scheduler"
    )
    g.add_argument(
        "--workers",
        type=nonnegative_int,
        help="local processes (default: the cores; 0 runs in this process)",
    )
    g.add_argument("--out", metavar="DIR", required=True, help="folder: the store and the atlas")
    g.add_argument("--json", metavar="PATH", help="write the JSON summary to PATH ('-': stdout)")
    add_settings_options(p, STUDY_DEFAULTS, STUDY_EXCLUDED)
    _add_findings(sub)
    return parser


def _add_findings(sub) -> None:
    """The findings command: the named preset of verify.study.preset, then docs/findings.md."""
    from verify.settings import SEED_MAX, Settings

    seed_field = next(f for f in fields(Settings) if f.name == "seed")
    p = sub.add_parser(
        "findings",
        help="the findings preset (λ* atlas, minimal widths, outside the hypotheses, inputs) "
        "into a resumable store, and the findings document from it",
        epilog=STUDY_EPILOG,
    )
    p.add_argument("--out", metavar="DIR", required=True, help="folder of the store")
    p.add_argument(
        "--scale",
        choices=("tiny", "default", "large"),
        default="default",
        help="tiny: a smoke run in seconds; default: about 70 minutes on two cores; large: for a "
        "Dask cluster (default: default)",
    )
    p.add_argument(
        "--seed",
        type=seed_field.metadata["parse"],
        default=0,
        help=f"seed of the data and of the bootstrap, in [0, {SEED_MAX}] (default 0)",
    )
    p.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run the cells on this Dask scheduler"
    )
    p.add_argument(
        "--workers",
        type=nonnegative_int,
        help="local processes (default: the cores; 0 runs in this process)",
    )
    p.add_argument(
        "--document",
        metavar="PATH",
        help="the findings document (default DIR/findings.md); its figures go to the folder "
        "beside it named after it",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--progress", action="store_true", help="show progress even when stderr is not a terminal"
    )


def settings_from_args(args: argparse.Namespace, activation: str) -> Settings:
    """The Settings of the parsed options (every non-API-only leaf has one)."""
    given = {key: getattr(args, key) for key, _, _ in leaves(Settings()) if hasattr(args, key)}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    given = {k: v for k, v in given.items() if v is not None or not _repeats(k)}
    return from_flat({**given, "activation": activation})


def _repeats(key: str) -> bool:
    return any(f.metadata.get("repeat") for k, f, _ in leaves(Settings()) if k == key)


class _Bar:
    """A tqdm bar on stderr: ``__call__(msg)`` shows the current stage beside the elapsed time;
    with ``total`` (report entries, study cells) ``advance()`` moves it and tqdm estimates the
    time left. Cleared when closed."""

    def __init__(self, total: int | None, unit: str) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            unit=unit,
            file=sys.stderr,
            dynamic_ncols=True,
            leave=False,
            mininterval=0.2,
        )

    def __call__(self, msg: str) -> None:
        self.bar.set_description_str(msg[:60], refresh=True)

    def advance(self) -> None:
        self.bar.update(1)

    def reach(self, done: int, msg: str, *, first: bool) -> None:
        """Set the count to ``done``; on the ``first`` call the count so far (work found done,
        e.g. a study's reused cells) is left out of the rate behind the estimate."""
        if first:
            self.bar.initial = done
        self.bar.n = done
        self(msg)

    def close(self) -> None:
        self.bar.close()


def _progress(args: argparse.Namespace, total: int | None = None, unit: str = "it"):
    """The run's progress bar, or None: off with --quiet, and when stderr is not a terminal
    unless --progress asks for it."""
    if args.quiet or not (args.progress or sys.stderr.isatty()):
        return None
    return _Bar(total, unit)


def exit_code(outcomes: list) -> ExitCode:
    """The process exit code for the outcomes of the runs (:class:`verify.theorems.Outcome`):
    the code of the most severe (``verify.theorems.SEVERITY``)."""
    from verify.theorems import most_severe

    return ExitCode[most_severe(outcomes).name]


def _cmd_list() -> int:
    import sympy as sp

    from symbolic.activations import REGISTRY

    width = max(len(n) for n in REGISTRY)
    for name, act in REGISTRY.items():
        extras = [
            k
            for k, v in (
                ("Hermite closed form", act.hermite_closed_form),
                ("closed dual", act.dual),
            )
            if v is not None
        ]
        tail = f"  [{', '.join(extras)}]" if extras else ""
        print(f"{name.ljust(width)}  {sp.sstr(act.expr)}  — {act.description}{tail}")
    return ExitCode.PASS


def _cmd_activation(args: argparse.Namespace) -> int:
    settings = settings_from_args(args, args.activation)
    if args.report:  # a report shows every spectrum
        settings = replace(settings, spectra=True)
    act = _precheck(settings, args.report)  # torch-free: refusals are instant
    data = _loaded(settings)  # every data refusal comes before torch is imported

    from verify.checks import run_checks
    from verify.render import outcome, render_text, to_json

    progress = _progress(args, unit="stage")
    try:
        v = run_checks(settings, progress, act=act, data=data)
    finally:
        if progress:
            progress.close()
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
        from verify.report import write_report

        path = write_report([v], args.report, force=settings.force)
        print(f"report: {path}/report.html", file=sys.stderr)
    if args.certificate:
        from verify.certificate_file import write_certificate

        write_certificate(v, args.certificate)
        print(f"certificate: {args.certificate}", file=sys.stderr)
    return exit_code([outcome(v)])


def _cmd_recheck(args: argparse.Namespace) -> int:
    """The independent checker (verify.recheck: no torch, no producing code)."""
    from verify.recheck import MALFORMED, NOT_PROVED
    from verify.recheck import main as recheck_main

    code = recheck_main(args.file)
    return {NOT_PROVED: ExitCode.NOT_PROVED, MALFORMED: ExitCode.USAGE}.get(code, ExitCode.PASS)


def _cmd_report(args: argparse.Namespace) -> int:
    from symbolic.activations import REGISTRY, resolve
    from verify.refusals import precheck

    names = args.activations or list(REGISTRY)
    acts = [resolve(a) for a in names]  # bad names fail before any work
    base = settings_from_args(args, names[0])
    from verify.report_folder import check_report_folder

    check_report_folder(Path(args.out), force=base.force)
    for act in acts:
        try:
            precheck(act, replace(base, activation=act.name))
        except VerifyError as exc:
            raise VerifyError(f"{act.name}: {exc}") from None
    data = _loaded(base)  # every data refusal comes before torch is imported

    from verify.checks import run_checks
    from verify.render import outcome, render_summary_markdown
    from verify.report import write_report

    runs = []
    progress = _progress(args, total=len(acts), unit="activation")
    try:
        for act in acts:
            step = (lambda m, a=act: progress(f"{a.name}: {m}")) if progress else None
            runs.append(run_checks(replace(base, activation=act.name), step, act=act, data=data))
            if progress:
                progress.advance()
    finally:
        if progress:
            progress.close()
    path = write_report(runs, args.out, force=base.force)
    print(render_summary_markdown(runs))
    print(f"report: {path}/report.html", file=sys.stderr)
    return exit_code([outcome(v) for v in runs])


def _cmd_study(args: argparse.Namespace) -> int:
    from verify.study.grid import (
        SPHERE,
        StudyGrid,
        parse_activations,
        parse_ints,
        split_top_level,
    )

    base = settings_from_args(args, "sin")
    base = replace(base, model=replace(base.model, sigma_w2=args.study_sigma_w2))
    grid = StudyGrid(
        parse_activations(args.activations),
        parse_ints(args.study_n, "--n"),
        parse_ints(args.widths, "--widths"),
        args.seeds,
        tuple(split_top_level(args.study_data)),
        base.study.study_fraction,
    )
    _check_grid(grid, base, SPHERE)
    from verify.report_folder import check_report_folder

    out = Path(args.out)
    check_report_folder(out, force=None, names=["atlas.md", "atlas.html"])
    from verify.study.report import finish_study, where_run
    from verify.study.run import connect, default_workers, run_study

    client = connect(args.scheduler) if args.scheduler else None
    workers = args.workers if args.workers is not None else default_workers()
    bar = _progress(args, total=grid.size, unit="cell")

    def progress(done: int, _total: int, computed: int) -> None:
        bar.reach(done, f"cells ({computed} computed)", first=computed == 0)

    try:
        run = run_study(
            grid, base, out, workers=workers, client=client, progress=progress if bar else None
        )
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    summary, text = finish_study(run, base, out, where_run(workers, args.scheduler))
    if args.json == "-":
        print(json.dumps(summary, indent=2))
        if not args.quiet:
            print(text, file=sys.stderr, end="")
    else:
        print(text, end="")
        if args.json:
            _write_text(args.json, json.dumps(summary, indent=2))
    return ExitCode.PASS


def _cmd_findings(args: argparse.Namespace) -> int:
    from verify.study.preset import build_preset

    out = Path(args.out)
    doc_path = Path(args.document) if args.document else out / "findings.md"
    preset = build_preset(args.scale, args.seed)
    from verify.study.findings import run_findings, write_document
    from verify.study.report import where_run
    from verify.study.run import connect, default_workers

    client = connect(args.scheduler) if args.scheduler else None
    workers = args.workers if args.workers is not None else default_workers()
    total = len(preset.work()[1])
    bar = _progress(args, total=total, unit="cell")

    def progress(done: int, _total: int, computed: int) -> None:
        bar.reach(done, f"cells ({computed} computed)", first=computed == 0)

    try:
        records, done = run_findings(
            preset, out, workers=workers, client=client, progress=progress if bar else None
        )
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    write_document(records, doc_path)
    where = where_run(workers, args.scheduler)
    print(
        f"findings ({args.scale}, seed {args.seed}): {done.cells_total} cells "
        f"({done.cells_computed} computed, {done.cells_reused} reused) and "
        f"{len(records.groups)} groups in {done.seconds:.1f} s on {where}\n"
        f"document: {doc_path}"
    )
    return ExitCode.PASS


def _check_grid(grid, base: Settings, sphere: str) -> None:
    """Bad names, files and sizes refuse the study before any cell runs."""
    from symbolic.activations import resolve
    from verify.refusals import check_sizes

    for a in grid.activations:
        resolve(a.name)
    for n in grid.ns:
        check_sizes(n, replace(base, model=replace(base.model, width=max(grid.widths))))
    for src in grid.data:
        if src != sphere:
            _loaded(replace(base, data=replace(base.data, n=max(grid.ns), data=src)))


def _precheck(settings: Settings, folder: str | None):
    """Everything that can refuse the run before any numeric work (and before torch is
    imported): the activation, the report folder, settings outside the theory."""
    from symbolic.activations import resolve
    from verify.refusals import precheck

    act = resolve(settings.activation)
    if folder:
        from verify.report_folder import check_report_folder

        check_report_folder(Path(folder), force=settings.force)
    precheck(act, settings)
    return act


def _loaded(settings: Settings):
    """The run's data, loaded once (and refused if a run on it would not fit in memory); every
    change made to it is said on stderr at once. Read and checked before torch is imported."""
    from numeric.data import load_points, to_dataset
    from verify.refusals import check_sizes

    points = load_points(settings.data, settings.seed)
    check_sizes(points.n, settings)
    for notice in points.notices:
        print(f"notice: {notice}", file=sys.stderr)
    return to_dataset(points)


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
            code = _cmd_list()
        elif args.command == "activation":
            code = _cmd_activation(args)
        elif args.command == "recheck":
            code = _cmd_recheck(args)
        elif args.command == "study":
            code = _cmd_study(args)
        elif args.command == "findings":
            code = _cmd_findings(args)
        else:
            code = _cmd_report(args)
        sys.stdout.flush()  # a closed pipe must raise here, not at interpreter exit
        return code
    except UnsafeFolder as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.UNSAFE_FOLDER
    except VerifyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:  # output piped into head & co.: stop writing, quietly
        _silence_stdout()
        return ExitCode.PASS
    except KeyboardInterrupt as exc:  # a study says what it kept (StudyInterrupted)
        print(f"\n{str(exc) or 'interrupted'}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except (
        Exception
    ) as exc:  # a bug of ours: one line, never a traceback (DEQ_VERIFY_DEBUG=1 shows it)
        if os.environ.get("DEQ_VERIFY_DEBUG"):
            raise
        print(
            f"error: internal error ({exc}); this is a bug in deq-verify: please report it with "
            "the command line (DEQ_VERIFY_DEBUG=1 shows where it happened)",
            file=sys.stderr,
        )
        return ExitCode.INTERNAL


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's final flush does not
    raise again (the documented recipe of Python's signal module)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


__all__ = ["ExitCode", "build_parser", "exit_code", "main", "settings_from_args"]
