r"""Histogram of 2x2 pixel configurations ("quads"), at one or more strides.

For a stride :math:`s`, the quad at :math:`\mathbf x` is the four pixels
:math:`\mathbf x`, :math:`\mathbf x + (0, s)`, :math:`\mathbf x + (s, 0)` and
:math:`\mathbf x + (s, s)`; its configuration in a phase indicator :math:`I`
is one of 16 binary patterns :math:`q = (q_0, q_1, q_2, q_3)`, numbered
:math:`8 q_0 + 4 q_1 + 2 q_2 + q_3` in that pixel order. The descriptor is the
frequency of each pattern,

.. math::

    h_q = \frac{1}{N} \sum_{\mathbf x} \prod_{k=0}^{3}
          \big(q_k I(\mathbf x + \mathbf o_k) + (1 - q_k)(1 - I(\mathbf x + \mathbf o_k))\big),

which on binary fields counts the quads exactly and on relaxed fields is the
same polynomial, so it is smooth and its gradient comes from autograd.

At stride 1 the histogram holds the three Minkowski functionals of the phase
in the plane: the area fraction, the perimeter (quads with mixed pixels) and
the Euler characteristic, by Gray's quad counting (Gray 1971; Ohser & Mücklich
2000, ch. 4): with :math:`n_1`, :math:`n_3` the quads with one and three
pixels in the phase and :math:`n_D` the two diagonal ones,

.. math::

    \chi_8 = \tfrac14 (n_1 - n_3 - 2 n_D), \qquad \chi_4 = \tfrac14 (n_1 - n_3 + 2 n_D)

for 8- and 4-connected phase pixels (:func:`pattern_euler_density`). Larger strides
give the same counts of the image seen through a coarser grid, so a topology
that holds only at the finest scale (a fragmented network bridged by single
pixels) is told apart from one that holds at every scale. Without periodic
boundaries only quads inside the image are counted.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from mcrkit.descriptors.base import Descriptor, check_positive_int

__all__ = ["LocalPatterns", "pattern_euler_density", "local_pattern_histogram"]

PATTERNS = np.array(list(itertools.product((0, 1), repeat=4)), dtype=np.int64)
"""The 16 quad patterns ``(q0, q1, q2, q3)``, row ``8 q0 + 4 q1 + 2 q2 + q3``."""

_MOBIUS = np.array([[(-1) ** bin(s ^ q).count("1") if s & q == q else 0 for s in range(16)]
                    for q in range(16)], dtype=np.float64)
"""Pattern frequencies from the means of the pixel products over every subset (bit mask)."""

_GRAM_SUBSETS = np.array([top | bottom for top in (0b0000, 0b1000, 0b0100, 0b1100)
                          for bottom in (0b0000, 0b0010, 0b0001, 0b0011)])
"""The pixel subset (bit mask) of each entry of the 4 x 4 matrix of a top pair's subset
(none, pixel 0, pixel 1, both) times a bottom pair's (none, pixel 2, pixel 3, both)."""

_TRANSPOSED = np.array([(q & 0b1001) | ((q & 0b0100) >> 1) | ((q & 0b0010) << 1)
                        for q in range(16)])
"""The pattern of each pattern's transposed quad: pixels 1 and 2 (at (0, s), (s, 0)) swap."""


def _quads(image: np.ndarray, stride: int, periodic: bool) -> list[np.ndarray]:
    """The four pixels of every quad, each as an array over the quads' first pixels."""
    offsets = ((0, 0), (0, stride), (stride, 0), (stride, stride))
    if periodic:
        return [np.roll(image, (-di, -dj), axis=(-2, -1)) for di, dj in offsets]
    h, w = image.shape[-2] - stride, image.shape[-1] - stride
    return [image[..., di:di + h, dj:dj + w] for di, dj in offsets]


def _quad_region(shape: tuple[int, int], stride: int, periodic: bool) -> tuple[int, int]:
    """Rows and columns of the quads' first pixels in images of ``shape``."""
    return (shape[0], shape[1]) if periodic else (shape[0] - stride, shape[1] - stride)


def _pairs(images: torch.Tensor, stride: int, region: tuple[int, int]) -> tuple[torch.Tensor, ...]:
    """The maps of a pair of pixels ``stride`` apart along a row, over the quads' rows and
    the ``stride`` rows below them: left pixel, right pixel and the batch's maps ``(C * B,
    3, rows * columns)`` of (left, right, left * right), with views of the rows of the
    quads' top pairs and of their bottom pairs."""
    height, width = region
    left = images[..., :height + stride, :width]
    right = images[..., :height + stride, stride:stride + width]
    maps = images.new_empty(*images.shape[:2], 3, height + stride, width)
    maps[:, :, 0] = left
    maps[:, :, 1] = right
    torch.mul(left, right, out=maps[:, :, 2])
    flat = maps.view(-1, 3, (height + stride) * width)
    top = flat[..., :height * width]
    bottom = flat[..., stride * width:(stride + height) * width]
    return left, right, flat, top, bottom


