"""Data files: malformed ones get one line and exit 2 before anything large is allocated (and
before torch is imported); good ones are used as given (every row unless --n), with every change
said on stderr and in the JSON; rows near the ends of float64's range normalize exactly."""

import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest

import numeric.datafile
import verify.checks
import verify.render
from symbolic.errors import VerifyError
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


def _csv_long_row(p):
    (p / "d.npy").write_text("1,2,3\n4,5,6,7\n7,8,9\n")


def _csv_long_row_under_a_header(p):
    (p / "d.npy").write_text("a,b,y\n1,2,3\n4,5,6,\n")  # a trailing comma is a fourth cell


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


def _csv_cells(*cells: str):
    """A 3-row CSV whose second row holds ``cells`` (first row plain numbers)."""

    def build(p):
        (p / "d.npy").write_text("1,2,3\n" + ",".join(cells) + "\n7,8,9\n")

    return build


def _csv_first_line(cells: str):
    def build(p):
        (p / "d.npy").write_text(cells + "\n4,5,6\n7,8,9\n")

    return build


def _fifo(p):
    os.mkfifo(p / "d.npy")  # reading it would block until a writer came


def _dev_zero(p):
    (p / "d.npy").symlink_to("/dev/zero")  # reading it would never end


def _a_folder(p):
    (p / "d.npy").mkdir()


def _dangling(p):
    (p / "d.npy").symlink_to(p / "gone.npy")


def _labels_fifo(p):
    np.save(p / "d.npy", RNG.normal(size=(5, 3)))
    os.mkfifo(p / "d.labels.npy")


def _zero_row(p):
    x = RNG.normal(size=(5, 3))
    x[2] = 0.0
    np.save(p / "d.npy", x)


def _huge_parallel_rows(p):  # issue 29: norms overflow; rows 0 and 3 are parallel
    np.save(p / "d.npy", _extreme_rows()[[0, 2, 4, 1]])


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
    "CSV long row": (_csv_long_row, "line 2 has 4 cells; expected 3 like the first row"),
    "CSV long row under a header": (
        _csv_long_row_under_a_header,
        "line 3 has 4 cells; expected 3 like the header",
    ),
    "CSV header only": (_csv_header_only, "no rows"),
    "binary junk": (_binary_junk, "neither"),
    "parallel rows": (_parallel_rows, "(1, 4)"),
    "--n above rows": (_too_many_rows, "more rows than d.npy holds (5)"),
    "CSV 1_0": (_csv_cells("4", "1_0", "6"), "column 2 holds '1_0'; expected a finite number"),
    "CSV 1_0 in the first line": (_csv_first_line("1_0,2,3"), "line 1, column 1 holds '1_0'"),
    "CSV inf": (_csv_cells("inf", "5", "6"), "holds 'inf'; expected a finite number in plain"),
    "CSV nan first": (_csv_first_line("1,nan,3"), "line 1, column 2 holds 'nan'"),
    "CSV -Infinity": (_csv_cells("4", "-Infinity", "6"), "holds '-Infinity'"),
    "CSV hexadecimal": (_csv_cells("0x10", "5", "6"), "holds '0x10'; expected a finite number"),
    "CSV Arabic-Indic digit": (_csv_cells("4", "\u0665", "6"), "column 2 holds '\u0665'"),
    "CSV beyond float64": (_csv_cells("4", "1e400", "6"), "beyond the range of float64"),
    "CSV a comma decimal": (_csv_cells("4", '"5,5"', "6"), "holds '5,5'; expected a number"),
    "FIFO": (_fifo, "not a regular file (a FIFO"),
    "symlink to /dev/zero": (_dev_zero, "not a regular file (a character device)"),
    "a folder": (_a_folder, "not a regular file (a folder)"),
    "symlink to nothing": (_dangling, "not found"),
    "labels a FIFO": (_labels_fifo, "d.labels.npy is not a regular file"),
    "zero row": (_zero_row, "row 2 of d.npy is zero"),
    "parallel rows near 1e308": (
        _huge_parallel_rows,
        "parallel or antipodal (after normalization): (0, 3)",
    ),
}


