"""Reconstruction: a microstructure whose descriptors match a characterization.

:func:`reconstruct` minimizes the descriptor mismatch of a relaxed field
(:mod:`mcrkit.reconstruction.objective`) with any optimizer plugin, optionally
coarse-to-fine, and returns the discrete result with its convergence record.
With ``run_dir`` every run leaves a directory (see
:mod:`mcrkit.reconstruction.rundir`) from which :func:`resume` continues an
interrupted run.
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcrkit._version import __version__
from mcrkit.characterization import Characterization
from mcrkit.descriptors.selection import DescriptorSpec
from mcrkit.microstructure import Microstructure, as_microstructure, from_array
from mcrkit.reconstruction.callbacks import Callback, ProgressBar, TimeLimit, as_callbacks
from mcrkit.reconstruction.engine import RunState, Stage, level_shapes, optimize
from mcrkit.reconstruction.field import (
    field_from_params,
    initial_params,
    labels_from_params,
    params_from_labels,
)
from mcrkit.reconstruction.memory import check_memory, estimate_peak_bytes
from mcrkit.reconstruction.objective import Objective, make_loss, resolve_terms, upsample
from mcrkit.reconstruction.optimizers.annealing import MAX_SWAPS_PER_ITERATION, labels_to_params
from mcrkit.reconstruction.optimizers.base import Optimizer
from mcrkit.reconstruction.rundir import RunDirectory
from mcrkit.registry import descriptors as descriptor_registry
from mcrkit.registry import optimizers as optimizer_registry
from mcrkit.runtime import resolve_device, threads_limited
from mcrkit.validation import compare

__all__ = ["DEFAULT_MAX_ITER", "RECONSTRUCTION_DESCRIPTORS", "ReconstructionResult",
           "choose_descriptors", "reconstruct", "resume"]

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

ANNEALING_MAX_ITER = 100
"""Iterations (blocks of one move per voxel, at most 65 536) of annealing unless given."""

POLISH_SWEEPS = 4
"""Moves per voxel of ``polish=True``."""

POLISH_OPTIONS: dict[str, Any] = {"initial_acceptance": 0.02, "final_ratio": 1e-3,
                                  "patience": 0}
"""Annealing settings of the polishing stage: a low start temperature (an uphill move
of the gradient result is accepted with probability 0.02), cooling a thousandfold."""

UNDECIDED_BELOW = 0.9
"""A voxel whose largest phase fraction is below this counts as undecided."""


@dataclass
class ReconstructionResult:
    """Outcome of a reconstruction.

    Attributes
    ----------
    labels : ndarray of uint8
        Discrete result, phases ``0..P-1`` (axes x, y[, z]).
    status : str
        Why the run ended: ``max_iter``, ``converged``, ``stopped`` or ``interrupted``.
    loss : float
        Weighted objective of the discrete result.
    errors : dict of str to float
        Per descriptor: the loss (e.g. MSE) between its exact value on the
        discrete result and the target.
    history : dict of str to ndarray
        Per iteration: ``iteration``, ``level``, ``loss`` (of the relaxed
        field), ``evaluations``, ``elapsed``.
    snapshots : list of ndarray
        Discrete labels during the run, at ``snapshot_iterations``.
    snapshot_iterations : list of int
    timings : dict of str to float
        Seconds: ``setup``, ``optimize``, ``finish``, ``total``, and ``per_evaluation``.
    evaluations : int
        Objective evaluations.
    undecided : float
        Fraction of voxels whose largest relaxed phase fraction was below 0.9.
    settings : dict
        Everything needed to repeat the run (JSON-ready), seed included.
    characterization : Characterization
        The target.
    run_dir : Path or None
        Where the run was saved.
    comparison : dict or None
        Fidelity against the original structure (:func:`mcrkit.validation.compare`),
        when the run was given one (as :func:`~mcrkit.workflows.match` does).
    report : dict or None
        The validation report written into ``run_dir``
        (:func:`mcrkit.report.validation_report`).
    snapshot_fields : list of ndarray
        The relaxed field at each snapshot, ``(P, *shape)`` phase fractions x 255
        (uint8).
    """

    labels: np.ndarray
    status: str
    loss: float
    errors: dict[str, float]
    history: dict[str, np.ndarray]
    snapshots: list[np.ndarray]
    snapshot_iterations: list[int]
    timings: dict[str, float]
    evaluations: int
    undecided: float
    settings: dict[str, Any]
    characterization: Characterization
    run_dir: Path | None = None
    comparison: dict[str, Any] | None = field(default=None, repr=False)
    report: dict[str, Any] | None = field(default=None, repr=False)
    snapshot_fields: list[np.ndarray] = field(default_factory=list, repr=False)

    @property
    def iterations(self) -> int:
        """Iterations over all levels."""
        return len(self.history["iteration"])

    @property
    def seed(self) -> int:
        """Seed of the run."""
        return int(self.settings["seed"])

    @property
    def microstructure(self) -> Microstructure:
        """The result as a :class:`Microstructure` with the source's label values."""
        c = self.characterization
        values = c.label_values or tuple(range(c.n_phases))
        return Microstructure(labels=self.labels, label_values=tuple(values),
                              source=f"reconstruction of {c.source}", voxel_size=c.voxel_size)

    def __str__(self) -> str:
        t = self.timings
        lines = [
            f"reconstruction {tuple(self.labels.shape)} of {self.characterization.source}: "
            f"{self.status} after {self.iterations} iterations, {t['total']:.1f} s"
            + (f", {self.evaluations} evaluations "
               f"({t['per_evaluation'] * 1000:.1f} ms per evaluation)" if self.evaluations else ""),
            f"  loss of the discrete result {self.loss:.3e}; undecided voxels "
            f"{self.undecided:.2%}",
        ]
        if self.settings.get("defaults"):
            lines.append(f"  defaults: {self.settings['defaults']}")
        if "accepted" in self.history:
            moves = np.nansum(self.history["accepted"]) + np.nansum(self.history["rejected"])
            lines.append(f"  annealing: {moves:.0f} moves evaluated, "
                         f"{np.nansum(self.history['accepted']):.0f} accepted")
        lines += [f"  {name:<20} {self.settings['loss']} {value:.3e}"
                  for name, value in self.errors.items()]
        if self.comparison is not None:
            from mcrkit.validation import format_comparison

            lines.append(format_comparison(self.comparison))
        if self.report is not None and self.report["original"] is not None:
            s = self.report["summary"]
            outside = sorted({f"{line['statistic']} ({line['axis']})"
                              for line in s["outside_lines"]})
            lines.append(f"  validation report: {s['within']} of {s['within'] + s['outside']} "
                         "statistics within the original's natural spread"
                         + (f"; outside: {', '.join(outside)}" if outside else "")
                         + " (report.png)")
        if self.run_dir is not None:
            lines.append(f"  saved in {self.run_dir}")
        return "\n".join(lines)


