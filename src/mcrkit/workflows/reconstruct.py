"""Reconstruction: a microstructure whose descriptors match a characterization.

:func:`reconstruct` minimizes the descriptor mismatch of a relaxed field
(:mod:`mcrkit.engine.objective`) with any optimizer plugin, optionally
coarse-to-fine, and returns the discrete result with its convergence record.
With ``run_dir`` every run leaves a directory (see
:mod:`mcrkit.io.rundir`) from which :func:`resume` continues an
interrupted run.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.descriptors.selection import DescriptorSpec
from mcrkit.engine.loop import RunState
from mcrkit.engine.objective import make_loss
from mcrkit.engine.result import ReconstructionResult
from mcrkit.engine.run import Run
from mcrkit.engine.settings import RunSettings, check_count, make_optimizer
from mcrkit.engine.start import initial_state
from mcrkit.io.inputs import as_microstructure
from mcrkit.io.rundir import RunDirectory, RunDirectoryError
from mcrkit.microstructure import Microstructure
from mcrkit.morphology.networks import NetworkSpec
from mcrkit.morphology.particles import ParticleSpec
from mcrkit.registry import descriptors as descriptor_registry
from mcrkit.runtime import check_threads, resolve_device
from mcrkit.workflows.defaults import STARTS

__all__ = ["DEFAULT_MAX_ITER", "DEFAULT_TOLERANCE_CHANGE", "RECONSTRUCTION_DESCRIPTORS",
           "ReconstructionResult", "choose_descriptors", "reconstruct", "resume"]

RECONSTRUCTION_DESCRIPTORS: dict[str, dict[str, Any]] = {
    "two_point": {},
    "lineal_path": {"directions": ((1, 0), (0, 1))},
}
"""Descriptors a reconstruction matches by default (where the characterization
has them), with the settings :func:`~mcrkit.workflows.match` characterizes
them with: S2 of every vector up to ``limit_to``, and the lineal path of every
phase along both image axes (through its relaxation ``lineal_path_approx``).
S2 at r = 0 fixes the volume fractions, so they need no term of their own.
Measured on five different 2D structures, adding volume fractions, variation
or diagonal lineal paths gained nothing at up to twice the cost."""

DEFAULT_MAX_ITER = 150
"""Iterations per multigrid level of gradient optimizers unless given."""

DEFAULT_TOLERANCE_CHANGE = 0.05
"""With the default iteration budget, an optimizer that takes ``tolerance_change`` (``lbfgs``)
stops once the loss has fallen by less than this fraction over its last ``patience`` (10)
iterations. A 64^3 volume from pymks_ms_64x64_1 then stops near iteration 75 (the loss sits
on the floor the anisotropic slice sets, 13 % above the value after 150), 2D runs still take
all 150."""

ANNEALING_MAX_ITER = 100
"""Iterations (blocks of one move per voxel, at most 65 536) of annealing unless given."""

POLISH_SWEEPS = 4
"""Moves per voxel of ``polish=True``."""


def choose_descriptors(characterization: Characterization) -> list[str]:
    """Default descriptors for a characterization: :data:`RECONSTRUCTION_DESCRIPTORS` it
    holds, else every descriptor it holds that a gradient optimizer can use."""
    chosen = [name for name in RECONSTRUCTION_DESCRIPTORS if name in characterization]
    if chosen:
        return chosen
    usable = []
    for name in characterization.names:
        if descriptor_registry.get(name).differentiable_class() is not None:
            usable.append(name)
    if not usable:
        raise ValueError(
            f"the characterization of {characterization.source} holds no descriptor a gradient "
            f"reconstruction can use ({', '.join(characterization.names)}); characterize with "
            "e.g. two_point"
        )
    return usable


def _polish_moves(polish: bool | int, shape: tuple[int, ...]) -> int:
    """Moves of the polishing stage (0: none; True: :data:`POLISH_SWEEPS` per voxel)."""
    if polish is True:
        return POLISH_SWEEPS * math.prod(shape)
    if polish is False or polish == 0:
        return 0
    check_count("polish (number of moves)", polish)
    return int(polish)


def _make_seed(seed: int | np.random.Generator | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a numpy Generator, got {seed!r}")
    return int(seed)


def reconstruct(
    characterization: Characterization | str | os.PathLike[str],
    shape: Sequence[int] | int,
    descriptors: Sequence[DescriptorSpec] | None = None,
    weights: Sequence[float] | Mapping[str, float] | None = None,
    loss: str = "mse",
    optimizer: str = "lbfgs",
    max_iter: int | None = None,
    seed: int | np.random.Generator | None = None,
    initial: Microstructure | np.ndarray | None = None,
    multigrid: int = 1,
    device: str = "auto",
    callbacks: Any = None,
    *,
    optimizer_options: Mapping[str, Any] | None = None,
    noise: float = 0.05,
    run_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
    threads: int | None = None,
    time_limit: float | None = None,
    snapshot_every: int = 50,
    checkpoint_every: float = 60.0,
    force: bool = False,
    polish: bool | int = False,
    networks: Sequence[NetworkSpec] = (),
    cleanup: Sequence[float] = (),
    particles: Sequence[ParticleSpec] = (),
    polish_descriptors: Mapping[str, float] | None = None,
    report: bool = True,
    original: Microstructure | np.ndarray | None = None,
    overwrite: bool = False,
    note: str | None = None,
    start: str = "model",
    judge_after: int = 0,
    start_report: dict[str, Any] | None = None,
) -> ReconstructionResult:
    """Reconstruct a microstructure of ``shape`` whose descriptors match a characterization.

    Parameters
    ----------
    characterization : Characterization or path
        Target values (:func:`mcrkit.characterize`, or a saved ``.npz``). A 2D
        characterization prescribes its values on every slice of a 3D shape.
    shape : sequence of int
        2D ``(X, Y)`` or 3D ``(X, Y, Z)``, any sides.
    descriptors : sequence of str, optional
        Descriptors to match (default: :func:`choose_descriptors`). Each is
        configured as recorded in the characterization; ``lineal_path`` is
        matched through ``lineal_path_approx``.
    weights : sequence of float or mapping, optional
        One weight per descriptor, or ``{id: weight}`` (default: each
        descriptor's ``default_weight``).
    loss : str, optional
        Loss plugin (``mse``, ``rms``, ``sse``, ``l1``, ``l2``).
    optimizer : str, optional
        Optimizer plugin: ``lbfgs`` (default, on the device), ``lbfgsb`` and
        ``tnc`` (scipy), ``adam``, ``adamax``, ``nadam``, ``rmsprop``,
        ``adagrad``, ``adadelta``, ``sgd``, or ``annealing`` (simulated
        annealing of discrete labels; matches non-differentiable descriptors
        such as ``lineal_path`` and ``chord_length`` exactly; a random start
        has the target volume fractions exactly).
    max_iter : int, optional
        Iterations per multigrid level (default 150, ending earlier once the loss
        has flattened: :data:`DEFAULT_TOLERANCE_CHANGE`), or for ``annealing``
        blocks of one move per voxel, at most 65 536 (default 100); 0 with an
        ``initial`` structure: none (it is the result, after any repair and cleanup).
    seed : int or numpy Generator, optional
        Same seed, same result on the same machine; drawn and recorded if None.
    initial : Microstructure or array, optional
        Start from this structure instead of a noisy uniform field.
    multigrid : int, optional
        Number of coarse-to-fine levels (1: none).
    device : str, optional
        ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
    callbacks : callable or Callback or sequence, optional
        Called after every iteration with an
        :class:`~mcrkit.engine.callbacks.IterationState`; returning
        True stops the run.
    optimizer_options : mapping, optional
        Hyperparameters of the optimizer (e.g. ``{"history_size": 20}``).
    noise : float, optional
        Standard deviation of the random start (angles, radians).
    run_dir : path, optional
        Save the run here (a new or empty directory); enables :func:`resume`.
    overwrite : bool, optional
        Accept a ``run_dir`` that is not empty, deleting a run it holds.
    progress : bool, optional
        Show a progress bar on stderr.
    threads : int, optional
        PyTorch CPU threads (default: the CPUs this process may use, one below
        :data:`~mcrkit.runtime.SERIAL_BELOW_VOXELS` voxels; see :mod:`mcrkit.runtime`).
    time_limit : float, optional
        Stop after this many seconds of optimization.
    snapshot_every : int, optional
        Keep the discrete state every this many iterations (0: only per level).
    checkpoint_every : float, optional
        Seconds between checkpoints in ``run_dir`` (0: after every iteration); the
        start and an interruption are always saved, so a run can be resumed from
        its first iteration.
    force : bool, optional
        Run even if the memory estimate exceeds the free memory.
    polish : bool or int, optional
        After a gradient run, anneal its discrete result at low temperature
        (:data:`~mcrkit.engine.optimizers.annealing.POLISH_OPTIONS`) for this many moves
        (True: four per voxel);
        the history continues with a stage of its own.
    networks : sequence of NetworkSpec, optional
        Network phases (:func:`mcrkit.morphology.networks.find_networks` of the
        original) that the polishing stage first repairs (joins, closes) and then
        keeps with topology-preserving swaps; ``match`` sets them for a 2D network.
    cleanup : sequence of float, optional
        Smallest feature (voxels) of each phase: at the end, the result's clusters
        smaller than this are removed
        (:func:`mcrkit.morphology.cleanup.remove_small_features`); ``match`` sets
        it for a 3D volume from a 2D original.
    particles : sequence of ParticleSpec, optional
        Particle phases (:func:`mcrkit.morphology.particles.find_particles` of the
        original) whose specks, fused clusters and broken coats are repaired after a
        gradient run (:func:`mcrkit.morphology.particle_repair.repair_particles`), before
        the polish if there is one; ``match`` sets them for 2D particles.
    polish_descriptors : mapping of str to float, optional
        Descriptor id -> weight that the polishing stage matches instead of
        ``descriptors`` (exact forms; each must be in the characterization); ``match``
        sets them after a repair of 2D networks or particles (a gradient run's
        ``local_patterns`` term has no annealing update).
    report : bool, optional
        Write ``report.json`` and ``report.png`` (:mod:`mcrkit.metrics.report`: the
        optimized descriptors of the result against the target, and with
        ``original`` also unseen statistics with their natural spread) into
        ``run_dir`` at the end.
    original : Microstructure or array, optional
        The structure the characterization describes (``match`` passes it):
        the result is compared with it (``comparison``, the report), and it is
        kept in ``run_dir`` so a resumed run reports the same.
    note : str, optional
        How the settings were chosen (:func:`~mcrkit.workflows.match` explains its
        default descriptors); recorded as ``settings["defaults"]`` and printed.
    start : {"model", "noise"}, optional
        For a 3D volume from merged views (:func:`mcrkit.merge`) of two phases with
        ``two_point``, no ``initial`` and a gradient optimizer: ``"model"`` starts from
        the anisotropic level-cut model fitted to the S2 of every orientation
        (:func:`~mcrkit.workflows.reconstruct_start.per_axis_model`), judged first, each
        orientation against its target (every descriptor of the characterization, within
        the spread of view-sized sections of the model:
        :func:`~mcrkit.workflows.reconstruct_start.model_verdict`); if its slices pass, it
        is the result
        (:data:`~mcrkit.workflows.defaults.MODEL_START_ITER` iterations unless
        ``max_iter`` is given), else the default gradient run continues from it. The line
        saying so joins ``note``. ``"noise"``: the noisy uniform field.
    judge_after : int, optional
        With ``original``: after this many iterations of the gradient run, and again
        after twice, four times, ... as many, judge its discrete state (after ``cleanup``)
        with the report's statistics against the original, and stop once no row fails
        (0: never; ``match`` sets it with the default budget for a volume from a 2D
        original, :data:`~mcrkit.workflows.defaults.JUDGE_AFTER`, and for a 2D image,
        :data:`~mcrkit.workflows.defaults.JUDGE_AFTER_2D`).
    start_report : dict, optional
        A :func:`~mcrkit.metrics.report.validation_report` against ``original`` of the
        structure the run is expected to end with (``match`` passes the one of its model
        start): where it judged the result itself, the final report takes its statistics
        instead of computing them again.

    Returns
    -------
    ReconstructionResult

    Examples
    --------
    >>> import mcrkit
    >>> c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"),
    ...                         ["volume_fractions", "two_point"], limit_to=4)
    >>> result = reconstruct(c, (32, 32), max_iter=60, seed=0, device="cpu")
    >>> result.labels.shape, result.errors["two_point"] < 1e-3
    ((32, 32), True)
    """
    check_threads(threads)  # before anything is written
    if not isinstance(characterization, Characterization):
        characterization = Characterization.load(characterization)
    seed = _make_seed(seed)
    opt = make_optimizer(optimizer, optimizer_options, seed)
    if (max_iter is None and "tolerance_change" in type(opt).parameters()
            and "tolerance_change" not in (optimizer_options or {})):
        opt = make_optimizer(optimizer, {**(optimizer_options or {}),
                                         "tolerance_change": DEFAULT_TOLERANCE_CHANGE}, seed)
    names = choose_descriptors(characterization) if descriptors is None else list(descriptors)
    if start not in STARTS:
        raise ValueError(f"start must be one of {', '.join(STARTS)}, got {start!r}")
    if (start == "model" and initial is None and not opt.discrete
            and "merge" in characterization.provenance):
        from mcrkit.workflows.reconstruct_start import model_start

        initial, max_iter, told = model_start(characterization, shape, names, seed=seed,
                                              max_iter=max_iter, budget=DEFAULT_MAX_ITER)
        note = told if not note else f"{note}\n  {told}"
    dev = resolve_device(device)
    settings = RunSettings(
        shape=shape, descriptors=[d if isinstance(d, str) else d.name for d in names],
        weights=weights if weights is None or isinstance(weights, Mapping) else list(weights),
        loss=make_loss(loss).name, optimizer=opt.name, optimizer_options=opt.settings(),
        max_iter=(ANNEALING_MAX_ITER if opt.discrete else DEFAULT_MAX_ITER)
        if max_iter is None else max_iter,
        seed=seed, initial="random" if initial is None else "given", noise=noise,
        multigrid=multigrid, device=dev.type, snapshot_every=snapshot_every,
        checkpoint_every=checkpoint_every, time_limit=time_limit, defaults=note or None,
        judge_after=judge_after)
    settings = settings.replace(polish=_polish_moves(polish, settings.shape),
                                networks=tuple(networks), cleanup=tuple(cleanup),
                                particles=tuple(particles),
                                polish_descriptors=dict(polish_descriptors or {}))
    run = Run(settings, characterization, dev,
              None if original is None else as_microstructure(original), start_report)
    run.check(force)
    given = None if initial is None else as_microstructure(initial)
    try:
        state = initial_state(run.settings, characterization, given, dev, run.dtype)
    except RuntimeError as exc:  # torch's allocators say so in a RuntimeError
        if "allocate" not in str(exc):
            raise
        raise MemoryError(f"the start of a {settings.shape} reconstruction does not fit in "
                          f"memory ({exc}); reconstruct a smaller shape") from None
    if run_dir is not None:  # only once everything is validated: no empty directories
        run.create_directory(run_dir, None if given is None else given.labels,
                             overwrite=overwrite)
    return run.execute(state, callbacks, progress=progress, threads=threads, report=report)


def resume(run_dir: str | os.PathLike[str], *, max_iter: int | None = None,
           device: str | None = None, callbacks: Any = None, progress: bool = False,
           threads: int | None = None, time_limit: float | None = None,
           force: bool = False, report: bool = True) -> ReconstructionResult:
    """Continue a run from the checkpoint in ``run_dir``.

    Parameters
    ----------
    run_dir : path
        Directory of an interrupted (or finished) run. A run killed before its
        first checkpoint restarts from its recorded settings (same seed, same
        result).
    max_iter : int, optional
        New iteration budget per level (default: the run's own).
    device : str, optional
        Device to continue on (default: the run's).
    callbacks, progress, threads, time_limit, force, report
        As for :func:`reconstruct`.

    Returns
    -------
    ReconstructionResult
        As if the run had not been interrupted (optimizers whose state is
        saved, such as ``lbfgs`` and the torch optimizers, continue exactly).
    """
    check_threads(threads)
    directory = RunDirectory.open(run_dir)
    saved = directory.read_metadata()
    try:
        settings = RunSettings.from_json(saved["settings"])
        labels = tuple(saved["target"]["label_values"])
    except (KeyError, TypeError, ValueError) as exc:
        raise RunDirectoryError(
            f"{directory.file(RunDirectory.RUN)}: its settings cannot be used ({exc}); the run "
            "directory is damaged: start the run again into it with overwrite=True"
        ) from None
    dev = resolve_device(device or settings.device)
    settings = settings.replace(
        device=dev.type, max_iter=settings.max_iter if max_iter is None else max_iter,
        time_limit=settings.time_limit if time_limit is None else time_limit)
    original = directory.read_original()
    run = Run(settings, Characterization.load(directory.file(RunDirectory.TARGET)), dev,
              None if original is None else Microstructure(
                  original, labels,
                  saved.get("original", str(directory.file(RunDirectory.ORIGINAL)))))
    run.check(force)
    run.directory = directory
    if directory.has_checkpoint():
        state = RunState(**_checked(directory.read_state(dev), run, directory))
    else:
        state = _restart_state(run, directory, dev)
    return run.execute(state, callbacks, progress=progress, threads=threads, report=report)


def _checked(fields: dict[str, Any], run: Run, directory: RunDirectory) -> dict[str, Any]:
    """A checkpoint's fields, if they fit the run's stages and phases."""
    theta, level = fields["theta"], fields["level"]
    shapes = {stage.shape for stage in run.stages}
    fits = (level < len(run.stages) and fields["level_iteration"] <= fields["iteration"]
            and theta.ndim == len(run.settings.shape) + 1
            and theta.shape[0] == run.characterization.n_phases - 1
            and tuple(theta.shape[1:]) in shapes)
    if not fits:
        raise RunDirectoryError(
            f"{directory.file(RunDirectory.CHECKPOINT)}: the checkpoint (level {level}, angles "
            f"of shape {tuple(theta.shape)}) does not belong to this run's settings; start the "
            "run again into its directory with overwrite=True")
    return fields


def _restart_state(run: Run, directory: RunDirectory, device: Any) -> RunState:
    """The start of a run that was killed before its first checkpoint, from its settings."""
    initial = directory.read_original(RunDirectory.INITIAL)
    if run.settings.initial == "given" and initial is None:
        raise RunDirectoryError(
            f"{directory.path}: the run was killed before its first checkpoint and started "
            f"from a given structure it did not keep ({RunDirectory.INITIAL}); start it again "
            "from the same initial structure into a new directory")
    return initial_state(run.settings, run.characterization, initial, device, run.dtype)
