"""ReconstructionResult as a notebook shows it: a few lines of text, an HTML table and a
thumbnail, never the arrays."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.engine.result import ReconstructionResult
from mcrkit.io.convergence import Convergence
from mcrkit.plotting.microstructure import phase_colors


def result(labels: np.ndarray, **fields) -> ReconstructionResult:
    target = Characterization(values={"two_point": np.zeros((1, 9, 9))}, settings={},
                              shape=(8, 8), n_phases=3, source="scan.tif",
                              voxel_size=(0.5, 0.5), unit="µm")
    defaults = dict(status="converged", loss=1.5e-3, errors={"two_point": 2.5e-4},
                    convergence=Convergence(), timings={"total": 12.34}, evaluations=40,
                    undecided=0.0, settings={"seed": 7, "loss": "mse"}, characterization=target)
    return ReconstructionResult(labels=labels, **{**defaults, **fields})


def test_repr_is_a_few_lines_without_arrays() -> None:
    volume = np.random.default_rng(0).integers(0, 3, (40, 40, 40)).astype(np.uint8)
    verdict = "not good: " + "; ".join(f"phase {p} fragmented" for p in range(20))
    text = repr(result(volume, report={"verdict": {"text": verdict}},
                       run_dir=Path("runs/r1")))
    lines = text.splitlines()
    assert lines[0] == "ReconstructionResult (40, 40, 40), 3 phases, of scan.tif"
    assert "converged after 0 iterations, 12.3 s; loss 1.500e-03" in lines[1]
    assert "two_point 2.50e-04" in lines[2]
    assert lines[3].startswith("  verdict: not good: phase 0 fragmented") and lines[3].endswith(
        "...") and len(lines[3]) <= 100
    assert lines[4] == f"  saved in {Path('runs/r1')}"
    assert len(text) < 500 and "array(" not in text and "[[" not in text
    assert "verdict" not in repr(result(volume))  # not judged: no verdict line


def test_html_has_the_summary_table_and_a_thumbnail_of_the_middle_slice() -> None:
    volume = np.zeros((6, 4, 5), dtype=np.uint8)
    volume[5, 0, 2] = 2  # x = 5 (right), y = 0 (bottom) on the middle slice z = 2
    page = result(volume, report={"verdict": {"text": "good"}})._repr_html_()
    cells = dict(re.findall(r"<th[^>]*>([^<]+)</th><td[^>]*>([^<]*)</td>", page))
    assert cells["shape"] == "(6, 4, 5)" and cells["verdict"] == "good"
    assert cells["volume fractions"] == "0.992, 0.000, 0.008"
    assert cells["two_point"] == "2.500e-04" and cells["seed"] == "7"
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1))
    image = iio.imread(png)
    assert image.shape[1] >= 160 and image.shape[0] * 6 == image.shape[1] * 4
    colours = np.round(phase_colors(3) * 255).astype(np.uint8)
    assert np.array_equal(image[-1, -1, :3], colours[2])  # bottom right: x = 5, y = 0
    assert np.array_equal(image[0, 0, :3], colours[0])
    assert "slice z = 2" in page


def test_the_result_as_a_microstructure_keeps_the_targets_voxel_size_and_unit() -> None:
    ms = result(np.eye(8, dtype=np.uint8)).microstructure
    assert ms.voxel_size == (0.5, 0.5) and ms.unit == "µm"
