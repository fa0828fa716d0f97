"""mcrkit and MCRpy side by side: seconds of one loss + gradient evaluation.

Run ``python benchmarks/vs_mcrpy.py --mcrpy-python /work/mcrpy-venv/bin/python
[--shapes 2d,3d] [--cases s2,s3,variation,s3+variation] [--repeat 3] [--threads 1]
[--mcrkit-dtype float32]``.

For every shape (2D 64², and 3D 64³ prescribed by the 2D characterization on the
slices normal to x, y and z) and every case, each tool runs in a fresh process
of its own: it characterizes ``pymks_ms_64x64_1`` (limit_to 8), builds the
objective a reconstruction of that shape minimizes, evaluates it once to warm
up (MCRpy traces its TensorFlow functions then) and times ``--repeat`` further
evaluations of loss and gradient on the same field. The table shows the
medians of wall and CPU seconds (the CPU time of the process, all threads:
the steadier figure on a busy machine) and their ratios (MCRpy / mcrkit).

The cases pair descriptors that compute the same statistics: ``s2`` is mcrkit's
``two_point`` against MCRpy's ``TwoPointCorrelations``, ``s3`` ``correlations``
(S2 and S3 of the vectors within ``limit_to``) against ``Correlations``,
``variation`` ``variation`` against ``Variation``, and ``s3+variation`` both
together. MCRpy always computes in float64; mcrkit in ``--mcrkit-dtype``: its
default float32 (what a reconstruction uses) or float64, the same precision as
MCRpy's (the header line names both). Both run ``--threads`` threads (PyTorch
intra-op, and on one thread the BLAS that mcrkit's ``correlations`` calls;
TensorFlow intra- and inter-op). Each handles a volume its own way (mcrkit batches the
slices of each axis; MCRpy takes the gradient slice by slice). The mcrkit
worker imports mcrkit before torch, as the ``mcrkit`` command does, so that
the library's thread wait policy holds. MCRpy's multigrid descriptor is off, so
both compute the statistics at full resolution only.

The project installs nothing from MCRpy: its stack (TensorFlow, NumPy 1.x)
conflicts with mcrkit's, so it lives in a virtual environment of its own,
made once with (Python 3.11; tensorflow-cpu 2.15 is the last release whose
``tf.keras`` is the Keras 2 that MCRpy 0.2.0 was written for)::

    python3 -m venv /work/mcrpy-venv
    /work/mcrpy-venv/bin/pip install "tensorflow-cpu==2.15.1"
    /work/mcrpy-venv/bin/pip install --no-deps mcrpy==0.2.0
    /work/mcrpy-venv/bin/pip install "matplotlib<3.9" "scipy<1.14" pyevtk

(``--no-deps``: MCRpy asks for the ``tensorflow`` package, which would pull in
the GPU build beside ``tensorflow-cpu``.) This script imports only the
standard library at the top, so the same file serves as the worker in both
environments.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import timed_calls

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "src" / "mcrkit" / "data" / "pymks_ms_64x64_1.npy"
LIMIT_TO = 8
SHAPES = {"2d": (64, 64), "3d": (64, 64, 64)}
CASES = {  # case -> (mcrkit descriptors, MCRpy descriptors)
    "s2": (["two_point"], ["TwoPointCorrelations"]),
    "s3": (["correlations"], ["Correlations"]),
    "variation": (["variation"], ["Variation"]),
    "s3+variation": (["correlations", "variation"], ["Correlations", "Variation"]),
}


def mcrkit_worker(descriptors: list[str], shape: tuple[int, ...], repeat: int,
                  threads: int, dtype: str = "float32") -> dict[str, object]:
    """Time mcrkit's objective (the one ``reconstruct`` minimizes) on a fixed field."""
    # mcrkit first, as the mcrkit command imports it: its thread wait policy precedes torch
    import mcrkit  # noqa: I001

    import numpy as np
    import torch
    from mcrkit.engine.field import initial_params
    from mcrkit.engine.objective import Objective, make_loss, resolve_terms

    torch.set_num_threads(threads)
    c = mcrkit.characterize(np.load(IMAGE), ["volume_fractions", *descriptors],
                            limit_to=LIMIT_TO)
    device = torch.device("cpu")
    terms = resolve_terms(c, shape, descriptors, device=device, dtype=getattr(torch, dtype))
    objective = Objective(terms, make_loss("mse"), c.n_phases, shape)
    theta = initial_params(shape, c["volume_fractions"],
                           generator=torch.Generator().manual_seed(0),
                           dtype=getattr(torch, dtype), device=device)
    return timed_calls(lambda: objective(theta), repeat)


