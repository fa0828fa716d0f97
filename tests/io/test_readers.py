"""Tests for mcrkit.io.readers: every format, the axis convention and input errors."""

import h5py
import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from mcrkit.io import read_microstructure
from mcrkit.microstructure import MicrostructureError


@pytest.fixture
def labels():
    rng = np.random.default_rng(1234)
    return rng.integers(0, 3, size=(12, 10))


def test_npy_round_trip(tmp_path, labels):
    path = tmp_path / "ms.npy"
    np.save(path, labels * 100)
    ms = read_microstructure(path)
    np.testing.assert_array_equal(ms.labels, labels)
    assert ms.label_values == (0, 100, 200)
    assert ms.source == str(path)


def test_npy_refuses_pickled_objects(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(MicrostructureError, match=r"objects\.npy: cannot be read as a '\.npy'"):
        read_microstructure(path)


def test_npz_single_array(tmp_path, labels):
    path = tmp_path / "one.npz"
    np.savez(path, anything=labels)
    np.testing.assert_array_equal(read_microstructure(path).labels, labels)


def test_npz_key_and_preferred_name(tmp_path, labels):
    path = tmp_path / "many.npz"
    np.savez(path, labels=labels, other=1 - labels.clip(0, 1))
    np.testing.assert_array_equal(read_microstructure(path).labels, labels)
    ms = read_microstructure(f"{path}:other")
    np.testing.assert_array_equal(ms.labels, 1 - labels.clip(0, 1))
    assert ms.source == f"{path}:other"


def test_npz_ambiguous_lists_keys_and_syntax(tmp_path, labels):
    path = tmp_path / "ambiguous.npz"
    np.savez(path, first=labels, second=labels)
    with pytest.raises(
        MicrostructureError, match=r"2 arrays \(first, second\).*ambiguous\.npz:KEY"
    ):
        read_microstructure(path)


def test_npz_missing_key_lists_keys(tmp_path, labels):
    path = tmp_path / "keys.npz"
    np.savez(path, first=labels)
    with pytest.raises(MicrostructureError, match=r"no array 'nope'.*: first"):
        read_microstructure(f"{path}:nope")


def test_tif_2d_keeps_rows_as_x(tmp_path, labels):
    path = tmp_path / "slice.tif"
    tifffile.imwrite(path, labels.astype(np.uint8))
    ms = read_microstructure(path)
    assert ms.shape == (12, 10)
    np.testing.assert_array_equal(ms.labels, labels)


def test_tif_stack_pages_become_z(tmp_path):
    rng = np.random.default_rng(1234)
    stack = np.stack(  # (pages, rows, cols) with distinguishable pages
        [np.zeros((6, 5)), np.ones((6, 5)), 2 * rng.integers(0, 2, size=(6, 5))]
    ).astype(np.uint8)
    path = tmp_path / "stack.tif"
    tifffile.imwrite(path, stack, photometric="minisblack")
    ms = read_microstructure(path)
    assert ms.shape == (6, 5, 3)
    for page in range(3):
        np.testing.assert_array_equal(ms.labels[:, :, page], stack[page])


def test_tif_pages_written_one_by_one_are_stacked(tmp_path, labels):
    path = tmp_path / "pages.tif"
    with tifffile.TiffWriter(path) as tif:
        for page in (labels, 2 - labels):
            tif.write(page.astype(np.uint8))
    ms = read_microstructure(path)
    np.testing.assert_array_equal(ms.labels, np.stack([labels, 2 - labels], axis=-1))


def test_png_gray_0_255(tmp_path, labels):
    path = tmp_path / "binary.png"
    iio.imwrite(path, np.where(labels > 0, 255, 0).astype(np.uint8))
    ms = read_microstructure(path)
    assert ms.label_values == (0, 255)
    np.testing.assert_array_equal(ms.labels, labels > 0)


def test_png_rgb_three_colors(tmp_path, labels):
    colors = np.array([[200, 30, 30], [30, 200, 30], [30, 30, 200]], dtype=np.uint8)
    path = tmp_path / "colors.png"
    iio.imwrite(path, colors[labels])
    ms = read_microstructure(path)
    assert ms.label_values == ((30, 30, 200), (30, 200, 30), (200, 30, 30))
    np.testing.assert_array_equal(ms.labels, (2 - labels))


def test_png_constant_alpha_dropped_varying_refused(tmp_path, labels):
    gray = np.where(labels > 0, 255, 0).astype(np.uint8)
    opaque, seethrough = tmp_path / "opaque.png", tmp_path / "seethrough.png"
    iio.imwrite(opaque, np.stack([gray, gray, gray, np.full_like(gray, 255)], axis=-1))
    iio.imwrite(seethrough, np.stack([gray, gray, gray, gray], axis=-1))
    assert read_microstructure(opaque).label_values == (0, 255)
    with pytest.raises(MicrostructureError, match=r"seethrough\.png: has a transparency"):
        read_microstructure(seethrough)


def test_jpg_many_levels_need_segmentation(tmp_path, labels):
    rng = np.random.default_rng(1234)
    image = np.where(labels > 0, 190.0, 60.0) + rng.normal(0, 12, labels.shape)
    path = tmp_path / "noisy.jpg"
    iio.imwrite(path, image.clip(0, 255).astype(np.uint8))
    with pytest.raises(
        MicrostructureError, match=r"noisy\.jpg: has \d+ distinct values.*threshold"
    ):
        read_microstructure(path)
    ms = read_microstructure(path, threshold="otsu")
    assert ms.n_phases == 2
    assert ms.segmentation["method"] == "otsu"
    assert np.mean(ms.labels == (labels > 0)) > 0.95


def test_bmp_with_phases(tmp_path, labels):
    path = tmp_path / "three.bmp"
    iio.imwrite(path, (labels * 100 + 10).astype(np.uint8))
    ms = read_microstructure(path, phases=3)
    np.testing.assert_array_equal(ms.labels, labels)


def test_h5_dataset_path_and_voxel_size(tmp_path, labels):
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as h5:
        h5["results/labels"] = labels
        h5["results/labels"].attrs["element_size_um"] = [0.5, 0.25]
        h5["raw"] = np.zeros(3)
    ms = read_microstructure(f"{path}:/results/labels")
    np.testing.assert_array_equal(ms.labels, labels)
    assert ms.voxel_size == (0.5, 0.25)
    assert read_microstructure(f"{path}:results/labels", voxel_size=2.0).voxel_size == (2.0, 2.0)


def test_h5_single_dataset_needs_no_path(tmp_path, labels):
    path = tmp_path / "single.hdf5"
    with h5py.File(path, "w") as h5:
        h5["group/ms"] = labels
    np.testing.assert_array_equal(read_microstructure(path).labels, labels)


def test_h5_missing_dataset_lists_available(tmp_path, labels):
    path = tmp_path / "run.h5"
    with h5py.File(path, "w") as h5:
        h5["a/labels"] = labels
        h5["b"] = labels
    with pytest.raises(
        MicrostructureError,
        match=r"run\.h5 has no dataset '/nope'; datasets in the file: /a/labels, /b",
    ):
        read_microstructure(f"{path}:/nope")
    with pytest.raises(MicrostructureError, match=r"holds 2 datasets \(/a/labels, /b\).*:/path"):
        read_microstructure(path)


def test_h5_bad_voxel_size_attribute(tmp_path, labels):
    path = tmp_path / "bad_size.h5"
    with h5py.File(path, "w") as h5:
        h5["ms"] = labels
        h5["ms"].attrs["voxel_size"] = [1.0, 2.0, 3.0]
    with pytest.raises(MicrostructureError, match=r"voxel size \[1\.0, 2\.0, 3\.0\].*voxel_size="):
        read_microstructure(path)
    assert read_microstructure(path, voxel_size=1.0).voxel_size == (1.0, 1.0)


def test_threshold_applies_to_npy(tmp_path):
    path = tmp_path / "gray.npy"
    np.save(path, np.linspace(0, 1, 100).reshape(10, 10))
    ms = read_microstructure(path, threshold=0.5)
    assert ms.segmentation == {"method": "threshold", "threshold": 0.5}
    assert ms.volume_fractions().tolist() == [0.5, 0.5]


def test_nan_refused(tmp_path):
    image = np.zeros((4, 4))
    image[2, 1] = np.nan
    path = tmp_path / "nan.npy"
    np.save(path, image)
    with pytest.raises(MicrostructureError, match=r"nan\.npy: contains 1 NaN.*\(2, 1\)"):
        read_microstructure(path, threshold=0.5)


@pytest.mark.parametrize(
    ("shape", "hint"), [((16,), "1D array.*reshape it to 2D"), ((2, 2, 2, 2), "4D array")]
)
def test_wrong_dimension_refused(tmp_path, shape, hint):
    path = tmp_path / "bad_dim.npy"
    np.save(path, np.arange(np.prod(shape)).reshape(shape) % 2)
    with pytest.raises(MicrostructureError, match=rf"bad_dim\.npy: got a {hint}"):
        read_microstructure(path)


def test_one_phase_refused(tmp_path):
    path = tmp_path / "flat.npy"
    np.save(path, np.ones((4, 4)))
    with pytest.raises(MicrostructureError, match=r"flat\.npy: holds a single value.*threshold"):
        read_microstructure(path)


def test_more_than_16_phases_suggest_segmentation(tmp_path):
    path = tmp_path / "gray.png"
    iio.imwrite(path, np.arange(100, dtype=np.uint8).reshape(10, 10))
    with pytest.raises(MicrostructureError, match=r"100 distinct values.*threshold.*phases=N"):
        read_microstructure(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".h5", ".npy", ".npz"])
