r"""Validation report: the fidelity table of a result, with the original's natural spread.

:func:`validation_report` builds the one fidelity table of a result
(:mod:`mcrkit.metrics.verdict` judges it). Its rows compare, per phase and,
for a 3D result, per slicing axis (normal to x, y, z; the statistics of all
slices pooled):

- the descriptors the reconstruction optimized (exact values on the discrete
  result against the target characterization),
- statistics the optimizer may not have seen, computed exactly on discrete
  labels by :func:`mcrkit.metrics.validation.slice_statistics`: volume fraction
  :math:`\phi`, S2 of every vector with :math:`|r| \le` ``limit_to`` (as the
  scaled autocovariance :math:`(S_2(r) - \phi^2) / (\phi - \phi^2)`), the
  lineal path along both in-plane axes (as :math:`L(r) / \phi`), the
  cumulative chord length distribution, the mean chord length and the
  interface density,
- topology (:func:`mcrkit.metrics.topology.topology_statistics`): the
  largest-cluster fraction, the Euler characteristic per voxel and
  percolation along each axis, on the structure as it is when original and
  result have the same dimension (``"2d"``, ``"3D"``), else on the volume's
  slices,
- for a volume against a 3D original (``"3D"``,
  :func:`mcrkit.metrics.volume.volume_statistics`): the surface area per voxel
  and the feature-size distribution (opening granulometry).

A volume without a 3D original gets its 3D statistics listed, not judged
(``volume``: :func:`mcrkit.metrics.volume.volume_summary`), and the verdict
says so (:data:`SLICES_ONLY`): the 2D sections of a structure fix its volume
fraction, surface density and integral of mean curvature (the sections' Euler
characteristic) but not its 3D Euler characteristic (clusters - tunnels +
cavities) nor its 3D connectivity, so a verdict on the slices of a volume
certifies no 3D topology.

S2 and the lineal path are compared in their scaled forms so that their lines
judge the shape of the curves; the volume fraction has a line of its own
(unscaled, a change of :math:`\phi` moves every component of S2 together and
would swamp the shape in the spread). Each line gives the original's and the
result's values, the deviation (RMSE over the components of a curve, absolute
difference of a scalar), the natural spread of that deviation, the pass line
(:func:`mcrkit.metrics.verdict.pass_line`: :data:`TOLERANCE` spreads, explicit
lines for connectivity and percolation) and whether it passed. A line also
says whether the optimizer saw the statistic (``optimized``). The report's
``verdict`` (:func:`mcrkit.metrics.verdict.judge`) is "good" only when every
line passes. The raw figures of :func:`mcrkit.metrics.validation.compare`
(S2 RMSE, ...) are kept under ``fidelity`` for benchmarks; they judge nothing.

Without an original, the optimized descriptors are compared with the target
characterization and their spread is estimated from the result's own
windows (``spread_from: "result"``); the verdict lists the statistics that
cannot be judged without the original.

The spread
----------
A reconstruction is a new sample of the same random structure, not a copy;
its statistics differ from the original's by sampling noise even when they
are right. The spread is the standard deviation of that difference, estimated
from the original itself:

1. Cut the original into sub-windows of half its side along every axis, at
   offsets of a quarter side (2D: 16 windows) or a third side (3D: 27
   blocks), wrapping around (structures are periodic). Each window holds a
   fraction :math:`f = n_w / n` of the original's voxels.
2. Compute every statistic on every window (topology on the bounded window:
   a window is not periodic); :math:`s^2` is the sample
   variance of each component over the windows. Overlapping windows are
   correlated: for a spatial average, the covariance of two windows is about
   the variance times the fraction they share, so
   :math:`E[s^2] = \sigma_w^2 (1 - \bar\rho)` with :math:`\bar\rho` the mean
   shared fraction of two different windows (0.2 in 2D, 0.14 in 3D), and
   :math:`\sigma_w^2 = s^2 / (1 - \bar\rho)`.
3. A statistic is a spatial average, so its variance falls as one over the
   area (volume) averaged once that area spans many correlation lengths:
   the original's full-size value has variance :math:`\sigma_w^2 f`. The
   result's value has variance :math:`\sigma_w^2 n_w / \min(n_r, n)`
   (capped at the original's size because the slices of a volume are
   correlated, which makes the estimate conservative for large results).
4. The difference of two independent samples has the sum of the variances,
   :math:`\sigma^2 = \sigma_w^2 (n_w / n + n_w / \min(n_r, n))`; for a curve the
   spread is the root mean square of :math:`\sigma` over its components,
   which is the expected RMSE of two independent samples.

On uncorrelated noise this reproduces the binomial variance of the volume
fraction, :math:`2 \phi (1 - \phi) / n`, within a few percent (tested). The
largest-cluster fraction and the Euler density are not plain spatial
averages of the window; their spread is the same estimate, an approximation.
The lines are separate tests: a right result of many lines may still have
about one scalar line in twenty outside by chance, which the verdict reports
as it is. A structure compared with itself deviates by zero; a shuffled
structure with the same volume fractions lies far outside on S2, the lineal
path and chords. Windows only estimate what they can see: correlations
longer than half the original are not in the spread, and windows narrower
than ``limit_to`` wrap around.

Files
-----
:func:`write_report` writes ``report.json`` (this dict) and ``report.png``
(:func:`mcrkit.plotting.report.plot_report`; none for a report that compared
nothing). Reconstructions write both into
their run directory (``report=True``), and ``mcrkit compare ORIGINAL RESULT``
writes them where asked.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit._version import __version__
from mcrkit.characterization import Characterization
from mcrkit.io.atomic import atomic_path
from mcrkit.io.inputs import as_microstructure
from mcrkit.metrics.topology import TOPOLOGY, topology_statistics
from mcrkit.metrics.transverse import (
    PROVENANCE_KEY,
    TransverseIsotropy,
    isotropic_statistics,
    transverse_target,
)
from mcrkit.metrics.validation import (
    axis_pairs,
    fidelity_row,
    isolated_fraction,
    slice_statistics,
    summarize,
)
from mcrkit.metrics.verdict import LABELS, TOLERANCE, judge, pass_line
from mcrkit.metrics.volume import VOLUME, feature_radii, volume_statistics, volume_summary
from mcrkit.microstructure import AXIS_NAMES, Microstructure
from mcrkit.morphology.connectivity import largest_cluster_fraction

__all__ = ["REPORT_DPI", "REPORT_FIGURE", "REPORT_FILE", "SLICES_ONLY", "TOLERANCE",
           "report_failures_warn", "unseen_statistics", "validation_report", "write_report"]

SLICES_ONLY = ("judged on the volume's slices against the 2D original; its 3D topology "
               "(Euler characteristic, clusters, percolation, listed as 3D statistics) is not "
               "judged: a 2D original does not determine it")
"""Said by the verdict on a volume made from a 2D original."""

REPORT_FILE = "report.json"
REPORT_FIGURE = "report.png"
REPORT_DPI = 150
"""Resolution of :data:`REPORT_FIGURE`, an image for the screen (1500 pixels wide and more,
its smallest text 13 pixels high); ``mcrkit view report.json --save FILE`` draws it at the
figures' 300 dpi. Half the resolution takes a quarter of the pixels to draw and compress."""

