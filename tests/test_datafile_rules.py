"""Rules of numeric/datafile.py that its format tests leave implicit, each against the module's
documentation: every label header it names (any case), an empty .npz recognised as an archive
by its end-of-directory magic, and the memory limit as a quarter of physical memory
(/proc/meminfo, read independently)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from numeric.datafile import memory_limit, read_table
from symbolic.errors import VerifyError


@pytest.mark.parametrize("header", ["y", "label", "labels", "target", "Target", "LABELS"])
def test_each_documented_label_header_holds_the_labels(tmp_path: Path, header: str):
    path = tmp_path / "d.csv"
    path.write_text(f"a,b,{header}\n1,2,0.5\n3,4,-0.5\n", encoding="utf-8")
    t = read_table(path)
    assert t.x.tolist() == [[1.0, 2.0], [3.0, 4.0]] and t.y.tolist() == [0.5, -0.5]


@pytest.mark.parametrize("header", ["value", "ys", "class"])
def test_any_other_last_header_is_an_input_column(tmp_path: Path, header: str):
    path = tmp_path / "d.csv"
    path.write_text(f"a,b,{header}\n1,2,0.5\n", encoding="utf-8")
    t = read_table(path)
    assert t.x.tolist() == [[1.0, 2.0, 0.5]] and t.y is None


def test_an_empty_npz_is_read_as_an_archive_not_as_text(tmp_path: Path):
    buf = io.BytesIO()
    zipfile.ZipFile(buf, "w").close()  # b"PK\x05\x06...": an end-of-central-directory only
    path = tmp_path / "empty.npz"
    path.write_bytes(buf.getvalue())
    with pytest.raises(VerifyError) as err:
        read_table(path)
    assert str(err.value) == (
        "empty.npz is an .npz archive with members []; expected the inputs in a member 'x' "
        "(labels, if any, in 'y')"
    )


def test_the_memory_limit_is_a_quarter_of_physical_memory():
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("needs /proc/meminfo")
    total = next(
        int(ln.split()[1]) for ln in meminfo.read_text().splitlines() if ln.startswith("MemTotal:")
    )
    # MemTotal leaves out the kernel's reserved pages: a few percent below physical memory
    assert 0.9 * total * 1024 / 4 <= memory_limit() <= 1.1 * total * 1024 / 4
    assert isinstance(memory_limit(), int)


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (100, "100 bytes"),
        (2**20 - 1, "1048575 bytes"),
        (2**20, "1 MiB"),
        (5 * 2**20, "5 MiB"),
        (2**30, "1 GiB"),
        (1.5 * 2**30, "1.5 GiB"),
        (2**40, "1 TiB"),
        (3 * 2**40, "3 TiB"),
    ],
)
def test_sizes_in_refusals_are_in_the_largest_binary_unit_reached(nbytes, text):
    """How a refusal states a size (the memory limit, an array's bytes): 3 significant digits of
    the largest of TiB, GiB, MiB that it reaches, else whole bytes."""
    from numeric.datafile import _gib

    assert _gib(nbytes) == text
