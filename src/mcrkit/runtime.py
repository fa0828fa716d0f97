"""Where and how computations run: devices, thread limits and the memory a process can get.

PyTorch is imported inside the functions that need it, so that readers can ask
:func:`available_memory` without loading it.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["available_memory", "format_bytes", "recorded_warnings", "resolve_device",
           "threads_limited"]

_CGROUP = Path("/sys/fs/cgroup")


def available_memory() -> int | None:
    """Bytes of memory this process can still get: the least of what the system has
    available and what its control group (container) allows; None if unknown.

    Reads ``MemAvailable`` of ``/proc/meminfo`` (else free pages) and the cgroup v2
    ``memory.max - memory.current`` (or v1 ``limit_in_bytes - usage_in_bytes``).

    Examples
    --------
    >>> free = available_memory()
    >>> free is None or free > 0
    True
    """
    limits = [size for size in (_system_available(), _cgroup_available()) if size is not None]
    return max(0, min(limits)) if limits else None


def format_bytes(n: float) -> str:
    """Human-readable size, e.g. ``'1.5 GiB'``.

    Examples
    --------
    >>> format_bytes(1536 * 2**20), format_bytes(1000**4)
    ('1.5 GiB', '931.3 GiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024:
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"


def _system_available() -> int | None:
    """``MemAvailable`` of the system (free pages where /proc is missing)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available() -> int | None:
    """What the process's control group still allows (None without a limit)."""
    for limit, usage in (("memory.max", "memory.current"),
                         ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            maximum = (_CGROUP / limit).read_text().strip()
            current = (_CGROUP / usage).read_text().strip()
            if maximum == "max" or int(maximum) >= 2**60:  # v1 writes a huge number for none
                return None
            return int(maximum) - int(current)
        except (OSError, ValueError):
            continue
    return None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names are checked.

    Raises
    ------
    ValueError
        If CUDA is asked for but not available, or the name is unknown.
    """
    import torch

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
    import torch

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
