r"""Lineal path function: probability that a whole line segment lies in one phase.

For a direction :math:`\mathbf d = (a, b)` with :math:`m = \max(|a|, |b|)`, the
discrete segment of length :math:`r` consists of the pixels at offsets

.. math::

    \mathbf o_k = \operatorname{round}(k \mathbf d / m), \qquad k = 0, \dots, r,

(rounding halves away from zero: a Bresenham line; axis and diagonal
directions are exact lattice lines) and

.. math::

    L(r) = \frac{1}{N} \sum_{\mathbf x} \prod_{k=0}^{r} I(\mathbf x + \mathbf o_k),

so :math:`L(0) = \phi` and :math:`L` is non-increasing (Torquato 2002, ch. 2;
Lu & Torquato 1992). Without periodic boundaries only segments that fit in the
image are counted.

Two descriptors share this definition:

* ``lineal_path`` evaluates it exactly on discrete labels with boolean
  operations (NumPy; not differentiable).
* ``lineal_path_approx`` evaluates the same expression on relaxed fields with
  PyTorch, replacing the logical AND along the line by the product of the
  indicator values (``method="product"``) or by their minimum
  (``method="min"``). Both equal the exact value on binary fields. On relaxed
  fields the product is smaller than any single factor (a segment of ten 0.9
  pixels scores 0.35), which pushes the field towards 0/1 but gives long
  segments small gradients; the minimum is a tighter relaxation whose gradient
  reaches only the weakest pixel of each segment.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import ClassVar

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor, check_positive_int
from mcrkit.registry import descriptors

__all__ = ["LinealPath", "LinealPathApprox", "lineal_path", "line_offsets"]

DEFAULT_DIRECTIONS = ((1, 0), (0, 1), (1, 1), (1, -1))
"""Along x, along y, and the two diagonals."""


def line_offsets(direction: tuple[int, int], length: int) -> np.ndarray:
    """Pixel offsets ``(length+1, 2)`` of the discrete segment along ``direction``.

    Examples
    --------
    >>> line_offsets((2, 1), 4).tolist()
    [[0, 0], [1, 1], [2, 1], [3, 2], [4, 2]]
    """
    d = np.asarray(direction, dtype=np.float64)
    steps = np.arange(length + 1)[:, None] * d / np.abs(d).max()
    return (np.sign(steps) * np.floor(np.abs(steps) + 0.5)).astype(np.int64)


def _check_directions(directions: object, owner: str) -> tuple[tuple[int, int], ...]:
    try:
        # operator.index: 1.5 or "1" must not silently become the integer 1
        dirs = tuple(
            (operator.index(a), operator.index(b)) for a, b in directions  # type: ignore[union-attr]
        )
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: directions must be pairs of integers such as ((1, 0), (0, 1)), "
            f"got {directions!r}"
        ) from None
    if not dirs or any(a == 0 and b == 0 for a, b in dirs):
        raise ValueError(f"{owner}: directions must be non-zero integer pairs, got {directions!r}")
    return dirs


def _inside_count(shape: tuple[int, ...], offset: np.ndarray) -> int:
    """Number of start pixels whose segment up to ``offset`` stays inside the image."""
    return int(np.prod([max(n - abs(int(o)), 0) for n, o in zip(shape, offset, strict=True)]))


def lineal_path(image: np.ndarray, *, limit_to: int = 8,
                directions: tuple[tuple[int, int], ...] = DEFAULT_DIRECTIONS,
                periodic: bool = True) -> np.ndarray:
    """Exact lineal path function of a 2D binary indicator (or a batch of them).

    Parameters
    ----------
    image : (..., M, N) array_like of bool
        Indicator of one phase; leading axes are a batch of images that are
        averaged.
    limit_to : int, optional
        Longest segment length (in steps along the dominant axis).
    directions : sequence of (int, int), optional
        Directions in array-axis order (x, y).
    periodic : bool, optional
        Periodic boundaries (default) or only segments inside the image.

    Returns
    -------
    (len(directions), limit_to + 1) ndarray of float64
        ``result[d, r]`` is :math:`L(r)` along direction ``d``.

    Examples
    --------
    >>> lineal_path(np.array([[1, 1, 1, 0]] * 4), limit_to=2, directions=((0, 1),))
    array([[0.75, 0.5 , 0.25]])
    """
    check_positive_int("limit_to", limit_to, "lineal_path")
    a = np.asarray(image).astype(bool)
    if a.ndim < 2:
        raise ValueError(f"lineal_path: expected a 2D image, got shape {a.shape}")
    dirs = _check_directions(directions, "lineal_path")
    n_images = int(np.prod(a.shape[:-2]))
    out = np.empty((len(dirs), limit_to + 1))
    for d, direction in enumerate(dirs):
        run = a.copy()
        for k, offset in enumerate(line_offsets(direction, limit_to)):
            if k:
                run &= _shift_numpy(a, offset, periodic)
            norm = a.size if periodic else n_images * _inside_count(a.shape[-2:], offset)
            out[d, k] = np.count_nonzero(run) / max(norm, 1)
    return out


def _shift_numpy(a: np.ndarray, offset: np.ndarray, periodic: bool) -> np.ndarray:
    """``b[..., x] = a[..., x + offset]`` on the last two axes (wrapping, or False outside)."""
    if periodic:
        return np.roll(a, tuple(-int(o) for o in offset), axis=(-2, -1))
    out = np.zeros_like(a)
    shape = a.shape[-2:]
    src = tuple(slice(max(o, 0), n + min(o, 0)) for o, n in zip(offset, shape, strict=True))
    dst = tuple(slice(max(-o, 0), n - max(o, 0)) for o, n in zip(offset, shape, strict=True))
    out[(..., *dst)] = a[(..., *src)]
    return out


def _shift_torch(a: torch.Tensor, offset: np.ndarray, periodic: bool) -> torch.Tensor:
    """``b[..., x] = a[..., x + offset]`` on the last two axes (wrapping, or 0 outside)."""
    di, dj = (int(o) for o in offset)
    if periodic:
        return torch.roll(a, (-di, -dj), dims=(-2, -1))
    height, width = a.shape[-2:]
    padded = torch.nn.functional.pad(a, (abs(dj), abs(dj), abs(di), abs(di)))
    return padded[..., abs(di) + di: abs(di) + di + height, abs(dj) + dj: abs(dj) + dj + width]


@dataclasses.dataclass(frozen=True, kw_only=True)
class _LinealPathBase(Descriptor):
    # Unlike S2, the lineal path of one phase does not determine the other's
    # (a matrix with thin channels and one with thin walls share phase 1's).
    all_phases: ClassVar[bool] = True

    limit_to: int = 8
    directions: tuple[tuple[int, int], ...] = DEFAULT_DIRECTIONS
    periodic: bool = True

    def __post_init__(self) -> None:
        check_positive_int("limit_to", self.limit_to, self.name)
        object.__setattr__(self, "directions", _check_directions(self.directions, self.name))


@descriptors.register
@dataclasses.dataclass(frozen=True, kw_only=True)
class LinealPath(_LinealPathBase):
    """Exact lineal path L(r) along axes and diagonals (NumPy, not differentiable).

    Parameters
    ----------
    limit_to : int
        Longest segment length.
    directions : tuple of (int, int)
        In-plane directions; default x, y and both diagonals.
    periodic : bool
        Periodic boundaries, or only segments that fit in the image.

    Notes
    -----
    Value shape: ``(P, len(directions), limit_to+1)``, every phase (the lineal
    path of one phase does not determine the other's); a leading axis of 3 for
    3D structures.
    """

    name = "lineal_path"
    aliases = ("LinealPath",)
    differentiable: ClassVar[bool] = False

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.stack([
            lineal_path(labels == phase, limit_to=self.limit_to, directions=self.directions,
                        periodic=self.periodic)
            for phase in phases
        ])


@descriptors.register
@dataclasses.dataclass(frozen=True, kw_only=True)
class LinealPathApprox(_LinealPathBase):
    """Differentiable lineal path: product (or min) of indicators along each segment.

    Parameters
    ----------
    limit_to, directions, periodic
        As for :class:`LinealPath`.
    method : {"product", "min"}
        Relaxation of the logical AND along the segment (see the module docstring).

    Notes
    -----
    Equals ``lineal_path`` on binary fields; same value shape.
    """

    name = "lineal_path_approx"
    aliases = ("LinealPathApproximation",)
    relaxation_of = "lineal_path"

    method: str = "product"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method not in ("product", "min"):
            raise ValueError(
                f"{self.name}: method must be 'product' or 'min', got {self.method!r}"
            )

    def workspace(self, n_channels: int) -> int:
        return 3 * n_channels * len(self.directions) * (self.limit_to + 1)

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        values = []
        for direction in self.directions:
            run = images
            per_length = []
            for k, offset in enumerate(line_offsets(direction, self.limit_to)):
                if k:
                    shifted = _shift_torch(images, offset, self.periodic)
                    run = run * shifted if self.method == "product" else torch.minimum(run, shifted)
                norm = height * width if self.periodic else _inside_count((height, width), offset)
                per_length.append(run.sum(dim=(0, 2, 3)) / (images.shape[0] * max(norm, 1)))
            values.append(torch.stack(per_length, dim=-1))
        return torch.stack(values, dim=1)
