"""Training data: points on the unit sphere, a user's file, or the 8×8 digits (theory §3).

Every draw comes from the seed given. A file is used whole unless ``--n`` asks for fewer rows.
Rows are normalized to unit norm, since the population Gram matrix of theory §4 assumes
‖x_i‖ = 1; parallel rows are refused (or dropped on request). Every change made to the data is a
notice, printed and recorded.

The data are read, checked and normalized in numpy (:func:`load_points`, :class:`Points`), and
only then handed to torch (:func:`to_dataset`): every refusal of a data file comes before torch
is imported. Normalization is overflow- and underflow-safe: each row is divided by its largest
absolute entry before its norm is taken, so rows near ±1e308 (whose sum of squares overflows)
and rows of subnormals like 1e-320 (whose squares underflow to 0) become unit rows like any
other, and a row is "zero" only when every entry is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from numeric.datafile import Table, read_table
from numeric.summary import tensors_of
from numeric.synthetic import generated_rows, is_generated
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    import torch

    from numeric.parameters import DataSettings


#: Unit rows with |x_iᵀx_j| ≥ 1 - PARALLEL_TOL count as parallel (or antipodal).
PARALLEL_TOL = 1e-10
#: Rows whose norms are all within this of 1 are used as given (no normalization notice).
UNIT_TOL = 1e-12


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (n×d, unit rows, float64) and labels ``y`` (n), with where they came from."""

    x: torch.Tensor
    y: torch.Tensor
    source: str
    notices: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def d(self) -> int:
        return self.x.shape[1]

    def __repr__(self) -> str:
        notes = f"; {len(self.notices)} notices" if self.notices else ""
        return f"Dataset({tensors_of(x=self.x, y=self.y)}; {self.source}{notes})"

    def to(self, device: str | torch.device) -> Dataset:
        return Dataset(self.x.to(device), self.y.to(device), self.source, self.notices)


@dataclass(frozen=True)
class Points:
    """The run's data before torch: inputs ``x`` (n×d, unit rows, float64) and labels ``y`` (n)
    as numpy arrays, with where they came from and every change made to them."""

    x: np.ndarray
    y: np.ndarray
    source: str
    notices: tuple[str, ...] = field(default=())

    @property
    def n(self) -> int:
        return self.x.shape[0]


def to_dataset(points: Points) -> Dataset:
    """``points`` as torch tensors (sharing their memory); the first use of torch."""
    import torch

    return Dataset(
        torch.from_numpy(np.ascontiguousarray(points.x, dtype=np.float64)),
        torch.from_numpy(np.ascontiguousarray(points.y, dtype=np.float64)),
        points.source,
        points.notices,
    )


