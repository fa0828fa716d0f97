"""Write microstructures to files that :func:`mcrkit.io.read_microstructure` reads back.

==================  ===========================================================
extension           written
==================  ===========================================================
``.npy``            the label array ``(x, y[, z])`` as stored
``.tif``/``.tiff``  an ImageJ image: a 2D page, or a pages-first stack
                    ``(z, x, y)`` of z-slices (the inverse of the reader's
                    ``np.moveaxis(stack, 0, -1)``), see :func:`write_imagej_tiff`
``.png``            2D only, integer label values 0..65535 (8 or 16 bit gray)
==================  ===========================================================

Files hold the microstructure's own label values (``label_values``, e.g.
0/255), so reading a written file gives back the same phases and values. Files
are written under a temporary name and renamed, so an interrupted write never
leaves a truncated file.

TIFF files are what ImageJ/Fiji open as a calibrated image: 8-bit, else
16-bit unsigned gray (ImageJ has no 32- or 64-bit integer type), axes named
(``YX``, or ``ZYX`` so a stack is z-slices, not channels) and, when the voxel
size is known, the pixel size as resolution, the slice ``spacing`` and the
``unit``. Label values that fit neither type (negative, fractional or above
65535) are replaced by the phase numbers ``0..P-1`` with a warning; colour
labels (RGB triples of 0..255) are written as an RGB image.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from mcrkit.io.atomic import atomic_path
from mcrkit.microstructure import Microstructure, MicrostructureError

__all__ = ["WRITABLE_FORMATS", "write_imagej_tiff", "write_microstructure"]

WRITABLE_FORMATS = ".npy, .tif/.tiff, .png (2D)"
"""Human-readable list of the formats :func:`write_microstructure` writes."""


def _png_array(values: np.ndarray, path: Path, colour: bool) -> np.ndarray:
    """Gray values, or RGB(A) values of a structure segmented from a colour image."""
    if values.ndim - colour != 2:
        raise MicrostructureError(
            f"{path}: PNG holds 2D images but the microstructure is {values.ndim - colour}D "
            f"with shape {values.shape[:values.ndim - colour]}; write volumes as .tif or .npy"
        )
    image = _gray_table(values)
    if image is None:
        raise MicrostructureError(
            f"{path}: PNG stores integer gray values 0..65535, but the label values range "
            f"from {values.min()!r} to {values.max()!r} ({values.dtype}); write .tif or .npy"
        )
    return image


def _gray_table(values: np.ndarray) -> np.ndarray | None:
    """``values`` as uint8, else uint16, when they are integers that type holds, else None."""
    if values.dtype.kind not in "biuf" or (values.dtype.kind == "f"
                                           and not np.array_equal(values, np.round(values))):
        return None
    if values.min() < 0 or values.max() > 65535:
        return None
    return values.astype(np.uint8 if values.max() <= 255 else np.uint16)


def _imagej_unit(unit: str) -> str:
    """``unit`` as ImageJ writes it: ASCII, micrometres as ``um``."""
    return "um" if unit == "µm" else unit.encode("ascii", "backslashreplace").decode("ascii")


def write_imagej_tiff(path: str | os.PathLike[str], microstructure: Microstructure) -> Path:
    """Write ``microstructure`` as an ImageJ hyperstack of its label values.

    Parameters
    ----------
    path : str or path-like
        Target ``.tif``/``.tiff`` file.
    microstructure : Microstructure
        2D or 3D labels; its ``voxel_size`` and ``unit``, where known, become
        the ImageJ calibration.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The smallest unsigned type that holds the label values is used (uint8,
    else uint16); values that fit neither are written as phase numbers
    ``0..P-1`` with a :class:`UserWarning`, and colour labels as RGB. The
    pixel size is the resolution (pixels per unit: ImageJ's pixel width is
    the voxel size along y, the columns, its height along x, the rows), the
    voxel size along z the ``spacing``.

    Examples
    --------
    >>> import tempfile, tifffile
    >>> from mcrkit.microstructure import from_array
    >>> path = Path(tempfile.mkdtemp()) / "stack.tif"
    >>> volume = from_array(np.arange(8).reshape(2, 2, 2) % 2 * 255, voxel_size=0.5, unit="um")
    >>> _ = write_imagej_tiff(path, volume)
    >>> with tifffile.TiffFile(path) as tif:
    ...     meta = tif.imagej_metadata
    ...     print(tif.series[0].axes, tif.series[0].dtype, meta["unit"], meta["spacing"])
    ZYX uint8 um 0.5
    """
    import tifffile

    path = Path(path)
    ms = microstructure
    values = np.asarray(ms.label_values)
    colour = values.ndim == 2
    table = _gray_table(values)
    if table is None or (colour and values.shape[1] != 3):
        if not colour:
            warnings.warn(
                f"{path}: the label values {list(ms.label_values)} fit no ImageJ 8/16-bit "
                f"image; the TIFF holds the phase numbers 0..{ms.n_phases - 1} instead "
                "(write .npy or .h5 to keep the values)", UserWarning, stacklevel=2)
        table = np.arange(ms.n_phases, dtype=np.uint8)
        colour = False
    pages = table[ms.labels]
    if ms.ndim == 3:  # (x, y, z[, S]) -> pages-first (z, x, y[, S])
        pages = np.moveaxis(pages, 2, 0)
    # axes named, or ImageJ opens a stack as channels and drops the z spacing
    metadata: dict[str, object] = {"axes": ("ZYX" if ms.ndim == 3 else "YX") + "S" * colour}
    options: dict[str, object] = {}
    if ms.voxel_size is not None:
        sizes = np.broadcast_to(np.asarray(ms.voxel_size, dtype=float), (ms.ndim,))
        options["resolution"] = (1 / sizes[1], 1 / sizes[0])
        if ms.ndim == 3:
            metadata["spacing"] = float(sizes[2])
        if ms.unit is not None:
            metadata["unit"] = _imagej_unit(ms.unit)
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, np.ascontiguousarray(pages), imagej=True,
                         photometric="rgb" if colour else "minisblack", metadata=metadata,
                         **options)
    return path


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
    if suffix in (".tif", ".tiff"):
        return write_imagej_tiff(path, microstructure)
    values = np.asarray(microstructure.label_values)[microstructure.labels]
    if suffix == ".npy":
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.save(fh, values)
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
