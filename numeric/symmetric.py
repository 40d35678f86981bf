"""Symmetric n×n float64 matrices held by one triangle, row block by row block, without n×n
temporaries.

A symmetric matrix S can be read from the strict upper triangle of a square tensor ``a`` and a
diagonal ``d`` alone: S_ij = a_ij for i < j, a_ji for i > j, d_i for i = j. The lower triangle
of ``a`` is then free to hold something else (a Cholesky factor, numeric.positive_definite).
"""

from __future__ import annotations

import torch

#: Entries per row block (2 MiB of float64: a block and its temporaries stay in cache).
BLOCK = 1 << 18


def row_step(n: int) -> int:
    """Rows per block of an n-column matrix."""
    return max(1, BLOCK // max(1, n))


def mirror_upper_(a: torch.Tensor) -> torch.Tensor:
    """a_ji := a_ij for all i < j, in place (the strict upper triangle decides); returns ``a``.
    Each lower block is written from an upper block it does not overlap, so no n×n copy."""
    n = a.shape[0]
    step = row_step(n)
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        a[r1:, r0:r1] = a[r0:r1, r1:].T  # the rows below this block, from its rows' right part
        block = a[r0:r1, r0:r1]
        block.copy_(torch.triu(block) + torch.triu(block, 1).T)
    return a


def maximum_mirror_(a: torch.Tensor) -> torch.Tensor:
    """a_ij = a_ji := max(a_ij, a_ji) for all i ≠ j, in place; returns ``a``."""
    n = a.shape[0]
    step = row_step(n)
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        upper, lower = a[r0:r1, r1:], a[r1:, r0:r1]
        torch.maximum(upper, lower.T, out=upper)
        lower.copy_(upper.T)
        block = a[r0:r1, r0:r1]
        block.copy_(torch.maximum(block, block.T))
    return a


def symmetric_rows(a: torch.Tensor, r0: int, r1: int, diag: torch.Tensor) -> torch.Tensor:
    """Rows r0..r1-1 of the symmetric matrix with ``a``'s strict upper triangle and diagonal
    ``diag`` (a new (r1 - r0)×n tensor; the lower triangle of ``a`` is not read)."""
    rows = torch.triu(a[r0:r1], r0 + 1)  # a_ij, j > i
    rows += torch.tril(a[:, r0:r1].T, r0 - 1)  # a_ji, j < i
    rows.diagonal(r0).copy_(diag[r0:r1])
    return rows


def is_symmetric(a: torch.Tensor) -> bool:
    """a == aᵀ exactly, compared block by block (no n×n temporary)."""
    n = a.shape[0]
    step = row_step(n)
    return all(
        torch.equal(a[r0 : r0 + step, r0:], a[r0:, r0 : r0 + step].T) for r0 in range(0, n, step)
    )


def symmetric_part(a: torch.Tensor) -> torch.Tensor:
    """``a`` itself when it is exactly symmetric, else (a + aᵀ)/2 (then one n×n copy)."""
    return a if is_symmetric(a) else torch.add(a, a.T).mul_(0.5)


__all__ = [
    "is_symmetric",
    "maximum_mirror_",
    "mirror_upper_",
    "row_step",
    "symmetric_part",
    "symmetric_rows",
]