def sphere_data(n: int, d: int, seed: int, label_scale: float) -> Dataset:
    """n points uniform on the unit sphere in R^d, labels ~ N(0, label_scale²), from ``seed``."""
    import torch

    if n < 1 or d < 1:
        raise VerifyError(f"need n >= 1 and d >= 1, got n={n}, d={d}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = label_scale * torch.randn(n, generator=gen, dtype=torch.float64)
    return Dataset(x / x.norm(dim=1, keepdim=True), y, f"uniform on S^{d - 1} (seed {seed})")


def load_data(path: str | Path, spec: DataSettings, seed: int) -> Dataset:
    """:func:`file_points` as a Dataset."""
    return to_dataset(file_points(path, spec, seed))


def file_points(path: str | Path, spec: DataSettings, seed: int) -> Points:
    """A user's data file (npy, npz or CSV; see :mod:`numeric.datafile`), used as given: every row
    unless ``spec.n`` asks for fewer (the first n, or a subsample drawn from ``seed`` when
    ``spec.subsample``). Rows are normalized to unit norm, labels centered and scaled to
    ``spec.label_scale``; each change is recorded in the notices."""
    path = Path(path)
    table = read_table(path)
    rows = table.x.shape[0]
    if table.y is not None and table.y.shape[0] != rows:
        raise VerifyError(
            f"{path.name} has {rows} rows but {table.y.shape[0]} labels; expected one per row"
        )
    notices = []
    if spec.n is not None and spec.n != rows:
        if spec.n > rows:
            raise VerifyError(f"--n {spec.n} asks for more rows than {path.name} holds ({rows})")
        if spec.subsample:
            idx = np.sort(np.random.default_rng(seed).choice(rows, size=spec.n, replace=False))
            notices.append(f"used {spec.n} of {rows} rows, drawn with seed {seed} (--subsample)")
        else:
            idx = np.arange(spec.n)
            notices.append(f"used the first {spec.n} of {rows} rows (--n)")
        table = Table(table.x[idx], None if table.y is None else table.y[idx], table.kind)
    source = f"file {path.name} ({table.kind}, {rows} rows × {table.x.shape[1]} columns)"
    return _points(table.x, table.y, source, path.name, spec, seed, notices)


def digits_data(spec: DataSettings, seed: int) -> Dataset:
    """:func:`digits_points` as a Dataset."""
    return to_dataset(digits_points(spec, seed))


def digits_points(spec: DataSettings, seed: int) -> Points:
    """scikit-learn's 8×8 handwritten digits (shipped with it: no download): ``spec.points``
    of the 1797 images drawn with ``seed``, unit rows, labels the digit value centered and
    scaled to ``spec.label_scale``."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise VerifyError(
            "--data digits needs scikit-learn: pip install 'deq-verify[digits]'"
        ) from None
    bunch = load_digits()
    rows, n = bunch.data.shape[0], spec.points
    if n > rows:
        raise VerifyError(f"--n {n} asks for more than the {rows} digits")
    idx = np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False))
    x, y = bunch.data[idx].astype(np.float64), bunch.target[idx].astype(np.float64)
    notices = [f"used {n} of {rows} digits, drawn with seed {seed}"]
    return _points(x, y, "scikit-learn digits 8×8", "digits", spec, seed, notices)


@dataclass(frozen=True)
class UnitRows:
    """Rows divided by their norms: ``x`` (unit rows), and each norm as ``rest · 2^exponent``
    (rest in [1/2, √d)), so that a norm beyond float64's range is still described."""

    x: np.ndarray
    exponent: np.ndarray
    rest: np.ndarray

    def norm_range(self) -> tuple[str, str]:
        """The smallest and largest norm, three digits in scientific notation (exact in exponent
        even where the norm itself would overflow or underflow float64)."""
        logs = self.exponent * math.log10(2) + np.log10(self.rest)
        return _sci(float(logs.min())), _sci(float(logs.max()))

    def all_unit(self) -> bool:
        """Every norm within UNIT_TOL of 1 already (then normalizing is not reported)."""
        with np.errstate(over="ignore", under="ignore"):
            return bool(np.abs(np.ldexp(self.rest, self.exponent) - 1).max() <= UNIT_TOL)


def unit_rows(arr: np.ndarray) -> UnitRows:
    """Each row of ``arr`` (finite, none zero) divided by its Euclidean norm, overflow- and
    underflow-safe: the row is first multiplied by 2^-e, with 2^e the power of two just above its
    largest |entry| (``frexp``; exact, being a power of two), so its entries lie in (-1, 1) with
    the largest at least 1/2, and its sum of squares in [1/4, d) neither overflows nor
    underflows. Then ``row / ‖row‖ = (row·2^-e) / ‖row·2^-e‖`` exactly, and for rows whose
    squares stay in range the result is bit for bit the unscaled ``row / ‖row‖``."""
    exponent = np.frexp(np.abs(arr).max(axis=1))[1]
    scaled = np.ldexp(arr, -exponent[:, None])
    rest = np.linalg.norm(scaled, axis=1)
    return UnitRows(scaled / rest[:, None], exponent, rest)


def _sci(log10_value: float) -> str:
    exponent = math.floor(log10_value)
    mantissa = 10 ** (log10_value - exponent)
    if mantissa >= 9.995:  # rounds up to 10.0 at three digits
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.3g}e{exponent:+d}" if abs(exponent) >= 4 else f"{10**log10_value:.3g}"


def _points(
    arr: np.ndarray,
    labels: np.ndarray | None,
    source: str,
    name: str,
    spec: DataSettings,
    seed: int,
    notices: list[str],
) -> Points:
    bad = ~np.isfinite(arr).all(axis=1)
    if labels is not None:
        bad |= ~np.isfinite(labels)
    if bad.any():
        raise VerifyError(
            f"row {int(np.argmax(bad))} of {name} holds NaN or an infinite value "
            f"({int(bad.sum())} such rows); expected finite numbers"
        )
    zero = ~arr.any(axis=1)
    if zero.any():
        raise VerifyError(f"row {int(np.argmax(zero))} of {name} is zero and cannot be normalized")
    rows = unit_rows(arr)
    if not rows.all_unit():
        low, high = rows.norm_range()
        notices.append(f"rows normalized to unit norm (norms were in [{low}, {high}])")
    x = rows.x
    keep = _nonparallel_rows(x, name, spec.drop_parallel, notices)
    if keep is not None:
        x, labels = x[keep], None if labels is None else labels[keep]
    rng = np.random.default_rng(seed)
    if labels is None:
        labels = spec.label_scale * rng.standard_normal(x.shape[0])
        notices.append(
            f"no labels given: labels drawn from N(0, {spec.label_scale:g}²) with seed {seed}"
        )
    elif labels.std() > 0:
        labels = spec.label_scale * (labels - labels.mean()) / labels.std()
        notices.append(f"labels centered and scaled to standard deviation {spec.label_scale:g}")
    else:
        notices.append("labels all equal: used as given")
    return Points(x, np.asarray(labels, dtype=np.float64), source, tuple(notices))


