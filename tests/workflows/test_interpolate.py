"""interpolate: exact ends, steps between them, per-axis characterizations, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.generators import gaussian_random_field
from mcrkit.workflows import interpolate, merge

DESCRIPTORS = {"volume_fractions": {}, "two_point": {"limit_to": 4},
               "lineal_path": {"limit_to": 4, "directions": ((1, 0), (0, 1))}}


def _characterize(lengths, seed, volume_fraction=0.4, descriptors=DESCRIPTORS):
    image = gaussian_random_field((48, 48), lengths, volume_fraction=volume_fraction,
                                  seed=seed)
    return mcrkit.characterize(image, descriptors)


@pytest.fixture(scope="module")
def ends():
    """Per-axis characterizations: isotropic at volume fraction 0.3, elongated along x at 0.5."""
    sparse = _characterize(1.5, 0, volume_fraction=0.3)
    isotropic = _characterize(1.5, 1, volume_fraction=0.5)
    elongated = _characterize((4.5, 1.5), 2, volume_fraction=0.5)
    return merge([sparse]), merge([isotropic, elongated, elongated])


def test_ends_reproduce_the_inputs_exactly_and_the_middle_lies_between(ends) -> None:
    start, stop = ends
    steps = interpolate(start, stop, 5)
    assert len(steps) == 5 and all(step.per_axis for step in steps)
    for name in start.names:
        np.testing.assert_array_equal(steps[0][name], start[name])
        np.testing.assert_array_equal(steps[-1][name], stop[name])
        low, high = np.minimum(start[name], stop[name]), np.maximum(start[name], stop[name])
        middle = steps[2][name]
        assert np.all((low <= middle) & (middle <= high))
        np.testing.assert_allclose(middle, (start[name] + stop[name]) / 2, rtol=1e-12)
        assert not np.array_equal(middle, start[name]) and not np.array_equal(middle,
                                                                              stop[name])


def test_every_element_moves_monotonically_with_t(ends) -> None:
    start, stop = ends
    steps = interpolate(start, stop, 6)
    assert [step.provenance["interpolate"]["t"] for step in steps] == [0, 0.2, 0.4, 0.6, 0.8, 1]
    for name in start.names:
        path = np.stack([step[name] for step in steps])
        direction = np.sign(stop[name] - start[name])
        assert np.all(np.diff(path, axis=0) * direction >= 0)


def test_elements_equal_at_both_ends_stay_exactly_equal() -> None:
    # (1 - t) a + t a may round away from a; clipping to the ends' range keeps it.
    a = _characterize(1.5, 0)
    b = _characterize(1.5, 1)
    steps = interpolate(a, b, 11)
    same = a["volume_fractions"] == b["volume_fractions"]
    assert same.all()  # both generated at the same volume fraction
    for step in steps:
        np.testing.assert_array_equal(step["volume_fractions"], a["volume_fractions"])


def test_steps_keep_settings_record_provenance_and_round_trip(ends, tmp_path) -> None:
    start, stop = ends
    start_path = start.save(tmp_path / "iso.npz")
    steps = interpolate(start_path, stop, 3)
    middle = steps[1]
    assert middle.settings == start.settings
    assert middle.provenance["interpolate"]["t"] == 0.5
    assert middle.provenance["interpolate"]["from"] == start.source
    assert "merge" in middle.provenance["interpolate"]["to_provenance"]
    assert middle.shape == start.shape and steps[2].shape == stop.shape
    loaded = mcrkit.Characterization.load(middle.save(tmp_path / "middle.npz"))
    assert loaded.provenance == middle.provenance
    np.testing.assert_array_equal(loaded["two_point"], middle["two_point"])


def test_interpolated_targets_reconstruct_between_the_ends(ends) -> None:
    start, stop = ends
    middle = interpolate(start, stop, 3)[1]
    result = mcrkit.reconstruct(middle, (16, 16, 16), max_iter=60, seed=0, device="cpu")
    assert 0.3 + 0.03 < result.labels.mean() < 0.5 - 0.03


@pytest.mark.parametrize("n_steps", [1, 0, 2.5, True, "5"])
def test_n_steps_must_be_an_integer_of_at_least_two(ends, n_steps) -> None:
    with pytest.raises(ValueError, match="n_steps must be an integer >= 2"):
        interpolate(*ends, n_steps)


def test_mismatched_characterizations_are_refused_with_the_difference(ends) -> None:
    start, _ = ends
    plain = _characterize(1.5, 0)
    with pytest.raises(ValueError, match=r"interpolate: .* holds per-axis \(3D\) values but "
                                         r".* does not; make it per-axis first with "
                                         r"mcrkit.merge\(\[c\]\)"):
        interpolate(start, plain, 3)
    fewer = _characterize(1.5, 0, descriptors={"two_point": {"limit_to": 4}})
    with pytest.raises(ValueError, match="holds volume_fractions, two_point, lineal_path but "
                                         ".* holds two_point; characterize both"):
        interpolate(plain, fewer, 3)
    other = _characterize(1.5, 0, descriptors=DESCRIPTORS | {"two_point": {"limit_to": 3}})
    with pytest.raises(ValueError, match=r"two_point was computed with other settings .*"
                                         r"\(limit_to=4 vs 3\)"):
        interpolate(plain, other, 3)
    three = mcrkit.characterize(np.tile([0, 1, 2], (24, 8)), DESCRIPTORS)
    with pytest.raises(ValueError, match="has 2 phases but .* has 3"):
        interpolate(plain, three, 3)
