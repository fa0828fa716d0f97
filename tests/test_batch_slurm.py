"""Batch runs on a real SLURM: the single-node one ``.ci/slurm-up`` starts on this machine.

``mcrkit batch --cluster slurm`` submits its workers with sbatch; these tests check that
they ran as SLURM jobs, that every result and the summary are right, that a walltime shorter
than the batch is survived (SLURM kills the workers, new jobs are submitted, the cut
reconstructions resume from their checkpoints), and that a batch whose process is killed
outright is finished by running the same command again, with no SLURM job left behind.
Skipped, with the reason, when no SLURM answers with this machine as an idle node.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mcrkit
from mcrkit.batching import expand_spec


def _slurm_unavailable() -> str | None:
    """Why the SLURM tests cannot run here, or None."""
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "no SLURM commands (sbatch, sinfo): start a test SLURM with .ci/slurm-up"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--Node", "--format", "%N %T %c"],
                              capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer in 15 s"
    if done.returncode != 0:
        return f"SLURM does not answer ({done.stderr.strip()}): start it with .ci/slurm-up"
    here = socket.gethostname().split(".")[0]
    nodes = [line.split() for line in done.stdout.splitlines()]
    if not any(name == here and state == "idle" and int(cpus) >= 2
               for name, state, cpus in nodes):
        return (f"SLURM has no idle node {here} (this machine, whose file system the jobs "
                f"share) with 2 CPUs: sinfo lists {nodes}")
    return None


UNAVAILABLE = _slurm_unavailable()
pytestmark = [pytest.mark.slurm, pytest.mark.skipif(UNAVAILABLE is not None,
                                                    reason=str(UNAVAILABLE))]

SHAPE = [24, 24]
DEADLINE = 300.0
"""Seconds a batch may take before a test gives up on it (they take 5 to 120)."""


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    """A 2D characterization (volume fractions, S2 up to 8 pixels) of a 32x32 micrograph."""
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32],
                            ["volume_fractions", "two_point"], limit_to=8)
    return c.save(tmp_path_factory.mktemp("slurm-target") / "target.npz")


def write_spec(folder: Path, spec: dict) -> Path:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    return path


def mcrkit_batch(spec: Path, output: Path, *options: str, env: dict | None = None,
                 ) -> subprocess.Popen:
    """``mcrkit batch SPEC -o OUTPUT --cluster slurm OPTIONS`` in a process of its own."""
    command = [sys.executable, "-c", "from mcrkit.cli import main; main()", "batch",
               str(spec), "-o", str(output), "--cluster", "slurm", "--memory", "2GB",
               *options]
    return subprocess.Popen(command, cwd=output.parent, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def finish(process: subprocess.Popen, watch=None) -> tuple[str, str]:
    """Wait for a batch (calling ``watch()`` meanwhile); its stdout and stderr."""
    deadline = time.monotonic() + DEADLINE
    while process.poll() is None:
        if watch is not None:
            watch()
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the batch did not end in {DEADLINE:.0f} s: {process.communicate()}")
        time.sleep(0.1)
    out, err = process.communicate()
    assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
    return out, err


def queued() -> dict[str, str]:
    """This user's mcrkit-batch SLURM jobs: id -> state (PENDING, RUNNING, COMPLETING)."""
    out = subprocess.run(["squeue", "--noheader", "--me", "--name", "mcrkit-batch",
                          "--format", "%i %T"], capture_output=True, text=True, check=True,
                         timeout=15).stdout
    return dict(line.split() for line in out.splitlines())


def job_logs(output: Path) -> dict[str, str]:
    """The SLURM jobs' outputs in OUTPUT/slurm: job id -> text."""
    return {re.fullmatch(r"mcrkit-batch-(\d+)\.out", p.name).group(1): p.read_text()
            for p in (output / "slurm").glob("mcrkit-batch-*.out")}


def summary(output: Path) -> dict[str, dict[str, str]]:
    with open(output / "summary.csv", newline="") as fh:
        return {row["job"]: row for row in csv.DictReader(fh)}


def run_json(output: Path, name: str) -> dict:
    return json.loads((output / name / "run.json").read_text())


def test_a_batch_runs_in_slurm_jobs_with_every_result_right(target, tmp_path):
    spec = write_spec(tmp_path, {"characterization": str(target), "shape": SHAPE, "seed": 8,
                                 "device": "cpu", "n_samples": 2,
                                 "grid": {"max_iter": [10, 25]}})
    out = tmp_path / "runs"
    seen: set[tuple[str, str]] = set()  # (SLURM job id, state)
    started = time.monotonic()
    stdout, stderr = finish(mcrkit_batch(spec, out, "--workers", "2", "--quiet"),
                            watch=lambda: seen.update(queued().items()))
    elapsed = time.monotonic() - started
    print(f"batch of 4 jobs on SLURM: {elapsed:.1f} s\n{stdout}")

    # the workers ran in SLURM jobs: listed by squeue while running, logged in OUTPUT/slurm
    logs = job_logs(out)
    assert len(logs) == 2, logs.keys()
    assert {job for job, state in seen if state == "RUNNING"} == set(logs)
    for text in logs.values():
        assert "distributed.worker - INFO - Start worker" in text
    assert not set(queued()) & set(logs)  # cancelled at the end
    assert not (out / "slurm" / "jobs").exists()

    jobs, _ = expand_spec(spec)
    rows = summary(out)
    assert list(rows) == [job.name for job in jobs]
    assert "4 of 4 jobs finished, 0 failed" in stdout
    for job in jobs:
        row, run = rows[job.name], run_json(out, job.name)
        assert int(row["seed"]) == job.seed == run["settings"]["seed"]
        assert (row["action"], row["status"], run["status"]) == ("run", "max_iter", "max_iter")
        assert int(row["iterations"]) == run["iterations"] == job.settings["max_iter"]
        assert float(row["error_two_point"]) == pytest.approx(run["errors"]["two_point"],
                                                              rel=1e-4)
        # the same reconstruction here, with the job's seed: the same structure
        alone = mcrkit.reconstruct(target, SHAPE, max_iter=job.settings["max_iter"],
                                   seed=job.seed, device="cpu", threads=1)
        np.testing.assert_array_equal(np.load(out / job.name / "reconstruction.npy"),
                                      alone.labels)
