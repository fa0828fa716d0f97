"""The settings of a run: everything needed to repeat it, validated once.

:class:`RunSettings` is frozen and round-trips through JSON (``run.json`` keeps
it as ``settings``; a resume reads it back). The workflow turns user arguments
into plain values (a seed drawn, an optimizer's name resolved); the settings
check every value and say what is wrong.

Examples
--------
>>> settings = RunSettings(shape=(32, 32), descriptors=("two_point",), optimizer="lbfgs",
...                        max_iter=60, seed=0)
>>> RunSettings.from_json(settings.to_json()) == settings
True
>>> RunSettings(shape=(32,), descriptors=("two_point",), optimizer="lbfgs", max_iter=1,
...             seed=0)
Traceback (most recent call last):
...
ValueError: shape must be 2 or 3 positive integers such as (64, 64) or (64, 64, 64), got (32,)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mcrkit.engine.optimizers.base import Optimizer
from mcrkit.engine.stages import level_shapes
from mcrkit.morphology.networks import NetworkSpec
from mcrkit.morphology.particles import ParticleSpec
from mcrkit.registry import optimizers as optimizer_registry

__all__ = ["RunSettings", "check_count", "make_optimizer"]


def check_count(name: str, value: Any) -> None:
    """Raise unless ``value`` is a positive integer (``name`` says which setting)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_shape(shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, int | np.integer) else tuple(shape)
    if len(dims) not in (2, 3) or not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in dims):
        raise ValueError(
            f"shape must be 2 or 3 positive integers such as (64, 64) or (64, 64, 64), got "
            f"{shape!r}"
        )
    return tuple(int(s) for s in dims)


def _check_weights(name: str, weights: Any) -> dict[str, float]:
    """``{descriptor id: positive finite weight}`` from a mapping, or a clear error."""
    if not isinstance(weights, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int | float | np.number)
            and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for k, v in weights.items()):
        raise ValueError(f"{name} must map descriptor ids to positive weights, e.g. "
                         f"{{'two_point': 1.0}}, got {weights!r}")
    return {str(k): float(v) for k, v in weights.items()}


