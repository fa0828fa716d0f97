"""Match: characterize a microstructure and reconstruct a statistically equivalent one."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mcrkit.descriptors.evaluation import characterize
from mcrkit.descriptors.selection import DescriptorSpec
from mcrkit.engine.run import report_limit
from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import Microstructure
from mcrkit.registry import descriptors as descriptor_registry
from mcrkit.registry import optimizers as optimizer_registry
from mcrkit.workflows.defaults import (
    JUDGE_AFTER,
    JUDGE_AFTER_2D,
    MODEL_START_ITER,
    STARTS,
    choose_defaults,
    choose_start,
    choose_symmetry,
)
from mcrkit.workflows.reconstruct import (
    DEFAULT_MAX_ITER,
    RECONSTRUCTION_DESCRIPTORS,
    ReconstructionResult,
    _make_seed,
    reconstruct,
)

__all__ = ["match"]


def _characterization_request(
        descriptors: Sequence[DescriptorSpec] | None) -> dict[str, dict[str, Any]]:
    """Descriptors (with settings) to characterize so that ``descriptors`` find their targets."""
    request: dict[str, dict[str, Any]] = {"volume_fractions": {}}  # for the random start
    if descriptors is None:
        return request | RECONSTRUCTION_DESCRIPTORS
    for spec in descriptors:
        cls = descriptor_registry.get(spec if isinstance(spec, str) else spec.name)
        request.setdefault(cls.exact_class().name, {})
    return request


def _start_from_model(original: Microstructure, shape: tuple[int, ...], start: str,
                      options: dict[str, Any], limit_to: int, discrete: bool) -> str:
    """Set the ``initial`` volume (and ``seed``, and for a model that passes ``max_iter`` and
    ``start_report``) of a volume from an isotropic 2D original in ``options``; the line
    saying what was done.

    The model is the result (:data:`MODEL_START_ITER` gradient iterations) when its slices,
    after the run's ``cleanup``, pass the fidelity statistics of the run's report against the
    original (:func:`mcrkit.metrics.report.validation_report` at the report's ``limit_to``,
    without its unjudged 3D statistics; the final report takes them from this one);
    otherwise the default gradient run (its budget and flattened-loss stop) continues from it.
    """
    from mcrkit.metrics.report import validation_report
    from mcrkit.morphology.cleanup import remove_small_features

    options["seed"] = _make_seed(options.get("seed"))
    options["initial"], note = choose_start(original, shape, start=start,
                                            seed=options["seed"])
    if options["initial"] is None or options.get("max_iter") is not None or discrete:
        return note  # an annealing run, or the user's budget, keeps its iterations
    model = options["initial"]
    if options.get("cleanup"):  # what the result would be
        model = remove_small_features(model, options["cleanup"]).labels
    report = validation_report(original, model, limit_to=limit_to, volume=False)
    verdict = report["verdict"]
    if verdict["good"]:
        options["max_iter"], options["start_report"] = MODEL_START_ITER, report
        return note + "; its slices pass the fidelity statistics against the original: " + (
            f"then {MODEL_START_ITER} gradient iterations" if MODEL_START_ITER
            else "no gradient run (it removes the model's tunnels)")
    failed = "; ".join(verdict["failing"][:1]) or verdict["text"]
    return note + (f"; the model's slices failed: {failed}; continuing with up to "
                   f"{DEFAULT_MAX_ITER} gradient iterations (the default budget)")


def match(
    microstructure: Microstructure | np.ndarray | str | os.PathLike[str],
    add_dimension: int | None = None,
    shape: Sequence[int] | None = None,
    descriptors: Sequence[DescriptorSpec] | None = None,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    *,
    limit_to: int | None = None,
    periodic: bool | None = None,
    threshold: float | str | None = None,
    phases: int | None = None,
    symmetry: str = "auto",
    start: str = "model",
    **options: Any,
) -> ReconstructionResult:
    """Reconstruct a structure statistically equivalent to ``microstructure``.

    Characterizes the input with the descriptors the reconstruction needs
    (same settings), reconstructs, and compares the discrete result with the
    input (``result.comparison``).

    Parameters
    ----------
    microstructure : Microstructure, array or path
        The original, 2D or 3D (see :func:`mcrkit.io.read_microstructure`).
    add_dimension : int, optional
        Reconstruct a 3D volume ``(X, Y, add_dimension)`` from a 2D original.
    shape : sequence of int, optional
        Reconstruction shape (default: the original's, or with ``add_dimension``).
    descriptors : sequence of str, optional
        Descriptors to match (default: chosen from the original by
        :func:`~mcrkit.workflows.defaults.choose_defaults`, explained in
        ``result.settings["defaults"]`` and the printed result).
    weights : sequence of float or mapping, optional
        As for :func:`~mcrkit.workflows.reconstruct.reconstruct`.
    limit_to, periodic
        Descriptor settings for the characterization (see :func:`mcrkit.characterize`).
    threshold, phases
        Segmentation of a gray image.
    symmetry : {"auto", "isotropic", "x", "y"}, optional
        For a 3D volume from a 2D original, what the third direction looks like
        (:func:`~mcrkit.workflows.defaults.choose_symmetry`): by default an
        anisotropic original is taken as transversely isotropic about its long
        axis, and each slice orientation gets the target it can be given
        (:mod:`mcrkit.metrics.transverse`); the line saying so is printed and
        recorded with the defaults.
    start : {"model", "noise"}, optional
        For a 3D volume from a 2D original (and no ``initial``): start from the
        random-set model that fits the original (isotropic:
        :func:`~mcrkit.workflows.defaults.choose_start`, a level-cut Gaussian field
        or overlapping balls; anisotropic: the anisotropic level cut fitted to every
        orientation's target, :func:`~mcrkit.workflows.reconstruct_start.model_start`;
        their 3D connectivity a slice cannot give), then, if the
        model's slices pass the report's fidelity statistics against the original,
        :data:`~mcrkit.workflows.defaults.MODEL_START_ITER` gradient iterations (none),
        otherwise the default gradient run, unless ``max_iter`` is given (an annealing
        run keeps its budget); or from noise, as any reconstruction. The line saying
        which is printed and recorded with the defaults.
    **options
        Passed to :func:`~mcrkit.workflows.reconstruct.reconstruct` (``loss``,
        ``optimizer``, ``max_iter``, ``seed``, ``device``, ``run_dir``, ...);
        ``report=False`` writes no validation report into ``run_dir``
        (:func:`mcrkit.metrics.report.validation_report` against the original).

    Returns
    -------
    ReconstructionResult
        With ``comparison`` filled in.

    Examples
    --------
    >>> import mcrkit
    >>> result = match(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32], limit_to=4,
    ...                max_iter=60, seed=0, device="cpu")
    >>> result.labels.shape
    (32, 32)
    """
    segmentation = {k: v for k, v in {"threshold": threshold, "phases": phases}.items()
                    if v is not None}
    original = as_microstructure(microstructure, **segmentation)
    if shape is not None and add_dimension is not None:
        raise ValueError("give either shape or add_dimension, not both")
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}, got {start!r}")
    if add_dimension is not None:
        if original.ndim != 2:
            raise ValueError(f"add_dimension needs a 2D original; {original.source} is "
                             f"{original.ndim}D with shape {original.shape}")
        if isinstance(add_dimension, bool) or not isinstance(add_dimension, int | np.integer) \
                or add_dimension < 1:
            raise ValueError(f"add_dimension must be a positive number of voxels (the depth of "
                             f"the volume), got {add_dimension!r}")
        shape = (*original.shape, add_dimension)
    target_shape = tuple(original.shape if shape is None else shape)
    request = _characterization_request(descriptors)
    notes = []
    discrete = optimizer_registry.get(options.get("optimizer", "lbfgs")).discrete
    if descriptors is None:
        gradient = not (discrete or options.get("polish"))
        choice = choose_defaults(original, target_shape, limit_to=limit_to, gradient=gradient,
                                 repair=not discrete)
        request, descriptors = choice.request, choice.descriptors
        note = choice.note
        if choice.cleanup and "cleanup" not in options:
            options["cleanup"] = choice.cleanup
        if choice.particles and "particles" not in options:
            options["particles"] = choice.particles
        if choice.networks and "networks" not in options:
            options["networks"] = choice.networks
            if not options.get("polish"):  # the user's polish, if given, is kept
                options["polish"] = choice.polish
        repair = "networks" if choice.networks else "particles"
        if choice.polish_descriptors and "polish_descriptors" not in options \
                and options.get(repair) is getattr(choice, repair):  # the repair it follows
            options["polish"] = options.get("polish") or choice.polish
            options["polish_descriptors"] = choice.polish_descriptors
        if weights is None or isinstance(weights, Mapping):
            if weights:
                note += f"; weights given: {', '.join(f'{k}={v}' for k, v in weights.items())}"
            weights = {**choice.weights, **(weights or {})}
        notes.append(note)
    assumption = None
    if original.ndim == 2 and len(target_shape) == 3:
        assumption, assumed = choose_symmetry(original, symmetry=symmetry, limit_to=limit_to)
    characterization = characterize(
        original, request, limit_to=limit_to, periodic=periodic,
        isotropic=original.ndim == 3 and len(target_shape) == 2,
        device="cpu" if options.get("device", "auto") == "auto" else options["device"],
        threads=options.get("threads"),
    )
    if assumption is not None:
        from mcrkit.metrics.transverse import transverse_target

        characterization = transverse_target(characterization, original.labels, assumption)
        assumed += assumption.left_open(
            characterization.provenance["transverse_isotropy"]["not_imposed"])
    if original.ndim == 2 and len(target_shape) == 3:
        notes.append(assumed)
        if assumption is None and options.get("initial") is None:
            notes.append(_start_from_model(original, target_shape, start, options,
                                           report_limit(characterization), discrete))
        elif start == "model" and options.get("initial") is None and not discrete:
            from mcrkit.workflows.reconstruct_start import model_start

            options["seed"] = _make_seed(options.get("seed"))
            options["initial"], options["max_iter"], told = model_start(
                characterization, target_shape, descriptors, seed=options["seed"],
                max_iter=options.get("max_iter"), budget=DEFAULT_MAX_ITER, original=original,
                limit_to=report_limit(characterization))
            notes.append(told)
        if options.get("max_iter") is None and "judge_after" not in options and not discrete:
            options["judge_after"] = JUDGE_AFTER
            notes.append(f"the gradient run's slices are judged against the original after "
                         f"{JUDGE_AFTER}, {2 * JUDGE_AFTER}, {4 * JUDGE_AFTER}, ... iterations; "
                         "it stops once they pass")
    elif original.ndim == len(target_shape) == 2 and options.get("max_iter") is None \
            and "judge_after" not in options and not discrete \
            and not any(options.get(k) for k in ("polish", "particles", "networks")):
        # a stop ends the run: not where a repair or polish was to follow the gradient run
        options["judge_after"] = JUDGE_AFTER_2D
        notes.append(f"the gradient run is judged against the original after {JUDGE_AFTER_2D} "
                     "iterations; it stops there if it passes")
    if notes:
        options["note"] = "\n  ".join(notes)
    return reconstruct(characterization, target_shape, descriptors, weights, original=original,
                       **options)
