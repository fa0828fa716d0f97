"""The one verdict: deliberately wrong results are "not good" and name the statistic; samples
of the same structure are "good"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.report import validation_report
from mcrkit.metrics.verdict import format_verdict, judge, pass_line


def _periodic_distance(points: np.ndarray, centres: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Squared distances on the torus, ``(points, centres)``."""
    d = np.abs(points[:, None, :] - centres[None])
    return (np.minimum(d, size - d) ** 2).sum(-1)


def _grid(shape: tuple[int, ...]) -> np.ndarray:
    return np.indices(shape).reshape(len(shape), -1).T + 0.5


def voronoi_network(shape: tuple[int, ...], cells: int, seed: int) -> np.ndarray:
    """Phase 1: the boundaries of a periodic Voronoi tessellation (a connected network)."""
    size = np.array(shape)
    centres = np.random.default_rng(seed).random((cells, len(shape))) * size
    owner = np.argmin(_periodic_distance(_grid(shape), centres, size), axis=1).reshape(shape)
    boundary = np.zeros(shape, dtype=bool)
    for axis in range(len(shape)):
        boundary |= np.roll(owner, 1, axis=axis) != owner
    return boundary.astype(np.uint8)


def punch_gaps(network: np.ndarray, count: int, seed: int) -> np.ndarray:
    """The network with ``count`` 3 x 3 gaps cut at random points of it."""
    out = network.copy()
    points = np.argwhere(network == 1)
    for point in points[np.random.default_rng(seed).choice(len(points), count, replace=False)]:
        out[tuple(slice(max(c - 1, 0), c + 2) for c in point)] = 0
    return out


def particles(shape: tuple[int, ...], count: int, radius: float, seed: int) -> np.ndarray:
    """Phase 1: ``count`` separate disks (balls), at least 4 px apart, periodic."""
    rng = np.random.default_rng(seed)
    size = np.array(shape)
    centres = np.empty((0, len(shape)))
    while len(centres) < count:
        centre = rng.random((1, len(shape))) * size
        if not len(centres) or _periodic_distance(centre, centres, size).min() >= (
                2 * radius + 4) ** 2:
            centres = np.concatenate([centres, centre])
    inside = _periodic_distance(_grid(shape), centres, size).min(axis=1) <= radius**2
    return inside.reshape(shape).astype(np.uint8)


def dilate(labels: np.ndarray, iterations: int) -> np.ndarray:
    """Phase 1 grown by ``iterations`` px on the torus."""
    pad = iterations + 1
    grown = binary_dilation(np.pad(labels, pad, mode="wrap"), iterations=iterations)
    return grown[tuple(slice(pad, -pad) for _ in labels.shape)].astype(np.uint8)


def failing(report: dict) -> set[tuple[str, int | None]]:
    return {(line["statistic"], line["phase"]) for line in report["verdict"]["failing_lines"]}


NETWORK = voronoi_network((64, 64), 24, seed=0)
DISKS = particles((64, 64), 16, 3.0, seed=0)
FIELD = gaussian_random_field((64, 64), 3.0, volume_fraction=0.35, seed=0)


def test_a_fragmented_network_is_not_good_and_called_fragmented() -> None:
    report = validation_report(NETWORK, punch_gaps(NETWORK, 60, seed=1))
    verdict = report["verdict"]
    assert not verdict["good"] and verdict["text"].startswith("not good: phase 1 fragmented")
    assert {("largest_cluster", 1), ("euler_density", 1), ("percolation", 1)} <= failing(report)


def test_a_network_with_cut_branches_is_not_good_and_names_its_dead_ends() -> None:
    report = validation_report(NETWORK, punch_gaps(NETWORK, 6, seed=1))
    assert not report["verdict"]["good"]
    assert "phase 1 dead ends of its skeleton" in report["verdict"]["text"]
    assert ("dead_ends", 1) in failing(report)
    (line,) = [line for line in report["lines"] if line["statistic"] == "dead_ends"]
    assert line["original"] == [0.0] and line["result"][0] * NETWORK.size >= 8
    # the row belongs to network phases of 2D originals only
    assert not any(line["statistic"] == "dead_ends"
                   for line in validation_report(FIELD, FIELD)["lines"])


def test_fused_particles_are_not_good_and_called_fused() -> None:
    report = validation_report(DISKS, dilate(DISKS, 3))
    assert not report["verdict"]["good"]
    assert "phase 1 fused: largest cluster" in report["verdict"]["text"]
    assert {("largest_cluster", 1), ("euler_density", 1)} <= failing(report)


def test_salt_noise_is_not_good_for_its_topology() -> None:
    flips = np.random.default_rng(2).random(FIELD.shape) < 0.03
    report = validation_report(FIELD, np.where(flips, 1 - FIELD, FIELD))
    assert not report["verdict"]["good"]
    assert "topology changed: Euler characteristic" in report["verdict"]["text"]
    assert {("euler_density", 0), ("euler_density", 1), ("interface", None)} <= failing(report)


def test_a_doubled_feature_size_is_not_good_for_its_chords() -> None:
    coarse = gaussian_random_field((64, 64), 6.0, volume_fraction=0.35, seed=1)
    report = validation_report(FIELD, coarse)
    assert not report["verdict"]["good"]
    assert "mean chord length (px)" in report["verdict"]["text"]
    assert {("mean_chord", 0), ("mean_chord", 1)} <= failing(report)
    assert ("volume_fraction", 1) not in failing(report)  # the same fraction, wrong size