def make_optimizer(name: str | type[Optimizer], options: Mapping[str, Any] | None = None,
                   seed: int | None = None) -> Optimizer:
    """An optimizer from its registry name (or class) and hyperparameters; ``seed`` fills an
    unset ``seed`` hyperparameter."""
    cls = optimizer_registry.get(name)
    options = dict(options or {})
    if seed is not None and "seed" in cls.parameters() and options.get("seed") is None:
        options["seed"] = seed
    try:
        return cls(**options)
    except TypeError as exc:
        raise ValueError(
            f"optimizer {cls.name!r} does not accept {options}: {exc}; its options are "
            f"{', '.join(cls.parameters()) or 'none'}"
        ) from None


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunSettings:
    """What a run does (``run.json``'s ``settings``).

    Attributes
    ----------
    shape : tuple of int
        Grid of the reconstruction, 2D or 3D.
    descriptors : tuple of str
        Descriptor ids to match.
    optimizer : str
        Optimizer id; ``optimizer_options`` its hyperparameters.
    max_iter : int
        Iterations per multigrid level (0 with a given start: none, the start is the
        result).
    seed : int
        Seed of the random start and of random optimizers.
    weights : list of float, mapping or None
        Per descriptor (None: the descriptors' defaults); a run records the weights used.
    loss : str
        Loss id.
    polish : int
        Moves of the polishing stage after a gradient run (0: none).
    networks : tuple of NetworkSpec
        Network phases whose topology the polishing stage repairs first and then keeps
        (:mod:`mcrkit.morphology.network_repair`; needs ``polish``).
    cleanup : tuple of float
        Smallest feature (voxels) of each phase: clusters of the discrete result
        smaller than this are removed at the end
        (:func:`mcrkit.morphology.cleanup.remove_small_features`; empty: none).
    particles : tuple of ParticleSpec
        Particle phases repaired after the gradient run (in the polishing stage if there
        is one, else in a stage of their own; :mod:`mcrkit.morphology.particle_repair`).
    polish_descriptors : dict of str to float
        Descriptor id -> weight that the polishing stage matches instead of
        ``descriptors`` (empty: the same as the gradient run; needs ``polish``).
    initial : str
        ``"random"`` or ``"given"`` (a start structure was passed).
    noise : float
        Standard deviation of the random start (angles, radians).
    multigrid : int
        Number of coarse-to-fine levels.
    device : str
        ``"cpu"`` or ``"cuda"``.
    snapshot_every : int
        Keep the discrete state every this many iterations (0: at the end of each stage).
    checkpoint_every : float
        Seconds between checkpoints of a run directory.
    time_limit : float or None
        Seconds of optimization after which the run stops.
    memory_estimate : int or None
        Estimated peak bytes (set when the run is checked).
    defaults : str or None
        How settings the user did not give were chosen (``match`` explains its
        default descriptors here); printed with the result.
    judge_after : int
        After this many iterations of the last gradient stage, and again after twice, four
        times, ... as many, judge the discrete state (after the cleanup) with the validation
        report's statistics against the original, and stop once no row fails (0: never;
        without an original: never). At most a few judgements per run: one costs about as
        much as ten evaluations.
    """

    shape: tuple[int, ...]
    descriptors: tuple[str, ...]
    weights: list[float] | dict[str, float] | None = None
    loss: str = "mse"
    optimizer: str
    optimizer_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    max_iter: int
    polish: int = 0
    networks: tuple[NetworkSpec, ...] = ()
    cleanup: tuple[float, ...] = ()
    particles: tuple[ParticleSpec, ...] = ()
    polish_descriptors: dict[str, float] = dataclasses.field(default_factory=dict)
    seed: int
    initial: str = "random"
    noise: float = 0.05
    multigrid: int = 1
    device: str = "cpu"
    snapshot_every: int = 0
    checkpoint_every: float = 60.0
    time_limit: float | None = None
    memory_estimate: int | None = None
    defaults: str | None = None
    judge_after: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "shape", _check_shape(self.shape))
        set_(self, "descriptors", tuple(self.descriptors))
        if not self.descriptors or not all(isinstance(d, str) for d in self.descriptors):
            raise ValueError(f"descriptors must be one or more descriptor ids, got "
                             f"{self.descriptors!r}")
        if not (self.initial == "given" and self.max_iter == 0):  # 0: the start is the result
            check_count("max_iter", self.max_iter)
        level_shapes(self.shape, self.multigrid)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or \
                self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer or a numpy Generator, got "
                             f"{self.seed!r}")
        for name in ("polish", "snapshot_every", "judge_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        set_(self, "networks", tuple(spec if isinstance(spec, NetworkSpec)
                                     else NetworkSpec.from_json(spec) for spec in self.networks))
        set_(self, "particles", tuple(spec if isinstance(spec, ParticleSpec)
                                      else ParticleSpec.from_json(spec)
                                      for spec in self.particles))
        if self.networks and not self.polish:
            raise ValueError("a network repair runs in the polishing stage: give polish (moves) "
                             "with networks")
        set_(self, "polish_descriptors", _check_weights("polish_descriptors",
                                                        self.polish_descriptors))
        if self.polish_descriptors and not self.polish:
            raise ValueError("polish_descriptors are matched by the polishing stage: give "
                             "polish (moves) with them")
        set_(self, "cleanup", tuple(float(size) for size in self.cleanup))
        if not all(math.isfinite(size) and size >= 0 for size in self.cleanup):
            raise ValueError(f"cleanup must hold one non-negative feature size (voxels) per "
                             f"phase, got {self.cleanup!r}")
        if self.initial not in ("random", "given"):
            raise ValueError(f"initial must be 'random' or 'given', got {self.initial!r}")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be a non-negative number (radians), got {self.noise!r}")
        if not self.checkpoint_every >= 0:
            raise ValueError(f"checkpoint_every must be non-negative seconds, got "
                             f"{self.checkpoint_every!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise ValueError(f"time_limit must be positive seconds, got {self.time_limit!r}")
        for name in ("max_iter", "multigrid", "seed", "polish", "snapshot_every", "judge_after"):
            set_(self, name, int(getattr(self, name)))
        set_(self, "noise", float(self.noise))
        set_(self, "checkpoint_every", float(self.checkpoint_every))

    def make_optimizer(self) -> Optimizer:
        """A fresh optimizer of these settings."""
        return make_optimizer(self.optimizer, self.optimizer_options)

    def replace(self, **changes: Any) -> RunSettings:
        """These settings with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready builtins (``run.json``'s ``settings``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["shape"], out["descriptors"] = list(self.shape), list(self.descriptors)
        if out["weights"] is not None:
            out["weights"] = (dict(out["weights"]) if isinstance(out["weights"], Mapping)
                              else list(out["weights"]))
        out["optimizer_options"] = dict(self.optimizer_options)
        out["networks"] = [spec.to_json() for spec in self.networks]
        out["cleanup"] = list(self.cleanup)
        out["particles"] = [spec.to_json() for spec in self.particles]
        out["polish_descriptors"] = dict(self.polish_descriptors)
        return out

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> RunSettings:
        """Settings from what :meth:`to_json` wrote."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(document) - known)
        if unknown:
            raise ValueError(f"unknown run settings {', '.join(unknown)}; known are "
                             f"{', '.join(sorted(known))}")
        return cls(**document)
