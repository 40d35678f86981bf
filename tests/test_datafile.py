"""Data files: malformed ones get one line and exit 2 before anything large is allocated; good ones
are used as given (every row unless --n), with every change said on stderr and in the JSON."""

import json
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import verify.checks
import verify.render  # noqa: F401
from verify import ExitCode, main

FAST = ["--no-train", "--no-width-sweep", "--quiet", "--hermite-terms", "8", "--dps", "20"]
RNG = np.random.default_rng(0)


def _npy_with_header(path, header: dict, body: bytes = b"") -> None:
    with path.open("wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(body)


def _strings(p):
    np.save(p / "d.npy", np.array([["a", "b"], ["c", "d"]]))


def _structured(p):
    np.save(p / "d.npy", np.zeros(3, dtype=[("a", "<f8"), ("b", "<f8")]))


def _huge_header(p):  # claims 72.8 TiB, holds 16 bytes
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**7, 10**6)}
    _npy_with_header(p / "d.npy", header, b"\0" * 16)


def _empty(p):
    (p / "d.npy").write_bytes(b"")


def _npz_as_npy(p):
    with zipfile.ZipFile(p / "d.npy", "w") as zf:
        for key in ("a", "b"):
            with zf.open(f"{key}.npy", "w") as fh:
                np.lib.format.write_array(fh, RNG.normal(size=(4, 3)))


def _damaged_zip(p):
    (p / "d.npy").write_bytes(b"PK\x03\x04" + b"\x00" * 40)


def _string_labels(p):
    np.save(p / "d.npy", RNG.normal(size=(12, 3)))
    np.save(p / "d.labels.npy", np.array(["x"] * 12))


def _short_labels(p):
    np.save(p / "d.npy", RNG.normal(size=(12, 3)))
    np.save(p / "d.labels.npy", RNG.normal(size=8))
    return ["--n", "10"]  # the rows used fit the labels; the file's rows still do not


def _truncated(p):
    np.save(p / "d.npy", RNG.normal(size=(50, 4)))
    raw = (p / "d.npy").read_bytes()
    (p / "d.npy").write_bytes(raw[: len(raw) - 100])


def _three_d(p):
    np.save(p / "d.npy", RNG.normal(size=(4, 3, 2)))


def _one_d(p):
    np.save(p / "d.npy", RNG.normal(size=5))


def _complex(p):
    np.save(p / "d.npy", RNG.normal(size=(4, 3)) + 1j)


def _objects(p):
    np.save(p / "d.npy", np.array([[1, None], [2, 3]], dtype=object), allow_pickle=True)


def _bad_header(p):
    (p / "d.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': nonsense}\n")


def _csv_text_cell(p):
    (p / "d.npy").write_text("1,2,3\n4,five,6\n7,8,9\n")


def _csv_missing_label(p):
    (p / "d.npy").write_text("a,b,y\n1,2,3\n4,5,\n7,8,9\n")


def _csv_ragged(p):
    (p / "d.npy").write_text("1,2,3\n4,5\n")


def _csv_header_only(p):
    (p / "d.npy").write_text("a,b,y\n")


def _binary_junk(p):
    (p / "d.npy").write_bytes(bytes(range(256)) * 4)


def _parallel_rows(p):
    x = RNG.normal(size=(6, 3))
    x[4] = -3 * x[1]
    np.save(p / "d.npy", x)


def _too_many_rows(p):
    np.save(p / "d.npy", RNG.normal(size=(5, 3)))
    return ["--n", "9"]