STATISTICS = ("volume_fraction", "s2", "lineal_path", "chord_length", "mean_chord",
              "interface")
"""Slice statistics of every report (topology: :data:`mcrkit.metrics.topology.TOPOLOGY`)."""

_SEEN_BY = {
    "volume_fraction": ("volume_fractions", "two_point", "correlations"),
    "s2": ("two_point", "correlations"),
    "lineal_path": ("lineal_path", "lineal_path_approx"),
    "chord_length": ("chord_length",),
    "mean_chord": ("chord_length",),
    "interface": ("variation",),
}


def _seen(statistic: str, optimized: list[str]) -> bool:
    """Whether one of the ``optimized`` descriptors fixes the slice statistic."""
    return any(d in optimized for d in _SEEN_BY[statistic])


def unseen_statistics(descriptors: Any) -> list[str]:
    """The report's statistics, in words, that none of ``descriptors`` fixes: what a
    comparison of those descriptors alone cannot judge.

    Examples
    --------
    >>> unseen_statistics(["two_point", "lineal_path", "chord_length"])[:2]
    ['interface density (unlike pairs)', 'largest cluster / phase']
    """
    return [LABELS[key].removesuffix(" along") for key in (*STATISTICS, *TOPOLOGY)
            if not set(descriptors).intersection(_SEEN_BY.get(key, ()))]


def _digest(labels: np.ndarray) -> str:
    """A fingerprint of a label array, its shape and values (whatever their integer type):
    two reports judged the same structure when their digests agree."""
    small = labels.size == 0 or (labels.min() >= 0 and labels.max() < 256)
    values = np.ascontiguousarray(labels, dtype=np.uint8 if small else np.int64)
    digest = hashlib.blake2b(str(labels.shape).encode(), digest_size=16)
    digest.update(values.data)
    return digest.hexdigest()


