"""Transposed values and statistics along one axis, against direct computations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mcrkit.descriptors import (
    ChordLength,
    Correlations,
    Descriptor,
    LinealPath,
    LinealPathApprox,
    LocalPatterns,
    TwoPoint,
    TwoPointCross,
    Variation,
    VolumeFractions,
    chord_length_distribution,
    lineal_path,
)
from mcrkit.descriptors.orientation import transpose_value, value_along_axis
from mcrkit.microstructure import from_array

RNG = np.random.default_rng(0)
TWO = from_array(RNG.integers(0, 2, (14, 11)))
THREE = from_array(RNG.integers(0, 3, (14, 11)))
TRANSPOSABLE = [VolumeFractions(), Variation(), TwoPoint(limit_to=3),
                TwoPoint(limit_to=3, periodic=False), TwoPointCross(limit_to=3),
                LinealPath(limit_to=4), LinealPath(limit_to=4, periodic=False),
                LinealPath(limit_to=4, directions=((2, 1), (1, 2), (-1, 0), (0, 1))),
                LinealPathApprox(limit_to=4), ChordLength(max_length=5),
                LocalPatterns(strides=(1, 3)), LocalPatterns(strides=(2,), periodic=False)]


@pytest.mark.parametrize("descriptor", TRANSPOSABLE, ids=repr)
@pytest.mark.parametrize("structure", [TWO, THREE], ids=["2 phases", "3 phases"])
def test_transposed_value_is_the_value_of_the_transposed_image(descriptor, structure) -> None:
    value = descriptor.characterize(structure)
    transposed = from_array(structure.labels.T)
    np.testing.assert_allclose(transpose_value(descriptor, value),
                               descriptor.characterize(transposed), atol=1e-12)


def test_values_that_do_not_determine_the_transposed_one_are_refused() -> None:
    with pytest.raises(ValueError, match=r"swapped directions \[\(1, 2\)\].*closed under"):
        transpose_value(LinealPath(directions=((2, 1), (0, 1), (1, 0))), np.zeros((2, 3, 9)))
    with pytest.raises(ValueError, match="correlations: its value on the transposed image"):
        transpose_value(Correlations(limit_to=3), Correlations(limit_to=3).characterize(TWO))


@pytest.mark.parametrize("axis", [0, 1])
def test_statistics_along_an_axis_match_direct_computations(axis) -> None:
    mask = TWO.labels == 1
    s2 = value_along_axis(TwoPoint(limit_to=3), TwoPoint(limit_to=3).characterize(TWO), axis)
    shifts = [np.mean(mask & np.roll(mask, -r, axis=axis)) for r in range(-3, 4)]
    np.testing.assert_allclose(s2[0], shifts, atol=1e-12)
    lp = LinealPath(limit_to=4)
    direction = ((1, 0), (0, 1))[axis]
    np.testing.assert_allclose(
        value_along_axis(lp, lp.characterize(TWO), axis)[1],
        lineal_path(mask, limit_to=4, directions=(direction,))[0])
    chords = ChordLength(max_length=5)
    np.testing.assert_allclose(value_along_axis(chords, chords.characterize(TWO), axis)[0],
                               chord_length_distribution(mask, axis, max_length=5))
    fractions = VolumeFractions().characterize(TWO)
    np.testing.assert_array_equal(value_along_axis(VolumeFractions(), fractions, axis),
                                  fractions)


@pytest.mark.parametrize("axis", [0, 1])
def test_gram_entries_along_an_axis_are_the_three_point_function_on_lines(axis) -> None:
    gram = Correlations(limit_to=3)
    line = value_along_axis(gram, gram.characterize(TWO), axis)[0, 0]
    mask = TWO.labels == 1
    expected = np.array([[np.mean(mask & np.roll(mask, -a, axis=axis) & np.roll(mask, -b,
                                                                                 axis=axis))
                          for b in range(3)] for a in range(3)])
    np.testing.assert_allclose(line, expected, atol=1e-6)


def test_missing_statistics_give_none_and_bad_axes_are_refused() -> None:
    assert value_along_axis(Variation(), np.zeros(1), 0) is None
    diagonal = LinealPath(directions=((1, 1), (1, -1)))
    assert value_along_axis(diagonal, np.zeros((2, 2, 9)), 1) is None
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        value_along_axis(TwoPoint(), np.zeros((1, 17, 17)), 2)


def test_third_party_descriptors_take_part_through_methods() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class RowMeans(Descriptor):
        name = "row_means_test"

        def transpose_value(self, value: np.ndarray) -> np.ndarray:
            return value[::-1]

        def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray:
            return value[axis:axis + 1]

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Opaque(Descriptor):
        name = "opaque_test"

    value = np.array([1.0, 2.0])
    np.testing.assert_array_equal(transpose_value(RowMeans(), value), [2.0, 1.0])
    np.testing.assert_array_equal(value_along_axis(RowMeans(), value, 1), [2.0])
    assert value_along_axis(Opaque(), value, 0) is None
    with pytest.raises(ValueError, match="opaque_test: its value on the transposed image"):
        transpose_value(Opaque(), value)
