"""What opening a data file says when it cannot (numeric.datafile.read_table), word for word:
an empty file, a missing one, a link to nothing, a name the system refuses, an open or a read
that fails; the format each kind of file is read as; the memory limit where the system cannot
say how much memory there is."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

import numeric.datafile as datafile
from numeric.datafile import memory_limit, read_table
from symbolic.errors import VerifyError


def _refusal(path: Path) -> str:
    with pytest.raises(VerifyError) as err:
        read_table(path)
    return str(err.value)


def test_an_empty_missing_or_dangling_file_is_said_so(tmp_path: Path):
    (tmp_path / "e.csv").write_bytes(b"")
    assert _refusal(tmp_path / "e.csv") == (
        "e.csv is empty; expected an n×d table (.npy, .npz or CSV)"
    )
    assert _refusal(tmp_path / "no.csv") == f"data file not found: {tmp_path / 'no.csv'}"
    (tmp_path / "link.csv").symlink_to(tmp_path / "gone.csv")
    assert _refusal(tmp_path / "link.csv") == (
        f"data file not found: {tmp_path / 'link.csv'} (a symbolic link to nothing)"
    )


def test_a_name_the_system_refuses_is_a_read_error_with_its_reason(tmp_path: Path):
    long = tmp_path / ("n" * 300 + ".csv")  # longer than NAME_MAX = 255
    assert _refusal(long) == f"cannot read {long}: File name too long"


def test_an_open_or_a_read_that_fails_names_the_file_and_the_reason(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("1,2\n3,4\n")
    with monkeypatch.context() as m:

        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        m.setattr(datafile.os, "open", refuse)
        assert _refusal(path) == "cannot read d.csv: Permission denied"
    with monkeypatch.context() as m:

        def broken(*args, **kwargs):
            raise OSError(errno.EIO, "Input/output error")

        m.setattr(datafile, "_read_csv", broken)
        assert _refusal(path) == f"cannot read {path}: Input/output error"
    with monkeypatch.context() as m:

        def bare(*args, **kwargs):
            raise OSError("the device went away")

        m.setattr(datafile, "_read_csv", bare)
        assert _refusal(path) == f"cannot read {path}: the device went away"


def test_each_kind_of_file_is_read_as_what_it_is(tmp_path: Path):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.save(tmp_path / "a.npy", x)
    np.savez(tmp_path / "b.npz", x=x)
    (tmp_path / "c.csv").write_text("1,2\n3,4\n")
    (tmp_path / "d.dat").write_text("1,2\n3,4\n")  # recognised by content, not by name
    kinds = {name: read_table(tmp_path / name).kind for name in ("a.npy", "b.npz", "c.csv")}
    assert kinds == {"a.npy": "npy", "b.npz": "npz", "c.csv": "csv"}
    assert read_table(tmp_path / "d.dat").kind == "csv"
    for name in ("a.npy", "b.npz", "c.csv"):
        assert np.array_equal(read_table(tmp_path / name).x, x)


def test_without_the_physical_memory_the_limit_is_four_gib(monkeypatch):
    def unknown(name):
        raise ValueError(name)

    monkeypatch.setattr(os, "sysconf", unknown)
    assert memory_limit() == 4 * 2**30


def test_a_table_is_an_immutable_record():
    import dataclasses

    t = datafile.Table(np.zeros((1, 1)), None, "csv")
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.kind = "npy"


def test_what_is_not_a_regular_file_is_named_for_what_it_is(tmp_path: Path):
    """A folder, a FIFO, a socket, a character device (and a block device where this system
    lets a test make one) are never opened: each is refused naming what it is."""
    import socket
    import stat

    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    paths = {"dir": "a folder", "fifo": "a FIFO (named pipe)", "sock": "a socket"}
    try:
        os.mknod(tmp_path / "blk", stat.S_IFBLK | 0o600, os.makedev(7, 200))
        paths["blk"] = "a block device"
    except (PermissionError, OSError):
        pass
    try:
        for name, kind in {**paths, "/dev/null": "a character device"}.items():
            path = Path(name) if name.startswith("/") else tmp_path / name
            assert _refusal(path) == (
                f"{path} is not a regular file ({kind}); expected an n×d table (.npy, .npz or CSV)"
            )
    finally:
        sock.close()


def test_npy_versions_and_labels_files_that_are_not_labels(tmp_path: Path):
    """Version 2.0 headers are read like 1.0; version 3.0 is refused by name. A labels file
    that is not .npy, or holds a table, is refused naming the labels file."""
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    for version in ((1, 0), (2, 0)):
        with open(tmp_path / "v.npy", "wb") as fh:
            np.lib.format.write_array(fh, x, version=version)
        assert np.array_equal(read_table(tmp_path / "v.npy").x, x)
    with open(tmp_path / "v3.npy", "wb") as fh:
        np.lib.format.write_array(fh, x, version=(3, 0))
    assert _refusal(tmp_path / "v3.npy") == "v3.npy: .npy format version (3, 0) is not supported"
    np.save(tmp_path / "d.npy", x)
    (tmp_path / "d.labels.npy").write_text("1\n2\n3\n")
    assert _refusal(tmp_path / "d.npy") == (
        "d.labels.npy is not a .npy file; expected n labels saved by numpy"
    )
    np.save(tmp_path / "d.labels.npy", np.ones((3, 2)))
    assert _refusal(tmp_path / "d.npy") == (
        "d.labels.npy holds labels of shape (3, 2); expected one label per row (shape (n,))"
    )
    np.save(tmp_path / "d.labels.npy", np.ones((3, 1)))
    assert np.array_equal(read_table(tmp_path / "d.npy").y, np.ones(3))


def test_one_number_an_empty_array_and_fortran_order(tmp_path: Path):
    """A 1×1 table is a table; a (0, 3) array is refused as empty; a Fortran-ordered .npy is
    read as the same matrix."""
    np.save(tmp_path / "one.npy", np.array([[5.0]]))
    assert read_table(tmp_path / "one.npy").x.tolist() == [[5.0]]
    np.save(tmp_path / "none.npy", np.zeros((0, 3)))
    assert _refusal(tmp_path / "none.npy") == (
        "none.npy holds an empty array of shape (0, 3); expected an n×d table"
    )
    x = np.arange(12.0).reshape(3, 4)
    np.save(tmp_path / "f.npy", np.asfortranarray(x))
    assert np.array_equal(read_table(tmp_path / "f.npy").x, x)


def test_other_kinds_of_values_and_npz_members(tmp_path: Path):
    """Bytes, booleans and dates are refused by name; a one-member .npz whose member is not
    called x is that member; a refusal inside an .npz names the member; no y means no labels."""
    for values, kind in (
        (np.array([[b"a", b"b"]]), "bytes"),
        (np.array([[True, False]]), "booleans"),
        (np.array([["2024-01-01"]], dtype="datetime64[D]"), "values of type datetime64[D]"),
    ):
        np.save(tmp_path / "k.npy", values)
        assert _refusal(tmp_path / "k.npy") == (
            f"k.npy holds {kind}; expected an n×d table of real numbers"
        )
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.savez(tmp_path / "one.npz", x)  # stored as arr_0
    got = read_table(tmp_path / "one.npz")
    assert np.array_equal(got.x, x) and got.y is None and got.kind == "npz"
    np.savez(tmp_path / "s.npz", x=np.array([["a", "b"]]))
    assert _refusal(tmp_path / "s.npz") == (
        "s.npz[x] holds strings; expected an n×d table of real numbers"
    )


def test_npz_labels_members_that_are_not_arrays_and_csv_limits(tmp_path, monkeypatch):
    """An .npz with x and y has labels; a y of strings is refused naming the member, and so is a
    member that is not a .npy array. A CSV above the memory limit, one with no rows, and one
    whose header starts with X (not a number, whatever is stripped) are read as they are."""
    import zipfile

    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.savez(tmp_path / "xy.npz", x=x, y=np.array([1.0, -1.0]))
    got = read_table(tmp_path / "xy.npz")
    assert np.array_equal(got.x, x) and got.y.tolist() == [1.0, -1.0]
    np.savez(tmp_path / "s.npz", x=x, y=np.array(["a", "b"]))
    assert _refusal(tmp_path / "s.npz") == (
        "s.npz[y] holds strings; expected one label per row of real numbers"
    )
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("x.npy", "hello")
    assert _refusal(tmp_path / "z.npz") == (
        "z.npz[x] is not a .npy array; expected x.npy saved by numpy"
    )
    (tmp_path / "n.csv").write_text("\n")
    assert _refusal(tmp_path / "n.csv") == "n.csv holds no rows; expected an n×d table"
    (tmp_path / "h.csv").write_text("X1,X2\n 1\t, 2 \n3,4\n")
    assert read_table(tmp_path / "h.csv").x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    monkeypatch.setattr(datafile, "memory_limit", lambda: 10)
    size = (tmp_path / "h.csv").stat().st_size
    assert _refusal(tmp_path / "h.csv") == f"h.csv is {size} bytes, more than 10 bytes allowed"


def test_csv_label_columns_and_empty_cells(tmp_path: Path):
    """Under a header ending in y: an empty input cell names its column, an empty label says so,
    and a label column alone has no inputs; with inputs, the last column is the labels."""
    cases = {
        "a.csv": ("a,b,y\n,2,3\n4,5,6\n", "a.csv line 2: column 1 is empty; expected a number"),
        "m.csv": ("a,b,y\n1,,3\n4,5,6\n", "m.csv line 2: column 2 is empty; expected a number"),
        "b.csv": ("a,b,y\n1,2,\n4,5,6\n", "b.csv line 2: has no label; expected a number"),
        "c.csv": ("y\n1\n2\n", "c.csv has a label column but no input columns"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        assert _refusal(tmp_path / name) == said
    (tmp_path / "ok.csv").write_text("a,y\n1,2\n3,4\n")
    t = read_table(tmp_path / "ok.csv")
    assert (t.kind, t.x.tolist(), t.y.tolist()) == ("csv", [[1.0], [3.0]], [2.0, 4.0])


def test_a_long_cell_is_quoted_by_its_first_twenty_characters(tmp_path: Path):
    cases = {
        "t.csv": ("abcdefghijklmnopqrstuvwxyz", "holds 'abcdefghijklmnopqrst'; expected a number"),
        "b.csv": (
            "1e4000000000000000000000",
            "holds '1e400000000000000000', beyond the range of float64 (about ±1.8e308)",
        ),
        "u.csv": (
            "1_000_000_000_000_000_000",
            "holds '1_000_000_000_000_00'; expected a finite number in plain decimal or "
            "scientific notation (like 10, -0.5 or 1e-3)",
        ),
    }
    for name, (cell, said) in cases.items():
        (tmp_path / name).write_text(f"1,2\n3,{cell}\n")
        assert _refusal(tmp_path / name) == f"{name} line 2, column 2 {said}"


def test_a_file_swapped_for_a_fifo_after_the_check_cannot_block_the_read(tmp_path, monkeypatch):
    """The first look (os.stat) sees a regular file; by the open it is a FIFO with no writer. The
    open is non-blocking and the open file is looked at again, so the read is refused at once,
    not stalled until a writer comes (bounded here by a 20 s join on a daemon thread)."""
    import threading

    fifo, plain = tmp_path / "d.csv", tmp_path / "plain.csv"
    os.mkfifo(fifo)
    plain.write_text("1,2\n3,4\n")
    real_stat = os.stat

    def swapped(path, *args, **kwargs):
        return real_stat(plain if Path(path) == fifo else path, *args, **kwargs)

    monkeypatch.setattr(datafile.os, "stat", swapped)
    said: list[str] = []

    def read() -> None:
        try:
            read_table(fifo)
        except VerifyError as exc:
            said.append(str(exc))

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the read blocked on a FIFO"
    assert said == [
        f"{fifo} is not a regular file (a FIFO (named pipe)); expected an n×d table (.npy, .npz "
        "or CSV)"
    ]


def test_an_npz_holding_only_y_and_a_cell_with_a_letter(tmp_path: Path):
    """An .npz whose one member is y: that member is the inputs, and there are no labels. A cell
    "4X" is not a number (only spaces and tabs are stripped)."""
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.savez(tmp_path / "y.npz", y=x)
    got = read_table(tmp_path / "y.npz")
    assert np.array_equal(got.x, x) and got.y is None
    (tmp_path / "l.csv").write_text("1,2\n3,4X\n")
    assert _refusal(tmp_path / "l.csv") == "l.csv line 2, column 2 holds '4X'; expected a number"
