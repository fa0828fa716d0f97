"""How often the model check of ``reconstruct`` from merged views refuses the level cut.

Each case is one 2D view, characterized and merged onto the three slice orientations
(``mcrkit.merge([view])``); the anisotropic level-cut model is fitted and drawn at
``--side``³ and judged by :func:`mcrkit.workflows.reconstruct_start.model_verdict` without
an original, as ``reconstruct`` does. A refusal sends the run on to the gradient stages.

- ``levelcut``: a thresholded Gaussian random field (the model's own family): every refusal
  is a false one.
- ``three-levelcut``: three views of one level cut elongated along z (kernel 1.5, 1.5, 4 px),
  each its own field, merged with ``allow_inconsistent`` (single views may disagree by more
  than the merge's tolerance): false refusals too.
- ``chequerboard``: squares of 3 to 6 px (the side cycles with the seed): no level cut has
  its negative correlation, every pass is a false one.
- ``discs``: separate discs of radius 4 px at 20 % (``dispersion``), a particle structure.
- ``overlapping-discs``: a Boolean model of discs of radius 4 px at 30 %.

Usage: ``python benchmarks/model_check.py [--descriptors volume_fractions,two_point,
lineal_path,chord_length] [--size 96] [--side 24] [--repeat 8] [--cases ...]``; prints
one row per case: refusals out of ``--repeat`` seeds and the median seconds of a check.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

import mcrkit
from mcrkit.generators import gaussian_random_field
from mcrkit.synthetic import dispersion, overlapping_balls
from mcrkit.workflows.reconstruct_start import model_verdict, per_axis_model


def _chequerboard(size: int, seed: int) -> np.ndarray:
    rows, columns = np.indices((size, size))
    square = 3 + seed % 4
    return ((rows // square + columns // square) % 2).astype(np.uint8)


CASES: dict[str, Callable[[int, int], list[np.ndarray]]] = {
    "levelcut": lambda n, s: [gaussian_random_field((n, n), 1.5, volume_fraction=0.4,
                                                    seed=100 + s)],
    "three-levelcut": lambda n, s: [
        gaussian_random_field((n, n), kernel, volume_fraction=0.4, seed=100 + s + 7 * i)
        for i, kernel in enumerate([(1.5, 4.0), (1.5, 4.0), (1.5, 1.5)])],
    "chequerboard": lambda n, s: [_chequerboard(n, s)],
    "discs": lambda n, s: [dispersion((n, n), radius=4, volume_fraction=0.2, rng=100 + s)],
    "overlapping-discs": lambda n, s: [overlapping_balls((n, n), radius=4, volume_fraction=0.3,
                                                         rng=100 + s)],
}


def refusals(case: str, descriptors: list[str], size: int, side: int, repeat: int,
             limit: int) -> tuple[int, float]:
    """Refused checks out of ``repeat`` seeds, and the median seconds of one check."""
    refused, seconds = 0, []
    for seed in range(repeat):
        views = [mcrkit.characterize(image, descriptors, limit_to=limit)
                 for image in CASES[case](size, seed)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # views merged although they differ
            merged = mcrkit.merge(views, allow_inconsistent=True)
        model = per_axis_model(merged, (side,) * 3, seed=seed)
        start = time.perf_counter()
        verdict = model_verdict(merged, model.labels, descriptors, model=model, seed=seed)
        seconds.append(time.perf_counter() - start)
        refused += verdict["failed"] > 0
    return refused, float(np.median(seconds))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptors", default="volume_fractions,two_point,lineal_path,"
                        "chord_length", help="comma-separated descriptors of the views")
    parser.add_argument("--size", type=int, default=96, help="side of each view")
    parser.add_argument("--side", type=int, default=24, help="side of the model volume")
    parser.add_argument("--limit", type=int, default=5, help="limit_to of the descriptors")
    parser.add_argument("--repeat", type=int, default=8, help="seeds per case")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated cases")
    args = parser.parse_args(argv)
    descriptors = args.descriptors.split(",")
    print(f"descriptors {', '.join(descriptors)}; views {args.size}², model {args.side}³")
    print("| case | refused | seconds per check (median) |\n|---|---|---|")
    for case in args.cases.split(","):
        refused, seconds = refusals(case, descriptors, args.size, args.side, args.repeat,
                                    args.limit)
        print(f"| {case} | {refused}/{args.repeat} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