def test_fused_balls_in_3d_are_not_good() -> None:
    balls = particles((32, 32, 32), 12, 3.0, seed=0)
    report = validation_report(balls, dilate(balls, 3), limit_to=4)
    assert "phase 1 fused: largest cluster" in report["verdict"]["text"]
    assert {line["axis"] for line in report["verdict"]["failing_lines"]
            if line["statistic"] == "largest_cluster"} == {"3D"}


@pytest.mark.parametrize(("original", "result"), [
    (NETWORK, voronoi_network((64, 64), 24, seed=5)),
    (DISKS, particles((64, 64), 16, 3.0, seed=7)),
    (FIELD, gaussian_random_field((64, 64), 3.0, volume_fraction=0.35, seed=1)),
], ids=["network", "disks", "field"])
def test_a_reseeded_copy_of_the_same_process_is_good(original, result) -> None:
    assert validation_report(original, result)["verdict"]["text"] == "good"


def test_a_disjoint_window_is_good_and_so_is_a_shifted_copy() -> None:
    wide = gaussian_random_field((64, 128), 3.0, volume_fraction=0.35, seed=3)
    assert validation_report(wide[:, :64], wide[:, 64:])["verdict"]["good"]
    shifted = np.roll(NETWORK, (20, 7), axis=(0, 1))
    assert validation_report(NETWORK, shifted)["verdict"]["text"] == "good"


def test_a_reseeded_volume_is_good() -> None:
    volume = gaussian_random_field((32, 32, 32), 2.0, volume_fraction=0.3, seed=0)
    other = gaussian_random_field((32, 32, 32), 2.0, volume_fraction=0.3, seed=1)
    report = validation_report(volume, other, limit_to=4)
    assert report["verdict"]["good"]
    assert {line["axis"] for line in report["lines"]} == {"x", "y", "z", "3D"}


def _row(**changes) -> dict:
    row = {"kind": "statistic", "statistic": "volume_fraction", "phase": 0, "axis": "2d",
           "original": [0.5], "result": [0.5], "deviation": 0.0, "spread": 0.01,
           "pass_line": 0.03, "passed": True, "optimized": False}
    return row | changes


def test_judge_needs_every_row_and_says_what_it_cannot_judge() -> None:
    assert judge([_row()])["text"] == "good"
    unjudged = _row(statistic="s2", spread=None, pass_line=None, passed=None)
    verdict = judge([_row(), unjudged])
    assert not verdict["good"] and verdict["text"].startswith("good on what it could judge")
    assert verdict["cannot_judge"] == ["phase 0 S2 scaled, (S2-phi^2)/(phi-phi^2)"]
    assert judge([], ["Euler characteristic per voxel"])["text"].startswith("cannot judge")
    bad = [_row(phase=p, result=[0.4], deviation=0.1, passed=False) for p in range(6)]
    text = judge(bad, shown=2)["text"]
    assert text.startswith("not good: phase 0 volume fraction 0.4, original 0.5; phase 1")
    assert text.endswith("; and 4 more")


def test_percolation_reasons_name_every_direction_once() -> None:
    rows = [_row(kind="topology", statistic="percolation", phase=1, direction=d,
                 original=[1.0], result=[0.0], deviation=1.0, spread=0.0, pass_line=0.05,
                 passed=False) for d in "xy"]
    assert judge(rows)["failing"] == ["phase 1 no longer percolates along x, y"]


def test_pass_lines() -> None:
    assert pass_line("interface", 0.01) == pytest.approx(0.03)
    assert pass_line("largest_cluster", None) == 0.05
    assert pass_line("largest_cluster", 0.1) == pytest.approx(0.3)
    assert pass_line("percolation", 0.0) == 0.05  # the original's windows agree
    assert pass_line("percolation", 0.4) == 1.0  # they do not: not decided at this size
    assert pass_line("euler_density", None) is None


def test_the_table_shows_every_row_and_the_worst_axis_table_one_per_statistic() -> None:
    volume = gaussian_random_field((16, 16, 16), 2.0, seed=4)
    report = validation_report(volume, np.roll(volume, 3, axis=0), limit_to=3)
    full = format_verdict(report).splitlines()
    assert len(full) == len(report["lines"]) + 3 and full[-1] == "  verdict: good"
    short = format_verdict(report, per_axis=False).splitlines()
    groups = {(ln["kind"], ln["statistic"], ln["phase"], ln.get("direction"))
              for ln in report["lines"]}
    assert len(short) == len(groups) + 3 and "(worst axis)" in short[0]


def test_a_connected_phase_must_keep_spanning_whatever_its_windows_show() -> None:
    # the alloy's boundary network is one cluster and spans the image, but some of its
    # half-size windows do not: its percolation is still required of the result
    from mcrkit import data

    alloy = data.load("alloy_resized_s")
    cut = alloy.copy()
    cut[:, 30:33] = 1          # a band without boundaries: no path along y in the image
    report = validation_report(alloy, cut)
    rows = {(line["statistic"], line["phase"], line.get("direction")): line
            for line in report["lines"] if line["statistic"] == "percolation"}
    assert rows["percolation", 0, "y"]["spread"] is None       # not asked of the windows
    assert rows["percolation", 0, "y"]["passed"] is False
    assert ("percolation", 0) in failing(report)
    # the grains are separate pieces: their percolation stays judged by the windows
    assert rows["percolation", 1, "y"]["spread"] is not None
