"""Read microstructures from files.

==================  ===========================  ======================================
extension           library                      array read
==================  ===========================  ======================================
``.npy``            NumPy (never unpickles)      the array
``.npz[:key]``      NumPy (never unpickles)      the only array, else ``labels`` or
                                                 ``microstructure``, else ``:key``
``.tif``/``.tiff``  tifffile                     one page or a multi-page stack
``.png``/``.bmp``/  imageio (Pillow plugin)      gray, RGB or RGBA image
``.jpg``/``.jpeg``
``.h5``/``.hdf5``   h5py                         the only dataset, else ``:/path``
``[:/dataset]``
==================  ===========================  ======================================

Axis convention (mcrkit arrays are ``(x, y[, z])``):

- NumPy and HDF5 arrays are taken as stored: array axis 0/1/2 is x/y/z.
- A 2D image (TIFF page, PNG, ...) of ``(rows, cols)`` is ``(x, y)``: x = row,
  y = column, unchanged.
- A TIFF stack is pages-first, ``(pages, rows, cols)``; it becomes
  ``(rows, cols, pages)`` with ``np.moveaxis(stack, 0, -1)``: x = row,
  y = column, z = page.

Before any array is read, the shape and type its file declares are checked
against the memory available (:func:`mcrkit.io.sizes.check_fits`), so a small
file declaring a huge array is refused at once. Every array goes through
:func:`mcrkit.io.segment`, so ``threshold`` and
``phases`` work for all formats, and color images (RGB channels in PNG, JPEG,
BMP or TIFF) follow its color rules. A constant alpha channel is dropped; a
varying one is refused.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from mcrkit.io.segmentation import segment
from mcrkit.io.sizes import check_fits
from mcrkit.microstructure import Microstructure, MicrostructureError, length_unit

__all__ = ["SUPPORTED_FORMATS", "read_image", "read_microstructure"]

SUPPORTED_FORMATS = (
    ".npy, .npz (file.npz:key), .tif/.tiff, .png, .bmp, .jpg/.jpeg, "
    ".h5/.hdf5 (file.h5:/path/to/dataset), .vti (file.vti:cell_array, default 'material')"
)
"""Human-readable list of the formats :func:`read_microstructure` reads."""

_VOXEL_SIZE_ATTRS = ("voxel_size", "element_size_um")
_NPZ_PREFERRED_KEYS = ("labels", "microstructure")
_PARSE_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


class _Image(NamedTuple):
    """An array read from a file, before segmentation."""

    data: np.ndarray
    channel_axis: int | None = None
    voxel_size: tuple[float, ...] | None = None
    unit: str | None = None


def read_microstructure(
    path: str | os.PathLike[str],
    *,
    threshold: float | str | None = None,
    phases: int | None = None,
    voxel_size: tuple[float, ...] | float | None = None,
    unit: str | None = None,
) -> Microstructure:
    """Read a microstructure from a NumPy, TIFF, PNG/BMP/JPEG, HDF5 or VTK image file.

    Parameters
    ----------
    path : str or path-like
        File to read. ``file.npz:key`` selects an array of an ``.npz`` archive
        and ``file.h5:/group/dataset`` a dataset of an HDF5 file; the suffix
        is split off only if the part before the colon is an existing file or
        has a known extension.
    threshold : float or "otsu", optional
        Segment a gray image into two phases, see :func:`mcrkit.io.segment`.
    phases : int, optional
        Segment a gray image into this many phases, see :func:`mcrkit.io.segment`.
    voxel_size : float or tuple of float, optional
        Physical voxel size; overrides one stored in the file (HDF5 dataset
        attribute ``voxel_size`` or ``element_size_um``, per dataset axis; an
        ImageJ TIFF's calibration: pixel height (x), width (y) and the stack's
        ``spacing`` (z); other TIFF resolutions are screen dpi and ignored).
    unit : str, optional
        Length unit of the voxel size (``"um"``, ``"nm"``, ...); overrides
        one stored in the file (an ImageJ TIFF's ``unit``, an HDF5 ``unit``
        attribute or ``element_size_um``, a ``.vti`` written by mcrkit).

    Returns
    -------
    Microstructure
        ``source`` is ``path`` as given (including a ``:key`` suffix);
        ``voxel_size`` and ``unit`` as given or stored (the unit only with a
        voxel size), micrometres spelled ``"µm"``
        (:func:`mcrkit.microstructure.length_unit`).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    MicrostructureError
        For an unknown extension, a file that does not parse as its format, an
        ambiguous or missing ``:key``/dataset, and every error of
        :func:`mcrkit.io.segment` (e.g. a gray image with more than 16 levels
        and neither ``threshold`` nor ``phases``).

    Notes
    -----
    Axes: NumPy and HDF5 arrays are used as stored (axis 0/1/2 = x/y/z). A 2D
    image ``(rows, cols)`` is ``(x, y)``. A TIFF stack is pages-first
    ``(pages, rows, cols)`` and is returned as ``(rows, cols, pages)`` via
    ``np.moveaxis(stack, 0, -1)``, i.e. z is the page index.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "two_phase.npy")
    >>> np.save(path, np.array([[0, 255], [255, 0]], dtype=np.uint8))
    >>> ms = read_microstructure(path)
    >>> ms.labels
    array([[0, 1],
           [1, 0]], dtype=uint8)
    >>> ms.label_values
    (0, 255)

    Gray images with many levels need a segmentation, e.g.
    ``read_microstructure("scan.tif", threshold="otsu")``; an HDF5 dataset is
    selected with ``read_microstructure("run.h5:/results/labels")``.
    """
    source = os.fspath(path)
    image = _open(source)
    ms = segment(
        image.data,
        threshold=threshold,
        phases=phases,
        source=source,
        voxel_size=voxel_size if voxel_size is not None else _stored_voxel_size(image, source),
        channel_axis=image.channel_axis,
    )
    unit = length_unit(unit if unit is not None else image.unit)
    if ms.voxel_size is None or unit is None:
        return ms
    return dataclasses.replace(ms, unit=unit)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The array a file holds before any segmentation: gray levels, or colour channels last.

    Axes as :func:`read_microstructure` returns them (a TIFF stack's pages
    last); used to show a gray image beside its segmentation.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "gray.npy")
    >>> np.save(path, np.array([[3, 250], [128, 7]], dtype=np.uint8))
    >>> read_image(path)
    array([[  3, 250],
           [128,   7]], dtype=uint8)
    """
    return _open(os.fspath(path)).data