class _QuadSums(torch.autograd.Function):
    r"""Sums over the quads of the products of every subset of their pixels.

    Input: indicator images ``(C, B, H', W')`` (padded periodically at the bottom and
    right by the largest stride when the boundaries are periodic), the strides and the
    image shape ``(H, W)`` before padding. Output ``(len(strides), C, 4, 4)``: entry
    ``[s, c, t, b]`` is :math:`\sum_{\mathbf x} T_t(\mathbf x) B_b(\mathbf x)` over the quads
    of stride ``strides[s]`` of channel ``c``, with :math:`T = (1, I_0, I_1, I_0 I_1)` the
    subsets of a quad's top pair of pixels and :math:`B = (1, I_2, I_3, I_2 I_3)` those of its
    bottom pair (entry ``[0, 0]`` is the number of quads). The bottom pairs' maps are the
    top pairs' maps ``s`` rows down, so the 3 x 3 block is one matrix product per image. The
    backward pass rebuilds the pairs' maps: only the images are kept between the passes.
    """

    @staticmethod
    def forward(ctx: Any, images: torch.Tensor, strides: tuple[int, ...],
                shape: tuple[int, int], periodic: bool) -> torch.Tensor:
        channels, batch = images.shape[:2]
        out = images.new_empty(len(strides), channels, 4, 4)
        for stride, sums in zip(strides, out, strict=True):
            region = _quad_region(shape, stride, periodic)
            *_, top, bottom = _pairs(images, stride, region)
            sums[:, 0, 0] = batch * region[0] * region[1]
            sums[:, 1:, 0] = top.sum(dim=-1).view(channels, batch, 3).sum(dim=1)
            sums[:, 0, 1:] = bottom.sum(dim=-1).view(channels, batch, 3).sum(dim=1)
            cross = torch.bmm(top, bottom.transpose(1, 2))
            sums[:, 1:, 1:] = cross.view(channels, batch, 3, 3).sum(dim=1)
        ctx.save_for_backward(images)
        ctx.strides, ctx.shape, ctx.periodic = strides, shape, periodic
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (images,) = ctx.saved_tensors
        channels, batch = images.shape[:2]
        grad_images = torch.zeros_like(images)

        def per_image(weights: torch.Tensor) -> torch.Tensor:
            return weights[:, None].expand(channels, batch, *weights.shape[1:]).flatten(0, 1)

        for stride, weights in zip(ctx.strides, grad, strict=True):
            height, width = _quad_region(ctx.shape, stride, ctx.periodic)
            left, right, _, top, bottom = _pairs(images, stride, (height, width))
            # gradient of the sums by the top maps: W B + u; by the bottom maps: W^T T + v
            cross = per_image(weights[:, 1:, 1:])
            for rows, grad_maps in (
                (slice(0, height),
                 torch.baddbmm(per_image(weights[:, 1:, :1]), cross, bottom)),
                (slice(stride, stride + height),
                 torch.baddbmm(per_image(weights[:, 0, 1:, None]), cross.transpose(1, 2), top)),
            ):
                # the maps are (left, right, left * right) of the pairs on these rows
                grad_maps = grad_maps.view(channels, batch, 3, height, width)
                grad_images[..., rows, :width].add_(grad_maps[:, :, 0]).addcmul_(
                    grad_maps[:, :, 2], right[..., rows, :])
                grad_images[..., rows, stride:stride + width].add_(grad_maps[:, :, 1]).addcmul_(
                    grad_maps[:, :, 2], left[..., rows, :])
        return grad_images, None, None, None


def local_pattern_histogram(image: np.ndarray, *, strides: tuple[int, ...] = (1,),
                            periodic: bool = True) -> np.ndarray:
    """Frequencies of the 16 quad patterns of a 2D binary indicator (NumPy reference).

    Parameters
    ----------
    image : (..., M, N) array_like of bool
        Indicator of one phase; leading axes are a batch of images that are pooled.
    strides : tuple of int, optional
        Quad sizes (pixel distance between the quad's corners).
    periodic : bool, optional
        Periodic boundaries (default), or only quads inside the image.

    Returns
    -------
    (len(strides), 16) ndarray of float64
        Rows sum to one.

    Examples
    --------
    >>> h = local_pattern_histogram(np.eye(4, dtype=bool))   # a periodic diagonal line
    >>> np.flatnonzero(h[0]).tolist(), float(h[0, 0b1001])   # 0b1001: the line's own quads
    ([0, 2, 4, 9], 0.25)
    """
    a = np.asarray(image).astype(bool)
    out = np.empty((len(strides), len(PATTERNS)))
    for row, stride in enumerate(strides):
        check_positive_int("stride", stride, "local_pattern_histogram")
        pixels = _quads(a, stride, periodic)
        index = sum(p.astype(np.int64) << (3 - k) for k, p in enumerate(pixels))
        out[row] = np.bincount(index.ravel(), minlength=len(PATTERNS)) / max(index.size, 1)
    return out


