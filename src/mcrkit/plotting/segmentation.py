"""A gray (or colour) image beside its segmentation, to check a threshold or a phase count."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mcrkit.io.segmentation import LUMINANCE_WEIGHTS
from mcrkit.microstructure import Microstructure
from mcrkit.plotting.figures import finish, new_figure
from mcrkit.plotting.lengths import Lengths
from mcrkit.plotting.microstructure import _legend, _short_source, show_labels

__all__ = ["plot_segmentation"]


def _method(ms: Microstructure) -> str:
    """How the labels were obtained, in words, from ``ms.segmentation``."""
    info = ms.segmentation
    if info.get("method") == "kmeans":
        cuts = ", ".join(f"{t:.6g}" for t in info.get("thresholds", []))
        return f"k-means into {info.get('phases')} phases (cuts at {cuts})"
    if "threshold" in info:
        return f"{info.get('method', 'threshold')} threshold {info['threshold']:.6g}"
    return "distinct values as phases"


def _cuts(ms: Microstructure) -> list[float]:
    info = ms.segmentation
    return [float(t) for t in info.get("thresholds", [info.get("threshold")]) if t is not None]


def plot_segmentation(image: np.ndarray, microstructure: Microstructure, *,
                      save: str | os.PathLike[str] | None = None,
                      title: str | None = None) -> Any:
    """The image, its gray-level histogram with the cut(s), and the phases it gave.

    Parameters
    ----------
    image : (X, Y[, Z]) ndarray, or with a last axis of colour channels
        The image as read (:func:`mcrkit.io.read_image`); of a volume, the
        middle slice normal to z is shown.
    microstructure : Microstructure
        Its segmentation (:func:`mcrkit.io.read_microstructure` with
        ``threshold`` or ``phases``).
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.
    title : str, optional
        Figure title; default: the source and the segmentation method.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import tempfile, os
    >>> from mcrkit.io import segment
    >>> gray = np.add.outer(np.arange(16), np.arange(12)) * 8
    >>> path = os.path.join(tempfile.mkdtemp(), "seg.png")
    >>> fig = plot_segmentation(gray, segment(gray, threshold="otsu"), save=path)
    >>> [ax.get_title() for ax in fig.axes[:3]]  # and the gray image's colour bar
    ['image', 'gray levels', 'phases']
    """
    ms = microstructure
    image = np.asarray(image)
    colour = image.ndim == ms.ndim + 1
    labels = ms.labels
    if ms.ndim == 3:
        middle = ms.shape[2] // 2
        image, labels = image[:, :, middle], labels[:, :, middle]
    lengths = Lengths.of(ms, ms.ndim).in_plane(2 if ms.ndim == 3 else None)
    fig = new_figure(save, figsize=(11.5, 4.6), layout="constrained")
    left, middle_ax, right = fig.subplots(1, 3, width_ratios=[1, 0.8, 1])
    shown = np.swapaxes(image, 0, 1)  # x to the right, y up, as every figure
    extent = (0, labels.shape[0] * lengths.along(0), 0, labels.shape[1] * lengths.along(1))
    if colour:
        left.imshow(shown / max(float(shown.max()), 1.0), origin="lower",
                    interpolation="nearest", extent=extent)
    else:
        drawn = left.imshow(shown, origin="lower", cmap="gray", interpolation="nearest",
                            extent=extent)
        fig.colorbar(drawn, ax=left, shrink=0.85, label="gray level")
    gray = image if not colour else image[..., :3] @ np.array(LUMINANCE_WEIGHTS)
    middle_ax.hist(np.ravel(gray), bins=64, color="0.5", histtype="stepfilled",
                   label="pixels of the image")
    for i, cut in enumerate(_cuts(ms)):
        middle_ax.axvline(cut, color="C3", linewidth=1.5, label="cut" if i == 0 else None)
    middle_ax.set_xlabel("gray level" + (" (luminance)" if colour else ""))
    middle_ax.set_ylabel("pixels")
    middle_ax.legend(fontsize=8)
    show_labels(right, labels, ms.n_phases, lengths)
    left.set_xlabel(lengths.label("x"), fontsize=8)
    left.set_ylabel(lengths.label("y"), fontsize=8)
    left.tick_params(labelsize=7)
    for ax, name in ((left, "image"), (middle_ax, "gray levels"), (right, "phases")):
        ax.set_title(name, fontsize=10)
    where = f", slice z = {ms.shape[2] // 2}" if ms.ndim == 3 else ""
    fig.suptitle(title or f"{_short_source(ms.source)}: {_method(ms)}{where}", fontsize=10)
    _legend(fig, ms)
    return finish(fig, save)
