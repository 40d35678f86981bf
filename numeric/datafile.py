"""Reading a user's data file, validated before anything large is allocated.

Accepted, recognized by content (not by the file's suffix):

- ``.npy`` (numpy's format): an n×d array of real floats or integers; labels, if any, in
  ``NAME.labels.npy`` beside it (n numbers). The header is read and checked first (dtype, shape,
  and that the file really holds the bytes it promises), and nothing is ever unpickled.
- ``.npz`` (a zip of ``.npy`` members): the inputs in a member ``x`` (or the only member), labels
  in an optional member ``y``; each member's header is checked the same way.
- CSV text (UTF-8; a leading byte-order mark is dropped): numbers separated by commas, one row
  per line; a first line that is not all numbers is a header, and a last header column named
  ``y``, ``label``, ``labels`` or ``target`` holds the labels.

  A cell is a number in plain decimal or scientific notation, nothing else (:data:`NUMBER`):
  ``3``, ``-0.5``, ``.5``, ``2.``, ``+1e-3``, ``6.02E23``; spaces and tabs around it are ignored
  (``1, 2`` is common). Refused with the line and column: Python's other spellings — digit
  separators ``1_0`` (Python would read 10), ``inf``, ``nan``, hexadecimal, non-ASCII digits —
  and numbers beyond float64's range (``1e400``). Such a cell in the first line is refused too,
  not taken for a header name (which would silently drop a row).

Only a regular file is read (a symbolic link to one is followed): a device, a FIFO, a socket or a
folder is refused as "not a regular file" without being read (a FIFO would block, /dev/zero never
ends). Every problem raises :class:`VerifyError` with one line naming the file, what is wrong and
what was expected. Torch-free.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tokenize
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from symbolic.errors import VerifyError

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_LABEL_HEADERS = ("y", "label", "labels", "target")
#: A header longer than this is not a data file's (numpy's own default limit).
_MAX_HEADER = 10_000
#: A CSV number: plain decimal or scientific notation, ASCII digits only.
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class Table:
    """The numbers of a data file: inputs ``x`` (rows × columns, float64) and labels ``y`` (one
    per row, float64) or None, with a one-word description of the format read."""

    x: np.ndarray
    y: np.ndarray | None
    kind: str


def memory_limit() -> int:
    """Bytes a data array may take once converted to float64: a quarter of physical memory."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    except (ValueError, OSError, AttributeError):  # not POSIX: a fixed 4 GiB
        return 4 << 30


