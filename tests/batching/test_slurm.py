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
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import mcrkit
from mcrkit.batching import expand_spec

# one test process runs them all, in order (the suite runs on several: pytest -n,
# --dist loadgroup): the walltime batch started first is checked last; skipped, with the
# reason, when no SLURM answers (tests/conftest.py)
pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]

SHAPE = [24, 24]
DEADLINE = 300.0
"""Seconds a batch may take before a test gives up on it (they take 5 to 120)."""
WALLTIME_LIMIT = 90.0
"""Optimizing time of the walltime batch's long job: longer than any 1 minute SLURM job lives
(SLURM checks time limits every 30 s, so it ends such a job 60 to 90 s after its start)."""


@pytest.fixture(scope="session")
def target(tmp_path_factory) -> Path:
    """A 2D characterization (volume fractions, S2 up to 8 pixels) of a 32x32 micrograph."""
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32],
                            ["volume_fractions", "two_point"], limit_to=8)
    return c.save(tmp_path_factory.mktemp("slurm-target") / "target.npz")


def write_spec(folder: Path, spec: dict) -> Path:
    path = folder / "spec.json"
    path.write_text(json.dumps(spec))
    return path


@dataclass
class Batch:
    """``mcrkit batch SPEC -o OUTPUT --cluster slurm ...`` running in a process of its own."""

    process: subprocess.Popen
    output: Path
    log: Path
    started: float

    def finish(self, status: int = 0) -> tuple[str, str, float]:
        """Wait for it to end with exit ``status``: its stdout, stderr and wall time."""
        try:
            self.process.wait(timeout=max(1.0, self.started + DEADLINE - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"the batch did not end in {DEADLINE:.0f} s: {self.texts()}")
        elapsed = time.monotonic() - self.started
        out, err = self.texts()
        assert self.process.returncode == status, f"exit {self.process.returncode}\n{out}\n{err}"
        return out, err, elapsed

    def texts(self) -> tuple[str, str]:
        return (self.log.with_suffix(".out").read_text(),
                self.log.with_suffix(".err").read_text())

    def slurm_jobs(self) -> set[str]:
        """Ids of the SLURM jobs it submitted (their logs in OUTPUT/slurm)."""
        return set(job_logs(self.output))


def mcrkit_batch(spec: Path, output: Path, *options: str, env: dict | None = None) -> Batch:
    """Start ``mcrkit batch SPEC -o OUTPUT --cluster slurm --memory 2GB OPTIONS``."""
    command = [sys.executable, "-c", "from mcrkit.cli import main; main()", "batch",
               str(spec), "-o", str(output), "--cluster", "slurm", "--memory", "2GB",
               *options]
    log = output.parent / f"batch-{time.monotonic_ns()}"
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        process = subprocess.Popen(command, cwd=output.parent, start_new_session=True,
                                   stdout=out, stderr=err, env={**os.environ, **(env or {})})
    return Batch(process, output, log, time.monotonic())


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


@pytest.fixture(scope="session")
def walltime_batch(target, tmp_path_factory) -> Iterator[Batch]:
    """A batch of one worker in SLURM jobs with a 1 minute walltime, which its second job
    outlasts: started by the first test of the session and running beside the others on one
    of the node's two CPUs (the other SLURM tests use the other one); stopped, its SLURM
    jobs cancelled, at the end of the session if it still runs."""
    folder = tmp_path_factory.mktemp("walltime")
    spec = write_spec(folder, {
        "characterization": str(target), "shape": SHAPE, "seed": 5, "device": "cpu",
        "checkpoint_every": 2, "jobs": [
            {"name": "short", "max_iter": 10},
            # Adam never stops on its own: the run ends at its time limit, after the walltime
            {"name": "long", "optimizer": "adam", "max_iter": 10**9,
             "time_limit": WALLTIME_LIMIT}]})
    batch = mcrkit_batch(
        spec, folder / "runs", "--workers", "1", "--walltime", "00:01:00",
        # beside the suite: the worker yields the CPU to the other tests (its long job ends
        # after 90 s of wall time, whatever its share; a slow start costs it one more walltime)
        "--prologue", "renice -n 5 -p $$ >/dev/null",
        # drop a worker 2 s (not 15) after it left: its job was ended, it will not come back;
        # on a slow machine the long job may be cut by more walltimes than Dask's usual 3
        env={"DASK_DISTRIBUTED__DEPLOY__LOST_WORKER_TIMEOUT": "2s",
             "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "10"})
    yield batch
    if batch.process.poll() is None:
        batch.process.terminate()  # as Ctrl-C: the batch cancels its SLURM jobs
        batch.process.wait(timeout=120)


@pytest.mark.first
def test_a_walltime_batch_submits_its_worker_through_sbatch(walltime_batch):
    """Started first, so that its minutes pass beside the rest of the suite."""
    deadline = time.monotonic() + 60
    while not (walltime_batch.slurm_jobs() & set(queued())):
        assert walltime_batch.process.poll() is None, walltime_batch.texts()
        assert time.monotonic() < deadline, "no SLURM job of the batch after 60 s"
        time.sleep(0.2)


def test_a_batch_runs_in_slurm_jobs_with_every_result_right(target, tmp_path):
    spec = write_spec(tmp_path, {"characterization": str(target), "shape": SHAPE, "seed": 8,
                                 "device": "cpu", "n_samples": 2,
                                 "grid": {"max_iter": [10, 25]}})
    batch = mcrkit_batch(spec, tmp_path / "runs", "--workers", "1", "--quiet")
    seen: set[tuple[str, str]] = set()  # (SLURM job id, state) of every job seen
    while batch.process.poll() is None and time.monotonic() - batch.started < DEADLINE:
        seen.update(queued().items())
        time.sleep(0.1)
    stdout, _, elapsed = batch.finish()
    print(f"batch of 4 jobs on SLURM: {elapsed:.1f} s\n{stdout}")

    # the worker ran in a SLURM job: listed by squeue while running, logged in OUTPUT/slurm
    out = batch.output
    logs = job_logs(out)
    assert len(logs) == 1
    assert {job for job, state in seen if state == "RUNNING"} >= set(logs)
    assert all("Start worker at:" in text for text in logs.values())
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
    first = mcrkit_batch(spec, out, "--workers", "1", "--quiet")
    while not (short.exists() and checkpoint.exists()):
        assert first.process.poll() is None, first.texts()
        assert time.monotonic() - first.started < DEADLINE, "no checkpoint of the long job"
        time.sleep(0.02)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    killed_at = time.monotonic() - first.started
    (orphan,) = first.slurm_jobs()
    left = {job: state for job, state in queued().items() if job == orphan}
    finished_before = (short / "reconstruction.npy").read_bytes()

    stdout, _, rerun = mcrkit_batch(spec, out, "--workers", "1", "--quiet").finish()
    print(f"killed after {killed_at:.1f} s; its SLURM job(s) then: {left}; the same command "
          f"again: {rerun:.1f} s\n{stdout}")

    # the killed run's SLURM job: its worker stopped when the scheduler was gone; the job then
    # ended by itself (its nanny gives up) or, if still there, the re-run cancelled it
    logs = job_logs(out)
    assert left[orphan] in ("RUNNING", "COMPLETING")  # the batch is gone, its SLURM job not
    assert "Reason: worker-handle-scheduler-connection-broken" in logs[orphan]
    cancelled = re.search(rf"JOB {orphan} ON \S+ CANCELLED AT", logs[orphan]) is not None
    assert cancelled == (f"cancelled SLURM job(s) {orphan} of an earlier run" in stdout)
    rows = summary(out)
    assert [(row["action"], row["status"]) for row in rows.values()] == [
        ("skip", "max_iter"), ("resume", "max_iter"), ("run", "max_iter")]
    assert (short / "reconstruction.npy").read_bytes() == finished_before
    # the interrupted job went on from its checkpoint to the result of a run in one go
    whole = mcrkit.reconstruct(target, SHAPE, optimizer="adam", max_iter=400,
                               seed=int(rows[long.name]["seed"]), device="cpu", threads=1)
    np.testing.assert_array_equal(np.load(long / "reconstruction.npy"), whole.labels)
    assert np.load(last / "reconstruction.npy").shape == tuple(SHAPE)
    assert not list(out.glob("*.partial"))
    assert "3 of 3 jobs finished, 0 failed" in stdout
    assert not set(queued()) & set(logs)  # nothing left behind


def test_a_terminated_batch_cancels_its_slurm_jobs(target, tmp_path):
    """SIGTERM (``kill``, or the walltime of a SLURM job running ``mcrkit batch``) stops a
    batch as Ctrl-C does: its SLURM jobs are cancelled before it exits."""
    spec = write_spec(tmp_path, {
        "characterization": str(target), "shape": SHAPE, "seed": 2, "device": "cpu",
        "checkpoint_every": 0.2, "optimizer": "adam", "max_iter": 10**9, "time_limit": 600})
    batch = mcrkit_batch(spec, tmp_path / "runs", "--workers", "1", "--quiet")
    checkpoint = batch.output / "0000-sample0.partial" / "checkpoint.pt"
    while not checkpoint.exists():
        assert batch.process.poll() is None, batch.texts()
        assert time.monotonic() - batch.started < DEADLINE, "the job did not start"
        time.sleep(0.05)
    (job,) = batch.slurm_jobs()
    assert queued()[job] == "RUNNING"
    batch.process.terminate()
    _, stderr, _ = batch.finish(status=130)
    assert "interrupted; finished jobs are kept" in stderr
    assert job not in queued()
    assert not (batch.output / "slurm" / "jobs").exists()
    assert re.search(rf"JOB {job} ON \S+ CANCELLED AT", job_logs(batch.output)[job])


def test_slurm_jobs_left_by_a_killed_batch_are_cancelled(tmp_path):
    """What a batch does first: cancel the SLURM jobs its earlier run recorded that SLURM
    still has, and wait until they are gone."""
    from mcrkit.batching.slurmjobs import end_jobs

    submit = ["sbatch", "--parsable", "--job-name", "mcrkit-batch", "--time", "1",
              "--output", "/dev/null", "--wrap", "sleep 120"]
    ended, job = (subprocess.run(submit, capture_output=True, text=True, check=True,
                                 timeout=30).stdout.strip() for _ in range(2))
    subprocess.run(["scancel", ended], check=True, timeout=30)
    deadline = time.monotonic() + 120  # only a guard against a hang
    while ended in queued() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ended not in queued()
    (tmp_path / "jobs").write_text(f"{job}\n{ended}\n")  # a recorded job already gone
    assert job in queued()
    assert end_jobs(tmp_path) == [job]
    assert job not in queued()
    assert not (tmp_path / "jobs").exists()
    assert end_jobs(tmp_path) == []


@pytest.mark.last
def test_a_walltime_shorter_than_the_batch_is_survived(walltime_batch):
    """SLURM ends the worker's job at its 1 minute walltime in the middle of a reconstruction
    that runs 90 s; the batch submits a new job and the reconstruction resumes there from its
    checkpoint. Checked last: the batch has run beside the rest of the suite."""
    waited = time.monotonic()
    stdout, stderr, elapsed = walltime_batch.finish()
    print(f"batch past a 1 minute walltime: {elapsed:.1f} s (waited for here: "
          f"{time.monotonic() - waited:.1f} s)\n{stdout}")

    out = walltime_batch.output
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
    assert history["elapsed"][-1] >= WALLTIME_LIMIT  # optimizing time of both sessions
    # the resumed session took less than the whole run: it went on from the checkpoint
    assert float(long["wall_s"]) < WALLTIME_LIMIT
    assert run_json(out, "0001-long-sample0")["iterations"] == int(long["iterations"])
    assert "2 of 2 jobs finished, 0 failed" in stdout
    assert not set(queued()) & set(logs)
