"""Figures of reconstructions: the original beside slices of the result, and convergence."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mcrkit.microstructure import AXIS_NAMES
from mcrkit.plotting.figures import finish, pyplot
from mcrkit.plotting.microstructure import mid_slices, show_labels

__all__ = ["plot_reconstruction"]


def _images(labels: np.ndarray) -> list[tuple[str, np.ndarray]]:
    if labels.ndim == 2:
        return [("result", labels)]
    return [(f"result, mid-slice normal to {AXIS_NAMES[axis]}", plane)
            for axis, plane in enumerate(mid_slices(labels))]


def plot_reconstruction(labels: np.ndarray, *, original: np.ndarray | None = None,
                        history: dict[str, np.ndarray] | None = None,
                        title: str | None = None,
                        save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a reconstruction: the original (if given), result slices and the loss curve.

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) ndarray
        Discrete result; a volume is shown by its three mid-slices.
    original : ndarray, optional
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
    """
    plt = pyplot(save)

    panels = []
    if original is not None:
        shown = original if original.ndim == 2 else original[:, :, original.shape[2] // 2]
        panels.append(("original", shown))
    panels += _images(np.asarray(labels))
    n_cols = len(panels) + (history is not None)
    fig, axes = plt.subplots(1, n_cols, figsize=(3.2 * n_cols, 3.4), squeeze=False)
    n_phases = max(int(np.max(p[1])) for p in panels) + 1
    for ax, (name, image) in zip(axes[0], panels, strict=False):
        show_labels(ax, image, n_phases)
        ax.set_title(name, fontsize=9)
    if history is not None:
        ax = axes[0][-1]
        ax.semilogy(history["iteration"], np.maximum(history["loss"], 1e-30))
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss (relaxed field)")
        ax.set_title("convergence", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return finish(fig, save, dpi=120)
