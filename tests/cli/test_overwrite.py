"""One rule for every command's outputs: never replace a file or fill a non-empty directory
without --overwrite; the refusal comes before any work and changes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import mcrkit
from mcrkit.cli import app, normalize_argv
from mcrkit.io.rundir import RunDirectory

runner = CliRunner()
SENTINEL = b"keep me"


def invoke(args: list[str]):
    return runner.invoke(app, normalize_argv(args))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    image = folder / "small.npy"
    np.save(image, mcrkit.data.load("pymks_ms_64x64_1")[:16, :16])
    char = folder / "small.npz"
    mcrkit.characterize(np.load(image), ["two_point"], limit_to=3).save(char)
    return {"image": str(image), "char": str(char)}


COMMANDS = {
    "characterize": (["characterize", "{image}", "--descriptors", "volume_fractions", "-o"],
                     "out.npz"),
    "smooth": (["smooth", "{image}", "-o"], "out.npy"),
    "merge": (["merge", "{char}", "-o"], "out.npz"),
    "export": (["export", "{image}", "-o"], "out.npy"),
    "view": (["view", "{image}", "--save"], "out.png"),
    "reconstruct": (["reconstruct", "{char}", "--shape", "16", "16", "--max-iter", "1",
                     "--quiet", "--device", "cpu", "-o"], "run"),
    "interpolate": (["interpolate", "{char}", "{char}", "--steps", "2", "-o"], "steps"),
    "compare": (["compare", "{image}", "{image}", "-o"], "reports"),
    "properties": (["properties", "{image}", "--phases", "0", "--axes", "x", "-o"], "out.json"),
}
DIRECTORY_OUTPUTS = {"reconstruct": "notes.txt", "interpolate": "notes.txt",
                     "compare": "report.json"}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, inputs, command) -> None:
    args, name = COMMANDS[command]
    output = tmp_path / name
    if command in DIRECTORY_OUTPUTS:  # a directory holding something
        output.mkdir()
        kept = output / DIRECTORY_OUTPUTS[command]
    else:
        kept = output
    kept.write_bytes(SENTINEL)
    argv = [arg.format(**inputs) for arg in args] + [str(output)]
    refused = invoke(argv)
    assert refused.exit_code == 1, refused.output
    assert "--overwrite" in refused.output and str(output) in refused.output
    assert "Traceback" not in refused.output
    assert kept.read_bytes() == SENTINEL
    if command == "view":
        return  # drawing is tested elsewhere
    replaced = invoke([*argv, "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    if command in ("reconstruct", "interpolate"):
        assert kept.read_bytes() == SENTINEL  # unrelated files in a directory are left alone
    else:
        assert kept.read_bytes() != SENTINEL


def test_overwrite_replaces_a_run_without_leftovers(tmp_path, inputs) -> None:
    run = tmp_path / "run"

    def reconstruct(max_iter: int, *extra: str):
        return invoke(["reconstruct", inputs["char"], "--shape", "16", "16", "--max-iter",
                       str(max_iter), "--quiet", "--device", "cpu", "--seed", "0", "-o", str(run),
                       *extra])

    assert reconstruct(3).exit_code == 0
    assert reconstruct(1, "--overwrite").exit_code == 0
    state = RunDirectory(run).read_state(torch.device("cpu"))
    assert state["iteration"] == 1 and len(state["convergence"].history["loss"]) == 1
    assert json.loads((run / "run.json").read_text())["settings"]["max_iter"] == 1
