"""The ``mcrkit`` command line: thin wrappers around the Python API.

One module per group of commands; each registers its commands on the shared
typer app of :mod:`mcrkit.cli.common`.
"""

from __future__ import annotations

import re
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
from mcrkit.runtime import keep_freed_memory

__all__ = ["app", "main", "normalize_argv"]

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
"""What ``--shape`` takes as one of its values (wrong ones are refused by the parser)."""


def normalize_argv(args: list[str]) -> list[str]:
    """Join the values of ``--shape 64 64 64`` into one argument (``--shape 64,64,64``).

    Examples
    --------
    >>> normalize_argv(["reconstruct", "c.npz", "--shape", "-5", "64", "-o", "run"])
    ['reconstruct', 'c.npz', '--shape', '-5,64', '-o', 'run']
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        out.append(args[i])
        if args[i] == "--shape":
            values = []
            while i + 1 < len(args) and _NUMBER.fullmatch(args[i + 1]):
                values.append(args[i + 1])
                i += 1
            if values:
                out.append(",".join(values))
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``mcrkit`` console script."""
    keep_freed_memory()  # one job per process: reuse freed memory rather than returning it
    app(args=normalize_argv(sys.argv[1:] if argv is None else list(argv)))
