"""``mcrkit view``, ``mcrkit export`` and ``mcrkit compare``: seeing and sharing results."""

from __future__ import annotations

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
    check_new,
    fail,
    parse_voxel_size,
    read_input,
    say,
)


@app.command()
def view(
    path: Annotated[Path, typer.Argument(
        help="Microstructure file, characterization .npz, report.json or run directory.",
        show_default=False)],
    save: Annotated[Path | None, typer.Option(
        help="Render the figure to this image file instead of opening a window.")] = None,
    kind: Annotated[str | None, typer.Option(
        help="microstructure, characterization, convergence, report or surface (default: "
             "from the input; a run directory shows its convergence).")] = None,
    animate: Annotated[Path | None, typer.Option(
        help="Write the run's snapshots as an animation (.gif, or .mp4 with imageio-ffmpeg).")
    ] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Show a microstructure, a characterization or a run (interactive, or --save)."""
    if not path.exists():
        fail(f"{path}: no such file or directory")
    check_new(save, animate, overwrite=overwrite)
    try:
        if animate is not None:
            from mcrkit.plotting.animation import animate_snapshots

            animate_snapshots(path, animate)
            say(f"saved {animate}")
            if save is None:
                return
        from mcrkit.plotting.view import view as draw

        draw(path, kind=kind, save=save)
    except (ValueError, ImportError, OSError) as exc:
        fail(str(exc))
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
    axis: Annotated[str, typer.Option(help="Slicing axis of PNG slices of a volume.")] = "z",
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Write a result for ParaView/DAMASK (.vti), as TIFF stack, HDF5, .npy or PNG slices."""
    from mcrkit.io.exports import export as write

    if not source.exists():
        fail(f"{source}: no such file or directory")
    check_new(output, overwrite=overwrite)
    try:
        written = write(source, output, to=to, voxel_size=parse_voxel_size(voxel_size),
                        axis=axis, overwrite=overwrite)
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
    from mcrkit.metrics.verdict import format_verdict

    directory = output or Path(".")
    existing = [name for name in ("report.json", "report.png") if (directory / name).exists()]
    if existing and not overwrite:
        fail(f"{directory}: already holds {' and '.join(existing)}; give another directory "
             "with -o, or replace them with --overwrite (nothing was written)")
    reference = read_input(original, threshold, phases)
    try:
        candidate = load_result(result) if result.is_dir() else read_input(result, threshold,
                                                                           phases)
        report = validation_report(reference, candidate, limit_to=limit_to or 8)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    typer.echo(format_verdict(report))
    written = write_report(report, directory)
    say(f"wrote {', '.join(str(p) for p in written)}")