def choose_descriptors(characterization: Characterization) -> list[str]:
    """Default descriptors for a characterization: :data:`RECONSTRUCTION_DESCRIPTORS` it
    holds, else every descriptor it holds that a gradient optimizer can use."""
    chosen = [name for name in RECONSTRUCTION_DESCRIPTORS if name in characterization]
    if chosen:
        return chosen
    usable = []
    for name in characterization.names:
        cls = descriptor_registry.get(name)
        if cls.differentiable or any(c.relaxation_of == name
                                     for c in descriptor_registry.available().values()):
            usable.append(name)
    if not usable:
        raise ValueError(
            f"the characterization of {characterization.source} holds no descriptor a gradient "
            f"reconstruction can use ({', '.join(characterization.names)}); characterize with "
            "e.g. two_point"
        )
    return usable


def _check_shape(shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if len(dims) not in (2, 3) or not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in dims):
        raise ValueError(
            f"shape must be 2 or 3 positive integers such as (64, 64) or (64, 64, 64), got "
            f"{shape!r}"
        )
    return tuple(int(s) for s in dims)


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _polish_swaps(polish: bool | int, shape: tuple[int, ...], optimizer: Optimizer) -> int:
    """Moves of the polishing stage (0: none)."""
    if polish is False or polish == 0:
        return 0
    if optimizer.discrete:
        raise ValueError("polish anneals the result of a gradient run; an annealing run "
                         "already ends at its final temperature: drop polish")
    if polish is True:
        return POLISH_SWEEPS * math.prod(shape)
    _check_count("polish (number of moves)", polish)
    return int(polish)


