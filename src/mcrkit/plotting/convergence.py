"""Convergence of a reconstruction: loss over iterations beside its stored snapshots.

The record (:class:`~mcrkit.io.convergence.Convergence`) comes from a run
directory (``convergence.npz``), a :class:`~mcrkit.workflows.ReconstructionResult`
or a mapping of the file's entries. Snapshots are what the run kept every
``snapshot_every`` iterations and at the end of each multigrid level: the
discrete labels and the relaxed field (each phase's fraction, in steps of 1/255).

Interactive controls (a matplotlib window, not ``save``):

=====================  ======================================================
input                  action
=====================  ======================================================
click a marker         show the snapshot of that iteration
right/left, n/p        next / previous snapshot
c                      cycle the display: labels, each phase's indicator, each
                       phase's fraction in the relaxed field
up/down, scroll wheel  move through the slices of a 3D snapshot (normal to z)
=====================  ======================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.io.convergence import Convergence
from mcrkit.plotting.figures import finish, pyplot
from mcrkit.plotting.lengths import Lengths
from mcrkit.plotting.microstructure import phase_handles, show_labels

__all__ = ["ConvergenceRecord", "load_convergence", "plot_convergence"]


@dataclass
class ConvergenceRecord:
    """A run's :class:`~mcrkit.io.convergence.Convergence` with what the plots show beside
    it: a title, the number of phases and the lengths of the target's voxels."""

    convergence: Convergence
    title: str = "reconstruction"
    n_phases: int = 2
    lengths: Lengths = Lengths(None)

    @property
    def history(self) -> dict[str, np.ndarray]:
        """History columns (``iteration``, ``level``, ``loss``, ...)."""
        return {key: np.asarray(values) for key, values in self.convergence.history.items()}

    @property
    def snapshots(self) -> list[np.ndarray]:
        """Labels of each snapshot."""
        return [s.labels for s in self.convergence.snapshots]

    @property
    def snapshot_iterations(self) -> np.ndarray:
        """Iteration of each snapshot."""
        return np.asarray(self.convergence.snapshot_iterations, dtype=np.int64)

    @property
    def fields(self) -> list[np.ndarray] | None:
        """Relaxed field per snapshot, ``(P, *shape)`` phase fractions x 255, if recorded."""
        fields = [s.fractions for s in self.convergence.snapshots]
        return None if any(f is None for f in fields) else fields

    @property
    def has_snapshots(self) -> bool:
        """Whether any snapshot was stored."""
        return bool(self.convergence.snapshots)


def load_convergence(source: Any) -> ConvergenceRecord:
    """A :class:`ConvergenceRecord` from a run directory, its ``convergence.npz``, a
    :class:`~mcrkit.io.convergence.Convergence`, a result holding one (``convergence``) or
    a mapping of the ``convergence.npz`` entries."""
    if isinstance(source, ConvergenceRecord):
        return source
    from mcrkit.io.rundir import RunDirectory, RunDirectoryError

    title, n_phases, target = "reconstruction", None, None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        run = RunDirectory(path.parent if path.name == RunDirectory.CONVERGENCE else path)
        if not run.file(RunDirectory.CONVERGENCE).is_file():
            raise RunDirectoryError(f"{path}: holds no {RunDirectory.CONVERGENCE}; give a run "
                                    "directory written by mcrkit reconstruct or match")
        convergence = Convergence.from_arrays(run.read_convergence())
        title = f"run {run.path.name}"
        if run.file(RunDirectory.RUN).is_file():
            meta = run.read_metadata()
            n_phases = meta.get("target", {}).get("n_phases")
            title = f"run {run.path.name}: {_STATUS.get(meta.get('status'), 'status unknown')}"
        if run.file(RunDirectory.TARGET).is_file():
            from mcrkit.characterization import Characterization

            target = Characterization.load(run.file(RunDirectory.TARGET))
    elif isinstance(source, Convergence):
        convergence = source
    elif isinstance(source, Mapping):
        convergence = Convergence.from_arrays(source)
    else:
        convergence = source.convergence
        target = getattr(source, "characterization", None)
        if target is not None:
            n_phases = target.n_phases
    if n_phases is None:
        n_phases = max((int(s.labels.max()) + 1 for s in convergence.snapshots
                        if s.labels.size), default=2)
    lengths = Lengths(None) if target is None else Lengths.of(target, 3)
    return ConvergenceRecord(convergence, title=title, n_phases=max(int(n_phases), 2),
                             lengths=lengths)


_STATUS = {"converged": "converged", "max_iter": "stopped at the iteration limit",
           "stopped": "stopped (on request or at the time limit)",
           "interrupted": "interrupted", "running": "running"}
"""A run's status (``run.json``) in words."""


def _draw_loss(ax: Any, record: ConvergenceRecord) -> Any:
    """Loss curve, level changes and snapshot markers; return the marker artist."""
    it = np.asarray(record.history["iteration"])
    loss = np.maximum(np.asarray(record.history["loss"], dtype=float), 1e-30)
    ax.semilogy(it, loss, lw=1.2, color="C0", label="loss (relaxed field)")
    level = record.history.get("level")
    if level is not None and len(level):
        for i in np.flatnonzero(np.diff(level)) + 1:
            ax.axvline(it[i] - 0.5, color="0.5", ls="--", lw=0.8)
            ax.annotate(f"level {int(level[i])}", (it[i], 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=7, color="0.3")
    markers = None
    if record.has_snapshots:
        at = np.searchsorted(it, record.snapshot_iterations).clip(0, max(len(it) - 1, 0))
        y = loss[at] if len(it) else np.ones(len(at))
        markers, = ax.plot(record.snapshot_iterations, y, "o", ms=6, mfc="none", color="C3",
                           picker=True, pickradius=6, label="snapshot (click)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (relaxed field)")
    ax.legend(fontsize=7, loc="upper right")
    return markers


_BELOW = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.13), "ncol": 4, "fontsize": 7,
          "frameon": False}