def test_not_a_valid_file_of_its_format(tmp_path, suffix):
    path = tmp_path / f"notes{suffix}"
    path.write_text("these are my lab notes, not an image\n")
    with pytest.raises(
        MicrostructureError,
        match=rf"notes\{suffix}: cannot be read as a '\{suffix}' file.*Supported",
    ):
        read_microstructure(path)


def test_unknown_extension(tmp_path):
    path = tmp_path / "ms.vtk"
    path.write_text("# vtk DataFile Version 3.0\n")
    with pytest.raises(
        MicrostructureError, match=r"ms\.vtk: unknown file extension '\.vtk'.*\.npy"
    ):
        read_microstructure(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No such file: '.*missing\.npy'"):
        read_microstructure(tmp_path / "missing.npy")


def test_missing_file_with_key(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*missing\.h5'"):
        read_microstructure(f"{tmp_path / 'missing.h5'}:/labels")


def test_key_on_single_array_format_refused(tmp_path, labels):
    path = tmp_path / "ms.npy"
    np.save(path, labels)
    with pytest.raises(MicrostructureError, match=r"':labels' selects nothing"):
        read_microstructure(f"{path}:labels")


def test_h5_unit_attribute_and_element_size_um(tmp_path, labels):
    with h5py.File(tmp_path / "a.h5", "w") as h5:
        h5.create_dataset("nm", data=labels).attrs.update(voxel_size=[2.0, 2.0], unit="nm")
        h5.create_dataset("um", data=labels).attrs["element_size_um"] = [0.5, 0.5]
        h5.create_dataset("plain", data=labels)
    assert read_microstructure(f"{tmp_path / 'a.h5'}:/nm").unit == "nm"
    micro = read_microstructure(f"{tmp_path / 'a.h5'}:/um")
    assert micro.voxel_size == (0.5, 0.5) and micro.unit == "µm"
    plain = read_microstructure(f"{tmp_path / 'a.h5'}:/plain")
    assert plain.voxel_size is None and plain.unit is None
    given = read_microstructure(f"{tmp_path / 'a.h5'}:/plain", voxel_size=3, unit="mm")
    assert given.voxel_size == (3.0, 3.0) and given.unit == "mm"
    assert read_microstructure(f"{tmp_path / 'a.h5'}:/plain", unit="mm").unit is None  # no size
