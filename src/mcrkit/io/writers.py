"""Write microstructures to files that :func:`mcrkit.io.read_microstructure` reads back.

==================  ===========================================================
extension           written
==================  ===========================================================
``.npy``            the label array ``(x, y[, z])`` as stored
``.tif``/``.tiff``  a 2D page, or a pages-first stack ``(z, x, y)``: the inverse
                    of the reader's ``np.moveaxis(stack, 0, -1)``
``.png``            2D only, integer label values 0..65535 (8 or 16 bit gray)
==================  ===========================================================

Files hold the microstructure's own label values (``label_values``, e.g.
0/255), so reading a written file gives back the same phases and values. Files
are written under a temporary name and renamed, so an interrupted write never
leaves a truncated file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mcrkit.io.atomic import atomic_path
from mcrkit.microstructure import Microstructure, MicrostructureError

__all__ = ["WRITABLE_FORMATS", "write_microstructure"]

WRITABLE_FORMATS = ".npy, .tif/.tiff, .png (2D)"
"""Human-readable list of the formats :func:`write_microstructure` writes."""


def _png_array(values: np.ndarray, path: Path, colour: bool) -> np.ndarray:
    """Gray values, or RGB(A) values of a structure segmented from a colour image."""
    if values.ndim - colour != 2:
        raise MicrostructureError(
            f"{path}: PNG holds 2D images but the microstructure is {values.ndim - colour}D "
            f"with shape {values.shape[:values.ndim - colour]}; write volumes as .tif or .npy"
        )
    if values.dtype.kind not in "biu" or values.min() < 0 or values.max() > 65535:
        raise MicrostructureError(
            f"{path}: PNG stores integer gray values 0..65535, but the label values range "
            f"from {values.min()!r} to {values.max()!r} ({values.dtype}); write .tif or .npy"
        )
    return values.astype(np.uint8 if values.max() <= 255 else np.uint16)


def write_microstructure(path: str | os.PathLike[str], microstructure: Microstructure) -> Path:
    """Write ``microstructure`` with its label values to ``path`` (format from the suffix).

    Parameters
    ----------
    path : str or path-like
        Target file; see the module docstring for the formats.
    microstructure : Microstructure
        What to write.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    MicrostructureError
        For an unknown suffix, or data the format cannot hold (a volume or
        non-integer labels as PNG).

    Examples
    --------
    >>> import tempfile
    >>> from mcrkit.io import read_microstructure
    >>> from mcrkit.microstructure import from_array
    >>> path = Path(tempfile.mkdtemp()) / "labels.tif"
    >>> _ = write_microstructure(path, from_array(np.array([[0, 255], [255, 255]])))
    >>> read_microstructure(path).label_values
    (0, 255)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    values = np.asarray(microstructure.label_values)[microstructure.labels]
    if suffix == ".npy":
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, values)
    elif suffix in (".tif", ".tiff"):
        import tifffile

        pages = values if values.ndim == 2 else np.moveaxis(values, -1, 0)
        with atomic_path(path) as tmp:
            tifffile.imwrite(tmp, np.ascontiguousarray(pages), photometric="minisblack")
    elif suffix == ".png":
        import imageio.v3 as iio

        image = _png_array(values, path, np.asarray(microstructure.label_values).ndim == 2)
        with atomic_path(path) as tmp:
            iio.imwrite(tmp, image, extension=".png", plugin="pillow")
    else:
        raise MicrostructureError(
            f"{path}: unknown file extension '{path.suffix}'; mcrkit writes {WRITABLE_FORMATS}"
        )
    return path
