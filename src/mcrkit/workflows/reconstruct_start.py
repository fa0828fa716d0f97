r"""The model start of a 3D volume from a per-axis characterization: an anisotropic level cut.

A per-axis characterization prescribes S2 on the slices normal to x, y and z:
views merged with :func:`mcrkit.merge`, or the transverse-isotropy target that
``match --add-dimension`` builds from an anisotropic 2D input
(:mod:`mcrkit.metrics.transverse`). The isotropic models of
:mod:`mcrkit.morphology.section_models` cannot draw such a structure; the
level cut of a Gaussian field whose Matérn correlation has its own length along
each axis (one smoothness) can. :func:`per_axis_model` fits it to the S2 of
every orientation (each slice's lags within the characterization's window, its
axes mapped onto the volume's, :func:`~mcrkit.morphology.section_models.fit_level_cut_axes`)
and draws it at the volume's shape; :func:`model_verdict` judges its slices,
each orientation against its own target, before any gradient run: against the
original where there is one, else against the views themselves, every
descriptor they hold, within the spread a view-sized sample of the model has.

The model family is that of level-cut (bicontinuous) structures: two phases,
each a network of passages whose 3D connectivity is the Gaussian field's.
Particles, fibres or walls are not such structures; their slices fail the
check where the views' descriptors tell them apart (a chequerboard's S2, the
chords of separate discs; S2 and the lineal path alone pass discs), and the
gradient run continues from the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.descriptors.selection import DescriptorSpec
from mcrkit.microstructure import AXIS_NAMES
from mcrkit.workflows.merge import DEFAULT_ORIENTATION

__all__ = ["PerAxisModel", "model_start", "model_verdict", "per_axis_model"]


@dataclass(frozen=True)
class PerAxisModel:
    """The anisotropic level-cut model :func:`per_axis_model` fitted, and the volume it drew.

    Attributes
    ----------
    note : str
        What was assumed (or why there is no model), in words.
    labels : ndarray or None
        The volume (None: no model fits the characterization).
    lengths : tuple of float
        Correlation length along x, y and z (voxels; empty without a model).
    smoothness : float
        Smoothness of the Matérn correlation (NaN without a model).
    """

    note: str
    labels: np.ndarray | None = field(default=None, repr=False)
    lengths: tuple[float, ...] = ()
    smoothness: float = float("nan")


def _planes(characterization: Characterization) -> list[tuple[tuple[int, int], np.ndarray]]:
    """Per slicing axis, the volume axes of the S2 window's rows and columns, and the
    window (phase 1) where the characterization gives it."""
    maps = np.asarray(characterization["two_point"], dtype=np.float64)
    planes = []
    for axis in range(3):
        window = maps[axis, 0]
        if np.isfinite(window).all():
            rows, columns = (AXIS_NAMES.index(a) for a in DEFAULT_ORIENTATION[AXIS_NAMES[axis]])
            planes.append(((rows, columns), window))
    return planes


def per_axis_model(characterization: Characterization, shape: tuple[int, ...], *,
                   seed: int | np.random.Generator | None = None) -> PerAxisModel:
    """The anisotropic level-cut model of a per-axis two-phase ``characterization``, drawn at
    the 3D ``shape`` with ``seed``.

    Parameters
    ----------
    characterization : Characterization
        Per-axis (:func:`mcrkit.merge`, or a transverse-isotropy target) with
        ``two_point``.
    shape : tuple of int
        The volume's shape.
    seed : int or numpy Generator, optional
        Random source of the field.

    Returns
    -------
    PerAxisModel
        Without labels when the characterization has not two phases or no ``two_point``.

    Examples
    --------
    >>> import mcrkit
    >>> from mcrkit.generators import gaussian_random_field
    >>> truth = gaussian_random_field((48, 48, 48), (1.5, 1.5, 4.0), volume_fraction=0.4, seed=0)
    >>> views = [mcrkit.characterize(np.take(truth, 24, axis=a), ["two_point"], limit_to=6)
    ...          for a in range(3)]
    >>> model = per_axis_model(mcrkit.merge(views), (32, 32, 32), seed=0)
    >>> model.labels.shape, model.lengths[2] > 2 * max(model.lengths[:2])
    ((32, 32, 32), True)
    """
    from mcrkit.morphology.section_models import fit_level_cut_axes, level_cut_volume

    if len(shape) != 3 or not characterization.per_axis:
        return PerAxisModel("3D start: noise (the model needs a per-axis characterization and "
                            "a 3D shape)")
    if characterization.n_phases != 2 or "two_point" not in characterization:
        why = ("no two_point" if "two_point" not in characterization
               else f"{characterization.n_phases} phases")
        return PerAxisModel(f"3D start: noise (the anisotropic level-cut model needs two phases "
                            f"and two_point; the characterization has {why})")
    planes = _planes(characterization)
    lengths, smoothness = fit_level_cut_axes(planes, 3, longest=max(shape) / 2)
    fraction = float(np.mean([window[tuple(np.array(window.shape) // 2)]
                              for _, window in planes]))
    labels = level_cut_volume(tuple(shape), lengths, smoothness, fraction, rng=seed)
    window = (np.asarray(characterization["two_point"]).shape[-1] - 1) // 2
    note = ("3D start: a level-cut Gaussian random field with an anisotropic Matérn "
            "correlation (length " + ", ".join(f"{length:.1f}" for length in lengths)
            + f" voxels along x, y, z, smoothness {smoothness:g}) fitted to the S2 of every "
            f"slice orientation within {window} voxels; a level-cut (bicontinuous) "
            "structure assumed, whose 3D connectivity the slices cannot confirm")
    return PerAxisModel(note, labels, lengths, smoothness)


CHECK_SLICES = 8
"""Slices of the model volume per orientation, evenly spaced, whose pooled descriptors
:func:`model_verdict` compares with that orientation's target when there is no original."""

