r"""The one verdict on a result: every row of the fidelity table against its pass line.

A row of the fidelity table (a line of
:func:`mcrkit.metrics.report.validation_report`) is one statistic of one phase,
measured on one slicing axis (``"x"``, ``"y"``, ``"z"``) or on the structure
as it is (``"2d"``, ``"3D"``), with the original's and the result's values,
the deviation, the original's natural spread and the pass line:

=============================  ==================================================
statistic                      passes when the deviation is at most
=============================  ==================================================
correlations, chords, volume   :data:`TOLERANCE` natural spreads
fraction, interface density,
optimized descriptors
Euler density, surface         :data:`TOLERANCE` natural spreads
density, feature sizes (3D)
largest-cluster fraction       :data:`CLUSTER_LINE`, or :data:`TOLERANCE` natural
                               spreads where the original's own spread is wider
                               (near the percolation threshold)
dead ends of a network's       :data:`TOLERANCE` natural spreads (2D; only for the
skeleton                       network phases of the original,
                               :func:`~mcrkit.morphology.networks.find_networks`)
percolation along an axis      :data:`PERCOLATION_LINE` (share of the slices that
                               percolate; for one image or a volume: identical)
                               where all windows of the original agree, or
                               where the phase is one cluster in the original
                               and percolates (original and result compared
                               whole, not by slices); otherwise the original's
                               percolation is not decided at its size and any
                               result passes
=============================  ==================================================

:func:`judge` gives the verdict: ``"good"`` only when every row passes,
otherwise ``"not good: "`` and the failing statistics in plain words (the worst
row of each statistic and phase, topology first). A row without a pass line
(no spread could be estimated, a statistic undefined for a phase absent from
both) cannot be judged; a phase of the original missing from the result
fails. The verdict names what it could not judge, and is never "good"
without saying so. :func:`format_verdict` prints the table and the
verdict: ``match``, ``compare``, the report figure and the GUI all show this
one verdict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["CLUSTER_LINE", "LABELS", "PERCOLATION_LINE", "TOLERANCE", "format_verdict",
           "judge", "pass_line", "reason", "row_cells"]

TOLERANCE = 3.0
"""A deviation within this many natural spreads passes.

