"""Figures of characterizations: one panel per descriptor (and phase, for maps), one column
per slicing axis.

Every panel is titled with the descriptor's display name and says which
phase it shows; maps carry a colour bar, curves a legend of phases (colour)
and directions (line style), bars a y-label. Lengths are in the unit of the
voxel size where it is known, else in pixels.
"""

from __future__ import annotations

import math
import os
from itertools import combinations
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.plotting.figures import finish, pyplot
from mcrkit.plotting.lengths import Lengths

__all__ = ["descriptor_title", "plot_characterization"]

_MAPS = ("two_point", "two_point_cross", "correlations")
"""Descriptors drawn as one map per phase (or pair of phases)."""

_IN_PLANE = {"": ("x", "y"), "x": ("y", "z"), "y": ("x", "z"), "z": ("x", "y")}
"""In-plane axes (first, second) of a 2D structure and of the slices normal to x, y, z."""

_STYLES = ("-", "--", ":", "-.")
_MARKERS = (".", "x", "+", "1")


def descriptor_title(name: str) -> str:
    """The display name of a descriptor id (the id with spaces for one without).

    Examples
    --------
    >>> descriptor_title("two_point"), descriptor_title("no_such_thing")
    ('Two-point correlation S2', 'no such thing')
    """
    from mcrkit.registry import descriptors as registry

    try:
        display = registry.get(name).display_name
    except (KeyError, ValueError):
        display = ""
    return display or name.replace("_", " ")


