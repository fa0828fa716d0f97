"""Values a run cannot use are refused before anything is computed or written."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mcrkit

SMALL = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]


@pytest.fixture(scope="module")
def three_phases():
    labels = SMALL.astype(np.uint8)
    labels[4:8, 4:8] = 2
    return mcrkit.characterize(labels, ["two_point"], limit_to=3)


@pytest.mark.parametrize(("options", "message"), [
    ({"noise": math.nan}, "noise"),
    ({"noise": -1}, "noise"),
    ({"checkpoint_every": -1}, "checkpoint_every"),
    ({"snapshot_every": -1}, "snapshot_every"),
    ({"time_limit": -1}, "time_limit"),
    ({"max_iter": -1}, "max_iter"),
    ({"threads": 0}, "threads"),
    ({"initial": SMALL}, "2 phases, the characterization 3"),
])
def test_a_bad_value_is_refused_before_the_run_directory(tmp_path, three_phases, options,
                                                         message) -> None:
    run_dir = tmp_path / "run"
    with pytest.raises(ValueError, match=message):
        mcrkit.reconstruct(three_phases, (16, 16), seed=0, device="cpu", run_dir=run_dir,
                           **options)
    assert not run_dir.exists()


def _all_nan(value: np.ndarray) -> np.ndarray:
    return np.full_like(value, np.nan, dtype=float)


def _one_infinite(value: np.ndarray) -> np.ndarray:
    value = np.array(value, dtype=float)
    value.flat[0] = np.inf
    return value


@pytest.mark.parametrize("damage", [_all_nan, _one_infinite])
def test_a_target_that_imposes_nothing_or_is_infinite_is_refused(three_phases, damage) -> None:
    values = {name: damage(v) for name, v in three_phases.values.items()}
    broken = mcrkit.Characterization(values, three_phases.settings, three_phases.shape,
                                     three_phases.n_phases)
    with pytest.raises(ValueError, match="two_point .* holds NaN in every entry or infinite"):
        mcrkit.reconstruct(broken, (16, 16), max_iter=1, seed=0, device="cpu")
