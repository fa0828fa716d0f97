"""``mcrkit merge``, ``mcrkit interpolate`` (descriptor space) and ``mcrkit smooth``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcrkit.cli.common import (
    InputFile,
    Overwrite,
    Phases,
    Quiet,
    Threshold,
    app,
    check_new,
    check_writable,
    fail,
    parsed,
    read_input,
    say,
)
from mcrkit.cli.options import parse_orientation, parse_strength


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
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Merge 2D views into one per-axis characterization for 3D reconstruction."""
    from mcrkit.workflows import merge as run
    from mcrkit.workflows.merge import format_realizability

    orientation_map = parsed("--orientation", parse_orientation, orientation or None)
    check_new(output, overwrite=overwrite)
    check_writable(output)
    try:
        merged = run([str(view) for view in views], orientation_map,
                     allow_inconsistent=allow_inconsistent, tolerance=tolerance)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    details = merged.provenance["merge"]
    for view in details["views"]:
        used = ", ".join(f"normal to {axis}: rows along {order[0]}, columns along {order[1]}"
                         for axis, order in view["slices"].items())
        typer.echo(f"{view['name']}: {used}")
    typer.echo(format_realizability(details["realizability"]))
    say(f"saved {merged.save(output)}")


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
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Write characterizations on the straight line between two, ends included."""
    from mcrkit.workflows import interpolate as run

    check_writable(directories=(output,))
    check_new(output, overwrite=overwrite)
    try:
        steps = run(str(c_from), str(c_to), n_steps)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    output.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(steps) - 1)))
    for k, step in enumerate(steps):
        path = step.save(output / f"step_{k:0{width}d}.npz")
        say(f"saved {path} (t = {step.provenance['interpolate']['t']:.4g})")


@app.command()
def smooth(
    input: InputFile,
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
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Smooth the phase regions of a microstructure (every voxel keeps exactly one phase)."""
    from mcrkit.io import write_microstructure
    from mcrkit.workflows import smooth as run

    check_new(output, overwrite=overwrite)
    check_writable(output)
    original = read_input(input, threshold, phases)
    sigma = parsed("--strength", parse_strength, strength)
    try:
        result = run(original, method, sigma, periodic=periodic,
                     preserve_volume_fractions=preserve_volume_fractions)
        path = write_microstructure(output, result)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    before = ", ".join(f"{v:.4f}" for v in original.volume_fractions())
    after = ", ".join(f"{v:.4f}" for v in result.volume_fractions())
    typer.echo(f"volume fractions {before} -> {after}")
    say(f"saved {path}")


