import json

import numpy as np
import pytest
from _shapes import ball

from mcrkit import data
from mcrkit.morphology import (
    cluster_sizes,
    euler_characteristic,
    feature_size_distribution,
    largest_cluster_fraction,
    percolation,
    surface_density,
)
from mcrkit.morphology.summary import morphology


def test_table_is_strict_json_and_matches_the_functions_in_2d():
    labels = data.load("alloy_resized_s")
    table = morphology(labels, voxel_size=0.5)
    text = json.dumps(table, allow_nan=False)
    assert json.loads(text) == table
    assert table["shape"] == [64, 64] and table["voxel_size"] == [0.5, 0.5]
    assert "slices" not in table
    for phase, row in enumerate(table["phases"]):
        mask = labels == phase
        assert row["volume_fraction"] == pytest.approx(mask.mean())
        assert row["euler_characteristic"] == euler_characteristic(mask)
        assert row["euler_density"] == pytest.approx(euler_characteristic(mask) / (64 * 64 / 4))
        assert row["surface_density"] == pytest.approx(surface_density(mask, voxel_size=0.5))
        assert row["largest_cluster_fraction"] == pytest.approx(largest_cluster_fraction(mask))
        assert row["n_clusters"] == cluster_sizes(mask).size
        assert tuple(row["percolates"].values()) == percolation(mask).percolates
        sizes = feature_size_distribution(mask, voxel_size=0.5)
        assert row["feature_size"]["radius"] == list(sizes.radius)
        assert len(row["cluster_function"]["x"]) == table["correlation_window"] + 1
        assert set(row["chords"]["y"]) == {"count", "mean", "length_weighted_mean"}


def test_grain_boundary_network_is_one_percolating_cluster():
    table = morphology(data.load("alloy_resized_s"))
    boundary = table["phases"][0]  # the thin network (about 15 % of the image)
    assert boundary["volume_fraction"] < 0.2
    assert boundary["largest_cluster_fraction"] > 0.95
    assert all(boundary["percolates"].values())
    # cut the network into pieces: the fraction in the largest piece collapses
    labels = data.load("alloy_resized_s").copy()
    labels[::8, :] = 1
    labels[:, ::8] = 1
    broken = morphology(labels)["phases"][0]
    assert broken["largest_cluster_fraction"] < 0.1
    assert broken["euler_characteristic"] > 20


def test_volume_table_has_3d_and_slice_statistics():
    labels = np.zeros((20, 20, 20), dtype=np.uint8)
    labels[ball((20, 20, 20), 6)] = 1
    labels[:, 2:4, 2:4] = 2  # a channel along x
    table = morphology(labels)
    json.dumps(table, allow_nan=False)
    sphere, channel = table["phases"][1], table["phases"][2]
    assert sphere["euler_characteristic"] == 1 and channel["euler_characteristic"] == 0
    assert channel["percolates"] == {"x": True, "y": False, "z": False}
    assert set(table["slices"]) == {"x", "y", "z"}
    # slices normal to y cut the channel into one bar along x per slice (2 slices)
    normal_y = table["slices"]["y"][2]
    assert normal_y["percolating_slices"] == {"x": pytest.approx(2 / 20), "z": 0.0}
    assert normal_y["largest_cluster_fraction"] == 1.0
    assert normal_y["euler_density"] == 0.0  # each bar closes around the periodic x axis
    # slices normal to x: a 2 x 2 square in every slice
    assert table["slices"]["x"][2]["euler_density"] == pytest.approx(20 / (20 * 400))
    empty = morphology(np.zeros((6, 6, 6), dtype=int))
    assert empty["phases"][0]["largest_cluster_fraction"] == 1.0


def test_missing_values_are_null_and_bad_labels_are_refused():
    stripes = np.zeros((8, 8), dtype=int)
    stripes[:, :3] = 1
    row = morphology(stripes)["phases"][1]
    assert row["correlation_length"]["x"] is None and row["repeat_length"]["y"] == 8.0
    with pytest.raises(ValueError, match="integer phase labels"):
        morphology(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="0..P-1"):
        morphology(-np.ones((4, 4), dtype=int))
