"""Where a batch runs: a local Dask cluster, an existing scheduler, or SLURM.

Every worker runs one job at a time, with ``threads_per_worker`` CPU threads
(PyTorch, OpenMP, MKL, OpenBLAS and Numba are all limited to that number) so
that jobs side by side do not oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcrkit.runtime import WAIT_POLICY

__all__ = ["SlurmOptions", "WorkerKeeper", "check_options", "close", "connect",
           "default_workers", "slurm_cluster", "worker_environment"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


@dataclass
class SlurmOptions:
    """Resources of the SLURM jobs that host the Dask workers.

    Attributes
    ----------
    memory : str
        Memory per SLURM job, e.g. ``"16GB"`` (shared by its workers).
    walltime : str
        Time limit per SLURM job, ``"HH:MM:SS"``. A reconstruction cut off by
        it resumes from its checkpoint on another worker, and the ended SLURM
        job is submitted again (see :class:`WorkerKeeper`).
    processes : int
        Workers per SLURM job (each runs one reconstruction at a time).
    queue, account : str, optional
        Partition (``-p``) and account (``-A``) to submit to.
    job_extra : list of str
        More ``#SBATCH`` options, e.g. ``["--gres=gpu:1", "--constraint=skylake"]``.
    prologue : list of str
        Shell lines run before the workers start, e.g.
        ``["module load python", "source ~/venvs/mcrkit/bin/activate"]``.
    interface : str, optional
        Network interface the workers talk over (e.g. ``ib0``).
    """

    memory: str = "4GB"
    walltime: str = "01:00:00"
    processes: int = 1
    queue: str | None = None
    account: str | None = None
    job_extra: list[str] = field(default_factory=list)
    prologue: list[str] = field(default_factory=list)
    interface: str | None = None


def worker_environment(threads: int) -> dict[str, str]:
    """Environment variables that hold a worker's native libraries to ``threads`` threads
    whose OpenMP threads sleep rather than spin while they wait (the policy set here, or
    :data:`mcrkit.runtime.WAIT_POLICY`).

    Examples
    --------
    >>> worker_environment(2)["OMP_NUM_THREADS"]
    '2'
    >>> worker_environment(2)["OMP_WAIT_POLICY"] in ("PASSIVE", os.environ.get("OMP_WAIT_POLICY"))
    True
    """
    name, value = WAIT_POLICY
    return {**dict.fromkeys(THREAD_VARIABLES, str(threads)),
            name: os.environ.get(name) or value}


def slurm_cluster(options: SlurmOptions, threads_per_worker: int = 1,
                  folder: Path | None = None) -> Any:
    """A dask-jobqueue ``SLURMCluster`` of workers that each run one job at a time.

    Each SLURM job books ``processes * threads_per_worker`` CPUs and starts
    ``processes`` single-task workers. Nothing is submitted until the cluster
    is scaled; ``slurm_cluster(options).job_script()`` shows the job script.
    With ``folder`` (a batch's ``OUTPUT/slurm``, which must exist when jobs are
    submitted), each job writes its output there and its id is appended to
    ``folder/jobs`` (see :mod:`mcrkit.batching.slurmjobs`).
    """
    from dask_jobqueue import SLURMCluster

    from mcrkit.batching.slurmjobs import JOB_NAME, recording_job

    _check_count("processes", options.processes)
    _check_count("threads_per_worker", threads_per_worker)
    exports = [f"export {name}={value}"
               for name, value in worker_environment(threads_per_worker).items()]
    logs = [] if folder is None else [f"--output={folder}/%x-%j.out"]
    return SLURMCluster(
        cores=options.processes, processes=options.processes,
        job_cpu=options.processes * threads_per_worker, memory=options.memory,
        walltime=options.walltime, queue=options.queue, account=options.account,
        job_extra_directives=[*logs, *options.job_extra],
        job_script_prologue=[*options.prologue, *exports], interface=options.interface,
        job_name=JOB_NAME, silence_logs=logging.ERROR,
        scheduler_options={"dashboard_address": ":0"},
        job_cls=None if folder is None else recording_job(folder),
    )


def connect(*, scheduler: str | None = None, cluster: str = "local", workers: int | None = None,
            threads_per_worker: int = 1, slurm: SlurmOptions | None = None,
            slurm_folder: Path | None = None) -> tuple[Any, Any]:
    """Start (or join) the Dask cluster of a batch.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) to join.
    cluster : str
        ``"local"`` (worker processes on this machine) or ``"slurm"``.
    workers : int, optional
        Worker processes (default: local, one per ``threads_per_worker`` cores;
        SLURM, one SLURM job's worth).
    threads_per_worker : int
        CPU threads of each job.
    slurm : SlurmOptions, optional
        Resources of the SLURM jobs.
    slurm_folder : Path, optional
        Where the SLURM jobs write their output and their ids (see :func:`slurm_cluster`).

    Returns
    -------
    (distributed.Client, cluster or None)
        Close both when done (the cluster is None when joining a scheduler).
    """
    check_options(cluster=cluster, workers=workers, threads_per_worker=threads_per_worker)
    from distributed import Client, LocalCluster

    if scheduler is not None:
        return Client(scheduler), None
    if cluster == "local":
        n = workers or default_workers(threads_per_worker)
        with _sigint_ignored():  # Ctrl-C stops the batch, which then closes its workers
            local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                 dashboard_address=":0", silence_logs=logging.ERROR,
                                 env=worker_environment(threads_per_worker))
        return Client(local), local
    options = slurm or SlurmOptions()
    jobqueue = slurm_cluster(options, threads_per_worker, slurm_folder)
    jobqueue.scale(n=workers or options.processes)
    return Client(jobqueue), jobqueue


def default_workers(threads_per_worker: int = 1) -> int:
    """Local workers of ``threads_per_worker`` threads that fit the cores this process may use
    (its CPU affinity: a SLURM allocation or a container's share, not the whole machine).

    Examples
    --------
    >>> default_workers(1) >= default_workers(2) >= 1
    True
    """
    usable = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
              else os.cpu_count() or 1)
    return max(1, usable // threads_per_worker)


def check_options(*, cluster: str = "local", workers: int | None = None,
                  threads_per_worker: int = 1) -> None:
    """Refuse a cluster kind or worker count :func:`connect` cannot use (before anything runs).

    Raises
    ------
    ValueError
        Naming the option, the value given and what it may be.
    """
    if cluster not in ("local", "slurm"):
        raise ValueError(f"cluster must be 'local' or 'slurm', got {cluster!r}; to use another "
                         "Dask cluster, start it and pass its scheduler address")
    _check_count("threads_per_worker", threads_per_worker)
    if workers is not None:
        _check_count("workers", workers)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Start processes in the block with SIGINT ignored (they inherit it), so that a Ctrl-C
    in the terminal reaches only this process (in the main thread; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


class WorkerKeeper:
    """Starts again the workers of a cluster whose process or job has ended.

    A SLURM job that reaches its walltime takes its workers with it, and Dask
    does not submit it again by itself: without this, a batch that outlasts
    the walltime would wait forever once every SLURM job has ended. A job
    counts as ended once the cluster has dropped its workers (Dask's
    ``distributed.deploy.lost-worker-timeout``, 15 s, after they left).

    Parameters
    ----------
    cluster : distributed.SpecCluster or None
        A cluster :func:`connect` started (``LocalCluster``, ``SLURMCluster``);
        anything else is left alone.

    Attributes
    ----------
    restarted : int
        Workers (SLURM jobs, for a ``SLURMCluster``) started again so far.
    """

    def __init__(self, cluster: Any) -> None:
        from distributed import SpecCluster

        self.cluster = cluster if isinstance(cluster, SpecCluster) else None
        self.restarted = 0
        self._running: set[str] = set()

    def __call__(self) -> int:
        """Check once; the number of workers (SLURM jobs) started again now."""
        from distributed import SpecCluster

        if self.cluster is None:
            return 0
        current = set(self.cluster.workers)
        ended = self._running - current  # up before, dropped since (not: still being submitted)
        self._running = current
        if len(current) < len(self.cluster.worker_spec):
            # the planned jobs unchanged: SpecCluster.scale opens those without workers (called
            # on the base class, whose n counts jobs for every cluster type)
            SpecCluster.scale(self.cluster, len(self.cluster.worker_spec))
        self.restarted += len(ended)
        return len(ended)


def close(client: Any, cluster: Any) -> None:
    """Close a client and the cluster :func:`connect` started for it."""
    client.close()
    if cluster is not None:
        cluster.close()

