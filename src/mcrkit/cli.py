"""The ``mcrkit`` command line: thin wrappers around the Python API.

Every command parses its options, calls one library function and reports.
Option names are the Python keyword names with dashes (``limit_to`` ->
``--limit-to``). Heavy modules are imported inside the commands so that
``mcrkit --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from mcrkit._version import __version__

app = typer.Typer(
    name="mcrkit",
    help="Microstructure characterization and reconstruction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=2)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcrkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Microstructure characterization and reconstruction."""


def _split_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        _fail("--descriptors needs at least one name; see `mcrkit descriptors`")
    return names


@app.command()
def characterize(
    input: Annotated[Path, typer.Argument(
        help="Microstructure file: .npy, .npz[:key], .tif/.tiff, .png/.bmp/.jpg, "
             ".h5[:/dataset].", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Characterization file (.npz).",
                                         show_default=False)],
    descriptors: Annotated[str | None, typer.Option(
        help="Comma-separated descriptor ids (default: volume_fractions, two_point, "
             "correlations, lineal_path, variation). See `mcrkit descriptors`.")] = None,
    limit_to: Annotated[int | None, typer.Option(
        help="Correlation length in pixels for descriptors that have one.")] = None,
    periodic: Annotated[bool | None, typer.Option(
        "--periodic/--no-periodic", help="Boundary treatment (descriptor defaults: periodic).",
        show_default=False)] = None,
    isotropic: Annotated[bool, typer.Option(
        help="For 3D input, average the x/y/z per-axis values into one.")] = False,
    threshold: Annotated[str | None, typer.Option(
        help="Segment a gray image into two phases: a gray value or 'otsu'.")] = None,
    phases: Annotated[int | None, typer.Option(
        help="Segment a gray image into this many phases (k-means on gray levels).")] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    threads: Annotated[int | None, typer.Option(
        help="Limit the CPU threads used (default: PyTorch's choice).")] = None,
    plot: Annotated[Path | None, typer.Option(
        help="Also save a figure of the descriptors to this image file.")] = None,
) -> None:
    """Compute descriptors of a microstructure and save them as .npz."""
    from mcrkit.io import parse_threshold
    from mcrkit.workflows import DEFAULT_DESCRIPTORS
    from mcrkit.workflows import characterize as run

    try:
        result = run(
            str(input),
            _split_names(descriptors) or DEFAULT_DESCRIPTORS,
            limit_to=limit_to,
            periodic=periodic,
            isotropic=isotropic,
            threshold=None if threshold is None else parse_threshold(threshold),
            phases=phases,
            device=device,
            threads=threads,
        )
    except (FileNotFoundError, ValueError) as exc:  # input errors carry the file and the fix
        _fail(str(exc))
    path = result.save(output)
    typer.echo(str(result), err=True)
    typer.echo(f"saved {path}", err=True)
    if plot is not None:
        from mcrkit.plotting.characterization import plot_characterization

        plot_characterization(result, save=plot)
        typer.echo(f"saved {plot}", err=True)


@app.command(name="descriptors")
def list_descriptors_command(
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Also show parameters and aliases.")] = False,
) -> None:
    """List the available descriptors with one-line descriptions."""
    from mcrkit.descriptors.selection import list_descriptors

    for name, info in list_descriptors().items():
        typer.echo(f"{name:<20} {info['summary']}")
        if verbose:
            params = ", ".join(f"{k}={v!r}" for k, v in info["parameters"].items()) or "none"
            typer.echo(f"{'':<20}   parameters: {params}")
            if info["aliases"]:
                typer.echo(f"{'':<20}   aliases: {', '.join(info['aliases'])}")


# ---- reconstruct and match ------------------------------------------------------------
# One declaration per option, shared by both commands so names and help stay identical.
Descriptors = Annotated[str | None, typer.Option(
    help="Comma-separated descriptor ids to match (default: two_point and lineal_path "
         "where available).")]
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
    help="Iterations per multigrid level [default: 150; annealing: 100 blocks of one move "
         "per voxel].", show_default=False)]
