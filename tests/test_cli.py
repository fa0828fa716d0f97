"""The command line: characterize and descriptors, driven through typer's runner."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.characterization import Characterization
from mcrkit.cli import app

runner = CliRunner()
EXAMPLE = str(mcrkit.data.path("pymks_ms_64x64_1"))


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"mcrkit {mcrkit.__version__}"


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "characterize" in result.output and "descriptors" in result.output


def test_descriptors_lists_every_registered_descriptor() -> None:
    result = runner.invoke(app, ["descriptors", "--verbose"])
    assert result.exit_code == 0
    for name in mcrkit.registry.descriptors.names():
        assert name in result.output
    assert "aliases: FFTCorrelations" in result.output
    assert "limit_to=8" in result.output


def test_characterize_example_reloads(tmp_path) -> None:
    out = tmp_path / "c.npz"
    plot = tmp_path / "c.png"
    result = runner.invoke(app, ["characterize", EXAMPLE, "-o", str(out), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    loaded = Characterization.load(out)
    expected = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"))
    assert loaded.names == expected.names
    for name in expected.names:
        np.testing.assert_allclose(loaded[name], expected[name])
    assert plot.stat().st_size > 10_000


def test_characterize_options_reach_the_library(tmp_path) -> None:
    out = tmp_path / "c.npz"
    args = ["characterize", EXAMPLE, "-o", str(out), "--descriptors", "two_point,LinealPath",
            "--limit-to", "4", "--no-periodic", "--threads", "1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    loaded = Characterization.load(out)
    assert loaded.names == ["two_point", "lineal_path"]
    assert loaded["two_point"].shape == (1, 9, 9)
    assert loaded.settings["lineal_path"]["periodic"] is False


def test_characterize_gray_image_needs_segmentation(tmp_path) -> None:
    rng = np.random.default_rng(1234)
    gray = tmp_path / "gray.npy"
    np.save(gray, rng.random((32, 32)))
    refused = runner.invoke(app, ["characterize", str(gray), "-o", str(tmp_path / "c.npz")])
    assert refused.exit_code == 2
    assert "--threshold" in refused.output and "gray.npy" in refused.output
    accepted = runner.invoke(app, ["characterize", str(gray), "-o", str(tmp_path / "c.npz"),
                                   "--threshold", "otsu", "--descriptors", "volume_fractions"])
    assert accepted.exit_code == 0, accepted.output
    assert Characterization.load(tmp_path / "c.npz").segmentation["method"] == "otsu"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.npy"], "missing.npy"),
        ([EXAMPLE, "--descriptors", "nope"], "unknown descriptor 'nope'"),
        ([EXAMPLE, "--descriptors", ","], "at least one"),
        ([EXAMPLE, "--limit-to", "40"], "limit_to <= 32"),
        ([EXAMPLE, "--threshold", "bright"], "number or 'otsu'"),
    ],
)
def test_characterize_errors_exit_nonzero_with_message(tmp_path, args, message) -> None:
    result = runner.invoke(app, ["characterize", *args, "-o", str(tmp_path / "c.npz")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "c.npz").exists()


def test_console_script_help_is_fast_and_light() -> None:
    code = ("import sys; from mcrkit.cli import app; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
