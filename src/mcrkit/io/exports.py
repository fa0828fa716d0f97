"""Export microstructures and reconstruction results for other tools.

========  ==========================  ================================================
``to``    file                        content
========  ==========================  ================================================
``vti``   ``.vti`` (VTK XML)          phases ``0..P-1`` as cell data ``material``
                                      (ParaView; DAMASK's ``Grid.load``), spacing =
                                      voxel size, see :mod:`mcrkit.io.vti`
``tiff``  ``.tif`` ImageJ hyperstack  label values (8, else 16 bit), pages-first
                                      ``(z, x, y)`` (a 2D image is one page); voxel
                                      size and unit as ImageJ calibration where
                                      known, see :func:`mcrkit.io.write_imagej_tiff`
``h5``    ``.h5`` HDF5                dataset ``/labels`` (label values, axes x, y, z)
                                      with attributes ``voxel_size``, ``unit``,
                                      ``label_values``, ``axes``, ``source``
``npy``   ``.npy``                    label values as stored
``png``   ``.png`` or a directory     a 2D image; a volume as one PNG per slice
                                      normal to ``axis`` (``<stem>_z0000.png``, ...;
                                      refused where such slices exist)
========  ==========================  ================================================

Label values are written as they are, except colours (a structure segmented
from a colour image has an RGB triple per phase): the label files then hold
the phase numbers ``0..P-1`` and PNG slices the colours. Every format but PNG
slices is read back by
:func:`mcrkit.io.read_microstructure` with the same phases and label values
(``.vti`` by :func:`mcrkit.io.vti.read_vti`). The voxel size comes from the
input's metadata where known (a run directory's target characterization, an
HDF5 attribute, an ImageJ TIFF's calibration, a ``.vti`` spacing) or from
``voxel_size``, and its length unit with it (or from ``unit``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.io.atomic import atomic_path
from mcrkit.io.vti import write_vti
from mcrkit.io.writers import write_microstructure
from mcrkit.microstructure import (
    AXIS_NAMES,
    Microstructure,
    MicrostructureError,
    from_array,
    length_unit,
)

__all__ = ["EXPORT_FORMATS", "export", "load_result"]

EXPORT_FORMATS = ("vti", "tiff", "h5", "npy", "png")
"""Values of ``to`` :func:`export` accepts."""

_SUFFIXES = {".vti": "vti", ".tif": "tiff", ".tiff": "tiff", ".h5": "h5", ".hdf5": "h5",
             ".npy": "npy", ".png": "png"}


def load_result(source: Any, *, voxel_size: tuple[float, ...] | float | None = None,
                unit: str | None = None, threshold: float | str | None = None,
                phases: int | None = None) -> Microstructure:
    """The microstructure to export: a run directory's result (with its target's label
    values, voxel size and unit), a file or an array (segmented with ``threshold`` or
    ``phases`` when given, as :func:`mcrkit.io.read_microstructure` does) or a
    Microstructure (``voxel_size`` and ``unit`` override)."""
    from mcrkit.io.inputs import as_microstructure

    if isinstance(source, str | os.PathLike) and Path(source).is_dir():
        from mcrkit.characterization import Characterization
        from mcrkit.io.rundir import RunDirectory, RunDirectoryError

        run = RunDirectory(source)
        if not run.file(RunDirectory.RESULT).is_file():
            raise RunDirectoryError(f"{run.path}: holds no {RunDirectory.RESULT}; give a run "
                                    "directory of a finished run or a microstructure file")
        labels = np.load(run.file(RunDirectory.RESULT), allow_pickle=False)
        target = Characterization.load(run.file(RunDirectory.TARGET))
        ms = Microstructure(labels=labels.astype(np.uint8),
                            label_values=tuple(target.label_values or range(target.n_phases)),
                            source=f"{run.path}/{RunDirectory.RESULT}",
                            voxel_size=_full_voxel_size(target.voxel_size, labels.ndim),
                            unit=target.unit)
    elif hasattr(source, "microstructure") and hasattr(source, "history"):
        ms = source.microstructure
    else:
        ms = as_microstructure(source, threshold=threshold, phases=phases)
    if voxel_size is not None:
        checked = from_array(ms.labels, voxel_size=voxel_size, source=ms.source)
        ms = dataclasses.replace(ms, voxel_size=checked.voxel_size)
    elif ms.voxel_size is not None and len(ms.voxel_size) != ms.ndim:
        ms = dataclasses.replace(ms, voxel_size=_full_voxel_size(ms.voxel_size, ms.ndim))
    if unit is not None:
        ms = dataclasses.replace(ms, unit=length_unit(unit))
    return ms


def _full_voxel_size(voxel_size: tuple[float, ...] | None, ndim: int
                     ) -> tuple[float, ...] | None:
    """One size per axis: a 2D original's in-plane sizes extend to z by the first one."""
    if voxel_size is None:
        return None
    sizes = list(voxel_size)
    if len(sizes) == 1:
        sizes *= ndim
    return tuple(float(s) for s in (sizes + [sizes[0]] * ndim)[:ndim])


def _values(ms: Microstructure) -> np.ndarray:
    return np.asarray(ms.label_values)[ms.labels]


def _scalar_values(ms: Microstructure) -> Microstructure:
    """``ms`` itself, or with its phase numbers as values when its values are colours
    (one RGB triple per phase): label files hold one number per voxel."""
    if np.asarray(ms.label_values).ndim == 1:
        return ms
    return dataclasses.replace(ms, label_values=tuple(range(ms.n_phases)))