#: The whole line each refusal prints after "error: " ({dir}: the test's folder); where the
#: machine or Python supplies the end (memory size, the tokenizer's words), its fixed start.
REFUSAL_LINES = {
    "strings": "d.npy holds strings; expected an n×d table of real numbers",
    "structured": (
        "d.npy holds a structured array (fields a, b); expected an n×d table of plain numbers"
    ),
    "huge shape": (
        "d.npy claims shape (10000000, 1000000), which needs 72.8 TiB as float64, more than the "
        "6 GiB allowed (a quarter of this machine's memory)"
    ),
    "empty": "d.npy is empty; expected an n×d table (.npy, .npz or CSV)",
    "npz as npy": (
        "d.npy is an .npz archive with members ['a', 'b']; expected the inputs in a member 'x' "
        "(labels, if any, in 'y')"
    ),
    "damaged zip": "d.npy is a damaged zip/.npz archive (File is not a zip file)",
    "string labels": "d.labels.npy holds strings; expected one label per row of real numbers",
    "short labels": "d.npy has 12 rows but 8 labels; expected one per row",
    "truncated": "d.npy is truncated: its header promises 1600 bytes of data, the file holds 1500",
    "3-D": "d.npy holds an array of shape (4, 3, 2); expected an n×d table, 2-dimensional",
    "1-D": (
        "d.npy holds an array of shape (5,); expected an n×d table, 2-dimensional (reshape(-1, "
        "1) for d = 1)"
    ),
    "complex": "d.npy holds complex numbers; expected an n×d table of real numbers",
    "pickled objects": (
        "d.npy holds Python objects, which are never unpickled; expected an n×d table"
    ),
    "bad header": "d.npy has a damaged .npy header (",
    "CSV text cell": "d.npy line 2, column 2 holds 'five'; expected a number",
    "CSV missing label": "d.npy line 3: has no label; expected a number",
    "CSV ragged": "d.npy line 2 has 2 cells; expected 3 like the first row",
    "CSV long row": "d.npy line 2 has 4 cells; expected 3 like the first row",
    "CSV long row under a header": "d.npy line 3 has 4 cells; expected 3 like the header",
    "CSV header only": "d.npy has a header but no rows of numbers",
    "binary junk": "d.npy is neither a .npy/.npz file nor UTF-8 CSV text; expected an n×d table",
    "parallel rows": (
        "rows of d.npy are parallel or antipodal (after normalization): (1, 4); the theory "
        "needs no two inputs parallel: remove them, or pass --drop-parallel"
    ),
    "--n above rows": "--n 9 asks for more rows than d.npy holds (5)",
    "CSV 1_0": (
        "d.npy line 2, column 2 holds '1_0'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV 1_0 in the first line": (
        "d.npy line 1, column 1 holds '1_0'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV inf": (
        "d.npy line 2, column 1 holds 'inf'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV nan first": (
        "d.npy line 1, column 2 holds 'nan'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV -Infinity": (
        "d.npy line 2, column 2 holds '-Infinity'; expected a finite number in plain decimal "
        "or scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV hexadecimal": (
        "d.npy line 2, column 1 holds '0x10'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV Arabic-Indic digit": (
        "d.npy line 2, column 2 holds '٥'; expected a finite number in plain decimal or "
        "scientific notation (like 10, -0.5 or 1e-3)"
    ),
    "CSV beyond float64": (
        "d.npy line 2, column 2 holds '1e400', beyond the range of float64 (about ±1.8e308)"
    ),
    "CSV a comma decimal": "d.npy line 2, column 2 holds '5,5'; expected a number",
    "FIFO": (
        "{dir}/d.npy is not a regular file (a FIFO (named pipe)); expected an n×d table (.npy, "
        ".npz or CSV)"
    ),
    "symlink to /dev/zero": (
        "{dir}/d.npy is not a regular file (a character device); expected an n×d table (.npy, "
        ".npz or CSV)"
    ),
    "a folder": (
        "{dir}/d.npy is not a regular file (a folder); expected an n×d table (.npy, .npz or CSV)"
    ),
    "symlink to nothing": "data file not found: {dir}/d.npy (a symbolic link to nothing)",
    "labels a FIFO": (
        "{dir}/d.labels.npy is not a regular file (a FIFO (named pipe)); expected an n×d table "
        "(.npy, .npz or CSV)"
    ),
    "zero row": "row 2 of d.npy is zero and cannot be normalized",
    "parallel rows near 1e308": (
        "rows of d.npy are parallel or antipodal (after normalization): (0, 3); the theory "
        "needs no two inputs parallel: remove them, or pass --drop-parallel"
    ),
}
REFUSAL_PREFIXES = {"bad header"}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_data_file_is_one_line_exit_2_before_any_work_and_small(
    case, tmp_path, capsys, monkeypatch
):
    build, message = MALFORMED[case]
    extra = build(tmp_path) or []

    def started(*args, **kwargs):
        raise AssertionError("the checks started before the refusal")

    monkeypatch.setattr(verify.checks, "run_checks", started)
    monkeypatch.setattr(numeric.datafile, "memory_limit", lambda: 6 << 30)  # any machine's
    tracemalloc.start()
    code = main(["activation", "sin", "--data", str(tmp_path / "d.npy"), *extra, *FAST])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0] and "Traceback" not in err
    said, want = lines[0].removeprefix("error: "), REFUSAL_LINES[case].format(dir=tmp_path)
    assert said.startswith(want) if case in REFUSAL_PREFIXES else said == want
    # the message names the file; reading is validated first, so nothing large happens
    # (64 MiB is generous: a loader that allocated the claimed shape would need TiB)
    assert "d.npy" in lines[0] or "d.labels.npy" in lines[0]
    assert peak < 64 << 20


def test_every_data_refusal_comes_before_torch_is_imported(tmp_path):
    """In a fresh process, one refusal after another (a damaged .npy, CSV cells in other
    notations, a FIFO, /dev/zero, a zero row, parallel rows, labels that do not match, the same
    through `report` and `study`): each exit 2, and torch never imported (the exit code says)."""
    cases = {
        "header": _bad_header,
        "underscore": _csv_cells("4", "1_0", "6"),
        "fifo": _fifo,
        "zero": _dev_zero,
        "zerorow": _zero_row,
        "parallel": _huge_parallel_rows,
        "labels": _short_labels,
    }
    runs = []
    for name, build in cases.items():
        (tmp_path / name).mkdir()
        build(tmp_path / name)
        data = str(tmp_path / name / "d.npy")
        runs.append(["activation", "sin", "--data", data, *FAST])
    report = [a for a in FAST if a != "--no-train"]  # the report trains only with --train
    runs.append(["report", "sin", "--data", runs[0][3], "--out", str(tmp_path / "r"), *report])
    study = ["--activations", "sin", "--n", "4", "--widths", "8", "--seeds", "1", "--quiet"]
    runs.append(["study", *study, "--data", runs[1][3], "--out", str(tmp_path / "s")])
    code = (
        "import sys; from verify.cli import main; "
        f"codes = [main(a) for a in {runs!r}]; "
        "sys.exit(100 if 'torch' in sys.modules else 3 if set(codes) != {2} else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr  # 100: torch was imported; 3: not all refused
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(runs) and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "r").exists() and not (tmp_path / "s").exists()


def test_a_byte_order_mark_is_not_part_of_the_first_row(tmp_path):
    """A CSV saved by Excel ("CSV UTF-8") starts with U+FEFF: without a header all 12 rows are
    read (the first used to be taken for a header and lost); with one, the header is found and
    its label column too."""
    from numeric.datafile import read_table

    x = RNG.normal(size=(12, 3))
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in x) + "\n"
    (tmp_path / "a.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    table = read_table(tmp_path / "a.csv")
    assert table.x.shape == (12, 3) and (table.x == x).all() and table.y is None
    (tmp_path / "b.csv").write_bytes(("\ufeffa,b,label\n" + body).encode())
    labelled = read_table(tmp_path / "b.csv")
    assert (labelled.x == x[:, :2]).all() and (labelled.y == x[:, 2]).all()


def test_plain_decimal_and_scientific_cells_are_read_exactly(tmp_path):
    """Every accepted spelling, with spaces or tabs around and quoted, gives the float Python
    reads from the same digits; a first line of such cells is data, not a header."""
    from numeric.datafile import read_table

    cells = ["3", "-0.5", ".5", "2.", "+1e-3", "6.02E23", " 7 ", "\t-8\t", '"9"', "1e-320"]
    (tmp_path / "d.csv").write_text(",".join(cells) + "\n" + ",".join(["1"] * len(cells)) + "\n")
    table = read_table(tmp_path / "d.csv")
    expect = [3, -0.5, 0.5, 2.0, 1e-3, 6.02e23, 7, -8, 9, 1e-320]
    assert table.x.shape == (2, len(cells)) and table.x[0].tolist() == expect


# --- overflow- and underflow-safe rows (issue 29) ------------------------------------------


TINY = 5e-324  # 2^-1074, the smallest subnormal


def _extreme_rows() -> np.ndarray:
    """Rows whose plain norm overflows or underflows; rows 0 and 1 are parallel, rows 2 and 3
    parallel up to the rounding of 0.6 and 0.8."""
    return np.array(
        [
            [1e308, -1e308, 5e307],  # sum of squares overflows
            [0.5e308, -0.5e308, 2.5e307],  # row 0 / 2 (exact): parallel to it
            [3 * TINY, 4 * TINY, 0.0],  # subnormal: squares underflow to 0
            [0.6, 0.8, 0.0],  # 0.6, 0.8 are not 3/5, 4/5: |cos| with row 2 is 1 - O(1e-17)
            [1.7e308, -1e-300, 3.0],  # far apart entries
            [1e-320, -2e-320, 7 * TINY],
            [-1.5e308, -1.5e308, 1.5e308],
        ]
    )


def _exact_unit(row) -> list[Decimal]:
    """row / ‖row‖ to 60 digits, from the exact rational values of the floats."""
    a = [Fraction(float(v)) for v in row]
    with localcontext() as ctx:
        ctx.prec = 60
        norm = (
            Decimal(sum((v * v for v in a), Fraction(0)).numerator).sqrt()
            / Decimal(sum((v * v for v in a), Fraction(0)).denominator).sqrt()
        )
        return [Decimal(v.numerator) / Decimal(v.denominator) / norm for v in a]


def test_unit_rows_match_exact_arithmetic_at_the_ends_of_float64():
    """Each normalized entry within 2 ulp (2·2^-53 absolute, entries in [-1, 1]) of the exact
    value from rational arithmetic, where the plain norm gives inf or 0."""
    from numeric.data import unit_rows

    arr = _extreme_rows()
    with np.errstate(over="ignore", under="ignore"):
        plain = np.linalg.norm(arr, axis=1)
    assert np.isinf(plain[0]) and plain[2] == 0  # what the old code divided by
    got = unit_rows(arr).x
    for row, unit in zip(arr, got):
        for value, exact in zip(unit, _exact_unit(row)):
            assert abs(Decimal(float(value)) - exact) <= Decimal(2) * Decimal(2) ** -53


def test_parallel_rows_at_the_ends_of_float64_are_found_as_exact_arithmetic_finds_them():
    """The pairs with |cos| ≥ 1 - PARALLEL_TOL in rational arithmetic are the pairs
    parallel_pairs reports after normalization: (0, 1) exactly parallel, (2, 3) within 1e-16;
    no other pair."""
    from numeric.data import PARALLEL_TOL, parallel_pairs, unit_rows

    arr = _extreme_rows()
    a = [[Fraction(float(v)) for v in row] for row in arr]

    def cos2(i, j):
        dot = sum(p * q for p, q in zip(a[i], a[j]))
        return dot * dot / (sum(p * p for p in a[i]) * sum(q * q for q in a[j]))

    bound = (1 - Fraction(PARALLEL_TOL)) ** 2
    pairs = [(i, j) for i in range(len(a)) for j in range(i + 1, len(a))]
    exact = [(i, j) for i, j in pairs if cos2(i, j) >= bound]
    assert exact == [(0, 1), (2, 3)] and cos2(0, 1) == 1 and cos2(2, 3) != 1
    assert parallel_pairs(unit_rows(arr).x) == exact


def test_only_a_row_of_zeros_is_a_zero_row_and_norms_are_said_beyond_float64(tmp_path):
    """A row of subnormals normalizes (it used to be called zero), the notice gives the norms'
    range in scientific notation even where they overflow, and a row of zeros is refused."""
    from numeric.data import load_data
    from verify.settings import DataSettings

    rows = _extreme_rows()[[0, 2, 4, 5, 6]]
    np.save(tmp_path / "d.npy", rows)
    got = load_data(tmp_path / "d.npy", DataSettings(), 0)
    assert got.n == 5 and np.allclose(got.x.norm(dim=1).numpy(), 1, rtol=0, atol=4e-16)
    (note,) = [n for n in got.notices if "normalized" in n]
    assert "[2.47e-323, 2.6e+308]" in note  # ‖row 2‖ = 5·2^-1074; ‖row 6‖ = 1.5e308·√3
    np.save(tmp_path / "z.npy", np.vstack([rows, np.zeros(3)]))
    with pytest.raises(VerifyError, match=r"row 5 of z\.npy is zero"):
        load_data(tmp_path / "z.npy", DataSettings(), 0)


def test_parallel_rows_near_1e308_are_dropped_when_asked(tmp_path):
    from numeric.data import load_data
    from verify.settings import DataSettings

    np.save(tmp_path / "d.npy", _extreme_rows())
    got = load_data(tmp_path / "d.npy", DataSettings(drop_parallel=True), 0)
    assert got.n == 5 and any("dropped 2 row(s)" in n and ": 1, 3" in n for n in got.notices)


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
