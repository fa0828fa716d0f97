"""A run killed at any moment (SIGKILL: no handler runs) leaves a directory that resumes.

The kill is triggered by the run itself at a chosen moment (a callback at the
first iteration, inside the n-th write of a file: written, not yet renamed), never after
a sleep. ``benchmarks/torture.py --kills N`` kills at random moments and inside every
write of gradient, annealing and batch runs.
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
ANNEALING = {**OPTIONS, "optimizer": "annealing", "checkpoint_every": 0.0}

KILLED_RUN = """
import os, signal, sys
import mcrkit
from mcrkit.io import atomic

def kill(*args):
    os.kill(os.getpid(), signal.SIGKILL)

characterization, run_dir, moment, options = sys.argv[1:]
callbacks = None
if moment == "first-iteration":
    callbacks = lambda state: kill() if state.iteration == 1 else None
else:  # inside the n-th write of a file: written under its temporary name, not yet renamed
    name, n = moment.removeprefix("write:").rsplit(":", 1)
    seen, rename = [0], os.replace
    def rename_or_die(source, target):
        seen[0] += os.path.basename(target) == name
        if seen[0] == int(n):
            kill()
        return rename(source, target)
    atomic.os.replace = rename_or_die
mcrkit.reconstruct(characterization, (16, 16), run_dir=run_dir, callbacks=callbacks,
                   **eval(options))
"""


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("target") / "small.npz"
    mcrkit.characterize(SMALL, ["two_point"], limit_to=3).save(path)
    return path


@pytest.fixture(scope="module")
def uninterrupted(target):
    return {"lbfgs": mcrkit.reconstruct(str(target), (16, 16), **OPTIONS),
            "annealing": mcrkit.reconstruct(str(target), (16, 16), **ANNEALING)}


def killed_run(target: Path, run_dir: Path, moment: str, options: dict) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", KILLED_RUN, str(target), str(run_dir), moment,
                           repr(options)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr


@pytest.mark.parametrize(("optimizer", "moment"), [
    ("lbfgs", "first-iteration"), ("lbfgs", "write:checkpoint.pt:1"),
    ("annealing", "write:convergence.npz:4")])
def test_a_run_killed_resumes_to_the_uninterrupted_result(tmp_path, target, uninterrupted,
                                                          optimizer, moment) -> None:
    run_dir, full = tmp_path / "run", uninterrupted[optimizer]
    killed_run(target, run_dir, moment, ANNEALING if optimizer == "annealing" else OPTIONS)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    # the start was checkpointed before the first iteration; a kill during that write
    # leaves none, and the run restarts from its settings
    assert RunDirectory(run_dir).has_checkpoint() == (moment != "write:checkpoint.pt:1")
    resumed = mcrkit.resume(run_dir, report=False)
    assert resumed.status == full.status
    np.testing.assert_array_equal(resumed.labels, full.labels)
    np.testing.assert_array_equal(resumed.history["loss"], full.history["loss"])
    assert json.loads((run_dir / "run.json").read_text())["status"] == resumed.status
    assert not list(run_dir.glob(".*.tmp"))  # the killed write's file was replaced


def test_a_run_killed_before_its_settings_starts_again_in_its_directory(tmp_path, target,
                                                                       uninterrupted) -> None:
    from mcrkit.io.rundir import RunDirectoryError

    run_dir = tmp_path / "run"
    run_dir.mkdir()  # as a kill inside the write of the settings leaves it (the benchmark
    (run_dir / RunDirectory.TARGET).write_bytes(target.read_bytes())  # kills there for real)
    (run_dir / "run.json").write_text('{"format": "mcrkit.run", "status": "starting"}')
    (run_dir / ".run.json.tmp").write_text('{"format": "mcrkit.run"')
    with pytest.raises(RunDirectoryError, match="start it again into it"):
        mcrkit.resume(run_dir)
    again = mcrkit.reconstruct(str(target), (16, 16), run_dir=run_dir, **OPTIONS)  # no overwrite
    np.testing.assert_array_equal(again.labels, uninterrupted["lbfgs"].labels)
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(
        ["characterization.npz", "checkpoint.pt", "convergence.npz", "reconstruction.npy",
         "run.json"])


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


@pytest.mark.parametrize("extra", ["notes.txt", None])
def test_a_directory_that_is_not_a_start_is_not_replaced_silently(tmp_path, target,
                                                                  extra) -> None:
    from mcrkit.io.rundir import RunDirectoryError

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / RunDirectory.TARGET).write_bytes(target.read_bytes())  # a user's own file
    if extra:
        (run_dir / extra).write_text("mine")
    assert not RunDirectory(run_dir).stopped_while_starting()
    with pytest.raises(RunDirectoryError, match="is not empty"):
        mcrkit.reconstruct(str(target), (16, 16), run_dir=run_dir, **OPTIONS)
    assert (run_dir / RunDirectory.TARGET).read_bytes() == target.read_bytes()