def _gib(nbytes: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def read_table(path: Path) -> Table:
    """The inputs and labels of ``path`` (npy, npz or CSV, recognized by content)."""
    try:
        with _open_regular(path, path.name) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                raise VerifyError(
                    f"{path.name} is empty; expected an n×d table (.npy, .npz or CSV)"
                )
            head = fh.read(8)
            fh.seek(0)
            if head.startswith(_NPY_MAGIC):
                x = _read_npy(fh, path.name, size, matrix=True)
                return Table(x, _labels_beside(path), "npy")
            if head.startswith(_ZIP_MAGICS):
                return _read_npz(fh, path.name)
            return _read_csv(fh, path.name, size)
    except OSError as exc:  # a read error (a disk, a network file system)
        raise VerifyError(f"cannot read {path}: {exc.strerror or exc}") from None


def _open_regular(path: Path, name: str) -> BinaryIO:
    """``path`` opened for reading when it is a regular file (after symbolic links); one line
    otherwise: not found, not a regular file (devices, FIFOs, sockets, folders are never
    opened), or not readable. Opened non-blocking and checked again on the open file, so a file
    swapped for a FIFO in between cannot block the read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        broken = " (a symbolic link to nothing)" if os.path.islink(path) else ""
        raise VerifyError(f"data file not found: {path}{broken}") from None
    except OSError as exc:
        raise VerifyError(f"cannot read {path}: {exc.strerror}") from None
    _require_regular(st.st_mode, path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise VerifyError(f"cannot read {name}: {exc.strerror}") from None
    fh = os.fdopen(fd, "rb")
    try:
        _require_regular(os.fstat(fd).st_mode, path)
    except VerifyError:
        fh.close()
        raise
    return fh


def _require_regular(mode: int, path: Path) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next(
        (
            what
            for test, what in (
                (stat.S_ISDIR, "a folder"),
                (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"),
            )
            if test(mode)
        ),
        "a special file",
    )
    raise VerifyError(
        f"{path} is not a regular file ({kind}); expected an n×d table (.npy, .npz or CSV)"
    )


def _labels_beside(path: Path) -> np.ndarray | None:
    lab = path.with_name(path.name.removesuffix(".npy") + ".labels.npy")
    if not os.path.lexists(lab):
        return None
    with _open_regular(lab, lab.name) as fh:
        if not fh.read(8).startswith(_NPY_MAGIC):
            raise VerifyError(f"{lab.name} is not a .npy file; expected n labels saved by numpy")
        fh.seek(0)
        return _read_npy(fh, lab.name, os.fstat(fh.fileno()).st_size, matrix=False)


def _read_npy(fh: BinaryIO, name: str, size: int, *, matrix: bool) -> np.ndarray:
    """One .npy stream: header checked (dtype real, shape 2-D or 1-D, bytes present, fits in
    memory) before the array is read."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh, max_header_size=_MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh, max_header_size=_MAX_HEADER)
        else:
            raise VerifyError(f"{name}: .npy format version {version} is not supported")
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        raise VerifyError(f"{name} has a damaged .npy header ({exc})") from None
    what = "an n×d table" if matrix else "one label per row"
    _check_dtype(dtype, name, what)
    if matrix and len(shape) != 2:
        hint = " (reshape(-1, 1) for d = 1)" if len(shape) == 1 else ""
        raise VerifyError(
            f"{name} holds an array of shape {shape}; expected {what}, 2-dimensional{hint}"
        )
    if not matrix and not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise VerifyError(f"{name} holds labels of shape {shape}; expected {what} (shape (n,))")
    count = int(np.prod(shape, dtype=object))
    need = count * 8
    if need > memory_limit():
        raise VerifyError(
            f"{name} claims shape {shape}, which needs {_gib(need)} as float64, more than the "
            f"{_gib(memory_limit())} allowed (a quarter of this machine's memory)"
        )
    body = size - fh.tell()
    if count * dtype.itemsize > body:
        raise VerifyError(
            f"{name} is truncated: its header promises {count * dtype.itemsize} bytes of data, "
            f"the file holds {body}"
        )
    if count == 0:
        raise VerifyError(f"{name} holds an empty array of shape {shape}; expected {what}")
    raw = fh.read(count * dtype.itemsize)
    if len(raw) < count * dtype.itemsize:
        raise VerifyError(f"{name} is truncated: it ends after {len(raw)} bytes of data")
    arr = np.frombuffer(raw, dtype=dtype)
    order = "F" if fortran else "C"
    arr = arr.reshape(shape, order=order).astype(np.float64)
    return arr if matrix else arr.reshape(-1)


def _check_dtype(dtype: np.dtype, name: str, what: str) -> None:
    if dtype.hasobject:
        raise VerifyError(
            f"{name} holds Python objects, which are never unpickled; expected {what}"
        )
    if dtype.names is not None:
        raise VerifyError(
            f"{name} holds a structured array (fields {', '.join(dtype.names)}); "
            f"expected {what} of plain numbers"
        )
    kinds = {"c": "complex numbers", "U": "strings", "S": "bytes", "b": "booleans"}
    if dtype.kind not in "fiu":
        found = kinds.get(dtype.kind, f"values of type {dtype}")
        raise VerifyError(f"{name} holds {found}; expected {what} of real numbers")


def _read_npz(fh: BinaryIO, name: str) -> Table:
    try:
        with zipfile.ZipFile(fh) as zf:
            members = {n.removesuffix(".npy"): n for n in zf.namelist()}
            if "x" in members:
                key = "x"
            elif len(members) == 1:
                key = next(iter(members))
            else:
                raise VerifyError(
                    f"{name} is an .npz archive with members {sorted(members)}; expected the "
                    "inputs in a member 'x' (labels, if any, in 'y')"
                )
            x = _npz_member(zf, members[key], f"{name}[{key}]", matrix=True)
            y = None
            if "y" in members and key != "y":
                y = _npz_member(zf, members["y"], f"{name}[y]", matrix=False)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise VerifyError(f"{name} is a damaged zip/.npz archive ({exc})") from None
    return Table(x, y, "npz")


def _npz_member(zf: zipfile.ZipFile, member: str, name: str, *, matrix: bool) -> np.ndarray:
    info = zf.getinfo(member)
    with zf.open(info) as fh:
        if not fh.read(8).startswith(_NPY_MAGIC):
            raise VerifyError(f"{name} is not a .npy array; expected {member} saved by numpy")
    with zf.open(info) as fh:
        return _read_npy(fh, name, info.file_size, matrix=matrix)


def _read_csv(fh: BinaryIO, name: str, size: int) -> Table:
    if size > memory_limit():
        raise VerifyError(f"{name} is {_gib(size)}, more than {_gib(memory_limit())} allowed")
    try:
        text = fh.read().decode("utf-8-sig")  # a byte-order mark is not a character
    except UnicodeDecodeError:
        raise VerifyError(
            f"{name} is neither a .npy/.npz file nor UTF-8 CSV text; expected an n×d table"
        ) from None
    lines = [(k, row) for k, row in enumerate(csv.reader(io.StringIO(text)), 1) if any(row)]
    if not lines:
        raise VerifyError(f"{name} holds no rows; expected an n×d table")
    first = [t.strip(" \t") for t in lines[0][1]]
    header = None
    if any(not NUMBER.fullmatch(t) for t in first):
        for c, token in enumerate(first):  # a number in another notation is no header name
            if not NUMBER.fullmatch(token):
                _reject_other_notation(token, name, lines[0][0], c)
        header, lines = first, lines[1:]
    if not lines:
        raise VerifyError(f"{name} has a header but no rows of numbers")
    width = len(header) if header is not None else len(lines[0][1])
    has_labels = header is not None and header[-1].lower() in _LABEL_HEADERS
    x = np.empty((len(lines), width), dtype=np.float64)
    for r, (line, row) in enumerate(lines):
        if len(row) != width:
            raise VerifyError(
                f"{name} line {line} has {len(row)} cells; expected {width} like the "
                f"{'header' if header is not None else 'first row'}"
            )
        for c, cell in enumerate(row):
            label = has_labels and c == width - 1
            x[r, c] = _number(cell.strip(" \t"), name, line, c, label)
    if has_labels:
        if width < 2:
            raise VerifyError(f"{name} has a label column but no input columns")
        return Table(x[:, :-1], x[:, -1].copy(), "csv")
    return Table(x, None, "csv")


def _number(cell: str, name: str, line: int, c: int, label: bool) -> float:
    """The value of one CSV cell (see :data:`NUMBER`); one line naming the cell otherwise."""
    if not cell:
        what = "has no label" if label else f"column {c + 1} is empty"
        raise VerifyError(f"{name} line {line}: {what}; expected a number")
    if not NUMBER.fullmatch(cell):
        _reject_other_notation(cell, name, line, c)
        raise VerifyError(
            f"{name} line {line}, column {c + 1} holds {cell[:20]!r}; expected a number"
        )
    value = float(cell)
    if not np.isfinite(value):
        raise VerifyError(
            f"{name} line {line}, column {c + 1} holds {cell[:20]!r}, beyond the range of "
            "float64 (about ±1.8e308)"
        )
    return value


def _reject_other_notation(token: str, name: str, line: int, c: int) -> None:
    """Refuse a cell that Python would read as a number but is not plain decimal or scientific
    notation (``1_0``, ``inf``, ``nan``, ``0x10``, non-ASCII digits)."""
    if _python_number(token):
        raise VerifyError(
            f"{name} line {line}, column {c + 1} holds {token[:20]!r}; expected a finite number "
            "in plain decimal or scientific notation (like 10, -0.5 or 1e-3)"
        )


def _python_number(token: str) -> bool:
    for parse in (float, lambda t: int(t, 0)):
        try:
            parse(token)
        except ValueError:
            continue
        return True
    return False


__all__ = ["Table", "memory_limit", "read_table"]
