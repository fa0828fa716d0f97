"""The validation report figure: deviations in units of the natural spread, and curves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.plotting.figures import new_figure
from mcrkit.validation import disk_mask

__all__ = ["plot_report"]

_CURVES = (("s2", "(S2 - phi^2) / (phi - phi^2)", "|r| (px)"),
           ("lineal_path", "lineal path / phi", "r (px)"),
           ("chord_length", "chord length CDF", "l (px)"))
_AXIS_COLORS = {"2d": "C0", "x": "C0", "y": "C1", "z": "C2"}


def _row_name(line: dict[str, Any]) -> str:
    if line["kind"] == "descriptor":
        return f"{line['statistic']} vs target"
    phase = "" if line["phase"] is None else f" p{line['phase']}"
    mark = "" if line["optimized"] else " *"
    return f"{line['statistic']}{phase}{mark}"


def _ratio_table(report: dict[str, Any]) -> tuple[list[str], list[str], np.ndarray]:
    """Rows (statistic, phase), columns (axes) and deviation / spread (NaN: no spread)."""
    rows = list(dict.fromkeys(_row_name(line) for line in report["lines"]))
    axes = list(dict.fromkeys(line["axis"] for line in report["lines"]))
    table = np.full((len(rows), len(axes)), np.nan)
    for line in report["lines"]:
        if line["spread"] is not None:
            spread = max(line["spread"], 1e-300)
            table[rows.index(_row_name(line)), axes.index(line["axis"])] = (
                line["deviation"] / spread)
    return rows, axes, table


def _draw_table(ax: Any, report: dict[str, Any]) -> None:
    from matplotlib.colors import BoundaryNorm, ListedColormap

    rows, axes, table = _ratio_table(report)
    tolerance = report["tolerance"]
    # greens within the tolerance, reds outside; grey: no spread
    cmap = ListedColormap(["#1a9850", "#a6d96a", "#fdae61", "#d73027", "#a50026"],
                          bad="0.85")
    norm = BoundaryNorm(np.array([0, 0.5, 1, 2, 10, np.inf]) * tolerance, cmap.N)
    ax.imshow(np.ma.masked_invalid(table), cmap=cmap, norm=norm, aspect="auto")
    for (i, j), ratio in np.ndenumerate(table):
        text = "-" if np.isnan(ratio) else f"{ratio:.2g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=7,
                weight="bold" if ratio > tolerance else "normal")
    ax.set_xticks(range(len(axes)), [f"axis {a}" if a != "2d" else "2D" for a in axes],
                  fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_title(f"deviation / natural spread (within if <= {tolerance:g}; * not optimized)",
                 fontsize=8)


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
            radius = np.round(np.hypot(r[:, None], r[None, :])[disk_mask(limit)], 6)
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


def plot_report(report: dict[str, Any], *, save: str | os.PathLike[str] | None = None,
                format: str | None = None) -> Any:
    """Draw a :func:`mcrkit.report.validation_report`.

    Left: every line's deviation in units of its natural spread (green within,
    red outside). Right: S2, the lineal path and the chord length CDF of the
    last phase, original with its spread band and result per axis (a 3D
    original per axis too, dashed, its bands shaded in the axis' colour).

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
    fig = new_figure(save, figsize=(11.5 if has_curves else 5.5, 5.2))
    # fixed margins: a layout engine would draw the figure twice
    grid = fig.add_gridspec(3, 2 if has_curves else 1, width_ratios=[1.1, 1] if has_curves
                            else [1], left=0.16 if has_curves else 0.3, right=0.98,
                            top=0.9, bottom=0.08, wspace=0.12, hspace=0.55)
    if report["lines"]:
        _draw_table(fig.add_subplot(grid[:, 0]), report)
    if has_curves:
        for row, (statistic, title, xlabel) in enumerate(_CURVES):
            _draw_curve(fig.add_subplot(grid[row, 1]), report, statistic, title, xlabel)
    s = report["summary"]
    source = Path(str(report["original"]["source"] if has_curves else report["target"])).name
    fig.suptitle(f"validation vs {source}: {s['within']} within the natural spread, "
                 f"{s['outside']} outside", fontsize=9)
    if save is not None:
        fig.savefig(save, dpi=100, format=format)  # 6-8 pt text stays legible
    return fig