def plot_characterization(characterization: Characterization, *,
                          save: str | os.PathLike[str] | None = None) -> Any:
    """Draw every descriptor of a characterization.

    S2 maps are shown around r = 0 (one per described phase), the two- and
    three-point correlations as the three-point probability of right
    triangles with legs along the two in-plane axes, lineal path, chord length
    and feature size as curves of every described phase, 2 x 2 patterns as a
    histogram and scalars as bars; 3D characterizations get one column per
    slicing axis. Maps are drawn like the structure itself: the first in-plane
    axis (x of a 2D structure; y, x, x of slices normal to x, y, z) to the
    right, the second upwards, and curves name the in-plane axis they run
    along.

    Parameters
    ----------
    characterization : Characterization
        What to draw.
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot(save)
    c = characterization
    lengths = Lengths.of(c, len(c.shape))
    # One panel per (descriptor, map, slicing axis); 2D characterizations wrap into 3 columns.
    panels = [(name, index, col, axis_name) for name in c.names
              for index in range(_n_maps(c, name))
              for col, axis_name in enumerate(c.axes or ("",))]
    n_cols = 3 if c.per_axis else min(3, len(panels))
    n_rows = -(-len(panels) // n_cols)
    fig, grid = plt.subplots(n_rows, n_cols, squeeze=False, figsize=(4.0 * n_cols, 3.3 * n_rows),
                             layout="constrained")
    fig.get_layout_engine().set(wspace=0.08, hspace=0.06)
    for ax, (name, index, col, axis_name) in zip(grid.ravel(), panels, strict=False):
        value = np.asarray(c[name][col] if c.per_axis else c[name], dtype=float)
        phases = c.descriptor(name).phases(c.n_phases)
        in_plane = lengths.in_plane("xyz".index(axis_name) if axis_name else
                                    (2 if len(c.shape) == 3 else None))
        shown = _draw(ax, name, value, c.settings.get(name, {}), phases, index,
                      _IN_PLANE[axis_name], in_plane)
        suffix = f"\n(slices normal to {axis_name})" if axis_name else ""
        ax.set_title(f"{descriptor_title(name)}{shown}{suffix}", fontsize=9)
    for ax in grid.ravel()[len(panels):]:
        ax.set_axis_off()
    voxel = "" if not lengths.known else (
        f", voxel size {' x '.join(f'{v:g}' for v in lengths.spacing)} {lengths.unit}")
    fig.suptitle(f"{c.source}: shape {tuple(c.shape)}, {c.n_phases} phases{voxel}",
                 fontsize=10)
    return finish(fig, save)


def _n_maps(c: Characterization, name: str) -> int:
    """Panels of a descriptor per slicing axis: one per described phase (pair) for maps."""
    if name not in _MAPS:
        return 1
    value = np.asarray(c[name])
    return value.shape[1] if c.per_axis else value.shape[0]


def _draw(ax: Any, name: str, value: np.ndarray, settings: dict[str, Any], phases: list[int],
          index: int, names: tuple[str, str], lengths: Lengths) -> str:
    """Draw one descriptor value; return what the title adds (which phases it shows)."""
    if name == "two_point":
        _s2_map(ax, value[index], names, lengths, "$S_2(\\mathbf{r})$")
        return f", phase {phases[index]}"
    if name == "two_point_cross":  # one map per pair i < j, in combinations order
        pair = list(combinations(phases, 2))[index]
        _s2_map(ax, value[index], names, lengths, f"$S_2^{{({pair[0]},{pair[1]})}}(\\mathbf{{r}})$")
        return ", phases {} and {}".format(*pair)
    if name == "correlations":
        _right_triangles(ax, value[index], names, lengths)
        return f", phase {phases[index]}"
    if name in ("lineal_path", "lineal_path_approx"):
        _lineal_path(ax, value, settings.get("directions", []), phases, names, lengths)
    elif name == "chord_length":
        _chords(ax, value, phases, names, lengths)
    elif name == "feature_size":
        _feature_size(ax, value, phases, lengths)
    elif name == "local_patterns":
        _patterns(ax, value, settings.get("strides", [1]), lengths)
        return f", phase {phases[-1]}"
    elif name in _BAR_LABELS or (value.ndim == 1 and value.size <= len(phases)):
        _bars(ax, name, value, phases, lengths)
    else:
        _generic(ax, value)
    return ""


def _s2_map(ax: Any, value: np.ndarray, names: tuple[str, str], lengths: Lengths,
            key: str) -> None:
    """A correlation map around r = 0: value[r_first + limit, r_second + limit]."""
    limit = value.shape[-1] // 2
    sx, sy = lengths.along(0), lengths.along(1)
    image = ax.imshow(value.T, origin="lower", cmap="cividis", interpolation="nearest",
                      extent=((-limit - 0.5) * sx, (limit + 0.5) * sx,
                              (-limit - 0.5) * sy, (limit + 0.5) * sy))
    ax.set_xlabel(lengths.label(f"$r_{names[0]}$"))
    ax.set_ylabel(lengths.label(f"$r_{names[1]}$"))
    ax.figure.colorbar(image, ax=ax, shrink=0.85, label=key)


def _right_triangles(ax: Any, value: np.ndarray, names: tuple[str, str],
                     lengths: Lengths) -> None:
    """The three-point probability S3(0, a e_first, b e_second) of the finest level: the
    Gram entries of the vectors (a, 0) and (0, b); its edges a = 0 and b = 0 are S2.

    The value's vectors come first as (i, j) for i, j in [0, L) row by row (the
    layout of the ``correlations`` descriptor), so (a, 0) is entry a L and (0, b) entry b.
    """
    gram = value.reshape(-1, *value.shape[-2:])[0]
    limit = math.isqrt(gram.shape[0] // 2) + 1  # K = L^2 + (L - 1)^2
    steps = np.arange(limit)
    triangles = gram[np.ix_(steps * limit, steps)]  # [a, b]
    sx, sy = lengths.along(0), lengths.along(1)
    image = ax.imshow(triangles.T, origin="lower", cmap="cividis", interpolation="nearest",
                      extent=(-0.5 * sx, (limit - 0.5) * sx, -0.5 * sy, (limit - 0.5) * sy))
    ax.set_xlabel(lengths.label(f"leg $a$ along {names[0]}"))
    ax.set_ylabel(lengths.label(f"leg $b$ along {names[1]}"))
    ax.figure.colorbar(image, ax=ax, shrink=0.85,
                       label=f"$S_3(\\mathbf{{0}}, a\\hat{{{names[0]}}}, b\\hat{{{names[1]}}})$"
                             " (edges: $S_2$)")


def _direction_name(direction: Any, names: tuple[str, str]) -> str:
    d = tuple(int(v) for v in direction)
    if d[1] == 0:
        return f"along {names[0]}"
    if d[0] == 0:
        return f"along {names[1]}"
    return f"diagonal {d}"


def _phase_and_style_legend(ax: Any, phases: list[int], styles: list[str]) -> None:
    """One legend of the phase colours and the line styles."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=f"C{p}", label=f"phase {p}") for p in phases]
    if len(styles) > 1:
        handles += [Line2D([], [], color="0.3", ls=_STYLES[i % 4], marker=_MARKERS[i % 4],
                           label=style) for i, style in enumerate(styles)]
    ax.legend(handles=handles, fontsize=7, ncol=1 + (len(handles) > 4))


def _lineal_path(ax: Any, value: np.ndarray, directions: list[Any], phases: list[int],
                 names: tuple[str, str], lengths: Lengths) -> None:
    """L(r) of every described phase and direction, over the segment's length."""
    directions = directions or [(1, 0)] * value.shape[1]
    for p, curves in zip(phases, value, strict=True):
        for i, (curve, d) in enumerate(zip(curves, directions, strict=False)):
            step = math.hypot(d[0] * lengths.along(0), d[1] * lengths.along(1))
            ax.plot(np.arange(curve.size) * step, curve, color=f"C{p}", ls=_STYLES[i % 4],
                    marker=_MARKERS[i % 4], ms=4, lw=1)
    ax.set_xlabel(lengths.label("segment length $r$"))
    ax.set_ylabel("lineal path $L(r)$")
    _phase_and_style_legend(ax, phases, [_direction_name(d, names) for d in directions])


