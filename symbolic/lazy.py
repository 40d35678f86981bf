"""Lazy package attributes: a package lists {public name: module} and imports each module on
first use, so light modules (errors, settings, the CLI's --help) never pay for sympy or torch."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, table: dict[str, str]) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` for ``package`` that imports ``table[name]`` on first use."""

    def __getattr__(name: str) -> Any:
        if name in table:
            return getattr(importlib.import_module(table[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def lazy_dir(namespace: dict[str, Any], table: dict[str, str]) -> Callable[[], list[str]]:
    """A module-level ``__dir__`` listing the lazy names beside those already defined, so that
    ``dir(package)`` and tab completion show the public API before anything is imported."""

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __dir__


__all__ = ["lazy_dir", "lazy_getattr"]
