"""``mcrkit view``, ``export`` and ``compare`` through typer's runner."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.cli import app
from mcrkit.io.vti import read_vti

pytestmark = pytest.mark.usefixtures("screen_dpi")
runner = CliRunner()
EXAMPLE = str(mcrkit.data.path("pymks_ms_64x64_1"))


def test_view_saves_each_kind(tmp_path, small_run) -> None:
    run_dir, _ = small_run
    for args, name in [([EXAMPLE], "m.png"), ([str(run_dir)], "conv.png"),
                       ([str(run_dir), "--kind", "microstructure"], "vol.png"),
                       ([str(run_dir), "--kind", "characterization"], "char.png"),
                       ([str(run_dir / "report.json")], "report.png")]:
        result = runner.invoke(app, ["view", *args, "--save", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 10_000


def test_view_animates_a_run(tmp_path, small_run) -> None:
    run_dir, _ = small_run
    result = runner.invoke(app, ["view", str(run_dir), "--animate", str(tmp_path / "a.gif")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.gif").stat().st_size > 1000


def test_export_vti_from_a_run_keeps_the_labels(tmp_path, small_run) -> None:
    run_dir, result = small_run
    out = tmp_path / "result.vti"
    done = runner.invoke(app, ["export", str(run_dir), "-o", str(out), "--voxel-size", "0.5"])
    assert done.exit_code == 0, done.output
    back = read_vti(out)
    assert np.array_equal(back["labels"], result.labels)
    assert back["spacing"] == (0.5, 0.5, 0.5)


def test_compare_self_and_shuffled(tmp_path) -> None:
    same = runner.invoke(app, ["compare", EXAMPLE, EXAMPLE, "-o", str(tmp_path / "self")])
    assert same.exit_code == 0, same.output
    assert "  verdict: good\n" in same.output
    assert json.loads((tmp_path / "self" / "report.json").read_text())["verdict"]["good"]
    labels = mcrkit.data.load("pymks_ms_64x64_1")
    shuffled = tmp_path / "shuffled.npy"
    np.save(shuffled, np.random.default_rng(0).permutation(labels.ravel()).reshape(labels.shape))
    other = runner.invoke(app, ["compare", EXAMPLE, str(shuffled), "-o", str(tmp_path / "sh")])
    assert other.exit_code == 0, other.output
    for statistic in ("S2 scaled", "lineal path", "chord length CDF", "Euler characteristic"):
        assert any(statistic in line and "FAIL" in line for line in other.output.splitlines())
    assert "  verdict: not good: " in other.output
    assert (tmp_path / "sh" / "report.png").stat().st_size > 10_000
    before = (tmp_path / "sh" / "report.json").read_bytes()
    again = runner.invoke(app, ["compare", EXAMPLE, EXAMPLE, "-o", str(tmp_path / "sh")])
    assert again.exit_code == 1 and "already holds report.json and report.png" in again.output
    assert (tmp_path / "sh" / "report.json").read_bytes() == before  # never overwritten


def test_bad_inputs_exit_with_a_message(tmp_path) -> None:
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    (tmp_path / "bad.json").write_text("{}")
    for args, message, code in [
        (["view", str(tmp_path / "none.npy")], "no such file", 1),
        (["view", str(tmp_path / "bad.npz")], "cannot be read", 1),
        (["view", str(tmp_path / "bad.json")], "not a validation report", 1),
        (["view", EXAMPLE, "--kind", "nope", "--save", str(tmp_path / "x.png")], "unknown view",
         1),
        (["export", EXAMPLE, "-o", str(tmp_path / "x.abc")], "--to FORMAT", 1),
        (["export", EXAMPLE, "-o", str(tmp_path / "x.vti"), "--voxel-size", "a"], "numbers", 2),
        (["compare", EXAMPLE, str(tmp_path / "none.npy")], "No such file", 1),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)


def test_compare_matches_phases_by_label_value(tmp_path) -> None:
    # A result without the original's value 1: its values 0 and 2 must stay phases 0 and 2
    # (read alone, the file numbers them 0 and 1), and a missing phase is reported, not a crash.
    original = (np.indices((32, 32)).sum(0) // 4 % 3).astype(np.uint8)
    result = np.where(original == 1, 2, original).astype(np.uint8)
    np.save(tmp_path / "original.npy", original)
    np.save(tmp_path / "result.npy", result)
    out = runner.invoke(app, ["compare", str(tmp_path / "original.npy"),
                              str(tmp_path / "result.npy"), "-o", str(tmp_path / "r")])
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    fractions = {line["phase"]: line["result"][0] for line in report["lines"]
                 if line["statistic"] == "volume_fraction"}
    assert fractions[0] == np.mean(original == 0) and fractions[1] == 0.0
    assert fractions[2] == np.mean(result == 2)
    assert "verdict: not good: phase 1 missing from the result" in out.output
    np.save(tmp_path / "scaled.npy", original * 100)  # other values, as many phases: in order
    out = runner.invoke(app, ["compare", str(tmp_path / "original.npy"),
                              str(tmp_path / "scaled.npy"), "-o", str(tmp_path / "r3")])
    assert out.exit_code == 0 and "  verdict: good\n" in out.output
    np.save(tmp_path / "four.npy", np.arange(32 * 32).reshape(32, 32) % 4)
    out = runner.invoke(app, ["compare", str(tmp_path / "original.npy"),
                              str(tmp_path / "four.npy"), "-o", str(tmp_path / "r4")])
    assert out.exit_code == 1 and "cannot be matched phase by phase" in out.output


def test_snapshot_every_sets_the_frames_of_the_animation(tmp_path) -> None:
    import imageio.v3 as iio

    np.save(tmp_path / "small.npy", np.load(EXAMPLE)[:16, :16])
    out = runner.invoke(app, ["match", str(tmp_path / "small.npy"), "-o", str(tmp_path / "run"),
                              "--limit-to", "3", "--max-iter", "6", "--seed", "0", "--quiet",
                              "--snapshot-every", "2"])
    assert out.exit_code == 0, out.output
    with np.load(tmp_path / "run" / "convergence.npz") as record:
        iterations = record["snapshot_iterations"].tolist()
        snapshots = record["snapshots"]
    assert {2, 4} <= set(iterations)
    out = runner.invoke(app, ["view", str(tmp_path / "run"), "--animate", str(tmp_path / "a.gif")])
    assert out.exit_code == 0, out.output
    # a GIF shows a snapshot equal to the one before as a longer frame
    pairs = zip(snapshots[:-1], snapshots[1:], strict=True)
    changes = 1 + sum(not np.array_equal(a, b) for a, b in pairs)
    assert iio.imread(tmp_path / "a.gif", index=None).shape[0] == changes


def test_compare_a_volume_with_a_3d_original(tmp_path) -> None:
    from mcrkit.generators import gaussian_random_field

    original, other = tmp_path / "truth.npy", tmp_path / "result.npy"
    np.save(original, gaussian_random_field((16, 16, 16), 1.5, seed=0))
    np.save(other, gaussian_random_field((16, 16, 16), (4.0, 1.5, 1.5), seed=1))
    done = runner.invoke(app, ["compare", str(original), str(other), "--limit-to", "3",
                               "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    rows = {(line["axis"], line["statistic"], line["phase"], line.get("direction"))
            for line in report["lines"]}
    for phase in (0, 1):
        for statistic in ("euler_density", "largest_cluster", "surface_density",
                          "feature_size"):
            assert ("3D", statistic, phase, None) in rows
        assert {("3D", "percolation", phase, d) for d in "xyz"} <= rows
        for axis in "xyz":  # the 2D statistics per orientation
            assert (axis, "lineal_path", phase, None) in rows
    assert "surface area per voxel (3D)" in done.output
    assert report["volume"] is None  # judged row by row instead
    # elongated along x: its slices' statistics along x are off the truth's
    assert "verdict: not good" in done.output and "slices normal to" in done.output


def test_compare_judges_a_run_under_its_assumption(tmp_path) -> None:
    from mcrkit.generators import gaussian_random_field

    image = tmp_path / "long.npy"
    np.save(image, gaussian_random_field((32, 32), (5.0, 2.0), seed=1))
    mcrkit.match(str(image), add_dimension=8, limit_to=4, max_iter=2, seed=0, device="cpu",
                 report=False, symmetry="x", run_dir=tmp_path / "run")
    done = runner.invoke(app, ["compare", str(image), str(tmp_path / "run"), "--limit-to", "4",
                               "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["assumption"]["axis"] == "x"
    assert "topology of the slices normal to x" in report["verdict"]["text"]
    assert "assumed transversely isotropic about x" in done.output


def gray_micrograph(path):
    """A gray image of two phases (40 and 200) with noise: 200+ gray levels."""
    import imageio.v3 as iio

    rng = np.random.default_rng(0)
    phases = np.indices((40, 48)).sum(0) // 6 % 2
    iio.imwrite(path, np.clip(40 + 160 * phases + rng.normal(0, 12, phases.shape), 0,
                              255).astype(np.uint8))
    return phases


def test_view_without_a_display_says_so_and_exits_3(tmp_path, monkeypatch) -> None:
    import sys

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = runner.invoke(app, ["view", EXAMPLE])
    assert out.exit_code == 3
    assert "nothing can be shown here: there is no display" in out.output
    assert f"mcrkit view {EXAMPLE} --save FILE.png" in out.output
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # a display, but the tests draw on Agg
    gray_micrograph(tmp_path / "gray.png")
    out = runner.invoke(app, ["view", str(tmp_path / "gray.png"), "--threshold", "otsu"])
    assert out.exit_code == 3
    assert "matplotlib's backend 'agg' writes files and opens no window" in out.output
    assert "--threshold otsu --save FILE.png" in out.output
    (tmp_path / "bad.npz").write_bytes(b"not a zip")  # a bad input is reported first
    out = runner.invoke(app, ["view", str(tmp_path / "bad.npz")])
    assert out.exit_code == 1 and "cannot be read" in out.output


def test_view_shows_a_gray_image_beside_its_segmentation(tmp_path) -> None:
    gray_micrograph(tmp_path / "gray.png")
    for options, name in [(["--threshold", "otsu"], "otsu.png"), (["--phases", "2"], "k.png"),
                          (["--threshold", "120", "--kind", "microstructure"], "m.png")]:
        out = runner.invoke(app, ["view", str(tmp_path / "gray.png"), *options,
                                  "--save", str(tmp_path / name)])
        assert out.exit_code == 0, out.output
        assert (tmp_path / name).stat().st_size > 10_000
    out = runner.invoke(app, ["view", str(tmp_path / "gray.png")])
    assert out.exit_code == 1 and "--threshold otsu or --phases N" in out.output  # view has them
    for options, message, code in [
            (["--threshold", "abc"], "--threshold threshold must be a number", 2),
            (["--threshold", "300"], "puts every pixel in one phase", 1),
            (["--kind", "segmentation"], "--kind segmentation shows how a gray image is "
                                         "segmented: give --threshold VALUE", 1)]:
        out = runner.invoke(app, ["view", str(tmp_path / "gray.png"), *options,
                                  "--save", str(tmp_path / "x.png")])
        assert out.exit_code == code and message in out.output, (options, out.output)
    assert not (tmp_path / "x.png").exists()


def test_export_segments_a_gray_image_with_the_same_options(tmp_path) -> None:
    phases = gray_micrograph(tmp_path / "gray.png")
    for options in (["--threshold", "otsu"], ["--phases", "2"]):
        out = runner.invoke(app, ["export", str(tmp_path / "gray.png"), *options,
                                  "-o", str(tmp_path / f"{options[0][2:]}.tif")])
        assert out.exit_code == 0, out.output
        back = mcrkit.read_microstructure(tmp_path / f"{options[0][2:]}.tif")
        assert np.array_equal(back.labels, phases)
    out = runner.invoke(app, ["export", str(tmp_path / "gray.png"), "-o", str(tmp_path / "x.tif")])
    assert out.exit_code == 1 and "--threshold otsu or --phases N" in out.output


def test_figure_formats_are_checked_before_any_work(tmp_path) -> None:
    for args in (["view", EXAMPLE, "--save", str(tmp_path / "m.bmp")],
                 ["match", EXAMPLE, "-o", str(tmp_path / "run"), "--plot",
                  str(tmp_path / "m.gif")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and ".pdf, .svg, .eps" in result.output, result.output
    assert not list(tmp_path.iterdir())  # no run directory, no picture
    saved = runner.invoke(app, ["view", EXAMPLE, "--save", str(tmp_path / "m.pdf")])
    assert saved.exit_code == 0 and (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF-")
