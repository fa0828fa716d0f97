"""3D from three orthogonal slices of an anisotropic volume, against the volume itself.

The truth is a thresholded Gaussian random field of side ``--size`` whose
kernel is ``--elongation`` times longer along z than along x and y (phase 1 at
``--fraction``): features elongated along z, so that the structure and its
transport differ along z from x and y. Its three central slices (normal to x,
y and z) are what a user would image; the benchmark runs the documented path
on them as whole commands (the installed ``mcrkit``, each in a fresh process):

1. ``mcrkit characterize slice_N.npy -o view_N.npz --descriptors D`` for N = x, y, z
   (``D`` = ``volume_fractions,two_point,lineal_path``, the README's set),
2. ``mcrkit merge view_x.npz view_y.npz view_z.npz -o merged.npz`` (each view on
   its own slice orientation; the realizability check passes, the slices come
   from one volume),
3. ``mcrkit reconstruct merged.npz --shape S S S --seed 0 --device cpu`` (its default
   start: the anisotropic level-cut model fitted to the views' S2, a gradient run only
   if its slices fail their targets; ``--start noise`` for the noise start and the
   gradient run),

and compares the result with the truth using the 3D statistics of
``benchmarks/fidelity.py`` (volume fraction, Euler and surface density,
largest-cluster fraction, percolation along x, y, z) and the tortuosity factor
of every phase along x, y and z (:func:`mcrkit.properties`); the target is
every percolating phase's tortuosity within 15 % of the truth's along each axis.

The truth is a level cut of a Gaussian field, the family of the model start: the
figures say how well the model is fitted from three slices, not how well it suits
other structures.

Usage: ``python benchmarks/orthogonal_slices.py [--size 128] [--elongation 3]
[--fraction 0.4] [--length 2] [--max-iter N] [--start model|noise] [--out DIR]``. With ``--out`` the
truth, the result (``.npy``), a picture (truth | result, middle slices normal to
x, y and z) and ``orthogonal_slices.json`` are written there.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import MCRKIT, run_command
from fidelity import against_truth, picture

DESCRIPTORS = "volume_fractions,two_point,lineal_path"


def truth_volume(size: int, elongation: float, fraction: float, length: float) -> np.ndarray:
    """The anisotropic truth: kernel length ``length`` along x and y, ``elongation`` times it
    along z."""
    from mcrkit.generators import gaussian_random_field

    return gaussian_random_field((size,) * 3, (length, length, length * elongation),
                                 volume_fraction=fraction, seed=0)


def central_slices(volume: np.ndarray) -> dict[str, np.ndarray]:
    """The middle slice normal to each axis, image axes in the default orientation of
    ``merge`` (normal to x: rows y, columns z; normal to y: rows x, columns z; normal to z:
    rows x, columns y)."""
    return {axis: np.ascontiguousarray(np.take(volume, volume.shape[index] // 2, axis=index))
            for index, axis in enumerate("xyz")}


def _timed(args: list[str]) -> float:
    """Run ``mcrkit`` with ``args`` in a fresh process; the wall seconds."""
    start = time.perf_counter()
    done = subprocess.run([MCRKIT, *args, "--quiet"], capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(f"mcrkit {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - start


def reconstruct(truth: np.ndarray, max_iter: int | None, workdir: Path, start: str = "model"
                ) -> tuple[np.ndarray, dict[str, Any]]:
    """The volume reconstructed from the truth's three central slices, and the timings."""
    seconds: dict[str, float] = {}
    views = []
    for axis, image in central_slices(truth).items():
        np.save(workdir / f"slice_{axis}.npy", image)
        views.append(str(workdir / f"view_{axis}.npz"))
        seconds[f"characterize {axis}"] = _timed(
            ["characterize", str(workdir / f"slice_{axis}.npy"), "-o", views[-1],
             "--descriptors", DESCRIPTORS])
    merged = str(workdir / "merged.npz")
    seconds["merge"] = _timed(["merge", *views, "-o", merged])
    args = ["reconstruct", merged, "--shape", *map(str, truth.shape), "--seed", "0",
            "--device", "cpu", "--start", start]
    if max_iter is not None:
        args += ["--max-iter", str(max_iter)]
    reconstruction = run_command(args, workdir, keep=True)
    seconds["reconstruct"] = reconstruction["seconds"]
    result = np.load(reconstruction["run_dir"] / "reconstruction.npy")
    meta = reconstruction["meta"]
    return result, {"seconds": seconds, "peak_mb": reconstruction["peak_mb"],
                    "cpu_seconds": reconstruction["cpu_seconds"],
                    "iterations": meta["iterations"], "assumed": meta["settings"]["defaults"],
                    "command": " ".join(["reconstruct", "merged.npz", *args[2:]])}


