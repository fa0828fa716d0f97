"""Synthetic structures: shape, exact volume fraction, reproducibility, elongation."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.descriptors import mean_chord_length
from mcrkit.generators import gaussian_random_field


@pytest.mark.parametrize("shape", [(40, 30), (16, 12, 10)])
def test_shape_labels_and_volume_fraction(shape) -> None:
    labels = gaussian_random_field(shape, 2.0, volume_fraction=0.3, seed=1)
    assert labels.shape == shape and labels.dtype == np.uint8
    assert set(np.unique(labels)) == {0, 1}
    assert labels.sum() == round(0.3 * labels.size)


def test_same_seed_same_structure_other_seed_other_structure() -> None:
    a = gaussian_random_field((32, 32), 2.0, seed=7)
    np.testing.assert_array_equal(a, gaussian_random_field((32, 32), 2.0, seed=7))
    np.testing.assert_array_equal(
        a, gaussian_random_field((32, 32), 2.0, seed=np.random.default_rng(7)))
    assert not np.array_equal(a, gaussian_random_field((32, 32), 2.0, seed=8))


def test_longer_correlation_length_gives_longer_chords_along_that_axis() -> None:
    labels = gaussian_random_field((128, 128), (6.0, 2.0), volume_fraction=0.4, seed=0)
    along_rows, along_columns = (mean_chord_length(labels == 1, axis) for axis in (0, 1))
    assert along_rows > 2 * along_columns
    isotropic = gaussian_random_field((128, 128), 2.0, volume_fraction=0.4, seed=0)
    ratio = mean_chord_length(isotropic == 1, 0) / mean_chord_length(isotropic == 1, 1)
    assert 0.8 < ratio < 1.25


def test_periodic_across_the_boundary() -> None:
    labels = gaussian_random_field((64, 64), 4.0, seed=3)
    edge_unlike = np.mean(labels[0] != labels[-1])
    inner_unlike = np.mean(labels[31] != labels[32])
    assert edge_unlike < 0.3 and abs(edge_unlike - inner_unlike) < 0.2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"shape": (8,)}, "shape must be 2 or 3 positive sizes"),
    ({"shape": (8, 0)}, "shape must be 2 or 3 positive sizes"),
    ({"correlation_length": (1.0, 2.0, 3.0)}, "one value or one per axis of"),
    ({"correlation_length": 0}, "correlation_length must be positive"),
    ({"volume_fraction": 1.0}, "volume_fraction must lie strictly between 0 and 1"),
])
def test_bad_arguments_are_refused(kwargs, message) -> None:
    arguments = {"shape": (8, 8), "correlation_length": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        gaussian_random_field(arguments.pop("shape"), arguments.pop("correlation_length"),
                              **arguments)
