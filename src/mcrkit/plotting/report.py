"""The validation report figure: the fidelity table against its pass lines, the verdict, curves."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.plotting.figures import new_figure

__all__ = ["plot_report"]

_CURVES = (("s2", "(S2 - phi^2) / (phi - phi^2)", "|r| (px)"),
           ("lineal_path", "lineal path / phi", "r (px)"),
           ("chord_length", "chord length CDF", "l (px)"))
_AXIS_COLORS = {"2d": "C0", "x": "C0", "y": "C1", "z": "C2"}


def _row_name(line: dict[str, Any], marked: bool = True) -> str:
    if line["kind"] == "descriptor":
        return f"{line['statistic']} vs target"
    phase = "" if line["phase"] is None else f" p{line['phase']}"
    direction = f" {line['direction']}" if line.get("direction") else ""
    mark = "" if line["optimized"] or not marked else " *"
    return f"{line['statistic']}{direction}{phase}{mark}"


def _ratio_table(report: dict[str, Any]) -> tuple[list[str], list[str], np.ndarray]:
    """Rows (statistic, phase), columns (axes) and deviation / pass line (NaN: not judged)."""
    marked = bool(report["optimized_descriptors"])
    rows = list(dict.fromkeys(_row_name(line, marked) for line in report["lines"]))
    axes = list(dict.fromkeys(line["axis"] for line in report["lines"]))
    table = np.full((len(rows), len(axes)), np.nan)
    for line in report["lines"]:
        if line["passed"] is not None:
            gone = line["deviation"] is None or line["pass_line"] is None  # a phase gone
            table[rows.index(_row_name(line, marked)), axes.index(line["axis"])] = (
                np.inf if gone else line["deviation"] / max(line["pass_line"], 1e-300))
    return rows, axes, table


def _draw_table(ax: Any, report: dict[str, Any]) -> None:
    from matplotlib.colors import BoundaryNorm, ListedColormap

    rows, axes, table = _ratio_table(report)
    # greens pass, reds fail; grey: cannot be judged
    cmap = ListedColormap(["#1a9850", "#a6d96a", "#fdae61", "#d73027", "#a50026"],
                          bad="0.85")
    norm = BoundaryNorm(np.array([0, 0.5, np.nextafter(1, 2), 2, 10, np.inf]), cmap.N)
    ax.imshow(np.ma.masked_invalid(table), cmap=cmap, norm=norm, aspect="auto")
    for (i, j), ratio in np.ndenumerate(table):
        text = "-" if np.isnan(ratio) else f"{ratio:.2g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=7,
                weight="bold" if ratio > 1 else "normal")
    ax.set_xticks(range(len(axes)), [f"axis {a}" if a not in ("2d", "3D") else a.upper()
                                     for a in axes], fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_title("deviation / pass line (passes if <= 1; - not judged; * not optimized)",
                 fontsize=8)


def _draw_cannot_judge(ax: Any, report: dict[str, Any]) -> None:
    """The statistics that the report could not judge (a result without its original)."""
    missing = report["verdict"]["cannot_judge"]
    text = ("cannot judge without the original:\n" + "\n".join(f"  {m}" for m in missing)
            if missing else "every statistic was judged")
    ax.text(0.02, 0.98, text, va="top", ha="left", fontsize=8, transform=ax.transAxes)
    ax.set_axis_off()


def _draw_curve(ax: Any, report: dict[str, Any], statistic: str, title: str,
                xlabel: str) -> None:
    lines = [line for line in report["lines"]
             if line["kind"] == "statistic" and line["statistic"] == statistic]
    phase = max(line["phase"] for line in lines)
    limit = report["limit_to"]
    per_axis = len(report["original"]["shape"]) == 3 and len(report["result"]["shape"]) == 3
    for line in (line for line in lines if line["phase"] == phase):
        original, result = (np.asarray(line[k], dtype=float) for k in ("original", "result"))
        band = np.asarray(line["band"] if line.get("band") is not None
                          else np.full(original.shape, np.nan), dtype=float)
        if statistic == "s2":  # averaged over vectors of equal length
            r = np.arange(-limit, limit + 1)
            radius = np.hypot(r[:, None], r[None, :])
            radius = np.round(radius[radius <= limit], 6)  # the report's disk of vectors
            x, group = np.unique(radius, return_inverse=True)
            counts = np.bincount(group)
            original, result = (np.bincount(group, weights=v) / counts
                                for v in (original, result))
            band = np.sqrt(np.bincount(group, weights=band**2) / counts)
        else:  # the first in-plane axis
            half = original.size // 2
            x = np.arange(half) + (statistic == "chord_length")
            original, result, band = original[:half], result[:half], band[:half]
        color = _AXIS_COLORS[line["axis"]]
        band = report["tolerance"] * band
        if per_axis:  # a volume's original differs from axis to axis
            ax.fill_between(x, original - band, original + band, color=color, alpha=0.15,
                            lw=0)
            ax.plot(x, original, "--", lw=1, color=color, label=f"original ({line['axis']})")
        elif line["axis"] in ("2d", "x"):
            ax.fill_between(x, original - band, original + band, color="0.85",
                            label=f"original +- {report['tolerance']:g} spread")
            ax.plot(x, original, "k-", lw=1, label="original")
        ax.plot(x, result, ".-", ms=3, lw=0.6, color=color, label=f"result ({line['axis']})")
    ax.set_title(f"{title}, phase {phase}", fontsize=8)
    ax.set_xlabel(xlabel, fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6)


def _verdict_color(verdict: dict[str, Any]) -> str:
    """Green: good; red: a statistic fails; orange: nothing fails but not all was judged."""
    return "#1a9850" if verdict["good"] else "#a50026" if verdict["failed"] else "#c07000"


def plot_report(report: dict[str, Any], *, save: str | os.PathLike[str] | None = None,
                format: str | None = None) -> Any:
    """Draw a :func:`mcrkit.metrics.report.validation_report` under its verdict.

    Left: every row's deviation in units of its pass line (green passes, red
    fails, grey cannot be judged). Right: S2, the lineal path and the chord
    length CDF of the last phase, original with its spread band and result
    per axis (a 3D original per axis too, dashed, its bands shaded in the
    axis' colour); without an original, the statistics it cannot judge. The
    title is the verdict (:func:`mcrkit.metrics.verdict.judge`).

    Parameters
    ----------
    report : dict
        The report (as returned or as read from ``report.json``).
    save : path, optional
        Write the figure to this file and close it.
    format : str, optional
        Image format when the file name has no usable suffix (e.g. ``"png"``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    has_curves = report["original"] is not None
    rows = len({_row_name(line) for line in report["lines"]})
    height = max(5.2, 1.6 + 0.12 * rows)
    source = Path(str(report["original"]["source"] if has_curves else report["target"])).name
    title = textwrap.wrap(f"{source}: {report['verdict']['text']}", 140)
    fig = new_figure(save, figsize=(11.5, height))
    # fixed margins: a layout engine would draw the figure twice
    grid = fig.add_gridspec(3, 2, width_ratios=[1.1, 1], left=0.2, right=0.98,
                            top=1 - (0.35 + 0.17 * len(title)) / height, bottom=0.4 / height,
                            wspace=0.12, hspace=0.55)
    if report["lines"]:
        _draw_table(fig.add_subplot(grid[:, 0]), report)
    if has_curves:
        for row, (statistic, title_, xlabel) in enumerate(_CURVES):
            _draw_curve(fig.add_subplot(grid[row, 1]), report, statistic, title_, xlabel)
    else:
        _draw_cannot_judge(fig.add_subplot(grid[:, 1]), report)
    fig.suptitle("\n".join(title), fontsize=9,
                 color=_verdict_color(report["verdict"]))
    if save is not None:
        fig.savefig(save, dpi=100, format=format)  # 6-8 pt text stays legible
    return fig
