"""The validation report figure: the fidelity table against its pass lines, the verdict, curves.

The title is the report's one verdict (:func:`mcrkit.metrics.verdict.judge`),
word for word as ``match``, ``compare`` and the GUI print it, in green (good),
red (a statistic fails) or orange (nothing fails, but not everything could be
judged). Below it, left, the table: one row per statistic and phase, one
column per slicing axis, each cell the deviation in units of its pass line
with a colour key (green passes, red fails, grey cannot be judged). Right,
with an original: S2, the lineal path and the chord length distribution of
every phase, original with its spread band and result per axis; without
one, what the report compared the result with and what it cannot judge.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.plotting.figures import finish, new_figure

__all__ = ["plot_report", "row_name"]

_STATISTICS = {
    "volume_fraction": "volume fraction",
    "s2": "S₂ scaled autocovariance",
    "lineal_path": "lineal path L/φ",
    "chord_length": "chord length distribution",
    "mean_chord": "mean chord length",
    "interface": "interface density",
    "largest_cluster": "largest-cluster fraction",
    "euler_density": "Euler characteristic density",
    "percolation": "percolation",
}
"""Names of the report's statistics in the figure (descriptors: their display names)."""

_CURVES = (("s2", "(S₂ − φ²) / (φ − φ²)", "distance |r| (px)"),
           ("lineal_path", "L(r) / φ", "segment length r (px)"),
           ("chord_length", "fraction of chords ≤ ℓ", "chord length ℓ (px)"))
_AXIS_COLORS = {"2d": "C0", "x": "C0", "y": "C1", "z": "C2"}
_COLUMNS = {"2d": "2D", "3D": "volume", "x": "slices\nnormal to x", "y": "slices\nnormal to y",
            "z": "slices\nnormal to z"}
_BOUNDS = (0.0, 0.5, 1.0, 2.0, 10.0, 20.0)
"""Bins of deviation / pass line in the table's colour key (the last: above 10)."""
_COLORS = ("#1a9850", "#a6d96a", "#fdae61", "#d73027", "#a50026")
_KEY_LABELS = ("≤ 0.5", "0.5–1", "1–2", "2–10", "> 10")
_NOT_JUDGED = "0.85"
_LABEL_SIZE = 7.5


def row_name(line: dict[str, Any]) -> str:
    """The name of a row of the fidelity table in the figure.

    Examples
    --------
    >>> row_name({"kind": "statistic", "statistic": "s2", "phase": 0})
    'S₂ scaled autocovariance, phase 0'
    >>> row_name({"kind": "topology", "statistic": "percolation", "phase": 1, "direction": "x"})
    'percolation along x, phase 1'
    >>> row_name({"kind": "descriptor", "statistic": "two_point", "phase": None})
    'Two-point correlation S2 vs target'
    """
    if line["kind"] == "descriptor":
        from mcrkit.plotting.characterization import descriptor_title

        return f"{descriptor_title(line['statistic'])} vs target"
    name = _STATISTICS.get(line["statistic"], line["statistic"].replace("_", " "))
    if line.get("direction"):
        name = f"{name} along {line['direction']}"
    return name if line["phase"] is None else f"{name}, phase {line['phase']}"


def _table(report: dict[str, Any]) -> tuple[list[str], list[bool], list[str], np.ndarray]:
    """Row names, whether each row was optimized, columns (axes) and deviation / pass line
    of every cell (NaN: not judged; inf: a phase gone; -1: no such row on that axis, e.g.
    percolation along x on slices normal to x)."""
    groups = list(dict.fromkeys((line["kind"], line["statistic"], line["phase"])
                                for line in report["lines"]))
    ordered = sorted(report["lines"], key=lambda line: (
        groups.index((line["kind"], line["statistic"], line["phase"])),
        line.get("direction") or ""))  # percolation along x, y, z together
    names = list(dict.fromkeys(row_name(line) for line in ordered))
    optimized = dict.fromkeys(names, False)
    axes = list(dict.fromkeys(line["axis"] for line in report["lines"]))
    table = np.full((len(names), len(axes)), -1.0)
    for line in report["lines"]:
        row = names.index(row_name(line))
        optimized[names[row]] |= bool(line["optimized"])
        ratio = np.nan
        if line["passed"] is not None:
            gone = line["deviation"] is None or line["pass_line"] is None
            ratio = np.inf if gone else line["deviation"] / max(line["pass_line"], 1e-300)
        table[row, axes.index(line["axis"])] = ratio
    return names, [optimized[n] for n in names], axes, table


def _text_width(text: str, size: float) -> float:
    """Rough width in inches of ``text`` at ``size`` points."""
    return 0.56 * size / 72 * len(text)


def _cell_colors(table: np.ndarray) -> np.ndarray:
    """RGB of every cell: its bin of :data:`_BOUNDS` (a bin holds its upper bound, so a cell
    at exactly its pass line is in "0.5–1"), grey where not judged, white where no row."""
    from matplotlib.colors import to_rgb

    palette = np.array([to_rgb(c) for c in (*_COLORS, _NOT_JUDGED, "white")])
    index = np.searchsorted(np.array(_BOUNDS[1:-1]), table, side="left")
    index[np.isnan(table)] = len(_COLORS)
    index[table < 0] = len(_COLORS) + 1
    return palette[index]


