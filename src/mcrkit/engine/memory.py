"""Peak-memory estimate of a reconstruction, checked before a run starts.

The estimate is what the process holds when the run starts (the interpreter,
PyTorch, the characterization) plus what the run adds at its largest:

* the optimizer's state (:meth:`~mcrkit.engine.optimizers.base.Optimizer.state_bytes`:
  for L-BFGS its pairs and the iterate-sized tensors of its line search);
* :data:`FIELD_COPIES` field-sized tensors of one evaluation (the angles, the
  relaxed field and the autograd graph between them, their gradients);
* per descriptor, for the slices of every slicing axis: the whole graph of
  the images when they fit one chunk of :data:`~mcrkit.descriptors.base.WORKSPACE_BYTES`
  (it is kept until the backward pass), else nothing but one chunk being
  recomputed at a time (checkpointing): the largest such chunk counts once.

The coefficients were fitted to peaks measured with ``benchmarks/memory.py``
(``ru_maxrss``, full L-BFGS history added) on 64^3, 96^3 and 128^3; for larger shapes,
where every descriptor is chunked, on 128^3 with the chunk budget scaled down to give the
chunks of 512^3. ``force=True`` skips
the check.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torch

from mcrkit.descriptors.base import chunks
from mcrkit.engine.objective import Term
from mcrkit.engine.optimizers.base import Optimizer
from mcrkit.runtime import MemoryLimits, format_bytes, memory_limits

__all__ = ["available_bytes", "check_memory", "estimate_peak_bytes", "format_bytes",
           "run_bytes"]

PROCESS_BYTES = 300 * 2**20
"""Python, PyTorch and mcrkit loaded, before any array (used where the resident memory of
the process cannot be read)."""

KEPT_SHARE = 0.74
"""Share of the workspace of the slices whose graphs are kept that is alive at the peak
(the backward pass's temporaries exist for one descriptor at a time); measured."""

FIELD_COPIES = 12
"""Field-sized tensors (``P`` values per voxel) alive in one evaluation besides the
descriptors' own: the field, the gradients of the slices of every axis and their sums.
Measured at 128^3 with the chunks of 512^3: 9 without heap fragmentation
(``MALLOC_MMAP_THRESHOLD_`` set), 18 with it; at 512^3 the buffers are mapped and
returned whole."""


def run_bytes(terms: Sequence[Term], shape: tuple[int, ...], n_phases: int,
              optimizer: Optimizer, dtype: torch.dtype = torch.float32) -> int:
    """Memory in bytes a reconstruction of ``shape`` adds to the process at its largest.

    Examples
    --------
    >>> import torch
    >>> from mcrkit.descriptors import TwoPoint
    >>> from mcrkit.engine.objective import Term
    >>> from mcrkit.engine.optimizers import LBFGS
    >>> term = Term(TwoPoint(limit_to=4), torch.zeros(3, 1, 9, 9), 1.0, "two_point")
    >>> round(run_bytes([term], (64, 64, 64), 2, LBFGS()) / 64**3, 1)   # bytes per voxel
    235.5
    """
    voxels = math.prod(shape)
    item = torch.empty((), dtype=dtype).element_size()
    kept, chunk = 0, 0
    for term in terms:
        term_kept, term_chunk = _descriptor_bytes(term, shape, n_phases, item)
        kept += term_kept
        chunk = max(chunk, term_chunk)
    angles = voxels * (n_phases - 1) * item
    return int(optimizer.state_bytes(angles) + FIELD_COPIES * voxels * n_phases * item
               + kept + chunk)


def _descriptor_bytes(term: Term, shape: tuple[int, ...], n_phases: int,
                      item: int) -> tuple[int, int]:
    """Bytes a descriptor keeps until the backward pass and its largest chunk recomputed."""
    descriptor = term.descriptor
    channels = len(descriptor.phases(n_phases))
    images = [(1, tuple(shape))] if len(shape) == 2 else [
        (shape[axis], tuple(s for i, s in enumerate(shape) if i != axis)) for axis in range(3)]
    kept, chunk = 0, 0
    for count, (height, width) in images:
        per_image = descriptor.workspace(channels) * height * width * item
        parts = chunks(count, per_image)
        if len(parts) == 1:
            kept += int(KEPT_SHARE * count * per_image)
        else:
            chunk = max(chunk, min(count, parts[0].stop) * per_image)
    return kept, chunk


def estimate_peak_bytes(terms: Sequence[Term], shape: tuple[int, ...], n_phases: int,
                        optimizer: Optimizer, dtype: torch.dtype = torch.float32,
                        held: int | None = None) -> int:
    """Estimated peak memory in bytes of a process reconstructing ``shape`` with these terms:
    ``held`` (default: what the process holds now, else :data:`PROCESS_BYTES`) plus
    :func:`run_bytes`."""
    if held is None:
        held = memory_limits().held or PROCESS_BYTES
    return held + run_bytes(terms, shape, n_phases, optimizer, dtype)


def available_bytes(device: torch.device) -> MemoryLimits:
    """What the process can get on ``device``: on a GPU its total and free memory (with
    nothing held), on the CPU :func:`mcrkit.runtime.memory_limits`."""
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        return MemoryLimits(int(total), f"the memory of {device}", int(free), 0)
    return memory_limits()


def check_memory(estimate: int, device: torch.device) -> None:
    """Refuse an ``estimate`` above what the process can ever hold on ``device``; warn when it
    exceeds only what is free now (other processes may release memory, or the run may be
    killed when they do not).

    Raises
    ------
    MemoryError
        With the estimate and the limits in words.
    """
    limits = available_bytes(device)
    needed = f"this reconstruction needs about {format_bytes(estimate)} (estimated peak)"
    if limits.ceiling is not None and estimate > limits.ceiling:
        raise MemoryError(
            f"{needed} but {limits.describe()} on {device}; reconstruct a smaller shape, use "
            "fewer or cheaper descriptors (e.g. a smaller limit_to), or pass force=True to "
            "try anyway"
        )
    reachable = limits.reachable
    if reachable is not None and estimate > reachable:
        warnings.warn(
            f"{needed}, more than the memory free now: {limits.describe()} on {device}. "
            "It starts anyway; it fits only if other processes release memory",
            RuntimeWarning, stacklevel=2,
        )
