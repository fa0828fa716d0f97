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


def test_a_walltime_shorter_than_the_batch_is_survived(target, tmp_path):
    """SLURM ends the worker's job at its 1 minute walltime (at 60 to 90 s: SLURM checks
    time limits every 30 s) in the middle of a reconstruction that runs 90 s; the batch submits
    a new job and the reconstruction resumes there from its checkpoint."""
    limit = 90.0
    spec = write_spec(tmp_path, {
        "characterization": str(target), "shape": SHAPE, "seed": 5, "device": "cpu",
        "checkpoint_every": 2, "jobs": [
            {"name": "short", "max_iter": 10},
            # Adam never stops on its own: the run ends at its time limit, after the walltime
            {"name": "long", "optimizer": "adam", "max_iter": 10**9, "time_limit": limit}]})
    out = tmp_path / "runs"
    started = time.monotonic()
    stdout, stderr = finish(mcrkit_batch(
        spec, out, "--workers", "1", "--walltime", "00:01:00",
        # drop a worker 2 s (not 15) after it left: the job was ended, it will not come back
        env={"DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "2s"}))
    elapsed = time.monotonic() - started
    print(f"batch past a 1 minute walltime: {elapsed:.1f} s\n{stdout}")

    logs = job_logs(out)
    first, *others = sorted(logs, key=int)
    assert others, "no SLURM job was submitted after the first one ended"
    assert re.search(rf"JOB {first} ON \S+ CANCELLED AT \S+ DUE TO TIME LIMIT", logs[first])
    assert re.search(r"\d+ worker\(s\) ended while the batch ran \(walltime or killed\) and "
                     r"were started again", stdout)
    assert "ended (walltime reached, or killed): starting them again" in stderr
    rows = summary(out)
    short, long = rows["0000-short-sample0"], rows["0001-long-sample0"]
    assert (short["action"], short["status"]) == ("run", "max_iter")
    assert (long["action"], long["status"]) == ("resume", "stopped")  # at its time limit
    history = np.load(out / "0001-long-sample0" / "convergence.npz")
    assert history["elapsed"][-1] >= limit  # optimizing time of both sessions
    # the resumed session took less than the whole run: it went on from the checkpoint
    assert float(long["wall_s"]) < limit
    assert run_json(out, "0001-long-sample0")["iterations"] == int(long["iterations"])
    assert "2 of 2 jobs finished, 0 failed" in stdout
    assert not queued()


def test_a_killed_batch_is_finished_by_running_it_again(target, tmp_path):
    """The ``mcrkit batch`` process (and its Dask scheduler) is killed outright while a job
    runs in a SLURM job. That job's worker stops the reconstruction with a checkpoint; the
    same command again cancels the SLURM job if it is still there before it looks at the run
    directories, skips the finished job, resumes the interrupted one and runs the last; no
    SLURM job is left."""
    spec = write_spec(tmp_path, {
        "characterization": str(target), "shape": SHAPE, "seed": 21, "device": "cpu",
        "checkpoint_every": 0.2, "jobs": [
            {"name": "short", "max_iter": 10},
            {"name": "long", "optimizer": "adam", "max_iter": 400},
            {"name": "last", "max_iter": 10}]})
    out = tmp_path / "runs"
    short, long, last = (out / name for name in
                         ("0000-short-sample0", "0001-long-sample0", "0002-last-sample0"))
    checkpoint = out / (long.name + ".partial") / "checkpoint.pt"
    # one worker takes the jobs in order: kill once short is done and long checkpointed
    process = mcrkit_batch(spec, out, "--workers", "1", "--quiet")
    started = time.monotonic()
    while not (short.exists() and checkpoint.exists()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() - started < DEADLINE, "no checkpoint of the long job"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    killed_at = time.monotonic() - started
    left = queued()
    finished_before = (short / "reconstruction.npy").read_bytes()

    again = time.monotonic()
    stdout, stderr = finish(mcrkit_batch(spec, out, "--workers", "1", "--quiet"))
    rerun = time.monotonic() - again
    print(f"killed after {killed_at:.1f} s; SLURM jobs then: {left}; the same command "
          f"again: {rerun:.1f} s\n{stdout}")

    # the first run's SLURM job: its worker stopped when the scheduler was gone; the job then
    # ended by itself (its nanny gives up) or, if still there, the re-run cancelled it
    logs = job_logs(out)
    first, *_ = sorted(logs, key=int)
    assert first in left
    assert "Reason: worker-handle-scheduler-connection-broken" in logs[first]
    cancelled = re.search(rf"JOB {first} ON \S+ CANCELLED AT", logs[first]) is not None
    assert cancelled == (f"cancelled SLURM job(s) {first} of an earlier run" in stdout)
    rows = summary(out)
    assert [(row["action"], row["status"]) for row in rows.values()] == [
        ("skip", "max_iter"), ("resume", "max_iter"), ("run", "max_iter")]
    assert (short / "reconstruction.npy").read_bytes() == finished_before
    # the interrupted job went on from its checkpoint to the result of a run in one go
    seed = int(rows[long.name]["seed"])
    whole = mcrkit.reconstruct(target, SHAPE, optimizer="adam", max_iter=400, seed=seed,
                               device="cpu", threads=1)
    np.testing.assert_array_equal(np.load(long / "reconstruction.npy"), whole.labels)
    assert np.load(last / "reconstruction.npy").shape == tuple(SHAPE)
    assert not list(out.glob("*.partial"))
    assert "3 of 3 jobs finished, 0 failed" in stdout
    assert not queued()  # nothing left behind


def test_slurm_jobs_left_by_a_killed_batch_are_cancelled(tmp_path):
    """What a batch does first: cancel the SLURM jobs its earlier run recorded that SLURM
    still has, and wait until they are gone."""
    from mcrkit.batching.slurmjobs import end_jobs

    submit = ["sbatch", "--parsable", "--job-name", "mcrkit-batch", "--time", "1",
              "--output", "/dev/null", "--wrap", "sleep 120"]
    job = subprocess.run(submit, capture_output=True, text=True, check=True,
                         timeout=30).stdout.strip()
    (tmp_path / "jobs").write_text(f"{job}\n7\n")  # 7: ended long ago
    assert job in queued()
    assert end_jobs(tmp_path) == [job]
    assert job not in queued()
    assert not (tmp_path / "jobs").exists()
    assert end_jobs(tmp_path) == []
