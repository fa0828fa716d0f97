"""Shared pieces of the ``mcrkit`` command line: the app, errors, options, parsers.

Every command parses its options, calls one library function and reports.
Option names are the Python keyword names with dashes (``limit_to`` ->
``--limit-to``). Heavy modules are imported inside the commands so that
``mcrkit --help`` answers at once. A command module registers its commands on
:data:`app` with ``@app.command()``; ``mcrkit.cli`` imports every command module.

Conventions of every command: ``-h``/``--help``; ``-q``/``--quiet`` (no messages
or progress on stderr; results, warnings and errors still appear); results on
stdout, messages and progress on stderr; a warning is one ``warning: ...`` line;
exit status 0 on success, 1 when the work failed (:func:`fail`), 2 when the
command line is wrong (:func:`usage_error`, and click's own checks). Library
messages name settings as Python keywords (``device='cpu'``); :func:`cli_wording`
turns those into this command line's options (``--device cpu``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from contextvars import ContextVar
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
    context_settings={"help_option_names": ["-h", "--help"]},
)

_QUIET: ContextVar[bool] = ContextVar("mcrkit_cli_quiet", default=False)


def _set_quiet(value: bool) -> bool:
    _QUIET.set(value)
    return value


Quiet = Annotated[bool, typer.Option(
    "-q", "--quiet", callback=_set_quiet,
    help="Print no messages or progress (results, warnings and errors still).")]
"""The ``-q``/``--quiet`` option every command declares."""


def is_quiet() -> bool:
    """Whether the running command was given ``-q``/``--quiet``."""
    return _QUIET.get()


def say(message: str) -> None:
    """Print a message (not a result) on stderr, unless ``--quiet``."""
    if not is_quiet():
        typer.echo(message, err=True)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with status 1: the work failed."""
    typer.secho(f"error: {cli_wording(message)}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=1)


def usage_error(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with status 2: the command line is wrong."""
    typer.secho(f"error: {cli_wording(message)}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=2)


# ---- library wording -> command-line wording ---------------------------------------------
_SETTING = re.compile(r"(?<![\w.\-])([a-z][a-z0-9_]*)=(True|False|None|\.\.\.|'[^']*'|"
                      r"\{[^{}]*\}|[\w.+\-]+)")
_CALLS = ((re.compile(r"mcrkit\.resume\('([^']*)'\)"), r"mcrkit reconstruct --resume \1"),
          (re.compile(r"mcrkit\.merge\(\['([^']*)'\]\)"), r"mcrkit merge \1 -o NEW.npz"))


def _options() -> set[str]:
    """The long options of all commands (``--limit-to``, ``--no-periodic``, ...)."""
    commands = getattr(typer.main.get_command(app), "commands", {}).values()
    return {opt for command in commands for param in command.params
            for opt in (*param.opts, *param.secondary_opts) if opt.startswith("--")}


def cli_wording(message: str) -> str:
    """A library message in command-line terms: ``name=value`` settings that are options
    of a command become those options; other text is kept.

    Examples
    --------
    >>> cli_wording("use device='cpu', pass force=True or periodic=False, or limit_to=4")
    'use --device cpu, pass --force or --no-periodic, or --limit-to 4'
    >>> cli_wording("check orientation={'x': 'zy'}; continue with mcrkit.resume('run2')")
    'check --orientation x=zy; continue with mcrkit reconstruct --resume run2'
    >>> cli_wording("make it per-axis first with mcrkit.merge(['top.npz'])")
    'make it per-axis first with mcrkit merge top.npz -o NEW.npz'
    """
    options = _options()

    def option(match: re.Match[str]) -> str:
        flag = "--" + match[1].replace("_", "-")
        value = match[2]
        if flag not in options:
            return match[0]
        if value in ("True", "False"):
            negative = "--no-" + flag[2:]
            return flag if value == "True" else (negative if negative in options else match[0])
        if value.startswith("{"):
            pairs = re.findall(r"'([^']*)'\s*:\s*'([^']*)'", value)
            value = ",".join(f"{key}={item}" for key, item in pairs)
        return f"{flag} {value.strip(chr(39))}"

    for pattern, replacement in _CALLS:
        message = pattern.sub(replacement, message)
    return _SETTING.sub(option, message)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mcrkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("-V", "--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Microstructure characterization and reconstruction."""
    _QUIET.set(False)
    ctx.with_resource(warnings.catch_warnings())
    warnings.simplefilter("always")
    shown: set[str] = set()

    def show(message: Warning | str, *_: Any, **__: Any) -> None:
        """A warning as one ``warning: ...`` line on stderr (no category, no source), once."""
        text = cli_wording(str(message))
        if text not in shown:
            shown.add(text)
            typer.secho(f"warning: {text}", err=True, fg=typer.colors.YELLOW)

    warnings.showwarning = show


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
    help="CPU threads (default: the CPUs this process may use; one for a reconstruction "
         "below 2^17 voxels, e.g. 2D 64x64).")]
