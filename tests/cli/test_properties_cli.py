"""``mcrkit properties``: the printed table, the JSON file, bad options, the missing extra."""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from mcrkit.cli import app

runner = CliRunner()
needs_solver = pytest.mark.skipif(importlib.util.find_spec("pyamg") is None,
                                  reason="the transport extra (pyamg) is not installed")


def channels() -> np.ndarray:
    labels = np.zeros((10, 8, 8), dtype=np.uint8)
    labels[:, 2:4, 2:4] = 1  # a straight square channel along x
    return labels


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


@needs_solver
def test_cli_measures_a_run_directory_beside_its_original(tmp_path, small_run) -> None:
    run_dir, result = small_run
    original = tmp_path / "original.npy"
    np.save(original, result.microstructure.labels)
    out = tmp_path / "table.json"
    done = runner.invoke(app, ["properties", str(run_dir), "--original", str(original),
                               "--axes", "z", "-o", str(out)])
    assert done.exit_code == 0, done.output
    table = json.loads(out.read_text())
    assert table["result"]["source"] == f"{run_dir}/reconstruction.npy"
    assert table["result"]["phases"] == table["original"]["phases"]  # the same labels


def test_cli_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyamg", None)
    volume = tmp_path / "volume.npy"
    np.save(volume, channels())
    result = runner.invoke(app, ["properties", str(volume), "--axes", "x"])
    assert result.exit_code == 1
    assert "pip install 'mcrkit[transport]'" in result.output
    assert "Traceback" not in result.output and result.exception is not None
    blocked = runner.invoke(app, ["properties", str(volume), "--axes", "y", "--phases", "1"])
    assert blocked.exit_code == 0, blocked.output  # nothing to solve: no solver needed


def test_cli_bad_options_exit_with_a_message(tmp_path) -> None:
    volume = tmp_path / "volume.npy"
    np.save(volume, channels())
    for option, code in ((["--phases", "one"], 2), (["--axes", "q"], 1),
                         (["--voxel-size", "big"], 2)):
        result = runner.invoke(app, ["properties", str(volume), *option])
        assert result.exit_code == code, option
        assert "error:" in result.output