def parallel_pairs(x: np.ndarray) -> list[tuple[int, int]]:
    """Pairs i < j of unit rows with |x_iᵀx_j| ≥ 1 - PARALLEL_TOL (parallel or antipodal), in
    row-major order; computed in blocks of rows so memory stays O(block · n)."""
    pairs: list[tuple[int, int]] = []
    block = 1024
    for start in range(0, x.shape[0], block):
        g = np.abs(x[start : start + block] @ x.T)
        i, j = np.nonzero(g >= 1 - PARALLEL_TOL)
        i = i + start
        pairs.extend((int(a), int(b)) for a, b in zip(i, j, strict=True) if a < b)
    return sorted(pairs)


def _nonparallel_rows(
    x: np.ndarray, name: str, drop: bool, notices: list[str]
) -> np.ndarray | None:
    """Rows to keep (None: all). Parallel rows are an error unless ``drop``: then the later row
    of each parallel pair goes."""
    pairs = parallel_pairs(x)
    if not pairs:
        return None
    if not drop:
        shown = ", ".join(f"({i}, {j})" for i, j in pairs[:5])
        more = f" and {len(pairs) - 5} more" if len(pairs) > 5 else ""
        raise VerifyError(
            f"rows of {name} are parallel or antipodal (after normalization): {shown}{more}; "
            "the theory needs no two inputs parallel: remove them, or pass --drop-parallel"
        )
    gone = sorted({j for _, j in pairs})
    notices.append(
        f"dropped {len(gone)} row(s) parallel to an earlier one (--drop-parallel): "
        f"{', '.join(map(str, gone[:10]))}{' …' if len(gone) > 10 else ''}"
    )
    return np.setdiff1d(np.arange(x.shape[0]), gone)


@dataclass(frozen=True)
class Correlation:
    """max_{i<j} |x_iᵀ x_j| for unit rows, the pair (i < j) attaining it, and its sign."""

    value: float
    pair: tuple[int, int]
    antipodal: bool


def max_correlation(x: torch.Tensor) -> Correlation:
    """The largest |x_iᵀ x_j| over pairs i < j (upper triangle only: ``x @ x.T`` is not bitwise
    symmetric, and an argmax over the whole matrix could pick (i, j) or (j, i) by BLAS build)."""
    import torch

    if x.shape[0] < 2:
        return Correlation(0.0, (0, 0), False)
    i, j = torch.triu_indices(x.shape[0], x.shape[0], offset=1, device=x.device)
    s = (x @ x.T)[i, j]
    k = int(torch.argmax(s.abs()))
    return Correlation(float(s[k].abs()), (int(i[k]), int(j[k])), bool(s[k] < 0))


def load_points(spec: DataSettings, seed: int) -> Points:
    """The run's data from its settings, before torch: a file, scikit-learn's digits or a
    generated source of :mod:`numeric.synthetic` (clusters, student-t, pairs@ANGLE), read and
    checked in numpy (raises VerifyError for bad input); the sphere (drawn by torch's generator,
    so its numbers do not change)."""
    if spec.data is None:
        s = sphere_data(spec.points, spec.d, seed, spec.label_scale)
        return Points(s.x.numpy(), s.y.numpy(), s.source, s.notices)
    if spec.data == "digits":
        return digits_points(spec, seed)
    if is_generated(spec.data):
        x, y, source = generated_rows(spec.data, spec.points, spec.d, seed)
        return _points(x, y, source, spec.data, spec, seed, [f"{source}: {spec.points} rows"])
    return file_points(spec.data, spec, seed)


def load_dataset(spec: DataSettings, seed: int) -> Dataset:
    """The run's data from its settings: the sphere, scikit-learn's digits, or a file (raises
    VerifyError for bad input)."""
    return to_dataset(load_points(spec, seed))


__all__ = [
    "Correlation",
    "Dataset",
    "Points",
    "UnitRows",
    "digits_data",
    "digits_points",
    "file_points",
    "load_data",
    "load_dataset",
    "load_points",
    "max_correlation",
    "parallel_pairs",
    "sphere_data",
    "to_dataset",
    "unit_rows",
]
