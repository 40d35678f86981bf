"""Training data: points on the unit sphere, a user's file, or the 8×8 digits (theory §3).

Every draw comes from the seed given. A file is used whole unless ``--n`` asks for fewer rows.
Rows are normalized to unit norm, since the population Gram matrix of theory §4 assumes
‖x_i‖ = 1; parallel rows are refused (or dropped on request). Every change made to the data is a
notice, printed and recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from numeric.datafile import Table, read_table
from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from verify.settings import DataSettings


#: Unit rows with |x_iᵀx_j| ≥ 1 - PARALLEL_TOL count as parallel (or antipodal).
PARALLEL_TOL = 1e-10


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

    def to(self, device: str | torch.device) -> Dataset:
        return Dataset(self.x.to(device), self.y.to(device), self.source, self.notices)


def sphere_data(n: int, d: int, seed: int, label_scale: float) -> Dataset:
    """n points uniform on the unit sphere in R^d, labels ~ N(0, label_scale²), from ``seed``."""
    if n < 1 or d < 1:
        raise VerifyError(f"need n >= 1 and d >= 1, got n={n}, d={d}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = label_scale * torch.randn(n, generator=gen, dtype=torch.float64)
    return Dataset(x / x.norm(dim=1, keepdim=True), y, f"uniform on S^{d - 1} (seed {seed})")


def load_data(path: str | Path, spec: DataSettings, seed: int) -> Dataset:
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
    return _dataset(table.x, table.y, source, path.name, spec, seed, notices)


def digits_data(spec: DataSettings, seed: int) -> Dataset:
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
    return _dataset(x, y, "scikit-learn digits 8×8", "digits", spec, seed, notices)


def _dataset(
    arr: np.ndarray,
    labels: np.ndarray | None,
    source: str,
    name: str,
    spec: DataSettings,
    seed: int,
    notices: list[str],
) -> Dataset:
    bad = ~np.isfinite(arr).all(axis=1)
    if labels is not None:
        bad |= ~np.isfinite(labels)
    if bad.any():
        raise VerifyError(
            f"row {int(np.argmax(bad))} of {name} holds NaN or an infinite value "
            f"({int(bad.sum())} such rows); expected finite numbers"
        )
    norms = np.linalg.norm(arr, axis=1)
    if (norms == 0).any():
        raise VerifyError(f"row {int(np.argmin(norms))} of {name} is zero and cannot be normalized")
    if np.abs(norms - 1).max() > 1e-12:
        notices.append(
            f"rows normalized to unit norm (norms were in [{norms.min():.3g}, {norms.max():.3g}])"
        )
    x = arr / norms[:, None]
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
    return Dataset(
        torch.from_numpy(np.ascontiguousarray(x)),
        torch.as_tensor(labels, dtype=torch.float64),
        source,
        tuple(notices),
    )


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
    if x.shape[0] < 2:
        return Correlation(0.0, (0, 0), False)
    i, j = torch.triu_indices(x.shape[0], x.shape[0], offset=1, device=x.device)
    s = (x @ x.T)[i, j]
    k = int(torch.argmax(s.abs()))
    return Correlation(float(s[k].abs()), (int(i[k]), int(j[k])), bool(s[k] < 0))


def load_dataset(spec: DataSettings, seed: int) -> Dataset:
    """The run's data from its settings: the sphere, scikit-learn's digits, or a file (raises
    VerifyError for bad input)."""
    if spec.data is None:
        return sphere_data(spec.points, spec.d, seed, spec.label_scale)
    if spec.data == "digits":
        return digits_data(spec, seed)
    return load_data(spec.data, spec, seed)


__all__ = [
    "Correlation",
    "Dataset",
    "digits_data",
    "load_data",
    "load_dataset",
    "max_correlation",
    "parallel_pairs",
    "sphere_data",
]
