"""A run killed at any moment (SIGKILL: no handler runs) leaves a directory that resumes.

The kill is triggered by the run itself at a chosen moment (a callback at the
first iteration, the first checkpoint write), never after a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mcrkit
from mcrkit.io.rundir import RunDirectory

SMALL = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]
OPTIONS = {"max_iter": 8, "seed": 0, "device": "cpu", "report": False}

KILLED_RUN = """
import os, signal, sys
import torch
import mcrkit

def kill(*args):
    os.kill(os.getpid(), signal.SIGKILL)

characterization, run_dir, moment = sys.argv[1:]
callbacks = None
if moment == "first-iteration":
    callbacks = lambda state: kill() if state.iteration == 1 else None
else:  # the first checkpoint's file is written but not yet renamed into place
    save = torch.save
    torch.save = lambda obj, path: (save(obj, path), kill())
mcrkit.reconstruct(characterization, (16, 16), run_dir=run_dir, callbacks=callbacks,
                   **{options})
"""


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("target") / "small.npz"
    mcrkit.characterize(SMALL, ["two_point"], limit_to=3).save(path)
    return path


@pytest.fixture(scope="module")
def uninterrupted(target):
    return mcrkit.reconstruct(str(target), (16, 16), **OPTIONS)


def killed_run(target: Path, run_dir: Path, moment: str) -> None:
    script = KILLED_RUN.replace("{options}", repr(OPTIONS))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script, str(target), str(run_dir), moment],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize("moment", ["first-iteration", "first-checkpoint"])
def test_a_run_killed_early_resumes_to_the_uninterrupted_result(tmp_path, target, uninterrupted,
                                                               moment) -> None:
    run_dir = tmp_path / "run"
    killed_run(target, run_dir, moment)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    # the start was checkpointed before the first iteration; a kill during that write
    # leaves none, and the run restarts from its settings
    assert RunDirectory(run_dir).has_checkpoint() == (moment == "first-iteration")
    resumed = mcrkit.resume(run_dir, report=False)
    assert resumed.status == uninterrupted.status
    np.testing.assert_array_equal(resumed.labels, uninterrupted.labels)
    np.testing.assert_array_equal(resumed.history["loss"], uninterrupted.history["loss"])
    assert json.loads((run_dir / "run.json").read_text())["status"] == resumed.status


def test_a_run_without_checkpoint_restarts_from_its_given_start(tmp_path, target) -> None:
    start = (SMALL[::-1] > 0).astype(np.uint8)
    full = mcrkit.reconstruct(str(target), (16, 16), initial=start, **OPTIONS)
    run_dir = tmp_path / "run"

    def stop(state) -> bool:
        return True

    mcrkit.reconstruct(str(target), (16, 16), initial=start, run_dir=run_dir, callbacks=stop,
                       **OPTIONS)
    for name in (RunDirectory.CHECKPOINT, RunDirectory.CONVERGENCE):  # as if killed at once
        (run_dir / name).unlink()
    resumed = mcrkit.resume(run_dir, report=False)
    np.testing.assert_array_equal(resumed.labels, full.labels)
    np.testing.assert_array_equal(resumed.history["loss"], full.history["loss"])


@pytest.mark.parametrize("exists", [False, True])
def test_a_start_that_fails_leaves_no_directory(tmp_path, target, monkeypatch, exists) -> None:
    run_dir = tmp_path / "run"
    if exists:
        run_dir.mkdir()

    def full_disk(self, metadata) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(RunDirectory, "write_metadata", full_disk)
    with pytest.raises(OSError, match="No space"):
        mcrkit.reconstruct(str(target), (16, 16), run_dir=run_dir, **OPTIONS)
    assert run_dir.exists() == exists
    assert not exists or not any(run_dir.iterdir())


def test_a_run_stopped_before_recording_its_settings_says_how_to_start_again(tmp_path,
                                                                          target) -> None:
    from mcrkit.io.rundir import RunDirectoryError

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / RunDirectory.TARGET).write_bytes(target.read_bytes())  # killed right here
    with pytest.raises(RunDirectoryError, match="--overwrite"):
        mcrkit.resume(run_dir)
    result = mcrkit.reconstruct(str(target), (16, 16), run_dir=run_dir, overwrite=True,
                                **OPTIONS)
    assert result.run_dir == run_dir and RunDirectory(run_dir).has_checkpoint()
