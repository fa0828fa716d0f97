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
``local_patterns``       patterns with their pixels at        none (2x2 quads)
                         (0, s) and (s, 0) swapped
``correlations``         not available (the half-plane        Gram entries of the vectors
                         window is not closed under swaps)    along the axis
=======================  ===================================  ============================

Each descriptor states both in its own module, as the methods
:meth:`Descriptor.transpose_value` and :meth:`Descriptor.value_along_axis`
(built-in and third-party descriptors alike; the base class refuses to
transpose and has no statistics along an axis). The functions here are the
checked entry points used by the workflows.
"""

from __future__ import annotations

import numpy as np

from mcrkit.descriptors.base import Descriptor

__all__ = ["transpose_value", "value_along_axis"]


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
    return np.asarray(descriptor.transpose_value(value))


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
    along = descriptor.value_along_axis(value, axis)
    return None if along is None else np.asarray(along)
