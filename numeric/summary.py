"""Short printed forms of result records: a record prints its key numbers, its tensors by shape
and its lists by length (the data itself is one attribute away), so a notebook cell or a log line
showing a result stays a few lines long."""

from __future__ import annotations

from typing import Any


def shape_of(value: Any) -> str:
    """``'64×3'`` for a 2-D tensor or array, ``'64'`` for a vector, ``'scalar'`` for 0-D; a list
    or tuple by its length (``'21 values'``)."""
    if isinstance(value, (list, tuple)):
        return f"{len(value)} values"
    shape = tuple(getattr(value, "shape", ()))
    return "×".join(str(s) for s in shape) if shape else "scalar"


def tensors_of(**tensors: Any) -> str:
    """``'W 64×64, U 64×3, a 64'``: each named tensor by its shape."""
    return ", ".join(f"{name} {shape_of(t)}" for name, t in tensors.items())


__all__ = ["shape_of", "tensors_of"]
