"""The SLURM jobs of a batch: where they log, which were submitted, ending those left over.

A batch on SLURM keeps a folder ``OUTPUT/slurm``: the output of each SLURM job
(``mcrkit-batch-JOBID.out``) and ``jobs``, the ids of the SLURM jobs it
submitted, one a line, written as each is submitted. If the ``mcrkit batch``
process is killed outright, its SLURM jobs live on for a while: their workers
stop their reconstructions with a checkpoint (see
:class:`~mcrkit.batching.jobs.WorkerClosing`) but wait for the scheduler up to
dask's ``--death-timeout``, and a job still pending starts later. The next run
of the batch cancels them and waits until SLURM no longer lists them before it
looks at any run directory, and every run ends the same way, so that no SLURM
job outlives the batch that submitted it.
"""

from __future__ import annotations

import getpass
import subprocess
import time
from pathlib import Path

__all__ = ["JOB_NAME", "JOBS_FILE", "SLURM_FOLDER", "SlurmError", "end_jobs", "recording_job"]

SLURM_FOLDER = "slurm"
"""Folder of a batch's output with its SLURM job logs and submitted job ids."""

JOBS_FILE = "jobs"
"""File in :data:`SLURM_FOLDER`: ids of the SLURM jobs the batch submitted, one a line."""

JOB_NAME = "mcrkit-batch"
"""Name of the SLURM jobs hosting a batch's workers (``squeue --name mcrkit-batch``)."""

END_TIMEOUT = 120.0
"""Seconds :func:`end_jobs` waits for cancelled jobs to leave the queue (SLURM's KillWait)."""


class SlurmError(RuntimeError):
    """SLURM did not answer, or jobs of a batch would not end."""


def recording_job(folder: Path) -> type:
    """A dask-jobqueue SLURM job class that appends each job's id to ``folder/jobs``."""
    from dask_jobqueue.slurm import SLURMJob

    record = folder / JOBS_FILE

    class RecordedSLURMJob(SLURMJob):
        async def start(self) -> None:
            await super().start()  # sbatch; self.job_id is set
            with open(record, "a", encoding="utf-8") as fh:
                fh.write(f"{self.job_id}\n")

    return RecordedSLURMJob


def end_jobs(folder: Path, timeout: float = END_TIMEOUT) -> list[str]:
    """Cancel the jobs listed in ``folder/jobs`` that SLURM still has, wait until they are
    gone, then remove the list.

    Parameters
    ----------
    folder : Path
        A batch's SLURM folder (nothing happens when it lists no job).
    timeout : float
        Seconds to wait for the cancelled jobs to end.

    Returns
    -------
    list of str
        Ids of the jobs that were still queued or running.

    Raises
    ------
    SlurmError
        When SLURM does not answer, or a job is still listed after ``timeout``,
        naming the jobs and what to do.

    Examples
    --------
    >>> import tempfile
    >>> end_jobs(Path(tempfile.mkdtemp()))  # no SLURM job recorded: nothing to do
    []
    """
    record = folder / JOBS_FILE
    try:
        submitted = set(record.read_text(encoding="utf-8").split())
    except FileNotFoundError:
        return []
    alive = sorted(_queued(submitted, record), key=int)
    if alive:
        # a job that ends meanwhile makes scancel fail: the queue tells what is left
        _slurm(["scancel", "--name", JOB_NAME, *alive], record, check=False)
        deadline = time.monotonic() + timeout
        while left := _queued(set(alive), record):
            if time.monotonic() > deadline:
                raise SlurmError(
                    f"SLURM job(s) {', '.join(sorted(left, key=int))} listed in {record} "
                    f"are still running {timeout:.0f} s after scancel; wait until squeue no "
                    "longer lists them, then run the batch again")
            time.sleep(0.5)
    record.unlink()
    return alive


def _queued(ids: set[str], record: Path) -> set[str]:
    """Those of ``ids`` that SLURM lists (pending, running or completing) as this user's
    batch jobs."""
    if not ids:
        return set()
    out = _slurm(["squeue", "--noheader", "--user", getpass.getuser(), "--name", JOB_NAME,
                  "--format", "%i"], record)
    return ids & set(out.split())


def _slurm(command: list[str], record: Path, check: bool = True) -> str:
    """Run a SLURM command; its output (with ``check``, a failure raises)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmError(f"{record} lists SLURM jobs of this batch, but {command[0]} is not "
                         "found here: run the batch where SLURM's commands are, or delete "
                         "that file once no job of this batch runs") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{command[0]} did not answer in 60 s while ending the SLURM jobs "
                         f"listed in {record}") from None
    if check and done.returncode != 0:
        raise SlurmError(f"{command[0]} failed ({done.stderr.strip()}) while ending the SLURM "
                         f"jobs listed in {record}")
    return done.stdout
