"""Microstructures: validated integer label arrays with their provenance.

A microstructure is a 2D ``(X, Y)`` or 3D ``(X, Y, Z)`` array of phase labels
``0..P-1``. Array axis 0/1/2 is called x/y/z everywhere in mcrkit. Any set of
distinct values in an input (``0/255``, ``1/2/5``, ``True/False``) is mapped to
``0..P-1`` in increasing order and the mapping is kept in
:attr:`Microstructure.label_values`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "MAX_PHASES",
    "AXIS_NAMES",
    "Microstructure",
    "MicrostructureError",
    "from_array",
    "length_unit",
]

MAX_PHASES = 16
"""Largest number of phases mcrkit accepts in one microstructure."""

AXIS_NAMES = ("x", "y", "z")
"""Names of array axes 0, 1, 2."""


class MicrostructureError(ValueError):
    """An input cannot be used as a microstructure; the message says why and how to fix it."""


_MICROMETRE = frozenset({"um", "µm", "μm", "micron", "microns", "micrometer", "micrometers",
                         "micrometre", "micrometres", "\\u00b5m"})  # µ as micro or mu sign
_NO_UNIT = frozenset({"", "pixel", "pixels", "px", "voxel", "voxels"})


def length_unit(text: str | None) -> str | None:
    """The name of a length unit as mcrkit keeps it: micrometre spellings become ``"µm"``,
    other names are kept as written, and no unit (``None``, ``""``, ``"pixel"``) is None.

    Examples
    --------
    >>> [length_unit(u) for u in ("um", "micron", "µm", "nm", "pixel", None)]
    ['µm', 'µm', 'µm', 'nm', None, None]
    """
    if text is None:
        return None
    name = str(text).strip()
    if name.lower() in _NO_UNIT:
        return None
    return "µm" if name.lower() in _MICROMETRE else name


@dataclass(frozen=True)
class Microstructure:
    """Phase labels plus where they came from.

    Attributes
    ----------
    labels : (X, Y[, Z]) ndarray of uint8
        Phase of every pixel/voxel, ``0..n_phases-1``.
    label_values : tuple
        Original value in the source for each phase: ``label_values[p]`` was
        mapped to phase ``p``.
    source : str
        File name (or ``"array"``) the labels were read from, for messages.
    voxel_size : tuple of float or None
        Physical size of one voxel per axis, if known.
    segmentation : dict
        How the labels were obtained from a gray image, if they were.
    unit : str or None
        Length unit of ``voxel_size`` (e.g. ``"µm"``, see :func:`length_unit`), if known.
    """

    labels: np.ndarray
    label_values: tuple[Any, ...]
    source: str = "array"
    voxel_size: tuple[float, ...] | None = None
    segmentation: dict[str, Any] = field(default_factory=dict)
    unit: str | None = None

    @property
    def n_phases(self) -> int:
        """Number of phases P."""
        return len(self.label_values)

    @property
    def shape(self) -> tuple[int, ...]:
        """Spatial shape ``(X, Y[, Z])``."""
        return tuple(self.labels.shape)

    @property
    def ndim(self) -> int:
        """Spatial dimension, 2 or 3."""
        return self.labels.ndim

    def volume_fractions(self) -> np.ndarray:
        """Fraction of pixels in each phase, shape ``(n_phases,)``."""
        counts = np.bincount(self.labels.ravel(), minlength=self.n_phases)
        return counts / self.labels.size


def _shape_hint(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return "reshape it to 2D, e.g. a.reshape(rows, cols)"
    if len(shape) == 4 and shape[-1] in (3, 4):
        return "it looks like an RGB(A) volume: convert it to one label per voxel"
    if len(shape) >= 4:
        return "remove the extra axes (e.g. a.squeeze() or pick one channel)"
    return "pass a 2D (X, Y) or 3D (X, Y, Z) array"


_CHUNK = 2**16
"""Values handled at once while labelling; bounds the workspace at a few MiB."""

_COUNTED_VALUES = 2**16
"""Distinct values counted before a message says "more than"."""


def _chunks(a: np.ndarray) -> Iterator[np.ndarray]:
    """Consecutive pieces of ``a`` flattened in C order, without copying ``a`` whole.

    Views of a contiguous array; of another (e.g. a TIFF stack with pages moved
    last), copies of blocks of whole slabs along axis 0.
    """
    if a.flags.c_contiguous or a.ndim == 1:
        flat = a.reshape(-1)
        for start in range(0, flat.size, _CHUNK):
            yield flat[start:start + _CHUNK]
        return
    slabs = max(1, _CHUNK // max(1, a[0].size))
    for start in range(0, len(a), slabs):
        yield a[start:start + slabs].reshape(-1)


def _distinct_values(a: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``a``, gathered chunk by chunk in bounded memory;
    counting stops once more than :data:`_COUNTED_VALUES` are found."""
    values = np.empty(0, dtype=a.dtype)
    for part in _chunks(a):
        if len(values) > _COUNTED_VALUES:
            break
        values = np.union1d(values, part)
    return values


def sorted_index_labels(a: np.ndarray, values: np.ndarray) -> np.ndarray:
    """uint8 labels ``np.searchsorted(values, a)`` (at most 256 ``values``, sorted).

    The index of every voxel's value in ``values`` (or of the first boundary
    not below it), written chunk by chunk into the result: the extra memory is
    the labels plus one chunk's workspace, where ``np.searchsorted`` alone
    would make an 8-byte index per voxel.

    Examples
    --------
    >>> sorted_index_labels(np.array([[5, 9], [9, 2]]), np.array([2, 5, 9]))
    array([[1, 2],
           [2, 0]], dtype=uint8)
    """
    labels = np.empty(a.shape, dtype=np.uint8)
    flat = labels.reshape(-1)
    start = 0
    for part in _chunks(a):
        flat[start:start + part.size] = np.searchsorted(values, part)
        start += part.size
    return labels


