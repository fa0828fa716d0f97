"""Shared pieces of the ``mcrkit`` command line: the app, errors, options, parsers.

Every command parses its options, calls one library function and reports.
Option names are the Python keyword names with dashes (``limit_to`` ->
``--limit-to``). Heavy modules are imported inside the commands so that
``mcrkit --help`` answers at once. A command module registers its commands on
:data:`app` with ``@app.command()``; ``mcrkit.cli`` imports every command module.
"""

from __future__ import annotations

from collections.abc import Callable
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


def fail(message: str) -> NoReturn:
    """Print ``error: message`` in red on stderr and exit with status 2."""
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


# ---- option declarations shared by several commands ------------------------------------
InputFile = Annotated[Path, typer.Argument(
    help="Microstructure file: .npy, .npz[:key], .tif/.tiff, .png/.bmp/.jpg, .h5[:/dataset].",
    show_default=False)]
Threshold = Annotated[str | None, typer.Option(
    help="Segment a gray image into two phases: a gray value or 'otsu'.")]
Phases = Annotated[int | None, typer.Option(help="Segment a gray image into this many phases.")]
LimitTo = Annotated[int | None, typer.Option(
    help="Correlation length in pixels for descriptors that have one.")]
VoxelSize = Annotated[str | None, typer.Option(
    help="Physical voxel size: one value or one per axis ('0.5' or '0.5,0.5,1'); default: "
         "from the input's metadata where known.", show_default=False)]
Threads = Annotated[int | None, typer.Option(
    help="CPU threads (default: the CPUs this process may use).")]
Overwrite = Annotated[bool, typer.Option(
    help="Replace existing outputs (without it, a command never replaces a file or writes "
         "into a non-empty directory).")]


# ---- outputs ----------------------------------------------------------------------------
def check_new(*outputs: Path | None, overwrite: bool) -> None:
    """Exit 2, before any work, if an output file exists or an output directory is not
    empty, unless ``overwrite`` (the one rule of every command: never replace silently)."""
    if overwrite:
        return
    for path in outputs:
        if path is None or not path.exists():
            continue
        if path.is_dir() and not any(path.iterdir()):
            continue
        what = "is a directory that is not empty" if path.is_dir() else "exists"
        fail(f"{path}: {what}; choose another name, or replace it with --overwrite "
             "(nothing was written)")


def check_figures(*outputs: Path | None) -> None:
    """Exit 2, before any work, if a figure would be written in a format figures are not."""
    from mcrkit.plotting.figures import figure_format

    for path in outputs:
        if path is not None:
            try:
                figure_format(path)
            except ValueError as exc:
                fail(f"{exc} (nothing was written)")


# ---- parsers ----------------------------------------------------------------------------
def split_names(text: str | None) -> list[str] | None:
    """Comma-separated descriptor ids, or None when the option was not given."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        fail("--descriptors needs at least one name; see `mcrkit descriptors`")
    return names


def parsed(option: str, parser: Callable[[Any], Any], value: Any) -> Any:
    """``parser(value)`` (a :mod:`mcrkit.cli.options` parser), None for None; exit 2 on bad text."""
    if value is None:
        return None
    try:
        return parser(value)
    except ValueError as exc:
        fail(f"{option} {exc}")


def parse_voxel_size(text: str | None) -> tuple[float, ...] | None:
    """``--voxel-size`` text as a tuple (None when not given); exit 2 on bad text."""
    if text is None:
        return None
    try:
        return tuple(float(part) for part in text.replace(" ", ",").split(",") if part)
    except ValueError:
        fail(f"--voxel-size needs numbers such as 0.5 or 0.5,0.5,1, got {text!r}")


def read_input(path: Path, threshold: str | None = None, phases: int | None = None) -> Any:
    """Read a microstructure file, segmenting gray images as asked; exit 2 on bad input."""
    from mcrkit.io import parse_threshold, read_microstructure

    try:
        return read_microstructure(
            str(path), threshold=None if threshold is None else parse_threshold(threshold),
            phases=phases)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))


def reporting_warnings(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; print the warnings it emits as ``warning:`` lines on stderr."""
    from mcrkit.runtime import recorded_warnings

    with recorded_warnings() as messages:
        result = function(*args, **kwargs)
    for message in messages:
        typer.secho(f"warning: {message}", err=True, fg=typer.colors.YELLOW)
    return result
