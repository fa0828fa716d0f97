"""Exports: .vti layout as the VTK format specifies it, exact round trips of every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from mcrkit.io import read_microstructure
from mcrkit.io.exports import export
from mcrkit.io.vti import read_vti
from mcrkit.microstructure import MicrostructureError, from_array


def coded_volume(shape=(5, 4, 3)) -> np.ndarray:
    """Labels that encode their own position: phase = (x + 2 y + 3 z) % 4 (times 50)."""
    x, y, z = np.indices(shape)
    return ((x + 2 * y + 3 * z) % 4) * 50


def parse_vti(path):
    """Independent reading of what write_vti promises: XML header and raw appended bytes."""
    raw = path.read_bytes()
    head, _, rest = raw.partition(b"<AppendedData")
    root = ET.fromstring(head + b"</VTKFile>")
    payload = rest[rest.index(b"_") + 1:]
    nbytes = int.from_bytes(payload[:8], "little")
    return root, payload[8:8 + nbytes]


def test_vti_layout_matches_the_vtk_image_data_specification(tmp_path) -> None:
    volume = coded_volume()
    path = export(volume, tmp_path / "v.vti", voxel_size=(0.5, 1.0, 2.0))[0]
    root, data = parse_vti(path)
    assert root.get("type") == "ImageData" and root.get("header_type") == "UInt64"
    image = root.find("ImageData")
    assert image.get("WholeExtent") == "0 5 0 4 0 3"  # points: cells + 1 per axis
    assert image.get("Origin") == "0 0 0"
    assert [float(v) for v in image.get("Spacing").split()] == [0.5, 1.0, 2.0]
    array = image.find("Piece/CellData/DataArray")
    assert array.get("Name") == "material" and array.get("type") == "UInt8"
    assert image.find("Piece/CellData").get("Scalars") == "material"
    flat = np.frombuffer(data, dtype=np.uint8)
    assert flat.size == 5 * 4 * 3
    # cell i = x + X (y + Y z): x runs fastest; values are phases 0..P-1
    for x, y, z in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (4, 3, 2)]:
        assert flat[x + 5 * (y + 4 * z)] == (x + 2 * y + 3 * z) % 4
    values = image.find("FieldData/DataArray[@Name='label_values']").text.split()
    assert [float(v) for v in values] == [0, 50, 100, 150]


def test_vti_reads_back_identical_labels_2d_and_3d(tmp_path) -> None:
    for labels in (coded_volume(), coded_volume()[:, :, 0]):
        path = export(labels, tmp_path / f"l{labels.ndim}.vti")[0]
        back = read_vti(path)
        assert np.array_equal(np.asarray(back["label_values"])[back["labels"]], labels)
        assert back["spacing"] == (1.0, 1.0, 1.0)
    root, _ = parse_vti(tmp_path / "l2.vti")
    assert root.find("ImageData").get("WholeExtent") == "0 5 0 4 0 1"  # one cell thick


@pytest.mark.parametrize("suffix", [".tif", ".h5", ".npy", ".vti"])
def test_round_trips_are_exact(tmp_path, suffix) -> None:
    volume = coded_volume((6, 5, 4))
    path = export(volume, tmp_path / f"v{suffix}", voxel_size=(0.25, 0.25, 1.5))[0]
    back = read_microstructure(path)
    assert np.array_equal(np.asarray(back.label_values)[back.labels], volume)
    if suffix in (".h5", ".vti", ".tif"):
        assert back.voxel_size == pytest.approx((0.25, 0.25, 1.5))
    if suffix == ".h5":
        import h5py

        with h5py.File(path) as h5:
            attrs = h5["labels"].attrs
            assert list(attrs["label_values"]) == [0, 50, 100, 150]
            assert attrs["axes"] == "x,y,z"


def test_tiff_stack_is_pages_first_with_imagej_spacing(tmp_path) -> None:
    import tifffile

    volume = coded_volume((6, 5, 4))
    path = export(volume, tmp_path / "v.tif", voxel_size=(0.5, 0.5, 2.0))[0]
    with tifffile.TiffFile(path) as tif:
        pages = tif.asarray()
        assert tif.imagej_metadata["spacing"] == 2.0
        assert tif.series[0].axes == "ZYX"  # z-slices for ImageJ, not channels
        assert tif.imagej_metadata["slices"] == 4
    assert pages.shape == (4, 6, 5)
    assert np.array_equal(pages[2], volume[:, :, 2])


def test_png_slices_one_file_per_slice(tmp_path) -> None:
    volume = coded_volume((6, 5, 4))
    written = export(volume, tmp_path / "slices" / "cut.png", axis="y")
    assert [p.name for p in written] == [f"cut_y{k}.png" for k in range(5)]
    assert np.array_equal(read_microstructure(written[3]).labels,
                          from_array(volume[:, 3, :]).labels)


def test_run_directory_export_carries_label_values_and_voxel_size(tmp_path) -> None:
    import mcrkit

    original = from_array(mcrkit.data.load("pymks_ms_64x64_1")[:16, :16] * 255, voxel_size=0.2)
    run = tmp_path / "run"
    # enough iterations for a result with both phases (the first steps may settle on one)
    mcrkit.match(original, add_dimension=8, limit_to=3, max_iter=10, seed=0, device="cpu",
                 run_dir=run, report=False)
    back = read_microstructure(export(run, tmp_path / "r.h5")[0])
    assert back.label_values == (0, 255) and back.voxel_size == (0.2, 0.2, 0.2)
    assert np.array_equal(back.labels, np.load(run / "reconstruction.npy"))
    assert not (run / "report.json").exists()  # report=False
    assert json.loads((run / "run.json").read_text())["status"] == "max_iter"


def test_an_existing_file_is_kept_unless_overwrite_is_asked(tmp_path) -> None:
    path = export(coded_volume(), tmp_path / "v.h5")[0]
    before = path.read_bytes()
    with pytest.raises(MicrostructureError, match="exists; choose another file name"):
        export(coded_volume()[:, :, :2], path)
    assert path.read_bytes() == before
    export(coded_volume()[:, :, :2], path, overwrite=True)
    assert read_microstructure(path).shape == coded_volume()[:, :, :2].shape


def test_bad_export_requests_name_the_fix(tmp_path) -> None:
    with pytest.raises(MicrostructureError, match="give to=FORMAT, FORMAT one of vti, tiff"):
        export(coded_volume(), tmp_path / "v.xyz")
    with pytest.raises(MicrostructureError, match="needs a file name ending in .vti"):
        export(coded_volume(), tmp_path / "v.h5", to="vti")
    with pytest.raises(MicrostructureError, match="voxel_size"):
        export(coded_volume(), tmp_path / "v.vti", voxel_size=(1, 2))


def test_vtk_reads_the_vti_as_damask_grid_load_does(tmp_path) -> None:
    """With VTK installed (viz extra): cells, bounds and the material field as DAMASK reads them."""
    vtk = pytest.importorskip("vtk")
    from vtk.util.numpy_support import vtk_to_numpy

    volume = coded_volume()
    path = export(volume, tmp_path / "v.vti", voxel_size=0.5)[0]
    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    grid = reader.GetOutput()
    cells = np.array(grid.GetDimensions()) - 1
    size = np.diff(np.array(grid.GetBounds()).reshape(3, 2), axis=1).ravel()
    material = vtk_to_numpy(grid.GetCellData().GetArray("material")).reshape(cells, order="F")
    assert tuple(cells) == volume.shape and size.tolist() == [2.5, 2.0, 1.5]
    assert np.array_equal(material, volume // 50)


def test_tiff_voxel_size_travels_from_imagej_calibration(tmp_path) -> None:
    import tifffile

    volume = coded_volume((6, 5, 4))
    scan = tmp_path / "scan.tif"  # as Fiji saves a calibrated stack: pixel 0.2 x 0.4 um
    tifffile.imwrite(scan, np.moveaxis(volume, -1, 0).astype(np.uint8), imagej=True,
                     resolution=(1 / 0.4, 1 / 0.2), metadata={"axes": "ZYX", "spacing": 1.5,
                                                              "unit": "um"})
    assert read_microstructure(scan).voxel_size == pytest.approx((0.2, 0.4, 1.5))
    vti = export(scan, tmp_path / "scan.vti")[0]
    assert read_vti(vti)["spacing"] == pytest.approx((0.2, 0.4, 1.5))
    plain = tmp_path / "plain.tif"  # a TIFF's dpi is no voxel size
    tifffile.imwrite(plain, volume[:, :, 0].astype(np.uint8), resolution=(72, 72))
    assert read_microstructure(plain).voxel_size is None
    uncalibrated = tmp_path / "uncalibrated.tif"
    tifffile.imwrite(uncalibrated, volume[:, :, 0].astype(np.uint8), imagej=True)
    assert read_microstructure(uncalibrated).voxel_size is None


def test_phases_of_a_colour_image_are_exported_as_phase_numbers(tmp_path) -> None:
    from mcrkit.microstructure import Microstructure

    labels = coded_volume((6, 5, 4)) // 50 % 2
    colours = ((20, 20, 200), (200, 30, 30))  # as segmented from a colour micrograph
    ms = Microstructure(labels.astype(np.uint8), colours, source="c.png",
                        voxel_size=(1.0, 1.0, 2.0))
    for suffix in (".vti", ".tif", ".h5", ".npy"):
        back = read_microstructure(export(ms, tmp_path / f"c{suffix}")[0])
        assert back.label_values == (0, 1) and np.array_equal(back.labels, labels), suffix
    first = export(ms, tmp_path / "slices", to="png")[0]
    assert read_microstructure(first).label_values == colours


def test_png_slices_never_mix_with_an_earlier_export(tmp_path) -> None:
    export(coded_volume((6, 5, 4)), tmp_path / "cut.png")
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(MicrostructureError, match="already holds 4 slices cut_z"):
        export(coded_volume((6, 5, 2)), tmp_path / "cut.png")
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert len(export(coded_volume((6, 5, 2)), tmp_path / "cut.png", axis="x")) == 6


def test_the_unit_travels_to_vti_h5_and_back(tmp_path) -> None:
    import h5py

    volume = coded_volume()
    for suffix in (".vti", ".h5"):
        path = export(volume, tmp_path / f"v{suffix}", voxel_size=0.5, unit="micron")[0]
        back = read_microstructure(path)
        assert back.voxel_size == (0.5, 0.5, 0.5) and back.unit == "µm", suffix
    assert read_vti(tmp_path / "v.vti")["unit"] == "µm"
    with h5py.File(tmp_path / "v.h5") as h5:
        assert h5["labels"].attrs["unit"] == "µm"
    assert read_vti(export(volume, tmp_path / "none.vti")[0])["unit"] is None


def test_vtk_reads_the_unit_as_a_field_data_string(tmp_path) -> None:
    vtk = pytest.importorskip("vtk")

    path = export(coded_volume(), tmp_path / "v.vti", voxel_size=0.5, unit="nm")[0]
    reader = vtk.vtkXMLImageDataReader()
    reader.SetFileName(str(path))
    reader.Update()
    fields = reader.GetOutput().GetFieldData()
    assert fields.GetAbstractArray("unit").GetValue(0) == "nm"
    assert fields.GetArray("label_values").GetValue(3) == 150.0


def test_a_gray_image_is_exported_segmented(tmp_path) -> None:
    gray = coded_volume() + np.arange(3)[None, None, :] * 2  # 12 gray levels
    np.save(tmp_path / "gray.npy", gray)
    out = export(tmp_path / "gray.npy", tmp_path / "seg.h5", threshold=60)[0]
    assert np.array_equal(read_microstructure(out).labels, (gray > 60).astype(np.uint8))
    out = export(tmp_path / "gray.npy", tmp_path / "k.h5", phases=2)[0]
    assert read_microstructure(out).n_phases == 2
