"""Helpers shared by the benchmarks: the installed ``mcrkit`` command, timed in a fresh process.

The benchmarks that time whole commands (``reconstruction.py``, ``fidelity.py``)
run the console script next to the running interpreter, so that start-up,
characterization, reconstruction and the written run directory are all counted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MCRKIT_SHARED_DATA", ROOT.parent / "shared" / "data"))
MCRKIT = shutil.which("mcrkit", path=str(Path(sys.executable).parent)) or "mcrkit"


def run_command(args: list[str], workdir: Path, *, keep: bool = False) -> dict[str, Any]:
    """Run ``mcrkit`` with ``args`` into a new run directory under ``workdir``.

    Returns the wall and CPU (user + system) seconds of the whole command, its peak RSS
    (MB), the run's
    ``run.json`` as ``meta`` and, with ``keep``, the kept ``run_dir`` (else it is
    removed).
    """
    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    shutil.rmtree(run_dir)
    start = time.perf_counter()
    process = subprocess.Popen([MCRKIT, *args, "-o", str(run_dir), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"mcrkit {' '.join(args)} failed:\n{process.stderr.read().decode()}")
    meta = json.loads((run_dir / "run.json").read_text())
    run = {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
           "peak_mb": usage.ru_maxrss / 1024, "meta": meta}
    if keep:
        run["run_dir"] = run_dir
    else:
        shutil.rmtree(run_dir)
    return run


def timed_calls(fn: Callable[[], object], repeat: int) -> dict[str, Any]:
    """Wall seconds of a warm-up call of ``fn``, and wall and CPU seconds (the process's, all
    its threads) of ``repeat`` further calls."""
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    seconds, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"first": first, "seconds": seconds, "cpu": cpu}