"""Where the phase legend of a snapshot goes: under its axes."""


class _SnapshotPanel:
    """The snapshot shown beside the loss curve and the state the keys change."""

    def __init__(self, fig: Any, ax: Any, record: ConvergenceRecord, loss_ax: Any) -> None:
        self.fig, self.ax, self.record, self.loss_ax = fig, ax, record, loss_ax
        self.colorbar = None
        self.index = len(record.snapshot_iterations) - 1
        self.mode = -1  # -1: labels; p < P: indicator of phase p; P + p: field of phase p
        snap = record.snapshots[0] if record.has_snapshots else None
        self.depth = snap.shape[2] if snap is not None and snap.ndim == 3 else 0
        self.position = self.depth // 2
        self.highlight = None
        self.draw()

    def draw(self) -> None:
        from matplotlib.colors import Normalize

        if self.colorbar is not None:  # before its image goes
            self.colorbar.remove()
            self.colorbar = None
        self.ax.clear()
        snap = self.record.snapshots[self.index]
        image = snap[:, :, self.position] if snap.ndim == 3 else snap
        n_phases = self.record.n_phases
        lengths = self.record.lengths.in_plane(2 if snap.ndim == 3 else None)
        field = None
        if self.mode >= n_phases:
            phase = self.mode - n_phases
            fractions = self.record.fields[self.index][phase]
            fractions = fractions[:, :, self.position] if fractions.ndim == 3 else fractions
            show_labels(self.ax, image, n_phases, lengths)  # axes, units and scale bar
            field = self.ax.images[0]
            field.set(data=fractions.T / 255, cmap="viridis", norm=Normalize(0, 1))
            what = f"phase {phase} fraction in the relaxed field"
        elif self.mode >= 0:
            show_labels(self.ax, (image == self.mode).astype(np.uint8), 2, lengths)
            what = f"phase {self.mode} indicator"
            self.ax.legend(handles=phase_handles(2, ["other phases", f"phase {self.mode}"]),
                           **_BELOW)
        else:
            show_labels(self.ax, image, n_phases, lengths)
            what = "labels"
            self.ax.legend(handles=phase_handles(n_phases), **_BELOW)
        if field is not None:
            self.colorbar = self.fig.colorbar(field, ax=self.ax, shrink=0.85,
                                              label="phase fraction (0 to 1)")
        where = f", slice z = {self.position}" if self.depth else ""
        iteration = int(self.record.snapshot_iterations[self.index])
        self.ax.set_title(f"snapshot at iteration {iteration}: {what}{where}", fontsize=9)
        if self.highlight is not None:
            self.highlight.remove()
        self.highlight = self.loss_ax.axvline(iteration, color="C3", lw=0.8, alpha=0.6)
        self.fig.canvas.draw_idle()

    def pick(self, event: Any) -> None:
        if len(event.ind):
            self.index = int(event.ind[0])
            self.draw()

    def key(self, event: Any) -> None:
        n = len(self.record.snapshot_iterations)
        if event.key in ("right", "n"):
            self.index = (self.index + 1) % n
        elif event.key in ("left", "p"):
            self.index = (self.index - 1) % n
        elif event.key == "c":
            modes = self.record.n_phases * (1 if self.record.fields is None else 2)
            self.mode = self.mode + 1 if self.mode + 1 < modes else -1
        elif event.key in ("up", "down") and self.depth:
            self.position = (self.position + (1 if event.key == "up" else -1)) % self.depth
        else:
            return
        self.draw()

    def scroll(self, event: Any) -> None:
        if event.inaxes is self.ax and self.depth:
            self.position = (self.position + (1 if event.button == "up" else -1)) % self.depth
            self.draw()


def plot_convergence(run: Any, *, snapshot: int = -1,
                     save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a run's loss over iterations with its snapshots.

    Parameters
    ----------
    run : path, ReconstructionResult, Convergence, mapping or ConvergenceRecord
        A run directory (or its ``convergence.npz``) or a result in memory.
    snapshot : int, optional
        Index of the snapshot shown first (default: the last).
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.

    Returns
    -------
    matplotlib.figure.Figure
        In interactive use the controls of the module docstring are live
        (their state is kept as ``fig.mcrkit_widgets``).
    """
    plt = pyplot(save)
    record = load_convergence(run)
    columns = 2 if record.has_snapshots else 1
    fig, axes = plt.subplots(1, columns, figsize=(5.2 * columns, 4.2), squeeze=False,
                             layout="constrained")
    loss_ax = axes[0][0]
    _draw_loss(loss_ax, record)
    loss_ax.set_title("convergence", fontsize=9)
    fig.suptitle(record.title, fontsize=10)
    if record.has_snapshots:
        panel = _SnapshotPanel(fig, axes[0][1], record, loss_ax)
        if snapshot != -1:
            panel.index = int(snapshot) % len(record.snapshot_iterations)
            panel.draw()
        if save is None:
            fig.canvas.mpl_connect("pick_event", panel.pick)
            fig.canvas.mpl_connect("key_press_event", panel.key)
            fig.canvas.mpl_connect("scroll_event", panel.scroll)
            fig.mcrkit_widgets = panel
    return finish(fig, save)
