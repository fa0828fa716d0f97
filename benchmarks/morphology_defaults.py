"""Screening of reconstruction settings for connectivity: which defaults reproduce morphology.

Run ``python benchmarks/morphology_defaults.py [--structures alloy_resized_s,...]
[--configs baseline,window,...] [--seeds 0] [--threads 2] [--add-dimension 64]
[--data ../shared/data]``.
Each row characterizes the original and reconstructs it with one configuration
(fixed seed), then prints the wall time of characterization plus reconstruction
and quick connectivity statistics of every phase, next to the original's:
the largest connected cluster as a fraction of the phase (``scipy.ndimage.label``,
8-connectivity in 2D, 26 in 3D, not periodic) and the Euler number
(``skimage.measure.euler_number`` with the same connectivity). These are
screening numbers, not the official statistics of the validation report.

For ``--add-dimension`` the reconstruction is 3D; its numbers are those of the
volume, and the original's column holds the 2D slice's (a single slice does not
determine the 3D topology; compare with a 3D truth where one exists).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def connectivity(labels: np.ndarray) -> list[tuple[float, int]]:
    """(largest-cluster fraction, Euler number) of every phase, full connectivity."""
    from scipy import ndimage
    from skimage.measure import euler_number

    out = []
    for phase in range(int(labels.max()) + 1):
        mask = labels == phase
        if not mask.any():
            out.append((float("nan"), 0))
            continue
        clusters, _ = ndimage.label(mask, structure=np.ones((3,) * labels.ndim))
        sizes = np.bincount(clusters.ravel())[1:]
        out.append((sizes.max() / mask.sum(), int(euler_number(mask, connectivity=labels.ndim))))
    return out


def run_match(original: np.ndarray, config: dict[str, Any], seed: int,
              add_dimension: int | None) -> tuple[np.ndarray, float, str]:
    """Reconstruct ``original`` with ``config`` (keywords of :func:`mcrkit.match`)."""
    import mcrkit

    options = dict(config)
    start = time.perf_counter()
    result = mcrkit.match(original, add_dimension=add_dimension, seed=seed, device="cpu",
                          report=False, **options)
    seconds = time.perf_counter() - start
    note = str(result.settings.get("defaults", ""))
    return result.labels, seconds, note


_S2_LP = ["two_point", "lineal_path"]
_QUADS = [*_S2_LP, "local_patterns"]  # named descriptors: local_patterns at stride 1 only
CONFIGS: dict[str, dict[str, Any]] = {
    "baseline": {"descriptors": _S2_LP, "limit_to": 8},  # the default before local_patterns
    "default": {},  # mcrkit.workflows.defaults: quads at strides 1-4, weight 10
    "default_w3": {"weights": {"local_patterns": 3}},
    "default_w30": {"weights": {"local_patterns": 30}},
    "default_w100": {"weights": {"local_patterns": 100}},
    "w16": {"descriptors": _S2_LP, "limit_to": 16},
    "w24": {"descriptors": _S2_LP, "limit_to": 24},
    "w32": {"descriptors": _S2_LP, "limit_to": 32},
    "s2w32": {"descriptors": ["two_point"], "limit_to": 32},
    "mg2": {"descriptors": _S2_LP, "limit_to": 8, "multigrid": 2},
    "mg3w16": {"descriptors": _S2_LP, "limit_to": 16, "multigrid": 3},
    "polish": {"descriptors": _S2_LP, "limit_to": 8, "polish": True},
    "anneal8": {"descriptors": _S2_LP, "limit_to": 8, "optimizer": "annealing"},
    "anneal16": {"descriptors": _S2_LP, "limit_to": 16, "optimizer": "annealing"},
    "anneal32": {"descriptors": _S2_LP, "limit_to": 32, "optimizer": "annealing"},
    "quads1": {"descriptors": _QUADS, "limit_to": 8},
    "quads1w10": {"descriptors": _QUADS, "limit_to": 8, "weights": {"local_patterns": 10}},
    "quads1w100": {"descriptors": _QUADS, "limit_to": 8, "weights": {"local_patterns": 100}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", default="alloy_resized_s")
    parser.add_argument("--configs", default="baseline,default")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--add-dimension", type=int, default=None)
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the .npy files")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"{'structure':<22} {'config':<16} {'seed':>4} {'s':>6}  "
          "phase: largest-cluster fraction / Euler (original)")
    for name in args.structures.split(","):
        original = np.load(args.data / f"{name}.npy")
        want = connectivity(original)
        for config in args.configs.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                labels, seconds, note = run_match(original, CONFIGS[config], seed,
                                                  args.add_dimension)
                got = connectivity(labels)
                cells = "  ".join(f"p{p}: {g[0]:.3f}/{g[1]:+d} ({w[0]:.3f}/{w[1]:+d})"
                                  for p, (g, w) in enumerate(zip(got, want, strict=True)))
                print(f"{name:<22} {config:<16} {seed:>4} {seconds:6.1f}  {cells}"
                      + (f"  [{note}]" if note else ""), flush=True)


if __name__ == "__main__":
    main()