def _make_seed(seed: int | np.random.Generator | None) -> int:
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**63))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a numpy Generator, got {seed!r}")
    return int(seed)


def _make_optimizer(name: str | type[Optimizer], options: Mapping[str, Any] | None,
                    seed: int | None = None) -> Optimizer:
    cls = optimizer_registry.get(name)
    options = dict(options or {})
    if seed is not None and "seed" in cls.parameters() and options.get("seed") is None:
        options["seed"] = seed
    try:
        return cls(**options)
    except TypeError as exc:
        raise ValueError(
            f"optimizer {cls.name!r} does not accept {dict(options or {})}: {exc}; its "
            f"options are {', '.join(cls.parameters()) or 'none'}"
        ) from None


def _volume_fractions(characterization: Characterization) -> np.ndarray:
    """Volume fractions recorded in the characterization (directly, or as S2(0) or L(0));
    equal fractions if it holds none."""
    names = sorted(characterization.names, key=lambda name: name != "volume_fractions")
    for name in names:
        value = np.asarray(characterization[name], dtype=np.float64)
        found = characterization.descriptor(name).volume_fractions(
            value.mean(axis=0) if characterization.per_axis else value,
            characterization.n_phases)
        if found is not None:
            return found
    return np.full(characterization.n_phases, 1.0 / characterization.n_phases)


def _initial_state(settings: dict[str, Any], characterization: Characterization,
                   initial: Any, device: torch.device, dtype: torch.dtype) -> RunState:
    shape = tuple(settings["shape"])
    coarse = level_shapes(shape, settings["multigrid"])[0]
    if initial is None and optimizer_registry.get(settings["optimizer"]).discrete:
        labels = _random_labels(shape, _volume_fractions(characterization), settings["seed"])
        return RunState(theta=labels_to_params(labels, characterization.n_phases, dtype, device))
    if initial is None:
        generator = torch.Generator().manual_seed(settings["seed"])
        theta = initial_params(coarse, _volume_fractions(characterization), generator=generator,
                               noise=settings["noise"], dtype=dtype, device=device)
        return RunState(theta=theta)
    start = initial if isinstance(initial, Microstructure) else from_array(initial,
                                                                           source="initial")
    if start.shape != shape:
        raise ValueError(f"the initial structure has shape {start.shape} but the reconstruction "
                         f"shape is {shape}; give an initial structure of the target shape")
    if start.n_phases > characterization.n_phases:
        raise ValueError(f"the initial structure has {start.n_phases} phases, the "
                         f"characterization {characterization.n_phases}")
    step = [math.ceil(s / c) for s, c in zip(shape, coarse, strict=True)]
    labels = start.labels[tuple(slice(None, None, k) for k in step)]
    return RunState(theta=params_from_labels(labels, characterization.n_phases, dtype=dtype,
                                             device=device))