def mcrpy_worker(descriptors: list[str], shape: tuple[int, ...], repeat: int,
                 threads: int) -> dict[str, object]:
    """Time MCRpy's loss and gradient as its reconstruction calls them (``DMCR``'s
    optimizer's ``call_loss``), on its own random start field."""
    import importlib

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import mcrpy
    from mcrpy.src import DMCR

    reconstruct = importlib.import_module("mcrpy.reconstruct")  # the package shadows it
    np.random.seed(0)  # noqa: NPY002 -- MCRpy draws its start field from NumPy's global state
    image = mcrpy.Microstructure(np.load(IMAGE).astype(np.float64), use_multiphase=False,
                                 trainable=False)
    options = {"descriptor_types": descriptors, "limit_to": LIMIT_TO,
               "use_multigrid_descriptor": False}
    characterization = mcrpy.characterize(
        image, mcrpy.CharacterizationSettings(use_multiphase=False, **options))
    settings, desired = reconstruct.setup_reconstruction(
        characterization, shape, mcrpy.ReconstructionSettings(max_iter=1, **options), None)
    dmcr = DMCR.DMCR(**vars(settings))
    dmcr.assign_desired_descriptor(desired)
    dmcr.setup_optimization(shape, 1, None, 0)
    return timed_calls(lambda: dmcr.opt.call_loss(dmcr.ms), repeat)


def run_worker(python: str, tool: str, case: str, shape: str, repeat: int,
               threads: int, dtype: str) -> dict[str, object]:
    """One tool, case and shape in a fresh process of ``python``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [python, __file__, "--worker", tool, "--cases", case, "--shapes", shape,
         "--repeat", str(repeat), "--threads", str(threads), "--mcrkit-dtype", dtype],
        capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{tool} {case} {shape} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcrpy-python", help="python of the virtual environment with MCRpy")
    parser.add_argument("--shapes", default="2d,3d")
    parser.add_argument("--cases", default="s2,s3,variation,s3+variation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mcrkit-dtype", choices=("float32", "float64"), default="float32",
                        help="mcrkit's precision (MCRpy's is always float64)")
    parser.add_argument("--worker", choices=("mcrkit", "mcrpy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mcrkit_names, mcrpy_names = CASES[args.cases]
        if args.worker == "mcrkit":
            timings = mcrkit_worker(mcrkit_names, SHAPES[args.shapes], args.repeat,
                                    args.threads, args.mcrkit_dtype)
        else:
            timings = mcrpy_worker(mcrpy_names, SHAPES[args.shapes], args.repeat, args.threads)
        print(json.dumps(timings))
        return
    if not args.mcrpy_python:
        parser.error("give --mcrpy-python, the python of a virtual environment with MCRpy "
                     "(see this script's docstring for how to make one)")
    print(f"threads {args.threads}, mcrkit {args.mcrkit_dtype}, MCRpy float64, {args.repeat} "
          f"timed evaluations after a warm-up; load average {os.getloadavg()[0]:.1f} at the start")
    print("| shape | case | mcrkit descriptors | mcrkit s (CPU s) | MCRpy s (CPU s) | "
          "MCRpy / mcrkit, wall (CPU) |")
    print("|---|---|---|---:|---:|---:|")
    for shape in args.shapes.split(","):
        for case in args.cases.split(","):
            ours = run_worker(sys.executable, "mcrkit", case, shape, args.repeat, args.threads,
                              args.mcrkit_dtype)
            theirs = run_worker(args.mcrpy_python, "mcrpy", case, shape, args.repeat,
                                args.threads, args.mcrkit_dtype)
            a, b = (statistics.median(r["seconds"]) for r in (ours, theirs))
            ca, cb = (statistics.median(r["cpu"]) for r in (ours, theirs))
            size = "x".join(map(str, SHAPES[shape]))
            print(f"| {size} | {case} | {' + '.join(CASES[case][0])} | {a:.4f} ({ca:.4f}) | "
                  f"{b:.4f} ({cb:.4f}) | {b / a:.3g} ({cb / ca:.3g}) |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
