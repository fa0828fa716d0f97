"""Settings of the whole test session, and a small finished run shared by the viewing tests.

The tests run PyTorch on one CPU thread, here and in the processes they start
(``OMP_NUM_THREADS``, unless set already): their arrays are small, and beside
other work two threads spin against each other and take many times longer.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before torch is imported, for subprocesses too

import matplotlib  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import mcrkit  # noqa: E402

matplotlib.use("Agg")
torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A 32 x 32 x 12 match of the bundled example with snapshots every 5 iterations."""
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    result = mcrkit.match(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32], add_dimension=12,
                          limit_to=4, max_iter=15, seed=0, device="cpu", run_dir=run_dir,
                          snapshot_every=5, multigrid=2)
    return run_dir, result
