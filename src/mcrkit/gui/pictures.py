"""Label slices as PNG data URLs for the page (x to the right, y up, as in every figure).

A 2D structure is one image; a 3D structure is shown as three orthogonal
slices (normal to x, y and z) at chosen positions. Phase colours are those of
:func:`mcrkit.plotting.microstructure.phase_colors`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np

__all__ = ["SLICE_AXES", "png_data_url", "slice_images"]

SLICE_AXES = ("x", "y", "z")

MIN_PIXELS = 240
"""Images are enlarged by whole pixels to at least this size (crisp phase boundaries)."""


def png_data_url(image: np.ndarray, n_phases: int) -> str:
    """A ``data:image/png`` URL of a 2D label image ``(X, Y)`` drawn x right, y up.

    Examples
    --------
    >>> png_data_url(np.eye(4, dtype=np.uint8), 2)[:22]
    'data:image/png;base64,'
    """
    from mcrkit.plotting.notebook import label_png

    return "data:image/png;base64," + base64.b64encode(
        label_png(image, n_phases, MIN_PIXELS)).decode("ascii")


def slice_images(labels: np.ndarray, positions: Sequence[float] = (0.5, 0.5, 0.5),
                 n_phases: int | None = None) -> list[tuple[str, str]]:
    """Title and data URL of each picture: the image of a 2D structure, or three slices.

    Parameters
    ----------
    labels : (X, Y[, Z]) ndarray
        Phases ``0..P-1``.
    positions : sequence of float
        Where to cut a volume along x, y and z, as fractions of each side.
    n_phases : int, optional
        Number of phases for the colours (default: the largest label + 1).

    Examples
    --------
    >>> volume = np.zeros((4, 6, 8), dtype=np.uint8)
    >>> for title, _ in slice_images(volume, (0.0, 0.5, 1.0)):
    ...     print(title)
    normal to x, x = 0 of 4 (y right, z up)
    normal to y, y = 3 of 6 (x right, z up)
    normal to z, z = 7 of 8 (x right, y up)
    """
    labels = np.asarray(labels)
    phases = int(labels.max()) + 1 if n_phases is None else n_phases
    if labels.ndim == 2:
        return [(f"{labels.shape[0]} x {labels.shape[1]} (x right, y up)",
                 png_data_url(labels, phases))]
    pictures = []
    for axis, (name, fraction) in enumerate(zip(SLICE_AXES, positions, strict=True)):
        size = labels.shape[axis]
        index = min(int(fraction * size), size - 1)
        image = np.take(labels, index, axis=axis)
        right, up = (n for n in SLICE_AXES if n != name)
        pictures.append((f"normal to {name}, {name} = {index} of {size} ({right} right, {up} up)",
                         png_data_url(image, phases)))
    return pictures