MALFORMED = {
    "strings": (_strings, "strings"),
    "structured": (_structured, "structured"),
    "huge shape": (_huge_header, "TiB"),
    "empty": (_empty, "empty"),
    "npz as npy": (_npz_as_npy, "member 'x'"),
    "damaged zip": (_damaged_zip, "damaged"),
    "string labels": (_string_labels, "d.labels.npy holds strings"),
    "short labels": (_short_labels, "12 rows but 8 labels"),
    "truncated": (_truncated, "truncated"),
    "3-D": (_three_d, "(4, 3, 2)"),
    "1-D": (_one_d, "reshape(-1, 1)"),
    "complex": (_complex, "complex"),
    "pickled objects": (_objects, "never unpickled"),
    "bad header": (_bad_header, "damaged .npy header"),
    "CSV text cell": (_csv_text_cell, "line 2, column 2 holds 'five'"),
    "CSV missing label": (_csv_missing_label, "line 3: has no label"),
    "CSV ragged": (_csv_ragged, "line 2 has 2 cells"),
    "CSV header only": (_csv_header_only, "no rows"),
    "binary junk": (_binary_junk, "neither"),
    "parallel rows": (_parallel_rows, "(1, 4)"),
    "--n above rows": (_too_many_rows, "more rows than d.npy holds (5)"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_data_file_is_one_line_exit_2_quickly_and_small(case, tmp_path, capsys):
    build, message = MALFORMED[case]
    extra = build(tmp_path) or []
    tracemalloc.start()
    start = time.perf_counter()
    code = main(["activation", "sin", "--data", str(tmp_path / "d.npy"), *extra, *FAST])
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0] and "Traceback" not in err
    # the message names the file; reading is validated first, so nothing large or slow happens
    # (5 s and 64 MiB are generous: a loader that allocated the claimed shape would need TiB)
    assert "d.npy" in lines[0] or "d.labels.npy" in lines[0]
    assert elapsed < 5 and peak < 64 << 20


def _csv(path, rows: int, cols: int) -> None:
    x = RNG.normal(size=(rows, cols)) * 3
    y = RNG.normal(size=rows)
    lines = [",".join([f"c{k}" for k in range(cols)] + ["y"])]
    lines += [",".join(f"{v:.17g}" for v in (*x[i], y[i])) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")


def test_a_csv_is_used_whole_and_every_change_is_said(tmp_path, capsys):
    _csv(tmp_path / "d.csv", 30, 5)
    code = main(["activation", "sin", "--data", str(tmp_path / "d.csv"), *FAST, "--json", "-"])
    out, err = capsys.readouterr()
    assert code == ExitCode.PASS, err
    doc = json.loads(out)
    assert (doc["data"]["n"], doc["data"]["d"]) == (30, 5)
    notices = [line for line in err.splitlines() if line.startswith("notice: ")]
    assert len(notices) == 2 and notices == [f"notice: {n}" for n in doc["data"]["notices"]]
    assert any("normalized" in n for n in notices) and any("labels centered" in n for n in notices)


def test_n_takes_the_first_rows_or_a_seeded_subsample(tmp_path, capsys):
    from numeric.data import load_data
    from verify.settings import DataSettings

    _csv(tmp_path / "d.csv", 30, 5)
    whole = load_data(tmp_path / "d.csv", DataSettings(), 0)
    first = load_data(tmp_path / "d.csv", DataSettings(n=10), 0)
    assert (first.x == whole.x[:10]).all() and "first 10 of 30" in first.notices[0]
    drawn = load_data(tmp_path / "d.csv", DataSettings(n=10, subsample=True), 0)
    again = load_data(tmp_path / "d.csv", DataSettings(n=10, subsample=True), 0)
    other = load_data(tmp_path / "d.csv", DataSettings(n=10, subsample=True), 1)
    assert (drawn.x == again.x).all() and not (drawn.x == other.x).all()
    assert not (drawn.x == whole.x[:10]).all() and "seed 0" in drawn.notices[0]
    # each drawn row is a row of the file
    assert all(((whole.x - row).abs().sum(dim=1) == 0).any() for row in drawn.x)


def test_parallel_rows_are_dropped_only_when_asked(tmp_path):
    from numeric.data import load_data
    from verify.settings import DataSettings

    x = RNG.normal(size=(8, 3))
    x[5], x[7] = -2 * x[0], x[2]
    np.save(tmp_path / "d.npy", x)
    got = load_data(tmp_path / "d.npy", DataSettings(drop_parallel=True), 0)
    assert got.n == 6 and any("dropped 2 row(s)" in n and "5, 7" in n for n in got.notices)


def test_npz_and_column_labels_are_read(tmp_path):
    from numeric.data import load_data
    from verify.settings import DataSettings

    x, y = RNG.normal(size=(9, 4)), RNG.normal(size=9)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    got = load_data(tmp_path / "d.npz", DataSettings(label_scale=1.0), 0)
    expect = (y - y.mean()) / y.std()
    assert got.n == 9 and np.allclose(got.y.numpy(), expect, rtol=0, atol=1e-14)
    np.save(tmp_path / "e.npy", x)
    np.save(tmp_path / "e.labels.npy", y[:, None])
    same = load_data(tmp_path / "e.npy", DataSettings(label_scale=1.0), 0)
    assert (same.x == got.x).all() and (same.y == got.y).all()
