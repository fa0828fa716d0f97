"""The model start of a volume from merged views: fit, draw, check, then reconstruct."""

import numpy as np
import pytest

import mcrkit
from mcrkit.generators import gaussian_random_field
from mcrkit.morphology.correlation import two_point_correlation
from mcrkit.synthetic import dispersion
from mcrkit.workflows.defaults import MODEL_START_ITER
from mcrkit.workflows.reconstruct_start import model_start, model_verdict, per_axis_model

LIMIT = 5


@pytest.fixture(scope="module")
def elongated_views() -> mcrkit.Characterization:
    """Views normal to x, y and z of a level cut elongated along z (kernel s.d. 1.5, 1.5 and
    4 px), each a 2D field with the kernel of its plane, merged (single slices of a small
    volume differ by more than the merge's tolerance)."""
    kernels = [(1.5, 4.0), (1.5, 4.0), (1.5, 1.5)]  # planes (y, z), (x, z), (x, y)
    views = [mcrkit.characterize(gaussian_random_field((96, 96), kernel, volume_fraction=0.4,
                                                       seed=1 + index),
                                 ["two_point"], limit_to=LIMIT)
             for index, kernel in enumerate(kernels)]
    return mcrkit.merge(views)


def _line(window: np.ndarray, axis: int) -> np.ndarray:
    """The S2 of a centred window along its rows (0) or columns (1)."""
    centre = window.shape[0] // 2
    return window[:, centre] if axis == 0 else window[centre, :]


def test_the_start_has_the_targets_s2_along_each_axis(elongated_views) -> None:
    model = per_axis_model(elongated_views, (48, 48, 48), seed=0)
    assert model.lengths[2] > 2 * max(model.lengths[:2])
    target = elongated_views["two_point"][:, 0]
    for slicing in range(3):  # in-plane axes of the slices normal to x, y, z
        got = two_point_correlation(np.take(model.labels, 0, axis=slicing) == 1,
                                    limit_to=LIMIT)
        whole = np.mean([two_point_correlation(np.take(model.labels, i, axis=slicing) == 1,
                                               limit_to=LIMIT) for i in range(0, 48, 4)],
                        axis=0)
        assert got.shape == target[slicing].shape
        for in_plane in (0, 1):
            np.testing.assert_allclose(_line(whole, in_plane), _line(target[slicing], in_plane),
                                       atol=0.03)


def test_a_passing_model_is_the_result(elongated_views) -> None:
    """... drawn with the run's seed (the same volume for the same seed)."""
    result = mcrkit.reconstruct(elongated_views, (24, 24, 24), seed=0, device="cpu",
                                report=False)
    assert result.iterations == 0
    assert result.settings["initial"] == "given"
    assert "anisotropic Matérn correlation" in result.settings["defaults"]
    assert "no gradient run" in result.settings["defaults"]
    np.testing.assert_array_equal(result.labels,
                                  per_axis_model(elongated_views, (24, 24, 24), seed=0).labels)


def test_a_failing_model_hands_over_to_the_gradient_run() -> None:
    """Views merged although their volume fractions differ (0.2, 0.4, 0.6): the model's one
    fraction cannot give each orientation its own, its slices fail and the default budget
    follows."""
    views = [mcrkit.characterize(gaussian_random_field((96, 96), 1.5, volume_fraction=fraction,
                                                       seed=1), ["two_point"], limit_to=LIMIT)
             for fraction in (0.2, 0.4, 0.6)]
    with pytest.warns(UserWarning, match="merged anyway"):
        merged = mcrkit.merge(views, allow_inconsistent=True)
    labels, max_iter, note = model_start(merged, (24, 24, 24), ["two_point"], seed=0,
                                         max_iter=None, budget=150)
    assert labels is not None and max_iter is None
    assert "the model's slices failed" in note and "two_point" in note
    assert "up to 150 gradient iterations" in note
    verdict = model_verdict(merged, labels, ["two_point"])
    assert verdict["failed"] > 0


