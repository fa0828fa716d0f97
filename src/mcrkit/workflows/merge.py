r"""Merge 2D views into a per-axis characterization for 3D reconstruction.

A 3D structure is described slice-wise: its slices normal to x, y and z each
have their own 2D statistics. :func:`merge` builds such a per-axis
characterization from one to three 2D characterizations ("views"):

===========  ====================================================================
views        used for
===========  ====================================================================
``[a]``      a on the slices normal to x, y and z
``[a, b]``   a on the slices normal to x and to y, b on the slices normal to z
``[a, b, c]``  a normal to x, b normal to y, c normal to z
===========  ====================================================================

Orientation: the in-plane axes of a slice normal to x are (y, z), normal to y
(x, z), normal to z (x, y), always in this order, the order in which mcrkit
evaluates 2D descriptors on volumes. By default a view's image rows (array
axis 0) run along the first of them and its columns (axis 1) along the
second; ``orientation={"x": "zy"}`` states instead that on the slices normal
to x the rows run along z and the columns along y, and the view's values are
transposed accordingly (S2 maps transposed, lineal-path directions and chord
axes swapped). For two views the default reads::

                z
                ^
                +-----------------+
               /     view 2      /|
              /  top: normal to  / |
             /   z, rows = x,   /  |
            /    columns = y   /   |     view 1 on the side (normal to y):
           +------------------+    |     rows = x, columns = z
           |                  |    |
           |     view 1       |    +
           |  front: normal   |   /
           |  to x, rows = y, |  /
           |  columns = z     | /
           +------------------+ ----> y
          /
         x

View 1's columns run along z on both faces it covers, so its statistics along
z agree with themselves; view 2's rows and columns meet view 1's rows along x
and y, so view 2 must look alike along its two axes: the two-view case
describes structures that are transversely isotropic about z (fibres or
columns along z, layers normal to z).

Realizability: two orthogonal slice orientations share one direction (slices
normal to x and to y both contain z), and a 3D structure has one set of
statistics along it. :func:`check_realizability` compares the statistics
along each shared direction (S2 along the line through r = 0, the lineal path
and chord lengths along the axis, the volume fractions; see
:mod:`mcrkit.descriptors.orientation`) by their RMSE; :func:`merge` refuses
views that disagree by more than ``tolerance`` unless
``allow_inconsistent=True``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from itertools import combinations
from types import MappingProxyType
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.descriptors.orientation import transpose_value, value_along_axis
from mcrkit.microstructure import AXIS_NAMES
from mcrkit.workflows._compatibility import (
    CharacterizationLike,
    as_characterization,
    check_compatible,
)

__all__ = [
    "DEFAULT_ORIENTATION",
    "REALIZABILITY_TOLERANCE",
    "InconsistentViewsError",
    "check_realizability",
    "format_realizability",
    "merge",
]

DEFAULT_ORIENTATION = MappingProxyType({"x": "yz", "y": "xz", "z": "xy"})
"""For each slicing axis, the volume axes along a view's image rows and columns."""

REALIZABILITY_TOLERANCE = 0.05
"""Largest RMSE between the statistics of two views along their shared direction.

Statistics are probabilities, so this is an absolute difference. Measured on
thresholded Gaussian random fields (volume fraction 0.4, correlation length 2
px): independent 64x64 or 128x128 images of one isotropic structure differ by
0.003-0.037 along the same axis, while the two axes of a structure elongated
1.5, 2 or 3 times differ by 0.02-0.06, 0.05-0.11 and 0.08-0.17. Two single slices
of one volume whose features run across them hold few features each and can differ
by more: in volume fraction by over 0.05 in 13-34 % of the pairs of orthogonal slices
of a 64³ or 128³ field elongated 3 times (docs/fidelity.md), which is why a refusal
over fractions advises larger images or ``allow_inconsistent``."""

_VIEW_AXES = {1: (0, 0, 0), 2: (0, 0, 1), 3: (0, 1, 2)}
"""Number of views -> the view used on the slices normal to x, y and z."""


class InconsistentViewsError(ValueError):
    """Views prescribe different statistics along a direction they share."""


def _in_plane(axis: int) -> str:
    return DEFAULT_ORIENTATION[AXIS_NAMES[axis]]


