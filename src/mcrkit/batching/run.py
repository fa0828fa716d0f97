"""Running a batch of reconstructions on a Dask cluster, with a summary at the end."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcrkit.batching.jobs import finished_record, next_action, run_job, summary_row
from mcrkit.batching.spec import Job, expand_spec
from mcrkit.io.atomic import atomic_path

__all__ = ["BATCH_FILE", "SUMMARY_FILE", "BatchResult", "batch", "plan"]

BATCH_FILE = "batch.json"
"""File in the output directory recording the base seed and every job's settings."""

SUMMARY_FILE = "summary.csv"
"""File in the output directory with one row per job."""

KEEP_UP_SECONDS = 1.0
"""Interval of the checks for ended workers (SLURM jobs past their walltime) while a batch runs."""

_FAILED_WORKER_HINT = ("the worker running it died (out of memory, or killed); see the worker "
                       "logs")


@dataclass
class BatchResult:
    """Outcome of :func:`batch`.

    Attributes
    ----------
    output : Path
        The batch's directory: one run directory per job, ``batch.json`` and
        ``summary.csv``.
    rows : list of dict
        One per job, in job order: ``job``, ``seed``, ``parameters``,
        ``action`` (``run``, ``resume``, ``skip``: finished earlier),
        ``status`` (the run's: ``max_iter``, ``converged``, ``stopped``; or
        ``failed``), ``wall_s``, ``iterations``, ``loss``, ``errors`` (final
        descriptor errors), ``error`` (why it failed), ``warnings``, ``run_dir``.
    base_seed : int or None
        Base seed the job seeds derive from (None for jobs given as a list).
    restarted : int
        Workers (SLURM jobs, on SLURM) that ended while the batch ran (a
        walltime reached, a worker killed) and were started again.
    cancelled : list of str
        SLURM jobs of an earlier run of the batch still running when it
        started again (its ``mcrkit batch`` process was killed), cancelled
        before any job ran.
    """

    output: Path
    rows: list[dict[str, Any]]
    base_seed: int | None = None
    restarted: int = 0
    cancelled: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Rows of the jobs that failed."""
        return [row for row in self.rows if row["status"] == "failed"]

    @property
    def summary_path(self) -> Path:
        """The summary CSV file."""
        return self.output / SUMMARY_FILE

    def table(self) -> list[dict[str, str]]:
        """The summary as rows of text (the columns of ``summary.csv``)."""
        names = list(dict.fromkeys(n for row in self.rows for n in row["errors"]))
        parameters = list(dict.fromkeys(p for row in self.rows for p in row["parameters"]))
        table = []
        for row in self.rows:
            cells = {"job": row["job"]}
            cells |= {p: _text(row["parameters"].get(p)) for p in parameters}
            cells |= {"seed": str(row["seed"]), "action": row["action"], "status": row["status"],
                      "wall_s": f"{row['wall_s']:.2f}",
                      "iterations": _text(row["iterations"]), "loss": _number(row["loss"])}
            cells |= {f"error_{n}": _number(row["errors"].get(n)) for n in names}
            cells["message"] = row["error"] or "; ".join(row["warnings"])
            table.append(cells)
        return table

    def __str__(self) -> str:
        table = [{k: v for k, v in cells.items() if k not in ("iterations",)}
                 for cells in self.table()]
        if not table:
            return "no jobs"
        columns = list(table[0])
        widths = {c: max(len(c), *(len(cells[c]) for cells in table)) for c in columns}
        lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
        lines += ["  ".join(cells[c].ljust(widths[c]) for c in columns).rstrip()
                  for cells in table]
        if self.cancelled:
            lines.append(f"cancelled SLURM job(s) {', '.join(self.cancelled)} of an earlier run "
                         "before starting")
        if self.restarted:
            lines.append(f"{self.restarted} worker(s) ended while the batch ran (walltime or "
                         "killed) and were started again; the reconstructions they ran were "
                         "resumed from their checkpoints")
        done = sum(row["status"] != "failed" for row in self.rows)
        lines.append(f"{done} of {len(self.rows)} jobs finished, {len(self.failed)} failed; "
                     f"summary in {self.summary_path}")
        return "\n".join(lines)


def batch(
    jobs: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Job],
    output: str | os.PathLike[str],
    *,
    client: Any = None,
    n_samples: int | None = None,
    workers: int | None = None,
    threads_per_worker: int = 1,
    scheduler: str | None = None,
    cluster: str = "local",
    slurm: Any = None,
    progress: bool = False,
) -> BatchResult:
    """Run many reconstructions on a Dask cluster, one run directory each.

    Every job runs into ``output/NAME.partial`` and is renamed to
    ``output/NAME`` when it ends. Run again with the same SPEC and output, a
    batch skips finished jobs, resumes interrupted ones from their
    checkpoints and retries failed ones. A failing job is reported in the
    summary and does not stop the others. On SLURM, ``output/slurm`` holds
    the SLURM jobs' output and ids; a batch first cancels those of its jobs
    that a killed earlier run left queued or running (see
    :mod:`mcrkit.batching.slurmjobs`).

    Parameters
    ----------
    jobs : path, mapping or sequence of Job
        A SPEC file (YAML or JSON), a SPEC mapping (see
        :mod:`mcrkit.batching.spec`), or jobs made by
        :func:`~mcrkit.batching.spec.expand_spec`.
    output : path
        Directory of the batch (created if needed).
    client : distributed.Client, optional
        Run on this client's cluster (it stays open). Workers of a cluster
        made here or given through ``client`` that end during the batch (a
        SLURM or PBS job at its walltime) are started again.
    n_samples : int, optional
        Overrides the SPEC's ``n_samples``.
    workers : int, optional
        Worker processes of the cluster started here (default: one per
        ``threads_per_worker`` cores for a local cluster).
    threads_per_worker : int, optional
        CPU threads of each job (PyTorch, OpenMP, MKL, Numba); each worker
        runs one job at a time.
    scheduler : str, optional
        Address of a running Dask scheduler to join instead (every worker
        must see ``output`` and the input files at the same paths).
    cluster : str, optional
        ``"local"`` or ``"slurm"`` (needs dask-jobqueue).
    slurm : SlurmOptions, optional
        Resources of the SLURM jobs (see :mod:`mcrkit.batching.clusters`).
    progress : bool, optional
        Show jobs done/running/failed and the time left on stderr.

    Returns
    -------
    BatchResult
        The summary, also written to ``output/summary.csv``.
    """
    from mcrkit.batching.clusters import check_options
    from mcrkit.batching.slurmjobs import SLURM_FOLDER, end_jobs

    check_options(cluster=cluster, workers=workers, threads_per_worker=threads_per_worker)
    output = Path(output).resolve()
    slurm_folder = output / SLURM_FOLDER
    # workers of a killed earlier run may still write run directories: end them first
    cancelled = end_jobs(slurm_folder)
    job_list, base_seed = _job_list(jobs, output, n_samples)
    output.mkdir(parents=True, exist_ok=True)
    _record_batch(output, job_list, base_seed)
    rows = {job.name: finished_record(job, output / job.name)
            for job in job_list if next_action(job, output) == "skip"}
    pending = [job for job in job_list if job.name not in rows]
    restarted = 0
    if pending:
        from mcrkit.batching.clusters import WorkerKeeper, close, connect

        own = client is None
        cl = None
        if own:
            if cluster == "slurm" and scheduler is None:
                slurm_folder.mkdir(exist_ok=True)
            client, cl = connect(scheduler=scheduler, cluster=cluster, workers=workers,
                                 threads_per_worker=threads_per_worker, slurm=slurm,
                                 slurm_folder=slurm_folder)
        keeper = WorkerKeeper(cl if own else getattr(client, "cluster", None))
        try:
            rows |= _run(client, pending, output, threads_per_worker,
                         total=len(job_list), progress=progress, keep_up=keeper)
        finally:
            if own:
                close(client, cl)
                end_jobs(slurm_folder)  # close cancelled them: wait until SLURM has let go
        restarted = keeper.restarted
    result = BatchResult(output, [rows[job.name] for job in job_list], base_seed,
                         restarted=restarted, cancelled=cancelled)
    _write_summary(result)
    return result


def plan(jobs: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Job],
         output: str | os.PathLike[str], *,
         n_samples: int | None = None) -> list[tuple[Job, str]]:
    """What :func:`batch` would do with each job, without running anything.

    Returns
    -------
    list of (Job, str)
        Each job with ``skip`` (finished), ``resume`` (from its checkpoint) or
        ``run``. For a SPEC without ``seed``, the seeds are final only once
        ``output`` holds the batch (its ``batch.json`` keeps the drawn base seed).
    """
    output = Path(output).resolve()
    job_list, _ = _job_list(jobs, output, n_samples)
    return [(job, next_action(job, output)) for job in job_list]


def _job_list(jobs: Any, output: Path, n_samples: int | None) -> tuple[list[Job], int | None]:
    if isinstance(jobs, str | os.PathLike | Mapping):
        previous = _read_batch(output)
        return expand_spec(jobs, base_seed=None if previous is None else previous["base_seed"],
                           n_samples=n_samples)
    job_list = list(jobs)
    if not all(isinstance(job, Job) for job in job_list):
        raise TypeError("jobs must be a SPEC file, a SPEC mapping or a sequence of Job")
    names = [job.name for job in job_list]
    if len(set(names)) != len(names):
        raise ValueError("every job of a batch needs its own name (its directory)")
    if n_samples is not None:
        raise ValueError("n_samples applies to a SPEC, not to a list of jobs")
    return job_list, None


def _read_batch(output: Path) -> dict[str, Any] | None:
    path = output / BATCH_FILE
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read ({exc}); is {output} a batch directory?") \
            from None
    if not isinstance(document, dict) or document.get("format") != "mcrkit.batch":
        raise ValueError(f"{path}: is not an mcrkit batch description; choose another output "
                         "directory")
    return document


def _record_batch(output: Path, job_list: list[Job], base_seed: int | None) -> None:
    """Write ``batch.json``; refuse jobs whose settings differ from an earlier run's."""
    previous = _read_batch(output) or {"jobs": {}}
    recorded = dict(previous["jobs"])
    for job in job_list:
        description = json.loads(json.dumps(job.describe()))
        earlier = recorded.get(job.name)
        if earlier is not None and earlier != description:
            raise ValueError(
                f"{output}: job {job.name} ran there earlier with other settings or seed "
                f"({earlier['settings']}, seed {earlier['seed']}); now "
                f"{description['settings']}, seed {description['seed']}; use a new output "
                "directory for a changed SPEC")
        recorded[job.name] = description
    document = {"format": "mcrkit.batch", "format_version": 1,
                "base_seed": base_seed if base_seed is not None else previous.get("base_seed"),
                "jobs": recorded}
    with atomic_path(output / BATCH_FILE) as tmp:
        tmp.write_text(json.dumps(document, indent=2) + "\n")


