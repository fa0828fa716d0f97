"""``mcrkit examples``: the bundled example microstructures, listed or copied out."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from mcrkit.cli.common import (
    Overwrite,
    Quiet,
    app,
    check_new,
    check_writable,
    fail,
    say,
    usage_error,
)


@app.command()
def examples(
    name: Annotated[str | None, typer.Argument(
        help="The example to copy out (default: list them all).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Write the example here: .npy as bundled, or .tif/.png.",
        show_default=False)] = None,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """List the bundled example microstructures, or copy one out to a file."""
    from mcrkit import data

    if name is None:
        if output is not None:
            usage_error("-o needs an example NAME; `mcrkit examples` lists them")
        lines = data.describe()
        width = max(len(key) for key in lines)
        for key, line in lines.items():
            typer.echo(f"{key:<{width}}  {line}")
        return
    try:
        source = data.path(name)
    except ValueError as exc:
        fail(str(exc))
    if output is None:
        typer.echo(f"{name}  {data.describe()[name]}\n{source}")
        say(f"copy it out with: mcrkit examples {name} -o {name}.npy")
        return
    from mcrkit.io import read_microstructure, write_microstructure
    from mcrkit.io.writers import WRITABLE_FORMATS

    if output.suffix.lower() not in (".npy", ".tif", ".tiff", ".png"):
        fail(f"{output}: unknown file extension '{output.suffix}'; give -o a name ending in "
             f"{WRITABLE_FORMATS}")
    check_new(output, overwrite=overwrite)
    if output.parent.exists():
        check_writable(output)
    else:  # made below
        check_writable(directories=(output.parent,))
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".npy":
        shutil.copyfile(source, output)
    else:
        write_microstructure(output, read_microstructure(source))
    say(f"wrote {output}")
