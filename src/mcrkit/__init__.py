"""mcrkit: microstructure characterization and reconstruction.

The public API, imported lazily so that ``import mcrkit`` and the command line
stay quick::

    import mcrkit
    c = mcrkit.characterize("micrograph.png", ["two_point", "lineal_path"], threshold="otsu")
    c.save("micrograph.npz")

See ``mcrkit.descriptors`` for the descriptor library and ``mcrkit.io`` for
the readers.

Importing mcrkit sets ``OMP_WAIT_POLICY=PASSIVE`` unless the environment names
a policy: PyTorch's OpenMP threads then sleep rather than spin while they wait,
which keeps runs fast beside other CPU-bound work. It takes effect when mcrkit
is imported before ``torch`` (see :mod:`mcrkit.runtime` and docs/performance.md).
"""

from __future__ import annotations

import importlib
from typing import Any

from mcrkit._version import __version__
from mcrkit.runtime import quiet_waiting

quiet_waiting()

_LAZY = {
    "Characterization": "mcrkit.characterization",
    "Microstructure": "mcrkit.microstructure",
    "batch": "mcrkit.batching",
    "characterize": "mcrkit.workflows",
    "interpolate": "mcrkit.workflows",
    "match": "mcrkit.workflows",
    "merge": "mcrkit.workflows",
    "properties": "mcrkit.workflows",
    "reconstruct": "mcrkit.workflows",
    "resume": "mcrkit.workflows",
    "smooth": "mcrkit.workflows",
    "ReconstructionResult": "mcrkit.workflows",
    "read_microstructure": "mcrkit.io",
    "from_array": "mcrkit.microstructure",
    "list_descriptors": "mcrkit.descriptors.selection",
    "export": "mcrkit.io.exports",
    "validation_report": "mcrkit.metrics.report",
    "view": "mcrkit.plotting.view",
}

__all__ = ["__version__", *sorted(_LAZY)]


_SUBPACKAGES = ("data", "descriptors", "generators", "io", "workflows")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"mcrkit.{name}")
    raise AttributeError(f"module 'mcrkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *_SUBPACKAGES])