def _open(source: str) -> _Image:
    """Read the file (``file[:key]``) ``source`` names with the reader of its format."""
    file, key = _split_key(source)
    if not file.exists():
        raise FileNotFoundError(f"No such file: '{file}' (resolved to {file.resolve()})")
    if file.is_dir():
        raise MicrostructureError(f"{source}: is a directory; give a file ({SUPPORTED_FORMATS})")
    reader = _READERS.get(file.suffix.lower())
    if reader is None:
        raise MicrostructureError(
            f"{source}: unknown file extension '{file.suffix}'; supported formats: "
            f"{SUPPORTED_FORMATS}"
        )
    return _read(reader, file, key, source)


def _stored_voxel_size(image: _Image, source: str) -> tuple[float, ...] | None:
    """The voxel size the file stores, checked against the image's spatial dimension."""
    if image.voxel_size is None:
        return None
    ndim = image.data.ndim - (image.channel_axis is not None)
    if len(image.voxel_size) not in (1, ndim):
        raise MicrostructureError(
            f"{source}: the file stores voxel size {list(image.voxel_size)}, which is neither "
            f"one size nor one per axis of the {ndim}D image; fix the file or pass "
            "voxel_size=... to override it"
        )
    return image.voxel_size


def _split_key(source: str) -> tuple[Path, str | None]:
    """Split ``file.ext:key`` at the first colon after an existing file or a known extension."""
    if Path(source).is_file():
        return Path(source), None
    for colon in (i for i, char in enumerate(source) if char == ":"):
        head = Path(source[:colon])
        if head.is_file() or head.suffix.lower() in _READERS:
            return head, source[colon + 1 :]
    return Path(source), None


def _read(reader: Any, file: Path, key: str | None, source: str) -> _Image:
    """Call a format reader, turning library parse errors into MicrostructureError."""
    fmt = file.suffix.lower()
    if key is not None and fmt not in _KEYED_FORMATS:
        raise MicrostructureError(
            f"{source}: a '{fmt}' file holds a single array, so ':{key}' selects nothing; "
            "remove the ':...' suffix"
        )
    try:
        return reader(file, key, source)
    except MicrostructureError:
        raise
    except _PARSE_ERRORS as exc:
        raise MicrostructureError(
            f"{source}: cannot be read as a '{fmt}' file ({type(exc).__name__}: {exc}); "
            "check that the file is complete and of the type its extension says. "
            f"Supported formats: {SUPPORTED_FORMATS}"
        ) from exc


def _read_npy(file: Path, key: str | None, source: str) -> _Image:
    """Read a ``.npy`` array without unpickling."""
    if not zipfile.is_zipfile(file):
        with open(file, "rb") as fh:
            _check_npy_header(fh, source)
    data = np.load(file, allow_pickle=False)
    if not isinstance(data, np.ndarray):
        data.close()
        raise MicrostructureError(
            f"{source}: is an .npz archive, not a single .npy array; rename it to .npz"
        )
    return _Image(data)


