"""Every view kind renders headless to a non-trivial picture; interactive controls work."""

from __future__ import annotations

import types

import imageio.v3 as iio
import numpy as np
import pytest

import mcrkit
from mcrkit.plotting.animation import animate_snapshots
from mcrkit.plotting.convergence import load_convergence, plot_convergence
from mcrkit.plotting.microstructure import plot_cube, plot_microstructure
from mcrkit.plotting.view import view

pytestmark = pytest.mark.usefixtures("screen_dpi")


def colors(image: np.ndarray) -> int:
    """Number of distinct colours of an RGB(A) image."""
    packed = image[..., :3].astype(np.uint32) @ np.array([1, 256, 65536], dtype=np.uint32)
    return len(np.unique(packed))


def assert_picture(path, min_size=(300, 300)) -> np.ndarray:
    image = iio.imread(path)
    assert image.shape[0] >= min_size[0] and image.shape[1] >= min_size[1]
    assert colors(image) > 2  # not blank
    return image


def test_2d_microstructure_with_legend(tmp_path) -> None:
    path = tmp_path / "2d.png"
    fig = view(mcrkit.data.path("pymks_ms_64x64_1"), save=path)
    assert_picture(path)
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert texts[0].startswith("phase 0 (value 0)") and len(texts) == 2


def test_3d_microstructure_slices_and_cube(tmp_path, small_run) -> None:
    run_dir, result = small_run
    path = tmp_path / "3d.png"
    fig = view(run_dir, kind="microstructure", save=path)
    assert_picture(path)
    titles = [ax.get_title() for ax in fig.axes[:4]]  # the match run keeps its original
    assert titles == ["original (32, 32)", "slice x = 16", "slice y = 16", "slice z = 6"]
    assert fig.axes[4].name == "3d"
    plot_cube(result.labels, save=tmp_path / "cube.png")
    assert_picture(tmp_path / "cube.png")


def test_three_phase_colors_are_distinct(tmp_path) -> None:
    labels = np.indices((24, 24)).sum(0) % 3
    plot_microstructure(labels, save=tmp_path / "p3.png")
    image = assert_picture(tmp_path / "p3.png")
    assert colors(image) >= 4


def test_characterization_view(tmp_path, small_run) -> None:
    run_dir, _ = small_run
    path = tmp_path / "c.png"
    view(run_dir / "characterization.npz", save=path)
    assert_picture(path)


def test_convergence_view_marks_snapshots_and_levels(tmp_path, small_run) -> None:
    run_dir, result = small_run
    fig = view(run_dir, save=tmp_path / "conv.png")
    assert_picture(tmp_path / "conv.png")
    loss_ax = fig.axes[0]
    markers = [line for line in loss_ax.lines if line.get_marker() == "o"][0]
    assert list(markers.get_xdata()) == result.snapshot_iterations
    assert any(t.get_text() == "level 1" for t in loss_ax.texts)  # multigrid change annotated
    # the same figure from the result object in memory
    same = view(result, save=tmp_path / "conv2.png")
    assert same.axes[1].get_title() == fig.axes[1].get_title()
    assert (fig.axes[1].get_xlabel(), fig.axes[1].get_ylabel()) == ("x (px)", "y (px)")


def test_interactive_convergence_keys_and_clicks(small_run) -> None:
    run_dir, result = small_run
    fig = plot_convergence(run_dir)
    panel = fig.mcrkit_widgets
    last = len(result.snapshot_iterations) - 1
    assert panel.index == last
    panel.key(types.SimpleNamespace(key="right"))
    assert panel.index == 0
    panel.key(types.SimpleNamespace(key="left"))
    assert panel.index == last
    panel.pick(types.SimpleNamespace(ind=np.array([1])))
    assert f"iteration {result.snapshot_iterations[1]}" in panel.ax.get_title()
    panel.key(types.SimpleNamespace(key="c"))
    assert "phase 0 indicator" in panel.ax.get_title()
    panel.key(types.SimpleNamespace(key="up"))
    assert "slice z = 7" in panel.ax.get_title()
    for _ in range(2):  # past phase 1's indicator to phase 0's fraction in the relaxed field
        panel.key(types.SimpleNamespace(key="c"))
    assert "phase 0 fraction in the relaxed field" in panel.ax.get_title()
    shown = np.asarray(panel.ax.images[0].get_array())
    fractions = result.snapshot_fields[1][0][:, :, 7] / 255
    assert np.array_equal(shown, fractions.T)
    assert not np.isin(fractions, (0.0, 1.0)).all()  # a relaxed field, not labels
    panel.key(types.SimpleNamespace(key="c"))
    panel.key(types.SimpleNamespace(key="c"))
    assert "labels" in panel.ax.get_title()  # and round again
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_snapshot_fields_are_the_relaxed_field_of_the_labels(small_run) -> None:
    run_dir, result = small_run
    assert len(result.snapshot_fields) == len(result.snapshots)
    for labels, fractions in zip(result.snapshots, result.snapshot_fields, strict=True):
        assert fractions.dtype == np.uint8 and fractions.shape == (2, *labels.shape)
        assert np.abs(fractions.astype(int).sum(axis=0) - 255).max() <= 1  # on the simplex
        decided = np.abs(fractions[1].astype(int) - fractions[0]) > 1  # ties may round either way
        assert np.array_equal(fractions.argmax(axis=0)[decided], labels[decided])
    with np.load(run_dir / "convergence.npz") as stored:
        assert np.array_equal(stored["snapshot_fields"], np.stack(result.snapshot_fields))


