"""Peak memory of a characterization and of a reconstruction against the estimate.

Run one case per process, so that its peak resident memory is its own:

    python benchmarks/memory.py characterize 512             # default descriptors, 512^3
    python benchmarks/memory.py reconstruct 128 --max-iter 2 # match's defaults, 128^3
    python benchmarks/memory.py reconstruct 256 --ndim 2     # 256^2

``characterize N`` characterizes a two-phase N^3 volume (thresholded smoothed
noise, volume fraction about 0.3) with ``mcrkit characterize``'s default
descriptors. ``reconstruct N`` characterizes the bundled 64^2 alloy with the
descriptors :func:`mcrkit.workflows.defaults.choose_defaults` picks for an
N^3 (or N^2) result and runs that many L-BFGS iterations of the reconstruction
(no report; ``--descriptors`` keeps only some of them; ``--workspace 16`` gives a 128^3
run the chunks of a 512^3 one). Each prints one line: the case, the seconds, the peak resident
memory of the process (``ru_maxrss``, as ``/usr/bin/time -v`` reports it), the
memory of the interpreter with mcrkit and PyTorch loaded before any array, and
for reconstructions the estimate the run recorded (:mod:`mcrkit.engine.memory`).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def volume(n: int, seed: int = 0) -> np.ndarray:
    """A two-phase ``n^3`` uint8 volume: smoothed noise above a threshold (phase 1 ~ 0.3)."""
    from scipy import ndimage

    noise = np.random.default_rng(seed).standard_normal((n, n, n), dtype=np.float32)
    ndimage.uniform_filter(noise, 5, output=noise, mode="wrap")
    return np.greater(noise, 0.05, out=np.empty(noise.shape, np.uint8), casting="unsafe")


def characterize_case(n: int, threads: int) -> str:
    from mcrkit.microstructure import from_array
    from mcrkit.workflows import characterize

    labels = from_array(volume(n))  # the noise it is made from is freed before the baseline
    base = _peak_mib()
    start = time.perf_counter()
    characterize(labels, threads=threads)
    seconds = time.perf_counter() - start
    return (f"characterize {n}^3: {seconds:.1f} s, peak {_peak_mib():.0f} MiB "
            f"(labels {labels.labels.nbytes / 2**20:.0f} MiB, before characterizing "
            f"{base:.0f} MiB)")


def reconstruct_case(n: int, ndim: int, max_iter: int, threads: int,
                     only: list[str] | None = None, workspace: int | None = None) -> str:
    import mcrkit
    from mcrkit.workflows import characterize, reconstruct
    from mcrkit.workflows.defaults import choose_defaults

    original = mcrkit.data.load("alloy_resized_s")
    shape = (n,) * ndim
    choice = choose_defaults(original, shape)
    target = characterize(original, choice.request, threads=threads)
    if workspace is not None:  # chunks of a larger shape: the budget scaled to this one
        from mcrkit.descriptors import base as descriptor_base

        descriptor_base.WORKSPACE_BYTES = workspace * 2**20
    names = only or choice.descriptors
    weights = {name: w for name, w in choice.weights.items() if name in names}
    base = _peak_mib()
    start = time.perf_counter()
    result = reconstruct(target, shape, names, weights, max_iter=max_iter,
                         seed=0, device="cpu", threads=threads, report=False, force=True)
    seconds = time.perf_counter() - start
    estimate = result.settings["memory_estimate"] / 2**20
    return (f"reconstruct {n}^{ndim} ({result.evaluations} evaluations): {seconds:.1f} s, "
            f"peak {_peak_mib():.0f} MiB, estimate {estimate:.0f} MiB "
            f"(before reconstructing {base:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["characterize", "reconstruct"])
    parser.add_argument("n", type=int, help="side of the cube (or square)")
    parser.add_argument("--ndim", type=int, default=3, choices=[2, 3])
    parser.add_argument("--max-iter", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--descriptors", help="only these of the defaults (comma-separated)")
    parser.add_argument("--workspace", type=int, help="chunk budget in MiB (default 256)")
    args = parser.parse_args()
    if args.case == "characterize":
        print(characterize_case(args.n, args.threads))
    else:
        only = args.descriptors.split(",") if args.descriptors else None
        print(reconstruct_case(args.n, args.ndim, args.max_iter, args.threads, only,
                               args.workspace))


if __name__ == "__main__":
    main()
