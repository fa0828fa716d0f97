"""Settings of the whole test session, its order, and a small finished run shared by the
viewing tests, which draw their pictures at screen resolution (``screen_dpi``).

The tests run PyTorch on one CPU thread, here and in the processes they start
(``OMP_NUM_THREADS``, unless set already, read by torch when it is imported):
their arrays are small, and beside other work two threads spin against each
other and take many times longer. Figures are drawn off-screen (``MPLBACKEND``).
This file imports nothing heavy, so tests that start pytest or Python again
start quickly.

Tests marked ``first`` run before all others, tests marked ``last`` after all
others (the SLURM walltime batch is started first, runs its minutes beside the
suite and is checked last), the long end-to-end tests marked ``early`` right after the
first ones (spread over several processes, the short ones then fill the other processes
around them instead of one long test running alone at the end); the rest keep pytest's
order. The suite's command (README.md, ``.ci/run``) spreads the tests over one process per
CPU (``pytest -n auto --dist loadgroup``); the SLURM tests are one group (``xdist_group``),
which one process runs in this order. That process mostly waits on SLURM (a walltime of one
minute cannot be shorter), so when the SLURM tests are selected and SLURM answers,
``-n auto`` starts one process more than there are CPUs. Tests marked ``slurm`` are skipped,
with the reason, when no SLURM answers.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["MPLBACKEND"] = "Agg"


SLURM_TESTS = Path(__file__).parent / "batching" / "test_slurm.py"


@functools.cache
def slurm_unavailable() -> str | None:
    """Why the SLURM tests cannot run here (no SLURM with this machine as an idle node of
    at least 2 CPUs answers), or None."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "no SLURM commands (sbatch, sinfo): start a test SLURM with .ci/slurm-up"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--Node", "--format", "%N %T %c"],
                              capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 15 s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"SLURM does not answer ({last}): start one with .ci/slurm-up"
    here = socket.gethostname().split(".")[0]
    nodes = [line.split() for line in done.stdout.splitlines()]
    if not any(name == here and state == "idle" and int(cpus) >= 2
               for name, state, cpus in nodes):
        return (f"SLURM has no idle node {here} (this machine, whose file system the jobs "
                f"share) with 2 CPUs: sinfo lists {nodes}")
    return None


def slurm_tests_selected(config: pytest.Config) -> bool:
    """Whether the command line's paths hold the SLURM tests and its ``-m`` keeps them."""
    from _pytest.mark.expression import Expression

    if config.option.markexpr and not Expression.compile(config.option.markexpr).evaluate(
            lambda name, **_: name in ("slurm", "xdist_group")):
        return False
    here = config.invocation_params.dir
    paths = (here / arg.split("::")[0] for arg in config.args)
    return any(path.resolve() in (SLURM_TESTS, *SLURM_TESTS.parents) for path in paths)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one test process per CPU (pytest-xdist's count), and one more that runs
    the SLURM tests, which spend most of their minutes waiting for SLURM."""
    if not slurm_tests_selected(config) or slurm_unavailable() is not None:
        return None
    from xdist.plugin import pytest_xdist_auto_num_workers as per_cpu

    return per_cpu(config) + 1


def keep_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--dist loadgroup``: each test's ``xdist_group`` appended to its id (``...@slurm``), as
    pytest-xdist does to send a group to one process, where pytest-xdist's own write has no
    effect: pytest 9.2 derives a test's id from a structured one (pytest-dev/pytest-xdist#1386;
    without it the SLURM tests were spread over the processes, and the process given the last
    one started a second walltime batch and waited minutes for it)."""
    if not getattr(config.option, "loadgroup", False):  # set in the test processes only
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # a pytest before 9.2, where pytest-xdist's own write works
        return

    for item in items:
        names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                 for mark in item.iter_markers("xdist_group")}
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook
def pytest_collection_modifyitems(config, items):
    keep_xdist_groups(config, items)

    def rank(item) -> int:
        return (0 if item.get_closest_marker("first") else
                1 if item.get_closest_marker("early") else
                3 if item.get_closest_marker("last") else 2)

    items.sort(key=rank)
    slurm = [item for item in items if item.get_closest_marker("slurm")]
    if slurm and slurm_unavailable() is not None:
        for item in slurm:
            item.add_marker(pytest.mark.skip(reason=slurm_unavailable()))


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A 32 x 32 x 12 match of the bundled example with snapshots every 5 iterations."""
    import mcrkit

    run_dir = tmp_path_factory.mktemp("runs") / "run"
    result = mcrkit.match(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32], add_dimension=12,
                          limit_to=4, max_iter=15, seed=0, device="cpu", run_dir=run_dir,
                          snapshot_every=5, multigrid=2)
    return run_dir, result


@pytest.fixture
def screen_dpi(monkeypatch) -> None:
    """Raster figures at 100 dpi instead of print resolution (several times faster to draw),
    for tests that check what a picture shows, not its resolution (test_figures.py does)."""
    monkeypatch.setattr("mcrkit.plotting.figures.DPI", 100)
