"""write_microstructure: round trips through read_microstructure, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.io import read_microstructure, write_microstructure
from mcrkit.microstructure import MicrostructureError, from_array

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(("name", "labels"), [
    ("a.npy", RNG.choice([0, 3, 7], (6, 5, 4))),
    ("a.tif", RNG.choice([0, 255], (6, 5, 4)).astype(np.uint8)),
    ("a.tiff", RNG.choice([1, 2], (6, 5)).astype(np.uint16)),
    ("a.png", RNG.choice([0, 128, 255], (6, 5))),
    ("a.png", RNG.choice([0, 1000], (6, 5))),
])
def test_written_files_read_back_as_the_same_microstructure(tmp_path, name, labels) -> None:
    ms = from_array(labels)
    path = write_microstructure(tmp_path / name, ms)
    back = read_microstructure(path)
    np.testing.assert_array_equal(back.labels, ms.labels)
    assert back.label_values == ms.label_values
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_tiff_stack_is_written_pages_first(tmp_path) -> None:
    import tifffile

    labels = RNG.integers(0, 2, (6, 5, 4))
    write_microstructure(tmp_path / "v.tif", from_array(labels))
    pages = tifffile.imread(tmp_path / "v.tif")
    assert pages.shape == (4, 6, 5)
    np.testing.assert_array_equal(pages[2], labels[:, :, 2])


@pytest.mark.parametrize(("name", "labels", "message"), [
    ("v.png", RNG.integers(0, 2, (4, 4, 4)), "PNG holds 2D images.*write volumes as .tif"),
    ("f.png", RNG.choice([0.5, 1.5], (4, 4)), "PNG stores integer gray values"),
    ("v.jpg", RNG.integers(0, 2, (4, 4)), r"unknown file extension '.jpg'; mcrkit writes "
                                          r"\.npy, \.tif/\.tiff, \.png \(2D\)"),
])
def test_unwritable_combinations_are_refused(tmp_path, name, labels, message) -> None:
    with pytest.raises(MicrostructureError, match=message):
        write_microstructure(tmp_path / name, from_array(labels))
    assert not list(tmp_path.iterdir())
