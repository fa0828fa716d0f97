"""Responsiveness of the web GUI's server while its worker thread runs a job.

Run ``python benchmarks/gui_responsiveness.py [--cases 2d,3d32,3d64,anneal]``.
The GUI runs jobs on one worker thread beside the asyncio event loop that
serves the page. This script does the same in one process: it queues a
``match`` job on :class:`mcrkit.gui.jobs.JobQueue` and, while it runs, lets
the event loop sleep 50 ms at a time; how late each wake-up comes is the
delay a page request would see. Printed per case: the job's seconds, its
iterations, and the median, 95th percentile and largest wake-up delay (ms).
Cases (pymks_ms_64x64_1, seed 0, CPU):

* ``2d``: 64^2 match, 150 iterations (the default);
* ``3d32``: 32^3 match with L-BFGS, 40 iterations;
* ``3d64``: 64^3 match (add_dimension 64), 40 iterations;
* ``anneal``: 64^2 match with annealing (numba kernels), 40 iterations.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import mcrkit
from mcrkit.gui.actions import make_job
from mcrkit.gui.jobs import JobQueue
from mcrkit.gui.uploads import SessionFiles

CASES = {
    "2d": {},
    "3d32": {"shape": "32 32 32", "max_iter": 40},
    "3d64": {"add_dimension": 64, "max_iter": 40},
    "anneal": {"optimizer": "annealing", "max_iter": 40},
}
TICK = 0.05


async def _delays_while(job) -> list[float]:
    delays = []
    while job.active:
        begin = time.perf_counter()
        await asyncio.sleep(TICK)
        delays.append(time.perf_counter() - begin - TICK)
    return delays


def _case(name: str, folder: Path, session: SessionFiles) -> tuple[float, int, list[float]]:
    upload = session.of_kind("microstructure")[0]
    queue = JobQueue()
    job = queue.submit(make_job("match", upload, {"seed": 0, "device": "cpu", **CASES[name]},
                                folder / "runs"))
    begin = time.perf_counter()
    delays = asyncio.run(_delays_while(job))
    seconds = time.perf_counter() - begin
    queue.shutdown()
    if job.status != "done":
        raise RuntimeError(f"{name}: {job.status}: {job.message}")
    return seconds, job.view()[0].iteration, delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mcrkit-gui-bench-"))
    session = SessionFiles(folder)
    source = mcrkit.data.load("pymks_ms_64x64_1")
    path = folder / "pymks_ms_64x64_1.npy"
    np.save(path, source)
    session.save(path.name, path.read_bytes())
    print(f"{'case':<8} {'seconds':>8} {'iters':>6} {'median ms':>10} {'p95 ms':>8} "
          f"{'max ms':>8}")
    for name in args.cases.split(","):
        seconds, iterations, delays = _case(name, folder, session)
        ordered = sorted(delays) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"{name:<8} {seconds:8.1f} {iterations:6d} {1e3 * statistics.median(ordered):10.1f} "
              f"{1e3 * p95:8.1f} {1e3 * max(ordered):8.1f}")


if __name__ == "__main__":
    main()
