"""Where and how computations run: devices, thread limits, the memory a process can get,
and how progress is shown.

PyTorch is imported inside the functions that need it, so that readers can ask
:func:`available_memory` without loading it.

The thread policy, made for shared machines (a second job, a batch worker,
the GUI's server or a browser beside the run):

- OpenMP threads (PyTorch's and MKL's) sleep instead of spinning while they
  wait for work: ``import mcrkit`` sets ``OMP_WAIT_POLICY=PASSIVE`` unless the
  environment already names a policy (:func:`quiet_waiting`). OpenMP reads it
  once, when PyTorch loads it, so it takes effect only where ``mcrkit`` is
  imported before ``torch`` (the command line, the GUI, batch workers, scripts
  that import mcrkit first).
- A computation given no thread count uses :func:`default_threads`: the CPUs
  this process may use (its CPU affinity and any cgroup CPU quota), never more
  than PyTorch's own count; a reconstruction smaller than
  :data:`SERIAL_BELOW_VOXELS` uses one thread. A count is never changed while
  a run goes on, so a seeded run is repeatable bit for bit with the same count.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import math
import numbers
import os
import sys
import warnings
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

__all__ = ["SERIAL_BELOW_VOXELS", "MemoryLimits", "available_memory", "cgroup_cpu_limit",
           "default_threads", "format_bytes", "memory_limits", "keep_freed_memory", "progress_bar",
           "quiet_waiting", "recorded_warnings", "resolve_device", "threads_limited", "usable_cpus"]

WAIT_POLICY = ("OMP_WAIT_POLICY", "PASSIVE")
"""The OpenMP setting that makes waiting threads sleep rather than spin."""


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


@dataclasses.dataclass(frozen=True)
class MemoryLimits:
    """The memory this process can get, in bytes (None: unknown).

    Attributes
    ----------
    ceiling : int or None
        The most the process can ever hold: the least of the physical memory
        (``MemTotal``), its control group's limit (cgroup v2 ``memory.max``, v1
        ``limit_in_bytes``) and its address-space limit (``RLIMIT_AS``, less the
        address space it reserves without using).
    ceiling_source : str
        Which of these sets the ceiling, for messages.
    free : int or None
        What it can still get now besides what it holds: the system's
        ``MemAvailable`` and what the control group still allows. It changes
        from moment to moment with the other processes.
    held : int or None
        What it holds now (resident memory).
    """

    ceiling: int | None
    ceiling_source: str
    free: int | None
    held: int | None

    @property
    def reachable(self) -> int | None:
        """What the process could hold now: what it holds and what is free."""
        if self.free is None:
            return None
        return (self.held or 0) + self.free

    def describe(self) -> str:
        """The figures in words, e.g. 'this process can hold at most 23.4 GiB (physical
        memory); 20.1 GiB is free now besides the 0.3 GiB it holds'."""
        parts = []
        if self.ceiling is not None:
            parts.append(f"this process can hold at most {format_bytes(self.ceiling)} "
                         f"({self.ceiling_source})")
        if self.free is not None:
            parts.append(f"{format_bytes(self.free)} is free now besides the "
                         f"{format_bytes(self.held or 0)} it holds")
        return "; ".join(parts) or "the memory available is unknown"


def memory_limits() -> MemoryLimits:
    """What memory this process can get: its ceiling and what is free now (see
    :class:`MemoryLimits`).

    Examples
    --------
    >>> limits = memory_limits()
    >>> limits.ceiling is None or limits.ceiling > 0
    True
    """
    info = _meminfo()
    status = _own_status()
    held = status.get("VmRSS")
    ceilings = []
    if "MemTotal" in info:
        ceilings.append((info["MemTotal"], "physical memory"))
    limit, usage = _cgroup_memory()
    if limit is not None:
        ceilings.append((limit, "the limit of its control group"))
    address_space = _address_space_limit()
    if address_space is not None and "VmSize" in status:
        # the address space reserved but not resident counts against the limit too
        unused = status["VmSize"] - status.get("VmRSS", 0)
        ceilings.append((max(0, address_space - unused), "its address-space limit, ulimit -v"))
    ceiling, source = min(ceilings) if ceilings else (None, "unknown")
    frees = [size for size in (info.get("MemAvailable", _free_pages()),
                               None if limit is None or usage is None else limit - usage)
             if size is not None]
    return MemoryLimits(ceiling, source, max(0, min(frees)) if frees else None, held)


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
    return _meminfo().get("MemAvailable", _free_pages())


