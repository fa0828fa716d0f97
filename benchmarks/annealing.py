"""Annealing benchmark: move rates, the 2D target and polishing a 64^3 gradient result.

Run ``python benchmarks/annealing.py [--cases rate,2d,polish] [--repeat 3]``.
Every case runs in this process with fixed seeds after one warm-up (the
compiled kernels are cached on disk after their first compilation, which
takes a few seconds once per installation):

* ``rate``: evaluated moves per second of a 2D 64^2 annealing run of
  pymks_ms_64x64_1 with ``two_point``, with ``correlations`` (``limit_to=8``)
  and with ``chord_length`` + ``lineal_path`` (the defaults), over the
  optimization time (median of the repeats); ``--moves N`` fixes the moves
  per run of every rate case (default: 40, 4 and 20 iterations of one move
  per voxel);
* ``2d``: the S2-RMSE (|r| <= 8) of the discrete result of annealing the same
  structure with ``two_point`` for 60 iterations (245 760 moves), and its time;
* ``polish``: a 64^3 ``match`` of pymks_ms_64x64_1 with ``polish=True``
  (2^20 moves at low temperature): the polishing time and the per-axis S2-RMSE
  of the discrete result before and after polishing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import mcrkit


def _annealing_run(names: list[str], max_iter: int, seed: int,
                   swaps: int | None = None) -> mcrkit.ReconstructionResult:
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"), names, limit_to=8)
    return mcrkit.reconstruct(c, (64, 64), names, optimizer="annealing", max_iter=max_iter,
                              seed=seed, device="cpu", threads=1,
                              optimizer_options={"swaps_per_iteration": swaps, "patience": 0})


def _moves(result: mcrkit.ReconstructionResult) -> float:
    return float(np.nansum(result.history["accepted"]) + np.nansum(result.history["rejected"]))


def _s2_rmse(labels: np.ndarray, characterization: mcrkit.Characterization) -> list[float]:
    """S2-RMSE against the target, per slicing axis for a volume."""
    value = characterization.descriptor("two_point").label_value(labels, 2)
    target = np.asarray(characterization["two_point"])
    per_axis = value if labels.ndim == 3 else value[None]
    return [float(np.sqrt(np.mean((v - target) ** 2))) for v in per_axis]


def case_rate(repeat: int, moves: int | None) -> None:
    for names, max_iter in ((["two_point"], 40), (["correlations"], 4),
                            (["chord_length", "lineal_path"], 20)):
        swaps = None if moves is None else min(moves, 4096)
        iterations = max_iter if moves is None else -(-moves // swaps)
        _annealing_run(names, 1, 0, swaps)
        rates = []
        for seed in range(repeat):
            result = _annealing_run(names, iterations, seed, swaps)
            rates.append(_moves(result) / result.timings["optimize"])
        print(f"rate  {'+'.join(names):<25} {statistics.median(rates):>9.0f} moves/s "
              f"(runs: {', '.join(f'{r:.0f}' for r in rates)})")


def case_2d(repeat: int, moves: int | None) -> None:
    _annealing_run(["two_point"], 1, 0)
    for seed in range(repeat):
        start = time.perf_counter()
        result = _annealing_run(["two_point"], 60, seed)
        wall = time.perf_counter() - start
        rmse = _s2_rmse(result.labels, result.characterization)[0]
        print(f"2d    seed {seed}: S2-RMSE {rmse:.5f} in {wall:.2f} s ({_moves(result):.0f} moves)")


def case_polish(repeat: int, moves: int | None) -> None:
    ms = mcrkit.data.load("pymks_ms_64x64_1")
    for seed in range(repeat):
        result = mcrkit.match(ms, add_dimension=64, seed=seed, device="cpu", polish=True)
        h = result.history
        gradient = h["level"] == 0
        end = int(h["iteration"][gradient][-1])
        before = result.snapshots[result.snapshot_iterations.index(end)]
        polish_time = h["elapsed"][-1] - h["elapsed"][gradient][-1]
        moves = np.nansum(h["accepted"]) + np.nansum(h["rejected"])
        c = result.characterization
        fmt = ", ".join
        print(f"polish seed {seed}: {moves:.0f} moves in {polish_time:.1f} s; S2-RMSE x/y/z "
              f"before {fmt(f'{v:.5f}' for v in _s2_rmse(before, c))}, after "
              f"{fmt(f'{v:.5f}' for v in _s2_rmse(result.labels, c))}")


CASES = {"rate": case_rate, "2d": case_2d, "polish": case_polish}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="rate,2d,polish")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--moves", type=int, default=None,
                        help="moves per run of the rate cases (default: see the docstring)")
    args = parser.parse_args()
    for name in args.cases.split(","):
        CASES[name](args.repeat, args.moves)


if __name__ == "__main__":
    main()
