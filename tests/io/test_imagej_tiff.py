"""Every TIFF mcrkit writes, opened as ImageJ/Fiji opens it: an 8- or 16-bit unsigned
hyperstack with named axes, and the calibration (pixel size, slice spacing, unit) of the
structure it was written from."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from typer.testing import CliRunner

from mcrkit.characterization import Characterization
from mcrkit.cli import app
from mcrkit.io import read_microstructure, write_microstructure
from mcrkit.io.exports import export
from mcrkit.microstructure import from_array

runner = CliRunner()


def as_imagej_opens(path) -> dict:
    """What ImageJ reads from the file: its hyperstack description, pixel type and calibration
    (pixel width = 1 / XResolution, pixel height = 1 / YResolution, in ``unit``)."""
    with tifffile.TiffFile(path) as tif:
        assert tif.is_imagej, f"{path} has no ImageJ description"
        meta = tif.imagej_metadata
        series = tif.series[0]
        tags = tif.pages[0].tags
        width, height = (tags[name].value for name in ("XResolution", "YResolution"))
        return {"axes": series.axes, "dtype": series.dtype, "shape": series.shape,
                "pages": tif.asarray(), "unit": meta.get("unit"),
                "spacing": meta.get("spacing"), "slices": meta.get("slices"),
                "pixel": (width[1] / width[0], height[1] / height[0])}


def coded(shape=(6, 5, 4), scale=50) -> np.ndarray:
    """Labels that encode their position, so any axis mix-up shows."""
    x, y, z = np.indices(shape)
    return ((x + 2 * y + 3 * z) % 3) * scale


def calibrated_scan(path, unit: str = "micron"):
    """A stack as Fiji saves one calibrated to 0.2 (rows) x 0.4 (columns) x 1.5 (slices)."""
    tifffile.imwrite(path, np.moveaxis(coded(), -1, 0).astype(np.uint8), imagej=True,
                     resolution=(1 / 0.4, 1 / 0.2),
                     metadata={"axes": "ZYX", "spacing": 1.5, "unit": unit})
    return path


@pytest.mark.parametrize("unit", ["um", "micron", "\\u00B5m"])  # as ImageJ versions write it
def test_a_calibrated_stack_keeps_its_voxel_size_and_unit(tmp_path, unit) -> None:
    ms = read_microstructure(calibrated_scan(tmp_path / "scan.tif", unit))
    assert ms.voxel_size == pytest.approx((0.2, 0.4, 1.5)) and ms.unit == "µm"
    nm = tmp_path / "nm.tif"
    tifffile.imwrite(nm, coded()[:, :, 0].astype(np.uint8), imagej=True, resolution=(1, 1),
                     metadata={"unit": "nm"})  # calibrated at 1 nm per pixel
    assert read_microstructure(nm).voxel_size == (1.0, 1.0)
    assert read_microstructure(nm).unit == "nm"


def test_an_export_of_a_calibrated_stack_is_the_same_imagej_stack(tmp_path) -> None:
    scan = calibrated_scan(tmp_path / "scan.tif")
    out = export(scan, tmp_path / "out.tif")[0]
    seen = as_imagej_opens(out)
    assert seen["axes"] == "ZYX" and seen["dtype"] == np.uint8 and seen["slices"] == 4
    assert seen["unit"] == "um" and seen["spacing"] == pytest.approx(1.5)
    assert seen["pixel"] == pytest.approx((0.4, 0.2))  # width: columns (y), height: rows (x)
    assert np.array_equal(seen["pages"], tifffile.imread(scan))
    back = read_microstructure(out)
    assert back.voxel_size == pytest.approx((0.2, 0.4, 1.5)) and back.unit == "µm"


def test_every_written_tiff_is_an_8_or_16_bit_imagej_image(tmp_path) -> None:
    cases = {
        "export 2D, no voxel size": (lambda p: export(coded()[:, :, 0], p), "YX", np.uint8),
        "export 3D, unit given": (lambda p: export(coded(), p, voxel_size=0.5, unit="nm"),
                                  "ZYX", np.uint8),
        "written 16 bit": (lambda p: write_microstructure(p, from_array(coded(scale=1000))),
                           "ZYX", np.uint16),
        "written int64 labels": (lambda p: write_microstructure(
            p, from_array(coded().astype(np.int64), voxel_size=(1, 1, 2), unit="µm")),
            "ZYX", np.uint8),
    }
    for name, (write, axes, dtype) in cases.items():
        path = tmp_path / f"{name}.tif"
        write(path)
        seen = as_imagej_opens(path)
        assert (seen["axes"], seen["dtype"]) == (axes, dtype), name
        back = read_microstructure(path)
        source = coded(scale=1000) if "16" in name else coded()
        expected = source[:, :, 0] if axes == "YX" else source
        assert np.array_equal(np.asarray(back.label_values)[back.labels], expected), name
    assert as_imagej_opens(tmp_path / "export 2D, no voxel size.tif")["unit"] is None
    assert as_imagej_opens(tmp_path / "export 3D, unit given.tif")["unit"] == "nm"
    assert as_imagej_opens(tmp_path / "written int64 labels.tif")["spacing"] == 2.0


def test_labels_imagej_cannot_hold_become_phase_numbers_with_a_warning(tmp_path) -> None:
    ms = from_array(np.where(coded() > 0, 0.5, -1.0))
    with pytest.warns(UserWarning, match=r"fit no ImageJ 8/16-bit image.*phase numbers 0\.\.1"):
        write_microstructure(tmp_path / "f.tif", ms)
    seen = as_imagej_opens(tmp_path / "f.tif")
    assert seen["dtype"] == np.uint8 and np.array_equal(seen["pages"],
                                                        np.moveaxis(ms.labels, -1, 0))


def test_colour_labels_are_an_rgb_imagej_image(tmp_path) -> None:
    from mcrkit.microstructure import Microstructure

    colours = ((20, 20, 200), (200, 30, 30), (250, 250, 0))
    ms = Microstructure((coded() // 50).astype(np.uint8), colours, source="c.png")
    write_microstructure(tmp_path / "c.tif", ms)
    seen = as_imagej_opens(tmp_path / "c.tif")
    assert seen["axes"] == "ZYXS" and seen["dtype"] == np.uint8
    back = read_microstructure(tmp_path / "c.tif")
    assert back.label_values == colours and np.array_equal(back.labels, ms.labels)


def test_cli_export_and_smooth_write_calibrated_imagej_stacks(tmp_path) -> None:
    scan = calibrated_scan(tmp_path / "scan.tif")
    for args, out in [(["export", str(scan)], "export.tif"),
                      (["smooth", str(scan), "--strength", "0.5"], "smooth.tif")]:
        done = runner.invoke(app, [*args, "-o", str(tmp_path / out)])
        assert done.exit_code == 0, done.output
        seen = as_imagej_opens(tmp_path / out)
        assert (seen["axes"], seen["dtype"], seen["unit"]) == ("ZYX", np.uint8, "um"), out
        assert seen["spacing"] == pytest.approx(1.5) and seen["pixel"] == pytest.approx((0.4, 0.2))
    done = runner.invoke(app, ["export", str(scan), "-o", str(tmp_path / "nm.tif"),
                               "--voxel-size", "2", "--unit", "nm"])
    assert done.exit_code == 0, done.output
    seen = as_imagej_opens(tmp_path / "nm.tif")
    assert seen["unit"] == "nm" and seen["spacing"] == 2.0 and seen["pixel"] == (2.0, 2.0)


def test_a_run_exported_from_the_gui_carries_its_targets_calibration(tmp_path) -> None:
    from mcrkit.gui.actions import export_result
    from mcrkit.gui.jobs import Outcome

    labels = (coded() // 50).astype(np.uint8)
    run = tmp_path / "run"
    run.mkdir()
    np.save(run / "reconstruction.npy", labels)
    Characterization(values={}, settings={}, shape=(6, 5), n_phases=3, label_values=(0, 50, 100),
                     voxel_size=(0.25, 0.5), unit="nm").save(run / "characterization.npz")
    path = export_result(Outcome("done", labels=labels, result=run), "tiff")
    seen = as_imagej_opens(path)
    assert (seen["axes"], seen["dtype"], seen["unit"]) == ("ZYX", np.uint8, "nm")
    # a 2D target's in-plane sizes extend to z by the first one
    assert seen["pixel"] == pytest.approx((0.5, 0.25)) and seen["spacing"] == 0.25
    assert np.array_equal(seen["pages"], np.moveaxis(coded(), -1, 0))
