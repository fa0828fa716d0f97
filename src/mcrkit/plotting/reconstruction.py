"""Figures of reconstructions: the original beside slices of the result, and convergence."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mcrkit.microstructure import AXIS_NAMES, Microstructure, from_array
from mcrkit.plotting.figures import finish, pyplot
from mcrkit.plotting.lengths import Lengths
from mcrkit.plotting.microstructure import phase_handles, show_labels

__all__ = ["plot_reconstruction"]


def _as_microstructure(obj: Any) -> Microstructure:
    return obj if isinstance(obj, Microstructure) else from_array(np.asarray(obj))


def _panels(ms: Microstructure, name: str) -> list[tuple[str, np.ndarray, Lengths, tuple]]:
    """Title, image, lengths and axis names of each picture of ``ms``: a 2D structure, or
    the three mid-slices of a volume."""
    lengths = Lengths.of(ms, ms.ndim)
    if ms.ndim == 2:
        return [(name, ms.labels, lengths, ("x", "y"))]
    panels = []
    for axis in range(3):
        position = ms.shape[axis] // 2
        names = tuple(AXIS_NAMES[a] for a in range(3) if a != axis)
        panels.append((f"{name}, slice {AXIS_NAMES[axis]} = {position}",
                       np.take(ms.labels, position, axis=axis), lengths.in_plane(axis), names))
    return panels


def plot_reconstruction(labels: Microstructure | np.ndarray, *,
                        original: Microstructure | np.ndarray | None = None,
                        history: dict[str, np.ndarray] | None = None,
                        title: str | None = None,
                        save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a reconstruction: the original (if given), result slices and the loss curve.

    Every picture has its axes labelled (in the unit of the voxel size, with a
    scale bar, where it is known, else in pixels) and the figure a legend of
    the phase colours.

    Parameters
    ----------
    labels : Microstructure or (X, Y) or (X, Y, Z) ndarray
        Discrete result; a volume is shown by its three mid-slices.
    original : Microstructure or ndarray, optional
        The structure it was matched to (2D, or a volume shown by its mid-slice
        normal to z).
    history : dict, optional
        Convergence record with ``iteration`` and ``loss``.
    title : str, optional
        Figure title.
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "run.pdf")
    >>> fig = plot_reconstruction(np.eye(8, dtype=np.uint8), original=np.eye(8), save=path)
    >>> [ax.get_title() for ax in fig.axes]
    ['original', 'result']
    """
    plt = pyplot(save)
    result = _as_microstructure(labels)
    panels = []
    if original is not None:
        reference = _as_microstructure(original)
        shown = _panels(reference, "original")
        panels.append(shown[0] if reference.ndim == 2 else
                      ("original, slice z = " + str(reference.shape[2] // 2), *shown[2][1:]))
    panels += _panels(result, "result")
    n_cols = len(panels) + (history is not None)
    fig, axes = plt.subplots(1, n_cols, figsize=(3.3 * n_cols, 3.9), squeeze=False,
                             layout="constrained")
    n_phases = max(int(np.max(p[1])) for p in panels) + 1
    for ax, (name, image, lengths, names) in zip(axes[0], panels, strict=False):
        show_labels(ax, image, n_phases, lengths, names)
        ax.set_title(name, fontsize=9)
    if history is not None:
        ax = axes[0][-1]
        ax.semilogy(history["iteration"], np.maximum(history["loss"], 1e-30))
        ax.set_xlabel("iteration", fontsize=8)
        ax.set_ylabel("loss (relaxed field)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title("convergence", fontsize=9)
    fig.legend(handles=phase_handles(n_phases), loc="outside lower center",
               ncol=min(n_phases, 6), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return finish(fig, save)
