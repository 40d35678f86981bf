"""Training data: points on the unit sphere, a user's file, or scikit-learn's 8×8 digits (SPEC §3).

Every draw comes from the seed given; rows are normalized to unit norm (with a notice when the
input was not), since the population Gram matrix of SPEC §4 assumes ‖x_i‖ = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from symbolic.errors import VerifyError

if TYPE_CHECKING:
    from verify.settings import DataSettings


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


def load_data(path: str | Path, n: int | None, seed: int, label_scale: float) -> Dataset:
    """Inputs from ``.npy`` (n×d, or n×(d+1) with labels last if a ``.labels.npy`` is absent) or
    ``.csv`` (a ``y`` column header marks labels). Rows are normalized to unit norm."""
    path = Path(path)
    if not path.is_file():
        raise VerifyError(f"data file not found: {path}")
    try:
        if path.suffix == ".npy":
            arr, labels = np.load(path, allow_pickle=False), None
            lab = path.with_suffix(".labels.npy")
            labels = np.load(lab, allow_pickle=False) if lab.is_file() else None
        elif path.suffix == ".csv":
            arr, labels = _read_csv(path)
        else:
            raise VerifyError(f"data file must be .npy or .csv, got {path.name}")
    except (OSError, ValueError) as exc:
        raise VerifyError(f"cannot read {path.name}: {exc}") from None
    arr = np.asarray(arr, dtype=np.float64)
    return _dataset(arr, labels, f"file {path.name}", n, seed, label_scale)


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    with path.open() as fh:
        first = fh.readline().strip().split(",")
    has_header = any(not _is_number(t) for t in first)
    arr = np.loadtxt(path, delimiter=",", skiprows=1 if has_header else 0, ndmin=2)
    if has_header and first[-1].strip().lower() in ("y", "label", "labels", "target"):
        return arr[:, :-1], arr[:, -1]
    return arr, None


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def digits_data(n: int, seed: int, label_scale: float) -> Dataset:
    """n of scikit-learn's 8×8 handwritten digits (shipped with it: no download), unit rows,
    labels = digit value centered and scaled to unit variance."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise VerifyError(
            "--data digits needs scikit-learn: pip install 'deq-verify[digits]'"
        ) from None
    bunch = load_digits()
    labels = bunch.target.astype(np.float64)
    return _dataset(bunch.data, labels, "scikit-learn digits 8×8", n, seed, label_scale)


def _dataset(
    arr: np.ndarray, labels, source: str, n: int | None, seed: int, label_scale: float
) -> Dataset:
    if arr.ndim != 2 or arr.shape[0] < 1:
        raise VerifyError(f"data must be a non-empty n×d table, got shape {arr.shape}")
    if not np.isfinite(arr).all() or (labels is not None and not np.isfinite(labels).all()):
        raise VerifyError("data contain NaN or infinite values")
    rng = np.random.default_rng(seed)
    if n is not None and n < arr.shape[0]:
        idx = np.sort(rng.choice(arr.shape[0], size=n, replace=False))
        arr, labels = arr[idx], None if labels is None else labels[idx]
    norms = np.linalg.norm(arr, axis=1)
    if (norms == 0).any():
        raise VerifyError(
            f"row {int(np.argmin(norms))} of the data is zero and cannot be normalized"
        )
    notices = []
    if np.abs(norms - 1).max() > 1e-12:
        notices.append(
            f"rows normalized to unit norm (norms were in [{norms.min():.3g}, {norms.max():.3g}])"
        )
    if labels is None:
        labels = label_scale * rng.standard_normal(arr.shape[0])
        notices.append(
            f"no labels given: labels drawn from N(0, {label_scale:g}²) with seed {seed}"
        )
    elif labels.std() > 0:
        labels = label_scale * (labels - labels.mean()) / labels.std()
        notices.append(f"labels centered and scaled to standard deviation {label_scale:g}")
    x = torch.from_numpy(arr / norms[:, None])
    return Dataset(x, torch.as_tensor(labels, dtype=torch.float64), source, tuple(notices))


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
        return sphere_data(spec.n, spec.d, seed, spec.label_scale)
    if spec.data == "digits":
        return digits_data(spec.n, seed, spec.label_scale)
    return load_data(spec.data, spec.n, seed, spec.label_scale)


__all__ = [
    "Correlation",
    "Dataset",
    "digits_data",
    "load_data",
    "load_dataset",
    "max_correlation",
    "sphere_data",
]
