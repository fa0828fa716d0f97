"""Effective properties a structure implies: transport per axis, connectivity and surface area.

:func:`properties` measures each phase of a microstructure (file, array,
:class:`~mcrkit.microstructure.Microstructure`, run directory or reconstruction
result) and returns a plain, JSON-ready table; with ``original=`` the original
is measured the same way and its table sits beside the result's. Per phase:

===============================  ==========================================================
key                              value
===============================  ==========================================================
``volume_fraction``              share of the voxels
``specific_surface_area``        interface area per volume (3D; length per area in 2D),
                                 Crofton estimate, in inverse units of the voxel size
``largest_cluster_fraction``     share of the phase in its largest face-connected cluster
``percolates``                   per axis: a face-connected cluster touches both faces
``tortuosity_factor``            per axis: :math:`\\tau` (``None`` in JSON for infinity:
                                 the phase does not percolate)
``effective_diffusivity``        per axis: :math:`D_\\mathrm{eff} / D_0 = \\varepsilon / \\tau`
===============================  ==========================================================

Connectivity is that of diffusion, through voxel faces only, in the bounded
box (closed side faces); the solves are those of
:func:`mcrkit.morphology.transport.tortuosity` and need the optional extra
``mcrkit[transport]`` (PyAMG) unless no phase percolates. On a large volume
they run side by side in worker processes, one per CPU as far as the free
memory allows (:func:`mcrkit.morphology.transport.tortuosities`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from mcrkit.io.exports import load_result
from mcrkit.microstructure import AXIS_NAMES, Microstructure
from mcrkit.morphology._common import spacing
from mcrkit.morphology.connectivity import largest_cluster_fraction
from mcrkit.morphology.minkowski import surface_density
from mcrkit.morphology.summary import plain
from mcrkit.morphology.transport import Transport, tortuosities

__all__ = ["format_properties", "properties"]

StructureLike = str | os.PathLike[str] | Microstructure | np.ndarray


def properties(volume: StructureLike, *, phases: Sequence[int] | None = None,
               axes: Sequence[int | str] | None = None,
               voxel_size: float | Sequence[float] | None = None,
               original: StructureLike | None = None, progress: bool = False,
               threshold: float | str | None = None) -> dict[str, Any]:
    """Transport, connectivity and surface area of each phase (see the module docstring).

    Parameters
    ----------
    volume : path, Microstructure, array or ReconstructionResult
        The structure to measure (2D or 3D labels); a run directory stands
        for its result.
    phases : sequence of int, optional
        Phases to measure (default: all of ``volume``'s).
    axes : sequence of int or str, optional
        Axes of the transport solves, as 0, 1, 2 or ``"x"``, ``"y"``, ``"z"``
        (default: all).
    voxel_size : float or sequence of float, optional
        Physical voxel size (per axis); default: the file's, else 1.
    original : path, Microstructure, array or ReconstructionResult, optional
        A structure of the same dimension measured beside ``volume``.
    progress : bool, optional
        A progress bar on stderr over the transport solves.
    threshold : float or "otsu", optional
        Segment gray images (``volume`` and ``original``) into two phases, see
        :func:`mcrkit.io.read_microstructure`. (``phases`` here picks the
        phases to measure: segment into more than two phases with
        ``mcrkit.read_microstructure(path, phases=N)`` first.)

    Returns
    -------
    dict
        ``phases``, ``axes`` and ``result`` (``source``, ``shape``,
        ``voxel_size`` and ``phases``: one dict per measured phase, keyed by
        its number as a string), plus ``original`` alike when given.

    Examples
    --------
    >>> labels = np.zeros((8, 6, 6), dtype=int); labels[:, 1:3, 1:3] = 1
    >>> table = properties(labels, phases=[1])
    >>> channel = table["result"]["phases"]["1"]
    >>> round(channel["tortuosity_factor"]["x"], 4), channel["tortuosity_factor"]["y"]
    (1.0, None)
    """
    structures = {"result": load_result(volume, threshold=threshold)}
    if original is not None:
        structures["original"] = load_result(original, threshold=threshold)
        if structures["original"].ndim != structures["result"].ndim:
            raise ValueError(
                f"properties: the original {structures['original'].source} is "
                f"{structures['original'].ndim}D and the volume "
                f"{structures['result'].source} {structures['result'].ndim}D; transport "
                f"properties compare only at the same dimension (measure each alone)")
    ndim = structures["result"].ndim
    chosen_phases = _phases(phases, structures["result"].n_phases)
    chosen_axes = _axes(axes, ndim)
    solves = [(name, phase, axis) for name in structures for phase in chosen_phases
              for axis in chosen_axes]
    from mcrkit.runtime import progress_bar

    bar = progress_bar(total=len(solves), unit="solve", desc="properties", disable=not progress)
    with bar:
        transport = dict(zip(solves, tortuosities(
            [(structures[name].labels, phase, axis) for name, phase, axis in solves],
            done=bar.update), strict=True))
    tables = {}
    for name, structure in structures.items():
        given = (structure.voxel_size or 1.0) if voxel_size is None else voxel_size
        size = spacing(given, ndim, "properties")
        tables[name] = {
            "source": structure.source,
            "shape": list(structure.shape),
            "voxel_size": size.tolist(),
            "phases": {str(phase): _phase(structure.labels == phase, size, {
                AXIS_NAMES[axis]: transport[name, phase, axis] for axis in chosen_axes})
                for phase in chosen_phases},
        }
    return plain({"phases": chosen_phases, "axes": [AXIS_NAMES[a] for a in chosen_axes],
                  **tables})


def _phases(phases: Sequence[int] | None, n_phases: int) -> list[int]:
    if phases is None:
        return list(range(n_phases))
    chosen = [int(p) for p in phases]
    bad = [p for p in chosen if not 0 <= p < n_phases]
    if bad or not chosen:
        raise ValueError(f"properties: phases must be among 0..{n_phases - 1}, got {list(phases)}")
    return sorted(set(chosen))


def _axes(axes: Sequence[int | str] | None, ndim: int) -> list[int]:
    if axes is None:
        return list(range(ndim))
    names = AXIS_NAMES[:ndim]
    chosen = []
    for axis in axes:
        index = names.index(axis) if axis in names else axis
        if isinstance(index, str) or isinstance(index, bool) or index not in range(ndim):
            raise ValueError(f"properties: axes must be among {', '.join(names)} "
                             f"(or 0..{ndim - 1}), got {axis!r}")
        chosen.append(int(index))
    if not chosen:
        raise ValueError("properties: axes must name at least one axis")
    return sorted(set(chosen))


def _phase(mask: np.ndarray, size: np.ndarray,
           per_axis: dict[str, Transport]) -> dict[str, Any]:
    return {
        "volume_fraction": float(mask.mean()),
        "specific_surface_area": surface_density(mask, periodic=False, voxel_size=size),
        "largest_cluster_fraction": largest_cluster_fraction(mask, connectivity=1,
                                                             periodic=False),
        "percolates": {a: t.percolates for a, t in per_axis.items()},
        "tortuosity_factor": {a: t.tortuosity_factor for a, t in per_axis.items()},
        "effective_diffusivity": {a: t.effective_diffusivity for a, t in per_axis.items()},
    }


_ROWS = (("volume_fraction", "volume fraction"),
         ("specific_surface_area", "specific surface area"),
         ("largest_cluster_fraction", "largest cluster fraction"),
         ("percolates", "percolates"),
         ("tortuosity_factor", "tortuosity factor"),
         ("effective_diffusivity", "effective diffusivity"))


def format_properties(table: dict[str, Any]) -> str:
    """A readable text table of :func:`properties`' result (original beside result).

    Examples
    --------
    >>> labels = np.zeros((8, 6, 6), dtype=int); labels[:, 1:3, 1:3] = 1
    >>> print(format_properties(properties(labels, phases=[1], axes=["y"])))
    phase 1                             result
      volume fraction                   0.1111
      specific surface area             0.1778
      largest cluster fraction          1.0000
      percolates y                          no
      tortuosity factor y                  inf
      effective diffusivity y           0.0000
    """
    columns = [name for name in ("result", "original") if name in table]
    lines = []
    for phase in table["result"]["phases"]:
        lines.append(f"phase {phase:<24}" + "".join(f"{name:>12}" for name in columns))
        for key, label in _ROWS:
            values = [table[name]["phases"][phase][key] for name in columns]
            if isinstance(values[0], dict):
                for axis in table["axes"]:
                    lines.append(f"  {label + ' ' + axis:<28}"
                                 + "".join(_cell(key, v[axis]) for v in values))
            else:
                lines.append(f"  {label:<28}" + "".join(_cell(key, v) for v in values))
    return "\n".join(lines)


def _cell(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"{'yes' if value else 'no':>12}"
    if value is None:  # JSON's stand-in for infinity (tortuosity) or NaN (an empty phase)
        return f"{'inf' if key == 'tortuosity_factor' else 'n/a':>12}"
    return f"{value:>12.4f}"
