"""``mcrkit view``, ``mcrkit export`` and ``mcrkit compare``: seeing and sharing results."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from mcrkit.cli.common import (
    LimitTo,
    Overwrite,
    Phases,
    Quiet,
    Threshold,
    VoxelSize,
    app,
    check_figures,
    check_new,
    check_writable,
    fail,
    parse_voxel_size,
    parsed,
    read_input,
    say,
)

EXIT_NO_DISPLAY = 3
"""Exit status of ``mcrkit view`` asked to open a window where none can be shown."""

_FILE_BACKENDS = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")
"""matplotlib's backends that only write files."""


def _no_display(kind: str | None) -> str | None:
    """Why no window can be shown here (None when one can): no display server on Linux,
    or, for a matplotlib figure (all kinds but pyvista's surface), a backend that only
    writes files."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
    if kind == "surface":
        return None
    import matplotlib

    backend = matplotlib.get_backend().lower()
    if backend in _FILE_BACKENDS:
        return f"matplotlib's backend '{backend}' writes files and opens no window"
    return None


@app.command()
def view(
    path: Annotated[Path, typer.Argument(
        help="Microstructure file, characterization .npz, report.json or run directory.",
        show_default=False)],
    save: Annotated[Path | None, typer.Option(
        help="Render the figure to this file instead of opening a window: .png (300 dpi) or "
             ".pdf, .svg, .eps (vector).")] = None,
    kind: Annotated[str | None, typer.Option(
        help="microstructure, characterization, convergence, report, surface or segmentation "
             "(default: from the input; a run directory shows its convergence; a gray "
             "image with --threshold/--phases its segmentation).")] = None,
    animate: Annotated[Path | None, typer.Option(
        help="Write the run's snapshots as an animation (.gif, or .mp4 with imageio-ffmpeg).")
    ] = None,
    threshold: Threshold = None,
    phases: Phases = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Show a microstructure, a characterization or a run (interactive, or --save).

    With --threshold or --phases, a gray image is shown beside its segmentation.
    Without --save or --animate a window opens; where none can (no display, or a
    file-only matplotlib backend) the input is checked, nothing is shown, and the
    exit status is 3 (1: a bad input; 2: a wrong command line).
    """
    from mcrkit.io import parse_threshold

    if not path.exists():
        fail(f"{path}: no such file or directory")
    check_new(save, animate, overwrite=overwrite)
    check_figures(save)
    check_writable(animate)
    cut = parsed("--threshold", parse_threshold, threshold)
    reason = _no_display(kind) if save is None and animate is None else None
    if reason is not None:
        import matplotlib

        matplotlib.use("Agg", force=True)  # the figure is drawn only to check the input
    try:
        if animate is not None:
            from mcrkit.plotting.animation import animate_snapshots

            animate_snapshots(path, animate)
            say(f"saved {animate}")
            if save is None:
                return
        from mcrkit.plotting.view import view as draw

        if reason is None or kind != "surface":  # a surface would open pyvista's window
            draw(path, kind=kind, save=save, threshold=cut, phases=phases)
    except (ValueError, ImportError, OSError) as exc:
        fail(str(exc))
    if reason is not None:
        given = [f"--{name} {value}" for name, value in
                 (("kind", kind), ("threshold", threshold), ("phases", phases)) if value]
        typer.secho(f"error: nothing can be shown here: {reason}. Render the figure to a file "
                    f"instead: mcrkit view {' '.join([str(path), *given])} --save FILE.png",
                    err=True, fg=typer.colors.RED)
        raise typer.Exit(code=EXIT_NO_DISPLAY)
    if save is not None:
        say(f"saved {save}")
        return
    import matplotlib.pyplot as plt

    plt.show()


@app.command()
def export(
    source: Annotated[Path, typer.Argument(
        help="Run directory or microstructure file.", show_default=False)],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Target file (PNG slices of a volume: NAME.png or a directory).",
        show_default=False)],
    to: Annotated[str | None, typer.Option(
        help="vti, tiff, h5, npy or png (default: from the output's suffix).")] = None,
    voxel_size: VoxelSize = None,
    unit: Annotated[str | None, typer.Option(
        help="Length unit of the voxel size (um, nm, ...); default: the input's.",
        show_default=False)] = None,
    axis: Annotated[str, typer.Option(help="Slicing axis of PNG slices of a volume.")] = "z",
    threshold: Threshold = None,
    phases: Phases = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Write a result for ParaView/DAMASK (.vti), as ImageJ TIFF, HDF5, .npy or PNG slices."""
    from mcrkit.io import parse_threshold
    from mcrkit.io.exports import export as write

    if not source.exists():
        fail(f"{source}: no such file or directory")
    check_new(output, overwrite=overwrite)
    if output.suffix:
        check_writable(output)
    else:  # PNG slices into a directory
        check_writable(directories=(output,))
    cut = parsed("--threshold", parse_threshold, threshold)
    try:
        written = write(source, output, to=to, voxel_size=parse_voxel_size(voxel_size),
                        unit=unit, axis=axis, overwrite=overwrite, threshold=cut,
                        phases=phases)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    where = written[0] if len(written) == 1 else f"{len(written)} files in {written[0].parent}"
    say(f"wrote {where}")


@app.command()
def compare(
    original: Annotated[Path, typer.Argument(help="The original microstructure file.",
                                             show_default=False)],
    result: Annotated[Path, typer.Argument(
        help="The result: a microstructure file or a run directory.", show_default=False)],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Directory for report.json and report.png (default: the "
                               "current directory).", show_default=False)] = None,
    limit_to: LimitTo = None,
    threshold: Threshold = None,
    phases: Phases = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Judge a result against its original: one table, one verdict (good or not good)."""
    from mcrkit.io.exports import load_result
    from mcrkit.metrics.report import validation_report, write_report
    from mcrkit.metrics.transverse import run_target
    from mcrkit.metrics.verdict import format_verdict

    directory = output or Path(".")
    existing = [name for name in ("report.json", "report.png") if (directory / name).exists()]
    if existing and not overwrite:
        fail(f"{directory}: already holds {' and '.join(existing)}; give another directory "
             "with -o, or replace them with --overwrite (nothing was written)")
    check_writable(directories=(directory,))
    reference = read_input(original, threshold, phases)
    largest = min(reference.shape) // 2
    if limit_to is not None and not 1 <= limit_to <= largest:
        fail(f"--limit-to {limit_to}: the correlation length must be from 1 to half the "
             f"smallest side of {original} ({largest} pixels); choose a value in that range")
    try:
        candidate = load_result(result) if result.is_dir() else read_input(result, threshold,
                                                                           phases)
        report = validation_report(reference, candidate,
                                   limit_to=8 if limit_to is None else limit_to,
                                   characterization=run_target(result))
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    typer.echo(format_verdict(report))
    written = write_report(report, directory)
    say(f"wrote {', '.join(str(p) for p in written)}")