def _draw_table(fig: Any, box: tuple[float, ...], key_box: tuple[float, ...],
                report: dict[str, Any]) -> str:
    """Draw the table and its colour key; return the note that explains its marks.

    Cells, row and column names and the key are one image and plain texts each (no tick
    marks or colour bar, whose axes cost most of drawing a figure)."""
    from matplotlib.transforms import ScaledTranslation

    names, optimized, axes, table = _table(report)
    ax = fig.add_axes(box, xticks=[], yticks=[])
    ax.imshow(_cell_colors(table), aspect="auto", interpolation="nearest")
    for (i, j), ratio in np.ndenumerate(table):
        if ratio >= 0:  # else no such row on this axis: a blank cell
            text = "–" if np.isnan(ratio) else "gone" if np.isinf(ratio) else f"{ratio:.2g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    weight="bold" if ratio > 1 else "normal")
    left = ax.get_yaxis_transform() + ScaledTranslation(-4 / 72, 0, fig.dpi_scale_trans)
    marked = bool(report["optimized_descriptors"]) and not all(optimized)
    for i, (name, seen) in enumerate(zip(names, optimized, strict=True)):
        ax.text(0, i, name, ha="right", va="center", fontsize=_LABEL_SIZE, transform=left,
                **({} if seen or not marked else {"color": "0.4", "style": "italic"}))
    above = ax.get_xaxis_transform() + ScaledTranslation(0, 3 / 72, fig.dpi_scale_trans)
    for j, column in enumerate(axes):
        ax.text(j, 1, _COLUMNS.get(column, column), ha="center", va="bottom", fontsize=7,
                transform=above)
    key = fig.add_axes(key_box, xticks=[], yticks=[])
    middles = (np.array(_BOUNDS[:-1]) + np.array(_BOUNDS[1:])) / 2
    key.imshow(_cell_colors(middles[::-1, None]), aspect="auto",
               interpolation="nearest")  # one cell per bin, the highest on top
    right = key.get_yaxis_transform() + ScaledTranslation(3 / 72, 0, fig.dpi_scale_trans)
    for i, label in enumerate(reversed(_KEY_LABELS)):
        key.text(1, i, label, ha="left", va="center", fontsize=7, transform=right)
    key.text(1, 0.5, "deviation / pass line (≤ 1 passes)", rotation=90, ha="left",
             va="center", fontsize=7, transform=key.transAxes
             + ScaledTranslation(0.42, 0, fig.dpi_scale_trans))
    notes = ["grey –: cannot be judged"] if np.isnan(table).any() else []
    notes += ["blank: no such statistic on these slices"] if (table < 0).any() else []
    notes += ["grey italic rows: not optimized by the reconstruction"] if marked else []
    return "; ".join(notes)


def _draw_curve(ax: Any, report: dict[str, Any], statistic: str, phase: int,
                ylabel: str | None, xlabel: str, legend: bool) -> None:
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import ScaledTranslation

    lines = [line for line in report["lines"] if line["kind"] == "statistic"
             and line["statistic"] == statistic and line["phase"] == phase]
    limit = report["limit_to"]
    per_axis = len(report["original"]["shape"]) == 3 and len(report["result"]["shape"]) == 3
    for line in lines:
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
        where = _COLUMNS.get(line["axis"], line["axis"]).replace("\n", " ")
        if per_axis:  # a volume's original differs from axis to axis
            ax.fill_between(x, original - band, original + band, color=color, alpha=0.15,
                            lw=0)
            ax.plot(x, original, "--", lw=1, color=color, label=f"original ({where})")
        elif line["axis"] in ("2d", "x"):
            ax.fill_between(x, original - band, original + band, color="0.85",
                            label=f"original ± {report['tolerance']:g} spreads")
            ax.plot(x, original, "k-", lw=1, label="original")
        ax.plot(x, result, ".-", ms=3, lw=0.7, color=color,
                label="result" if line["axis"] == "2d" else f"result ({where})")
    # at a fixed height: placing it above the tick labels would lay them out once more
    ax.set_title(f"{_STATISTICS[statistic]}, phase {phase}", fontsize=8, y=1)
    ax.tick_params(labelsize=6.5)
    # a few ticks (each costs three lines and two texts), at whole pixels along x, and only
    # those in view: a locator also gives the ticks beyond the ends, made and not drawn
    for axis, locator in ((ax.xaxis, MaxNLocator(5, steps=[1, 2, 5, 10])),
                          (ax.yaxis, MaxNLocator(4))):
        low, high = axis.get_view_interval()
        ticks = locator.tick_values(low, high)
        axis.set_ticks(ticks[(ticks >= low) & (ticks <= high)])
    # the axis labels likewise at fixed distances from the axes
    inches = ax.figure.dpi_scale_trans
    ax.set_xlabel(xlabel, fontsize=7)
    ax.xaxis.set_label_coords(0.5, 0, ax.transAxes + ScaledTranslation(0, -0.2, inches))
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=7)
        ax.yaxis.set_label_coords(0, 0.5, ax.transAxes + ScaledTranslation(-0.3, 0, inches))
    if legend:
        ax.legend(fontsize=6, loc="best")


