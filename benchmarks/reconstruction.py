"""Reconstruction benchmark: whole ``mcrkit match`` commands and one loss evaluation.

Run ``python benchmarks/reconstruction.py [--cases 2d,3d64,...] [--repeat 3]
[--threads 2] [--device cpu]``. Every case runs the installed ``mcrkit``
command in a fresh process with default settings (fixed seeds); the table
shows the median wall and CPU (user + system) time of the whole command
(start-up included; on a busy machine the CPU time is the steadier figure), its
peak RSS, evaluations, seconds per evaluation and the fidelity of the discrete
result against the 2D original with exact statistics (worst slicing axis):
S2-RMSE over |r| <= 8, lineal-path RMSE, mean-chord and interface-density
errors, |delta vf| and the fraction of isolated voxels (above the original's).

``--structures`` keeps only the inputs named (e.g. ``pymks_ms_64x64_1``).
Cases: ``2d`` (every 2D structure: the two bundled ones, those in
``../shared/data`` when present and a generated one at volume fraction 0.1),
``3d64`` (64^3 from pymks_ms_64x64_1 and alloy_resized_s), ``3d128`` (128^3
from pymks_ms_64x64_1), ``3d256`` (256^3, time and memory only), ``loss``
(one loss evaluation at 64^3 with correlations + variation) and ``eval64``,
``eval128``, ``eval256`` (one loss + gradient of the objective ``match`` builds
by default for a volume of that side from pymks_ms_64x64_1: CPU seconds of the
process, which a busy machine changes less than wall seconds) and ``figure`` (the
run directory's ``report.png`` of a 2D 64^2 ``match``, drawn in fresh processes as
the command draws it after its run: CPU seconds of importing matplotlib and of
drawing and writing the figure).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import SHARED, run_command


def structures_2d(workdir: Path) -> dict[str, Path]:
    """Name -> .npy path of the 2D test structures."""
    from scipy.ndimage import gaussian_filter

    import mcrkit

    found = {name: mcrkit.data.path(name) for name in mcrkit.data.names()}
    if SHARED.is_dir():
        found |= {p.stem: p for p in sorted(SHARED.glob("*_resized_s.npy"))}
    rng = np.random.default_rng(0)
    field = gaussian_filter(rng.standard_normal((64, 64)), 2.0, mode="wrap")
    sparse = workdir / "generated_vf0.1.npy"
    np.save(sparse, (field > np.quantile(field, 0.9)).astype(np.uint8))
    found["generated_vf0.1"] = sparse
    return found


def case_row(label: str, runs: list[dict]) -> str:
    """One table row: medians of the repeats, fidelity of the first run."""
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    meta = runs[0]["meta"]
    evaluations = meta["evaluations"]
    per_eval = statistics.median(r["meta"]["timings"]["per_evaluation"] for r in runs)
    peak = max(r["peak_mb"] for r in runs)
    worst = meta.get("comparison", {}).get("worst")
    if worst is None:
        fidelity = " | ".join(["-"] * 7)
    else:
        fidelity = (f"{worst['s2_rmse']:.4f} | {worst['lineal_path_rmse']:.4f} | "
                    f"{worst['chord_length_error']:.1%} | {worst['interface_error']:.1%} | "
                    f"{worst['volume_fraction_error']:.4f} | {worst['isolated_excess']:.2%} | "
                    f"{'yes' if meta['verdict']['good'] else 'no'}")
    return (f"| {label} | {evaluations} | {seconds:.1f} | {cpu:.1f} | {per_eval * 1000:.1f} | "
            f"{peak:.0f} | "
            f"{fidelity} |")


def loss_evaluation(threads: int | None, device: str, repeat: int) -> str:
    """Median seconds of one loss + gradient at 64^3 with correlations + variation."""
    import torch

    import mcrkit
    from mcrkit.engine.field import initial_params
    from mcrkit.engine.objective import Objective, make_loss, resolve_terms

    if threads:
        torch.set_num_threads(threads)
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"),
                            ["volume_fractions", "correlations", "variation"], limit_to=8)
    dev = torch.device(device)
    terms = resolve_terms(c, (64, 64, 64), ["correlations", "variation"], device=dev)
    objective = Objective(terms, make_loss("mse"), 2, (64, 64, 64))
    theta = initial_params((64, 64, 64), c["volume_fractions"],
                           generator=torch.Generator().manual_seed(0), device=dev)
    objective(theta)  # warm-up
    times = []
    for _ in range(repeat):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        objective(theta)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return (f"loss + gradient at 64^3, correlations (limit_to 8) + variation, {device}: "
            f"median {statistics.median(times):.3f} s over {repeat} (min {min(times):.3f} s)")


def default_evaluation(size: int, threads: int | None, repeat: int) -> str:
    """CPU seconds of one loss + gradient of the default ``match`` objective at ``size``^3."""
    import resource

    import torch

    import mcrkit
    from mcrkit.engine.field import initial_params
    from mcrkit.engine.objective import Objective, make_loss, resolve_terms
    from mcrkit.runtime import keep_freed_memory
    from mcrkit.workflows.defaults import choose_defaults

    keep_freed_memory()  # as the mcrkit command does
    if threads:
        torch.set_num_threads(threads)
    original, shape = mcrkit.data.load("pymks_ms_64x64_1"), (size,) * 3
    choice = choose_defaults(original, shape)
    c = mcrkit.characterize(original, choice.request)
    terms = resolve_terms(c, shape, choice.descriptors, choice.weights)
    objective = Objective(terms, make_loss("mse"), int(original.max()) + 1, shape)
    theta = initial_params(shape, c["volume_fractions"],
                           generator=torch.Generator().manual_seed(0))
    objective(theta)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.process_time()
        objective(theta)
        times.append(time.process_time() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"loss + gradient at {size}^3, {' + '.join(choice.descriptors)}, "
            f"{torch.get_num_threads()} thread(s): median {statistics.median(times):.3f} CPU s "
            f"over {repeat} (min {min(times):.3f}); peak RSS of the process so far {peak:.0f} MB")


_FIGURE = """
import json, sys, time
import torch, mcrkit.plotting.report, mcrkit.plotting.characterization, mcrkit.registry
from mcrkit.metrics.report import write_report
report = json.loads(open(sys.argv[1]).read())
start = time.process_time()
import matplotlib.figure, matplotlib.backends.backend_agg
imported = time.process_time()
write_report(report, sys.argv[2])
print(imported - start, time.process_time() - imported)
"""
"""The report figure as ``match`` writes it, after the imports a run has made: CPU seconds of
importing matplotlib and of drawing and writing ``report.png``."""


def figure_cost(original: Path, workdir: Path, repeat: int) -> str:
    """Medians of the CPU seconds of :data:`_FIGURE` in ``repeat`` fresh processes, for the
    report of a 2D ``match`` of ``original``."""
    run = run_command(["match", str(original), "--seed", "0", "--device", "cpu"], workdir,
                      keep=True)
    report = run["run_dir"] / "report.json"
    times = [json.loads("[" + subprocess.run(
        [sys.executable, "-c", _FIGURE, str(report), str(workdir / f"figure{i}")],
        check=True, capture_output=True, text=True).stdout.replace(" ", ",") + "]")
        for i in range(repeat)]
    imports, drawing = (statistics.median(t[k] for t in times) for k in (0, 1))
    return (f"report figure of a 2D 64^2 match ({len(json.loads(report.read_text())['lines'])} "
            f"rows): matplotlib import {imports:.3f} CPU s, drawing and writing {drawing:.3f} "
            f"CPU s (medians of {repeat} fresh processes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="2d,3d64,3d128,loss")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--structures", default=None,
                        help="comma-separated names of the 2D and 3D inputs to run (default: all)")
    args = parser.parse_args()
    cases = args.cases.split(",")
    common = ["--device", args.device, "--seed", "0"]
    if args.threads:
        common += ["--threads", str(args.threads)]
    print("| case | evaluations | wall s | CPU s | ms/evaluation | peak RSS MB | S2-RMSE | "
          "LP-RMSE | chord err | interface err | abs dvf | isolated excess | good |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        inputs = structures_2d(workdir)
        chosen = set(args.structures.split(",")) if args.structures else set(inputs)
        jobs: list[tuple[str, list[str], int]] = []
        if "2d" in cases:
            jobs += [(f"2D 64^2 {name}", ["match", str(path)], args.repeat)
                     for name, path in inputs.items() if name in chosen]
        if "3d64" in cases:
            jobs += [(f"3D 64^3 from {name}", ["match", str(inputs[name]), "--add-dimension",
                                               "64"], args.repeat)
                     for name in ("pymks_ms_64x64_1", "alloy_resized_s") if name in chosen]
        if "3d128" in cases:
            pymks128 = ["match", str(inputs["pymks_ms_64x64_1"]), "--shape", "128", "128", "128"]
            jobs.append(("3D 128^3 from pymks_ms_64x64_1", pymks128, 1))
        if "3d256" in cases:
            jobs.append(("3D 256^3 from pymks_ms_64x64_1",
                         ["match", str(inputs["pymks_ms_64x64_1"]), "--shape", "256", "256",
                          "256"], 1))
        for label, command, repeat in jobs:
            runs = [run_command([*command, *common], workdir) for _ in range(repeat)]
            print(case_row(label, runs), flush=True)
        if "figure" in cases:
            print(figure_cost(inputs["pymks_ms_64x64_1"], workdir, max(args.repeat, 3)),
                  flush=True)
    if "loss" in cases:
        print(loss_evaluation(args.threads, args.device, max(args.repeat, 5)))
    for size in (64, 128, 256):
        if f"eval{size}" in cases:
            print(default_evaluation(size, args.threads, args.repeat), flush=True)


if __name__ == "__main__":
    main()