def _resolve_orientation(orientation: Mapping[str, Any] | None) -> dict[str, str]:
    chosen = dict(DEFAULT_ORIENTATION)
    for key, value in (orientation or {}).items():
        if key not in chosen:
            raise ValueError(
                f"orientation keys are the slicing axes 'x', 'y' and 'z' (slices normal to "
                f"that axis), got {key!r}"
            )
        order = "".join(value) if isinstance(value, list | tuple) else str(value)
        axes = DEFAULT_ORIENTATION[key]
        if sorted(order) != sorted(axes):
            raise ValueError(
                f"orientation[{key!r}] = {value!r} is not an order of the in-plane axes of "
                f"slices normal to {key} ({axes[0]} and {axes[1]}): give {axes!r} (image rows "
                f"along {axes[0]}) or {axes[::-1]!r} (image rows along {axes[1]})"
            )
        chosen[key] = order
    return chosen


def _check_tolerance(tolerance: float) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or \
            not math.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    return float(tolerance)


def check_realizability(characterization: Characterization, *,
                        tolerance: float = REALIZABILITY_TOLERANCE) -> dict[str, Any]:
    """Compare the statistics of each pair of slice orientations along their shared axis.

    Parameters
    ----------
    characterization : Characterization
        A per-axis characterization (from :func:`merge` or of a 3D structure).
    tolerance : float, optional
        Largest RMSE counted as agreement (see :data:`REALIZABILITY_TOLERANCE`).

    Returns
    -------
    dict
        ``"comparisons"``: one entry per slice pair and descriptor with
        ``"slices"`` (the two slicing axes), ``"shared_axis"``,
        ``"descriptor"``, ``"rmse"`` and ``"agree"``; ``"unchecked"``:
        descriptors without statistics along one axis; ``"tolerance"``; and
        ``"realizable"``: whether every comparison agrees. JSON-ready.

    Examples
    --------
    >>> import mcrkit
    >>> volume = mcrkit.generators.gaussian_random_field((24, 24, 24), 2.0, seed=0)
    >>> c = mcrkit.characterize(volume, ["two_point"], limit_to=4)
    >>> check_realizability(c)["realizable"]
    True
    """
    if not characterization.per_axis:
        raise ValueError(
            f"the characterization of {characterization.source} is not per-axis: a 2D "
            "characterization has no slice orientations to compare; merge views with "
            "mcrkit.merge first"
        )
    tolerance = _check_tolerance(tolerance)
    comparisons, unchecked = [], []
    for name in characterization.names:
        descriptor = characterization.descriptor(name)
        value = characterization[name]
        found = False
        for first, second in combinations(range(3), 2):
            shared = AXIS_NAMES[3 - first - second]
            lines = [value_along_axis(descriptor, value[axis], _in_plane(axis).index(shared))
                     for axis in (first, second)]
            if lines[0] is None or lines[1] is None:
                continue
            found = True
            rmse = float(np.sqrt(np.mean((lines[0] - lines[1]) ** 2)))
            comparisons.append({
                "slices": [AXIS_NAMES[first], AXIS_NAMES[second]],
                "shared_axis": shared,
                "descriptor": name,
                "rmse": rmse,
                "agree": rmse <= tolerance,
            })
        if not found:
            unchecked.append(name)
    return {
        "comparisons": comparisons,
        "unchecked": unchecked,
        "tolerance": tolerance,
        "realizable": all(row["agree"] for row in comparisons),
    }


def format_realizability(report: dict[str, Any]) -> str:
    """A text table of :func:`check_realizability`'s comparisons."""
    lines = [f"  shared axis  slices   descriptor            RMSE    (tolerance "
             f"{report['tolerance']:g})"]
    for row in report["comparisons"]:
        mark = "ok" if row["agree"] else "CONFLICT"
        lines.append(f"  {row['shared_axis']:<11}  {'/'.join(row['slices']):<7}  "
                     f"{row['descriptor']:<20}  {row['rmse']:.4f}  {mark}")
    if report["unchecked"]:
        lines.append(f"  not comparable along one axis: {', '.join(report['unchecked'])}")
    lines.append(f"  realizable: {'yes' if report['realizable'] else 'no'}")
    return "\n".join(lines)