Three, not two: the verdict needs every row to pass, and a table has tens of
rows. Re-seeded samples of one random structure (Gaussian random fields,
64 x 64, correlation length 3 px) failed on some row in 3 of 20 pairs with
two spreads and in none with three; the deliberately wrong results of
``tests/metrics/test_verdict.py`` fail by far more."""

CLUSTER_LINE = 0.05
"""Largest deviation of the largest-cluster fraction that passes (unless the spread is wider)."""

PERCOLATION_LINE = 0.05
"""Largest deviation of the share of percolating slices that passes."""

LABELS = {
    "volume_fraction": "volume fraction",
    "s2": "S2 scaled, (S2-phi^2)/(phi-phi^2)",
    "lineal_path": "lineal path / phi",
    "chord_length": "chord length CDF",
    "mean_chord": "mean chord length (px)",
    "interface": "interface density (unlike pairs)",
    "largest_cluster": "largest cluster / phase",
    "euler_density": "Euler characteristic per voxel",
    "percolation": "percolation along",
    "surface_density": "surface area per voxel (3D)",
    "feature_size": "feature size, share >= radius (3D)",
    "dead_ends": "dead ends of the skeleton per voxel",
}
"""Plain-words names of the statistics of the table (descriptors go by their own name)."""

_TOPOLOGY_FIRST = ("largest_cluster", "euler_density", "percolation", "dead_ends")


def pass_line(statistic: str, spread: float | None) -> float | None:
    """The largest deviation of ``statistic`` that passes (None: cannot be judged).

    Parameters
    ----------
    statistic : str
        Key of the row (a descriptor's name for a descriptor row).
    spread : float or None
        The original's natural spread of the deviation.

    Examples
    --------
    >>> pass_line("s2", 0.01), pass_line("s2", None)
    (0.03, None)
    >>> pass_line("largest_cluster", 0.001), pass_line("largest_cluster", 0.1)
    (0.05, 0.3...)
    >>> pass_line("percolation", 0.0), pass_line("percolation", 0.3)  # windows agree / not
    (0.05, 1.0)
    """
    natural = None if spread is None else TOLERANCE * spread
    if statistic == "largest_cluster":
        return CLUSTER_LINE if natural is None else max(CLUSTER_LINE, natural)
    if statistic == "percolation":
        return PERCOLATION_LINE if not spread else 1.0
    return natural


def _ratio(line: dict[str, Any]) -> float:
    """Deviation over pass line (> 1 fails); NaN when the row cannot be judged."""
    if line["passed"] is None:
        return math.nan
    if line["deviation"] is None or not math.isfinite(line["deviation"]):  # a phase gone
        return math.inf
    if line["pass_line"] == 0:
        return 0.0 if line["deviation"] == 0 else math.inf
    return line["deviation"] / line["pass_line"]


def _phase(line: dict[str, Any]) -> str:
    return "" if line["phase"] is None else f"phase {line['phase']} "


def reason(line: dict[str, Any]) -> str:
    """A failing row of the table in plain words.

    Examples
    --------
    >>> reason({"kind": "topology", "statistic": "largest_cluster", "phase": 1, "axis": "2d",
    ...         "original": [0.97], "result": [0.27], "deviation": 0.7, "spread": 0.01,
    ...         "pass_line": 0.05, "passed": False})
    'phase 1 fragmented: largest cluster 27 % of the phase, original 97 %'
    """
    statistic, phase = line["statistic"], _phase(line)
    original, result = (np.asarray(line[key], dtype=float) for key in ("original", "result"))
    where = "" if line["axis"] in ("2d", "3D") else f" (slices normal to {line['axis']})"
    if not np.isfinite(result).any():
        return f"{phase}missing from the result{where}"
    if line["kind"] == "descriptor":
        return (f"descriptor {statistic} off its target by {_ratio(line) * TOLERANCE:.1f} "
                f"natural spreads{where}")
    if statistic == "largest_cluster":
        word = "fragmented" if result[0] < original[0] else "fused"
        return (f"{phase}{word}: largest cluster {result[0]:.0%} of the phase, original "
                f"{original[0]:.0%}{where}").replace("%", " %")
    if statistic == "percolation":
        along = f"along {line['direction']}"  # several directions: "x, y" (see judge)
        if {original[0], result[0]} <= {0.0, 1.0}:
            return (f"{phase}no longer percolates {along}{where}" if original[0] else
                    f"{phase}percolates {along}, the original does not{where}")
        return (f"{phase}percolates {along} in {result[0]:.0%} of the slices, original "
                f"{original[0]:.0%}{where}").replace("%", " %")
    if statistic == "euler_density":
        more = result[0] > original[0]
        return (f"{phase}topology changed: Euler characteristic {result[0] * 1000:.3g} per "
                f"1000 voxels, original {original[0] * 1000:.3g} ("
                + ("more separate pieces or fewer holes" if more else
                   "fewer separate pieces or more holes") + f"){where}")
    if statistic == "dead_ends":
        return (f"{phase}dead ends of its skeleton {result[0] * 1000:.3g} per 1000 voxels, "
                f"original {original[0] * 1000:.3g} ("
                + ("loose or cut walls" if result[0] > original[0] else "fewer loose walls")
                + f"){where}")
    if statistic in ("volume_fraction", "mean_chord", "interface", "surface_density"):
        return (f"{phase}{LABELS[statistic]} {np.nanmean(result):.3g}, original "
                f"{np.nanmean(original):.3g}{where}")
    return (f"{phase}{LABELS[statistic]} off by {_ratio(line) * TOLERANCE:.1f} natural "
            f"spreads{where}")


def _group(line: dict[str, Any]) -> tuple[Any, ...]:
    return line["kind"], line["statistic"], line["phase"], line.get("direction")


def _worst_per_group(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The worst row of each statistic, phase and direction over the axes, in table order."""
    def badness(line: dict[str, Any]) -> float:
        ratio = _ratio(line)
        return -1.0 if math.isnan(ratio) else ratio

    worst: dict[tuple[Any, ...], dict[str, Any]] = {}
    for line in lines:
        key = _group(line)
        if key not in worst or badness(line) > badness(worst[key]):
            worst[key] = line
    return list(worst.values())


def _directions_joined(line: dict[str, Any], failing: list[dict[str, Any]]) -> dict[str, Any]:
    """A failing percolation row naming every direction that fails alike on its axis."""
    if line["statistic"] != "percolation":
        return line
    alike = [other["direction"] for other in failing
             if other["statistic"] == "percolation" and other["phase"] == line["phase"]
             and other["axis"] == line["axis"] and other["original"] == line["original"]
             and other["result"] == line["result"]]
    return {**line, "direction": ", ".join(alike)}


def _name(line: dict[str, Any]) -> str:
    if line["kind"] == "descriptor":
        return f"descriptor {line['statistic']} vs target"
    direction = f" {line['direction']}" if line.get("direction") else ""
    return f"{LABELS[line['statistic']]}{direction}"


def judge(lines: list[dict[str, Any]], cannot_judge: list[str] | None = None,
          *, shown: int = 4) -> dict[str, Any]:
    """The one verdict on the rows of a fidelity table (module docstring).

    Parameters
    ----------
    lines : list of dict
        Rows with ``kind``, ``statistic``, ``phase``, ``axis``, ``original``,
        ``result``, ``deviation``, ``spread``, ``pass_line`` and ``passed``.
    cannot_judge : list of str, optional
        Statistics that were not measured (e.g. everything that needs the
        original when a result is judged against its target only).
    shown : int, optional
        How many failing statistics the text names (the rest are counted).

    Returns
    -------
    dict
        ``good`` (bool), ``text`` (the verdict in plain words), ``failing``
        (the reasons, worst first), ``failing_lines`` (axis, statistic, phase,
        direction of every failing row), ``cannot_judge`` and the counts
        ``passed``, ``failed``, ``unjudged``.

    Examples
    --------
    >>> row = {"kind": "statistic", "statistic": "volume_fraction", "phase": 0, "axis": "2d",
    ...        "original": [0.5], "result": [0.4], "deviation": 0.1, "spread": 0.01,
    ...        "pass_line": 0.02, "passed": False}
    >>> judge([row])["text"]
    'not good: phase 0 volume fraction 0.4, original 0.5'
    >>> judge([row | {"result": [0.5], "deviation": 0.0, "passed": True}])["text"]
    'good'
    """
    failing = [line for line in lines if line["passed"] is False]
    unjudged = [line for line in lines if line["passed"] is None]
    worst = _worst_per_group(failing)
    worst.sort(key=lambda line: (_TOPOLOGY_FIRST.index(line["statistic"])
                                 if line["statistic"] in _TOPOLOGY_FIRST else len(_TOPOLOGY_FIRST),
                                 -_ratio(line)))
    reasons = list(dict.fromkeys(reason(_directions_joined(line, failing)) for line in worst))
    missing = list(dict.fromkeys(
        [f"{_phase(line)}{_name(line)}".strip() for line in unjudged] + list(cannot_judge or [])))
    if reasons:
        more = len(reasons) - shown
        text = "not good: " + "; ".join(reasons[:shown]) + (
            f"; and {more} more" if more > 0 else "")
    else:
        text = "good" if not missing else "good on what it could judge"
    if missing and not lines:
        text = "cannot judge"
    return {
        "good": not failing and not missing,
        "text": text + (f" (cannot judge: {', '.join(missing)})" if missing else ""),
        "failing": reasons,
        "failing_lines": [{key: line.get(key) for key in ("axis", "statistic", "phase",
                                                          "direction")} for line in failing],
        "cannot_judge": missing,
        "passed": len(lines) - len(failing) - len(unjudged),
        "failed": len(failing),
        "unjudged": len(unjudged),
    }


def _value(values: Any, statistic: str) -> str:
    values = np.asarray(values, dtype=float).ravel()
    if values.size > 2 or statistic in ("s2", "lineal_path", "chord_length", "feature_size"):
        return "curve"
    if not np.isfinite(values).any():
        return "-"
    if statistic in ("largest_cluster", "percolation"):
        return f"{np.nanmean(values):.0%}"
    if statistic in ("euler_density", "dead_ends"):
        return f"{np.nanmean(values):.2e}"
    return f"{np.nanmean(values):.4g}"


def _number(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3g}"


def row_cells(line: dict[str, Any]) -> list[str]:
    """A row of the fidelity table as text: statistic, phase, axis, original, result,
    deviation, spread, pass line and its verdict (``pass``, ``FAIL`` or ``cannot judge``).

    Examples
    --------
    >>> row_cells({"kind": "statistic", "statistic": "volume_fraction", "phase": 0,
    ...            "axis": "2d", "original": [0.5], "result": [0.4], "deviation": 0.1,
    ...            "spread": 0.01, "pass_line": 0.03, "passed": False})
    ['volume fraction', '0', '2d', '0.5', '0.4', '0.1', '0.01', '0.03', 'FAIL']
    """
    return [_name(line), "-" if line["phase"] is None else str(line["phase"]), line["axis"],
            _value(line["original"], line["statistic"]),
            _value(line["result"], line["statistic"]), _number(line["deviation"]),
            _number(line["spread"]), _number(line["pass_line"]),
            {None: "cannot judge", True: "pass", False: "FAIL"}[line["passed"]]]


def format_verdict(report: dict[str, Any], *, per_axis: bool = True,
                   assumption: bool = True) -> str:
    """The fidelity table of a report and its one verdict, as text.

    Parameters
    ----------
    report : dict
        A :func:`mcrkit.metrics.report.validation_report` (or its ``report.json``).
    per_axis : bool, optional
        One row per slicing axis (default), or only the worst axis of each
        statistic and phase (a shorter table, the same verdict).
    assumption : bool, optional
        Print the assumption the slice orientations were judged under, if any
        (:mod:`mcrkit.metrics.transverse`).

    Returns
    -------
    str
        A header, one row per statistic and the line ``verdict: ...``.
    """
    lines = report["lines"] if per_axis else _worst_per_group(report["lines"])
    marked = bool(report.get("optimized_descriptors")) and not all(
        line["optimized"] for line in lines)
    against = "original" if report.get("original") else "target"
    out = [f"  fidelity vs the {against}" + ("" if per_axis else " (worst axis)")
           + f"; pass: deviation <= pass line ({report['tolerance']:g} natural spreads, "
           "or the line of a topology statistic)",
           f"  {'statistic':<36} {'phase':>5} {'axis':>4} {against:>9} {'result':>9} "
           f"{'deviation':>9} {'spread':>9} {'pass line':>9}  verdict"]
    for line in lines:
        cells = row_cells(line)
        mark = "*" if marked and not line["optimized"] else ""
        out.append(f"  {cells[0] + mark:<36} {cells[1]:>5} {cells[2]:>4} "
                   + " ".join(f"{cell:>9}" for cell in cells[3:8]) + f"  {cells[8]}")
    if marked:
        out.append("  * not optimized by the reconstruction")
    if report.get("volume"):
        from mcrkit.metrics.volume import format_volume_summary

        out.append(format_volume_summary(report["volume"]["result"], "3D statistics of the "
                                         "result (not judged: no 3D original)"))
    if assumption and report.get("assumption"):
        out.append(f"  {report['assumption']['text']}")
    out.append(f"  verdict: {report['verdict']['text']}")
    return "\n".join(out)