def _memo(cache: dict[Any, Any] | None, *key: Any) -> dict[Any, Any]:
    """The part of a report ``cache`` (:func:`validation_report`) kept under ``key``, which
    names everything the values in it depend on; a fresh dict without a cache."""
    return {} if cache is None else cache.setdefault(key, {})


def _assumption_key(assumption: TransverseIsotropy | None) -> str | None:
    """The assumption as a key of a report cache (None: none)."""
    return None if assumption is None else json.dumps(assumption.to_json(), sort_keys=True)


def _windows(labels: np.ndarray) -> tuple[list[np.ndarray], float, float]:
    """Periodic half-size sub-windows of ``labels``, the fraction of voxels each holds and
    the mean overlap (as a fraction of a window) of two different windows."""
    offsets = 4 if labels.ndim == 2 else 3
    size = [max(n // 2, 1) for n in labels.shape]
    starts = [sorted({k * n // offsets for k in range(offsets)}) for n in labels.shape]
    corners = list(itertools.product(*starts))
    windows = []
    for start in corners:
        index = np.ix_(*[(s + np.arange(w)) % n
                         for s, w, n in zip(start, size, labels.shape, strict=True)])
        windows.append(labels[index])
    overlaps = [math.prod(max(0, w - min((b - a) % n, (a - b) % n)) / w
                          for a, b, w, n in zip(first, second, size, labels.shape, strict=True))
                for first, second in itertools.permutations(corners, 2)]
    return windows, math.prod(size) / labels.size, float(np.mean(overlaps)) if overlaps else 0.0


def _spread_scale(original: np.ndarray, result_size: int) -> tuple[list[np.ndarray], float]:
    """The original's sub-windows, and the factor from their sample variance to the variance
    of a result's deviation from the original (module docstring, steps 3 and 4)."""
    windows, fraction, overlap = _windows(original)
    result_fraction = fraction * original.size / min(result_size, original.size)
    return windows, (fraction + result_fraction) / (1.0 - overlap)


def _all_statistics(labels: np.ndarray, axis: int | None, n_phases: int,
                    limit_to: int, along: int | None = None) -> dict[tuple[str, int | None], Any]:
    """``(statistic, phase)`` -> value; the interface density belongs to no phase. With
    ``along`` (a 2D image): those of an isotropic image with the statistics of ``labels``
    along that axis (:func:`mcrkit.metrics.transverse.isotropic_statistics`)."""
    out: dict[tuple[str, int | None], Any] = {}
    for phase in range(n_phases):
        stats = slice_statistics(labels, axis, phase, limit_to)
        if along is not None:
            stats = isotropic_statistics(stats, along, limit_to)
        out["_raw", phase] = stats
        phi = stats["volume_fraction"]
        with np.errstate(divide="ignore", invalid="ignore"):  # a phase absent: NaN
            shape_only = {"s2": (stats["s2"] - phi**2) / (phi - phi**2),
                          "lineal_path": stats["lineal_path"] / phi}
        for key in STATISTICS:
            if key != "interface":
                value = shape_only.get(key, stats[key])
                out[key, phase] = np.atleast_1d(np.asarray(value, dtype=float))
        out["interface", None] = np.atleast_1d(stats["interface"])
    return out


def _line(statistic: str, original: np.ndarray, result: np.ndarray,
          samples: np.ndarray | None, scale: float, floor: float = 0.0) -> dict[str, Any]:
    """Values, deviation, spread (at least ``floor``), pass line and verdict of one row
    (module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all NaN: a phase absent
        deviation = float(np.sqrt(np.nanmean((result - original) ** 2)))
    line: dict[str, Any] = {"deviation": deviation, "spread": None,
                            "original": original.tolist(), "result": result.tolist()}
    if samples is not None and len(samples) > 1:
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # components no window has
            sigma = np.nanstd(samples, axis=0, ddof=1) * math.sqrt(scale)
            spread = max(float(np.sqrt(np.nanmean(sigma**2))), floor)
        if math.isfinite(spread) and math.isfinite(deviation):
            line.update(spread=spread, band=sigma.tolist())
    limit = pass_line(statistic, line["spread"])
    judged = limit is not None and math.isfinite(deviation)
    line.update(pass_line=limit, passed=bool(deviation <= limit) if judged else None)
    if not np.isfinite(result).any() and np.isfinite(original).any():  # a phase gone
        line["passed"] = False
    return line


def _json_ready(value: Any) -> Any:
    """NaN (a phase without chords) as None, so the file is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


def _topology(labels: np.ndarray, axis: int | None, n_phases: int,
              periodic: bool) -> dict[tuple[str, int], np.ndarray]:
    """``(statistic, phase)`` -> value of :func:`~mcrkit.metrics.topology.topology_statistics`."""
    return {(key, phase): np.atleast_1d(np.asarray(value, dtype=float))
            for phase in range(n_phases)
            for key, value in topology_statistics(labels, axis, phase,
                                                  periodic=periodic).items()}


def _topology_pairs(original_ndim: int,
                    result_ndim: int) -> list[tuple[str, int | None, int | None]]:
    """Where topology is compared: on the structures as they are when both have the same
    dimension, else on the volume's slices (:func:`~mcrkit.metrics.validation.axis_pairs`)."""
    if original_ndim == result_ndim:
        return [("2d" if result_ndim == 2 else "3D", None, None)]
    return axis_pairs(original_ndim, result_ndim)


CONNECTED = 0.9
"""Share of a phase in its largest face-connected cluster (the original cut at its edges)
from which the original's percolation along an axis is required of the result, whatever
its windows show. Face connectivity, so that thin walls joined only at corners, which
percolate or not by chance, stay judged by the windows."""


def _target_of(labels: np.ndarray, axis: int | None,
               assumption: TransverseIsotropy | None) -> tuple[np.ndarray, int | None]:
    """What the slices of a 3D result normal to ``axis`` are compared with, from a 2D
    original's ``labels`` (or one of its windows): the image as it is, transposed, or
    (``along`` not None) the isotropic target from its statistics along that axis."""
    if assumption is None or axis is None or labels.ndim != 2:
        return labels, None
    kind, detail = assumption.slice_target(axis)
    if kind == "isotropic":
        return labels, detail
    return (labels.T if detail else labels), None


def _target_key(ref_axis: int | None, axis: int | None,
                assumption: TransverseIsotropy | None) -> tuple[Any, ...]:
    """What :func:`_target_of` makes of the original for the result's ``axis`` (compared with
    the original's ``ref_axis``): the slices of a volume whose targets agree share the
    original's statistics and those of its windows, computed once."""
    return ref_axis, None if assumption is None or axis is None else \
        assumption.slice_target(axis)


def _topology_lines(ref: Microstructure, res: np.ndarray,
                    assumption: TransverseIsotropy | None = None,
                    cache: dict[Any, Any] | None = None,
                    ) -> tuple[list[dict[str, Any]], list[str]]:
    """Report lines of the largest-cluster fraction, Euler density and percolation, and
    what could not be judged (slices whose topology the assumption leaves open).

    The spread is estimated as for every statistic (module docstring): right
    for the additive Euler characteristic, an approximation for the cluster
    fraction. For percolation it only says whether the windows agree
    (:func:`mcrkit.metrics.verdict.pass_line`), and is not asked for a phase
    that is one cluster in the original (:data:`CONNECTED`) where the original
    percolates and original and result are compared whole: such a phase must
    percolate in the result. ``cache``: see :func:`validation_report`."""
    windows, scale = _spread_scale(ref.labels, res.size)
    # the original's and its windows' values, one per distinct target
    targets = _memo(cache, "topology", _digest(ref.labels), ref.n_phases,
                    _assumption_key(assumption))
    if "connected" not in targets:
        targets["connected"] = [largest_cluster_fraction(ref.labels == phase, connectivity=1,
                                                         periodic=False) >= CONNECTED
                                for phase in range(ref.n_phases)]
    connected = targets["connected"]
    lines, open_ = [], []
    for name, ref_axis, axis in _topology_pairs(ref.ndim, res.ndim):
        reference, along = _target_of(ref.labels, axis, assumption)
        if along is not None:
            open_.append(f"topology of the slices normal to {name} (not determined by the "
                         "2D input)")
            continue
        target = _target_key(ref_axis, axis, assumption)
        if target not in targets:
            targets[target] = (
                _topology(reference, ref_axis, ref.n_phases, periodic=True),
                [_topology(_target_of(w, axis, assumption)[0], ref_axis, ref.n_phases,
                           periodic=False) for w in windows])
        want, samples = targets[target]
        got = _topology(res, axis, ref.n_phases, periodic=True)
        in_plane = [a for a in range(res.ndim) if a != axis]
        for (statistic, phase), value in want.items():
            row = {"kind": "topology", "axis": name, "statistic": statistic, "phase": phase,
                   "optimized": False}
            stack = np.array([s[statistic, phase] for s in samples])
            if statistic == "percolation":  # one row per direction
                # a phase that is one cluster in the original keeps its spanning where
                # original and result are compared whole (not slices of a volume, which
                # need not each span): the windows, which may cut its cells, are not asked
                whole = ref_axis is None and axis is None
                lines += [{**row, "direction": AXIS_NAMES[a],
                           **_line(statistic, value[i:i + 1], got[statistic, phase][i:i + 1],
                                   None if connected[phase] and whole and value[i]
                                   else stack[:, i:i + 1],
                                   scale)} for i, a in enumerate(in_plane)]
            else:
                lines.append({**row, **_line(statistic, value, got[statistic, phase], stack,
                                             scale)})
    return lines, open_


def _dead_end_lines(ref: Microstructure, res: np.ndarray,
                    cache: dict[Any, Any] | None = None) -> list[dict[str, Any]]:
    """Report lines of the dead ends of the skeleton of every network phase of a 2D original
    (:func:`~mcrkit.morphology.networks.find_networks`; branches no longer than its walls
    are thick are not counted) against a 2D result, with the
    spread of the original's windows (ends where a window cuts a wall not counted), and at
    least the counting noise of two samples: the square root of twice the original's ends
    (at least one) over the area. A closed network, whose windows all have no ends,
    so tolerates a few ends in the result (four in a 64 x 64 image), not more.
    ``cache``: see :func:`validation_report`."""
    from mcrkit.morphology.networks import find_networks
    from mcrkit.morphology.skeleton import dead_end_density

    windows, scale = _spread_scale(ref.labels, res.size)
    known = _memo(cache, "dead_ends", _digest(ref.labels))
    if "networks" not in known:  # the original's networks and their ends in its windows
        known["networks"] = [
            (spec, np.array([[dead_end_density(w == spec.phase, periodic=False,
                                               spur=spec.width)] for w in windows]))
            for spec in find_networks(ref.labels)]
    lines = []
    for spec, samples in known["networks"]:
        spur = spec.width  # a branch no longer than the wall is thick is a bump
        original = spec.dead_ends
        noise = math.sqrt(2 * max(original * ref.labels.size, 1)) / ref.labels.size
        lines.append({"kind": "topology", "axis": "2d", "statistic": "dead_ends",
                      "phase": spec.phase, "optimized": False,
                      **_line("dead_ends", np.array([original]),
                              np.array([dead_end_density(res == spec.phase, spur=spur)]),
                              samples,
                              scale, floor=noise)})
    return lines


def _volume_lines(ref: Microstructure, res: np.ndarray) -> list[dict[str, Any]]:
    """Report lines of the 3D surface density and feature sizes of a volume against a 3D
    original (:mod:`mcrkit.metrics.volume`), with the spread of the original's windows."""
    windows, scale = _spread_scale(ref.labels, res.size)
    lines = []
    for phase in range(ref.n_phases):
        radii = feature_radii(ref.labels, phase) if (ref.labels == phase).any() else ()
        want = volume_statistics(ref.labels, phase, radii=radii)
        got = volume_statistics(res, phase, radii=radii)
        samples = [volume_statistics(w, phase, radii=radii, periodic=False) for w in windows]
        for key in VOLUME:
            value = np.atleast_1d(np.asarray(want[key], dtype=float))
            if not value.size:
                continue
            stack = np.array([np.atleast_1d(s[key]) for s in samples])
            lines.append({"kind": "volume", "axis": "3D", "statistic": key, "phase": phase,
                          "optimized": False,
                          **_line(key, value, np.atleast_1d(np.asarray(got[key], dtype=float)),
                                  stack, scale)})
    return lines


def _statistic_lines(ref: Microstructure, res: np.ndarray, limit_to: int,
                     optimized: list[str], assumption: TransverseIsotropy | None = None,
                     cache: dict[Any, Any] | None = None,
                     ) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """Report lines of the statistics and topology,
    :func:`mcrkit.metrics.validation.compare`'s dict and what could not be judged.
    ``cache``: see :func:`validation_report`."""
    windows, scale = _spread_scale(ref.labels, res.size)
    lines, per_axis = [], {}
    # the original's and its windows' values, one per distinct target
    targets = _memo(cache, "statistics", _digest(ref.labels), ref.n_phases, limit_to,
                    _assumption_key(assumption))
    if "isolated" not in targets:
        targets["isolated"] = isolated_fraction(ref.labels)
    isolated = isolated_fraction(res)
    excess = max(0.0, isolated - targets["isolated"])
    for name, ref_axis, axis in axis_pairs(ref.ndim, res.ndim):
        target = _target_key(ref_axis, axis, assumption)
        if target not in targets:
            reference, along = _target_of(ref.labels, axis, assumption)
            targets[target] = (
                _all_statistics(reference, ref_axis, ref.n_phases, limit_to, along),
                [_all_statistics(_target_of(w, axis, assumption)[0], ref_axis, ref.n_phases,
                                 limit_to, along) for w in windows])
        want, samples = targets[target]
        got = _all_statistics(res, axis, ref.n_phases, limit_to)
        for key, value in want.items():
            if key[0] == "_raw":
                continue
            stack = np.array([s[key] for s in samples]) if min(windows[0].shape) > 1 else None
            lines.append({"kind": "statistic", "axis": name, "statistic": key[0],
                          "phase": key[1],
                          "optimized": _seen(key[0], optimized),
                          **_line(key[0], value, got[key], stack, scale)})
        rows = [fidelity_row(want["_raw", p], got["_raw", p]) for p in range(ref.n_phases)]
        per_axis[name] = {k: max(row[k] for row in rows) for k in rows[0]}
        per_axis[name]["isolated_fraction"] = isolated
        per_axis[name]["isolated_excess"] = excess
    topology, open_ = _topology_lines(ref, res, assumption, cache)
    if ref.ndim == res.ndim == 2:
        topology += _dead_end_lines(ref, res, cache)
    volume = _volume_lines(ref, res) if ref.ndim == res.ndim == 3 else []
    return lines + topology + volume, summarize(per_axis), open_


def _per_axis(value: np.ndarray, per_axis: bool, axis: int | None) -> np.ndarray:
    return np.asarray(value[axis] if per_axis and axis is not None else value, dtype=float)


def _descriptor_lines(target: Characterization, names: list[str], res: np.ndarray,
                      original: Microstructure | None,
                      cache: dict[Any, Any] | None = None) -> list[dict[str, Any]]:
    """Report lines of the optimized descriptors: exact value on ``res`` against the target,
    with the spread from the original's windows (without an original: the result's; for a
    target of :func:`~mcrkit.metrics.transverse.transverse_target`, the windows' own such
    targets). An orientation without a target for a descriptor has no line.
    ``cache``: see :func:`validation_report`."""
    from mcrkit.descriptors.evaluation import characterize
    from mcrkit.registry import descriptors as registry

    stored = []
    for name in names:
        cls = registry.get(name)
        stored.append(name if name in target else cls.exact_class().name)
    request = {name: target.settings.get(name, {}) for name in dict.fromkeys(stored)
               if name in target}
    if not request:
        return []
    phases = tuple(range(target.n_phases))
    got = characterize(Microstructure(res, phases), request,
                       isotropic=res.ndim == 2 and len(target.shape) == 3)
    source = res if original is None else original.labels
    windows, scale = _spread_scale(source, res.size)
    isotropic = not target.per_axis and source.ndim == 3
    assumption = TransverseIsotropy.of(target) if source.ndim == 2 else None
    known = _memo(cache, "descriptors", _digest(source), target.n_phases, isotropic,
                  _assumption_key(assumption), json.dumps(request, sort_keys=True, default=str))
    if "samples" not in known:
        try:
            samples = [characterize(Microstructure(w, phases), request, isotropic=isotropic)
                       for w in windows]
            if assumption is not None:
                samples = [transverse_target(s, w, assumption)
                           for s, w in zip(samples, windows, strict=True)]
        except ValueError:  # windows smaller than the descriptors' limit_to: no spread
            samples = None
        known["samples"] = samples
    samples = known["samples"]
    lines = []
    for name, ref_axis, axis in axis_pairs(len(target.shape), res.ndim):
        for descriptor in request:
            want = _per_axis(target[descriptor], target.per_axis, ref_axis).ravel()
            value = _per_axis(got[descriptor], got.per_axis, axis).ravel()
            stack = None if samples is None else np.array(
                [_per_axis(s[descriptor], s.per_axis, ref_axis).ravel() for s in samples])
            if want.shape == value.shape and not np.isnan(want).all():
                lines.append({"kind": "descriptor", "axis": name, "statistic": descriptor,
                              "phase": None,
                              "optimized": True,
                              **_line(descriptor, want, value, stack, scale)})
    return lines


def validation_report(original: Any = None, result: Any = None, *,
                      characterization: Characterization | None = None,
                      descriptors: list[str] | None = None,
                      errors: dict[str, float] | None = None,
                      limit_to: int = 8, threshold: float | str | None = None,
                      phases: int | None = None, volume: bool = True,
                      reuse: dict[str, Any] | None = None,
                      cache: dict[Any, Any] | None = None) -> dict[str, Any]:
    """The fidelity table of a result and its one verdict (module docstring).

    Parameters
    ----------
    original : Microstructure, array or path, optional
        The original structure (2D or 3D). A 3D result of a 2D original is
        compared orientation by orientation with the target that orientation was
        given: the original itself, or under a
        :class:`~mcrkit.metrics.transverse.TransverseIsotropy` recorded in
        ``characterization`` the original transposed or the isotropic target of
        the slices normal to its long axis (their topology is not judged: a 2D
        input does not determine it). Without it only the optimized
        descriptors are compared, against ``characterization``, with the
        spread of the result's own windows, and the verdict lists what it
        cannot judge.
    result : Microstructure, array or path
        The result (2D or 3D) with the original's phases.
    characterization : Characterization, optional
        Target of the reconstruction, for the lines of the optimized descriptors.
    descriptors : list of str, optional
        Descriptors the reconstruction optimized (default: none).
    errors : dict, optional
        The run's own per-descriptor loss values, recorded as they are.
    limit_to : int, optional
        Largest correlation length of the statistics.
    threshold : float or "otsu", optional
        Segment a gray ``original`` (a micrograph file or array) into two
        phases, as :func:`mcrkit.io.read_microstructure` does; the result is
        taken as the labels it is.
    phases : int, optional
        Segment a gray ``original`` into this many phases.
    volume : bool, optional
        Compute ``volume`` (the unjudged 3D statistics, most of the cost at 128^3);
        False leaves it None and the verdict as it is.
    reuse : dict, optional
        An earlier report (e.g. one with ``volume=False``). Where it judged the same
        original and result (their ``digest``), with the same ``limit_to`` and
        neither under a transverse isotropy assumption, its statistic and topology
        lines and ``fidelity`` are taken (with ``optimized`` as ``descriptors``
        say) instead of being computed again; otherwise it is ignored.
    cache : dict, optional
        Kept between reports against the same original (e.g. the judgements of a run and
        its final report): the statistics of the original and of its windows are computed
        by the first and taken from it by the others (keyed by the original's digest and
        what they depend on: ``limit_to``, the assumption, the descriptors' settings).

    Returns
    -------
    dict
        JSON-ready: ``original``, ``result`` (source, shape, ``digest``: a fingerprint
        of the labels), ``target``,
        ``spread_from`` (``"original"`` or ``"result"``), ``limit_to``,
        ``tolerance``, ``lines`` (the rows of the table, one per axis,
        statistic, phase and, for percolation, ``direction``: ``kind``
        (``"descriptor"``, ``"statistic"`` or ``"topology"``), ``deviation``,
        ``spread``, ``pass_line``, ``passed`` (None: cannot be judged),
        ``optimized`` and the ``original``/``result`` values with the
        per-component spread ``band``), ``verdict``
        (:func:`mcrkit.metrics.verdict.judge`), ``fidelity``
        (:func:`mcrkit.metrics.validation.compare`'s raw figures), ``errors`` and
        ``volume`` (a 3D result without a 3D original: its 3D statistics,
        :func:`mcrkit.metrics.volume.volume_summary`, not judged).

    Examples
    --------
    >>> import mcrkit, numpy as np
    >>> ms = mcrkit.data.load("pymks_ms_64x64_1")
    >>> validation_report(ms, ms)["verdict"]["text"]
    'good'
    >>> shuffled = np.random.default_rng(0).permutation(ms.ravel()).reshape(ms.shape)
    >>> verdict = validation_report(ms, shuffled)["verdict"]
    >>> failing = {line["statistic"] for line in verdict["failing_lines"]}
    >>> verdict["text"][:9], {"s2", "lineal_path", "euler_density"} <= failing
    ('not good:', True)
    """
    if result is None:
        raise ValueError("validation_report needs a result to judge")
    res_ms = as_microstructure(result) if not isinstance(result, np.ndarray) else None
    res = res_ms.labels if res_ms is not None else np.asarray(result)
    if res.ndim not in (2, 3):
        raise ValueError(f"result must be 2D or 3D, got shape {res.shape}")
    ref = None if original is None else as_microstructure(original, threshold=threshold,
                                                           phases=phases)
    optimized = list(descriptors or [])
    lines: list[dict[str, Any]] = []
    fidelity = None
    if ref is not None:
        if res_ms is not None:
            res = _on_original_phases(res_ms, ref)
        if res.max() >= ref.n_phases:
            raise ValueError(f"the result has phase {int(res.max())} but the original "
                             f"{ref.source} has only {ref.n_phases} phases")
    assumption = TransverseIsotropy.of(characterization) if ref is not None and \
        ref.ndim == 2 and res.ndim == 3 else None
    open_: list[str] = []
    digests = (None if ref is None else _digest(ref.labels), _digest(res))
    if ref is not None and assumption is None and _same_judgement(reuse, digests, limit_to):
        assert reuse is not None
        lines = [{**line, "optimized": line["kind"] == "statistic"
                  and _seen(line["statistic"], optimized)}
                 for line in reuse["lines"] if line["kind"] != "descriptor"]
        fidelity = reuse["fidelity"]
    elif ref is not None:
        lines, fidelity, open_ = _statistic_lines(ref, res, limit_to, optimized, assumption,
                                                  cache)
    if characterization is not None and optimized:
        lines = _descriptor_lines(characterization, optimized, res, ref, cache) + lines
    compared = {line["statistic"] for line in lines}
    cannot_judge = open_ if ref is not None else unseen_statistics(compared)
    report = {
        "format": "mcrkit.metrics.report",
        "format_version": 2,
        "mcrkit_version": __version__,
        "original": None if ref is None else {"source": ref.source, "shape": list(ref.shape),
                                              "n_phases": ref.n_phases, "digest": digests[0]},
        "result": {"source": "array" if res_ms is None else res_ms.source,
                   "shape": list(res.shape), "digest": digests[1]},
        "target": None if characterization is None else characterization.source,
        "assumption": None if assumption is None else {
            **assumption.to_json(),
            "text": assumption.describe(characterization.provenance[PROVENANCE_KEY].get(
                "not_imposed", []))},
        "spread_from": "result" if ref is None else "original",
        "limit_to": int(limit_to),
        "tolerance": TOLERANCE,
        "optimized_descriptors": optimized,
        "errors": dict(errors or {}),
        "lines": lines,
        "verdict": _verdict(lines, cannot_judge, slices_only=ref is not None and
                            ref.ndim == 2 and res.ndim == 3),
        "fidelity": fidelity,
        "volume": {"result": volume_summary(res)} if volume and res.ndim == 3 and (
            ref is None or ref.ndim == 2) else None,
    }
    return _json_ready(report)


def _same_judgement(earlier: dict[str, Any] | None, digests: tuple[str | None, str],
                    limit_to: int) -> bool:
    """Whether the report ``earlier`` judged the original and result of ``digests`` at
    ``limit_to`` without an assumption (its statistic lines are then this report's)."""
    if earlier is None or earlier.get("original") is None:
        return False
    return (earlier["original"].get("digest") == digests[0]
            and earlier["result"].get("digest") == digests[1]
            and earlier["limit_to"] == limit_to and earlier.get("assumption") is None)


def _verdict(lines: list[dict[str, Any]], cannot_judge: list[str], *,
             slices_only: bool) -> dict[str, Any]:
    """The verdict of :func:`~mcrkit.metrics.verdict.judge`; on a volume made from a 2D
    original it says what it did not judge (:data:`SLICES_ONLY`)."""
    verdict = judge(lines, cannot_judge)
    if slices_only:
        verdict["text"] += f" ({SLICES_ONLY})"
    return verdict


def _on_original_phases(result: Microstructure, original: Microstructure) -> np.ndarray:
    """The result's labels numbered like the original's phases.

    Files are numbered by their own values, so a result without one of the
    original's values would shift the phases after it. Values the original
    has are matched by value; a result with other values (e.g. an image
    saved 0/255 from a 0/1 original) is matched phase by phase when it has
    as many phases, and refused otherwise.
    """
    values = list(original.label_values)
    if all(value in values for value in result.label_values):
        lookup = np.array([values.index(value) for value in result.label_values], dtype=np.uint8)
        return lookup[result.labels]
    if result.n_phases == original.n_phases:
        return result.labels
    raise ValueError(
        f"the result {result.source} has label values {list(result.label_values)}, the "
        f"original {original.source} has {values}: they cannot be matched phase by phase; "
        "give the result with the original's label values")


@contextlib.contextmanager
def report_failures_warn(run_dir: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a report that cannot be computed or written (bad data, a full disk) into a
    RuntimeWarning: the run it judges is saved and stays usable."""
    try:
        yield
    except (ValueError, OSError) as exc:
        warnings.warn(f"{run_dir}: the validation report was not written ({exc})",
                      RuntimeWarning, stacklevel=3)


def write_report(report: dict[str, Any], directory: str | os.PathLike[str], *,
                 figure: bool = True) -> list[Path]:
    """Write ``report.json`` (and ``report.png``, unless the report compared nothing: no
    empty figure) into ``directory``; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / REPORT_FILE
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n")
    written = [path]
    if figure and report["lines"]:
        from mcrkit.plotting.report import plot_report

        with atomic_path(directory / REPORT_FIGURE) as tmp:
            plot_report(report, save=tmp, format="png", dpi=REPORT_DPI)
        written.append(directory / REPORT_FIGURE)
    return written
