r"""Interpolate between two characterizations in descriptor space.

Step :math:`k` of :math:`n` holds, for every descriptor,

.. math::

    D_k = (1 - t_k)\, D_\text{from} + t_k\, D_\text{to}, \qquad t_k = k / (n - 1),

so the first step reproduces ``c_from`` and the last ``c_to`` exactly, and
every value of an intermediate step lies between the two ends (element-wise;
the result is clipped to that range against rounding). Values of per-axis
characterizations (from :func:`mcrkit.merge`) are interpolated axis by axis.
Linear combinations of realizable statistics need not be exactly realizable,
but S2 and lineal-path values of two structures stay within their bounds
(``S2(0) = phi``, non-increasing lineal path), and reconstructions of the
steps move smoothly from one structure to the other.
"""

from __future__ import annotations

import dataclasses
import operator

import numpy as np

from mcrkit._version import __version__
from mcrkit.characterization import Characterization
from mcrkit.workflows._compatibility import (
    CharacterizationLike,
    as_characterization,
    check_compatible,
)

__all__ = ["MAX_STEPS", "interpolate"]

MAX_STEPS = 1000
"""Most steps of one interpolation: finer steps differ by less than a reconstruction can
tell apart, and each is a whole characterization in memory and on disk."""


def interpolate(c_from: CharacterizationLike, c_to: CharacterizationLike,
                n_steps: int) -> list[Characterization]:
    """Characterizations on the straight line from ``c_from`` to ``c_to``, ends included.

    Parameters
    ----------
    c_from, c_to : Characterization or path
        The ends: same descriptors, settings and phases; both 2D (or
        isotropic) or both per-axis.
    n_steps : int
        Number of characterizations returned, 2 to :data:`MAX_STEPS`.

    Returns
    -------
    list of Characterization
        ``n_steps`` characterizations at ``t = 0, 1/(n_steps-1), ..., 1``.
        Each step takes its metadata (shape, label values, voxel size) from
        the nearer end (``c_from`` at ``t = 0.5``) and records ``t`` and both
        sources in ``provenance["interpolate"]``.

    Raises
    ------
    ValueError
        If the two differ in descriptors, settings, phases or per-axis
        layout (the message names the difference), hold values that are not finite,
        or for ``n_steps`` outside 2 to :data:`MAX_STEPS`.

    Examples
    --------
    >>> import mcrkit
    >>> stripes = np.tile([0, 0, 1, 1], (8, 2))
    >>> a = mcrkit.characterize(stripes, ["volume_fractions"])
    >>> b = mcrkit.characterize(stripes[:, 1:], ["volume_fractions"])
    >>> [step["volume_fractions"].round(4).tolist() for step in interpolate(a, b, 3)]
    [[0.5, 0.5], [0.4643, 0.5357], [0.4286, 0.5714]]
    """
    try:
        steps = operator.index(n_steps)
    except TypeError:
        steps = None
    if steps is None or isinstance(n_steps, bool) or not 2 <= steps <= MAX_STEPS:
        raise ValueError(
            f"n_steps must be an integer >= 2 and <= {MAX_STEPS} (both ends are included), "
            f"got {n_steps!r}"
        )
    ends = [as_characterization(c_from), as_characterization(c_to)]
    files = [None if isinstance(c, Characterization) else str(c) for c in (c_from, c_to)]
    check_compatible(ends, "interpolate", files)
    for file, end in zip(files, ends, strict=True):
        for name in end.names:
            if not np.all(np.isfinite(end[name])):
                raise ValueError(f"interpolate: {name} of {file or end.source} holds NaN or "
                                 "infinite values, which lie on no line; characterize again, or "
                                 "interpolate characterizations without it")
    start, stop = ends
    out = []
    for k in range(steps):
        t = k / (steps - 1)
        values = {}
        for name in start.names:
            a = np.asarray(start[name], dtype=np.float64)
            b = np.asarray(stop[name], dtype=np.float64)
            values[name] = np.clip((1 - t) * a + t * b, np.minimum(a, b), np.maximum(a, b))
        nearer = start if t <= 0.5 else stop
        out.append(dataclasses.replace(
            nearer,
            values=values,
            settings={name: dict(params) for name, params in start.settings.items()},
            source=f"interpolation t={t:.4g} from {start.source} to {stop.source}",
            provenance={"interpolate": {"t": t, "step": k, "n_steps": steps,
                                        "from": start.source, "to": stop.source,
                                        "from_provenance": start.provenance,
                                        "to_provenance": stop.provenance}},
            mcrkit_version=__version__,
        ))
    return out