def _draw_unjudged(ax: Any, report: dict[str, Any]) -> None:
    """What a report without an original compared, and what it cannot judge."""
    lines = ["Compared with the target characterization:",
             "the descriptors the reconstruction optimized,",
             "with the natural spread of the result's own windows."]
    missing = report["verdict"]["cannot_judge"]
    if missing:
        lines += ["", "Cannot judge without the original structure:",
                  *(f"  • {m}" for m in missing)]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=8,
            transform=ax.transAxes, linespacing=1.4)
    ax.set_axis_off()


def _verdict_color(verdict: dict[str, Any]) -> str:
    """Green: good; red: a statistic fails; orange: nothing fails but not all was judged."""
    return "#1a9850" if verdict["good"] else "#a50026" if verdict["failed"] else "#c07000"


def plot_report(report: dict[str, Any], *, save: str | os.PathLike[str] | None = None,
                format: str | None = None, dpi: float | None = None) -> Any:
    """Draw a :func:`mcrkit.metrics.report.validation_report` under its verdict.

    See the module docstring for what is drawn. The layout is computed once
    from the table's size and the length of its row names (no layout engine,
    which would draw the figure twice).

    Parameters
    ----------
    report : dict
        The report (as returned or as read from ``report.json``), with at least
        one row.
    save : path, optional
        Write the figure to this file and close it.
    format : str, optional
        Figure format when the file name has no usable suffix (e.g. ``"png"``).
    dpi : float, optional
        Resolution of a raster image (default :data:`~mcrkit.plotting.figures.DPI`).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a report without rows: it has nothing to draw.
    """
    if not report["lines"]:
        raise ValueError("the report has no rows to draw: it compared nothing (give the "
                         "original structure, or the target characterization and the "
                         "descriptors the reconstruction optimized)")
    has_curves = report["original"] is not None
    names, _, axes, _ = _table(report)
    phases = sorted({line["phase"] for line in report["lines"]
                     if line["kind"] == "statistic" and line["statistic"] == "s2"})
    # geometry in inches
    label_w = max(_text_width(name, _LABEL_SIZE) for name in names) + 0.15
    table_w = max(1.0, 0.75 * len(axes))
    right_w = 2.55 * max(len(phases), 1) if has_curves else 3.6
    width = 0.15 + label_w + table_w + 0.1 + 0.12 + 0.75 + 0.55 + right_w + 0.1
    source = Path(str(report["original"]["source"] if has_curves else report["target"])).name
    against = "the original" if has_curves else "the target characterization"
    named = "" if source in ("array", "None") else f" {source}"
    title = textwrap.wrap(f"Result vs {against}{named}: {report['verdict']['text']}",
                          int(width * 72 / 9 / 0.55))
    title_h = 0.2 + 0.19 * len(title)
    table_h = 0.24 * len(names)
    height = title_h + max(table_h + 1.0, 5.6 if has_curves else 2.4)
    fig = new_figure(save, figsize=(width, height))

    def box(left: float, bottom: float, w: float, h: float) -> tuple[float, ...]:
        return left / width, bottom / height, w / width, h / height

    top = height - title_h - 0.45  # the column names above the table
    table_left = 0.15 + label_w
    key_h = min(max(table_h, 1.4), 2.5)
    note = _draw_table(fig, box(table_left, top - table_h, table_w, table_h),
                       box(table_left + table_w + 0.1, top - key_h, 0.12, key_h), report)
    if note:
        fig.text(0.15 / width, (top - table_h - 0.12) / height, textwrap.fill(note, 75),
                 fontsize=7, va="top", ha="left")
    right = table_left + table_w + 0.1 + 0.12 + 0.75 + 0.55
    if has_curves:
        grid = fig.add_gridspec(3, len(phases), left=right / width,
                                right=1 - 0.1 / width, top=(height - title_h - 0.2) / height,
                                bottom=0.45 / height, wspace=0.3, hspace=0.62)
        for row, (statistic, ylabel, xlabel) in enumerate(_CURVES):
            for col, phase in enumerate(phases):
                _draw_curve(fig.add_subplot(grid[row, col]), report, statistic, phase,
                            ylabel if col == 0 else None, xlabel, legend=row == col == 0)
    else:
        _draw_unjudged(fig.add_axes(box(right, 0.3, right_w, height - title_h - 0.5)), report)
    fig.suptitle("\n".join(title), fontsize=9, y=1 - 0.1 / height, va="top",
                 color=_verdict_color(report["verdict"]))
    return finish(fig, save, format=format, dpi=dpi)
