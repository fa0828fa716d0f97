"""3D volumes from anisotropic 2D inputs: detection, assumption, per-orientation verdict.

For each case, ``mcrkit match CASE --add-dimension N`` runs as a whole command
(:func:`_common.run_command`) with the default symmetry (``auto``: the input's
anisotropy is detected and transverse isotropy about its long axis assumed)
and, for comparison, with ``--symmetry isotropic`` (the input imposed on every
slice). The table gives the detection, the wall time, the peak memory, the
verdict of the run's ``report.json`` and its rows per slicing orientation
(passed / failed), each orientation judged against the target it was given.
With ``--repeat N`` each command runs N times; the wall and CPU (user + system)
seconds are the medians, the rest is from the first run (fixed seed: the same).

Cases: ``grf-x2``, a thresholded Gaussian random field of 64^2 with kernel
lengths 4 and 2 px (elongated along x), and ``composite-half``, the top-left
64^2 of the shared composite micrograph at half resolution (three phases,
elongated along y).

Usage: ``python benchmarks/anisotropy.py [--size 64] [--seed 0] [--cases grf-x2,...]
[--symmetries auto,isotropic] [--max-iter N] [--repeat N]`` (``MCRKIT_SHARED_DATA``: the
shared data folder, if not ``../shared/data`` beside the repository).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np
from _common import SHARED, run_command

from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.anisotropy import detect_anisotropy


def cases(size: int) -> dict[str, np.ndarray]:
    found = {"grf-x2": gaussian_random_field((size, size), (4.0, 2.0), volume_fraction=0.4,
                                             seed=0)}
    composite = SHARED / "composite_resized.npy"
    if composite.exists():
        found["composite-half"] = np.load(composite)[::2, ::2][:size, :size]
    return found


def orientation_rows(report: dict) -> str:
    counts = {}
    for line in report["lines"]:
        passed, failed = counts.get(line["axis"], (0, 0))
        counts[line["axis"]] = (passed + (line["passed"] is True),
                                failed + (line["passed"] is False))
    return " ".join(f"{axis}:{p}/{f}" for axis, (p, f) in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cases", default=None, help="comma-separated case names")
    parser.add_argument("--symmetries", default="auto,isotropic")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="iterations of match (default: its own)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each command (medians of the seconds)")
    args = parser.parse_args()
    chosen = cases(args.size)
    if args.cases:
        missing = sorted(set(args.cases.split(",")) - set(chosen))
        if missing:
            parser.error(f"unknown or unavailable cases {missing} (have {sorted(chosen)}; "
                         "composite-half needs MCRKIT_SHARED_DATA pointing at shared/data)")
        chosen = {name: chosen[name] for name in args.cases.split(",")}
    workdir = Path(tempfile.mkdtemp())
    print("| case | detected | symmetry | seconds | CPU s | iterations (status) | ms/evaluation | "
          "peak MB | rows passed/failed per orientation | verdict |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for name, image in chosen.items():
            path = workdir / f"{name}.npy"
            np.save(path, image)
            detected = detect_anisotropy(image).text
            for symmetry in args.symmetries.split(","):
                runs = [run_command(["match", str(path), "--add-dimension", str(args.size),
                                     "--seed", str(args.seed), "--device", "cpu",
                                     "--symmetry", symmetry,
                                     *([] if args.max_iter is None else
                                       ["--max-iter", str(args.max_iter)])],
                                    workdir, keep=True) for _ in range(args.repeat)]
                run = runs[0]
                report = json.loads((run["run_dir"] / "report.json").read_text())
                meta = run["meta"]
                seconds = statistics.median(r["seconds"] for r in runs)
                cpu = statistics.median(r["cpu_seconds"] for r in runs)
                print(f"| {name} | {detected} | {symmetry} | {seconds:.1f} | {cpu:.1f} | "
                      f"{meta['iterations']} ({meta['status']}) | "
                      f"{meta['timings']['per_evaluation'] * 1000:.0f} | "
                      f"{run['peak_mb']:.0f} | {orientation_rows(report)} | "
                      f"{report['verdict']['text']} |", flush=True)
                if symmetry == "auto":
                    print(f"|   | assumed: {meta['settings']['defaults']!r} |", flush=True)
    finally:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
