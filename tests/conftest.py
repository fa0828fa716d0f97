"""A small finished run shared by the viewing tests."""

from __future__ import annotations

import matplotlib
import pytest

import mcrkit

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A 32 x 32 x 12 match of the bundled example with snapshots every 5 iterations."""
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    result = mcrkit.match(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32], add_dimension=12,
                          limit_to=4, max_iter=15, seed=0, device="cpu", run_dir=run_dir,
                          snapshot_every=5, multigrid=2)
    return run_dir, result