CHECK_FIELDS = 2
"""2D sections of the model :func:`model_verdict` draws per orientation, each
:data:`CHECK_TILES` by :data:`CHECK_TILES` times the view's size, for the spread of a
view-sized sample of the model."""

CHECK_TILES = 3
"""Views per side of each drawn section: its tiles are the view-sized samples."""


def _view_shapes(characterization: Characterization) -> list[tuple[int, int] | None]:
    """Per slicing axis, the extents of its view (image rows, columns) along the in-plane
    volume axes in the default orientation, from the merge's record (None: not recorded)."""
    record = characterization.provenance.get("merge", {})
    shapes: list[tuple[int, int] | None] = [None, None, None]
    for view in record.get("views", []):
        for axis_name, order in view.get("slices", {}).items():
            extent = dict(zip(order, view["shape"], strict=True))
            shapes[AXIS_NAMES.index(axis_name)] = tuple(
                int(extent[a]) for a in DEFAULT_ORIENTATION[axis_name])
    return shapes


def _value_of(characterization: Characterization, name: str, axis: int) -> np.ndarray:
    value = np.asarray(characterization[name], dtype=np.float64)
    return (value[axis] if characterization.per_axis else value).ravel()


def _fraction_of(characterization: Characterization, axis: int) -> float | None:
    """The target's fraction of phase 1 on the slices normal to ``axis`` (None: unknown)."""
    if "volume_fractions" in characterization:
        return float(_value_of(characterization, "volume_fractions", axis)[1])
    if "two_point" in characterization:
        window = np.asarray(characterization["two_point"], dtype=np.float64)[axis, 0]
        return float(window[tuple(np.array(window.shape) // 2)])
    return None


def _descriptor_values(images: list[np.ndarray], request: dict[str, dict[str, Any]],
                       n_phases: int) -> dict[str, np.ndarray]:
    """Descriptor id -> its values on each 2D image (one row per image), for the ids whose
    values can be computed on these images."""
    from mcrkit.descriptors.evaluation import characterize
    from mcrkit.microstructure import Microstructure

    phases = tuple(range(n_phases))
    rows: dict[str, list[np.ndarray]] = {name: [] for name in request}
    for image in images:
        structure = Microstructure(image, phases)
        try:
            got = characterize(structure, {name: request[name] for name in rows})
        except ValueError:  # one of them cannot be computed on this image: each on its own
            got = {}
            for name in list(rows):
                try:
                    got[name] = characterize(structure, {name: request[name]})[name]
                except ValueError:  # e.g. an image narrower than the descriptor's window
                    del rows[name]
        for name in rows:
            rows[name].append(np.asarray(got[name], dtype=np.float64).ravel())
    return {name: np.array(values) for name, values in rows.items()}


def _view_tiles(view: tuple[int, int], lengths: tuple[float, float], smoothness: float,
                fraction: float, rng: np.random.Generator) -> list[np.ndarray]:
    """View-sized tiles of :data:`CHECK_FIELDS` 2D level cuts of :data:`CHECK_TILES` by
    :data:`CHECK_TILES` views with the in-plane ``lengths``."""
    from mcrkit.morphology.section_models import level_cut_volume

    tiles = []
    for _ in range(CHECK_FIELDS):
        section = level_cut_volume((CHECK_TILES * view[0], CHECK_TILES * view[1]), lengths,
                                   smoothness, fraction, rng=rng)
        tiles += [section[i * view[0]:(i + 1) * view[0], j * view[1]:(j + 1) * view[1]]
                  for i in range(CHECK_TILES) for j in range(CHECK_TILES)]
    return tiles


def _row(name: str, target: np.ndarray, got: np.ndarray, samples: np.ndarray,
         trend: tuple[np.ndarray, float] | None, scale: float) -> dict[str, Any]:
    """Values, deviation, spread, pass line and verdict of one row of the check: ``got``
    (the pooled slices) against ``target``, with the spread of ``samples`` (one row per
    tile) times ``scale``; with ``trend`` (the tiles' centred fractions, the target's
    fraction less the slices'), all at the target's fraction."""
    from mcrkit.metrics.verdict import pass_line

    dof = len(samples) - 1
    if trend is not None and trend[0].any():
        centred, shift = trend
        slope = centred @ (samples - samples.mean(axis=0)) / (centred @ centred)
        samples = samples - np.outer(centred, slope)
        got = got + slope * shift
        dof -= 1
    # a section's fraction is exact: its tiles vary 1 - 1/tiles^2 as much as free ones
    variance = np.sum((samples - samples.mean(axis=0)) ** 2, axis=0) / dof
    variance = variance / (1 - 1 / CHECK_TILES**2) * scale
    finite = np.isfinite(target) & np.isfinite(got) & np.isfinite(variance)
    row: dict[str, Any] = {"original": target.tolist(), "result": got.tolist(),
                           "deviation": None, "spread": None, "pass_line": None,
                           "passed": None}
    if finite.any():  # else (e.g. no chords of a phase in some tile): cannot be judged
        row["deviation"] = float(np.sqrt(np.mean((got - target)[finite] ** 2)))
        row["spread"] = float(np.sqrt(np.mean(variance[finite])))
        row["pass_line"] = pass_line(name, row["spread"])
        row["passed"] = bool(row["deviation"] <= row["pass_line"])
    return row


def _against_views(characterization: Characterization, labels: np.ndarray,
                   optimized: list[str], model: PerAxisModel | None,
                   seed: int) -> dict[str, Any]:
    """:func:`model_verdict` without an original (see there)."""
    from mcrkit.metrics.report import unseen_statistics
    from mcrkit.metrics.verdict import TOLERANCE, judge
    from mcrkit.morphology.section_models import fit_level_cut_axes

    request = {name: dict(characterization.settings.get(name, {}))
               for name in characterization.names}
    planes = _planes(characterization)
    if model is None or not model.lengths:
        lengths, smoothness = fit_level_cut_axes(planes, 3, longest=max(labels.shape) / 2)
    else:
        lengths, smoothness = model.lengths, model.smoothness
    fraction = float((labels == 1).mean())
    rng = np.random.default_rng(seed)
    shapes = _view_shapes(characterization)
    lines, unjudged, counts = [], set(), []
    for (rows, columns), _ in planes:
        axis = 3 - rows - columns
        in_plane = (labels.shape[rows], labels.shape[columns])
        view = shapes[axis] or in_plane
        picks = np.linspace(0, labels.shape[axis], min(CHECK_SLICES, labels.shape[axis]),
                            endpoint=False).astype(int)
        counts.append(f"{len(picks)} normal to {AXIS_NAMES[axis]} against a view of "
                      f"{view[0]} x {view[1]}")
        pooled = _descriptor_values([np.take(labels, i, axis=axis) for i in picks], request,
                                   characterization.n_phases)
        tiles = _view_tiles(view, (lengths[rows], lengths[columns]), smoothness, fraction, rng)
        samples = _descriptor_values(tiles, request, characterization.n_phases)
        # the fraction is judged on its own row; the other rows judge the rest, at the
        # target's fraction: each component less its linear trend in the tile's fraction
        covariate = np.array([(tile == 1).mean() for tile in tiles])
        wanted = _fraction_of(characterization, axis)
        had = float(np.mean([(np.take(labels, i, axis=axis) == 1).mean() for i in picks]))
        trend = None if wanted is None else (covariate - covariate.mean(), wanted - had)
        # the variance of a tile, and of the pooled slices (as many tiles' area)
        scale = 1 + math.prod(view) / (math.prod(in_plane) * len(picks))
        for name in request:
            target = _value_of(characterization, name, axis)
            if name not in pooled or name not in samples or not np.isfinite(target).any():
                unjudged.add(name)
                continue
            lines.append({"kind": "descriptor", "axis": AXIS_NAMES[axis], "statistic": name,
                          "phase": None, "optimized": name in optimized,
                          **_row(name, target, pooled[name].mean(axis=0), samples[name],
                                 None if name == "volume_fractions" else trend, scale)})
    judged = [name for name in request if name not in unjudged]
    verdict = judge(lines, sorted(unjudged) + unseen_statistics(judged))
    verdict["judged"] = (
        f"{', '.join(judged) or 'nothing'} of the model's slices ({'; '.join(counts)}) "
        f"against each orientation's target, within {TOLERANCE:g} spreads of view-sized "
        "sections of the model; not judged: " + ", ".join(verdict["cannot_judge"]))
    return verdict


def model_verdict(characterization: Characterization, labels: np.ndarray,
                  descriptors: list[str], original: Any = None,
                  limit_to: int = 8, *, model: PerAxisModel | None = None,
                  seed: int = 0) -> dict[str, Any]:
    """The verdict on the model's slices, each orientation against its own target.

    With ``original``: the verdict of the validation report
    (:func:`mcrkit.metrics.report.validation_report` without the unjudged 3D statistics),
    its fidelity statistics at ``limit_to`` against the original.

    Without one (merged views): every descriptor the characterization holds, with its
    recorded settings, pooled over :data:`CHECK_SLICES` slices of ``labels`` per
    orientation, against that orientation's target. A target is one view, a sample of its
    size: the spread of a row is that of the descriptor over view-sized tiles of
    :data:`CHECK_FIELDS` 2D sections of the ``model`` (default: fitted again) at
    ``labels``' fraction (a section of a level cut with an anisotropic Matérn correlation
    is a level cut with that correlation in the plane; drawn with ``seed``), with the
    variance of the slices' pooled value added. A row passes within
    :data:`~mcrkit.metrics.verdict.TOLERANCE` such spreads: a structure the model can draw
    passes, one it cannot (particles, a chequerboard) differs from every section.
    The verdict's ``judged`` says what was judged against what.

    ``descriptors`` are those the run optimizes (marked ``optimized`` in the rows).
    """
    if original is None:
        return _against_views(characterization, labels, list(descriptors), model, seed)
    from mcrkit.metrics.report import validation_report

    return validation_report(original, labels, characterization=characterization,
                             descriptors=descriptors, limit_to=limit_to,
                             volume=False)["verdict"]


def model_start(characterization: Characterization, shape: Sequence[int] | int,
                descriptors: Sequence[DescriptorSpec], *, seed: int, max_iter: int | None,
                budget: int, original: Any = None, limit_to: int = 8
                ) -> tuple[np.ndarray | None, int | None, str]:
    """The start of a volume from a per-axis ``characterization``, the gradient iterations
    that follow it and the line saying so.

    The model (:func:`per_axis_model`) is the result
    (:data:`~mcrkit.workflows.defaults.MODEL_START_ITER` iterations) when no row of its
    verdict (:func:`model_verdict`) fails; otherwise ``max_iter`` stays (None: the default
    ``budget`` of iterations, which the line names), as it does when it is given or there
    is no model.
    """
    from mcrkit.workflows.defaults import MODEL_START_ITER

    dims = (int(shape),) if isinstance(shape, int | np.integer) else tuple(shape)
    model = per_axis_model(characterization, dims, seed=seed)
    if model.labels is None or max_iter is not None:
        return model.labels, max_iter, model.note
    optimized = [name if isinstance(name, str) else name.name for name in descriptors]
    verdict = model_verdict(characterization, model.labels, optimized, original, limit_to,
                            model=model, seed=seed)
    judged = f" (judged: {verdict['judged']})" if "judged" in verdict else ""
    if not verdict["failed"] and verdict["passed"]:
        return model.labels, MODEL_START_ITER, model.note + (
            f"; its slices pass against every orientation's target{judged}: "
            + (f"then {MODEL_START_ITER} gradient iterations" if MODEL_START_ITER
               else "no gradient run"))
    failed = "; ".join(verdict["failing"][:1]) or verdict["text"]
    return model.labels, None, model.note + (
        f"; the model's slices failed: {failed}{judged}; continuing with up to {budget} "
        "gradient iterations (the default budget)")
