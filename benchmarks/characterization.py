"""Characterization timings: one descriptor at a time on 2D and 3D two-phase structures.

Run ``python benchmarks/characterization.py [--repeat 3] [--threads N]``. Each
case runs in a fresh subprocess so that its peak RSS is its own; the table
shows the median wall time of the repeats (the characterize call only, after
imports; the first call in a process includes PyTorch's one-time set-up).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CASES = [
    ("2D 64^2 pymks", "pymks", ("correlations", "two_point", "lineal_path", "variation")),
    ("3D 64^3 blobs", 64, ("correlations", "two_point", "lineal_path", "variation")),
    ("3D 128^3 blobs", 128, ("correlations", "two_point", "lineal_path", "variation")),
]

CHILD = r"""
import json, resource, sys, time
import numpy as np
from scipy.ndimage import gaussian_filter
import mcrkit
kind, name, threads = json.loads(sys.argv[1])
if kind == "pymks":
    labels = mcrkit.data.load("pymks_ms_64x64_1")
else:
    rng = np.random.default_rng(0)
    field = gaussian_filter(rng.standard_normal((kind,) * 3), 3, mode="wrap")
    labels = field > np.quantile(field, 0.6)  # blobs, volume fraction 0.4
characterize = mcrkit.characterize  # import torch and the descriptors before timing
start = time.perf_counter()
characterize(labels, [name], limit_to=8, threads=threads)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(kind: object, name: str, threads: int | None) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps([kind, name, threads])],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(f"{'case':<16} {'descriptor':<14} {'median s':>9} {'min s':>7} {'peak RSS MB':>12}")
    for label, kind, names in CASES:
        for name in names:
            runs = [run_case(kind, name, args.threads) for _ in range(args.repeat)]
            times = [r["seconds"] for r in runs]
            peak = max(r["peak_mb"] for r in runs)
            print(f"{label:<16} {name:<14} {statistics.median(times):>9.3f} {min(times):>7.3f} "
                  f"{peak:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
