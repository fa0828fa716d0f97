"""Tests for mcrkit.characterization: the container and its .npz + JSON file format."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import mcrkit
from mcrkit.characterization import (
    FORMAT_VERSION,
    Characterization,
    CharacterizationFileError,
)
from mcrkit.descriptors import LinealPath, TwoPoint
from mcrkit.io import segment


@pytest.fixture(scope="module")
def characterization() -> Characterization:
    """A small 2D characterization of an Otsu-segmented gray image with a voxel size."""
    rng = np.random.default_rng(1234)
    gray = rng.normal(size=(16, 16)) + 4.0 * (np.arange(16) % 8 < 3)[:, None]
    ms = segment(gray, threshold="otsu", source="gray.tif", voxel_size=(0.5, 0.25))
    return mcrkit.characterize(
        ms,
        {
            "volume_fractions": {},
            "two_point": {"limit_to": 3},
            "lineal_path": {"limit_to": 3, "directions": ((1, 0), (1, -1))},
        },
    )


@pytest.fixture(scope="module")
def characterization_3d() -> Characterization:
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=(6, 7, 8)) * 2 + 1
    return mcrkit.characterize(labels, ["volume_fractions", "variation"])


def write_npz(path, metadata=None, **arrays) -> None:
    """Write an .npz file like Characterization.save, with hand-made metadata."""
    if metadata is not None:
        arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)


# ---- round trip ---------------------------------------------------------------------------


def test_save_load_round_trip(characterization, tmp_path):
    c = characterization
    path = c.save(tmp_path / "gray.npz")
    assert path == tmp_path / "gray.npz"
    loaded = Characterization.load(path)

    assert loaded.names == c.names == ["volume_fractions", "two_point", "lineal_path"]
    for name in c.names:
        np.testing.assert_array_equal(loaded[name], c[name])
        assert loaded[name].dtype == np.float64
    assert loaded.settings == c.settings
    assert loaded.settings["lineal_path"]["directions"] == [[1, 0], [1, -1]]
    assert loaded.shape == c.shape == (16, 16)
    assert loaded.n_phases == 2
    assert loaded.per_axis is False
    assert loaded.label_values == c.label_values == (False, True)
    assert loaded.source == "gray.tif"
    assert loaded.voxel_size == c.voxel_size == (0.5, 0.25)
    assert loaded.segmentation == c.segmentation
    assert loaded.segmentation["method"] == "otsu"
    assert isinstance(loaded.segmentation["threshold"], float)
    assert loaded.mcrkit_version == mcrkit.__version__
    assert loaded.metadata() == c.metadata()


def test_round_trip_3d_per_axis(characterization_3d, tmp_path):
    c = characterization_3d
    assert c.per_axis is True
    assert c.axes == ("x", "y", "z")
    loaded = Characterization.load(c.save(tmp_path / "volume.npz"))
    assert loaded.per_axis is True
    assert loaded.axes == ("x", "y", "z")
    assert loaded.shape == (6, 7, 8)
    assert loaded.n_phases == 3
    assert loaded.label_values == (1, 3, 5)
    assert loaded.voxel_size is None
    assert loaded.segmentation == {}
    for name in c.names:
        np.testing.assert_array_equal(loaded[name], c[name])
        assert loaded[name].shape[0] == 3


def test_npz_suffix_is_appended_when_missing(characterization, tmp_path):
    path = characterization.save(tmp_path / "result")
    assert path == tmp_path / "result.npz"
    assert path.is_file()
    dotted = characterization.save(str(tmp_path / "run.1"))
    assert dotted == tmp_path / "run.1.npz"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.npz", "run.1.npz"]


def test_save_leaves_no_temporary_file(characterization, tmp_path):
    path = characterization.save(tmp_path / "c.npz")
    path = characterization.save(tmp_path / "c.npz")  # overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]
    Characterization.load(path)


def test_failed_save_keeps_the_previous_file(characterization, tmp_path, monkeypatch):
    path = characterization.save(tmp_path / "c.npz")
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        characterization.save(path)
    assert path.read_bytes() == before


def test_file_needs_no_pickle(characterization, tmp_path):
    path = characterization.save(tmp_path / "c.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    assert set(arrays) == {"metadata", *(f"values/{n}" for n in characterization.names)}
    meta = json.loads(str(arrays["metadata"]))
    assert meta["format"] == "mcrkit.characterization"
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["descriptors"] == characterization.settings


# ---- loading errors -----------------------------------------------------------------------


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such characterization file"):
        Characterization.load(tmp_path / "absent.npz")


def test_load_a_file_that_is_not_npz(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not an archive\n")
    with pytest.raises(
        CharacterizationFileError, match=r"notes\.npz: is not a characterization file"
    ):
        Characterization.load(path)


def test_load_npz_without_metadata_points_to_characterize(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, labels=np.eye(3))
    with pytest.raises(
        CharacterizationFileError,
        match="no mcrkit metadata; a characterization file is written by mcrkit's characterize"
    ):
        Characterization.load(path)


def test_load_metadata_of_something_else(tmp_path):
    path = tmp_path / "other.npz"
    write_npz(path, {"format": "something.else", "format_version": 1})
    with pytest.raises(CharacterizationFileError, match="does not describe a characterization"):
        Characterization.load(path)


def test_load_newer_format_asks_for_an_upgrade(characterization, tmp_path):
    meta = characterization.metadata()
    meta["format_version"] = FORMAT_VERSION + 1
    meta["mcrkit_version"] = "99.0"
    path = tmp_path / "future.npz"
    values = {f"values/{n}": v for n, v in characterization.values.items()}
    write_npz(path, meta, **values)
    with pytest.raises(
        CharacterizationFileError,
        match=rf"written by mcrkit 99\.0 in file format {FORMAT_VERSION + 1}; .* reads formats "
        rf"up to {FORMAT_VERSION}\. Upgrade mcrkit",
    ):
        Characterization.load(path)


def test_load_descriptor_without_values_is_damaged(characterization, tmp_path):
    path = tmp_path / "damaged.npz"
    values = {f"values/{n}": v for n, v in characterization.values.items() if n != "two_point"}
    write_npz(path, characterization.metadata(), **values)
    with pytest.raises(
        CharacterizationFileError, match=r"metadata lists \['two_point'\] .* damaged"
    ):
        Characterization.load(path)


# ---- access -------------------------------------------------------------------------------


def test_descriptor_rebuilds_an_equal_object(characterization, tmp_path):
    loaded = Characterization.load(characterization.save(tmp_path / "c.npz"))
    lineal = loaded.descriptor("lineal_path")
    assert lineal == LinealPath(limit_to=3, directions=((1, 0), (1, -1)))
    assert lineal.directions == ((1, 0), (1, -1))  # JSON lists back to tuples
    assert loaded.descriptor("two_point") == TwoPoint(limit_to=3)
    assert loaded.descriptor("lineal_path") == characterization.descriptor("lineal_path")


def test_missing_descriptor_lists_the_present_ones(characterization):
    assert "two_point" in characterization
    assert "variation" not in characterization
    expected = "it holds volume_fractions, two_point, lineal_path"
    with pytest.raises(KeyError, match=re.escape(expected)):
        characterization["variation"]
    with pytest.raises(KeyError, match="descriptor 'variation' is not in this characterization"):
        characterization.descriptor("variation")


def test_empty_characterization_says_it_holds_nothing():
    empty = Characterization(values={}, settings={}, shape=(4, 4), n_phases=2)
    with pytest.raises(KeyError, match="it holds nothing"):
        empty["two_point"]


def test_str_lists_shapes(characterization, characterization_3d):
    text = str(characterization)
    assert text.splitlines()[0] == "Characterization of gray.tif (shape (16, 16), 2 phases)"
    assert "volume_fractions" in text and "(2,)" in text
    assert "two_point" in text and "(1, 7, 7)" in text
    assert "lineal_path" in text and "(2, 2, 4)" in text
    assert len(text.splitlines()) == 1 + len(characterization.names)
    assert "per axis x/y/z" in str(characterization_3d)
    assert "(3, 3)" in str(characterization_3d)


def test_the_length_unit_is_kept_through_characterize_save_and_merge(tmp_path):
    from mcrkit.microstructure import from_array

    stripes = np.tile([0, 0, 1, 1], (8, 2))
    ms = from_array(stripes, voxel_size=0.5, unit="micron")
    c = mcrkit.characterize(ms, ["volume_fractions"])
    assert c.unit == "µm" and c.metadata()["unit"] == "µm"
    assert Characterization.load(c.save(tmp_path / "c.npz")).unit == "µm"
    assert mcrkit.merge([c]).unit == "µm"
    other = mcrkit.characterize(from_array(stripes, voxel_size=0.5, unit="nm"),
                                ["volume_fractions"])
    with pytest.raises(ValueError, match="voxel sizes in different units"):
        mcrkit.merge([c, other])


def test_repr_is_short_and_html_holds_the_summary_table(characterization):
    import re

    text = repr(characterization)
    assert text.splitlines() == [
        "Characterization of gray.tif: shape (16, 16), 2 phases, voxel size 0.5 x 0.25",
        "  descriptors: volume_fractions (2,), two_point (1, 7, 7), lineal_path (2, 2, 4)"]
    assert "array" not in text
    page = characterization._repr_html_()
    cells = dict(re.findall(r"<th[^>]*>([^<]+)</th><td[^>]*>([^<]*)</td>", page))
    fractions = characterization["volume_fractions"]
    assert cells["volume fractions"] == f"{fractions[0]:.3f}, {fractions[1]:.3f}"
    assert cells["structure"] == "shape (16, 16), 2 phases, voxel size 0.5 x 0.25"
    assert cells["two_point"] == "(1, 7, 7)"
    assert page.count("<tr>") == 5 + 1 + 3  # summary rows, header, one per descriptor
    big = mcrkit.characterize(np.random.default_rng(0).integers(0, 2, (96, 96)),
                              ["two_point", "correlations"], limit_to=16)
    assert len(repr(big)) < 300 and len(big._repr_html_()) < 3000