def table(figures: dict[str, Any]) -> str:
    """Markdown: per phase, truth / result of the 3D statistics and the tortuosity per axis."""
    lines = ["| phase | vf | Euler density 3D | S_v 3D | percolates | tortuosity x | "
             "tortuosity y | tortuosity z |", "|---|---|---|---|---|---|---|---|"]
    pairs = zip(figures["truth_3d"], figures["result_3d"], figures["truth_tortuosity"],
                figures["result_tortuosity"], strict=True)
    for phase, (t, r, tau_t, tau_r) in enumerate(pairs):
        along = ["".join("xyz"[i] for i, p in enumerate(v["percolates"]) if p) or "-"
                 for v in (t, r)]
        taus = [" / ".join("inf" if v is None else f"{v:.2f}" for v in values)
                for values in zip(tau_t, tau_r, strict=True)]
        lines.append(f"| {phase} | {t['volume_fraction']:.3f} / {r['volume_fraction']:.3f} | "
                     f"{t['euler_density']:.2e} / {r['euler_density']:.2e} | "
                     f"{t['surface_density']:.3f} / {r['surface_density']:.3f} | "
                     f"{along[0]} / {along[1]} | " + " | ".join(taus) + " |")
    verdicts = [("3D statistics", figures["verdict_3d"]),
                ("tortuosity within 15 %", figures["verdict_tortuosity"])]
    lines.append("")
    for label, verdict in verdicts:
        lines.append(f"- {label}: " + ("good" if verdict["good"] else
                                       "not good: " + "; ".join(verdict["failing"])))
    lines.append("- seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in
                                           figures["seconds"].items())
                 + f"; reconstruct CPU {figures['cpu_seconds']:.1f} s, "
                 f"{figures['iterations']} iterations, peak {figures['peak_mb']:.0f} MB")
    lines.append(f"- assumed: {figures['assumed']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="side of the truth")
    parser.add_argument("--elongation", type=float, default=3.0,
                        help="kernel length along z over that along x and y")
    parser.add_argument("--fraction", type=float, default=0.4, help="volume fraction of phase 1")
    parser.add_argument("--length", type=float, default=2.0,
                        help="kernel length along x and y, voxels")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="iterations of reconstruct (default: its own)")
    parser.add_argument("--start", choices=("model", "noise"), default="model",
                        help="start of reconstruct (default: its own, the model)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the volumes, the picture and the JSON figures")
    args = parser.parse_args(argv)
    truth = truth_volume(args.size, args.elongation, args.fraction, args.length)
    with tempfile.TemporaryDirectory() as tmp:
        result, figures = reconstruct(truth, args.max_iter, Path(tmp), args.start)
    figures |= {"shape": list(truth.shape), "elongation": args.elongation,
                "fraction": args.fraction, "length": args.length}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        np.save(args.out / "truth.npy", truth)
        np.save(args.out / "result.npy", result)
        panels = [plane for volume in (truth, result)
                  for plane in central_slices(volume).values()]
        picture(panels[:3], args.out / "truth.png")
        picture(panels[3:], args.out / "result.png")
    figures |= against_truth(truth, result)
    if args.out is not None:
        (args.out / "orthogonal_slices.json").write_text(json.dumps(figures, indent=1))
    print(table(figures))


if __name__ == "__main__":
    main()
