"""The settings record is the one source of every option and default."""

from dataclasses import fields, is_dataclass

import pytest

from verify.cli import REPORT_DEFAULTS, build_parser, settings_from_args
from verify.settings import Settings, from_flat, leaves


def _subparser(name):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[name]


def test_every_field_has_a_flag_or_is_marked_api_only():
    dests = {a.dest for a in _subparser("activation")._actions}
    for key, f, _ in leaves(Settings()):
        assert (key in dests) != bool(f.metadata.get("api_only")), key
    assert "activation" in dests  # the one positional


def test_keys_are_unique_so_the_flat_json_is_lossless():
    keys = [key for key, _, _ in leaves(Settings())]
    assert len(keys) == len(set(keys))


def _changed(value):
    """A value different from the default, of the same type, accepted by the parser."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 3
    if isinstance(value, float):
        return value / 2
    if isinstance(value, tuple):
        return (16, 32)
    return None


NON_DEFAULT = {
    "solver": "anderson",
    "data": "digits",
    "device": "cpu",
    "sigma_w2": 0.03,
    "n": 33,
    "ling_delta": 0.05,
    "width_ratio": 2.0,
    "theorem": ("ling2023", "gao2022"),
    "lr": 0.004,
}


def test_every_flag_reaches_the_record():
    """Each option given a non-default value on the command line arrives in Settings."""
    argv, want = ["activation", "tanh"], {}
    for key, f, default in leaves(Settings()):
        if f.metadata.get("api_only") or f.metadata.get("positional"):
            continue
        value = NON_DEFAULT.get(key, _changed(default))
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            argv.append("--no-" + key.replace("_", "-") if default else flag)
        elif f.metadata.get("repeat"):
            for item in value:
                argv += [flag, item]
        elif isinstance(value, tuple):
            argv += [flag, ",".join(map(str, value))]
        else:
            argv += [flag, str(value)]
        want[key] = value
    args = build_parser().parse_args(argv)
    got = settings_from_args(args, "tanh").to_dict()
    for key, value in want.items():
        assert got[key] == value, key
    assert got["activation"] == "tanh"


def test_report_command_trains_only_when_asked():
    assert REPORT_DEFAULTS.train is False and Settings().train is True
    args = build_parser().parse_args(["report", "--out", "x"])
    assert settings_from_args(args, "sin").train is False
    args = build_parser().parse_args(["report", "--out", "x", "--train"])
    assert settings_from_args(args, "sin").train is True


def test_from_flat_rejects_unknown_keys_and_keeps_the_rest():
    s = from_flat({"width": 64, "solver": "anderson"})
    assert s.model.width == 64 and s.solve.method == "anderson"
    assert s.model.a_scale == Settings().model.a_scale
    with pytest.raises(KeyError, match="widht"):
        from_flat({"widht": 64})


def test_no_numeric_default_below_verify():
    """Library functions receive settings whole: no public function in symbolic/ or numeric/
    has a numeric default argument (method constants are module-level, named and documented)."""
    import importlib
    import inspect
    import pkgutil

    import numeric
    import symbolic

    offenders = []
    for pkg in (symbolic, numeric):
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for name, fn in vars(mod).items():
                if name.startswith("_") or not inspect.isfunction(fn):
                    continue
                if fn.__module__ != mod.__name__:
                    continue
                for p in inspect.signature(fn).parameters.values():
                    d = p.default
                    if isinstance(d, (int, float)) and not isinstance(d, bool):
                        offenders.append(f"{mod.__name__}.{name}({p.name}={d})")
    assert offenders == []


#: The one public name that is also a package: the study wing (verify/study/) is callable as the
#: documented function verify.study(grid, out, ...) (docs/architecture.md).
CALLABLE_PACKAGES = {"verify.study": "verify.study.report"}


def test_public_names_are_not_shadowed_modules():
    """``from numeric import x`` gives what __all__ promises, never a plain submodule; the one
    package that is a public name calls the function it stands for, with its signature."""
    import importlib
    import inspect
    import pkgutil
    import types

    for pkg_name in ("symbolic", "numeric", "verify"):
        pkg = importlib.import_module(pkg_name)
        modules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
        for name in pkg.__all__:
            public = getattr(pkg, name)
            home = CALLABLE_PACKAGES.get(f"{pkg_name}.{name}")
            if home is not None:
                function = getattr(importlib.import_module(home), name)
                assert callable(public) and inspect.signature(public) == inspect.signature(function)
                continue
            assert name not in modules, f"{pkg_name}.{name} is both a module and a public name"
            assert not isinstance(public, types.ModuleType)


def test_help_imports_nothing_heavy():
    """`--help` (every command's) answers without importing torch or sympy, which is what
    makes it instant (benchmarks/bench_refusals.py times it); timeouts only bound a hang."""
    import subprocess
    import sys

    code = "import sys, verify.cli; sys.exit(int('torch' in sys.modules or 'sympy' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=300).returncode == 0
    helps = [["--help"], *([c, "--help"] for c in ("activation", "list", "report", "study"))]
    code = (
        "import sys; from verify.cli import main; "
        f"codes = [main(a) for a in {helps!r}]; "
        "sys.exit(100 if 'torch' in sys.modules or 'sympy' in sys.modules else max(codes))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr  # 100: something heavy was imported
    text = " ".join(proc.stdout.decode().split())  # argparse wraps the epilogs
    assert "6 UNSAFE_FOLDER" in text and "interrupted: K of N cells kept" in text


def test_every_record_is_frozen():
    for record in (Settings(), *[getattr(Settings(), f.name) for f in fields(Settings)]):
        if is_dataclass(record):
            assert record.__dataclass_params__.frozen
