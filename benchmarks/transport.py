"""Diffusion solves: mcrkit's multigrid-preconditioned solve against TauFactor's, same phase.

The volume is :func:`mcrkit.synthetic.coated_particles` (pores 0, particles 1,
binder 2; radius 5, particle fraction 0.35, a 1.5-voxel coating, seed 0) of
side ``--size``. For the phase and axis given, the tortuosity factor is solved
``--repeat`` times by :func:`mcrkit.morphology.tortuosity` and, when TauFactor
is installed, by its over-relaxation solver (convergence criterion 1e-2, its
default, on the flux spread), alternating, in this one process; the table
gives the median seconds and the tortuosity of each.

Usage: ``python benchmarks/transport.py [--size 128] [--phase 0] [--axis 0]
[--repeat 3]``. The whole command ``mcrkit properties`` on a volume is timed
with ``/usr/bin/time -v`` instead (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import numpy as np

from mcrkit.morphology import tortuosity
from mcrkit.synthetic import coated_particles


def taufactor_tortuosity(labels: np.ndarray, phase: int, axis: int) -> float:
    """TauFactor's tortuosity factor of ``phase`` along ``axis`` (CPU, its defaults)."""
    import taufactor

    conductor = np.ascontiguousarray(np.moveaxis(labels == phase, axis, 0)).astype(np.uint8)
    solver = taufactor.Solver(conductor, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()):
        solver.solve(verbose=False, iter_limit=100_000)
    return float(np.asarray(solver.tau).ravel()[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--phase", type=int, default=0, help="0 pores, 1 particles, 2 binder")
    parser.add_argument("--axis", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    labels = coated_particles((args.size,) * 3, radius=5.0, particle_fraction=0.35,
                              coating=1.5, rng=0)
    if not tortuosity(labels, args.phase, args.axis).percolates:
        raise SystemExit(f"phase {args.phase} does not percolate along axis {args.axis}: "
                         "nothing to solve (TauFactor would not stop); choose another")
    solvers = {"mcrkit (PyAMG-preconditioned CG)":
               lambda: tortuosity(labels, args.phase, args.axis).tortuosity_factor}
    try:
        import taufactor  # noqa: F401
    except ImportError:
        print("TauFactor is not installed: timing mcrkit's solve only")
    else:
        solvers["TauFactor (over-relaxation)"] = lambda: taufactor_tortuosity(
            labels, args.phase, args.axis)
    times: dict[str, list[float]] = {name: [] for name in solvers}
    values: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, solve in solvers.items():
            start = time.perf_counter()
            values[name] = solve()
            times[name].append(time.perf_counter() - start)
    print(f"coated particles {args.size}^3, phase {args.phase} "
          f"(fraction {float((labels == args.phase).mean()):.3f}), axis {args.axis}")
    print("| solver | median s | all s | tortuosity factor |\n|---|---|---|---|")
    for name in solvers:
        print(f"| {name} | {statistics.median(times[name]):.1f} | "
              f"{', '.join(f'{t:.1f}' for t in times[name])} | {values[name]:.3f} |")


if __name__ == "__main__":
    main()