def value_counts(a: np.ndarray, offset: int = 0, minlength: int = 0) -> np.ndarray:
    """``np.bincount(a.ravel() - offset, minlength=minlength)`` of non-negative integers
    ``a - offset``, counted chunk by chunk in bounded memory.

    Examples
    --------
    >>> value_counts(np.array([[3, 3], [5, 3]], dtype=np.uint8), offset=3)
    array([3, 0, 1])
    """
    counts = np.zeros(minlength, dtype=np.int64)
    for part in _chunks(a):
        found = np.bincount(part.astype(np.int64) - offset)
        if len(found) > len(counts):
            found[:len(counts)] += counts
            counts = found
        else:
            counts[:len(found)] += found
    return counts


def all_finite(a: np.ndarray) -> bool:
    """Whether no value of ``a`` is NaN or infinite, checked chunk by chunk.

    Examples
    --------
    >>> all_finite(np.array([1.0, np.nan])), all_finite(np.arange(3))
    (False, True)
    """
    return a.dtype.kind not in "fc" or all(np.isfinite(part).all() for part in _chunks(a))


def from_array(
    array: Any,
    *,
    source: str = "array",
    voxel_size: tuple[float, ...] | float | None = None,
    segmentation: dict[str, Any] | None = None,
    unit: str | None = None,
) -> Microstructure:
    """Validate a label array and map its distinct values to phases ``0..P-1``.

    Parameters
    ----------
    array : (X, Y[, Z]) array_like
        Segmented microstructure: integers, booleans, or floats with at most
        :data:`MAX_PHASES` distinct values.
    source : str, optional
        Name used in error messages and recorded as provenance.
    voxel_size : float or tuple of float, optional
        Physical voxel size (one value for all axes or one per axis).
    segmentation : dict, optional
        How the labels were obtained from a gray image (recorded as metadata).
    unit : str, optional
        Length unit of ``voxel_size`` (``"um"``, ``"nm"``, ...; see :func:`length_unit`).

    Returns
    -------
    Microstructure

    Raises
    ------
    MicrostructureError
        For NaN values, arrays that are not 2D or 3D, empty arrays, a single
        phase, more than :data:`MAX_PHASES` distinct values, or a
        ``voxel_size`` that is not positive or has neither one value nor one
        per axis.

    Examples
    --------
    >>> ms = from_array([[0, 255], [255, 255]])
    >>> ms.labels
    array([[0, 1],
           [1, 1]], dtype=uint8)
    >>> ms.label_values
    (0, 255)
    """
    if isinstance(array, Microstructure):
        return array
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise MicrostructureError(
            f"{source}: values of type {a.dtype} are not phase labels; "
            "give integer, boolean or float labels"
        )
    if a.ndim not in (2, 3):
        raise MicrostructureError(
            f"{source}: got a {a.ndim}D array of shape {a.shape}; a microstructure is a "
            f"2D (X, Y) or 3D (X, Y, Z) label array: {_shape_hint(a.shape)}"
        )
    if a.size == 0:
        raise MicrostructureError(
            f"{source}: is empty (shape {a.shape}); a microstructure needs at least one "
            "pixel along every axis: check how the array was read or cropped"
        )
    if not all_finite(a):
        bad = np.argwhere(~np.isfinite(a))
        raise MicrostructureError(
            f"{source}: contains {len(bad)} NaN or infinite values (first at index "
            f"{tuple(int(i) for i in bad[0])}); a segmented microstructure needs a label "
            "at every pixel: fill or crop those pixels before use"
        )
    if a.ndim == 3 and 1 in a.shape:
        warnings.warn(
            f"{source}: shape {a.shape} has a singleton axis and is treated as 3D; "
            "for a 2D microstructure pass a.squeeze()",
            UserWarning,
            stacklevel=2,
        )
    values = _distinct_values(a)
    if len(values) < 2:
        raise MicrostructureError(
            f"{source}: holds a single value ({values[0].item()!r}), i.e. only one phase; there "
            "is nothing to characterize. Check the segmentation (threshold or phases)"
        )
    if len(values) > MAX_PHASES:
        count = f"more than {_COUNTED_VALUES}" if len(values) > _COUNTED_VALUES else len(values)
        raise MicrostructureError(
            f"{source}: has {count} distinct values, more than the {MAX_PHASES} phases "
            "mcrkit supports. If it is a grayscale image, segment it: threshold=VALUE, "
            "threshold='otsu' or phases=N"
        )
    if voxel_size is not None:
        try:
            sizes = np.asarray(voxel_size, dtype=float)
        except (TypeError, ValueError):
            sizes = None
        if sizes is None or sizes.ndim > 1 or sizes.size not in (1, a.ndim):
            raise MicrostructureError(
                f"{source}: voxel_size={voxel_size!r} does not fit the {a.ndim}D array of "
                f"shape {a.shape}; give one value for all axes or one per axis "
                f"({a.ndim} values)"
            )
        sizes = np.broadcast_to(sizes.ravel(), (a.ndim,))
        if not (sizes > 0).all():
            raise MicrostructureError(f"{source}: voxel_size must be positive, got {voxel_size}")
        voxel_size = tuple(float(s) for s in sizes)
    return Microstructure(
        labels=sorted_index_labels(a, values),
        label_values=tuple(v.item() for v in values),
        source=source,
        voxel_size=voxel_size,
        segmentation=dict(segmentation or {}),
        unit=length_unit(unit),
    )
