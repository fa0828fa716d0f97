"""``mcrkit batch``: many reconstructions from one SPEC on a Dask cluster."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from mcrkit.cli.common import (
    Quiet,
    app,
    check_writable,
    cli_wording,
    fail,
    is_quiet,
    say,
    usage_error,
)

SLURM = "SLURM (with --cluster slurm)"


@app.command()
def batch(
    spec: Annotated[Path, typer.Argument(
        help="Batch SPEC (.yaml/.yml or .json): shared settings, n_samples, grid, jobs.",
        show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Batch directory: one run directory per job, batch.json and "
                               "summary.csv. Run again to skip finished jobs and resume the "
                               "others.", show_default=False)],
    n_samples: Annotated[int | None, typer.Option(
        help="Reconstructions per parameter combination (overrides the SPEC's).",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (shared file system "
             "needed).", show_default=False)] = None,
    cluster: Annotated[str, typer.Option(
        help="local: worker processes on this machine; slurm: workers in SLURM jobs "
             "(dask-jobqueue).")] = "local",
    workers: Annotated[int | None, typer.Option(
        help="Worker processes, each running one job at a time (default: local, one per "
             "--threads-per-worker cores; slurm, --processes).", show_default=False)] = None,
    threads_per_worker: Annotated[int, typer.Option(
        help="CPU threads of each job (PyTorch, OpenMP, MKL, Numba).")] = 1,
    memory: Annotated[str, typer.Option(
        help="Memory per SLURM job, shared by its workers.", rich_help_panel=SLURM)] = "4GB",
    walltime: Annotated[str, typer.Option(
        help="Time limit per SLURM job (HH:MM:SS); jobs cut off resume from their "
             "checkpoints.", rich_help_panel=SLURM)] = "01:00:00",
    processes: Annotated[int, typer.Option(
        help="Workers per SLURM job.", rich_help_panel=SLURM)] = 1,
    queue: Annotated[str | None, typer.Option(
        help="SLURM partition (-p).", rich_help_panel=SLURM, show_default=False)] = None,
    account: Annotated[str | None, typer.Option(
        help="SLURM account (-A).", rich_help_panel=SLURM, show_default=False)] = None,
    job_extra: Annotated[list[str] | None, typer.Option(
        help="Another #SBATCH option, e.g. --job-extra=--gres=gpu:1 (repeatable).",
        rich_help_panel=SLURM, show_default=False)] = None,
    prologue: Annotated[list[str] | None, typer.Option(
        help="A shell line run before the workers start, e.g. 'module load python' "
             "(repeatable).", rich_help_panel=SLURM, show_default=False)] = None,
    interface: Annotated[str | None, typer.Option(
        help="Network interface of the workers, e.g. ib0.", rich_help_panel=SLURM,
        show_default=False)] = None,
    job_script: Annotated[bool, typer.Option(
        "--job-script", help="Print the SLURM job script and exit (nothing is submitted).",
        rich_help_panel=SLURM)] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List the jobs (name, seed, what a run would do: run, resume, "
                          "skip), with --cluster slurm also the SLURM job script, and "
                          "exit.")] = False,
    quiet: Quiet = False,
) -> None:
    """Run many reconstructions (a SPEC's jobs) on Dask: locally, on a scheduler or on SLURM.

    Each job gets its own run directory in OUTPUT with a distinct, reproducible
    seed; a summary table (job, seed, status, wall s, final errors) is printed
    and written to OUTPUT/summary.csv. Exit status 1 if any job failed.
    """
    from mcrkit.batching import SlurmOptions, load_spec, plan
    from mcrkit.batching import batch as run
    from mcrkit.batching.run import BATCH_FILE
    from mcrkit.batching.slurmjobs import SlurmError

    check_writable(directories=(output,))
    if scheduler is not None and cluster != "local":
        usage_error("give either --scheduler (join a running cluster) or --cluster, not both")
    slurm = SlurmOptions(memory=memory, walltime=walltime, processes=processes, queue=queue,
                         account=account, job_extra=list(job_extra or []),
                         prologue=list(prologue or []), interface=interface)
    try:
        if job_script:
            if cluster != "slurm":
                usage_error("--job-script shows the job script of --cluster slurm")
            typer.echo(_job_script(slurm, threads_per_worker, output))
            return
        if dry_run:
            steps = plan(spec, output, n_samples=n_samples)
            for job, action in steps:
                typer.echo(f"{job.name}  seed {job.seed}  {action}")
            counts = {a: sum(action == a for _, action in steps) for a in ("run", "resume", "skip")}
            say(f"{len(steps)} jobs: {counts['run']} to run, {counts['resume']} to resume, "
                f"{counts['skip']} finished")
            if load_spec(spec).get("seed") is None and not (output / BATCH_FILE).exists():
                say("these seeds were drawn for this listing only: the SPEC sets no seed, so a "
                    "run draws its own (and keeps it in batch.json); add 'seed: N' to the SPEC "
                    "to fix them")
            if cluster == "slurm":
                jobs = -(-(workers or processes) // processes)
                say(f"SLURM job script ({jobs} such job(s), {processes} worker(s) each):")
                typer.echo(_job_script(slurm, threads_per_worker, output))
            return
        with _terminate_as_interrupt():
            result = run(spec, output, n_samples=n_samples, scheduler=scheduler,
                         cluster=cluster, workers=workers,
                         threads_per_worker=threads_per_worker, slurm=slurm,
                         progress=not is_quiet())
    except (FileNotFoundError, ValueError, TypeError, SlurmError) as exc:
        fail(str(exc))
    except ImportError as exc:
        fail(f"mcrkit batch needs Dask ({exc}); install it with pip install 'mcrkit[cluster]'")
    except KeyboardInterrupt:
        typer.echo(f"interrupted; finished jobs are kept in {output}: run the same command "
                   "again to skip them and resume the others from their checkpoints", err=True)
        raise typer.Exit(code=130) from None
    for row in result.rows:
        for warning in row["warnings"]:
            typer.secho(f"warning: {row['job']}: {cli_wording(warning)}", err=True,
                        fg=typer.colors.YELLOW)
    typer.echo(str(result))
    if result.failed:
        raise typer.Exit(code=1)


def _job_script(slurm: Any, threads_per_worker: int, output: Path) -> str:
    """The job script of the SLURM jobs a batch into ``output`` submits (nothing is)."""
    from mcrkit.batching import slurm_cluster
    from mcrkit.batching.slurmjobs import SLURM_FOLDER

    jobqueue = slurm_cluster(slurm, threads_per_worker, output.resolve() / SLURM_FOLDER)
    try:
        return jobqueue.job_script()
    finally:
        jobqueue.close()


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``scancel`` or the walltime of a job running the batch) and SIGHUP
    (the terminal closed) stop the batch as Ctrl-C does: its SLURM jobs are cancelled, its
    finished runs kept."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
