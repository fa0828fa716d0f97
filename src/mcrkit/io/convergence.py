"""The convergence record of a run: per-iteration history and snapshots.

One :class:`Convergence` object is filled by the engine (its recording
callback, :mod:`mcrkit.engine.record`), held by the result, written to and read
from ``convergence.npz`` of the run directory (:mod:`mcrkit.io.rundir`) and drawn
by :mod:`mcrkit.plotting.convergence`.

The history holds one value per iteration in each column: ``iteration``,
``level`` (the stage: a multigrid level or polishing), ``loss`` (of the relaxed
field), ``evaluations`` and ``elapsed``, plus what an optimizer adds (e.g. the
``temperature`` of annealing; NaN in iterations of other optimizers). A
:class:`Snapshot` is the discrete labels and the relaxed field at one iteration.

Examples
--------
>>> import numpy as np
>>> record = Convergence()
>>> record.append({"iteration": 1, "level": 0, "loss": 0.5, "evaluations": 2,
...                "elapsed": 0.1, "temperature": 1e-3})
>>> record.add_snapshot(Snapshot(1, np.zeros((2, 2), dtype=np.uint8)))
>>> again = Convergence.from_arrays(record.to_arrays())
>>> again.iterations, again.history["temperature"], again.snapshot_iterations
(1, [0.001], [1])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["HISTORY_KEYS", "SNAPSHOT_KEYS", "Convergence", "Snapshot"]

HISTORY_KEYS = ("iteration", "level", "loss", "evaluations", "elapsed")
"""History columns every run records."""

SNAPSHOT_KEYS = ("snapshots", "snapshot_iterations", "snapshot_fields")
"""Entries of ``convergence.npz`` that hold snapshots, not history columns."""


@dataclass(frozen=True)
class Snapshot:
    """The state of a run at one iteration.

    Attributes
    ----------
    iteration : int
        Iterations completed when it was taken.
    labels : ndarray of uint8
        Discrete full-grid labels.
    fractions : (P, *shape) ndarray of uint8, optional
        Each phase's fraction in the relaxed field in steps of 1/255.
    """

    iteration: int
    labels: np.ndarray
    fractions: np.ndarray | None = None


@dataclass
class Convergence:
    """History columns and snapshots of a run (see the module docstring)."""

    history: dict[str, list[float]] = field(
        default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    snapshots: list[Snapshot] = field(default_factory=list)

    @property
    def iterations(self) -> int:
        """Iterations recorded."""
        return len(self.history["iteration"])

    @property
    def snapshot_iterations(self) -> list[int]:
        """Iteration of each snapshot."""
        return [s.iteration for s in self.snapshots]

    def append(self, entries: Mapping[str, float]) -> None:
        """Record one iteration; a column new to the history is NaN before, and a column
        missing from ``entries`` is NaN now."""
        done = self.iterations
        for key, value in entries.items():
            self.history.setdefault(key, [math.nan] * done).append(value)
        for values in self.history.values():
            if len(values) == done:
                values.append(math.nan)

    def add_snapshot(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` unless one of the same iteration was the last kept."""
        if self.snapshot_iterations[-1:] != [snapshot.iteration]:
            self.snapshots.append(snapshot)

    def until(self, iteration: int) -> Convergence:
        """The record of the first ``iteration`` iterations (a resume continues from it)."""
        return Convergence({key: values[:iteration] for key, values in self.history.items()},
                           [s for s in self.snapshots if s.iteration <= iteration])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The entries of ``convergence.npz``: history columns and :data:`SNAPSHOT_KEYS`."""
        fields = [s.fractions for s in self.snapshots]
        empty = np.zeros((0,), dtype=np.uint8)
        return {
            **{key: np.asarray(values) for key, values in self.history.items()},
            "snapshots": np.stack([s.labels for s in self.snapshots]) if self.snapshots
            else empty,
            "snapshot_iterations": np.asarray(self.snapshot_iterations, dtype=np.int64),
            "snapshot_fields": np.stack(fields) if fields and all(f is not None for f in fields)
            else empty,
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> Convergence:
        """Read what :meth:`to_arrays` gives (a record without snapshot fields, as written
        by older versions, has snapshots without ``fractions``)."""
        history = {key: np.asarray(values).tolist() for key, values in data.items()
                   if key not in SNAPSHOT_KEYS}
        if "iteration" not in history or "loss" not in history:
            raise ValueError("a convergence record needs 'iteration' and 'loss' columns; got "
                             f"{', '.join(history) or 'none'}")
        iterations = np.asarray(data.get("snapshot_iterations", []), dtype=np.int64)
        labels = data.get("snapshots", [])
        fields = data.get("snapshot_fields")
        if fields is None or len(fields) != len(iterations):
            fields = [None] * len(iterations)
        return cls(history, [Snapshot(int(i), np.asarray(lab), None if f is None
                                      else np.asarray(f))
                             for i, lab, f in zip(iterations, labels, fields, strict=True)])
