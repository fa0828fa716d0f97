"""Small example microstructures bundled with mcrkit (see README.md here for sources).

Examples
--------
>>> from mcrkit import data
>>> data.names()
['alloy_resized_s', 'copolymer_resized_s', 'pymks_ms_64x64_1']
>>> data.load("pymks_ms_64x64_1").shape
(64, 64)
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["load", "names", "path"]


def names() -> list[str]:
    """Names of the bundled examples."""
    files = resources.files(__name__).iterdir()
    return sorted(p.name.removesuffix(".npy") for p in files if p.name.endswith(".npy"))


def path(name: str) -> Path:
    """File path of a bundled example."""
    if name not in names():
        raise ValueError(f"no bundled example {name!r}; available: {', '.join(names())}")
    return Path(str(resources.files(__name__) / f"{name}.npy"))


def load(name: str) -> np.ndarray:
    """Labels of a bundled example, shape ``(64, 64)``."""
    return np.load(path(name), allow_pickle=False)
