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
each orientation against its own target, before any gradient run.

The model family is that of level-cut (bicontinuous) structures: two phases,
each a network of passages whose 3D connectivity is the Gaussian field's.
Particles, fibres or walls are not such structures; their slices fail the
check, and the gradient run continues from the model.
"""

from __future__ import annotations

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


def model_verdict(characterization: Characterization, labels: np.ndarray,
                  descriptors: list[str], original: Any = None,
                  limit_to: int = 8) -> dict[str, Any]:
    """The verdict of the validation report on the model's slices, each orientation against
    its own target (:func:`mcrkit.metrics.report.validation_report` without the unjudged 3D
    statistics): with ``original`` the report's fidelity statistics against it, else the
    optimized ``descriptors`` against ``characterization``, with the spread of the model's
    own windows."""
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
    verdict = model_verdict(characterization, model.labels, optimized, original, limit_to)
    if not verdict["failed"] and verdict["passed"]:
        return model.labels, MODEL_START_ITER, model.note + (
            "; its slices pass against every orientation's target: "
            + (f"then {MODEL_START_ITER} gradient iterations" if MODEL_START_ITER
               else "no gradient run"))
    failed = "; ".join(verdict["failing"][:1]) or verdict["text"]
    return model.labels, None, model.note + (
        f"; the model's slices failed: {failed}; continuing with up to {budget} "
        "gradient iterations (the default budget)")
