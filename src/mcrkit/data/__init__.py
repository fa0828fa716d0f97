"""Small example microstructures bundled with mcrkit (see README.md here for sources).

Functions
---------
names
    Names of the bundled examples.
describe
    One line per example: shape, phases, what it shows, where it comes from.
load
    The labels of an example as an array ``(x, y)``.
path
    The file of an example (a ``.npy`` array), to pass where a file is expected.

The command line lists them with ``mcrkit examples`` and copies one out with
``mcrkit examples NAME -o FILE``.

Examples
--------
>>> from mcrkit import data
>>> data.names()
['alloy_resized_s', 'copolymer_resized_s', 'pymks_ms_64x64_1']
>>> labels = data.load("pymks_ms_64x64_1")
>>> labels.shape, sorted(set(labels.ravel().tolist()))
((64, 64), [0, 1])
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["describe", "load", "names", "path"]

_ABOUT = {
    "alloy_resized_s": "grain boundaries (phase 0) of a segmented alloy micrograph, resized "
                       "(Li et al. 2018, Sci. Rep. 8:13461; CC BY 4.0)",
    "copolymer_resized_s": "fingerprint-like lamellae of a block copolymer, resized (Li et "
                           "al. 2018, Sci. Rep. 8:13461; CC BY 4.0)",
    "pymks_ms_64x64_1": "synthetic two-phase structure from PyMKS generate_multiphase, as "
                        "distributed with MCRpy (MIT)",
}


def names() -> list[str]:
    """Names of the bundled examples, sorted."""
    files = resources.files(__name__).iterdir()
    return sorted(p.name.removesuffix(".npy") for p in files if p.name.endswith(".npy"))


def path(name: str) -> Path:
    """File path of the bundled example ``name`` (a ``.npy`` label array).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the bundled ones.
    """
    available = names()
    if name not in available:
        close = ([n for n in available if str(name).lower() in n.lower()]
                 or difflib.get_close_matches(str(name), available, n=1))
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"no bundled example {name!r}{hint}; available: "
                         f"{', '.join(available)} (`mcrkit examples` describes them)")
    return Path(str(resources.files(__name__) / f"{name}.npy"))


def load(name: str) -> np.ndarray:
    """The labels of the bundled example ``name``: phases ``0..P-1``, axes ``(x, y)``.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    (X, Y) ndarray
        Phase labels, ready for every mcrkit function that takes a structure.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the bundled ones.

    Examples
    --------
    >>> import mcrkit
    >>> alloy = mcrkit.data.load("alloy_resized_s")
    >>> alloy.shape, round(float((alloy == 0).mean()), 3)
    ((64, 64), 0.146)
    >>> mcrkit.data.load("alloy")
    Traceback (most recent call last):
    ...
    ValueError: no bundled example 'alloy' (did you mean 'alloy_resized_s'?); available: ...
    """
    return np.load(path(name), allow_pickle=False)


def describe() -> dict[str, str]:
    """One line per bundled example: shape, phases and what it is.

    Examples
    --------
    >>> print(describe()["pymks_ms_64x64_1"])
    64x64, 2 phases: synthetic two-phase structure from PyMKS generate_multiphase, as ...
    """
    lines = {}
    for name in names():
        labels = load(name)
        shape = "x".join(str(n) for n in labels.shape)
        phases = len(np.unique(labels))
        lines[name] = f"{shape}, {phases} phases: {_ABOUT.get(name, 'no description')}"
    return lines
