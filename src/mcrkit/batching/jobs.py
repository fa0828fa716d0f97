"""Running one job of a batch into its run directory (on whichever worker gets it).

A job runs in ``NAME.partial`` and is renamed to ``NAME`` when it ends, so a
directory without the suffix always holds a finished run. Run again, a job
whose directory exists is skipped, and one whose ``NAME.partial`` holds a
checkpoint continues from it; a partial directory without a checkpoint (the
job was stopped before its first one) is started afresh.

A job stops at its next iteration, writing a checkpoint as after Ctrl-C, once
the Dask worker running it closes: when its scheduler is gone (the batch
process was killed) the worker lives on until dask's ``--death-timeout`` and
would otherwise go on writing a run directory that the batch's next run
resumes.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from mcrkit.batching.spec import Job
from mcrkit.runtime import recorded_warnings

__all__ = ["PARTIAL_SUFFIX", "WorkerClosing", "finished_record", "next_action", "run_job",
           "summary_row"]

PARTIAL_SUFFIX = ".partial"
"""Suffix of the directory a job runs in until it ends."""

UNFINISHED = ("running", "interrupted")
"""run.json statuses of runs that have not ended."""


def run_job(job: Job, output: str, threads: int = 1) -> dict[str, Any]:
    """Run, resume or skip ``job`` in ``output``; never raises for a failing job.

    Parameters
    ----------
    job : Job
        The job.
    output : str
        The batch's output directory (visible to every worker).
    threads : int, optional
        PyTorch CPU threads of the job.

    Returns
    -------
    dict
        Its summary row: ``job``, ``seed``, ``action`` (``run``, ``resume``,
        ``skip``), ``status`` (the run's, or ``failed``), ``wall_s``,
        ``iterations``, ``loss``, ``errors``, ``error``, ``warnings``,
        ``run_dir``.
    """
    final = Path(output) / job.name
    partial = final.with_name(job.name + PARTIAL_SUFFIX)
    action = next_action(job, output)
    if action == "skip":
        return finished_record(job, final)
    from mcrkit.workflows import resume

    started = time.perf_counter()
    callbacks = WorkerClosing.of_this_worker()
    try:
        with recorded_warnings() as warned:
            if action == "resume":
                result = resume(partial, threads=threads, callbacks=callbacks)
            else:
                if partial.exists():
                    shutil.rmtree(partial)
                result = _start(job, partial, threads, callbacks)
    except Exception as exc:  # a failing job is reported with its warnings, the batch goes on
        error = f"{type(exc).__name__}: {exc}"
        if action == "resume":  # a re-run would try the same checkpoint again
            error += f"; to start this job afresh, delete {partial}"
        return summary_row(job, action=action, status="failed",
                           wall_s=time.perf_counter() - started, error=error,
                           warned=warned)
    record = summary_row(job, action=action, status=result.status,
                         wall_s=time.perf_counter() - started, iterations=result.iterations,
                         loss=result.loss, errors=result.errors,
                         warned=warned, run_dir=str(partial))
    if result.status not in UNFINISHED:
        os.replace(partial, final)
        record["run_dir"] = str(final)
    return record


def next_action(job: Job, output: str | os.PathLike[str]) -> str:
    """What running ``job`` in ``output`` does now: ``skip`` (finished), ``resume`` (its
    partial directory holds a checkpoint) or ``run``."""
    from mcrkit.io.rundir import RunDirectory

    final = Path(output) / job.name
    if final.exists():
        return "skip"
    partial = final.with_name(job.name + PARTIAL_SUFFIX)
    return "resume" if partial.joinpath(RunDirectory.CHECKPOINT).exists() else "run"


def finished_record(job: Job, run_dir: Path) -> dict[str, Any]:
    """Summary row of a job finished earlier (from its ``run.json``)."""
    from mcrkit.io.rundir import RunDirectory

    metadata = RunDirectory(run_dir).read_metadata()
    seed = metadata["settings"]["seed"]
    if seed != job.seed:
        raise ValueError(f"{run_dir}: holds a run with seed {seed}, but this batch gives job "
                         f"{job.name} seed {job.seed}; the SPEC changed since that run: use a "
                         "new output directory")
    return summary_row(job, action="skip", status=metadata["status"],
                       wall_s=metadata["timings"]["total"], iterations=metadata.get("iterations"),
                       loss=metadata.get("loss"), errors=metadata.get("errors", {}),
                       run_dir=str(run_dir))


class WorkerClosing:
    """A reconstruction callback that interrupts the run (as Ctrl-C does: a
    checkpoint is written, the status is ``interrupted``) once the Dask worker
    running it is closing or closed."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker

    @classmethod
    def of_this_worker(cls) -> list[WorkerClosing]:
        """``[WorkerClosing(worker)]`` inside a Dask task, else ``[]``."""
        try:
            from distributed import get_worker

            return [cls(get_worker())]
        except (ImportError, ValueError):  # not in a task of a Dask worker
            return []

    def __call__(self, state: Any) -> None:
        if self.worker.status.name in ("closing", "closed", "failed"):
            raise KeyboardInterrupt  # the engine's own interruption: checkpoint, "interrupted"


def _start(job: Job, run_dir: Path, threads: int, callbacks: list[WorkerClosing]) -> Any:
    """Start ``job`` with its run directory ``run_dir``."""
    from mcrkit.workflows import interpolate, match, reconstruct

    settings = dict(job.settings)
    common = {"seed": job.seed, "run_dir": run_dir, "threads": threads, "progress": False,
              "callbacks": callbacks}
    if "microstructure" in settings:
        return match(settings.pop("microstructure"), **settings, **common)
    if "interpolate" in settings:
        ends = settings.pop("interpolate")
        step = settings.pop("step")
        target = interpolate(*ends, settings.pop("n_steps"))[step]
    else:
        target = settings.pop("characterization")
    return reconstruct(target, **settings, **common)


def summary_row(job: Job, *, action: str, status: str, wall_s: float,
                iterations: int | None = None, loss: float | None = None,
                errors: dict[str, float] | None = None, error: str = "",
                warned: list[str] | None = None, run_dir: str | None = None) -> dict[str, Any]:
    """One row of the batch summary (see :func:`run_job`)."""
    return {"job": job.name, "seed": job.seed, "parameters": job.parameters, "action": action,
            "status": status, "wall_s": wall_s, "iterations": iterations, "loss": loss,
            "errors": errors or {}, "error": error, "warnings": warned or [],
            "run_dir": run_dir}
