"""Label slices as PNG data URLs for the page (x to the right, y up, as in every figure).

A 2D structure is one image; a 3D structure is shown as three orthogonal
slices (normal to x, y and z) at chosen positions. Phase colours are those of
:func:`mcrkit.plotting.microstructure.phase_colors`. :func:`preview` shows an
input before any action: a structure with its volume fractions, or a gray
image beside its segmentation.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["SLICE_AXES", "Preview", "gray_data_url", "png_data_url", "preview",
           "slice_images"]

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


def gray_data_url(image: np.ndarray) -> str:
    """A ``data:image/png`` URL of a 2D gray image ``(X, Y)`` (or colour channels last),
    drawn x right and y up, its range stretched to black..white.

    Examples
    --------
    >>> gray_data_url(np.arange(12.0).reshape(3, 4))[:22]
    'data:image/png;base64,'
    """
    import imageio.v3 as iio

    image = np.asarray(image, dtype=float)
    low, high = np.nanmin(image), np.nanmax(image)
    scaled = np.round((image - low) / (high - low if high > low else 1) * 255).astype(np.uint8)
    shown = np.swapaxes(scaled, 0, 1)[::-1]
    factor = max(1, -(-MIN_PIXELS // max(shown.shape[:2])))
    shown = np.repeat(np.repeat(shown, factor, axis=0), factor, axis=1)
    return "data:image/png;base64," + base64.b64encode(
        iio.imwrite("<bytes>", shown, extension=".png")).decode("ascii")


@dataclass
class Preview:
    """What the page shows of an input before any action.

    Attributes
    ----------
    pictures : list of (str, str)
        Title and data URL of each picture (a gray image first, then its phases).
    fractions : list of float
        Volume fraction of each phase (empty when unknown).
    note : str
        How the pictures were made, or why a segmentation failed.
    """

    pictures: list[tuple[str, str]] = field(default_factory=list)
    fractions: list[float] = field(default_factory=list)
    note: str = ""


def _middle(array: np.ndarray, ndim: int) -> tuple[np.ndarray, str]:
    """A 3D array's middle slice normal to z (2D ones as they are) and its title."""
    if array.ndim == ndim:
        return array, " x ".join(str(s) for s in array.shape)
    z = array.shape[2] // 2
    return array[:, :, z], f"slice z = {z} of {array.shape[2]}"


def preview(path: Path, kind: str, threshold: float | str | None = None,
            phases: int | None = None) -> Preview:
    """Pictures and volume fractions of an upload (see :class:`Preview`).

    Parameters
    ----------
    path : Path
        The stored file.
    kind : str
        Its upload kind: ``microstructure``, ``gray image`` or ``characterization``.
    threshold, phases : optional
        The segmentation of a gray image (default: Otsu's threshold, said in the note).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "gray.npy"
    >>> np.save(path, np.array([[10, 200, 220], [30, 220, 240]], dtype=np.uint8))
    >>> shown = preview(path, "gray image", threshold=100)
    >>> [title for title, _ in shown.pictures], shown.fractions, shown.note
    (['gray image', 'phases'], [0.333..., 0.666...], 'threshold 100')
    """
    from mcrkit.io import read_microstructure

    if kind == "characterization":
        from mcrkit.characterization import Characterization

        c = Characterization.load(path)
        fractions = np.ravel(c.values["volume_fractions"]) if "volume_fractions" in c.names \
            else []
        return Preview(fractions=[float(f) for f in fractions])
    if kind == "microstructure":
        ms = read_microstructure(path)
        labels, title = _middle(ms.labels, 2)
        return Preview([(title, png_data_url(labels, ms.n_phases))],
                       [float(f) for f in ms.volume_fractions()])
    from mcrkit.io.readers import read_image

    gray = read_image(path)
    image, title = _middle(gray, 3 if gray.ndim == 3 and gray.shape[-1] in (3, 4) else 2)
    shown = Preview([(f"gray image, {title}" if "slice" in title else "gray image",
                      gray_data_url(image))])
    if threshold is None and phases is None:
        threshold, shown.note = "otsu", "Otsu's threshold (enter a threshold or a number of " \
                                        "phases in the form to try another)"
    else:
        shown.note = f"{phases} phases" if phases is not None else f"threshold {threshold}"
    try:
        ms = read_microstructure(path, threshold=threshold, phases=phases)
    except (ValueError, TypeError) as exc:
        shown.note = f"cannot segment it so: {exc}"
        return shown
    labels, title = _middle(ms.labels, 2)
    shown.pictures.append((f"phases, {title}" if "slice" in title else "phases",
                           png_data_url(labels, ms.n_phases)))
    shown.fractions = [float(f) for f in ms.volume_fractions()]
    return shown
