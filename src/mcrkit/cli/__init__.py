"""The ``mcrkit`` command line: thin wrappers around the Python API.

One module per group of commands; each registers its commands on the shared
typer app of :mod:`mcrkit.cli.common`.
"""

from __future__ import annotations

import sys

from mcrkit.cli import (  # noqa: F401
    batch,
    characterization,
    descriptor_space,
    examples,
    gui,
    properties,
    reconstruction,
    viewing,
)
from mcrkit.cli.common import app

__all__ = ["app", "main", "normalize_argv"]


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