def _meminfo() -> dict[str, int]:
    """``MemTotal`` and ``MemAvailable`` of ``/proc/meminfo`` in bytes (those it has)."""
    found = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open("/proc/meminfo") as fh:
            for line in fh:
                name = line.split(":")[0]
                if name in ("MemTotal", "MemAvailable"):
                    found[name] = int(line.split()[1]) * 1024
    return found


def _own_status() -> dict[str, int]:
    """``VmRSS`` and ``VmSize`` of this process in bytes (empty where /proc is missing)."""
    found = {}
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            name = line.split(":")[0]
            if name in ("VmRSS", "VmSize"):
                found[name] = int(line.split()[1]) * 1024
    return found


def _free_pages() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_limit() -> int | None:
    """The soft ``RLIMIT_AS`` of this process (None: unlimited or unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def _cgroup_memory() -> tuple[int | None, int | None]:
    """The memory limit of the process's control group and its usage (None, None without
    a limit)."""
    for limit, usage in (("memory.max", "memory.current"),
                         ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            maximum = (_CGROUP / limit).read_text().strip()
            current = (_CGROUP / usage).read_text().strip()
            if maximum == "max" or int(maximum) >= 2**60:  # v1 writes a huge number for none
                return None, None
            return int(maximum), int(current)
        except (OSError, ValueError):
            continue
    return None, None


def _cgroup_available() -> int | None:
    """What the process's control group still allows (None without a limit)."""
    limit, usage = _cgroup_memory()
    return None if limit is None or usage is None else limit - usage


