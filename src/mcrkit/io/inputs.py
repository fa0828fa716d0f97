"""Any input -- a path, an array, a :class:`Microstructure` -- as a microstructure."""

from __future__ import annotations

from typing import Any

import numpy as np

from mcrkit.io.readers import read_microstructure
from mcrkit.io.segmentation import segment
from mcrkit.microstructure import Microstructure, from_array

__all__ = ["as_microstructure"]


def as_microstructure(obj: Any, **read_options: Any) -> Microstructure:
    """Turn a path, an array or a :class:`Microstructure` into a :class:`Microstructure`.

    Paths are read with :func:`mcrkit.io.read_microstructure` (``read_options``
    such as ``threshold`` and ``phases`` are passed on; options that are None
    are left out); arrays are segmented with them by :func:`mcrkit.io.segment`,
    or validated with :func:`from_array` without them. A microstructure is
    returned as it is: it is segmented already.

    Examples
    --------
    >>> gray = np.array([[10, 200, 30], [220, 15, 190]])
    >>> as_microstructure(gray, threshold=100, phases=None).labels
    array([[0, 1, 0],
           [1, 0, 1]], dtype=uint8)
    """
    read_options = {key: value for key, value in read_options.items() if value is not None}
    if isinstance(obj, Microstructure):
        return obj
    if isinstance(obj, str) or hasattr(obj, "__fspath__"):
        return read_microstructure(obj, **read_options)
    if read_options:
        return segment(np.asarray(obj), **read_options)
    return from_array(obj)
