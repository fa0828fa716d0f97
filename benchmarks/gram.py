"""Gram-matrix benchmark: 2D reconstruction of the copolymer with ``gram_matrices`` vs
``correlations``.

Run ``python benchmarks/gram.py [--size 64] [--max-iter 150] [--threads 1] [--seed 0]
[--layers conv1_1,conv2_1,...] [--figure docs/images/gram_copolymer.png]``.

Both cases characterize and reconstruct ``../shared/data/copolymer_resized_s.npy`` (cropped
or tiled to ``--size``) with the default optimizer (``lbfgs``) and one descriptor each:
``gram_matrices`` with the default extractor (``random-multiscale seed 0``; a VGG-19 file
in ``$MCRKIT_VGG19_WEIGHTS`` is used instead when set) and ``correlations`` with its
defaults. The table shows the wall time of characterization plus reconstruction,
the evaluations, seconds per evaluation and the fidelity of the discrete result against
the original (:func:`mcrkit.metrics.validation.compare`, worst phase): S2-RMSE over |r| <= 8,
relative error of the mean chord length, lineal-path RMSE and interface-density error.
With ``--figure`` it saves original | gram_matrices | correlations side by side.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import mcrkit
from mcrkit.metrics.validation import compare
from mcrkit.runtime import threads_limited

ROOT = Path(__file__).resolve().parents[1]
COPOLYMER = ROOT.parent / "shared" / "data" / "copolymer_resized_s.npy"
COLUMNS = ("s2_rmse", "chord_length_error", "lineal_path_rmse", "interface_error")


def original(size: int) -> np.ndarray:
    """The copolymer labels, cropped or periodically tiled to ``size`` x ``size``."""
    labels = np.load(COPOLYMER)
    reps = -(-size // min(labels.shape))
    return np.tile(labels, (reps, reps))[:size, :size]


def run_case(labels: np.ndarray, name: str, params: dict, *, max_iter: int,
             seed: int) -> tuple[dict, np.ndarray]:
    """Characterize ``labels`` with one descriptor (plus the volume fractions for the random
    start), reconstruct, compare; figures of the run and its discrete result."""
    start = time.perf_counter()
    target = mcrkit.characterize(labels, {"volume_fractions": {}, name: params})
    result = mcrkit.reconstruct(target, labels.shape, [name], max_iter=max_iter, seed=seed,
                                device="cpu")
    seconds = time.perf_counter() - start
    worst = compare(labels, result.labels)["worst"]
    row = {"seconds": seconds, "evaluations": result.evaluations,
           "per_evaluation": result.timings["per_evaluation"], "status": result.status,
           **{key: worst[key] for key in COLUMNS}}
    return row, result.labels


def save_figure(path: Path, panels: dict[str, np.ndarray]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.2))
    for ax, (title, labels) in zip(axes, panels.items(), strict=True):
        ax.imshow(labels.T, cmap="gray", origin="lower", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers", default=None,
                        help="comma-separated layers of gram_matrices (default: its own)")
    parser.add_argument("--figure", type=Path, default=None)
    args = parser.parse_args()

    labels = original(args.size)
    from mcrkit.descriptors.gram_matrices import GramMatrices

    params = {} if args.layers is None else {"layers": tuple(args.layers.split(","))}
    gram = GramMatrices(**params)
    cases = {f"gram_matrices ({gram.extractor})": ("gram_matrices", params),
             "correlations": ("correlations", {})}
    rows, results = {}, {"original": labels}
    with threads_limited(args.threads):
        for label, (name, options) in cases.items():
            rows[label], results[name] = run_case(labels, name, options,
                                                  max_iter=args.max_iter, seed=args.seed)
    print(f"copolymer_resized_s {args.size}x{args.size}, lbfgs, max_iter {args.max_iter}, "
          f"seed {args.seed}, {args.threads} thread(s); gram layers {','.join(gram.layers)}")
    header = f"{'case':<45} {'seconds':>8} {'evals':>6} {'s/eval':>7} " + " ".join(
        f"{c:>18}" for c in COLUMNS)
    print(header)
    for label, row in rows.items():
        print(f"{label:<45} {row['seconds']:8.1f} {row['evaluations']:6d} "
              f"{row['per_evaluation']:7.3f} " + " ".join(f"{row[c]:18.4f}" for c in COLUMNS))
    if args.figure is not None:
        save_figure(args.figure, results)
        print(f"saved {args.figure}")


if __name__ == "__main__":
    main()