def quiet_waiting(environ: MutableMapping[str, str] | None = None) -> bool:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` in ``environ`` (default: ``os.environ``) unless a
    policy is already set there; return whether it was set.

    Spinning OpenMP threads hold their cores while they wait: next to another
    CPU-bound process a two-thread evaluation then takes 10-40 times longer.

    Examples
    --------
    >>> env = {}
    >>> quiet_waiting(env), env
    (True, {'OMP_WAIT_POLICY': 'PASSIVE'})
    >>> quiet_waiting({"OMP_WAIT_POLICY": "ACTIVE"})
    False
    """
    environ = os.environ if environ is None else environ
    name, value = WAIT_POLICY
    if environ.get(name):
        return False
    environ[name] = value
    return True


MALLOC_SETTINGS = ((-3, 32 * 2**20), (-1, 2**30), (-2, 64 * 2**20))
"""glibc ``mallopt`` settings of :func:`keep_freed_memory`: blocks up to 32 MiB (the largest
threshold glibc allows) come from the heap instead of mappings of their own
(``M_MMAP_THRESHOLD``), up to 1 GiB of freed heap is kept (``M_TRIM_THRESHOLD``) and the heap
grows 64 MiB at a time (``M_TOP_PAD``)."""


def keep_freed_memory(environ: MutableMapping[str, str] | None = None) -> bool:
    """Make glibc's ``malloc`` keep freed blocks for reuse; return whether it was set.

    An evaluation of a reconstruction allocates and frees hundreds of arrays
    of the size of its slices (a megabyte at 64^3, 8 MiB at 128^3). By default
    glibc returns such blocks to the system when they are freed and the next
    allocation faults fresh, zeroed pages in: a sixth of the CPU time of a 64^3
    ``match`` went to the kernel. With :data:`MALLOC_SETTINGS` blocks up to
    32 MiB are reused. Larger blocks (the 64 MiB maps of 256^3) keep their own
    mappings: serving them from the heap as well (``MALLOC_MMAP_MAX_=0`` in the
    environment) halves the CPU time of a 256^3 evaluation, but the heap then
    fragments and a 256^3 run peaked at 6.2 instead of 4.1 GB, a risk at 512^3.
    Nothing is set where the C library is not glibc, or where the environment
    already tunes ``malloc`` (``MALLOC_*`` variables, ``GLIBC_TUNABLES``).

    Examples
    --------
    >>> keep_freed_memory({"MALLOC_TRIM_THRESHOLD_": "0"})  # the user's choice stands
    False
    """
    environ = os.environ if environ is None else environ
    tuned = any(name.startswith("MALLOC_") for name in environ) or \
        "malloc" in environ.get("GLIBC_TUNABLES", "")
    if tuned or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # another C library
        return False
    return all(mallopt(param, value) == 1 for param, value in MALLOC_SETTINGS)


def cgroup_cpu_limit(root: str | os.PathLike[str] = "/sys/fs/cgroup") -> float | None:
    """CPUs granted by the cgroup CPU quota of this process (None: no quota).

    Reads cgroup v2 ``cpu.max`` (``"quota period"`` or ``"max period"``) of the
    process's own cgroup and of the root, else cgroup v1
    ``cpu/cpu.cfs_quota_us`` and ``cpu.cfs_period_us``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as root:
    ...     _ = (Path(root) / "cpu.max").write_text("150000 100000\\n")
    ...     cgroup_cpu_limit(root)
    1.5
    """
    root = Path(root)
    limits = []
    for directory in {root / _own_cgroup(), root}:
        with contextlib.suppress(OSError, ValueError):
            quota, period = (directory / "cpu.max").read_text().split()[:2]
            if quota != "max":
                limits.append(int(quota) / int(period))
    with contextlib.suppress(OSError, ValueError):
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            limits.append(quota / period)
    return min(limits) if limits else None


def _own_cgroup() -> str:
    """The cgroup v2 path of this process, relative to the hierarchy's root ('' if unknown)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return line[3:].strip().lstrip("/")
    return ""


def usable_cpus() -> int:
    """CPUs this process may use: its CPU affinity (a SLURM allocation, ``taskset``), bounded
    by a cgroup CPU quota (a container's share, rounded down, at least 1).

    Examples
    --------
    >>> 1 <= usable_cpus() <= (os.cpu_count() or 1)
    True
    """
    if hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:  # macOS, Windows
        count = os.cpu_count() or 1
    quota = cgroup_cpu_limit()
    if quota is not None:
        count = min(count, max(1, math.floor(quota)))
    return max(1, count)


def default_threads() -> int:
    """PyTorch threads of a computation given no thread count: :func:`usable_cpus`, but no
    more than PyTorch's own count (physical cores, or ``OMP_NUM_THREADS`` when set).

    Examples
    --------
    >>> import torch
    >>> 1 <= default_threads() <= torch.get_num_threads()
    True
    """
    import torch

    return max(1, min(torch.get_num_threads(), usable_cpus()))


SERIAL_BELOW_VOXELS = 2**20
"""Computations on fewer voxels (2D up to 1024², 3D up to about 100³) run on one thread
unless told otherwise: their tensors are too small for a second thread to gain what
waking it costs (on an idle 2-core machine a 3D 64³ evaluation took 171 ms on one
thread and 197 ms on two; at 128³ two threads were 13 % faster), and beside a busy
process a second thread only adds waiting (docs/performance.md)."""


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


def check_threads(threads: Any) -> None:
    """Refuse a thread count that is not a positive integer (None is allowed: the default)."""
    if threads is not None and (isinstance(threads, bool)
                                or not isinstance(threads, numbers.Integral) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")


@contextlib.contextmanager
def threads_limited(threads: int | None, voxels: int | None = None) -> Iterator[None]:
    """Run the block with ``threads`` PyTorch intra-op threads; the count before the block is
    restored after it.

    None: one thread for a computation on fewer than :data:`SERIAL_BELOW_VOXELS`
    ``voxels``, else :func:`default_threads`. On shared machines fewer threads
    are often faster: oversubscribed cores slow every thread down.
    """
    import torch

    check_threads(threads)
    if threads is None:
        small = voxels is not None and voxels < SERIAL_BELOW_VOXELS
        threads = 1 if small else default_threads()
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


LINE_INTERVAL = 10.0
"""Least seconds between two progress lines where stderr is not a terminal."""


class _Lines:
    """A stream for tqdm that writes each redraw as one plain line (no carriage return)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        line = text.replace("\r", "").rstrip()
        if line:
            self.stream.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def progress_bar(**options: Any) -> Any:
    """A tqdm progress bar on stderr (``options`` are tqdm's).

    On a terminal it redraws one line in place. Where stderr is not a terminal
    (a pipe, a log file, a batch job's output) it writes plain lines instead,
    at most one every :data:`LINE_INTERVAL` seconds and one at the end, so logs
    hold no carriage returns. In a notebook tqdm's widget is used.

    Examples
    --------
    >>> import io
    >>> log = io.StringIO()
    >>> with contextlib.redirect_stderr(log):
    ...     with progress_bar(total=3, desc="work", bar_format="{desc} {n}/{total}") as bar:
    ...         bar.update(3)
    >>> print(log.getvalue(), end="")
    work 0/3
    work 3/3
    """
    from tqdm import autonotebook, std
    from tqdm.auto import tqdm

    stream = options.pop("file", None) or sys.stderr
    in_notebook = autonotebook.tqdm is not std.tqdm
    if not in_notebook and not (hasattr(stream, "isatty") and stream.isatty()):
        stream = _Lines(stream)
        options["mininterval"] = max(options.get("mininterval", 0.0), LINE_INTERVAL)
    return tqdm(file=stream, **options)