def test_interactive_slice_sliders_move_the_slices(small_run) -> None:
    _, result = small_run
    fig = plot_microstructure(result.labels)
    sliders = fig.mcrkit_widgets
    sliders[2].set_val(3)
    shown = fig.axes[2].images[0].get_array()
    assert np.array_equal(np.asarray(shown), result.labels[:, :, 3].T)
    assert fig.axes[2].get_title() == "slice z = 3"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_animation_has_one_frame_per_snapshot(tmp_path, small_run) -> None:
    run_dir, result = small_run
    path = animate_snapshots(run_dir, tmp_path / "run.gif")
    frames = iio.imread(path, index=None)
    assert frames.shape[0] == len(result.snapshot_iterations)
    assert not np.array_equal(frames[0], frames[-1])


def test_bad_inputs_have_clear_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown view kind 'nope'"):
        view(np.eye(4), kind="nope")
    with pytest.raises(TypeError, match="cannot draw a dict"):
        view({"a": 1})
    with pytest.raises(ValueError, match="holds no snapshots"):
        animate_snapshots({"iteration": [1], "loss": [1.0]}, tmp_path / "x.gif")
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate_snapshots(load_convergence({"iteration": [1], "loss": [1.0],
                                            "snapshots": np.zeros((1, 2, 2), np.uint8),
                                            "snapshot_iterations": [1]}), tmp_path / "x.avi")


def _stripes_along_x(shape) -> np.ndarray:
    """Phase 1 in segments of 12 voxels along x (array axis 0), randomly placed."""
    rng = np.random.default_rng(3)
    labels = np.zeros(shape, dtype=np.uint8)
    for _ in range(int(np.prod(shape[1:])) // 3):
        start = rng.integers(0, shape, len(shape))
        index = tuple([(start[0] + np.arange(12)) % shape[0],
                       *(np.full(12, s) for s in start[1:])])
        labels[index] = 1
    return labels


def test_characterization_maps_are_drawn_like_the_structure(tmp_path) -> None:
    # Elongated along x: S2 stays high along r_x, which must run to the right (like x in the
    # picture of the structure); curves and maps show phase 1 and say so.
    labels = _stripes_along_x((48, 48))
    c = mcrkit.characterize(labels, ["two_point", "lineal_path", "chord_length"], limit_to=6)
    fig = view(c, save=tmp_path / "c.png")
    s2_ax, lp_ax, chord_ax = (next(ax for ax in fig.axes if ax.get_title().startswith(name))
                              for name in ("Two-point correlation S2", "Lineal path",
                                           "Chord length distribution"))
    image = s2_ax.images[0]
    data = np.asarray(image.get_array())
    assert image.origin == "lower" and s2_ax.get_xlabel() == "$r_x$ (px)"
    assert data[6, 6 + 5] > 2 * data[6 + 5, 6]  # row = r_y, column = r_x
    assert "phase 1" in s2_ax.get_title()
    phi = labels.mean()  # the lineal path of both phases (colours C0, C1): L(0) = fractions
    starts = {line.get_color(): line.get_ydata()[0] for line in lp_ax.lines}
    assert starts == pytest.approx({"C0": 1 - phi, "C1": phi})
    assert [t.get_text() for t in chord_ax.get_legend().get_texts()] == [
        "phase 1", "along x", "along y"]


def test_characterization_of_a_volume_names_in_plane_axes(tmp_path) -> None:
    labels = _stripes_along_x((24, 20, 16))
    c = mcrkit.characterize(labels, ["two_point", "chord_length"], limit_to=4)
    fig = view(c, save=tmp_path / "c3.png")
    s2 = [ax for ax in fig.axes if ax.get_title().startswith("Two-point correlation S2")]
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in s2] == [
        ("$r_y$ (px)", "$r_z$ (px)"), ("$r_x$ (px)", "$r_z$ (px)"),
        ("$r_x$ (px)", "$r_y$ (px)")]
    normal_to_z = np.asarray(s2[2].images[0].get_array())
    assert normal_to_z[4, 4 + 3] > 2 * normal_to_z[4 + 3, 4]  # x to the right


