"""An animation of a run's snapshots: the structure as the optimizer shaped it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.plotting.convergence import load_convergence
from mcrkit.plotting.microstructure import mid_slices, phase_colors

__all__ = ["animate_snapshots"]


def _frame(snapshot: np.ndarray, colors: np.ndarray, scale: int) -> np.ndarray:
    """RGB image of a snapshot (a volume: its three mid-slices side by side), x right, y up."""
    snapshot = np.asarray(snapshot, dtype=np.int64)
    if snapshot.ndim == 3:
        planes = mid_slices(snapshot)
        height = max(p.shape[1] for p in planes)
        gap = np.full((2, height), -1)
        padded = [np.pad(p, ((0, 0), (0, height - p.shape[1])), constant_values=-1)
                  for p in planes]
        snapshot = np.concatenate([padded[0], gap, padded[1], gap, padded[2]], axis=0)
    palette = np.vstack([colors, [1.0, 1.0, 1.0]])  # index -1: white gaps
    rgb = (palette[snapshot] * 255).astype(np.uint8)
    rgb = rgb.transpose(1, 0, 2)[::-1]  # (y, x) rows from the top: y up
    return np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)


def animate_snapshots(run: Any, path: str | os.PathLike[str], *, fps: float = 4.0,
                      scale: int | None = None) -> Path:
    """Write the snapshots of a run as an animated GIF (or MP4 where imageio can).

    Parameters
    ----------
    run : path, ReconstructionResult or mapping
        A run directory or a result in memory (see
        :func:`~mcrkit.plotting.convergence.load_convergence`).
    path : path
        Output file; ``.gif`` (always available) or ``.mp4`` (needs the
        ``imageio-ffmpeg`` package).
    fps : float, optional
        Frames per second.
    scale : int, optional
        Pixels per voxel (default: about 256 pixels across).

    Returns
    -------
    Path

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> run = {"iteration": [1, 2], "loss": [1.0, 0.5],
    ...        "snapshots": np.array([[[0, 1], [1, 0]], [[1, 1], [0, 0]]]),
    ...        "snapshot_iterations": [1, 2]}
    >>> path = animate_snapshots(run, os.path.join(tempfile.mkdtemp(), "run.gif"))
    >>> path.stat().st_size > 0
    True
    """
    import imageio.v3 as iio

    record = load_convergence(run)
    if not record.has_snapshots:
        raise ValueError("the run holds no snapshots to animate; reconstruct with "
                         "snapshot_every=50 (a structure every 50 iterations)")
    path = Path(path)
    colors = phase_colors(record.n_phases)
    width = record.snapshots[0].shape[0] * (3 if record.snapshots[0].ndim == 3 else 1)
    scale = scale or max(1, 256 // width)
    frames = np.stack([_frame(s, colors, scale) for s in record.snapshots])
    suffix = path.suffix.lower()
    if suffix == ".gif":
        iio.imwrite(path, frames, extension=".gif", duration=1000 / fps, loop=0)
    elif suffix == ".mp4":
        try:
            iio.imwrite(path, frames, extension=".mp4", fps=fps)
        except (ImportError, ValueError, OSError) as exc:
            raise ValueError(f"{path}: MP4 needs the imageio-ffmpeg package ({exc}); write a "
                             ".gif instead") from None
    else:
        raise ValueError(f"{path}: animations are written as .gif or .mp4, got '{path.suffix}'")
    return path
