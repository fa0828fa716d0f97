"""Anisotropy of a 2D input: x and y statistics against their natural spread."""

from __future__ import annotations

import numpy as np
import pytest

from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.anisotropy import axis_statistics, detect_anisotropy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_isotropic_fields_are_isotropic(seed) -> None:
    found = detect_anisotropy(gaussian_random_field((64, 64), 2.0, volume_fraction=0.4,
                                                    seed=seed))
    assert found.isotropic and found.axis is None and found.text == "isotropic"
    assert 0.8 < found.factor < 1.25


@pytest.mark.parametrize(("lengths", "axis"), [((5.0, 2.0), 0), ((2.0, 5.0), 1)])
def test_elongated_fields_name_their_long_axis(lengths, axis) -> None:
    found = detect_anisotropy(gaussian_random_field((64, 64), lengths, volume_fraction=0.4,
                                                    seed=4))
    assert not found.isotropic and found.axis == axis
    assert 1.8 < found.factor < 3.6  # the kernel is 2.5 times longer
    assert found.text.startswith(f"anisotropic (elongated along {'xy'[axis]} by a factor ~")
    assert found.worst()["ratio"] > 3


def test_a_stretched_isotropic_image_is_elongated_by_the_stretch() -> None:
    image = gaussian_random_field((64, 32), 1.5, volume_fraction=0.5, seed=5)
    stretched = np.repeat(image, 2, axis=1)  # features twice as long along y
    found = detect_anisotropy(stretched)
    assert (found.isotropic, found.axis) == (False, 1)
    assert 1.6 < found.factor < 2.5
    transposed = detect_anisotropy(stretched.T)
    assert transposed.axis == 0 and transposed.factor == pytest.approx(found.factor)


def test_axis_statistics_of_stripes() -> None:
    stripes = np.zeros((12, 12), dtype=int)
    stripes[:, ::3] = 1  # lines along x, one pixel wide, every third column
    stats = axis_statistics(stripes, 1, 3)
    np.testing.assert_allclose(stats["s2"][0], 1.0)  # along x the phase never changes
    np.testing.assert_allclose(stats["s2"][1], [1.0, -0.5, -0.5, 1.0])
    np.testing.assert_allclose(stats["chord_length"][1], 1.0)  # every chord along y is 1 px


def test_a_volume_is_refused() -> None:
    with pytest.raises(ValueError, match="2D image"):
        detect_anisotropy(np.indices((4, 4, 4)).sum(axis=0) % 2)