def _run(client: Any, pending: list[Job], output: Path, threads: int, *, total: int,
         progress: bool, keep_up: Callable[[], int] | None = None) -> dict[str, dict[str, Any]]:
    """Submit ``pending`` and collect their rows as they complete, showing progress;
    ``keep_up()`` is called every :data:`KEEP_UP_SECONDS` (restarts ended workers, returns how
    many)."""
    from distributed import as_completed

    from mcrkit.runtime import progress_bar

    crowded = sorted(n for n in client.nthreads().values() if n > 1)
    if crowded:
        warnings.warn(f"{len(crowded)} Dask worker(s) run up to {crowded[-1]} jobs at once in one "
                      "process, where the jobs' thread limits and warnings mix; start workers "
                      "with one thread each (dask worker ... --nthreads 1)", RuntimeWarning,
                      stacklevel=3)
    token = uuid.uuid4().hex[:8]
    futures = {client.submit(run_job, job, str(output), threads, pure=False,
                             key=f"mcrkit-{job.name}-{token}"): job for job in pending}
    keys = {future.key for future in futures}
    rows: dict[str, dict[str, Any]] = {}
    skipped = total - len(pending)
    live = sys.stderr.isatty()  # in a log file (a SLURM job's output): a line a minute
    with progress_bar(total=total, initial=skipped, unit="job", desc="batch",
                      disable=not progress, dynamic_ncols=True,
                      mininterval=0.1 if live else 60) as bar:
        completed = as_completed(futures)
        polled = kept_up = -math.inf
        while not completed.is_empty():
            if keep_up is not None and time.monotonic() - kept_up > KEEP_UP_SECONDS:
                kept_up = time.monotonic()
                restarted = keep_up()
                if progress and restarted:
                    bar.write(f"{restarted} worker(s) ended (walltime reached, or killed): "
                              "starting them again; their reconstructions resume from their "
                              "checkpoints", file=sys.stderr)
            ready = completed.next_batch(block=False) if completed.has_ready() else []
            for future in ready:
                row = _row(future, futures[future])
                rows[row["job"]] = row
                if progress:
                    bar.write(_describe(row), file=sys.stderr)
            if progress and (ready or time.monotonic() - polled > 1.0):
                polled = time.monotonic()
                failed = sum(row["status"] == "failed" for row in rows.values())
                bar.set_postfix(done=skipped + len(rows) - failed,
                                running=_running(client, keys), failed=failed,
                                refresh=live and not ready)
            if ready:
                bar.update(len(ready))
            else:
                time.sleep(0.1)
    return rows


def _running(client: Any, keys: set[str]) -> int:
    """Tasks among ``keys`` that workers are executing (not merely queued on them)."""
    threads = client.nthreads()
    return sum(min(threads.get(worker, 1), sum(key in keys for key in tasks))
               for worker, tasks in client.processing().items())


def _row(future: Any, job: Job) -> dict[str, Any]:
    """The row a job's task returned, or a failure row if the task raised or its worker died."""
    if future.status == "finished":
        return future.result()
    exc = future.exception()
    error = f"{type(exc).__name__}: {exc}"
    if type(exc).__name__ == "KilledWorker":
        error += f" ({_FAILED_WORKER_HINT})"
    return summary_row(job, action="run", status="failed", wall_s=0.0, error=error)


def _describe(row: dict[str, Any]) -> str:
    if row["status"] == "failed":
        return f"{row['job']}: failed: {row['error']}"
    return (f"{row['job']}: {row['status']} after {row['iterations']} iterations "
            f"({row['action']}, {row['wall_s']:.1f} s, loss {_number(row['loss'])})")


def _write_summary(result: BatchResult) -> None:
    table = result.table()
    if not table:
        return
    with atomic_path(result.summary_path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4e}"