def _write_h5(path: Path, ms: Microstructure) -> None:
    import h5py

    values = np.asarray(ms.label_values)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        dataset = h5.create_dataset("labels", data=_values(ms), compression="gzip")
        dataset.attrs["axes"] = ",".join(AXIS_NAMES[:ms.ndim])
        dataset.attrs["source"] = ms.source
        if values.dtype.kind in "biuf":
            dataset.attrs["label_values"] = values
        if ms.voxel_size is not None:
            dataset.attrs["voxel_size"] = np.asarray(ms.voxel_size, dtype=float)
            if ms.unit is not None:
                dataset.attrs["unit"] = ms.unit


def _write_png_slices(path: Path, ms: Microstructure, axis: str) -> list[Path]:
    if ms.ndim == 2:
        return [write_microstructure(path, ms)]
    if axis not in AXIS_NAMES:
        raise ValueError(f"axis must be one of x, y, z, got {axis!r}")
    index = AXIS_NAMES.index(axis)
    if path.suffix.lower() == ".png":
        folder, stem = path.parent, path.stem
    else:
        folder, stem = path, "slice"
    earlier = sorted(folder.glob(f"{stem}_{axis}*.png"))
    if earlier:  # overwriting some would leave a mix of two stacks
        raise MicrostructureError(
            f"{folder}: already holds {len(earlier)} slices {stem}_{axis}*.png (e.g. "
            f"{earlier[0].name}); export to a new folder or name, or remove them first")
    folder.mkdir(parents=True, exist_ok=True)
    digits = len(str(ms.shape[index] - 1))
    written = []
    for k in range(ms.shape[index]):
        plane = Microstructure(labels=np.take(ms.labels, k, axis=index),
                               label_values=ms.label_values, source=ms.source)
        written.append(write_microstructure(folder / f"{stem}_{axis}{k:0{digits}d}.png", plane))
    return written


def export(source: Any, path: str | os.PathLike[str], *, to: str | None = None,
           voxel_size: tuple[float, ...] | float | None = None, unit: str | None = None,
           axis: str = "z", overwrite: bool = False, threshold: float | str | None = None,
           phases: int | None = None) -> list[Path]:
    """Write a microstructure or a run's result in a format other tools read.

    Parameters
    ----------
    source : Microstructure, array, ReconstructionResult or path
        What to export; a path is a microstructure file or a run directory.
    path : path
        Target file (for PNG slices of a volume: a ``.png`` name whose stem
        prefixes the slices, or a directory).
    to : str, optional
        One of :data:`EXPORT_FORMATS`; default: from the suffix of ``path``.
    voxel_size : float or tuple of float, optional
        Physical voxel size; overrides the one the source carries.
    unit : str, optional
        Length unit of the voxel size (``"um"``, ``"nm"``, ...); overrides the
        one the source carries.
    axis : str, optional
        Slicing axis of PNG slices of a volume.
    overwrite : bool, optional
        Replace an existing file ``path`` (default: refuse, so nothing is lost).
    threshold, phases : optional
        Segment a gray image first, see :func:`mcrkit.io.read_microstructure`.

    Returns
    -------
    list of Path
        Files written.

    Examples
    --------
    >>> import tempfile, mcrkit
    >>> from mcrkit.io import read_microstructure
    >>> path = Path(tempfile.mkdtemp()) / "volume.h5"
    >>> volume = np.random.default_rng(0).integers(0, 2, (4, 5, 6)) * 255
    >>> _ = export(volume, path, voxel_size=0.5, unit="um")
    >>> ms = read_microstructure(path)
    >>> ms.shape, ms.label_values, ms.voxel_size, ms.unit
    ((4, 5, 6), (0, 255), (0.5, 0.5, 0.5), 'µm')
    """
    path = Path(path)
    fmt = to.lower().lstrip(".") if to else _SUFFIXES.get(path.suffix.lower())
    fmt = {"tif": "tiff", "hdf5": "h5"}.get(fmt, fmt)
    if to and fmt not in EXPORT_FORMATS:
        raise MicrostructureError(f"unknown export format to={to!r} (CLI --to); choose one of "
                                  f"{', '.join(EXPORT_FORMATS)}")
    if fmt not in EXPORT_FORMATS:
        raise MicrostructureError(
            f"{path}: cannot tell the export format from '{path.suffix}'; give to=FORMAT, "
            f"FORMAT one of {', '.join(EXPORT_FORMATS)}")
    suffixes = [suffix for suffix, name in _SUFFIXES.items() if name == fmt]
    if fmt != "png" and path.suffix.lower() not in suffixes:
        raise MicrostructureError(f"{path}: a {fmt} export needs a file name ending in "
                                  f"{' or '.join(suffixes)}")
    if fmt != "png" and path.exists() and not overwrite:
        raise MicrostructureError(f"{path}: exists; choose another file name, or replace it "
                                  "with overwrite=True")
    ms = load_result(source, voxel_size=voxel_size, unit=unit, threshold=threshold,
                     phases=phases)
    if fmt == "png":
        return _write_png_slices(path, ms, axis)
    ms = _scalar_values(ms)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "vti":
        write_vti(path, ms)
    elif fmt == "h5":
        _write_h5(path, ms)
    else:
        write_microstructure(path, ms)
    return [path]
