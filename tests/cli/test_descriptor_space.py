"""The merge, interpolate and smooth commands, driven through typer's runner."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from mcrkit.characterization import Characterization
from mcrkit.cli import app
from mcrkit.generators import gaussian_random_field
from mcrkit.io import read_microstructure

runner = CliRunner()
DESCRIPTORS = "volume_fractions,two_point,lineal_path"


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    """Characterization files: isotropic, two elongated along rows, one of 3 phases."""
    folder = tmp_path_factory.mktemp("views")
    made = {}
    for name, lengths, seed in (("iso", 1.5, 0), ("long1", (4.5, 1.5), 1),
                                ("long2", (4.5, 1.5), 2)):
        image = folder / f"{name}.npy"
        np.save(image, gaussian_random_field((96, 96), lengths, volume_fraction=0.4, seed=seed))
        made[name] = folder / f"{name}.npz"
        result = runner.invoke(app, ["characterize", str(image), "-o", str(made[name]),
                                     "--descriptors", DESCRIPTORS, "--limit-to", "6"])
        assert result.exit_code == 0, result.output
    image = folder / "three.npy"
    np.save(image, np.tile([0, 1, 2], (24, 8)))
    made["three"] = folder / "three.npz"
    assert runner.invoke(app, ["characterize", str(image), "-o", str(made["three"]),
                               "--descriptors", DESCRIPTORS, "--limit-to", "6"]).exit_code == 0
    return made


def test_help_lists_the_descriptor_space_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert all(name in result.output for name in ("merge", "interpolate", "smooth"))


def test_merge_three_views_reports_and_saves(tmp_path, views) -> None:
    out = tmp_path / "m.npz"
    result = runner.invoke(app, ["merge", str(views["iso"]), str(views["long1"]),
                                 str(views["long2"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "iso.npz: normal to x: rows along y, columns along z" in result.output
    assert "realizable: yes" in result.output
    merged = Characterization.load(out)
    assert merged.per_axis and merged.provenance["merge"]["realizability"]["realizable"]


def test_merge_refuses_a_conflict_naming_the_axis_unless_allowed(tmp_path, views) -> None:
    out = tmp_path / "m.npz"
    args = ["merge", str(views["long1"]), str(views["iso"]), str(views["long1"]), "-o", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "error: the views conflict along y: slices normal to x" in refused.output
    assert not out.exists()
    allowed = runner.invoke(app, [*args, "--allow-inconsistent"])
    assert allowed.exit_code == 0, allowed.output
    assert "warning: the views conflict along y" in allowed.output
    assert "CONFLICT" in allowed.output and "realizable: no" in allowed.output
    assert out.exists()


def test_merge_orientation_option(tmp_path, views) -> None:
    out = tmp_path / "fibres.npz"
    args = ["merge", str(views["long1"]), str(views["iso"]), "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 1
    result = runner.invoke(app, [*args, "--orientation", "x=zy,y=zx"])
    assert result.exit_code == 0, result.output
    assert "normal to x: rows along z, columns along y" in result.output
    assert Characterization.load(out).provenance["merge"]["orientation"]["y"] == "zx"
    same = runner.invoke(app, [*args, "--orientation", "x=zy", "--orientation", "y=zx",
                               "--overwrite"])
    assert same.exit_code == 0, same.output
    bad = runner.invoke(app, [*args, "--orientation", "x"])
    assert bad.exit_code == 2 and "AXIS=ORDER pairs such as x=zy" in bad.output


def test_interpolate_writes_every_step(tmp_path, views) -> None:
    out = tmp_path / "steps"
    result = runner.invoke(app, ["interpolate", str(views["iso"]), str(views["long1"]),
                                 "--steps", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"step_0{k}.npz" for k in range(5)]
    assert "(t = 0.25)" in result.output
    ends = [Characterization.load(files[0]), Characterization.load(files[-1])]
    for end, source in zip(ends, ("iso", "long1"), strict=True):
        np.testing.assert_array_equal(end["two_point"],
                                      Characterization.load(views[source])["two_point"])
    again = runner.invoke(app, ["interpolate", str(views["iso"]), str(views["long1"]),
                                "--n-steps", "3", "-o", str(out)])
    assert again.exit_code == 1 and "not empty" in again.output


def test_interpolate_refuses_mismatches_without_creating_the_directory(tmp_path, views):
    out = tmp_path / "steps"
    result = runner.invoke(app, ["interpolate", str(views["iso"]), str(views["three"]),
                                 "-o", str(out)])
    assert result.exit_code == 1 and "has 2 phases but" in result.output
    assert not out.exists()


def test_smooth_writes_the_result_with_preserved_fractions(tmp_path) -> None:
    labels = gaussian_random_field((32, 24, 16), 1.5, volume_fraction=0.3, seed=0) * 255
    labels[np.random.default_rng(0).random(labels.shape) < 0.05] = 255
    source = tmp_path / "noisy.npy"
    np.save(source, labels)
    out = tmp_path / "smooth.tif"
    result = runner.invoke(app, ["smooth", str(source), "-o", str(out), "--method", "median",
                                 "--strength", "1.5", "--preserve-volume-fractions"])
    assert result.exit_code == 0, result.output
    smoothed = read_microstructure(out)
    assert smoothed.label_values == (0, 255) and smoothed.shape == labels.shape
    np.testing.assert_array_equal(smoothed.volume_fractions(),
                                  read_microstructure(source).volume_fractions())
    assert "volume fractions 0.6" in result.output


@pytest.mark.parametrize(("args", "message", "code"), [
    (["--method", "box"], "method must be one of gaussian, median", 1),
    (["--strength", "wide"], "--strength needs a number or one per axis", 2),
    (["--strength", "1,1,1"], "one value or one per axis (2)", 1),
])
def test_smooth_bad_options_exit_with_a_message(tmp_path, args, message, code) -> None:
    source = tmp_path / "in.npy"
    np.save(source, np.tile([0, 1], (8, 4)))
    result = runner.invoke(app, ["smooth", str(source), "-o", str(tmp_path / "o.npy"), *args])
    assert result.exit_code == code and message in result.output
    assert not (tmp_path / "o.npy").exists()
