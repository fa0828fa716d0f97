"""How descriptor values depend on the axes of the image they describe.

Two operations serve the descriptor-space workflows (merging 2D views into a
per-axis 3D characterization, checking that the views are realizable):

* :func:`transpose_value`: the value the descriptor would have on the
  transposed image (image axes 0 and 1 swapped), computed from the value
  itself; needed when a view's rows map to the second in-plane axis of a
  slice orientation.
* :func:`value_along_axis`: the part of a value that describes the image
  along one of its axes only (S2 along the line through r = 0, the lineal
  path and the chord lengths along that axis, ...). Two orthogonal slices of a
  volume share one direction, and these parts of their values must agree.

=======================  ===================================  ============================
descriptor id            transposed value                     statistics along image axis
=======================  ===================================  ============================
``volume_fractions``     unchanged                            the fractions (shared by all)
``variation``            unchanged                            none (sums both axes)
``two_point``,           map transposed                       S2(r e_axis), r = -L..L
``two_point_cross``
``lineal_path``,         directions swapped (the set must     L(r) along the axis, if the
``lineal_path_approx``   contain each swapped direction)      directions contain it
``chord_length``         the two axes swapped                 distribution along the axis
``correlations``         not available (the half-plane        Gram entries of the vectors
                         window is not closed under swaps)    along the axis
=======================  ===================================  ============================

A third-party descriptor takes part by defining the methods
``transpose_value(value)`` and ``value_along_axis(value, axis)`` with the
meaning of the functions below; without them it can be merged only in the
default orientation and is left out of realizability checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mcrkit.descriptors.base import Descriptor
from mcrkit.descriptors.correlations import correlation_vectors

__all__ = ["transpose_value", "value_along_axis"]


def _unchanged(descriptor: Descriptor, value: np.ndarray) -> np.ndarray:
    return value


def _swap_map_axes(descriptor: Descriptor, value: np.ndarray) -> np.ndarray:
    return np.swapaxes(value, -1, -2)


def _swap_chord_axes(descriptor: Descriptor, value: np.ndarray) -> np.ndarray:
    return value[..., ::-1, :]


def _direction_index(directions: tuple[tuple[int, int], ...],
                     direction: tuple[int, int]) -> int | None:
    """Index of ``direction`` or of its reverse (same lineal path) in ``directions``."""
    reverse = (-direction[0], -direction[1])
    for index, candidate in enumerate(directions):
        if tuple(candidate) in (direction, reverse):
            return index
    return None


def _swap_lineal_path_directions(descriptor: Descriptor, value: np.ndarray) -> np.ndarray:
    directions = descriptor.directions
    order = [_direction_index(directions, (b, a)) for a, b in directions]
    missing = [(b, a) for (a, b), index in zip(directions, order, strict=True) if index is None]
    if missing:
        raise ValueError(
            f"{descriptor.name}: the directions {[tuple(d) for d in directions]} do not "
            f"contain the swapped directions {missing}, so the value of the transposed image "
            "is unknown; characterize with directions closed under swapping, such as "
            "((1, 0), (0, 1)), or transpose the image itself"
        )
    return value[..., order, :]


def _map_line(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray:
    centre = descriptor.limit_to
    return value[..., :, centre] if axis == 0 else value[..., centre, :]


def _lineal_path_line(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray | None:
    index = _direction_index(descriptor.directions, (1, 0) if axis == 0 else (0, 1))
    return None if index is None else value[..., index, :]


def _chord_line(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray:
    return value[..., axis, :]


def _gram_line(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray:
    vectors = correlation_vectors(descriptor.limit_to)
    index = np.flatnonzero(vectors[:, 1 - axis] == 0)
    return value[..., index[:, None], index[None, :]]


def _whole(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray:
    return value


def _nothing(descriptor: Descriptor, value: np.ndarray, axis: int) -> None:
    return None


_Transpose = Callable[[Descriptor, np.ndarray], np.ndarray] | None
_Along = Callable[[Descriptor, np.ndarray, int], np.ndarray | None]

_BUILT_IN: dict[str, tuple[_Transpose, _Along]] = {
    "volume_fractions": (_unchanged, _whole),
    "variation": (_unchanged, _nothing),
    "two_point": (_swap_map_axes, _map_line),
    "two_point_cross": (_swap_map_axes, _map_line),
    "lineal_path": (_swap_lineal_path_directions, _lineal_path_line),
    "lineal_path_approx": (_swap_lineal_path_directions, _lineal_path_line),
    "chord_length": (_swap_chord_axes, _chord_line),
    "correlations": (None, _gram_line),
}


def transpose_value(descriptor: Descriptor, value: np.ndarray) -> np.ndarray:
    """The value ``descriptor`` has on the transposed image, from its value on the image.

    Parameters
    ----------
    descriptor : Descriptor
        The descriptor, configured as when the value was computed.
    value : ndarray
        Its value on one 2D image (layout of :meth:`Descriptor.evaluate` in 2D).

    Returns
    -------
    ndarray
        Same shape as ``value``.

    Raises
    ------
    ValueError
        If the descriptor's value does not determine the transposed one.

    Examples
    --------
    >>> from mcrkit.descriptors import TwoPoint
    >>> from mcrkit.microstructure import from_array
    >>> image = np.array([[1, 1, 1, 0]] * 4)
    >>> s2 = TwoPoint(limit_to=1)
    >>> value = s2.characterize(from_array(image))
    >>> np.array_equal(transpose_value(s2, value), s2.characterize(from_array(image.T)))
    True
    """
    if descriptor.name in _BUILT_IN:
        transpose = _BUILT_IN[descriptor.name][0]
        if transpose is not None:
            return np.asarray(transpose(descriptor, value))
    elif hasattr(descriptor, "transpose_value"):
        return np.asarray(descriptor.transpose_value(value))
    raise ValueError(
        f"{descriptor.name}: its value on the transposed image cannot be derived from its "
        "value, so this view can only be used in the default orientation; transpose the "
        "image itself before characterizing, or leave this descriptor out"
    )


def value_along_axis(descriptor: Descriptor, value: np.ndarray, axis: int) -> np.ndarray | None:
    """The part of a value that describes the image along image axis ``axis`` only.

    Parameters
    ----------
    descriptor, value
        As for :func:`transpose_value`.
    axis : {0, 1}
        Image axis.

    Returns
    -------
    ndarray or None
        None if the descriptor has no statistics along a single axis (or, for
        the lineal path, was not computed along this axis).

    Examples
    --------
    >>> from mcrkit.descriptors import LinealPath
    >>> from mcrkit.microstructure import from_array
    >>> lp = LinealPath(limit_to=2, directions=((1, 0), (0, 1)))
    >>> value = lp.characterize(from_array(np.array([[1, 1, 1, 0]] * 4)))
    >>> value_along_axis(lp, value, 1)  # phase 0, then phase 1
    array([[0.25, 0.  , 0.  ],
           [0.75, 0.5 , 0.25]])
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1 (an image axis), got {axis!r}")
    if descriptor.name in _BUILT_IN:
        return _BUILT_IN[descriptor.name][1](descriptor, value, axis)
    along = getattr(descriptor, "value_along_axis", None)
    return None if along is None else np.asarray(along(value, axis))