def _chords(ax: Any, value: np.ndarray, phases: list[int], names: tuple[str, str],
            lengths: Lengths) -> None:
    """p(l) of every described phase along both in-plane axes."""
    for p, curves in zip(phases, value, strict=True):
        for axis, curve in enumerate(curves):
            ax.plot(np.arange(1, curve.size + 1) * lengths.along(axis), curve,
                    color=f"C{p}", ls=_STYLES[axis], marker=_MARKERS[axis], ms=4, lw=1)
    ax.set_xlabel(lengths.label("chord length $\\ell$"))
    ax.set_ylabel("fraction of chords $p(\\ell)$")
    _phase_and_style_legend(ax, phases, [f"along {name}" for name in names])


def _feature_size(ax: Any, value: np.ndarray, phases: list[int], lengths: Lengths) -> None:
    """Area fraction of each phase in features of opening radius >= r."""
    step = lengths.isotropic()
    unit = lengths if step is not None else Lengths(None)
    for p, curve in zip(phases, value, strict=True):
        ax.plot(np.arange(1, curve.size + 1) * (step or 1.0), curve, color=f"C{p}",
                marker=".", ms=4, lw=1)
    ax.set_xlabel(unit.label("opening radius $r$"))
    ax.set_ylabel("area fraction in features of radius $\\geq r$")
    _phase_and_style_legend(ax, phases, [])


def _patterns(ax: Any, value: np.ndarray, strides: list[int], lengths: Lengths) -> None:
    """Frequency of the 16 2 x 2 patterns (numbered 8 q0 + 4 q1 + 2 q2 + q3, pixel k at
    offset o_k = (0, 0), (0, s), (s, 0), (s, s)), drawn as the patterns themselves."""
    counts = value.reshape(-1, 16)
    width = 0.8 / len(counts)
    for i, (row, stride) in enumerate(zip(counts, strides, strict=False)):
        step = stride * lengths.along(0)
        ax.bar(np.arange(16) + (i - (len(counts) - 1) / 2) * width, row, width=width,
               label=f"stride {step:g} {lengths.unit}")
    ax.set_xticks(np.arange(16), [""] * 16)
    for pattern in range(16):
        _draw_pattern(ax, pattern)
    ax.set_yscale("log")
    ax.set_xlabel("2 x 2 pattern (black: pixel in the phase)", labelpad=14)
    ax.set_ylabel("frequency")
    if len(counts) > 1:  # above the bars: room on the log scale
        ax.set_ylim(top=counts.max() * 30)
        ax.legend(fontsize=7, loc="upper center", ncol=min(len(counts), 4), columnspacing=0.8,
                  handlelength=1.2)


def _draw_pattern(ax: Any, pattern: int) -> None:
    """The 2 x 2 pattern ``pattern`` as a glyph under its tick: pixel k of ``8 q0 + 4 q1 +
    2 q2 + q3`` at offset (0, 0), (0, s), (s, 0), (s, s), the first axis to the right."""
    from matplotlib.offsetbox import AnnotationBbox, DrawingArea
    from matplotlib.patches import Rectangle

    side = 4.5
    glyph = DrawingArea(2 * side, 2 * side)
    for k, (right, up) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        filled = (pattern >> (3 - k)) & 1
        glyph.add_artist(Rectangle((right * side, up * side), side, side, lw=0.5,
                                   facecolor="black" if filled else "white", edgecolor="0.4"))
    ax.add_artist(AnnotationBbox(glyph, (pattern, 0), xycoords=("data", "axes fraction"),
                                 xybox=(0, -3), boxcoords="offset points", frameon=False,
                                 box_alignment=(0.5, 1), pad=0))


_BAR_LABELS = {
    "volume_fractions": "volume fraction",
    "variation": "interface density\n(unlike neighbour pairs per pair)",
    "connectivity": "fraction of the phase\nin its largest cluster",
    "euler_density": "Euler characteristic per {area}",
}


def _bars(ax: Any, name: str, value: np.ndarray, phases: list[int], lengths: Lengths) -> None:
    """One bar per described phase, its value written on it."""
    value = value.ravel()
    label = _BAR_LABELS.get(name, "value")
    if "{area}" in label:
        area = lengths.along(0) * lengths.along(1)
        label = label.format(area="px" if not lengths.known else f"{lengths.unit}$^2$")
        value = value / area
    shown = phases[-value.size:] if value.size <= len(phases) else list(range(value.size))
    bars = ax.bar(np.arange(value.size), value, color=[f"C{p}" for p in shown])
    ax.bar_label(bars, fmt="%.3g", fontsize=7)
    ax.set_xticks(np.arange(value.size), [f"phase {p}" for p in shown])
    ax.set_ylabel(label)
    ax.margins(y=0.15)


def _generic(ax: Any, value: np.ndarray) -> None:
    """A value without a figure of its own: a curve of its entries, or a map."""
    if value.ndim == 1:
        ax.plot(np.arange(value.size), value, linewidth=0.6)
        ax.set_xlabel("entry (layout: see the descriptor's documentation)")
        ax.set_ylabel("value")
        return
    matrix = value.reshape(-1, *value.shape[-2:])[0]
    image = ax.imshow(matrix, cmap="cividis", interpolation="nearest")
    ax.set_xlabel("index")
    ax.set_ylabel("index")
    ax.figure.colorbar(image, ax=ax, shrink=0.85, label="value")
