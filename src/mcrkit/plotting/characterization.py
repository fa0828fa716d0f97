"""Figures of characterizations: one row per descriptor, one column per slicing axis."""

from __future__ import annotations

import os
from itertools import combinations
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.plotting.figures import finish, pyplot

__all__ = ["plot_characterization"]


def plot_characterization(characterization: Characterization, *,
                          save: str | os.PathLike[str] | None = None) -> Any:
    """Draw every descriptor of a characterization.

    S2 maps are shown around r = 0, lineal path and chord length as curves,
    Gram matrices as images and scalars as bars; 3D characterizations get one
    column per slicing axis. Maps and curves show the last described phase
    (phase 1 of a two-phase structure), named in the panel's title. S2 maps
    are drawn like the structure itself: the first in-plane axis (x of a 2D
    structure; y, x, x of slices normal to x, y, z) to the right, the second
    upwards, and curves name the in-plane axis they run along.

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
    # One panel per (descriptor, slicing axis); 2D characterizations wrap into three columns.
    panels = [(name, col, axis_name) for name in c.names
              for col, axis_name in enumerate(c.axes or ("",))]
    n_cols = 3 if c.per_axis else min(3, len(panels))
    n_rows = -(-len(panels) // n_cols)
    fig, grid = plt.subplots(n_rows, n_cols, squeeze=False, figsize=(3.8 * n_cols, 3.0 * n_rows),
                             layout="constrained")
    for ax, (name, col, axis_name) in zip(grid.ravel(), panels, strict=False):
        value = c[name][col] if c.per_axis else c[name]
        phases = c.descriptor(name).phases(c.n_phases)
        shown = _draw(ax, name, value, c.settings.get(name, {}), phases, _IN_PLANE[axis_name])
        suffix = f" (slices normal to {axis_name})" if axis_name else ""
        phase = "" if shown is None else f", {shown}"
        ax.set_title(f"{name}{phase}{suffix}", fontsize=9)
    for ax in grid.ravel()[len(panels):]:
        ax.set_axis_off()
    fig.suptitle(f"{c.source}: shape {c.shape}, {c.n_phases} phases", fontsize=10)
    return finish(fig, save, dpi=110)


_IN_PLANE = {"": ("x", "y"), "x": ("y", "z"), "y": ("x", "z"), "z": ("x", "y")}
"""In-plane axes (first, second) of a 2D structure and of the slices normal to x, y, z."""


def _draw(ax: Any, name: str, value: np.ndarray, settings: dict[str, Any],
          phases: list[int], in_plane: tuple[str, str]) -> str | None:
    """Draw one descriptor value; return which phase a map or curve shows (None: all)."""
    first, second = in_plane
    shown = f"phase {phases[-1]}"
    if name == "two_point_cross":  # one map per pair i < j, in combinations order
        shown = "phases {} and {}".format(*list(combinations(phases, 2))[-1])
    if name in ("lineal_path", "lineal_path_approx"):
        for curve, direction in zip(value[-1], settings.get("directions", []), strict=False):
            ax.plot(np.arange(curve.size), curve, marker=".", label=f"{tuple(direction)}")
        ax.set_xlabel("segment length r (px)")
        ax.set_ylabel("L(r)")
        ax.legend(fontsize=7, title=f"d = (d_{first}, d_{second})", title_fontsize=7)
        return shown
    if name == "chord_length":
        for curve, axis_name in zip(value[-1], in_plane, strict=True):
            ax.plot(np.arange(1, curve.size + 1), curve, marker=".", label=f"along {axis_name}")
        ax.set_xlabel("chord length (px)")
        ax.set_ylabel("p(l)")
        ax.legend(fontsize=7)
        return shown
    if name.startswith("two_point"):
        limit = settings.get("limit_to", value.shape[-1] // 2)
        # value[p][r_first + limit, r_second + limit]: transposed, first in-plane axis right
        image = ax.imshow(value[-1].T, origin="lower", cmap="cividis",
                          extent=(-limit - 0.5, limit + 0.5, -limit - 0.5, limit + 0.5))
        ax.set_xlabel(f"r_{first} (px)")
        ax.set_ylabel(f"r_{second} (px)")
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
        return shown
    if value.ndim == 1 and value.size > len(phases):  # a long vector, e.g. gram_matrices
        ax.plot(np.arange(value.size), value, linewidth=0.5)
        ax.set_xlabel("entry (value layout: see the descriptor)")
    elif value.ndim == 1:
        ax.bar(np.arange(value.size), value)
        ax.set_xticks(np.arange(value.size), [str(p) for p in phases[: value.size]])
        ax.set_xlabel("phase")
    else:
        matrix = value.reshape(-1, *value.shape[-2:])[0]
        image = ax.imshow(matrix, cmap="cividis")
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return None
