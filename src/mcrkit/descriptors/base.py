"""The descriptor contract and the machinery every descriptor shares.

A descriptor is a frozen dataclass whose fields are its parameters (so they
are discoverable for the CLI and GUI and serialize to JSON). It writes only
its own math for a batch of 2D images; this base class handles

* phase selection: a two-phase structure is described by phase 1 alone (phase
  0 follows from it); three or more phases are described phase by phase;
* 2D definitions on 3D structures: every slice normal to x, y and z is
  evaluated in batched calls (no Python loop over slices) and averaged per
  slicing axis;
* multigrid levels for descriptors that declare a ``levels`` field: level
  ``m`` evaluates the descriptor on ``2**m`` average-pooled images;
* memory: large batches are split into chunks (with activation checkpointing
  when gradients are needed) so peak memory stays bounded.

Differentiable descriptors implement :meth:`Descriptor.compute` with PyTorch
ops on relaxed fields; autograd provides the gradient. Non-differentiable
descriptors implement :meth:`Descriptor.compute_numpy` on discrete labels and
serve characterization and annealing only.

A descriptor's module holds all its forms; the base class gives a default for
each optional one:

=========================================  ==========================================
form (method)                              default
=========================================  ==========================================
:meth:`~Descriptor.compute` (PyTorch)      none: not differentiable
:meth:`~Descriptor.compute_numpy` (NumPy)  none (differentiable descriptors need none)
:meth:`~Descriptor.incremental`            no swap kernel: the annealer recomputes
:meth:`~Descriptor.transpose_value`,       not transposable, no statistics along an
:meth:`~Descriptor.value_along_axis`       axis (see :mod:`.orientation`)
:attr:`~Descriptor.relaxation_of`          stands for itself (:meth:`~Descriptor.exact`)
=========================================  ==========================================

Callers get a value in one of three ways: :meth:`Descriptor.evaluate` on a
relaxed field (PyTorch, differentiable: the reconstruction objective),
:meth:`Descriptor.label_value` on a discrete label array (exact, every
descriptor: annealing, validation), and :meth:`Descriptor.characterize` on a
:class:`~mcrkit.microstructure.Microstructure` (``label_value`` after checking
the image sizes, in the descriptor's exact dtype). :meth:`Descriptor.evaluate_labels`
is the NumPy path of ``label_value``, public for compatibility.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from mcrkit import registry
from mcrkit._checks import check_positive_int
from mcrkit.microstructure import Microstructure

if TYPE_CHECKING:
    from mcrkit.descriptors.incremental import SwapTerm

__all__ = ["Descriptor", "check_positive_int", "chunks", "group_budget", "one_hot",
           "recomputed", "slicing_axes"]

WORKSPACE_BYTES = 256 * 2**20
"""Memory budget for the intermediate arrays of one chunk of images."""

LABEL_WORKSPACE_BYTES = 16 * 2**20
"""Memory budget for one chunk of images made from discrete labels (:meth:`Descriptor.label_value`,
which keeps no graph): the indicator images are made a chunk at a time, so that the exact
value of a volume needs little memory beyond its labels."""

CPU_GROUP_BYTES = 8 * 2**20
"""Budget for the intermediates of one group of images inside a descriptor's computation
on a CPU: about a cache, so that they are reused while cached (see :func:`group_budget`)."""


def chunks(n_images: int, bytes_per_image: int, budget: int | None = None) -> list[slice]:
    """Consecutive slices of a batch of ``n_images`` whose intermediates, ``bytes_per_image``
    per image, fit ``budget`` (default :data:`WORKSPACE_BYTES`); at least one image each.

    Examples
    --------
    >>> chunks(5, 100, budget=250)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 6, None)]
    """
    budget = WORKSPACE_BYTES if budget is None else budget
    size = max(1, budget // max(bytes_per_image, 1))
    return [slice(start, start + size) for start in range(0, n_images, size)]


def group_budget(device: torch.device) -> int:
    """Budget of the groups of images a descriptor processes one at a time within a chunk:
    :data:`CPU_GROUP_BYTES` on a CPU, the chunk budget :data:`WORKSPACE_BYTES` on other
    devices (fewer, larger kernels)."""
    return CPU_GROUP_BYTES if device.type == "cpu" else WORKSPACE_BYTES


class _Recomputed(torch.autograd.Function):
    """``fn(x)`` whose graph is rebuilt in the backward pass instead of being kept."""

    @staticmethod
    def forward(ctx: Any, fn: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.fn = fn
        ctx.save_for_backward(x)
        return fn(x)  # autograd records nothing inside forward

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[None, torch.Tensor]:
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            # the gradient of <fn(x), grad>: passing ``grad`` as grad_outputs would import
            # torch's symbolic shapes (and sympy) on first use
            inner = torch.dot(ctx.fn(x).reshape(-1), grad.reshape(-1))
            (grad_x,) = torch.autograd.grad(inner, x)
        return None, grad_x


def recomputed(fn: Any, x: torch.Tensor) -> torch.Tensor:
    """``fn(x)`` for a tensor function of one tensor, keeping only ``x`` for the gradient:
    ``fn`` runs again in the backward pass (activation checkpointing), so the
    intermediates of its graph are never held beside those of later operations.

    ``torch.utils.checkpoint`` does the same, but its first call imports
    ``torch._dynamo``, more than a second of start-up for a small run.

    Examples
    --------
    >>> calls = []
    >>> def square(t):
    ...     calls.append(1)
    ...     return t * t
    >>> x = torch.tensor([1.0, 3.0], requires_grad=True)
    >>> recomputed(square, x).sum().backward()
    >>> x.grad.tolist(), len(calls)  # 2x; computed once forward, once backward
    ([2.0, 6.0], 2)
    """
    if not (torch.is_grad_enabled() and x.requires_grad):
        return fn(x)
    return _Recomputed.apply(fn, x)


def one_hot(labels: np.ndarray, n_phases: int, *, dtype: torch.dtype = torch.float64,
            device: str | torch.device = "cpu") -> torch.Tensor:
    """Phase indicator field ``(n_phases, *labels.shape)`` of a label array."""
    lab = torch.as_tensor(np.ascontiguousarray(labels), device=device).long()
    return F.one_hot(lab, n_phases).movedim(-1, 0).to(dtype)


def slicing_axes(ndim: int) -> tuple[int, ...]:
    """Axes whose normal slices a 2D definition is evaluated on: none in 2D, all three in 3D."""
    return () if ndim == 2 else tuple(range(ndim))


MCRPY_SOFT_THRESHOLD = ("entries pass a soft threshold (a sigmoid of the mean of the two "
                        "pixels at 0.75, steepness 10), so on a binary image a pair with one "
                        "pixel in the phase counts about 0.08 there and 0 here, where the "
                        "values are exact")
"""What MCRpy's convolution-based correlations do that mcrkit's exact ones do not."""

@dataclasses.dataclass(frozen=True, kw_only=True)
class Descriptor:
    """Base class of all descriptors (see the module docstring).

    Class attributes
    ----------------
    name : str
        Registry id in snake_case.
    display_name : str
        Name in figures and tables (default: the id with spaces).
    aliases : tuple of str
        Other names that resolve to this descriptor: the same statistic.
    mcrpy_names : dict of str to str
        MCRpy's names of similar statistics that differ from this one, each with what
        differs; they resolve to this descriptor with a warning saying so.
    differentiable : bool
        Whether :meth:`compute` exists and supports autograd.
    all_phases : bool
        Describe every phase even for two-phase structures.
    exact_dtype : torch.dtype or None
        A cheaper dtype in which :meth:`compute` is exact on binary fields up
        to the final rounding (used by :meth:`characterize`); None keeps the
        caller's dtype.
    default_weight : float
        Weight of the descriptor's term in a reconstruction objective unless
        the user gives one.
    relaxation_of : str or None
        Id of a (non-differentiable) descriptor that this one equals on
        binary fields with the same parameters: a reconstruction may use its
        characterized value as the target (``lineal_path_approx`` relaxes
        ``lineal_path``).
    """

    name: ClassVar[str]
    display_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    mcrpy_names: ClassVar[dict[str, str]] = {}
    differentiable: ClassVar[bool] = True
    all_phases: ClassVar[bool] = False
    exact_dtype: ClassVar[torch.dtype | None] = None
    default_weight: ClassVar[float] = 1.0
    relaxation_of: ClassVar[str | None] = None

    # ---- what a descriptor implements -------------------------------------------------
    def compute(self, images: torch.Tensor) -> torch.Tensor:
        """Batch mean of the descriptor of relaxed images.

        Parameters
        ----------
        images : (B, C, H, W) Tensor
            Indicator fields of the selected phases (floats in [0, 1]).

        Returns
        -------
        (C', ...) Tensor
            Value averaged over the batch.
        """
        raise NotImplementedError(f"{self.name} is not differentiable; use compute_numpy")

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        """Batch mean of the descriptor of discrete label images.

        Parameters
        ----------
        labels : (B, H, W) ndarray of int
            Discrete phase labels.
        phases : list of int
            Phases to describe.

        Returns
        -------
        (len(phases), ...) ndarray
        """
        raise NotImplementedError(f"{self.name} has no NumPy implementation")

    def check_image_shape(self, shape: tuple[int, int]) -> None:
        """Raise a ValueError if the descriptor cannot be evaluated on images of ``shape``."""
        limit_to = getattr(self, "limit_to", None)
        if limit_to is not None and min(shape) < 2:
            raise ValueError(
                f"{self.name}: images of shape {tuple(shape)} are too thin for correlations "
                "(a side of 1 pixel); use a structure at least 2 pixels wide on every side, "
                "or leave this descriptor out")
        if limit_to is not None and limit_to > min(shape) // 2:
            raise ValueError(
                f"{self.name}: limit_to={limit_to} is larger than half the smallest image side "
                f"({min(shape)} pixels in images of shape {tuple(shape)}); choose "
                f"limit_to={min(shape) // 2} or less"
            )

    def workspace(self, n_channels: int) -> int:
        """Intermediate floats per pixel of one image (used to size chunks)."""
        return 4 * n_channels

    def volume_fractions(self, value: np.ndarray, n_phases: int) -> np.ndarray | None:
        """Volume fractions of every phase implied by a (2D-layout) value, or None if the
        descriptor does not determine them."""
        return None

    def _fractions_of(self, described: np.ndarray, n_phases: int) -> np.ndarray:
        """All phases' fractions from those of the described phases."""
        described = np.asarray(described, dtype=np.float64)
        if self.phases(n_phases) == [1]:
            return np.array([1.0 - described[0], described[0]])
        return described

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> SwapTerm | None:
        """Residual sum of this descriptor kept up to date under phase swaps (annealing).

        Parameters
        ----------
        labels : (N,) ndarray of uint8
            The annealer's flat label array of a structure of ``shape`` (shared).
        shape : tuple of int
            2D or 3D spatial shape.
        n_phases : int
            Number of phases.
        target : ndarray
            Target value, laid out as :meth:`label_value` returns it.
        pointwise : {"square", "abs"}
            Residual function summed over the entries.

        Returns
        -------
        SwapTerm or None
            None if the descriptor has no incremental update (the annealer then
            recomputes it for every candidate move).

        Notes
        -----
        A descriptor kept as integer counts returns
        :func:`~mcrkit.descriptors.incremental.count_term` with its site kernel, a numba
        function of the signature :data:`~mcrkit.descriptors.swap_kernels.SITE` (the
        built-ins keep theirs in ``_<module>_kernels.py``, imported here so that numba
        loads only for annealing); the annealer then runs it in its compiled chain.
        """
        return None

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        """The value on the transposed image (image axes 0 and 1 swapped), from ``value``.

        Used to merge views whose rows lie along the second in-plane axis of a slice
        orientation (see :mod:`mcrkit.descriptors.orientation`). The default refuses:
        a descriptor whose value determines the transposed one overrides this.

        Raises
        ------
        ValueError
            If the value does not determine the transposed one.
        """
        raise ValueError(
            f"{self.name}: its value on the transposed image cannot be derived from its "
            "value, so this view can only be used in the default orientation; transpose the "
            "image itself before characterizing, or leave this descriptor out"
        )

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        """The part of a (2D) value that describes the image along image axis ``axis`` only,
        or None (the default) if the descriptor has no such statistics."""
        return None

    # ---- what a descriptor stands for -----------------------------------------------------
    @classmethod
    def exact_class(cls) -> type[Descriptor]:
        """The descriptor class this one stands for: the one it relaxes
        (:attr:`relaxation_of`), else itself.

        Examples
        --------
        >>> from mcrkit.descriptors import LinealPathApprox, TwoPoint
        >>> LinealPathApprox.exact_class().name, TwoPoint.exact_class().name
        ('lineal_path', 'two_point')
        """
        return cls if cls.relaxation_of is None else registry.descriptors.get(cls.relaxation_of)

    def exact(self) -> Descriptor:
        """The exact descriptor this one stands for, with the same parameters (itself unless
        it is a relaxation).

        Examples
        --------
        >>> from mcrkit.descriptors import LinealPathApprox
        >>> LinealPathApprox(limit_to=3, method="min").exact()
        LinealPath(limit_to=3, directions=((1, 0), (0, 1), (1, 1), (1, -1)), periodic=True)
        """
        cls = self.exact_class()
        if cls is type(self):
            return self
        return cls(**{name: getattr(self, name) for name in cls.parameters()})

    @classmethod
    def differentiable_class(cls) -> type[Descriptor] | None:
        """A class gradient optimizers can use for this descriptor: itself if differentiable,
        else a registered differentiable relaxation of it, else None.

        Examples
        --------
        >>> from mcrkit.descriptors import ChordLength, LinealPath
        >>> LinealPath.differentiable_class().name, ChordLength.differentiable_class()
        ('lineal_path_approx', None)
        """
        if cls.differentiable:
            return cls
        for candidate in registry.descriptors.available().values():
            if candidate.relaxation_of == cls.name and candidate.differentiable:
                return candidate
        return None

    # ---- shared machinery ---------------------------------------------------------------
    @classmethod
    def parameters(cls) -> dict[str, dataclasses.Field[Any]]:
        """The descriptor's parameters (dataclass fields) by name."""
        return {f.name: f for f in dataclasses.fields(cls)}

    def settings(self) -> dict[str, Any]:
        """Parameter values as JSON-ready builtins."""
        return _jsonable(dataclasses.asdict(self))

    @property
    def n_levels(self) -> int:
        """Number of multigrid levels (1 unless the descriptor has a ``levels`` field)."""
        return int(getattr(self, "levels", 1))

    def phases(self, n_phases: int) -> list[int]:
        """Phases this descriptor describes in a structure with ``n_phases`` phases."""
        if n_phases == 2 and not self.all_phases:
            return [1]
        return list(range(n_phases))

    def evaluate(self, field: torch.Tensor, axes: tuple[int, ...] | None = None
                 ) -> torch.Tensor:
        """Descriptor value of a relaxed field, differentiable.

        Parameters
        ----------
        field : (P, X, Y) or (P, X, Y, Z) Tensor
            Phase indicator fields (per-voxel fractions summing to one).
        axes : tuple of int, optional
            For a volume, the slicing axes to evaluate (default: x, y and z); the
            objective leaves out an orientation whose target is free.

        Returns
        -------
        Tensor
            2D: the value, shape ``(C', ...)`` (with a leading ``levels`` axis
            for multigrid descriptors). 3D: one value per slicing axis
            stacked along a new leading axis (of length 3: x, y, z normals, or
            ``len(axes)``).
        """
        phases = self.phases(field.shape[0])
        if phases == list(range(phases[0], phases[-1] + 1)):  # a view: no copy of the field
            images = field[phases[0]:phases[-1] + 1]
        else:
            images = field[phases]
        return self._per_axis(images, self._compute_images, axes)

    def evaluate_labels(self, labels: np.ndarray, n_phases: int) -> np.ndarray:
        """Exact value of discrete labels by :meth:`compute_numpy`, laid out as by
        :meth:`evaluate` (the NumPy path of :meth:`label_value`, which callers use)."""
        return self._per_axis(labels, lambda batch: self._compute_labels(batch, n_phases))

    def characterize(self, microstructure: Microstructure, *, dtype: torch.dtype = torch.float64,
                     device: str | torch.device = "cpu") -> np.ndarray:
        """Exact value for a discrete microstructure, as a float64 ndarray."""
        for shape in _image_shapes(microstructure.shape):
            self.check_image_shape(shape)
        return self.label_value(microstructure.labels, microstructure.n_phases,
                                dtype=self.exact_dtype or dtype, device=device)

    def label_value(self, labels: np.ndarray, n_phases: int, *,
                    dtype: torch.dtype = torch.float64,
                    device: str | torch.device = "cpu") -> np.ndarray:
        """Value of a discrete label array (2D or 3D) as a float64 ndarray, laid out as by
        :meth:`evaluate`; differentiable descriptors compute it in ``dtype`` on ``device``."""
        if not self.differentiable:
            return np.asarray(self.evaluate_labels(labels, n_phases), dtype=np.float64)
        phases = torch.as_tensor(self.phases(n_phases), device=device)
        with torch.no_grad():
            return self._per_axis(np.asarray(labels),
                                  lambda batch: self._label_mean(batch, phases, dtype))

    # ---- internals --------------------------------------------------------------------
    def _per_axis(self, data: Any, batch_fn: Any, axes: tuple[int, ...] | None = None) -> Any:
        """Apply ``batch_fn`` to the 2D image, or to the slices normal to each axis of a volume
        (or to each of ``axes``)."""
        is_tensor = isinstance(data, torch.Tensor)
        spatial_ndim = data.ndim - 1 if is_tensor else data.ndim
        if spatial_ndim == 2:
            return batch_fn(data[None])
        if spatial_ndim != 3:
            raise ValueError(f"{self.name}: expected a 2D or 3D field, got {spatial_ndim}D")
        values = []
        for axis in slicing_axes(3) if axes is None else axes:
            if is_tensor:  # (P, X, Y, Z) -> (n_slices, P, a, b)
                values.append(batch_fn(data.movedim(axis + 1, 0)))
            else:  # (X, Y, Z) -> (n_slices, a, b)
                values.append(batch_fn(np.moveaxis(data, axis, 0)))
        return torch.stack(values) if is_tensor else np.stack(values)

    def _compute_images(self, images: torch.Tensor) -> torch.Tensor:
        levels = []
        for level in range(self.n_levels):
            pooled = F.avg_pool2d(images, 2**level) if level else images
            self.check_image_shape(tuple(pooled.shape[-2:]))
            levels.append(self._chunked_mean(pooled))
        return torch.stack(levels) if "levels" in self.parameters() else levels[0]

    def _chunked_mean(self, images: torch.Tensor) -> torch.Tensor:
        batch, channels, height, width = images.shape
        parts = chunks(batch, self.workspace(channels) * height * width * images.element_size())
        if len(parts) == 1:
            return self.compute(images)
        total = None
        for part in (images[part] for part in parts):
            if torch.is_grad_enabled() and images.requires_grad:
                value = recomputed(self.compute, part)
            else:
                value = self.compute(part)
            value = value * (part.shape[0] / batch)
            total = value if total is None else total + value
        return total

    def _label_mean(self, labels: np.ndarray, phases: torch.Tensor,
                    dtype: torch.dtype) -> np.ndarray:
        """Value of a batch of label images ``(B, H, W)`` as a float64 ndarray: the indicator
        images of ``phases`` are made (in ``dtype`` on the device of ``phases``) and evaluated
        a chunk at a time, and the chunks' means are averaged in float64."""
        batch, height, width = labels.shape
        item = torch.empty((), dtype=dtype).element_size()
        per_image = self.workspace(len(phases)) * height * width * item
        total = None
        for part in chunks(batch, per_image, min(WORKSPACE_BYTES, LABEL_WORKSPACE_BYTES)):
            value = self._compute_images(_indicators(labels[part], phases, dtype)).double()
            value = value * (len(range(batch)[part]) / batch)
            total = value if total is None else total + value
        return total.cpu().numpy()

    def _compute_labels(self, labels: np.ndarray, n_phases: int) -> np.ndarray:
        self.check_image_shape(labels.shape[-2:])
        return self.compute_numpy(labels, self.phases(n_phases))


def _indicators(labels: np.ndarray, phases: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Indicator images ``(B, C, H, W)`` of ``phases`` in label images ``(B, H, W)``, in
    ``dtype`` on the device of ``phases``."""
    block = torch.as_tensor(np.ascontiguousarray(labels), device=phases.device)
    return (block[:, None] == phases[:, None, None]).to(dtype)


def _image_shapes(shape: tuple[int, ...]) -> list[tuple[int, int]]:
    """Shapes of the 2D images a structure of ``shape`` is described by."""
    if len(shape) == 2:
        return [tuple(shape)]
    return [tuple(s for i, s in enumerate(shape) if i != axis) for axis in slicing_axes(3)]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
