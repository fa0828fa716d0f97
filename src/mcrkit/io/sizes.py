"""Refuse an input whose declared array would not fit in memory, before reading it.

A file of a few kilobytes can declare a huge array (a compressed HDF5 or TIFF,
an ``.npy`` header, a PNG decompression bomb). Every reader asks
:func:`check_fits` with the shape and type the file declares, so such a file
is refused at once with a message instead of exhausting the machine's memory.
A file that could fit the process's ceiling (:func:`mcrkit.runtime.memory_limits`)
but not the memory free at the moment is read with a warning: other processes
may release memory.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrkit.microstructure import MicrostructureError
from mcrkit.runtime import format_bytes, memory_limits

__all__ = ["check_fits", "needed_bytes"]

LABEL_BYTES = 1
"""Bytes per voxel of the phase labels made from the array (uint8)."""


def needed_bytes(shape: Sequence[int], dtype: Any) -> int:
    """Memory to read an array of ``shape`` and ``dtype`` and segment it into labels.

    Examples
    --------
    >>> needed_bytes((1000, 1000), "float32")
    5000000
    """
    voxels = math.prod(int(n) for n in shape)
    return voxels * (np.dtype(dtype).itemsize + LABEL_BYTES)


def check_fits(shape: Sequence[int], dtype: Any, source: str) -> None:
    """Raise :class:`MicrostructureError` if the array a file declares would not fit in memory.

    Parameters
    ----------
    shape, dtype
        What the file declares, read from its header.
    source : str
        The file, named in the message.

    Examples
    --------
    >>> check_fits((64, 64), "uint8", "small.npy")
    >>> try:
    ...     check_fits((10**6, 10**6), "uint8", "huge.npy")
    ... except MicrostructureError as exc:
    ...     print(str(exc).split(";")[0])
    huge.npy: declares a 1000000 x 1000000 uint8 array (931.3 GiB)
    """
    needed = needed_bytes(shape, dtype)
    limits = memory_limits()
    held = limits.held or 0
    can_hold = None if limits.ceiling is None else limits.ceiling - held
    if (can_hold is None or needed <= can_hold) and (limits.free is None
                                                     or needed <= limits.free):
        return
    dims = " x ".join(str(int(n)) for n in shape)
    array_bytes = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    needs = (f"{source}: declares a {dims} {np.dtype(dtype)} array ({format_bytes(array_bytes)}); "
             f"reading and segmenting it needs about {format_bytes(needed)}")
    if can_hold is not None and needed > can_hold:
        raise MicrostructureError(
            f"{needs} but only {format_bytes(max(0, can_hold))} of memory is available "
            f"({limits.describe()}). Crop or downsample it into a smaller file, or use a "
            "machine with more memory"
        )
    warnings.warn(f"{needs}, more than the {format_bytes(limits.free)} of memory free now; "
                  "it is read anyway and fits only if other processes release memory",
                  RuntimeWarning, stacklevel=2)
