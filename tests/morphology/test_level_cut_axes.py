"""The anisotropic level-cut model: per-axis Matérn lengths fitted to S2, and its volumes."""

import numpy as np
import pytest

from mcrkit.morphology.correlation import two_point_correlation
from mcrkit.morphology.section_models import (
    fit_level_cut_axes,
    level_cut_correlation,
    level_cut_volume,
    matern_correlation,
)


def _level_cut_s2(lengths: tuple[float, float], smoothness: float, fraction: float,
                  limit_to: int) -> np.ndarray:
    """The exact S2 window of the level cut of a field with this Matérn correlation: the
    level-cut relation inverted on a fine table of S2."""
    offsets = np.indices((2 * limit_to + 1,) * 2) - limit_to
    distance = np.sqrt(sum((o / length) ** 2 for o, length in zip(offsets, lengths,
                                                                    strict=True)))
    rho = matern_correlation(distance, 1.0, smoothness)
    table = np.linspace(fraction**2 - 0.1, fraction, 20001)
    return np.interp(rho, level_cut_correlation(table, fraction), table)


@pytest.mark.parametrize("smoothness", [1.0, np.inf])
def test_fit_recovers_the_lengths_of_an_exact_level_cut_s2(smoothness: float) -> None:
    s2 = _level_cut_s2((5.0, 2.0), smoothness, 0.4, limit_to=8)
    lengths, found = fit_level_cut_axes([((0, 1), s2)], 2, longest=32)
    assert found == smoothness
    np.testing.assert_allclose(lengths, (5.0, 2.0), rtol=0.02)


def test_planes_of_a_volume_give_one_length_per_axis() -> None:
    """Three planes share their axes: each length comes from the two planes holding it."""
    windows = {(1, 2): (3.0, 6.0), (0, 2): (2.0, 6.0), (0, 1): (2.0, 3.0)}
    planes = [(axes, _level_cut_s2(lengths, 2.0, 0.3, limit_to=6))
              for axes, lengths in windows.items()]
    lengths, smoothness = fit_level_cut_axes(planes, 3, longest=32)
    assert smoothness == 2.0
    np.testing.assert_allclose(lengths, (2.0, 3.0, 6.0), rtol=0.02)


def test_fit_on_a_drawn_elongated_field_finds_its_kernel_lengths() -> None:
    """A thresholded field of Gaussian kernel s.d. (4, 2) px has the correlation
    exp(-r^2 / 4 s^2): lengths 4 sqrt(2) and 2 sqrt(2)."""
    from mcrkit.generators import gaussian_random_field

    section = gaussian_random_field((128, 128), (4.0, 2.0), volume_fraction=0.4, seed=1)
    lengths, _ = fit_level_cut_axes([((0, 1), two_point_correlation(section == 1))], 2,
                                    longest=64)
    np.testing.assert_allclose(lengths, (4 * np.sqrt(2), 2 * np.sqrt(2)), rtol=0.2)
    assert lengths[0] / lengths[1] == pytest.approx(2.0, rel=0.15)


def test_the_volume_has_the_correlation_it_was_drawn_with_along_each_axis() -> None:
    volume = level_cut_volume((64, 64), (6.0, 2.0), 3.0, 0.4, rng=0)
    s2 = two_point_correlation(volume == 1, limit_to=8)
    assert volume.mean() == pytest.approx(0.4, abs=1e-3)
    expected = _level_cut_s2((6.0, 2.0), 3.0, 0.4, limit_to=8)
    np.testing.assert_allclose(s2[8, :], expected[8, :], atol=0.02)  # along y (short)
    np.testing.assert_allclose(s2[:, 8], expected[:, 8], atol=0.03)  # along x (long)


def test_volume_is_determined_by_its_seed() -> None:
    first = level_cut_volume((16, 16, 16), (3.0, 1.0, 1.0), 5.0, 0.5, rng=3)
    np.testing.assert_array_equal(first,
                                  level_cut_volume((16, 16, 16), (3.0, 1.0, 1.0), 5.0, 0.5,
                                                   rng=3))
    assert (first != level_cut_volume((16, 16, 16), (3.0, 1.0, 1.0), 5.0, 0.5, rng=4)).any()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one length per axis"):
        level_cut_volume((8, 8, 8), (2.0, 2.0), 1.0, 0.5)
    with pytest.raises(ValueError, match="fraction must be in"):
        level_cut_volume((8, 8), (2.0, 2.0), 1.0, 1.0)
    with pytest.raises(ValueError, match="no correlated lag along axis 2"):
        fit_level_cut_axes([((0, 1), _level_cut_s2((2.0, 2.0), 1.0, 0.5, 4))], 3, longest=8)
    with pytest.raises(ValueError, match="odd sides"):
        fit_level_cut_axes([((0, 1), np.ones((4, 5)))], 2, longest=8)