def test_long_sources_are_shortened_in_titles(tmp_path) -> None:
    from mcrkit.microstructure import Microstructure

    ms = Microstructure(np.eye(8, dtype=np.uint8), (0, 1),
                        source="/a/very/long/folder/name/for/a/microstructure/sample_7.npy")
    fig = plot_microstructure(ms, save=tmp_path / "long.png")
    title = fig._suptitle.get_text()
    assert title.startswith(".../") and title.endswith("sample_7.npy: shape (8, 8)")
    assert len(title) <= 60


def test_cross_correlation_map_names_its_pair(tmp_path) -> None:
    labels = np.indices((24, 24)).sum(0) // 3 % 3
    c = mcrkit.characterize(labels, ["two_point_cross"], limit_to=4)
    fig = view(c, save=tmp_path / "cross.png")
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == [
        f"Two-point cross-correlation, phases {i} and {j}" for i, j in ((0, 1), (0, 2), (1, 2))]


def test_anisotropic_voxels_keep_their_physical_aspect(tmp_path) -> None:
    from mcrkit.microstructure import Microstructure

    labels = (np.indices((8, 6, 4)).sum(0) % 2).astype(np.uint8)
    ms = Microstructure(labels, (0, 1), source="fib.tif", voxel_size=(0.5, 0.5, 2.0))
    fig = plot_microstructure(ms, save=tmp_path / "fib.png")
    normal_to_x, normal_to_y, normal_to_z = fig.axes[:3]
    # drawn in micrometres at equal data aspect: y right (6 x 0.5), z up (4 x 2.0)
    assert normal_to_x.images[0].get_extent() == [0, 3.0, 0, 8.0]
    assert normal_to_y.images[0].get_extent() == [0, 4.0, 0, 8.0]
    assert all(ax.get_aspect() == 1.0 for ax in (normal_to_x, normal_to_y, normal_to_z))
    assert (normal_to_x.get_xlabel(), normal_to_x.get_ylabel()) == ("y (µm)", "z (µm)")
    box = fig.axes[3].get_box_aspect()
    assert box[2] / box[0] == pytest.approx(4 * 2.0 / (8 * 0.5))
    assert fig._suptitle.get_text() == (
        "fib.tif: shape (8, 6, 4), voxel size 0.5 x 0.5 x 2 µm")
    plain = plot_microstructure(labels, save=tmp_path / "plain.png")
    assert plain.axes[0].images[0].get_extent() == [0, 6, 0, 4]
    assert plain.axes[0].get_xlabel() == "y (px)"


def test_a_gray_image_is_shown_beside_its_segmentation(tmp_path, small_run) -> None:
    gray = np.add.outer(np.arange(40), np.arange(30)) * 3 % 256
    np.save(tmp_path / "gray.npy", gray)
    path = tmp_path / "seg.png"
    fig = view(tmp_path / "gray.npy", threshold="otsu", save=path)
    assert_picture(path)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["image", "gray levels", "phases"]
    assert "otsu threshold" in fig._suptitle.get_text()
    cut = fig.axes[1].lines[0].get_xdata()[0]
    assert 0 < cut < 255
    phases = fig.axes[2].images[0].get_array()
    assert np.array_equal(phases.T, (gray > cut).astype(np.uint8))  # drawn x right, y up
    fig = view(gray, phases=3, kind="microstructure", save=tmp_path / "m.png")
    assert len(fig.legends[0].get_texts()) == 3
    run_dir, _ = small_run
    with pytest.raises(ValueError, match="segment a gray image; .* is not one"):
        view(run_dir, threshold=1, save=tmp_path / "x.png")
