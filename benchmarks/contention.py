"""Per-evaluation time of a reconstruction beside CPU-bound processes, quiet and loaded.

Run ``python benchmarks/contention.py [--cases 2d,3d64] [--repeat 3] [--load 1]
[--policies passive,active] [--threads auto,1,N] [--max-iter N]``. For each case and OpenMP
wait policy a worker process (the policy in its environment before PyTorch
loads) reconstructs from the bundled pymks_ms_64x64_1 characterization (seed
0, CPU, default descriptors, no run directory) after one warm-up run; the
benchmark runs each thread setting ``--repeat`` times on the machine as it is
("quiet") and again while ``--load`` processes of its own spin on the CPU
("loaded"), and prints the median seconds per objective evaluation. Thread
settings: ``auto`` (no thread count: mcrkit's default, the CPUs this process
may use, and one thread while that is faster), ``1``, and ``N`` (the CPUs this
process may use, fixed). Policies: ``passive`` (mcrkit's default: waiting
threads sleep) and ``active`` (they spin, as OpenMP may by default).

On a machine shared with other work the "quiet" figures are not quiet: the
load average at the start of each phase is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Any

CASES = {"2d": {"shape": [64, 64], "max_iter": 150},
         "3d64": {"shape": [64, 64, 64], "max_iter": 30}}

WORKER = r"""
import json, sys, time
import mcrkit
import torch

shape, max_iter = json.loads(sys.argv[1]), int(sys.argv[2])
target = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"), ["two_point", "lineal_path"])

def run(threads):
    result = mcrkit.reconstruct(target, tuple(shape), max_iter=max_iter, seed=0, device="cpu",
                                threads=threads, progress=False, report=False)
    return {"per_evaluation": result.timings["per_evaluation"],
            "evaluations": result.evaluations}

run(None)  # warm-up
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    print(json.dumps(run(json.loads(line)["threads"])), flush=True)
"""


def usable_cpus() -> int:
    from mcrkit.runtime import usable_cpus

    return usable_cpus()


@contextmanager
def cpu_load(processes: int):
    """``processes`` busy Python processes for the duration of the block."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()


class Worker:
    """A reconstruction process with ``OMP_WAIT_POLICY=policy`` in its environment."""

    def __init__(self, case: dict[str, Any], policy: str) -> None:
        env = {**os.environ, "OMP_WAIT_POLICY": policy.upper()}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(case["shape"]), str(case["max_iter"])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert json.loads(self.process.stdout.readline())["ready"]

    def run(self, threads: int | None) -> dict[str, float]:
        self.process.stdin.write(json.dumps({"threads": threads}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def measure(worker: Worker, threads: int | None, repeat: int) -> float:
    """Median seconds per evaluation over ``repeat`` runs."""
    return statistics.median(worker.run(threads)["per_evaluation"] for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="2d,3d64")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load", type=int, default=1, help="busy processes beside the run")
    parser.add_argument("--policies", default="passive,active")
    parser.add_argument("--threads", default="auto,1,N")
    parser.add_argument("--max-iter", type=int, help="iterations per run (default per case)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a timeout still ends the busy ones
    n = usable_cpus()
    settings = {"auto": None, "1": 1, "N": n}
    labels = {"auto": "auto", "1": "1", "N": str(n)}
    print(f"usable CPUs {n}; {args.load} busy process(es) when loaded; medians of "
          f"{args.repeat}; ms per evaluation\n")
    print("| case | wait policy | threads | quiet | loaded | loaded / quiet |")
    print("|---|---|---|---:|---:|---:|")
    for case_name in args.cases.split(","):
        case = CASES[case_name] | ({} if args.max_iter is None else {"max_iter": args.max_iter})
        for policy in args.policies.split(","):
            worker = Worker(case, policy)
            try:
                names = args.threads.split(",")
                load_before = os.getloadavg()[0]
                quiet = {name: measure(worker, settings[name], args.repeat) for name in names}
                with cpu_load(args.load):
                    load_during = os.getloadavg()[0]
                    loaded = {name: measure(worker, settings[name], args.repeat)
                              for name in names}
            finally:
                worker.close()
            for name in names:
                print(f"| {case_name} | {policy} | {labels[name]} | {1e3 * quiet[name]:.1f} | "
                      f"{1e3 * loaded[name]:.1f} | {loaded[name] / quiet[name]:.2f} |",
                      flush=True)
            print(f"<!-- {case_name} {policy}: load average {load_before:.1f} before the quiet "
                  f"runs, {load_during:.1f} when the loaded runs began -->", flush=True)


if __name__ == "__main__":
    main()