Seed = Annotated[int | None, typer.Option(help="Random seed (default: drawn and recorded).")]
Multigrid = Annotated[int, typer.Option(help="Coarse-to-fine levels (1: none).")]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
Threads = Annotated[int | None, typer.Option(
    help="Limit the CPU threads used (default: PyTorch's choice).")]
TimeLimit = Annotated[float | None, typer.Option(help="Stop after this many seconds.")]
Progress = Annotated[bool, typer.Option("--progress/--quiet",
                                        help="Show a progress bar (--quiet: none).")]
Force = Annotated[bool, typer.Option(help="Run even if the memory estimate exceeds free memory.")]
Plot = Annotated[Path | None, typer.Option(
    help="Save a picture of the result (mid-slices and convergence) to this image file.")]
Shape = Annotated[str | None, typer.Option(
    help="Shape of the result, e.g. --shape 64 64 64 (or 64x64x64).", show_default=False)]
RunDir = Annotated[Path | None, typer.Option(
    "-o", "--output", help="Run directory for the result, settings, convergence and "
                           "checkpoints (new or empty; default: a new directory in "
                           "./mcrkit-runs).", show_default=False)]


def _parse_shape(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    parts = text.replace("x", ",").replace(" ", ",").split(",")
    try:
        return tuple(int(p) for p in parts if p)
    except ValueError:
        _fail(f"--shape needs integers such as 64 64 64, got {text!r}")


def _parse_weights(text: str | None) -> list[float] | dict[str, float] | None:
    if text is None:
        return None
    items = [p.strip() for p in text.split(",") if p.strip()]
    try:
        if all("=" in item for item in items):
            return {k.strip(): float(v) for k, v in (item.split("=", 1) for item in items)}
        return [float(item) for item in items]
    except ValueError:
        _fail(f"--weights needs numbers ('1,1,10') or name=number pairs, got {text!r}")


def _parse_options(items: list[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs with JSON values (numbers, true/false, null), else strings."""
    import json

    options: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            _fail(f"--optimizer-option needs NAME=VALUE such as final_ratio=1e-5, got {item!r}")
        try:
            options[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            options[name.strip()] = text
    return options


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
    from mcrkit.reconstruction.rundir import RunDirectoryError

    try:
        result = function(*args, **kwargs)
    except (FileNotFoundError, ValueError, MemoryError, RunDirectoryError) as exc:
        _fail(str(exc))
    typer.echo(str(result), err=True)
    if plot is not None:
        from mcrkit.plotting.reconstruction import plot_reconstruction

        plot_reconstruction(result.labels, original=original, history=result.history,
                            title=f"mcrkit {result.settings['optimizer']}, "
                                  f"{result.iterations} iterations", save=plot)
        typer.echo(f"saved {plot}", err=True)
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
        help="Iterations per multigrid level [default: 150; annealing: 100 blocks of one "
             "move per voxel; with --resume: the run's own].", show_default=False)] = None,
    optimizer_options: OptimizerOptions = None,
    polish: Polish = False,
    seed: Seed = None,
    multigrid: Multigrid = 1,
    device: Device = "auto",
    threads: Threads = None,
    time_limit: TimeLimit = None,
    progress: Progress = True,
    force: Force = False,
    plot: Plot = None,
) -> None:
    """Reconstruct a structure whose descriptors match a characterization."""
    budget = {} if max_iter is None else {"max_iter": max_iter}
    if resume is not None:
        from mcrkit.workflows import resume as resume_run

        _run_reconstruction(resume_run, resume, plot=plot, device=device, threads=threads,
                            time_limit=time_limit, progress=progress, force=force, **budget)
        return
    if characterization is None or shape is None:
        _fail("give a characterization file and --shape (or --resume RUN_DIR)")
    from mcrkit.workflows import reconstruct as run

    _run_reconstruction(run, str(characterization), _parse_shape(shape),
                        _split_names(descriptors), _parse_weights(weights), plot=plot,
                        loss=loss, optimizer=optimizer, seed=seed, multigrid=multigrid,
                        optimizer_options=_parse_options(optimizer_options), polish=polish,
                        device=device, threads=threads, time_limit=time_limit,
                        progress=progress, force=force,
                        run_dir=output or _default_run_dir(characterization.stem), **budget)


@app.command()
def match(
    input: Annotated[Path, typer.Argument(
        help="Microstructure file: .npy, .npz[:key], .tif/.tiff, .png/.bmp/.jpg, "
             ".h5[:/dataset].", show_default=False)],
    output: RunDir = None,
    add_dimension: Annotated[int | None, typer.Option(
        help="Reconstruct a 3D volume from a 2D input, this many voxels deep.")] = None,
    shape: Shape = None,
    descriptors: Descriptors = None,
    weights: Weights = None,
    limit_to: Annotated[int | None, typer.Option(
        help="Correlation length in pixels for descriptors that have one.")] = None,
    threshold: Annotated[str | None, typer.Option(
        help="Segment a gray image into two phases: a gray value or 'otsu'.")] = None,
    phases: Annotated[int | None, typer.Option(
        help="Segment a gray image into this many phases.")] = None,
    loss: Loss = "mse",
    optimizer: OptimizerName = "lbfgs",
    max_iter: MaxIter = None,
    optimizer_options: OptimizerOptions = None,
    polish: Polish = False,
    seed: Seed = None,
    multigrid: Multigrid = 1,
    device: Device = "auto",
    threads: Threads = None,
    time_limit: TimeLimit = None,
    progress: Progress = True,
    force: Force = False,
    plot: Plot = None,
) -> None:
    """Characterize a microstructure and reconstruct a statistically equivalent one."""
    from mcrkit.io import parse_threshold, read_microstructure
    from mcrkit.workflows import match as run

    try:
        original = read_microstructure(
            str(input), threshold=None if threshold is None else parse_threshold(threshold),
            phases=phases)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    _run_reconstruction(run, original, add_dimension, _parse_shape(shape),
                        _split_names(descriptors), _parse_weights(weights), plot=plot,
                        original=original.labels, limit_to=limit_to, loss=loss,
                        optimizer=optimizer, max_iter=max_iter, seed=seed, multigrid=multigrid,
                        optimizer_options=_parse_options(optimizer_options), polish=polish,
                        device=device, threads=threads, time_limit=time_limit,
                        progress=progress, force=force,
                        run_dir=output or _default_run_dir(input.stem.split(":")[0]))


# ---- descriptor space: merge, interpolate; smooth -------------------------------------
def _parse_orientation(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    pairs = [part.strip() for item in items for part in item.split(",") if part.strip()]
    if not all(part.count("=") == 1 for part in pairs):
        _fail(f"--orientation needs AXIS=ORDER pairs such as x=zy, got {', '.join(items)!r}")
    return {axis.strip(): order.strip() for axis, order in (p.split("=") for p in pairs)}


def _reporting_warnings(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; print the warnings it emits as ``warning:`` lines on stderr."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    for warning in caught:
        typer.secho(f"warning: {warning.message}", err=True, fg=typer.colors.YELLOW)
    return result


def _parse_strength(text: str) -> float | tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        _fail(f"--strength needs a number or one per axis ('1.5' or '0,2,2'), got {text!r}")
    return values[0] if len(values) == 1 else values


Threshold = Annotated[str | None, typer.Option(
    help="Segment a gray image into two phases: a gray value or 'otsu'.")]
Phases = Annotated[int | None, typer.Option(help="Segment a gray image into this many phases.")]


@app.command()
def merge(
    views: Annotated[list[Path], typer.Argument(
        help="One to three 2D characterization files (.npz). One: used on the slices normal "
             "to x, y and z; two: the first normal to x and y, the second normal to z; three: "
             "normal to x, y and z.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Merged characterization "
                                         "file (.npz).", show_default=False)],
    orientation: Annotated[list[str] | None, typer.Option(
        help="AXIS=ORDER: on the slices normal to AXIS the view's image rows run along the "
             "first axis of ORDER and its columns along the second, e.g. x=zy. Default x=yz, "
             "y=xz, z=xy; repeat or separate with commas.", show_default=False)] = None,
    allow_inconsistent: Annotated[bool, typer.Option(
        help="Merge even if views disagree along a shared direction.")] = False,
    tolerance: Annotated[float, typer.Option(
        help="Largest RMSE between two views' statistics along their shared direction.")
    ] = 0.05,
) -> None:
    """Merge 2D views into one per-axis characterization for 3D reconstruction."""
    from mcrkit.workflows import merge as run
    from mcrkit.workflows.merge import format_realizability

    try:
        merged = _reporting_warnings(run, [str(view) for view in views],
                                     _parse_orientation(orientation),
                                     allow_inconsistent=allow_inconsistent, tolerance=tolerance)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    details = merged.provenance["merge"]
    for view in details["views"]:
        used = ", ".join(f"normal to {axis}: rows along {order[0]}, columns along {order[1]}"
                         for axis, order in view["slices"].items())
        typer.echo(f"{view['name']}: {used}", err=True)
    typer.echo(format_realizability(details["realizability"]), err=True)
    typer.echo(f"saved {merged.save(output)}", err=True)


@app.command()
def interpolate(
    c_from: Annotated[Path, typer.Argument(help="Characterization at t = 0 (.npz).",
                                           show_default=False)],
    c_to: Annotated[Path, typer.Argument(help="Characterization at t = 1 (.npz).",
                                         show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Directory (new or empty) for step_00.npz, step_01.npz, ...",
        show_default=False)],
    n_steps: Annotated[int, typer.Option(
        "--steps", "--n-steps", help="Number of characterizations, both ends included.")] = 5,
) -> None:
    """Write characterizations on the straight line between two, ends included."""
    from mcrkit.workflows import interpolate as run

    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        _fail(f"{output}: exists and is not an empty directory; choose a new directory")
    try:
        steps = _reporting_warnings(run, str(c_from), str(c_to), n_steps)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    output.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(steps) - 1)))
    for k, step in enumerate(steps):
        path = step.save(output / f"step_{k:0{width}d}.npz")
        typer.echo(f"saved {path} (t = {step.provenance['interpolate']['t']:.4g})", err=True)


@app.command()
def smooth(
    input: Annotated[Path, typer.Argument(
        help="Microstructure file: .npy, .npz[:key], .tif/.tiff, .png/.bmp/.jpg, "
             ".h5[:/dataset].", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Smoothed microstructure: "
                                         ".npy, .tif/.tiff or .png (2D).", show_default=False)],
    method: Annotated[str, typer.Option(
        help="gaussian (argmax of blurred phase indicators) or median (majority vote).")
    ] = "gaussian",
    strength: Annotated[str, typer.Option(
        help="Gaussian standard deviation or median radius in voxels; one value or one per "
             "axis ('0,2,2').")] = "1",
    periodic: Annotated[bool, typer.Option(
        "--periodic/--no-periodic", help="Wrap around the boundaries or mirror at them.")
    ] = True,
    preserve_volume_fractions: Annotated[bool, typer.Option(
        help="Keep every phase's voxel count exactly.")] = False,
    threshold: Threshold = None,
    phases: Phases = None,
) -> None:
    """Smooth the phase regions of a microstructure (every voxel keeps exactly one phase)."""
    from mcrkit.io import parse_threshold, read_microstructure, write_microstructure
    from mcrkit.workflows import smooth as run

    options = {"phases": phases}
    try:
        if threshold is not None:
            options["threshold"] = parse_threshold(threshold)
        original = read_microstructure(str(input), **options)
        result = run(original, method, _parse_strength(strength), periodic=periodic,
                     preserve_volume_fractions=preserve_volume_fractions)
        path = write_microstructure(output, result)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    before = ", ".join(f"{v:.4f}" for v in original.volume_fractions())
    after = ", ".join(f"{v:.4f}" for v in result.volume_fractions())
    typer.echo(f"volume fractions {before} -> {after}", err=True)
    typer.echo(f"saved {path}", err=True)


def normalize_argv(args: list[str]) -> list[str]:
    """Join the values of ``--shape 64 64 64`` into one argument (``--shape 64,64,64``)."""
    out: list[str] = []
    i = 0
    while i < len(args):
        out.append(args[i])
        if args[i] == "--shape":
            values = []
            while i + 1 < len(args) and args[i + 1].isdigit():
                values.append(args[i + 1])
                i += 1
            if values:
                out.append(",".join(values))
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mcrkit`` console script."""
    app(args=normalize_argv(sys.argv[1:] if argv is None else list(argv)))
