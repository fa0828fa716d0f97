"""mcrkit.properties and ``mcrkit properties``: the table, the original beside it, the extra."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.cli import app
from mcrkit.workflows.properties import properties

runner = CliRunner()
needs_solver = pytest.mark.skipif(importlib.util.find_spec("taufactor") is None,
                                  reason="the transport extra (taufactor) is not installed")


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
def test_cli_prints_the_table_and_writes_json(tmp_path) -> None:
    volume, original = tmp_path / "volume.npy", tmp_path / "original.npy"
    np.save(volume, channels())
    np.save(original, channels().transpose(2, 1, 0))  # its channel runs along z
    out = tmp_path / "table.json"
    result = runner.invoke(app, ["properties", str(volume), "--original", str(original),
                                 "--phases", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "tortuosity factor x" in result.output and "original" in result.output
    table = json.loads(out.read_text())
    assert table["result"]["phases"]["1"]["percolates"] == {"x": True, "y": False, "z": False}
    assert table["original"]["phases"]["1"]["percolates"] == {"x": False, "y": False, "z": True}
    again = runner.invoke(app, ["properties", str(volume), "-o", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_cli_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "taufactor", None)
    volume = tmp_path / "volume.npy"
    np.save(volume, channels())
    result = runner.invoke(app, ["properties", str(volume), "--axes", "x"])
    assert result.exit_code == 2
    assert "pip install 'mcrkit[transport]'" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    blocked = runner.invoke(app, ["properties", str(volume), "--axes", "y", "--phases", "1"])
    assert blocked.exit_code == 0, blocked.output  # nothing to solve: no solver needed


def test_cli_bad_options_exit_2(tmp_path) -> None:
    volume = tmp_path / "volume.npy"
    np.save(volume, channels())
    for option in (["--phases", "one"], ["--axes", "q"], ["--voxel-size", "big"]):
        result = runner.invoke(app, ["properties", str(volume), *option])
        assert result.exit_code == 2, option
        assert "error:" in result.output