Overwrite = Annotated[bool, typer.Option(
    help="Replace existing outputs (without it, a command never replaces a file or writes "
         "into a non-empty directory).")]


# ---- outputs ----------------------------------------------------------------------------
def check_new(*outputs: Path | None, overwrite: bool) -> None:
    """Exit 1, before any work, if an output file exists or an output directory is not
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


def check_writable(*files: Path | None, directories: tuple[Path | None, ...] = ()) -> None:
    """Exit 1, before any work, if an output file or directory cannot be written where it
    is asked for: a missing or unwritable folder, a file where a directory is meant, a
    directory where a file is. Missing output directories are fine (they are created)."""
    for path in files:
        if path is None:
            continue
        if path.is_dir():
            fail(f"{path}: is a directory; give a file name (nothing was written)")
        if not path.parent.is_dir():
            what = "is not a directory" if path.parent.exists() else "no such directory"
            fail(f"{path.parent}: {what}; create it first, or choose another place for "
                 f"{path.name} (nothing was written)")
        _probe(path.parent, path)
    for path in directories:
        if path is None:
            continue
        if path.exists() and not path.is_dir():
            fail(f"{path}: exists and is not a directory; choose a new directory (nothing was "
                 "written)")
        base = next(p for p in (path, *path.parents) if p.exists())
        if not base.is_dir():
            fail(f"{base}: is not a directory, so {path} cannot be made in it; choose another "
                 "place (nothing was written)")
        _probe(base, path)


def _probe(folder: Path, path: Path) -> None:
    """Exit 1 unless a file can be made in ``folder`` (an unnamed one, gone at once)."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        fail(f"{folder}: cannot write there ({exc.strerror or exc}); choose another place for "
             f"{path} (nothing was written)")


def check_figures(*outputs: Path | None) -> None:
    """Exit 1, before any work, if a figure would be written in a format figures are not, or
    where it cannot be written (:func:`check_writable`)."""
    from mcrkit.plotting.figures import figure_format

    for path in outputs:
        if path is not None:
            try:
                figure_format(path)
            except ValueError as exc:
                fail(f"{exc} (nothing was written)")
            check_writable(path)


# ---- parsers ----------------------------------------------------------------------------
def split_names(text: str | None) -> list[str] | None:
    """Comma-separated descriptor ids, or None when the option was not given."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        usage_error("--descriptors needs at least one name; see `mcrkit descriptors`")
    return names


def parsed(option: str, parser: Callable[[Any], Any], value: Any) -> Any:
    """``parser(value)`` (a :mod:`mcrkit.cli.options` parser), None for None; exit 2 on bad text."""
    if value is None:
        return None
    try:
        return parser(value)
    except ValueError as exc:
        usage_error(f"{option} {exc}")


def parse_voxel_size(text: str | None) -> tuple[float, ...] | None:
    """``--voxel-size`` text as a tuple (None when not given); exit 2 on bad text."""
    if text is None:
        return None
    try:
        return tuple(float(part) for part in text.replace(" ", ",").split(",") if part)
    except ValueError:
        usage_error(f"--voxel-size needs numbers such as 0.5 or 0.5,0.5,1, got {text!r}")


def read_input(path: Path, threshold: str | None = None, phases: int | None = None) -> Any:
    """Read a microstructure file, segmenting gray images as asked; exit 1 on bad input."""
    from mcrkit.io import parse_threshold, read_microstructure

    chosen = parsed("--threshold", parse_threshold, threshold)
    try:
        return read_microstructure(str(path), threshold=chosen, phases=phases)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
