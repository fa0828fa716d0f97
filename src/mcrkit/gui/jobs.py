"""The job queue: one worker thread runs the page's jobs one after another.

Jobs queue rather than compete for the CPU. A reconstruction reports its
progress through an engine callback (:meth:`Job.callback`): iteration, loss
history, elapsed time, an estimate of the time left and, at most every
:data:`SNAPSHOT_SECONDS`, the current discrete labels (on the grid of the
current multigrid level). Cancelling a running
reconstruction makes that callback return True, so the engine stops cleanly
and saves the state reached; cancelling a queued job removes it. The
worker is a thread: PyTorch and the compiled annealing kernels release the
interpreter lock while they compute, so the web server stays responsive.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.runtime import recorded_warnings

__all__ = ["SNAPSHOT_SECONDS", "Job", "JobQueue", "Outcome", "Progress", "Table"]

SNAPSHOT_SECONDS = 1.0
"""Shortest time between two snapshots of a running reconstruction (longer for large
structures, so that taking snapshots costs at most 5% of the run)."""

EXPECTED_ERRORS = (ValueError, TypeError, FileNotFoundError, MemoryError, ImportError)
"""Errors whose message is meant for the user (the library words them with the fix; an
ImportError names the optional extra to install)."""

log = logging.getLogger("mcrkit.gui")


@dataclass
class Table:
    """A table for the page: a title, column names and rows of text cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Outcome:
    """What a finished job hands back.

    Attributes
    ----------
    message : str
        One paragraph for the page (the result's summary).
    files : list of Path
        Files to offer for download.
    labels : ndarray, optional
        The resulting microstructure, shown on the page.
    products : list of Path
        Results the session may use as inputs of further actions (a
        characterization, a smoothed structure, a run's result).
    result : Path, optional
        Where the resulting microstructure lives for exports: a run directory or
        a microstructure file.
    original : ndarray, optional
        The structure the result was made from, shown beside it.
    verdict : str, optional
        The one fidelity verdict (:func:`mcrkit.metrics.verdict.judge`'s text).
    tables : list of Table
        Figures of the result as tables (errors, volume fractions, fidelity, properties).
    figures : list of Path
        Figures worth showing, the most telling first (never an empty one).
    resume : Path, optional
        A run directory that stopped before its end and can continue.
    """

    message: str
    files: list[Path] = field(default_factory=list)
    labels: np.ndarray | None = None
    products: list[Path] = field(default_factory=list)
    result: Path | None = None
    original: np.ndarray | None = None
    verdict: str | None = None
    tables: list[Table] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    resume: Path | None = None


@dataclass
class Progress:
    """Progress of a running reconstruction, as the last callback saw it."""

    iteration: int = 0
    total: int = 0
    level: int = 0
    n_levels: int = 1
    elapsed: float = 0.0
    iterations: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    snapshot: np.ndarray | None = None
    snapshot_iteration: int = -1
    details: dict[str, float] = field(default_factory=dict)

    @property
    def eta(self) -> float | None:
        """Seconds left at the mean pace so far (None before the first iteration)."""
        if self.iteration <= 0 or self.total <= 0:
            return None
        return self.elapsed / self.iteration * max(self.total - self.iteration, 0)


