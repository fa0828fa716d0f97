"""VTK XML image data (``.vti``) for ParaView and DAMASK, written and read without VTK.

A microstructure is stored as a grid of cells, one cell per voxel, with the
phase of each voxel in the cell data array ``material`` (phases ``0..P-1``,
the name DAMASK's ``Grid.load`` reads as its material field; ParaView shows
it as a cell scalar). The layout follows the VTK file format specification:

- ``WholeExtent="0 X 0 Y 0 Z"`` counts points, so a ``(X, Y, Z)`` volume has
  ``X*Y*Z`` cells; a 2D ``(X, Y)`` image is one cell thick (``0 X 0 Y 0 1``).
- ``Origin`` is 0, ``Spacing`` the voxel size (1 when unknown).
- Cell values run with x fastest, then y, then z (Fortran order of mcrkit's
  ``(x, y, z)`` arrays).
- The values are raw little-endian bytes in an ``AppendedData`` block, each
  array preceded by its byte count as ``UInt64`` (``header_type``).

The format is written here directly rather than through pyevtk: it is a few
lines of XML, needs no extra dependency and is checked in the tests against
the specification's layout. ``FieldData`` records the source's label value of
each phase (``label_values``) and, when known, the length unit of the spacing
(``unit``, a VTK string array: ASCII codes, each string ended by 0), so a file
read back keeps them.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.io.atomic import atomic_path
from mcrkit.io.sizes import check_fits
from mcrkit.microstructure import Microstructure, MicrostructureError

__all__ = ["read_vti", "write_vti"]

_VTK_TYPES = {np.dtype(np.uint8): "UInt8", np.dtype(np.uint16): "UInt16",
              np.dtype(np.int32): "Int32", np.dtype(np.int64): "Int64",
              np.dtype(np.float64): "Float64"}
_NUMPY_TYPES = {name: dtype for dtype, name in _VTK_TYPES.items()}
_NUMPY_TYPES.update({"Int8": np.dtype(np.int8), "Int16": np.dtype(np.int16),
                     "UInt32": np.dtype(np.uint32), "UInt64": np.dtype(np.uint64),
                     "Float32": np.dtype(np.float32)})


def _attribute(values: Any) -> str:
    return " ".join(repr(float(v)) if isinstance(v, float) else str(v) for v in values)


def write_vti(path: str | os.PathLike[str], microstructure: Microstructure, *,
              voxel_size: tuple[float, ...] | float | None = None) -> Path:
    """Write ``microstructure`` as VTK image data with the phases in cell data ``material``.

    Parameters
    ----------
    path : path
        Target ``.vti`` file.
    microstructure : Microstructure
        2D or 3D labels.
    voxel_size : float or tuple of float, optional
        Cell spacing; default: the microstructure's, else 1.

    Returns
    -------
    Path
    """
    labels = microstructure.labels
    spacing = np.broadcast_to(np.asarray(
        voxel_size if voxel_size is not None else microstructure.voxel_size or 1.0,
        dtype=float), (labels.ndim,))
    cells = (*labels.shape, 1) if labels.ndim == 2 else labels.shape
    spacing3 = (*spacing, spacing[0]) if labels.ndim == 2 else tuple(spacing)
    extent = _attribute(v for n in cells for v in (0, n))
    data = np.ascontiguousarray(labels.reshape(cells).ravel(order="F"))
    values = np.asarray(microstructure.label_values)
    arrays = []
    if values.dtype.kind in "biuf":
        arrays.append(f'      <DataArray type="Float64" Name="label_values" '
                      f'NumberOfTuples="{values.size}" format="ascii">'
                      f"{_attribute(values.astype(float).tolist())}</DataArray>\n")
    if microstructure.unit is not None:
        codes = _attribute([*microstructure.unit.encode("utf-8"), 0])
        arrays.append(f'      <DataArray type="String" Name="unit" NumberOfTuples="1" '
                      f'format="ascii">{codes}</DataArray>\n')
    fields = f"    <FieldData>\n{''.join(arrays)}    </FieldData>\n".encode() if arrays else b""
    header = (
        '<?xml version="1.0"?>\n'
        '<VTKFile type="ImageData" version="1.0" byte_order="LittleEndian" '
        'header_type="UInt64">\n'
        f'  <ImageData WholeExtent="{extent}" Origin="0 0 0" Spacing="{_attribute(spacing3)}">\n'
    ).encode() + fields + (
        f'    <Piece Extent="{extent}">\n'
        '      <CellData Scalars="material">\n'
        f'        <DataArray type="{_VTK_TYPES[data.dtype]}" Name="material" '
        'NumberOfComponents="1" format="appended" offset="0"/>\n'
        "      </CellData>\n"
        "    </Piece>\n"
        "  </ImageData>\n"
        '  <AppendedData encoding="raw">\n   _'
    ).encode()
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(header)
        fh.write(np.uint64(data.nbytes).astype("<u8").tobytes())
        fh.write(data.astype(data.dtype.newbyteorder("<")).tobytes())
        fh.write(b"\n  </AppendedData>\n</VTKFile>\n")
    return path


def read_vti(path: str | os.PathLike[str], name: str = "material") -> dict[str, Any]:
    """Read a cell data array of a ``.vti`` file written by :func:`write_vti`.

    Reads raw appended or ASCII data of one piece (what mcrkit writes; files
    from other tools with compressed or base64 data are refused with a
    message).

    Returns
    -------
    dict
        ``labels`` (``(X, Y[, Z])``; one-cell-thick z dropped), ``spacing``,
        ``origin``, ``label_values`` and ``unit`` (each None when not stored).
    """
    path = Path(path)
    raw = path.read_bytes()
    marker = raw.find(b"<AppendedData")
    head = raw[:marker] if marker >= 0 else raw
    try:
        root = ET.fromstring(head + (b"</VTKFile>" if marker >= 0 else b""))
    except ET.ParseError as exc:
        raise MicrostructureError(f"{path}: is not a VTK XML image data file ({exc})") from None
    if root.get("type") != "ImageData" or root.get("compressor"):
        raise MicrostructureError(f"{path}: mcrkit reads uncompressed VTK ImageData files; "
                                  "save it uncompressed (raw) in ParaView")
    image = root.find("ImageData")
    extent = np.array(image.get("WholeExtent").split(), dtype=int)
    cells = tuple(int(b - a) for a, b in zip(extent[0::2], extent[1::2], strict=True))
    array = root.find(f".//CellData/DataArray[@Name='{name}']")
    if array is None:
        raise MicrostructureError(f"{path}: has no cell data array '{name}'")
    dtype = _NUMPY_TYPES[array.get("type")].newbyteorder(
        "<" if root.get("byte_order", "LittleEndian") == "LittleEndian" else ">")
    check_fits(cells, dtype, str(path))
    if array.get("format") == "ascii":
        flat = np.array(array.text.split(), dtype=dtype)
    elif array.get("format") == "appended":
        start = raw.index(b"_", marker) + 1 + int(array.get("offset"))
        size_type = "<u8" if root.get("header_type") == "UInt64" else "<u4"
        width = np.dtype(size_type).itemsize
        nbytes = int(np.frombuffer(raw[start:start + width], dtype=size_type)[0])
        flat = np.frombuffer(raw[start + width:start + width + nbytes], dtype=dtype)
    else:
        raise MicrostructureError(f"{path}: data format '{array.get('format')}' is not read; "
                                  "save the file with raw appended or ASCII data")
    labels = flat.reshape(cells, order="F")
    if cells[2] == 1:
        labels = labels[:, :, 0]
    field = root.find(".//FieldData/DataArray[@Name='label_values']")
    unit = root.find(".//FieldData/DataArray[@Name='unit']")
    return {
        "labels": labels,
        "spacing": tuple(float(v) for v in image.get("Spacing").split()),
        "origin": tuple(float(v) for v in image.get("Origin").split()),
        "label_values": None if field is None else [float(v) for v in field.text.split()],
        "unit": None if unit is None else _string(unit.text),
    }


def _string(codes: str) -> str:
    """The first string of an ASCII-format VTK string array (character codes, 0-ended)."""
    data = bytes(int(code) for code in codes.split())
    return data.split(b"\0")[0].decode("utf-8")
