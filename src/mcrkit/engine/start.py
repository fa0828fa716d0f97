"""The start of a run: the angles of its first stage.

A gradient run starts from a nearly uniform field at the target's volume
fractions with a little noise (on the coarsest multigrid level); an optimizer
of discrete labels (``discrete``, such as annealing) starts from labels in
random order whose phase counts match the volume fractions exactly; a given
structure is the start of either (subsampled onto the coarsest level).

Examples
--------
>>> import numpy as np
>>> labels = random_labels((4, 4), np.array([0.25, 0.75]), seed=0)
>>> np.bincount(labels.ravel()).tolist()
[4, 12]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from mcrkit.characterization import Characterization
from mcrkit.engine.field import initial_params, params_from_labels
from mcrkit.engine.loop import RunState
from mcrkit.engine.settings import RunSettings
from mcrkit.engine.stages import level_shapes
from mcrkit.microstructure import Microstructure, from_array
from mcrkit.registry import optimizers as optimizer_registry

__all__ = ["initial_state", "random_labels", "volume_fractions_of"]


def volume_fractions_of(characterization: Characterization) -> np.ndarray:
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


def random_labels(shape: tuple[int, ...], volume_fractions: np.ndarray,
                  seed: int) -> np.ndarray:
    """Labels in random order whose phase counts round ``volume_fractions`` best."""
    size = math.prod(shape)
    counts = np.floor(volume_fractions * size).astype(np.int64)
    remainder = volume_fractions * size - counts
    counts[np.argsort(-remainder)[:size - counts.sum()]] += 1
    labels = np.repeat(np.arange(len(counts), dtype=np.uint8), counts)
    return np.random.default_rng(seed).permutation(labels).reshape(shape)


def initial_state(settings: RunSettings, characterization: Characterization, initial: Any,
                  device: torch.device, dtype: torch.dtype = torch.float32) -> RunState:
    """The state a new run starts from (``initial``: a start structure, or None).

    Raises
    ------
    ValueError
        When the start structure's shape or number of phases does not fit.
    """
    shape, n_phases = settings.shape, characterization.n_phases
    coarse = level_shapes(shape, settings.multigrid)[0]
    if initial is None and optimizer_registry.get(settings.optimizer).discrete:
        labels = random_labels(shape, volume_fractions_of(characterization), settings.seed)
        return RunState(theta=params_from_labels(labels, n_phases, dtype=dtype, device=device))
    if initial is None:
        generator = torch.Generator().manual_seed(settings.seed)
        return RunState(theta=initial_params(coarse, volume_fractions_of(characterization),
                                             generator=generator, noise=settings.noise,
                                             dtype=dtype, device=device))
    start = initial if isinstance(initial, Microstructure) else from_array(initial,
                                                                           source="initial")
    if start.shape != shape:
        raise ValueError(f"the initial structure has shape {start.shape} but the reconstruction "
                         f"shape is {shape}; give an initial structure of the target shape")
    if start.n_phases != n_phases:
        raise ValueError(f"the initial structure has {start.n_phases} phases, the "
                         f"characterization {n_phases}; give a start structure with the "
                         "target's phases")
    step = [math.ceil(s / c) for s, c in zip(shape, coarse, strict=True)]
    labels = start.labels[tuple(slice(None, None, k) for k in step)]
    return RunState(theta=params_from_labels(labels, n_phases, dtype=dtype, device=device))
