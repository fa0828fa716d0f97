"""Tests for mcrkit.microstructure: label mapping, input validation and conversions."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import MAX_PHASES, Microstructure, MicrostructureError, from_array

# ---- label mapping ------------------------------------------------------------------------


def test_integer_labels_map_to_consecutive_phases():
    ms = from_array([[1, 5, 2], [5, 5, 1]])
    np.testing.assert_array_equal(ms.labels, [[0, 2, 1], [2, 2, 0]])
    assert ms.labels.dtype == np.uint8
    assert ms.label_values == (1, 2, 5)
    assert all(type(v) is int for v in ms.label_values)
    assert ms.n_phases == 3
    assert ms.shape == (2, 3)
    assert ms.ndim == 2


def test_0_255_labels_map_to_0_1():
    ms = from_array(np.array([[0, 255], [255, 255]], dtype=np.uint8))
    np.testing.assert_array_equal(ms.labels, [[0, 1], [1, 1]])
    assert ms.label_values == (0, 255)


def test_boolean_labels():
    ms = from_array(np.array([[True, False], [False, False]]))
    np.testing.assert_array_equal(ms.labels, [[1, 0], [0, 0]])
    assert ms.label_values == (False, True)
    assert all(type(v) is bool for v in ms.label_values)


def test_float_labels_with_few_values():
    ms = from_array(np.array([[0.5, 0.0], [1.0, 0.5]]))
    np.testing.assert_array_equal(ms.labels, [[1, 0], [2, 1]])
    assert ms.label_values == (0.0, 0.5, 1.0)
    assert all(type(v) is float for v in ms.label_values)


def test_3d_labels_and_volume_fractions():
    rng = np.random.default_rng(1234)
    a = rng.integers(0, 3, size=(5, 6, 7)) * 10
    ms = from_array(a)
    assert ms.shape == (5, 6, 7)
    assert ms.ndim == 3
    assert ms.label_values == (0, 10, 20)
    np.testing.assert_array_equal(np.asarray(ms.label_values)[ms.labels], a)
    fractions = ms.volume_fractions()
    assert fractions.shape == (3,)
    assert fractions.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fractions, [(a == v).mean() for v in (0, 10, 20)])


def test_exactly_max_phases_is_accepted():
    a = np.arange(MAX_PHASES).reshape(4, 4)
    assert from_array(a).n_phases == MAX_PHASES


def test_a_microstructure_passes_through():
    ms = from_array(np.eye(3))
    assert from_array(ms) is ms


def test_provenance_is_recorded():
    ms = from_array(np.eye(3), source="scan.tif", segmentation={"method": "otsu"})
    assert ms.source == "scan.tif"
    assert ms.segmentation == {"method": "otsu"}
    assert ms.voxel_size is None


# ---- voxel size ---------------------------------------------------------------------------


def test_voxel_size_scalar_broadcasts_to_every_axis():
    assert from_array(np.eye(3), voxel_size=0.5).voxel_size == (0.5, 0.5)
    assert from_array(np.ones((2, 2, 2)) - np.eye(2), voxel_size=2).voxel_size == (2.0,) * 3


def test_voxel_size_per_axis():
    ms = from_array(np.eye(3), voxel_size=[0.5, 2])
    assert ms.voxel_size == (0.5, 2.0)
    assert all(type(v) is float for v in ms.voxel_size)


@pytest.mark.parametrize("voxel_size", [(1.0, 2.0, 3.0), (), [[1.0, 2.0]], "abc"])
def test_voxel_size_of_wrong_length_is_refused(voxel_size):
    with pytest.raises(MicrostructureError, match=r"^scan\.npy: voxel_size=") as info:
        from_array(np.eye(3), source="scan.npy", voxel_size=voxel_size)
    message = str(info.value)
    assert repr(voxel_size) in message
    assert "one value for all axes or one per axis (2 values)" in message
    assert "shape (3, 3)" in message


@pytest.mark.parametrize("voxel_size", [0, -1.0, (1.0, -2.0)])
def test_voxel_size_must_be_positive(voxel_size):
    with pytest.raises(MicrostructureError, match="scan.npy: voxel_size must be positive"):
        from_array(np.eye(3), source="scan.npy", voxel_size=voxel_size)


# ---- input errors -------------------------------------------------------------------------


def test_nan_is_refused_with_its_position():
    a = np.zeros((3, 4))
    a[1, 2] = np.nan
    a[2, 3] = 1.0
    with pytest.raises(
        MicrostructureError,
        match=r"scan\.npy: contains 1 NaN or infinite values \(first at index \(1, 2\)\).*fill",
    ):
        from_array(a, source="scan.npy")


def test_infinity_is_refused():
    a = np.eye(3)
    a[0, 1] = np.inf
    a[2, 0] = -np.inf
    with pytest.raises(MicrostructureError, match=r"contains 2 NaN or infinite values"):
        from_array(a)


def test_1d_is_refused_with_a_reshape_hint():
    with pytest.raises(
        MicrostructureError, match=r"line\.npy: got a 1D array of shape \(4,\).*reshape it to 2D"
    ):
        from_array([0, 1, 0, 1], source="line.npy")


def test_4d_is_refused_with_a_squeeze_hint():
    with pytest.raises(
        MicrostructureError,
        match=r"got a 4D array of shape \(2, 2, 2, 2\).*remove the extra axes",
    ):
        from_array(np.ones((2, 2, 2, 2)))


def test_rgb_like_4d_gets_a_color_hint():
    with pytest.raises(MicrostructureError, match=r"shape \(4, 4, 4, 3\).*RGB\(A\) volume"):
        from_array(np.zeros((4, 4, 4, 3)))


def test_0d_is_refused():
    with pytest.raises(MicrostructureError, match="got a 0D array.*2D \\(X, Y\\) or 3D"):
        from_array(np.float64(1.0))


def test_a_single_phase_is_refused():
    with pytest.raises(MicrostructureError, match=r"uniform\.png: holds a single value.*one phase"):
        from_array(np.full((4, 4), 7), source="uniform.png")


def test_too_many_values_suggest_segmentation():
    with pytest.raises(
        MicrostructureError,
        match=rf"gray\.tif: has 20 distinct values, more than the {MAX_PHASES} phases.*"
        r"threshold=VALUE, threshold='otsu' or phases=N",
    ):
        from_array(np.arange(20).reshape(4, 5), source="gray.tif")


@pytest.mark.parametrize(
    "array",
    [np.array([["a", "b"], ["b", "a"]]), np.eye(2) + 1j, np.array([[None, 1], [1, None]])],
    ids=["str", "complex", "object"],
)
def test_non_numeric_values_are_refused(array):
    with pytest.raises(
        MicrostructureError, match=rf"scan\.npy: values of type {array.dtype} are not phase labels"
    ):
        from_array(array, source="scan.npy")


@pytest.mark.parametrize("shape", [(0, 4), (4, 0), (3, 0, 3)])
def test_empty_array_is_refused(shape):
    with pytest.raises(
        MicrostructureError, match=rf"crop\.npy: is empty \(shape {re.escape(str(shape))}\)"
    ):
        from_array(np.zeros(shape), source="crop.npy")


def test_singleton_axis_warns():
    a = np.zeros((4, 4, 1))
    a[0, 0, 0] = 1
    with pytest.warns(UserWarning, match=r"shape \(4, 4, 1\) has a singleton axis.*squeeze"):
        ms = from_array(a)
    assert ms.ndim == 3


# ---- as_microstructure --------------------------------------------------------------------


def test_as_microstructure_from_a_path(tmp_path):
    a = np.array([[0, 3], [3, 0]], dtype=np.int16)
    file = tmp_path / "labels.npy"
    np.save(file, a)
    for path in (file, str(file)):
        ms = as_microstructure(path)
        assert isinstance(ms, Microstructure)
        assert ms.source == str(file)
        assert ms.label_values == (0, 3)
        np.testing.assert_array_equal(ms.labels, a // 3)


def test_as_microstructure_from_an_array():
    ms = as_microstructure(np.array([[2, 4], [4, 4]]))
    assert ms.label_values == (2, 4)
    assert ms.source == "array"
    assert as_microstructure(ms) is ms


def test_as_microstructure_thresholds_a_gray_array():
    rng = np.random.default_rng(1234)
    gray = rng.random((16, 16))
    ms = as_microstructure(gray, threshold=0.5)
    np.testing.assert_array_equal(ms.labels, gray > 0.5)
    assert ms.segmentation == {"method": "threshold", "threshold": 0.5}


def test_as_microstructure_gray_array_without_threshold_is_refused():
    rng = np.random.default_rng(1234)
    with pytest.raises(MicrostructureError, match="distinct values.*threshold"):
        as_microstructure(rng.random((16, 16)))
