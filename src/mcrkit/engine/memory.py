"""Peak-memory estimate of a reconstruction, checked before a run starts.

The estimate adds what a run keeps at its largest: the angles and the
autograd graph of the relaxed field (a few copies of ``P`` fields), each
descriptor's intermediate arrays for the images of all slices (bounded by
the chunk budget of :mod:`mcrkit.descriptors.base`, beyond which chunks are
recomputed instead of stored), the optimizer's memory and the interpreter
with PyTorch loaded. It errs on the high side; ``force=True`` skips the check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from mcrkit.descriptors.base import WORKSPACE_BYTES
from mcrkit.engine.objective import Term
from mcrkit.engine.optimizers.base import Optimizer
from mcrkit.runtime import available_memory, format_bytes

__all__ = ["available_bytes", "check_memory", "estimate_peak_bytes", "format_bytes"]

PROCESS_BYTES = 400 * 2**20
"""Python, PyTorch and mcrkit loaded, before any array."""

FIELD_COPIES = 12
"""Field-sized tensors alive in one evaluation: angles, cosines, fractions, slice
views made contiguous, gradients."""


def estimate_peak_bytes(terms: Sequence[Term], shape: tuple[int, ...], n_phases: int,
                        optimizer: Optimizer, dtype: torch.dtype = torch.float32) -> int:
    """Estimated peak memory in bytes of reconstructing ``shape`` with these terms."""
    voxels = math.prod(shape)
    item = torch.empty((), dtype=dtype).element_size()
    field = voxels * n_phases * item
    n_axes = 1 if len(shape) == 2 else 3
    descriptors = 0
    for term in terms:
        channels = len(term.descriptor.phases(n_phases))
        per_voxel = term.descriptor.workspace(channels) * item
        # the stored graph of every axis plus one chunk being recomputed
        descriptors += min(n_axes * voxels * per_voxel, n_axes * WORKSPACE_BYTES + voxels * item)
    angles = voxels * (n_phases - 1) * item
    return int(PROCESS_BYTES + FIELD_COPIES * field + descriptors
               + optimizer.state_bytes(angles))


def available_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` (None if unknown); on the CPU what this process can get,
    see :func:`mcrkit.runtime.available_memory`."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    return available_memory()


def check_memory(estimate: int, device: torch.device) -> None:
    """Raise a MemoryError if ``estimate`` exceeds the free memory of ``device``."""
    free = available_bytes(device)
    if free is not None and estimate > free:
        raise MemoryError(
            f"this reconstruction needs about {format_bytes(estimate)} but only "
            f"{format_bytes(free)} is free on {device}; reconstruct a smaller shape, use fewer "
            "or cheaper descriptors (e.g. a smaller limit_to), or pass force=True to "
            "try anyway"
        )