def _read_npz(file: Path, key: str | None, source: str) -> _Image:
    """Read one array of an ``.npz`` archive without unpickling."""
    archive = np.load(file, allow_pickle=False)
    if isinstance(archive, np.ndarray):
        raise MicrostructureError(
            f"{source}: is a single .npy array, not an .npz archive; rename it to .npy"
        )
    with archive:
        name = _npz_key(archive.files, key, file, source)
        member = name if name in archive.zip.namelist() else f"{name}.npy"
        with archive.zip.open(member) as fh:
            _check_npy_header(fh, f"{source} (array '{name}')")
        return _Image(archive[name])


def _check_npy_header(fh: Any, source: str) -> None:
    """Check the shape and type an ``.npy`` header declares against the available memory."""
    version = np.lib.format.read_magic(fh)
    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read_header(fh)
    check_fits(shape, dtype, source)


def _npz_key(keys: list[str], key: str | None, file: Path, source: str) -> str:
    """The array to read: ``key``, the only one, or ``labels``/``microstructure``."""
    if key is not None and key not in keys:
        raise MicrostructureError(
            f"{source}: has no array '{key}'; arrays in {file}: {', '.join(keys) or 'none'}"
        )
    if key is not None:
        return key
    if len(keys) == 1:
        return keys[0]
    preferred = [k for k in _NPZ_PREFERRED_KEYS if k in keys]
    if preferred:
        return preferred[0]
    raise MicrostructureError(
        f"{source}: holds {len(keys)} arrays ({', '.join(keys) or 'none'}) and none is "
        f"called 'labels' or 'microstructure'; select one as '{file}:KEY', e.g. "
        f"'{file}:{keys[0] if keys else 'labels'}'"
    )


def _read_tiff(file: Path, key: str | None, source: str) -> _Image:
    """Read a TIFF page or pages-first stack, moving pages to the last spatial axis."""
    import tifffile

    with tifffile.TiffFile(file) as tif:
        data, axes = _tiff_pages(tif, source)
        voxel_size, unit = _imagej_calibration(tif, data.ndim - ("S" in axes))
    channel_axis = None
    if "S" in axes:
        data = np.moveaxis(data, axes.index("S"), -1)
        channel_axis = -1
    if data.ndim - (channel_axis is not None) == 3:
        # pages-first (pages, rows, cols[, S]) -> mcrkit (x=rows, y=cols, z=pages[, S])
        data = np.moveaxis(data, 0, 2)
    image = _drop_constant_alpha(data, channel_axis, source)
    return image._replace(voxel_size=voxel_size, unit=unit)


def _imagej_calibration(tif: Any, ndim: int) -> tuple[tuple[float, ...] | None, str | None]:
    """Voxel size ``(x, y[, z])`` and unit of an ImageJ-calibrated TIFF (x = rows:
    1 / YResolution, y = columns: 1 / XResolution, z = ``spacing``); None when
    uncalibrated or not ImageJ."""
    metadata = tif.imagej_metadata
    if not metadata or not tif.pages:
        return None, None
    tags = tif.pages[0].tags
    try:
        rows, cols = (tags[name].value for name in ("YResolution", "XResolution"))
        sizes = [rows[1] / rows[0], cols[1] / cols[0]]
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        return None, None
    if ndim == 3:
        sizes.append(float(metadata.get("spacing", 1.0)))
    unit = length_unit(metadata.get("unit"))
    if unit is None and all(size == 1.0 for size in sizes):
        return None, None  # ImageJ's default: not calibrated
    return tuple(float(size) for size in sizes), unit


def _tiff_pages(tif: Any, source: str) -> tuple[np.ndarray, str]:
    """Array and tifffile axes string of the image series; same-shape 2D series are stacked."""
    series = tif.series
    if len(series) == 1:
        check_fits(series[0].shape, series[0].dtype, source)
        return series[0].asarray(), series[0].axes
    shapes = {(s.shape, s.dtype, s.axes) for s in series}
    if len(shapes) == 1 and series[0].axes == "YX":
        check_fits((len(series), *series[0].shape), series[0].dtype, source)
        return np.stack([s.asarray() for s in series]), "IYX"
    raise MicrostructureError(
        f"{source}: holds {len(series)} image series of different shapes "
        f"({', '.join(f'{s.axes} {s.shape}' for s in series)}); save the microstructure "
        "as one page or one stack of equal pages"
    )


