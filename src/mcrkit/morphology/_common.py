"""Validation and small helpers shared by the morphology modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["check_axis", "check_connectivity", "check_mask", "neighbours_of", "spacing"]


def check_mask(image: np.ndarray, owner: str) -> np.ndarray:
    """``image`` as a boolean 2D or 3D array, or a ValueError naming ``owner``."""
    array = np.asarray(image)
    if array.ndim not in (2, 3):
        raise ValueError(f"{owner}: expected a 2D (X, Y) or 3D (X, Y, Z) phase indicator, "
                         f"got an array of shape {array.shape}")
    if array.dtype != bool:
        values = np.unique(array)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f"{owner}: the phase indicator must hold only 0 and 1 (or bool), "
                             f"got values {values[:5].tolist()}; pass e.g. labels == phase")
        array = array.astype(bool)
    return array


def check_connectivity(connectivity: int | None, ndim: int, owner: str,
                       allowed: Sequence[int] | None = None) -> int:
    """The connectivity in scikit-image's convention (1: faces ... ndim: all neighbours)."""
    if connectivity is None:
        return ndim
    allowed = tuple(range(1, ndim + 1)) if allowed is None else tuple(allowed)
    if isinstance(connectivity, bool) or connectivity not in allowed:
        raise ValueError(f"{owner}: connectivity must be one of {allowed} for {ndim}D "
                         f"(1: face neighbours, {ndim}: all neighbours), got {connectivity!r}")
    return int(connectivity)


def check_axis(axis: int, ndim: int, owner: str) -> int:
    """A non-negative axis index, or a ValueError naming ``owner``."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer) or not -ndim <= axis < ndim:
        raise ValueError(f"{owner}: axis must be an integer in [-{ndim}, {ndim - 1}] for a "
                         f"{ndim}D structure, got {axis!r}")
    return int(axis) % ndim


def spacing(voxel_size: float | Sequence[float], ndim: int, owner: str) -> np.ndarray:
    """Voxel size per axis as a float array of length ``ndim`` (one value: every axis).

    Examples
    --------
    >>> spacing((0.5,), 3, "example").tolist()
    [0.5, 0.5, 0.5]
    """
    size = np.asarray(voxel_size, dtype=np.float64)
    if size.ndim == 0 or size.shape == (1,):
        size = np.full(ndim, float(size.reshape(-1)[0]))
    if size.shape != (ndim,) or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise ValueError(f"{owner}: voxel_size must be one positive number or one per axis "
                         f"({ndim} values), got {voxel_size!r}")
    return size


def neighbours_of(mask: np.ndarray) -> np.ndarray:
    """The pixels outside a periodic 2D ``mask`` that touch it (8 neighbours)."""
    grown = mask.copy()
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            grown |= np.roll(mask, (dr, dc), axis=(0, 1))
    return grown & ~mask
