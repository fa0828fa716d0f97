"""Conventions every command keeps: -h, -V, -q, exit statuses, streams, warnings, wording."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

import mcrkit
from mcrkit.cli import app
from mcrkit.cli.common import cli_wording

runner = CliRunner()
EXAMPLE = str(mcrkit.data.path("pymks_ms_64x64_1"))


def test_every_command_takes_h_and_q() -> None:
    for name, command in typer.main.get_command(app).commands.items():
        options = {opt for param in command.params for opt in param.opts}
        assert {"-q", "--quiet"} <= options, name
        result = runner.invoke(app, [name, "-h"])
        assert result.exit_code == 0 and "Usage:" in result.output, name


def test_short_version_and_help() -> None:
    assert runner.invoke(app, ["-V"]).output.strip() == f"mcrkit {mcrkit.__version__}"
    assert "characterize" in runner.invoke(app, ["-h"]).output


def test_a_wrong_command_line_exits_2_and_failed_work_exits_1(tmp_path) -> None:
    out = str(tmp_path / "c.npz")
    assert runner.invoke(app, ["characterize", EXAMPLE]).exit_code == 2  # no -o
    assert runner.invoke(app, ["characterize", EXAMPLE, "-o", out, "--nope"]).exit_code == 2
    bad_value = runner.invoke(app, ["characterize", EXAMPLE, "-o", out, "--threshold", "dark"])
    assert bad_value.exit_code == 2 and "--threshold" in bad_value.stderr
    missing = runner.invoke(app, ["characterize", str(tmp_path / "none.npy"), "-o", out])
    assert missing.exit_code == 1 and missing.stderr.startswith("error: ")
    assert "Traceback" not in missing.output


def test_results_on_stdout_messages_on_stderr_and_quiet(tmp_path) -> None:
    args = ["characterize", EXAMPLE, "--descriptors", "volume_fractions"]
    loud = runner.invoke(app, [*args, "-o", str(tmp_path / "a.npz")])
    assert loud.exit_code == 0
    assert "Characterization of" in loud.stdout and "Characterization" not in loud.stderr
    assert "saved" in loud.stderr and "saved" not in loud.stdout
    quiet = runner.invoke(app, [*args, "-o", str(tmp_path / "b.npz"), "-q"])
    assert quiet.exit_code == 0 and "Characterization of" in quiet.stdout
    assert quiet.stderr == ""


def test_progress_into_a_pipe_is_plain_lines(tmp_path) -> None:
    image = tmp_path / "small.npy"
    np.save(image, mcrkit.data.load("pymks_ms_64x64_1")[:24, :24])
    result = runner.invoke(app, ["match", str(image), "-o", str(tmp_path / "run"),
                                 "--limit-to", "4", "--max-iter", "3", "--seed", "0",
                                 "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr
    bars = [line for line in result.stderr.splitlines() if line.startswith("reconstruct")]
    assert bars and bars[-1].split(":")[1].strip().startswith("100%"), result.stderr
    assert "verdict" in result.stdout  # the result's summary is a result


def test_a_warning_is_one_clean_line(tmp_path) -> None:
    result = runner.invoke(app, ["characterize", EXAMPLE, "-o", str(tmp_path / "c.npz"),
                                 "--descriptors", "Variation"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "Variation is read as" in line]
    assert len(warned) == 1 and warned[0].startswith("warning: ")
    assert "UserWarning" not in result.stderr and ".py:" not in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="the error needs a machine without CUDA")
def test_library_advice_is_worded_for_the_command_line(tmp_path) -> None:
    result = runner.invoke(app, ["characterize", EXAMPLE, "-o", str(tmp_path / "c.npz"),
                                 "--device", "cuda"])
    assert result.exit_code == 1
    assert "use --device cpu" in result.stderr and "device='cpu'" not in result.stderr


def test_cli_wording_leaves_what_is_not_an_option() -> None:
    assert cli_wording("got n=3 and threshold='otsu'") == "got n=3 and --threshold otsu"
    assert cli_wording("x.limit_to=3 stays") == "x.limit_to=3 stays"


def test_the_advice_of_interpolate_runs_as_given(tmp_path) -> None:
    plain = tmp_path / "top.npz"
    merged = tmp_path / "top3d.npz"
    assert runner.invoke(app, ["characterize", EXAMPLE, "-o", str(plain), "--descriptors",
                               "volume_fractions,two_point", "--limit-to", "4"]).exit_code == 0
    assert runner.invoke(app, ["merge", str(plain), "-o", str(merged)]).exit_code == 0
    refused = runner.invoke(app, ["interpolate", str(merged), str(plain), "-o",
                                  str(tmp_path / "steps")])
    assert refused.exit_code == 1
    advice = refused.stderr.split("make it per-axis first with ")[1].strip()
    assert advice == f"mcrkit merge {plain} -o NEW.npz"
    done = runner.invoke(app, [*advice.split()[1:-1], str(tmp_path / "NEW.npz")])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["interpolate", str(merged), str(tmp_path / "NEW.npz"), "-o",
                                str(tmp_path / "steps")])
    assert again.exit_code == 0, again.output