def pattern_euler_density(histogram: np.ndarray, connectivity: int = 8) -> np.ndarray:
    """Euler characteristic per pixel from quad frequencies (last axis of 16).

    Parameters
    ----------
    histogram : (..., 16) array_like
        Quad frequencies of :func:`local_pattern_histogram` at stride 1.
    connectivity : {8, 4}
        Connectivity of the phase's pixels.

    Returns
    -------
    ndarray
        Euler characteristic divided by the number of quads.

    Examples
    --------
    >>> ring = np.pad(np.ones((3, 3), dtype=bool), 2)
    >>> ring[3, 3] = False                      # one component with one hole: chi = 0
    >>> float(pattern_euler_density(local_pattern_histogram(ring)[0]) * ring.size)
    0.0
    """
    h = np.asarray(histogram, dtype=np.float64)
    ones = PATTERNS.sum(axis=1)
    n1 = h[..., ones == 1].sum(axis=-1)
    n3 = h[..., ones == 3].sum(axis=-1)
    diagonal = h[..., 0b1001] + h[..., 0b0110]
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    sign = -2.0 if connectivity == 8 else 2.0
    return (n1 - n3 + sign * diagonal) / 4.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class LocalPatterns(Descriptor):
    """Frequencies of the 16 configurations of 2x2 pixel quads, at one or more strides.

    Parameters
    ----------
    strides : tuple of int
        Quad sizes in pixels; stride 1 holds area, perimeter and Euler
        characteristic (see the module docstring).
    periodic : bool
        Periodic boundaries, or only quads inside the image.

    Notes
    -----
    Value shape: ``(C, len(strides), 16)`` with ``C = 1`` (phase 1) for two
    phases and ``C = P`` otherwise; a leading axis of 3 for 3D structures.
    Cost per image of N pixels and stride: one product map and a 3 x 3 matrix
    product over N pixels (10 N multiply-adds) for the value, about twice that
    for the gradient.
    """

    display_name = "2 x 2 pixel patterns"
    name = "local_patterns"
    aliases = ("LocalPatterns", "QuadHistogram")

    strides: tuple[int, ...] = (1,)
    periodic: bool = True

    def __post_init__(self) -> None:
        strides = tuple(self.strides) if isinstance(self.strides, list | tuple) else None
        if not strides:
            raise ValueError(f"{self.name}: strides must be a non-empty sequence of positive "
                             f"integers such as (1, 2, 4), got {self.strides!r}")
        for stride in strides:
            check_positive_int("each stride", stride, self.name)
        object.__setattr__(self, "strides", tuple(int(s) for s in strides))

    def check_image_shape(self, shape: tuple[int, int]) -> None:
        if max(self.strides) >= min(shape):
            raise ValueError(
                f"{self.name}: stride {max(self.strides)} needs images wider than that "
                f"(images of shape {tuple(shape)}); choose strides below {min(shape)}"
            )

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        """Each pattern's frequency moved to its transposed pattern (pixels 1 and 2 swap).

        Examples
        --------
        >>> from mcrkit.microstructure import from_array
        >>> image = (np.random.default_rng(0).random((9, 7)) < 0.4).astype(int)
        >>> quads = LocalPatterns(strides=(1, 2))
        >>> np.array_equal(quads.transpose_value(quads.characterize(from_array(image))),
        ...                quads.characterize(from_array(image.T)))
        True
        """
        return np.asarray(value)[..., _TRANSPOSED]

    def workspace(self, n_channels: int) -> int:
        # The padded images and their gradient, and for the stride being differentiated the
        # pairs' three maps, their gradient and two products of the same size (strides are
        # processed one after the other).
        return 14 * n_channels

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        # Means of the products over every subset of the quad's pixels (_QuadSums), then
        # h_q = sum over the subsets S containing q of (-1)^(|S| - |q|) m_S.
        shape = (images.shape[-2], images.shape[-1])
        planes = images.transpose(0, 1)  # (C, B, H, W)
        if self.periodic:
            reach = max(self.strides)
            planes = torch.nn.functional.pad(planes, (0, reach, 0, reach), mode="circular")
        sums = _QuadSums.apply(planes, self.strides, shape, self.periodic)
        means = sums / sums[..., :1, :1].detach()
        mobius = torch.as_tensor(_MOBIUS[:, _GRAM_SUBSETS], dtype=images.dtype,
                                 device=images.device)
        return (means.flatten(-2) @ mobius.T).transpose(0, 1)

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.stack([local_pattern_histogram(labels == phase, strides=self.strides,
                                                 periodic=self.periodic)
                         for phase in phases])