class Job:
    """One action queued from the page.

    Parameters
    ----------
    action : str
        One of the page's actions (:data:`mcrkit.gui.actions.ACTIONS`), ``resume`` or
        ``open`` (a saved result).
    title : str
        What the page lists (action and input).
    work : callable
        ``work(job) -> Outcome``; a reconstruction passes :meth:`callback` to
        the engine.
    cancellable : bool
        Whether a running job can be stopped (reconstructions can; a
        characterization runs to its end).
    """

    STATES = ("queued", "running", "done", "cancelled", "failed")

    def __init__(self, action: str, title: str, work: Callable[[Job], Outcome], *,
                 cancellable: bool = False) -> None:
        self.id = 0
        self.action = action
        self.title = title
        self.work = work
        self.cancellable = cancellable
        self.status = "queued"
        self.message = ""
        self.warnings: list[str] = []
        self.outcome: Outcome | None = None
        self.progress = Progress()
        self.submitted = time.time()
        self.folder: Path | None = None  # where the job writes, once it knows
        self.started: float | None = None
        self.finished: float | None = None
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._next_snapshot = -math.inf

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.action!r}, {self.status!r})"

    @property
    def active(self) -> bool:
        """Queued or running."""
        return self.status in ("queued", "running")

    @property
    def cancel_requested(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Remove a queued job; ask a running reconstruction to stop after its iteration."""
        self._cancel.set()
        with self._lock:
            if self.status == "queued":
                self.status = "cancelled"
                self.message = "cancelled before it started"

    def callback(self, state: Any) -> bool:
        """Engine callback: record the iteration; True (stop) once cancelled."""
        from mcrkit.engine.field import labels_from_params

        now = time.perf_counter()
        snapshot = None
        if now >= self._next_snapshot:
            snapshot = labels_from_params(state.theta)
            cost = time.perf_counter() - now  # snapshots take at most 5% of the run
            self._next_snapshot = now + max(SNAPSHOT_SECONDS, 20 * cost)
        with self._lock:
            p = self.progress
            p.iteration, p.total = state.iteration, state.total_iterations
            p.level, p.n_levels, p.elapsed = state.level, state.n_levels, state.elapsed
            p.details = dict(state.details)
            if math.isfinite(state.loss):
                p.iterations.append(state.iteration)
                p.losses.append(float(state.loss))
            if snapshot is not None:
                p.snapshot, p.snapshot_iteration = snapshot, state.iteration
        return self.cancel_requested

    def view(self) -> tuple[Progress, str]:
        """A consistent copy of the progress and the status, for the page."""
        with self._lock:
            p = self.progress
            copy = Progress(p.iteration, p.total, p.level, p.n_levels, p.elapsed,
                            list(p.iterations), list(p.losses), p.snapshot,
                            p.snapshot_iteration, dict(p.details))
            return copy, self.status

    def run(self) -> None:
        """Do the work (called by the worker); record the outcome or a readable error."""
        with self._lock:
            if self.status != "queued":
                return
            self.status = "running"
        self.started = time.time()
        try:
            with recorded_warnings() as warned:
                outcome = self.work(self)
            status, message = ("cancelled" if self.cancel_requested else "done"), outcome.message
        except EXPECTED_ERRORS as exc:
            outcome, status, message = None, "failed", str(exc)
        except Exception as exc:  # a bug: readable on the page, the traceback in the server log
            log.exception("job %s (%s) failed", self.id, self.title)
            outcome, status = None, "failed"
            message = f"internal error ({type(exc).__name__}: {exc}); the server log has details"
        with self._lock:
            self.warnings = warned
            self.outcome, self.status, self.message = outcome, status, message
            self.finished = time.time()


class JobQueue:
    """Jobs run one at a time, in order of submission, on one worker thread."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(self, job: Job) -> Job:
        """Number a job and list it without queueing it (one the caller runs itself, such
        as opening a saved result)."""
        with self._lock:
            job.id = len(self.jobs) + 1
            self.jobs.append(job)
        return job

    def submit(self, job: Job) -> Job:
        """Queue a job (the worker starts with the first one) and return it."""
        self.record(job)
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="mcrkit-gui-jobs",
                                                daemon=True)
                self._worker.start()
        self._queue.put(job)
        return job

    def ahead_of(self, job: Job) -> int:
        """Number of jobs that run before a queued one."""
        with self._lock:
            return sum(1 for j in self.jobs[:self.jobs.index(job)] if j.active)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            job.run()

    def shutdown(self, timeout: float | None = None) -> None:
        """Cancel every job, let the running one stop, and end the worker."""
        for job in self.jobs:
            job.cancel()
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout)