def _random_labels(shape: tuple[int, ...], volume_fractions: np.ndarray,
                   seed: int) -> np.ndarray:
    """Labels in random order whose phase counts round ``volume_fractions`` best."""
    size = math.prod(shape)
    counts = np.floor(volume_fractions * size).astype(np.int64)
    remainder = volume_fractions * size - counts
    counts[np.argsort(-remainder)[:size - counts.sum()]] += 1
    labels = np.repeat(np.arange(len(counts), dtype=np.uint8), counts)
    return np.random.default_rng(seed).permutation(labels).reshape(shape)


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
    report: bool = True,
    original: Microstructure | np.ndarray | None = None,
    note: str | None = None,
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
        Iterations per multigrid level (default 150), or for ``annealing``
        blocks of one move per voxel, at most 65 536 (default 100).
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
        :class:`~mcrkit.reconstruction.callbacks.IterationState`; returning
        True stops the run.
    optimizer_options : mapping, optional
        Hyperparameters of the optimizer (e.g. ``{"history_size": 20}``).
    noise : float, optional
        Standard deviation of the random start (angles, radians).
    run_dir : path, optional
        Save the run here (a new or empty directory); enables :func:`resume`.
    progress : bool, optional
        Show a progress bar on stderr.
    threads : int, optional
        Limit PyTorch's CPU threads.
    time_limit : float, optional
        Stop after this many seconds of optimization.
    snapshot_every : int, optional
        Keep the discrete state every this many iterations (0: only per level).
    checkpoint_every : float, optional
        Seconds between checkpoints in ``run_dir``.
    force : bool, optional
        Run even if the memory estimate exceeds the free memory.
    polish : bool or int, optional
        After a gradient run, anneal its discrete result at low temperature
        (:data:`POLISH_OPTIONS`) for this many moves (True: four per voxel);
        the history continues with a stage of its own.
    report : bool, optional
        Write ``report.json`` and ``report.png`` (:mod:`mcrkit.report`: the
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
    if not isinstance(characterization, Characterization):
        characterization = Characterization.load(characterization)
    shape = _check_shape(shape)
    seed = _make_seed(seed)
    opt = _make_optimizer(optimizer, optimizer_options, seed)
    if max_iter is None:
        max_iter = ANNEALING_MAX_ITER if opt.discrete else DEFAULT_MAX_ITER
    _check_count("max_iter", max_iter)
    polish_swaps = _polish_swaps(polish, shape, opt)
    if opt.discrete and multigrid != 1:
        raise ValueError("multigrid levels apply to gradient optimizers; annealing works on "
                         "the full grid: use multigrid=1")
    names = choose_descriptors(characterization) if descriptors is None else list(descriptors)
    dev = resolve_device(device)
    settings = {
        "shape": list(shape),
        "descriptors": [d if isinstance(d, str) else d.name for d in names],
        "weights": weights if weights is None or isinstance(weights, Mapping) else list(weights),
        "loss": make_loss(loss).name,
        "optimizer": opt.name,
        "optimizer_options": opt.settings(),
        "max_iter": int(max_iter),
        "polish": polish_swaps,
        "seed": seed,
        "initial": "random" if initial is None else "given",
        "noise": float(noise),
        "multigrid": int(multigrid) if not isinstance(multigrid, bool) else multigrid,
        "device": dev.type,
        "snapshot_every": int(snapshot_every),
        "checkpoint_every": float(checkpoint_every),
        "time_limit": time_limit,
    }
    if note:
        settings["defaults"] = note
    level_shapes(shape, settings["multigrid"])  # validates multigrid early
    job = _Job(settings, characterization, dev, None)
    job.check(force)
    state = _initial_state(settings, characterization, initial, dev, job.dtype)
    if original is not None:
        job.original = as_microstructure(original)
    if run_dir is not None:  # only once everything is validated: no empty directories
        job.run = RunDirectory.create(run_dir)
        characterization.save(job.run.file(RunDirectory.TARGET))
        if job.original is not None:
            job.run.write_result(job.original.labels, RunDirectory.ORIGINAL)
    return job.execute(state, callbacks, progress=progress, threads=threads, report=report)


def resume(run_dir: str | os.PathLike[str], *, max_iter: int | None = None,
           device: str | None = None, callbacks: Any = None, progress: bool = False,
           threads: int | None = None, time_limit: float | None = None,
           force: bool = False, report: bool = True) -> ReconstructionResult:
    """Continue a run from the checkpoint in ``run_dir``.

    Parameters
    ----------
    run_dir : path
        Directory of an interrupted (or finished) run.
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
    run = RunDirectory.open(run_dir)
    saved = run.read_metadata()
    settings = dict(saved["settings"])
    if max_iter is not None:
        settings["max_iter"] = int(max_iter)
    if time_limit is not None:
        settings["time_limit"] = time_limit
    dev = resolve_device(device or settings["device"])
    settings["device"] = dev.type
    characterization = Characterization.load(run.file(RunDirectory.TARGET))
    job = _Job(settings, characterization, dev, run)
    job.check(force)
    original = run.read_original()
    if original is not None:
        job.original = Microstructure(original, tuple(saved["target"]["label_values"]),
                                      saved.get("original", str(run.file(run.ORIGINAL))))
    return job.execute(run.read_state(dev), callbacks, progress=progress, threads=threads,
                       report=report)


class _Job:
    """A configured reconstruction: objective, optimizer factory and where to save."""

    def __init__(self, settings: dict[str, Any], characterization: Characterization,
                 device: torch.device, run: RunDirectory | None) -> None:
        self.started = time.perf_counter()
        self.settings = settings
        self.characterization = characterization
        self.device = device
        self.run = run
        self.original: Microstructure | None = None
        self.dtype = torch.float32
        self.shape = tuple(settings["shape"])
        discrete = optimizer_registry.get(settings["optimizer"]).discrete
        terms = resolve_terms(characterization, self.shape, settings["descriptors"],
                              settings["weights"], differentiable=not discrete,
                              dtype=self.dtype, device=device)
        self.objective = Objective(terms, make_loss(settings["loss"]), characterization.n_phases,
                                   self.shape)
        self.settings["weights"] = [t.weight for t in terms]

    def make_optimizer(self) -> Optimizer:
        return _make_optimizer(self.settings["optimizer"], self.settings["optimizer_options"])

    def stages(self) -> list[Stage]:
        """Multigrid levels with the chosen optimizer, then the polishing stage if any."""
        s = self.settings
        stages = [Stage(level, self.make_optimizer, s["max_iter"])
                  for level in level_shapes(self.shape, s["multigrid"])]
        swaps = s.get("polish", 0)
        if swaps:
            iterations = math.ceil(swaps / min(math.prod(self.shape), MAX_SWAPS_PER_ITERATION))
            block = math.ceil(swaps / iterations)  # the moves asked for, rounded up < iterations
            options = {**POLISH_OPTIONS, "seed": s["seed"], "swaps_per_iteration": block}
            stages.append(Stage(self.shape, lambda: _make_optimizer("annealing", options),
                                iterations))
        return stages

    def check(self, force: bool) -> None:
        estimate = estimate_peak_bytes(self.objective.terms, self.shape,
                                       self.characterization.n_phases, self.make_optimizer(),
                                       self.dtype)
        self.settings["memory_estimate"] = estimate
        if not force:
            check_memory(estimate, self.device)

    def execute(self, state: RunState, callbacks: Any, *, progress: bool,
                threads: int | None, report: bool = True) -> ReconstructionResult:
        s = self.settings
        chain: list[Callback] = as_callbacks(callbacks)
        if s["time_limit"] is not None:
            chain.append(TimeLimit(s["time_limit"]))
        if progress:
            chain.append(ProgressBar())
        with threads_limited(threads):  # also while run.json records the thread count
            return self._run(state, chain, report)

    def _run(self, state: RunState, chain: list[Callback],
             report: bool) -> ReconstructionResult:
        s = self.settings
        setup = time.perf_counter() - self.started
        if self.run is not None:
            self.run.write_metadata(self._metadata("running", {"setup": setup}))
        begin = time.perf_counter()
        state, status = optimize(
            self.objective, self.stages(), state, shape=self.shape, callbacks=chain,
            snapshot_every=s["snapshot_every"],
            checkpoint=None if self.run is None else self.run.write_state,
            checkpoint_every=s["checkpoint_every"])
        optimize_time = time.perf_counter() - begin
        finish = time.perf_counter()
        with torch.no_grad():
            full = upsample(state.theta, self.shape)
            labels = labels_from_params(full)
            undecided = float((field_from_params(full).amax(dim=0) < UNDECIDED_BELOW)
                              .float().mean())
        errors = self.objective.discrete_errors(labels)
        weights = {t.name: t.weight for t in self.objective.terms}
        timings = {
            "setup": setup,
            "optimize": optimize_time,
            "finish": time.perf_counter() - finish,
            "total": time.perf_counter() - self.started,
            "per_evaluation": optimize_time / max(self.objective.evaluations, 1),
        }
        result = ReconstructionResult(
            labels=labels, status=status,
            loss=sum(weights[name] * value for name, value in errors.items()),
            errors=errors,
            history={k: np.asarray(v) for k, v in state.history.items()},
            snapshots=state.snapshots, snapshot_iterations=state.snapshot_iterations,
            snapshot_fields=state.snapshot_fields,
            timings=timings, evaluations=state.evaluations, undecided=undecided,
            settings=s, characterization=self.characterization,
            run_dir=None if self.run is None else self.run.path,
        )
        if self.run is not None:
            self.run.write_result(labels)
            self.run.write_state(state)
            self._save_metadata(result)  # complete before the report, which may fail
            if report:
                self._report(result)
        if self.original is not None and result.comparison is None:
            result.comparison = compare(self.original, labels, limit_to=self.limit_to())
            if self.run is not None:
                self._save_metadata(result)
        return result

    def limit_to(self) -> int:
        """Correlation length of the fidelity statistics: 8, or less if the target's is."""
        c = self.characterization
        limits = [getattr(c.descriptor(name), "limit_to", None) for name in c.names]
        return min([8, *(limit for limit in limits if limit)])

    def _report(self, result: ReconstructionResult) -> None:
        """Write report.json/.png; with an original its fidelity is the result's comparison."""
        from mcrkit.report import report_failures_warn, validation_report, write_report

        assert self.run is not None
        with report_failures_warn(self.run.path):
            validation = validation_report(
                self.original, result.labels, characterization=self.characterization,
                descriptors=self.settings["descriptors"], errors=result.errors,
                limit_to=self.limit_to())
            write_report(validation, self.run.path)
            result.report = validation
            if self.original is not None:
                result.comparison = validation["fidelity"]
                self._save_metadata(result)

    def _save_metadata(self, result: ReconstructionResult) -> None:
        assert self.run is not None
        extra = {
            "loss": result.loss,
            "errors": result.errors,
            "iterations": result.iterations,
            "evaluations": result.evaluations,
            "undecided": result.undecided,
        }
        if self.original is not None:
            extra["original"] = self.original.source
        if result.comparison is not None:
            extra["comparison"] = result.comparison
        self.run.write_metadata(self._metadata(result.status, result.timings, extra))

    def _metadata(self, status: str, timings: dict[str, float],
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
        c = self.characterization
        return {
            "status": status,
            "settings": self.settings,
            "target": {"source": c.source, "shape": list(c.shape), "n_phases": c.n_phases,
                       "per_axis": c.per_axis, "label_values": list(c.label_values)},
            "versions": {"mcrkit": __version__, "torch": torch.__version__,
                         "numpy": np.__version__, "python": platform.python_version()},
            "machine": {"platform": platform.platform(), "processor": platform.machine(),
                        "cpus": os.cpu_count(), "threads": torch.get_num_threads(),
                        "device": str(self.device)},
            "timings": timings,
            **(extra or {}),
        }
