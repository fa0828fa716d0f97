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

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor, check_positive_int

__all__ = ["LocalPatterns", "pattern_euler_density", "local_pattern_histogram"]

PATTERNS = np.array(list(itertools.product((0, 1), repeat=4)), dtype=np.int64)
"""The 16 quad patterns ``(q0, q1, q2, q3)``, row ``8 q0 + 4 q1 + 2 q2 + q3``."""

_MOBIUS = np.array([[(-1) ** bin(s ^ q).count("1") if s & q == q else 0 for s in range(16)]
                    for q in range(16)], dtype=np.float64)
"""Pattern frequencies from the means of the pixel products over every subset (bit mask)."""

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
    Cost per image of N pixels and stride: 24 N multiplications for the value
    and about as many for the gradient (a few milliseconds at 256^2).
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
        # Per stride three shifted copies and the products the gradient needs (about ten maps
        # in all, measured), and the images' gradient with its temporaries.
        return n_channels * (10 * len(self.strides) + 4)

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        # Means of the products over every subset S of the quad's pixels (bit 3 - k for
        # pixel k, as in the pattern numbers), then h_q = sum over S containing q of
        # (-1)^(|S| - |q|) m_S: 11 products per quad instead of 16 four-fold ones.
        mobius = torch.as_tensor(_MOBIUS, dtype=images.dtype, device=images.device)
        rows = []
        for stride in self.strides:
            if self.periodic:
                b = torch.roll(images, -stride, dims=-1)
                pixels = [images, b, torch.roll(images, -stride, dims=-2),
                          torch.roll(b, -stride, dims=-2)]
            else:
                h, w = images.shape[-2] - stride, images.shape[-1] - stride
                pixels = [images[..., di:di + h, dj:dj + w]
                          for di, dj in ((0, 0), (0, stride), (stride, 0), (stride, stride))]
            products: list[torch.Tensor | None] = [None] * 16
            means = [images.new_ones(images.shape[1])]
            for subset in range(1, 16):
                low = subset & -subset
                pixel = pixels[3 - low.bit_length() + 1]
                rest = products[subset ^ low]
                products[subset] = pixel if rest is None else rest * pixel
                means.append(products[subset].mean(dim=(0, 2, 3)))
            rows.append(torch.stack(means, dim=-1) @ mobius.T)
        return torch.stack(rows, dim=1)

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.stack([local_pattern_histogram(labels == phase, strides=self.strides,
                                                 periodic=self.periodic)
                         for phase in phases])
