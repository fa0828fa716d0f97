"""``mcrkit reconstruct`` and ``mcrkit match``: runs into a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mcrkit.cli.common import (
    InputFile,
    LimitTo,
    Overwrite,
    Phases,
    Quiet,
    Threads,
    Threshold,
    app,
    check_figures,
    check_new,
    check_writable,
    fail,
    is_quiet,
    parsed,
    read_input,
    say,
    split_names,
    usage_error,
)
from mcrkit.cli.options import parse_assignments, parse_shape, parse_weights

# One declaration per option, shared by both commands so names and help stay identical.
Descriptors = Annotated[str | None, typer.Option(
    help="Comma-separated descriptor ids to match (default: two_point and lineal_path "
         "where available; match adds local_patterns for gradient runs and prints its "
         "choice).")]
Weights = Annotated[str | None, typer.Option(
    help="Weights: one per descriptor ('1,1,10') or by name ('lineal_path=10').")]
Loss = Annotated[str, typer.Option(help="Loss: mse, rms, sse, l1 or l2.")]
OptimizerName = Annotated[str, typer.Option(
    "--optimizer", help="lbfgs, lbfgsb, tnc, adam, adamax, nadam, rmsprop, adagrad, adadelta, "
                        "sgd, or annealing (discrete pixel swaps).")]
OptimizerOptions = Annotated[list[str] | None, typer.Option(
    "--optimizer-option", help="An optimizer hyperparameter NAME=VALUE (repeatable), e.g. "
                               "final_ratio=1e-5.", show_default=False)]
Polish = Annotated[bool, typer.Option(
    help="Anneal the discrete result of a gradient run at low temperature (4 moves per "
         "voxel).")]
MaxIter = Annotated[int | None, typer.Option(
    help="Iterations per multigrid level (default: up to 150, fewer once the loss has "
         "flattened; annealing: 100 blocks of one move per voxel).", show_default=False)]
Seed = Annotated[int | None, typer.Option(help="Random seed (default: drawn and recorded).")]
Multigrid = Annotated[int, typer.Option(help="Coarse-to-fine levels (1: none).")]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
TimeLimit = Annotated[float | None, typer.Option(help="Stop after this many seconds.")]
SnapshotEvery = Annotated[int, typer.Option(
    help="Keep the structure every this many iterations for `mcrkit view RUN` and "
         "--animate (0: only at the end of each multigrid level).")]
CheckpointEvery = Annotated[float, typer.Option(
    help="Seconds between checkpoints (0: after every iteration); the start and an "
         "interruption are always saved, so --resume works from the first iteration.")]
Force = Annotated[bool, typer.Option(help="Run even if the memory estimate exceeds free memory.")]
Plot = Annotated[Path | None, typer.Option(
    help="Save a picture of the result (mid-slices and convergence) to this file: .png "
         "(300 dpi) or .pdf, .svg, .eps (vector).")]
Shape = Annotated[str | None, typer.Option(
    help="Shape of the result, e.g. --shape 64 64 64 (or 64x64x64).", show_default=False)]
RunDir = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Run directory for the result, settings, convergence and "
                           "checkpoints (new or empty unless --overwrite; default: a new "
                           "directory in ./mcrkit-runs).", show_default=False)]


def _objective_settings(descriptors: str | None, weights: str | None,
                        optimizer_options: list[str] | None) -> dict[str, Any]:
    """The library keywords of the options that reconstruct and match parse alike."""
    return {"descriptors": split_names(descriptors),
            "weights": parsed("--weights", parse_weights, weights),
            "optimizer_options": parsed("--optimizer-option", parse_assignments,
                                        optimizer_options or [])}


def _default_run_dir(stem: str) -> Path:
    """A new directory ``mcrkit-runs/<stem>-<date>-<time>[-n]`` for runs given no -o."""
    import time

    base = Path("mcrkit-runs") / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _run_reconstruction(function: Any, *args: Any, plot: Path | None,
                        original: Any = None, **kwargs: Any) -> None:
    """Call reconstruct/resume/match, report, and exit with the right status."""
    from mcrkit.io.rundir import RunDirectoryError

    try:
        result = function(*args, **kwargs)
    except (FileNotFoundError, ValueError, MemoryError, RunDirectoryError) as exc:
        fail(str(exc))
    typer.echo(str(result))
    if plot is not None:
        from mcrkit.plotting.reconstruction import plot_reconstruction

        plot_reconstruction(result.microstructure, original=original,
                            history=result.history,
                            title=f"mcrkit {result.settings['optimizer']}, "
                                  f"{result.iterations} iterations", save=plot)
        say(f"saved {plot}")
    if result.status == "interrupted":
        where = f" with: mcrkit reconstruct --resume {result.run_dir}" if result.run_dir else ""
        typer.echo(f"interrupted; the state is saved, continue{where}", err=True)
        raise typer.Exit(code=130)


@app.command()
def reconstruct(
    characterization: Annotated[Path | None, typer.Argument(
        help="Characterization file (.npz from `mcrkit characterize`).",
        show_default=False)] = None,
    shape: Shape = None,
    output: RunDir = None,
    resume: Annotated[Path | None, typer.Option(
        help="Continue the run in this directory from its checkpoint.")] = None,
    descriptors: Descriptors = None,
    weights: Weights = None,
    loss: Loss = "mse",
    optimizer: OptimizerName = "lbfgs",
    max_iter: Annotated[int | None, typer.Option(
        help="Iterations per multigrid level (default: up to 150, fewer once the loss has "
             "flattened; annealing: 100 blocks of one move per voxel; with --resume: the "
             "run's own).", show_default=False)] = None,
    optimizer_options: OptimizerOptions = None,
    polish: Polish = False,
    seed: Seed = None,
    start: Annotated[str, typer.Option(
        help="For a 3D volume from merged views of two phases: model (an anisotropic "
             "level-cut model fitted to every orientation's S2; the gradient run follows "
             "only if its slices fail their targets or --max-iter is given) or "
             "noise.")] = "model",
    multigrid: Multigrid = 1,
    device: Device = "auto",
    threads: Threads = None,
    time_limit: TimeLimit = None,
    snapshot_every: SnapshotEvery = 50,
    checkpoint_every: CheckpointEvery = 60.0,
    force: Force = False,
    plot: Plot = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Reconstruct a structure whose descriptors match a characterization."""
    check_new(plot, overwrite=overwrite)
    check_figures(plot)
    check_writable(directories=(output,))
    budget = {} if max_iter is None else {"max_iter": max_iter}
    if resume is not None:
        from mcrkit.workflows import resume as resume_run

        _run_reconstruction(resume_run, resume, plot=plot, device=device, threads=threads,
                            time_limit=time_limit, progress=not is_quiet(), force=force, **budget)
        return
    if characterization is None or shape is None:
        usage_error("give a characterization file and --shape (or --resume RUN_DIR)")
    from mcrkit.workflows import reconstruct as run

    _run_reconstruction(run, str(characterization), parsed("--shape", parse_shape, shape),
                        plot=plot, loss=loss, optimizer=optimizer, seed=seed, start=start,
                        multigrid=multigrid, polish=polish, device=device, threads=threads,
                        time_limit=time_limit, progress=not is_quiet(), force=force,
                        snapshot_every=snapshot_every, checkpoint_every=checkpoint_every,
                        overwrite=overwrite,
                        run_dir=output or _default_run_dir(characterization.stem),
                        **_objective_settings(descriptors, weights, optimizer_options), **budget)


