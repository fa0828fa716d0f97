"""Figures are publication-ready: resolution and format, units, colour keys, names, layout."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

import mcrkit
from mcrkit.metrics.report import REPORT_DPI, validation_report, write_report
from mcrkit.microstructure import Microstructure
from mcrkit.plotting.characterization import plot_characterization
from mcrkit.plotting.figures import DPI
from mcrkit.plotting.microstructure import plot_microstructure
from mcrkit.plotting.reconstruction import plot_reconstruction
from mcrkit.plotting.report import _COLORS, _table, plot_report

EXAMPLE = mcrkit.data.load("pymks_ms_64x64_1")
HEADERS = {"pdf": b"%PDF-", "svg": b"<svg", "eps": b"%!PS-Adobe-3.0 EPSF"}


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures drawn without ``save`` are pyplot figures: close them after each test."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("suffix", ["png", "pdf", "svg", "eps"])
def test_the_suffix_chooses_the_format(tmp_path, suffix) -> None:
    path = tmp_path / f"figure.{suffix}"
    plot_microstructure(EXAMPLE[:16, :16], save=path)
    head = path.read_bytes()[:400]
    if suffix == "png":
        assert head.startswith(b"\x89PNG")
        with Image.open(path) as image:
            assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
            assert image.width == round(4.6 * DPI)  # the figure's width in inches
    else:
        assert HEADERS[suffix] in head and b"\x89PNG" not in head


def test_an_unknown_suffix_is_refused_before_anything_is_written(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"\.png, .* or \.pdf, \.svg, \.eps"):
        plot_microstructure(EXAMPLE[:8, :8], save=tmp_path / "figure.bmp")
    assert not list(tmp_path.iterdir())


def test_lengths_in_the_unit_of_the_voxel_size_with_a_scale_bar(check_layout) -> None:
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    known = Microstructure(EXAMPLE, (0, 1), source="sem.tif", voxel_size=(0.25, 0.25))
    fig = plot_microstructure(known)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x (µm)", "y (µm)")
    assert ax.images[0].get_extent() == [0, 16.0, 0, 16.0]  # 64 px of 0.25 µm
    bars = [a for a in ax.artists if isinstance(a, AnchoredSizeBar)]
    assert [bar.txt_label.get_text() for bar in bars] == ["2 µm"]  # a round fifth of 16 µm
    check_layout(fig)
    plain = plot_microstructure(EXAMPLE)
    assert plain.axes[0].get_xlabel() == "x (px)"
    assert not [a for a in plain.axes[0].artists if isinstance(a, AnchoredSizeBar)]


def test_a_volume_figure_keeps_its_labels_inside_and_apart(tmp_path, check_layout) -> None:
    labels = (np.indices((12, 10, 6)).sum(0) // 2 % 2).astype(np.uint8)
    fig = plot_microstructure(labels, original=labels[:, :, 0], save=tmp_path / "v.pdf")
    check_layout(fig)  # the cube's z label was clipped and ran into its neighbour
    cube = fig.axes[4]
    assert cube.get_zlabel() == "z (px)" and cube.zaxis.label.get_rotation() == 90


def _is_key(ax) -> bool:
    """Whether ``ax`` holds a colour bar."""
    return getattr(ax, "_colorbar", None) is not None


def _labelled_panels(fig):
    """The panels of a figure, without colour bars."""
    return [ax for ax in fig.axes if not _is_key(ax)]


def test_characterization_panels_are_named_keyed_and_labelled(check_layout) -> None:
    c = mcrkit.characterize(EXAMPLE[:24, :24], ["volume_fractions", "two_point",
                                                 "correlations", "lineal_path", "chord_length",
                                                 "variation", "local_patterns"], limit_to=3)
    fig = plot_characterization(c)
    check_layout(fig)
    panels = _labelled_panels(fig)
    shown = [ax for ax in panels if ax.axison]
    assert len(shown) == 7
    for ax in shown:
        assert "_" not in ax.get_title() and ax.get_ylabel(), ax.get_title()
    maps = [ax for ax in shown if ax.images]
    assert len(maps) == 2 and len(fig.axes) - len(panels) == 2  # a colour bar per map
    bars = next(ax for ax in shown if ax.get_title() == "Volume fractions")
    assert bars.get_ylabel() == "volume fraction"
    assert [t.get_text() for t in bars.get_xticklabels()] == ["phase 0", "phase 1"]
    lineal = next(ax for ax in shown if ax.get_title() == "Lineal path")
    assert {line.get_color() for line in lineal.lines} == {"C0", "C1"}  # every phase


def test_correlations_show_the_three_point_probability_of_right_triangles() -> None:
    labels = EXAMPLE[:24, :24]
    c = mcrkit.characterize(labels, ["two_point", "correlations"], limit_to=3)
    fig = plot_characterization(c)
    ax = next(ax for ax in fig.axes if ax.get_title().startswith("Two- and three-point"))
    triangles = np.asarray(ax.images[0].get_array()).T  # [a, b]: legs along x and y
    phase = labels == 1
    for a, b in [(0, 0), (2, 0), (0, 1), (2, 1), (1, 2)]:  # S3(0, a x, b y), independently
        both = phase & np.roll(phase, -a, axis=0) & np.roll(phase, -b, axis=1)
        assert triangles[a, b] == pytest.approx(both.mean())
    s2 = np.asarray(c["two_point"][0])  # the edges are S2 along each axis
    assert triangles[:, 0] == pytest.approx(s2[3:, 3][:3])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("leg $a$ along x (px)", "leg $b$ along y (px)")


def test_the_plot_of_a_run_has_a_phase_legend_and_axis_labels(tmp_path, check_layout) -> None:
    volume = (np.indices((12, 12, 6)).sum(0) // 3 % 2).astype(np.uint8)
    history = {"iteration": np.arange(1, 5), "loss": np.array([1.0, 0.5, 0.2, 0.1])}
    fig = plot_reconstruction(volume, original=EXAMPLE[:12, :12], history=history,
                              save=tmp_path / "run.svg")
    check_layout(fig)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["phase 0", "phase 1"]
    assert [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes] == [
        ("x (px)", "y (px)"), ("y (px)", "z (px)"), ("x (px)", "z (px)"), ("x (px)", "y (px)"),
        ("iteration", "loss (relaxed field)")]


def test_the_report_figure_shows_the_verdict_with_named_rows_and_a_colour_key(
        tmp_path, check_layout) -> None:
    original = EXAMPLE[:32, :32]
    shuffled = np.random.default_rng(1).permutation(original.ravel()).reshape(original.shape)
    c = mcrkit.characterize(original, ["two_point"], limit_to=4)
    report = validation_report(original, shuffled, characterization=c,
                               descriptors=["two_point"], limit_to=4)
    write_report(report, tmp_path)  # the run directory's figure, for the screen
    with Image.open(tmp_path / "report.png") as image:
        assert image.info["dpi"] == pytest.approx((REPORT_DPI, REPORT_DPI), abs=0.05)  # per metre
    plot_report(report, save=tmp_path / "saved.png")  # one the user saves: as every figure
    with Image.open(tmp_path / "saved.png") as image:
        assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
    fig = plot_report(report)
    check_layout(fig)
    assert report["verdict"]["text"] in fig._suptitle.get_text().replace("\n", " ")
    table, key = (ax for ax in fig.axes if ax.images)
    rows = [t.get_text() for t in table.texts if t.get_horizontalalignment() == "right"]
    assert rows[0] == "Two-point correlation S2 vs target"
    assert "S₂ scaled autocovariance, phase 0" in rows
    assert "percolation along y, phase 1" in rows
    assert not [r for r in rows if " p0" in r or "*" in r or "phi^2" in r or "_" in r or "$" in r]
    # every cell in the colour of its bin, with its value
    names, _, _, ratios = _table(report)
    assert rows == names and table.images[0].get_array().shape == (*ratios.shape, 3)
    def colour(ratio: float) -> str:  # the key's bins: "≤ 0.5", "0.5–1", ..., "> 10"
        if np.isnan(ratio):
            return "0.85"
        bounds = (0.5, 1, 2, 10, np.inf)
        return next(c for b, c in zip(bounds, _COLORS, strict=True) if ratio <= b)

    assert [tuple(c) for c in table.images[0].get_array()[:, 0]] == [
        to_rgb(colour(r)) for r in ratios[:, 0]]
    assert {colour(r) for r in ratios[:, 0]} >= {_COLORS[0], _COLORS[-1]}  # passes and fails
    assert [t.get_text() for t in key.texts] == ["> 10", "2–10", "1–2", "0.5–1", "≤ 0.5",
                                                 "deviation / pass line (≤ 1 passes)"]
    curves = [ax.get_title() for ax in fig.axes if ax.lines]
    assert {title.rsplit(", ", 1)[1] for title in curves} == {"phase 0", "phase 1"}
    assert len(curves) == 6  # S2, lineal path, chords of every phase


def test_a_report_without_the_original_says_what_it_cannot_judge(tmp_path, check_layout):
    c = mcrkit.characterize(EXAMPLE[:32, :32], ["two_point"], limit_to=4)
    result = EXAMPLE[32:, 32:]
    report = validation_report(None, result, characterization=c, descriptors=["two_point"],
                               limit_to=4)
    fig = plot_report(report)
    check_layout(fig)
    text = " ".join(t.get_text() for t in fig.texts + [t for ax in fig.axes for t in ax.texts])
    assert "Cannot judge without the original structure" in text
    assert all(name in text for name in report["verdict"]["cannot_judge"])
    assert "0 within" not in text
    # a report that compared nothing: its table, and no figure
    empty = validation_report(None, result, limit_to=4)
    assert empty["lines"] == [] and empty["verdict"]["text"].startswith("cannot judge")
    written = write_report(empty, tmp_path)
    assert [p.name for p in written] == ["report.json"] and not (tmp_path / "report.png").exists()
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == empty["verdict"]
    with pytest.raises(ValueError, match="no rows to draw"):
        plot_report(empty)


def test_characterization_lengths_follow_the_voxel_size() -> None:
    c = mcrkit.characterize(EXAMPLE[:24, :24], ["two_point", "chord_length"], limit_to=3)
    physical = dataclasses.replace(c, voxel_size=(0.5, 0.5))
    fig = plot_characterization(physical)
    s2, chords = (ax for ax in _labelled_panels(fig) if ax.axison)
    assert s2.get_xlabel() == "$r_x$ (µm)" and s2.images[0].get_extent()[1] == 3.5 * 0.5
    assert chords.get_xlabel() == "chord length $\\ell$ (µm)"
    assert chords.lines[0].get_xdata()[:3] == pytest.approx([0.5, 1.0, 1.5])
    assert "voxel size 0.5 x 0.5 µm" in fig._suptitle.get_text()


def test_the_layout_check_finds_clipped_and_overlapping_text(check_layout) -> None:
    from matplotlib.figure import Figure

    layout_problems = check_layout.problems
    fig = Figure(figsize=(3, 2))
    left, right = fig.subplots(1, 2)
    left.set_ylabel("inside")
    right.set_ylabel("a label far too long for the gap between the two panels")
    fig.text(0.9, 0.5, "cut off at the right edge")
    problems = layout_problems(fig)
    assert any(p.startswith("outside the figure: 'cut off") for p in problems)
    assert any(p.startswith("overlap: ") for p in problems)
    fig.texts.clear()
    right.set_ylabel("")
    fig.set_layout_engine("constrained")
    assert layout_problems(fig) == []
