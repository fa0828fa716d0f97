"""Settings of the whole test session, its order, and a small finished run shared by the
viewing tests.

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
which one process runs in this order.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ["MPLBACKEND"] = "Agg"


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        return (0 if item.get_closest_marker("first") else
                1 if item.get_closest_marker("early") else
                3 if item.get_closest_marker("last") else 2)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A 32 x 32 x 12 match of the bundled example with snapshots every 5 iterations."""
    import mcrkit

    run_dir = tmp_path_factory.mktemp("runs") / "run"
    result = mcrkit.match(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32], add_dimension=12,
                          limit_to=4, max_iter=15, seed=0, device="cpu", run_dir=run_dir,
                          snapshot_every=5, multigrid=2)
    return run_dir, result
