"""``mcrkit properties``: the effective properties a structure implies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mcrkit.cli.common import (
    Overwrite,
    Quiet,
    Threshold,
    VoxelSize,
    app,
    check_new,
    check_writable,
    fail,
    is_quiet,
    parse_voxel_size,
    parsed,
    say,
    usage_error,
)


@app.command()
def properties(
    volume: Annotated[Path, typer.Argument(
        help="Microstructure file or run directory (its result).", show_default=False)],
    original: Annotated[Path | None, typer.Option(
        help="The original structure (same dimension), measured beside the volume.")] = None,
    phases: Annotated[str | None, typer.Option(
        help="Phases to measure, comma-separated (default: all).", show_default=False)] = None,
    axes: Annotated[str | None, typer.Option(
        help="Axes of the transport solves, e.g. 'x,z' (default: all).",
        show_default=False)] = None,
    voxel_size: VoxelSize = None,
    threshold: Threshold = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the table as JSON to this file.",
        show_default=False)] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Tortuosity factor, effective diffusivity, percolation and surface area per phase."""
    from mcrkit.io import parse_threshold
    from mcrkit.workflows.properties import format_properties
    from mcrkit.workflows.properties import properties as measure

    check_new(output, overwrite=overwrite)
    check_writable(output)
    for path in (volume, original):
        if path is not None and not path.exists():
            fail(f"{path}: no such file or directory")
    try:
        chosen = None if phases is None else [int(p) for p in phases.split(",") if p.strip()]
    except ValueError:
        usage_error(f"--phases needs phase numbers such as 0,1, got {phases!r}")
    chosen_axes = None if axes is None else [a.strip() for a in axes.split(",") if a.strip()]
    cut = parsed("--threshold", parse_threshold, threshold)
    try:
        table = measure(volume, phases=chosen, axes=chosen_axes,
                        voxel_size=parse_voxel_size(voxel_size), original=original,
                        progress=not is_quiet(), threshold=cut)
    except (FileNotFoundError, ValueError, ImportError, MemoryError) as exc:
        fail(str(exc))
    typer.echo(format_properties(table))
    if output is not None:
        output.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
        say(f"wrote {output}")
