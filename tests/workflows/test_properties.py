"""mcrkit.properties: the table per phase and axis, the original beside it, bad requests."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import mcrkit
from mcrkit.workflows.properties import properties

needs_solver = pytest.mark.skipif(importlib.util.find_spec("pyamg") is None,
                                  reason="the transport extra (pyamg) is not installed")


def channels() -> np.ndarray:
    labels = np.zeros((10, 8, 8), dtype=np.uint8)
    labels[:, 2:4, 2:4] = 1  # a straight square channel along x
    return labels


@needs_solver
def test_the_table_holds_each_phase_and_axis() -> None:
    table = properties(channels(), voxel_size=0.5)
    assert table["phases"] == [0, 1] and table["axes"] == ["x", "y", "z"]
    channel = table["result"]["phases"]["1"]
    assert channel["volume_fraction"] == pytest.approx(4 / 64)
    assert channel["percolates"] == {"x": True, "y": False, "z": False}
    assert channel["tortuosity_factor"]["x"] == pytest.approx(1.0, rel=1e-4)
    assert channel["tortuosity_factor"]["y"] is None  # infinity in strict JSON
    assert channel["effective_diffusivity"] == pytest.approx({"x": 4 / 64, "y": 0, "z": 0},
                                                             rel=1e-4)
    matrix = table["result"]["phases"]["0"]
    assert matrix["largest_cluster_fraction"] == 1.0
    assert all(matrix["percolates"].values())
    assert matrix["specific_surface_area"] == pytest.approx(channel["specific_surface_area"])
    unit = properties(channels(), phases=[1], axes=["x"])["result"]["phases"]["1"]
    assert channel["specific_surface_area"] == pytest.approx(2 * unit["specific_surface_area"])
    assert json.loads(json.dumps(table, allow_nan=False)) == table


@needs_solver
def test_the_original_sits_beside_the_result() -> None:
    blocked = channels()
    blocked[5] = 0
    table = mcrkit.properties(blocked, original=channels(), phases=[1], axes=["x", 2])
    assert table["axes"] == ["x", "z"]
    assert table["original"]["phases"]["1"]["tortuosity_factor"]["x"] == pytest.approx(1.0,
                                                                                      rel=1e-4)
    assert table["result"]["phases"]["1"]["tortuosity_factor"]["x"] is None
    assert table["result"]["phases"]["1"]["percolates"]["x"] is False


@pytest.mark.parametrize("kwargs, match", [
    ({"phases": [2]}, "phases must be among 0..1"),
    ({"axes": ["w"]}, "axes must be among x, y, z"),
    ({"original": np.eye(8, dtype=int)}, "compare only at the same dimension"),
])
def test_bad_requests_are_named(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        properties(channels(), **kwargs)


@needs_solver
def test_a_gray_volume_is_segmented_with_threshold(tmp_path) -> None:
    gray = channels() * 150 + np.arange(8)[None, None, :]  # 16 gray levels and more
    gray[0, 0, 0] = 99
    np.save(tmp_path / "gray.npy", gray)
    table = properties(tmp_path / "gray.npy", threshold=100, phases=[1], axes=["x"])
    assert table["result"]["phases"]["1"]["volume_fraction"] == pytest.approx(4 / 64)