def test_noise_start_and_what_the_model_cannot_draw(elongated_views) -> None:
    result = mcrkit.reconstruct(elongated_views, (16, 16, 16), seed=0, device="cpu",
                                max_iter=1, start="noise", report=False)
    assert result.settings["initial"] == "random"
    three = mcrkit.characterize(np.arange(64 * 64).reshape(64, 64) % 3, ["two_point"],
                                limit_to=2)
    model = per_axis_model(mcrkit.merge([three]), (16, 16, 16), seed=0)
    assert model.labels is None and "3 phases" in model.note
    with pytest.raises(ValueError, match="start must be one of model, noise"):
        mcrkit.reconstruct(elongated_views, (16, 16, 16), start="sphere")


def _one_view(image: np.ndarray, descriptors: list[str]) -> mcrkit.Characterization:
    return mcrkit.merge([mcrkit.characterize(image, descriptors, limit_to=LIMIT)])


def _chequerboard(side: int, square: int) -> np.ndarray:
    rows, columns = np.indices((side, side))
    return ((rows // square + columns // square) % 2).astype(np.uint8)


@pytest.mark.parametrize(("name", "image", "descriptors"), [
    ("chequerboard of 4 px squares", _chequerboard(96, 4),
     ["volume_fractions", "two_point", "lineal_path"]),
    ("separate discs of radius 4", dispersion((96, 96), radius=4, volume_fraction=0.2, rng=1),
     ["volume_fractions", "two_point", "lineal_path", "chord_length"]),
])
def test_a_view_the_level_cut_cannot_draw_is_not_returned_as_one(name, image,
                                                                   descriptors) -> None:
    """Judged against the views, not the model's own windows: a chequerboard's S2 and
    lineal path (negative correlation at one square) and the discs' chords (one size, no
    short pieces) lie outside every view-sized section of the fitted level cut."""
    labels, max_iter, note = model_start(_one_view(image, descriptors), (24, 24, 24),
                                         descriptors, seed=0, max_iter=None, budget=150)
    assert labels is not None and max_iter is None, name
    assert "the model's slices failed" in note and "up to 150 gradient iterations" in note
    assert "judged: " + ", ".join(descriptors) in note


def test_a_level_cut_view_is_returned_and_the_line_says_what_was_judged() -> None:
    descriptors = ["volume_fractions", "two_point", "lineal_path", "chord_length"]
    image = gaussian_random_field((96, 96), 1.5, volume_fraction=0.4, seed=3)
    labels, max_iter, note = model_start(_one_view(image, descriptors), (24, 24, 24),
                                         descriptors, seed=0, max_iter=None, budget=150)
    assert labels is not None and max_iter == MODEL_START_ITER
    assert "its slices pass against every orientation's target" in note
    assert "judged: " + ", ".join(descriptors) + " of the model's slices" in note
    assert "8 normal to z against a view of 96 x 96" in note
    assert "not judged: interface density" in note and "Euler characteristic" in note


def test_a_row_compares_at_the_targets_fraction_with_the_tiles_spread() -> None:
    """Components linear in the tile's fraction plus noise: the trend moves the model's
    value to the target's fraction, and the spread is the noise's (times the scale and the
    exact-fraction correction of the tiles, 9/8)."""
    from mcrkit.workflows.reconstruct_start import CHECK_TILES, _row

    rng = np.random.default_rng(0)
    fractions = rng.uniform(0.35, 0.45, 400)
    noise = rng.normal(0.0, 0.01, (400, 2))
    samples = np.outer(fractions, [2.0, -1.0]) + noise
    trend = (fractions - fractions.mean(), 0.05)  # the target's fraction 0.05 above
    got = np.array([0.8, -0.4])
    row = _row("two_point", got + [0.1, -0.05] + 0.003, got, samples, trend, scale=2.0)
    assert row["deviation"] == pytest.approx(0.003, abs=1e-3)  # what the trend leaves
    correction = 1 / (1 - 1 / CHECK_TILES**2)
    assert row["spread"] == pytest.approx(0.01 * np.sqrt(2.0 * correction), rel=0.1)
    plain = _row("volume_fractions", got + 0.05, got, noise, None, scale=1.0)  # 5 spreads
    assert plain["deviation"] == pytest.approx(0.05) and plain["passed"] is False