@app.command()
def match(
    input: InputFile,
    output: RunDir = None,
    add_dimension: Annotated[int | None, typer.Option(
        help="Reconstruct a 3D volume from a 2D input, this many voxels deep.")] = None,
    symmetry: Annotated[str, typer.Option(
        help="For a 3D volume from a 2D input: auto (transversely isotropic about the long "
             "axis if the input is anisotropic, else isotropic), isotropic (the input on "
             "every slice), x or y (transversely isotropic about that axis).")] = "auto",
    start: Annotated[str, typer.Option(
        help="For a 3D volume from a 2D input: model (a random-set model fitted to the "
             "input, an anisotropic level cut for an anisotropic input; the gradient run "
             "follows only if its slices fail the report's statistics or --max-iter is "
             "given) or noise.")] = "model",
    shape: Shape = None,
    descriptors: Descriptors = None,
    weights: Weights = None,
    limit_to: LimitTo = None,
    periodic: Annotated[bool | None, typer.Option(
        "--periodic/--no-periodic", help="Boundary treatment of the descriptors (default: "
        "each descriptor's, periodic).", show_default=False)] = None,
    threshold: Threshold = None,
    phases: Phases = None,
    loss: Loss = "mse",
    optimizer: OptimizerName = "lbfgs",
    max_iter: MaxIter = None,
    judge_after: Annotated[int | None, typer.Option(
        help="Judge the gradient run's slices against the input after this many "
             "iterations, then twice, four times as many, ..., and stop once none fails "
             "(default, with the default budget: 25 for a volume from a 2D input, once after "
             "100 for a 2D image; 0: never).",
        show_default=False)] = None,
    optimizer_options: OptimizerOptions = None,
    polish: Polish = False,
    seed: Seed = None,
    multigrid: Multigrid = 1,
    device: Device = "auto",
    threads: Threads = None,
    time_limit: TimeLimit = None,
    snapshot_every: SnapshotEvery = 50,
    checkpoint_every: CheckpointEvery = 60.0,
    force: Force = False,
    plot: Plot = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Characterize a microstructure and reconstruct a statistically equivalent one."""
    from mcrkit.workflows import match as run

    check_new(plot, overwrite=overwrite)
    check_figures(plot)
    check_writable(directories=(output,))

    original = read_input(input, threshold, phases)
    _run_reconstruction(run, original, add_dimension, parsed("--shape", parse_shape, shape),
                        plot=plot, original=original, limit_to=limit_to, loss=loss,
                        optimizer=optimizer, max_iter=max_iter, seed=seed, multigrid=multigrid,
                        polish=polish, device=device, threads=threads, time_limit=time_limit,
                        progress=not is_quiet(), force=force, snapshot_every=snapshot_every,
                        checkpoint_every=checkpoint_every, overwrite=overwrite,
                        symmetry=symmetry, start=start, periodic=periodic,
                        run_dir=output or _default_run_dir(input.stem.split(":")[0]),
                        **_objective_settings(descriptors, weights, optimizer_options),
                        **({} if judge_after is None else {"judge_after": judge_after}))
