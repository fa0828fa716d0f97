"""Cost of the end-of-run validation report, and the suite time it adds.

Run ``python benchmarks/report.py [--repeat 3] [--sizes 32,64]``. For each
case a ``match`` of pymks_ms_64x64_1 (cropped to the size) runs once without a
report (``report=False``); then the report of its result is computed
(:func:`mcrkit.metrics.report.validation_report`, against the original, with the
optimized descriptors) and written (``report.json`` + ``report.png``), median
of the repeats after one warm-up. The table gives seconds per step and the
report's share of the run. Every figure is single-process, one thread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import mcrkit
from mcrkit.metrics.report import validation_report, write_report


def _median_time(function, repeat: int) -> float:
    function()  # warm-up: imports, first figure
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="32,64")
    args = parser.parse_args()
    example = mcrkit.data.load("pymks_ms_64x64_1")
    print(f"{'case':<28} {'match s':>8} {'report s':>9} {'write s':>8} {'share':>6}  lines")
    for size in (int(s) for s in args.sizes.split(",")):
        original = example[:size, :size]
        for depth in (None, size):
            start = time.perf_counter()
            result = mcrkit.match(original, add_dimension=depth, max_iter=100, seed=0,
                                  device="cpu", threads=1, report=False)
            run_time = time.perf_counter() - start
            report = {}

            def compute(result=result, original=original, report=report) -> None:
                report["value"] = validation_report(
                    original, result.labels, characterization=result.characterization,
                    descriptors=result.settings["descriptors"], errors=result.errors)

            compute_time = _median_time(compute, args.repeat)
            folder = tempfile.mkdtemp()
            value = report["value"]
            write_time = _median_time(lambda value=value, folder=folder: write_report(
                value, folder), args.repeat)
            share = (compute_time + write_time) / (run_time + compute_time + write_time)
            shape = "x".join(str(s) for s in result.labels.shape)
            print(f"{'match ' + shape:<28} {run_time:8.2f} {compute_time:9.3f} "
                  f"{write_time:8.3f} {share:6.1%}  {len(report['value']['lines'])}")


if __name__ == "__main__":
    main()