def _conflicts(report: dict[str, Any], sources: list[str], orientation: dict[str, str]) -> str:
    """Which slice orientations (and views) conflict along which axis, and by how much."""
    pairs: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in report["comparisons"]:
        if not row["agree"]:
            pairs.setdefault((*row["slices"], row["shared_axis"]), []).append(row)
    parts = []
    for (first, second, shared), rows in pairs.items():
        where = [f"slices normal to {axis} ({sources[AXIS_NAMES.index(axis)]}, image "
                 f"{'rows' if orientation[axis].index(shared) == 0 else 'columns'})"
                 for axis in (first, second)]
        amounts = ", ".join(f"{row['descriptor']} RMSE {row['rmse']:.3f}" for row in rows)
        parts.append(f"along {shared}: {where[0]} and {where[1]} differ ({amounts})")
    return f"the views conflict {'; '.join(parts)}; tolerance {report['tolerance']:g}"


def _what_to_do(report: dict[str, Any]) -> str:
    """Advice for refused views: sampling when their volume fractions differ, else orientation."""
    allow = ("pass allow_inconsistent=True (mcrkit merge --allow-inconsistent) to reconstruct "
             "a compromise")
    fractions = [row["rmse"] for row in report["comparisons"]
                 if row["descriptor"] == "volume_fractions" and not row["agree"]]
    if fractions:
        return (f"The views' volume fractions differ (RMSE up to {max(fractions):.3f}), and "
                "every statistic along an axis scales with the fraction: single slices of one "
                "material differ this much by chance when each holds few features (small "
                "images, features elongated across them; docs/fidelity.md gives the spread). "
                "If the views are slices of one sample, characterize larger images (more "
                "features each), or " + allow + "; if not, use views of one material")
    return ("Check each view's orientation (e.g. orientation={'x': 'zy'} puts the rows of the "
            "view on slices normal to x along z), use views of one material, or " + allow)


def _merged_geometry(views: list[Characterization], view_of: tuple[int, ...],
                     orientation: dict[str, str],
                     ) -> tuple[tuple[int, ...], tuple[float, ...] | None]:
    """Nominal shape and voxel size: each view's image axes mapped onto volume axes."""
    extents: list[list[int]] = [[], [], []]
    sizes: list[set[float]] = [set(), set(), set()]
    for axis, view_index in enumerate(view_of):
        view = views[view_index]
        for image_axis, volume_axis in enumerate(orientation[AXIS_NAMES[axis]]):
            index = AXIS_NAMES.index(volume_axis)
            extents[index].append(view.shape[image_axis])
            if view.voxel_size is not None:
                sizes[index].add(view.voxel_size[image_axis])
    for index, found in enumerate(sizes):
        if len(found) > 1:
            raise ValueError(
                f"merge: the views give the voxel size along {AXIS_NAMES[index]} as "
                f"{sorted(found)}; their statistics are in pixels of different sizes. Resample "
                "the images to one pixel size before characterizing"
            )
    voxel = tuple(s.pop() for s in sizes) if all(sizes) else None
    return tuple(max(e) for e in extents), voxel


def _merged_unit(views: list[Characterization]) -> str | None:
    """The one length unit of the views' voxel sizes (None when none is known)."""
    units = {view.unit for view in views if view.voxel_size is not None}
    if len(units) > 1:
        raise ValueError(
            f"merge: the views give their voxel sizes in different units "
            f"({', '.join(sorted(str(u) for u in units))}); convert them to one unit before "
            "characterizing"
        )
    return units.pop() if units else None


