"""Where and how computations run: devices, dtypes and thread limits."""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Iterator

import torch

__all__ = ["resolve_device", "threads_limited"]


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names are checked.

    Raises
    ------
    ValueError
        If CUDA is asked for but not available, or the name is unknown.
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; use 'auto', 'cpu' or 'cuda'") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} was asked for but PyTorch sees no CUDA GPU here "
            f"(torch {torch.__version__}); use device='cpu' or install a CUDA build of PyTorch"
        )
    return resolved


@contextlib.contextmanager
def threads_limited(threads: int | None) -> Iterator[None]:
    """Run the block with at most ``threads`` PyTorch intra-op threads (None: unchanged).

    On shared machines fewer threads are often faster: oversubscribed cores
    slow every thread down.
    """
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def recorded_warnings() -> Iterator[list[str]]:
    """Collect the distinct messages of the warnings the block emits, in order.

    The list is filled when the block ends, also when it raises, so an
    interface can show a failed job's warnings beside its error. A warning
    repeated every iteration appears once.

    Examples
    --------
    >>> with recorded_warnings() as messages:
    ...     for _ in range(3):
    ...         warnings.warn("slow descriptor", RuntimeWarning)
    >>> messages
    ['slow descriptor']
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield messages
        finally:
            messages.extend(dict.fromkeys(str(w.message) for w in caught))
