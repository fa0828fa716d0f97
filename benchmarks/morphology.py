"""Timing of the morphology statistics on a 256^2 image and a 128^3 volume.

Run ``python benchmarks/morphology.py [--repeat 3]``. Both structures are
seeded Voronoi grain-boundary networks (:func:`mcrkit.synthetic.voronoi_grains`,
boundaries 2 voxels wide); each row is the median wall time in seconds over
the repeats of one statistic of phase 1 (the boundaries), followed by the
process CPU time (every library used runs single-threaded here, so on a busy
machine the CPU time is the better estimate of the time on an idle one); the
last row is :func:`mcrkit.morphology.morphology`, every statistic of every
phase (plus the per-slice 2D statistics of the volume).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from mcrkit import morphology as m
from mcrkit.synthetic import voronoi_grains


def _cases(labels: np.ndarray) -> dict[str, Callable[[], object]]:
    mask = labels == 1
    return {
        "euler_characteristic": lambda: m.euler_characteristic(mask),
        "surface_density": lambda: m.surface_density(mask),
        "largest_cluster_fraction": lambda: m.largest_cluster_fraction(mask),
        "percolation": lambda: m.percolation(mask),
        "chord_statistics (all axes)": lambda: [m.chord_statistics(mask, axis=a)
                                                for a in range(mask.ndim)],
        "correlation_lengths": lambda: m.correlation_lengths(mask),
        "correlation_window": lambda: m.correlation_window(labels),
        "feature_size_distribution": lambda: m.feature_size_distribution(mask),
        "two_point_cluster_function (lag 16)": lambda: m.two_point_cluster_function(
            mask, max_lag=16),
        "morphology (whole table)": lambda: m.morphology(labels),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    structures = {
        "256^2": voronoi_grains((256, 256), n_grains=60, rng=0),
        "128^3": voronoi_grains((128, 128, 128), n_grains=60, rng=0),
    }
    print(f"{'statistic (wall / CPU seconds)':<38}"
          + "".join(f"{name:>16}" for name in structures))
    timings: dict[str, list[str]] = {}
    for labels in structures.values():
        for case, run in _cases(labels).items():
            wall, cpu = [], []
            for _ in range(args.repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            timings.setdefault(case, []).append(
                f"{statistics.median(wall):.3f}/{statistics.median(cpu):.3f}")
    for case, values in timings.items():
        print(f"{case:<38}" + "".join(f"{v:>16}" for v in values))


if __name__ == "__main__":
    main()
