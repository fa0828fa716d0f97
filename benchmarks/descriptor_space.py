"""Descriptor-space workflows: anisotropic 3D from orthogonal views, interpolate, smooth.

Run ``python benchmarks/descriptor_space.py [--shape 96 64 32] [--size 256] [--max-iter 600]
[--seed 0] [--threads 2]``. Three 2D views are generated as thresholded Gaussian random
fields (volume fraction 0.4): two elongated along their rows (correlation lengths 6 and 2
px, different seeds) and one isotropic (2 px). They are characterized with the default
reconstruction descriptors (volume fractions, S2 and the lineal path along both axes,
limit_to 8) and merged as (isotropic normal to x, elongated normal to y, elongated normal to
z), so the structure should be elongated along x. The script prints

* the realizability report of the merge, and the refusal of the inconsistent combination
  (elongated views on the slices normal to x, y and z: the one normal to x and the one
  normal to z share y, which is the long axis of one and the short axis of the other);
* the reconstruction's time and per-descriptor errors;
* the mean chord length of each phase along x, y and z and the ratios x/y and x/z;
* per slicing axis, the fidelity of the discrete result against the view prescribed there
  (:func:`mcrkit.metrics.validation.compare`: S2 RMSE over |r| <= 8, lineal-path RMSE, chord and
  interface errors; raw figures: the verdict of a result is its validation report's);
* interpolation from the isotropic view on every axis to the merged characterization in 5
  steps: whether the ends equal the inputs exactly and the middle lies between them;
* smoothing of the reconstruction (Gaussian, strength 1, and median, radius 1.5), with and
  without volume-fraction preservation: volume fractions and voxels changed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mcrkit
from mcrkit.descriptors import mean_chord_length
from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.validation import compare
from mcrkit.microstructure import AXIS_NAMES
from mcrkit.workflows.merge import format_realizability

REQUEST = {"volume_fractions": {}, "two_point": {}, "lineal_path": {"directions": ((1, 0), (0, 1))}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(96, 64, 32))
    parser.add_argument("--size", type=int, default=256, help="side of the 2D views")
    parser.add_argument("--max-iter", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()

    size = (args.size, args.size)
    images = {
        "x": gaussian_random_field(size, 2.0, volume_fraction=0.4, seed=args.seed + 1),
        "y": gaussian_random_field(size, (6.0, 2.0), volume_fraction=0.4, seed=args.seed + 2),
        "z": gaussian_random_field(size, (6.0, 2.0), volume_fraction=0.4, seed=args.seed + 3),
    }
    views = {}
    for axis, image in images.items():
        views[axis] = mcrkit.characterize(image, REQUEST)
        views[axis].source = f"{'isotropic' if axis == 'x' else 'elongated'} view {axis}"
    merged = mcrkit.merge([views["x"], views["y"], views["z"]])
    print(f"merge (isotropic normal to x, elongated normal to y and z), views {size}:")
    print(format_realizability(merged.provenance["merge"]["realizability"]))
    try:
        mcrkit.merge([views["z"], views["y"], views["z"]])
    except mcrkit.workflows.InconsistentViewsError as exc:
        print(f"\nthe elongated views on the slices normal to x, y and z: refused:\n  {exc}\n")

    start = time.perf_counter()
    result = mcrkit.reconstruct(merged, tuple(args.shape), max_iter=args.max_iter,
                                seed=args.seed, device="cpu", threads=args.threads)
    print(result)
    print(f"  wall {time.perf_counter() - start:.1f} s")

    labels = result.labels
    print("\nmean chord length (px) along x, y, z and ratios x/y, x/z:")
    for phase in range(2):
        chords = [mean_chord_length(labels == phase, axis) for axis in range(3)]
        print(f"  phase {phase}: " + ", ".join(f"{c:.2f}" for c in chords)
              + f"; x/y {chords[0] / chords[1]:.2f}, x/z {chords[0] / chords[2]:.2f}")
        views_chords = [mean_chord_length(images["z"] == phase, axis) for axis in range(2)]
        print(f"    elongated view normal to z: rows {views_chords[0]:.2f}, columns "
              f"{views_chords[1]:.2f}")

    keys = ("s2_rmse", "lineal_path_rmse", "chord_length_error", "interface_error",
            "volume_fraction_error")
    print("\nper slicing axis, against the view prescribed there (raw fidelity figures):")
    for name in AXIS_NAMES:
        stats = compare(images[name], labels)["per_axis"][name]
        print(f"  normal to {name}: " + ", ".join(f"{k} {stats[k]:.4f}" for k in keys))

    isotropic = mcrkit.merge([views["x"]])
    steps = mcrkit.interpolate(isotropic, merged, 5)
    ends = all(np.array_equal(steps[0][n], isotropic[n]) and np.array_equal(steps[-1][n],
                                                                            merged[n])
               for n in merged.names)
    between = all(np.all((np.minimum(isotropic[n], merged[n]) <= steps[2][n])
                         & (steps[2][n] <= np.maximum(isotropic[n], merged[n])))
                  for n in merged.names)
    print(f"\ninterpolate(isotropic, merged, 5): ends equal the inputs exactly: {ends}; "
          f"middle between them element-wise: {between}")

    before = np.bincount(labels.ravel(), minlength=2) / labels.size
    print(f"\nsmooth the reconstruction (volume fractions before: {before[0]:.5f}, "
          f"{before[1]:.5f}):")
    for method, strength in (("gaussian", 1.0), ("median", 1.5)):
        for preserve in (False, True):
            start = time.perf_counter()
            smoothed = mcrkit.smooth(labels, method, strength, preserve_volume_fractions=preserve)
            after = np.bincount(smoothed.ravel(), minlength=2) / labels.size
            print(f"  {method} {strength:g}, preserve={preserve!s:<5}: one phase per voxel "
                  f"{set(np.unique(smoothed)) <= {0, 1}}, fractions {after[0]:.5f}, "
                  f"{after[1]:.5f} (max change {np.abs(after - before).max():.2%}), voxels "
                  f"changed {np.mean(smoothed != labels):.2%}, "
                  f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
