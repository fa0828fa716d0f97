"""Batch benchmark: the same ensemble of 2D matches on 1 and on 2 local Dask workers.

Run ``python benchmarks/batch.py [--jobs 8] [--max-iter 150] [--workers 1,2]``
(``--jobs 2 --max-iter 10`` for a quick check). Every case runs the batch
``jobs`` x ``match`` of the bundled 64^2 structure pymks_ms_64x64_1 (default
descriptors and iterations, one thread per worker, fixed base seed, so each
case runs exactly the same jobs) into a fresh directory and prints one row:
workers, jobs, wall seconds of the whole batch (cluster start included), the
cluster start alone (workers up, with mcrkit and PyTorch imported), the mean
seconds per job inside the workers, the speed-up over the first case, and the
mean S2 error of the results.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
from pathlib import Path

import mcrkit
from mcrkit.batching import BatchResult
from mcrkit.batching.clusters import close, connect


def run_case(workers: int, spec: dict, folder: Path) -> tuple[float, float, BatchResult]:
    """Wall time of the batch, time to start its cluster (workers ready, mcrkit imported in
    each), and the batch's result."""
    begin = time.perf_counter()
    client, cluster = connect(workers=workers, threads_per_worker=1)
    client.wait_for_workers(workers)
    client.run(importlib.import_module, "mcrkit.workflows")  # imports are not job time
    started = time.perf_counter() - begin
    try:
        result = mcrkit.batch(spec, folder / f"workers-{workers}", client=client)
    finally:
        close(client, cluster)
    return time.perf_counter() - begin, started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    args = parser.parse_args()
    spec = {"microstructure": str(mcrkit.data.path("pymks_ms_64x64_1")), "seed": 2024,
            "n_samples": args.jobs, "max_iter": args.max_iter, "device": "cpu"}
    print(f"{'case':<22} {'workers':>7} {'jobs':>5} {'wall s':>8} {'start s':>8} "
          f"{'s/job':>7} {'speed-up':>8} {'S2 error':>10}")
    first = None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            wall, start, result = run_case(workers, spec, Path(tmp))
            if result.failed:
                raise SystemExit(f"failed jobs: {result.failed}")
            first = first or wall
            per_job = statistics.mean(row["wall_s"] for row in result.rows)
            error = statistics.mean(row["errors"]["two_point"] for row in result.rows)
            print(f"{'match 64x64 2D':<22} {workers:>7} {len(result.rows):>5} {wall:>8.1f} "
                  f"{start:>8.1f} {per_job:>7.2f} {first / wall:>8.2f} {error:>10.2e}")


if __name__ == "__main__":
    main()