def merge(
    views: Sequence[CharacterizationLike] | CharacterizationLike,
    orientation: Mapping[str, str] | None = None,
    *,
    allow_inconsistent: bool = False,
    tolerance: float = REALIZABILITY_TOLERANCE,
) -> Characterization:
    """Per-axis characterization for 3D reconstruction from one to three 2D views.

    Parameters
    ----------
    views : sequence of Characterization or path
        One, two or three 2D characterizations with the same descriptors and
        settings, used as in the module docstring's table: ``[a]`` on every
        slice, ``[a, b]`` a normal to x and y and b normal to z, ``[a, b, c]``
        normal to x, y and z. Messages name a view by its file if it was
        given as a path, else by its ``source``.
    orientation : mapping, optional
        Slicing axis -> the volume axes along a view's image rows and columns
        on those slices, e.g. ``{"x": "zy"}``; axes not given keep
        :data:`DEFAULT_ORIENTATION` (``{"x": "yz", "y": "xz", "z": "xy"}``).
    allow_inconsistent : bool, optional
        Merge even if the views conflict along a shared direction (warns).
    tolerance : float, optional
        Largest RMSE between two views' statistics along their shared
        direction counted as agreement.

    Returns
    -------
    Characterization
        ``per_axis=True``; ``shape`` is the largest extent of the views along
        each volume axis (nominal: reconstructions choose their shape), and
        ``provenance["merge"]`` records the views, the orientation used and
        the realizability report.

    Raises
    ------
    InconsistentViewsError
        If the views conflict and ``allow_inconsistent`` is False; the message
        names the views, the shared axis and the RMSE of each descriptor.
    ValueError
        For views that are not 2D, differ in descriptors, settings or phases,
        have conflicting voxel sizes, or an orientation that needs a
        transposition a descriptor cannot provide (``correlations``).

    Examples
    --------
    >>> import mcrkit
    >>> image = mcrkit.generators.gaussian_random_field((48, 48), 2.0, seed=0)
    >>> c = mcrkit.characterize(image, ["volume_fractions", "two_point"], limit_to=4)
    >>> merged = merge([c])
    >>> merged.per_axis, merged["two_point"].shape
    (True, (3, 1, 9, 9))
    """
    if isinstance(views, Characterization | str) or hasattr(views, "__fspath__"):
        views = [views]
    # A view read from a file is named by the file in messages, else by its source.
    files = [None if isinstance(v, Characterization) else str(v) for v in views]
    views = [as_characterization(v) for v in views]
    names = [file or view.source for file, view in zip(files, views, strict=True)]
    if len(views) not in _VIEW_AXES:
        raise ValueError(
            f"merge takes one, two or three views (for slices normal to x/y/z), got "
            f"{len(views)}"
        )
    for view, shown in zip(views, names, strict=True):
        if view.per_axis or len(view.shape) != 2:
            raise ValueError(
                f"merge: {shown} is a characterization of a {len(view.shape)}D structure "
                f"of shape {view.shape}; views must be 2D characterizations (a per-axis 3D "
                "characterization already prescribes every slice: reconstruct from it directly)"
            )
    check_compatible(views, "merge", files)
    tolerance = _check_tolerance(tolerance)
    chosen = _resolve_orientation(orientation)
    view_of = _VIEW_AXES[len(views)]
    first = views[0]
    values = {}
    for name in first.names:
        descriptor = first.descriptor(name)
        per_axis = []
        for axis, view_index in enumerate(view_of):
            value = views[view_index][name]
            if chosen[AXIS_NAMES[axis]] != _in_plane(axis):
                value = transpose_value(descriptor, value)
            per_axis.append(value)
        values[name] = np.stack(per_axis)
    shape, voxel_size = _merged_geometry(views, view_of, chosen)
    sources = [names[i] for i in view_of]
    merged = Characterization(
        values=values,
        settings={name: dict(params) for name, params in first.settings.items()},
        shape=shape,
        n_phases=first.n_phases,
        per_axis=True,
        label_values=first.label_values,
        source="merge of " + ", ".join(f"{s} (normal to {a})"
                                       for s, a in zip(sources, AXIS_NAMES, strict=True)),
        voxel_size=voxel_size,
        unit=None if voxel_size is None else _merged_unit(views),
    )
    report = check_realizability(merged, tolerance=tolerance)
    merged.provenance = {"merge": {
        "views": [{"name": name, "source": v.source, "shape": list(v.shape),
                   "segmentation": v.segmentation,
                   "slices": {AXIS_NAMES[a]: chosen[AXIS_NAMES[a]]
                              for a, i in enumerate(view_of) if i == index}}
                  for index, (name, v) in enumerate(zip(names, views, strict=True))],
        "orientation": chosen,
        "realizability": report,
    }}
    if report["unchecked"] and not report["comparisons"]:
        warnings.warn(
            f"merge: none of the descriptors ({', '.join(first.names)}) has statistics along "
            "one axis, so whether the views fit one 3D structure is unchecked; add two_point "
            "or lineal_path to check it",
            UserWarning, stacklevel=2,
        )
    if not report["realizable"]:
        conflicts = _conflicts(report, sources, chosen)
        if not allow_inconsistent:
            raise InconsistentViewsError(
                f"{conflicts}. No 3D structure has both statistics along one direction. "
                + _what_to_do(report)
            )
        warnings.warn(f"{conflicts}; merged anyway (allow_inconsistent=True)", UserWarning,
                      stacklevel=2)
    return merged