def _read_image(file: Path, key: str | None, source: str) -> _Image:
    """Read a PNG/BMP/JPEG image (gray, RGB or RGBA) with imageio's Pillow plugin."""
    import imageio.v3 as iio
    from PIL import Image

    # the memory check below replaces Pillow's fixed pixel limit for large images
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(file) as image:
                width, height = image.size
                bands, mode = len(image.getbands()), image.mode
        except Image.DecompressionBombError as exc:
            raise MicrostructureError(
                f"{source}: {exc}; crop or downsample the image into a smaller file") from None
        band_bytes = 4 if mode in ("I", "F") else 2 if mode.startswith("I;16") else 1
        check_fits((height, width, bands), np.dtype(f"u{band_bytes}"), source)
        data = iio.imread(file, plugin="pillow")
    return _drop_constant_alpha(data, -1 if data.ndim == 3 else None, source)


def _drop_constant_alpha(data: np.ndarray, channel_axis: int | None, source: str) -> _Image:
    """Remove the alpha channel of gray+alpha / RGBA data if it is constant, else refuse."""
    if channel_axis is None or data.shape[-1] not in (2, 4):
        return _Image(data, channel_axis)
    alpha = data[..., -1]
    if alpha.min() != alpha.max():
        raise MicrostructureError(
            f"{source}: has a transparency (alpha) channel that varies from {alpha.min()} "
            f"to {alpha.max()}; phases cannot be read from transparency: flatten the image "
            "onto an opaque background and save it without alpha"
        )
    return _Image(data[..., :-1], channel_axis)


def _read_hdf5(file: Path, key: str | None, source: str) -> _Image:
    """Read an HDF5 dataset (the only one, or the one named by ``key``) and its voxel size."""
    import h5py

    with h5py.File(file, "r") as h5:
        names = _hdf5_datasets(h5)
        name = _hdf5_dataset_name(names, key, file, source)
        dataset = h5[name]
        check_fits(dataset.shape, dataset.dtype, source)
        return _Image(dataset[()], voxel_size=_hdf5_voxel_size(dataset),
                      unit=_hdf5_unit(dataset))


def _hdf5_datasets(h5: Any) -> list[str]:
    """Absolute paths of all datasets in an open HDF5 file."""
    import h5py

    names: list[str] = []

    def collect(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            names.append(f"/{name}")

    h5.visititems(collect)
    return names


def _hdf5_dataset_name(names: list[str], key: str | None, file: Path, source: str) -> str:
    """The dataset to read: ``key`` (with or without leading '/') or the only one."""
    listing = ", ".join(names) or "none"
    if key is not None:
        name = "/" + key.lstrip("/")
        if name not in names:
            raise MicrostructureError(
                f"{source}: {file} has no dataset '{name}'; datasets in the file: {listing}. "
                f"Select one as '{file}:/path/to/dataset'"
            )
        return name
    if len(names) == 1:
        return names[0]
    raise MicrostructureError(
        f"{source}: holds {len(names)} datasets ({listing}); select one as "
        f"'{file}:/path/to/dataset', e.g. '{file}:{names[0] if names else '/labels'}'"
    )


def _hdf5_voxel_size(dataset: Any) -> tuple[float, ...] | None:
    """Voxel size from the dataset attribute ``voxel_size`` or ``element_size_um``."""
    for attr in _VOXEL_SIZE_ATTRS:
        if attr in dataset.attrs:
            return tuple(np.ravel(np.asarray(dataset.attrs[attr], dtype=float)).tolist())
    return None


def _hdf5_unit(dataset: Any) -> str | None:
    """Unit from the dataset attribute ``unit``; ``element_size_um`` is in micrometres."""
    if "unit" in dataset.attrs:
        unit = dataset.attrs["unit"]
        return unit.decode() if isinstance(unit, bytes) else str(unit)
    if "voxel_size" not in dataset.attrs and "element_size_um" in dataset.attrs:
        return "µm"
    return None


def _read_vti(file: Path, key: str | None, source: str) -> _Image:
    """Read a cell data array (``material`` unless ``key`` names another) of a ``.vti`` file."""
    from mcrkit.io.vti import read_vti

    image = read_vti(file, key or "material")
    labels, values = image["labels"], image["label_values"]
    data = labels if values is None else np.asarray(values)[labels]  # the source's label values
    return _Image(data, voxel_size=image["spacing"][: labels.ndim], unit=image["unit"])


_READERS = {
    ".npy": _read_npy,
    ".npz": _read_npz,
    ".tif": _read_tiff,
    ".tiff": _read_tiff,
    ".png": _read_image,
    ".bmp": _read_image,
    ".jpg": _read_image,
    ".jpeg": _read_image,
    ".h5": _read_hdf5,
    ".hdf5": _read_hdf5,
    ".vti": _read_vti,
}
_KEYED_FORMATS = (".npz", ".h5", ".hdf5", ".vti")
