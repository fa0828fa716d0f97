"""Tests for batch ensembles: SPEC expansion, seeds, names, runs on Dask, kill and resume,
failures, the SLURM job script."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

import mcrkit
from mcrkit.batching import Job, SlurmOptions, batch, expand_spec, load_spec, slurm_cluster
from mcrkit.batching.spec import job_seed
from mcrkit.cli import app

SHAPE = [8, 8, 8]
PATIENCE = 300.0
"""Seconds a test waits for something that must happen: a guard against a hang, never a speed
limit (every wait ends as soon as the thing happens)."""


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in {PATIENCE:.0f} s"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """A small 2D characterization file (S2 and lineal path up to 4 pixels)."""
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32],
                            ["volume_fractions", "two_point", "lineal_path"], limit_to=4)
    return c.save(tmp_path_factory.mktemp("target") / "target.npz")


@pytest.fixture(scope="module")
def client():
    """One two-worker local cluster shared by the in-process tests, which form one group
    (:data:`ON_THE_SHARED_CLUSTER`): one test process starts it, once, and they run one after
    the other (each test process would start a cluster of its own, and an idle cluster still
    costs CPU)."""
    from mcrkit.batching.clusters import close, connect

    client, cluster = connect(workers=2)
    yield client
    close(client, cluster)


ON_THE_SHARED_CLUSTER = pytest.mark.xdist_group("dask-cluster")


def summary(path: Path) -> dict[str, dict[str, str]]:
    with open(path / "summary.csv", newline="") as fh:
        return {row["job"]: row for row in csv.DictReader(fh)}


# ---- SPEC ----------------------------------------------------------------------------
def test_grid_and_samples_expand_in_sample_order_with_distinct_seeds(target):
    spec = {"characterization": str(target), "shape": SHAPE, "seed": 3, "n_samples": 3,
            "grid": {"max_iter": [5, 10], "loss": ["mse", "rms"]}}
    jobs, base = expand_spec(spec)
    assert base == 3
    assert len(jobs) == 12
    assert [j.name for j in jobs[:4]] == [
        "0000-max_iter=5-loss=mse-sample0", "0001-max_iter=5-loss=rms-sample0",
        "0002-max_iter=10-loss=mse-sample0", "0003-max_iter=10-loss=rms-sample0"]
    assert jobs[4].name == "0004-max_iter=5-loss=mse-sample1"
    assert len({j.seed for j in jobs}) == 12
    assert jobs[5].settings == {"characterization": str(target), "shape": SHAPE,
                                "max_iter": 5, "loss": "rms"}
    assert jobs[5].parameters == {"max_iter": 5, "loss": "rms"}
    # the seed of a job is SeedSequence(base, spawn_key=(combination, sample)), reproducibly
    spawned = np.random.SeedSequence(3).spawn(4)[1].spawn(3)[1]
    assert jobs[5].seed == int(spawned.generate_state(1, np.uint64)[0] >> 1) == job_seed(3, 1, 1)
    again, _ = expand_spec(spec)
    assert again == jobs


def test_more_samples_keep_existing_names_and_seeds(target):
    spec = {"characterization": str(target), "shape": SHAPE, "grid": {"max_iter": [5, 10]}}
    few, base = expand_spec(spec, n_samples=2)
    many, _ = expand_spec({**spec, "n_samples": 2}, base_seed=base, n_samples=5)
    assert many[:4] == few
    assert len({j.name for j in many}) == len({j.seed for j in many}) == 10


def test_spec_files_in_yaml_and_json_read_alike_with_paths_relative_to_the_file(target,
                                                                                tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "t.npz").write_bytes(target.read_bytes())
    (folder / "spec.yaml").write_text(
        "characterization: t.npz\nshape: [8, 8, 8]\nmax-iter: 5\nseed: 9\n"
        "jobs:\n  - name: short\n    max_iter: 3\n  - {}\n")
    (folder / "spec.json").write_text(json.dumps(
        {"characterization": "t.npz", "shape": [8, 8, 8], "max-iter": 5, "seed": 9,
         "jobs": [{"name": "short", "max_iter": 3}, {}]}))
    from_yaml, _ = expand_spec(folder / "spec.yaml")
    from_json, _ = expand_spec(str(folder / "spec.json"))
    assert load_spec(folder / "spec.yaml") == load_spec(folder / "spec.json")
    assert from_yaml == from_json
    assert [j.name for j in from_yaml] == ["0000-short-sample0", "0001-max_iter=5-sample0"]
    assert from_yaml[0].settings["characterization"] == str((folder / "t.npz").resolve())
    assert from_yaml[0].settings["max_iter"] == 3


def test_explicit_seeds_are_used_as_given(target):
    jobs, _ = expand_spec({"characterization": str(target), "shape": SHAPE,
                           "grid": {"seed": [17, 4]}})
    assert [(j.name, j.seed) for j in jobs] == [("0000-seed=17-sample0", 17),
                                                ("0001-seed=4-sample0", 4)]
    assert "seed" not in jobs[0].settings


def test_interpolation_steps_form_a_grid_axis(target):
    jobs, _ = expand_spec({"interpolate": [str(target), str(target)], "n_steps": 3,
                           "shape": SHAPE, "seed": 0, "n_samples": 2})
    assert [j.name for j in jobs] == ["0000-step=0-sample0", "0001-step=1-sample0",
                                      "0002-step=2-sample0", "0003-step=0-sample1",
                                      "0004-step=1-sample1", "0005-step=2-sample1"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"shape": SHAPE}, "needs exactly one of characterization, microstructure, interpolate"),
    ({"characterization": "T", "shape": SHAPE, "max_iters": 5},
     r"unknown setting\(s\) max_iters .*valid settings: .*max_iter"),
    ({"characterization": "T", "shape": SHAPE, "threads": 2}, "the batch sets these itself"),
    ({"characterization": "T"}, "needs shape"),
    ({"characterization": "missing.npz", "shape": SHAPE}, "missing.npz not found"),
    ({"characterization": "T", "shape": SHAPE, "grid": {"max_iter": 5}},
     "grid entry 'max_iter' must be a non-empty list"),
    ({"characterization": "T", "shape": SHAPE, "n_samples": 0}, "n_samples must be a positive"),
    ({"characterization": "T", "shape": SHAPE, "n_samples": 2, "jobs": [{"seed": 4}]},
     "every sample would repeat that seed"),
    ({"interpolate": ["T", "T"], "shape": SHAPE}, "interpolate needs n_steps"),
])
def test_bad_specs_are_refused_with_the_reason(target, spec, message):
    spec = json.loads(json.dumps(spec).replace('"T"', json.dumps(str(target))))
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        expand_spec(spec)


def test_unreadable_spec_files_name_the_file(tmp_path):
    bad = tmp_path / "spec.json"
    bad.write_text("{nope")
    with pytest.raises(ValueError, match="spec.json: is not valid JSON"):
        load_spec(bad)
    with pytest.raises(ValueError, match="a .json, .yaml or .yml file"):
        load_spec(tmp_path / "spec.txt")


# ---- runs -----------------------------------------------------------------------------
@ON_THE_SHARED_CLUSTER
def test_kill_after_first_results_then_rerun_skips_finished_and_resumes(target, tmp_path,
                                                                        client):
    """Acceptance: 4 tiny 3D jobs on 2 workers (``mcrkit batch`` in a process of its own),
    killed after the first result, run again (on the shared two-worker cluster)."""
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "characterization": str(target), "shape": SHAPE, "seed": 11, "device": "cpu",
        "checkpoint_every": 0, "n_samples": 2, "grid": {"max_iter": [10, 80]}}))
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from mcrkit.cli import main; main()", "batch", str(spec),
               "-o", str(out), "--workers", "2", "--quiet"]

    def finished() -> list[Path]:
        return [p for p in out.glob("0*") if not p.name.endswith(".partial")]

    def checkpointed() -> list[Path]:
        return [p for p in out.glob("*.partial") if (p / "checkpoint.pt").exists()]

    with subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as process:
        def first_results() -> bool:
            assert process.poll() is None, process.stderr.read().decode()
            return bool(finished() and checkpointed())

        try:
            _wait_until(first_results, "a finished job beside a checkpointed one")
        finally:
            os.killpg(process.pid, signal.SIGKILL)  # the batch, its cluster and its workers
    finished_before = {p.name: (p / "reconstruction.npy").read_bytes() for p in finished()}
    interrupted = {p.name.removesuffix(".partial") for p in checkpointed()}
    assert finished_before and interrupted
    assert len(finished_before) < 4

    rerun = batch(spec, out, client=client)
    rows = summary(out)
    assert len(rows) == 4
    for name, row in rows.items():
        run_json = json.loads((out / name / "run.json").read_text())
        assert int(row["seed"]) == run_json["settings"]["seed"]
        assert row["status"] == run_json["status"] == "max_iter"
        assert (out / name / "reconstruction.npy").exists()
        assert row["action"] == ("skip" if name in finished_before else
                                 "resume" if name in interrupted else "run")
        if name in finished_before:  # untouched by the re-run
            assert (out / name / "reconstruction.npy").read_bytes() == finished_before[name]
    assert len({row["seed"] for row in rows.values()}) == 4
    assert not list(out.glob("*.partial"))
    assert "4 of 4 jobs finished, 0 failed" in str(rerun)
    # a resumed job continued exactly where it stopped: same result as a run in one go
    name = sorted(interrupted)[0]
    resumed = json.loads((out / name / "run.json").read_text())
    max_iter = resumed["settings"]["max_iter"]
    assert resumed["iterations"] == max_iter
    whole = mcrkit.reconstruct(target, SHAPE, max_iter=max_iter,
                               seed=resumed["settings"]["seed"], device="cpu", threads=1)
    np.testing.assert_array_equal(np.load(out / name / "reconstruction.npy"), whole.labels)


@ON_THE_SHARED_CLUSTER
def test_a_job_with_a_bad_setting_fails_alone(target, tmp_path, client):
    jobs = {"characterization": str(target), "shape": SHAPE, "max_iter": 5, "seed": 2,
            "device": "cpu", "jobs": [{}, {"optimizer": "nope"}, {"multigrid": 7}]}
    result = batch(jobs, tmp_path / "out", client=client)
    assert [row["status"] for row in result.rows] == ["max_iter", "failed", "failed"]
    assert [row["job"] for row in result.failed] == ["0001-optimizer=nope-sample0",
                                                     "0002-multigrid=7-sample0"]
    assert "unknown optimizer 'nope'" in result.rows[1]["error"]
    assert "multigrid" in result.rows[2]["error"]
    rows = summary(result.output)
    assert rows["0001-optimizer=nope-sample0"]["status"] == "failed"
    assert "unknown optimizer 'nope'" in rows["0001-optimizer=nope-sample0"]["message"]
    assert rows["0000-sample0"]["status"] == "max_iter"
    assert float(rows["0000-sample0"]["error_two_point"]) == pytest.approx(
        result.rows[0]["errors"]["two_point"], rel=1e-4)
    assert sorted(p.name for p in result.output.iterdir()) == [
        "0000-sample0", "batch.json", "summary.csv"]  # failed jobs leave no directories
    assert "1 of 3 jobs finished, 2 failed" in str(result)


@ON_THE_SHARED_CLUSTER
def test_match_jobs_and_interpolation_steps_run_with_their_seeds(target, tmp_path, client):
    ms = mcrkit.data.path("pymks_ms_64x64_1")
    spec = {"seed": 5, "max_iter": 5, "device": "cpu",
            "jobs": [{"microstructure": f"{ms}", "shape": [16, 16], "limit_to": 4},
                     {"interpolate": [str(target), str(target)], "n_steps": 2, "step": 1,
                      "shape": SHAPE}]}
    result = batch(spec, tmp_path / "out", client=client)
    assert [row["status"] for row in result.rows] == ["max_iter", "max_iter"], result.rows
    for row in result.rows:
        run = json.loads((Path(row["run_dir"]) / "run.json").read_text())
        assert run["settings"]["seed"] == row["seed"]
    first = json.loads((Path(result.rows[0]["run_dir"]) / "run.json").read_text())
    assert "comparison" in first  # match compared the result with the input
    recorded = json.loads((result.output / "batch.json").read_text())
    assert recorded["base_seed"] == 5
    assert [j["seed"] for j in recorded["jobs"].values()] == [r["seed"] for r in result.rows]
    # the same batch again: nothing to run, so no cluster is needed
    again = batch(spec, tmp_path / "out")
    assert [row["action"] for row in again.rows] == ["skip", "skip"]


def _thread_settings() -> dict[str, str]:
    return {name: os.environ[name] for name in
            ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")}


def test_local_workers_fit_the_cores_this_process_may_use(monkeypatch):
    from mcrkit.batching.clusters import default_workers

    monkeypatch.setattr(os, "cpu_count", lambda: 128)  # the node; the allocation has 4 cores
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert (default_workers(1), default_workers(2), default_workers(8)) == (4, 2, 1)


@ON_THE_SHARED_CLUSTER
def test_local_workers_run_one_task_each_with_one_thread(client):
    assert list(client.nthreads().values()) == [1, 1]
    for settings in client.run(_thread_settings).values():
        assert set(settings.values()) == {"1"}


def test_workers_that_end_are_started_again(target, tmp_path):
    """A SLURM job at its walltime takes its workers with it and Dask does not replace them:
    here the only worker of a local cluster has ended, and the cluster has dropped it, before
    the jobs run; the batch starts it again and finishes instead of waiting forever."""
    import logging
    import threading

    import dask
    from distributed import Client, LocalCluster

    spec = {"characterization": str(target), "shape": SHAPE, "max_iter": 3, "seed": 6,
            "device": "cpu", "n_samples": 2}
    outcome = {}
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "0.2s"}):
        # a worker in this process: the batch starts it again alike, without a process start
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        try:
            client.retire_workers(close_workers=True)  # the job hosting the worker ended
            _wait_until(lambda: len(cluster.workers) < len(cluster.worker_spec),
                        "dropping the ended worker")
            runner = threading.Thread(target=lambda: outcome.update(
                result=batch(spec, tmp_path / "out", client=client)), daemon=True)
            runner.start()
            runner.join(timeout=PATIENCE)
            assert not runner.is_alive(), "the batch waits forever for workers"
        finally:
            client.close()
            cluster.close()
    assert [row["status"] for row in outcome["result"].rows] == ["max_iter", "max_iter"]


def test_a_failing_job_keeps_the_warnings_it_gave(tmp_path):
    from mcrkit.batching import jobs

    thin = tmp_path / "thin.npy"  # a 2D image saved with a trailing axis: warned, then refused
    np.save(thin, mcrkit.data.load("pymks_ms_64x64_1")[:16, :16, None])
    job = Job(name="a", seed=1, settings={"microstructure": str(thin), "shape": [16, 16],
                                          "limit_to": 4})
    row = jobs.run_job(job, str(tmp_path / "out"))
    assert row["status"] == "failed"
    assert row["error"].startswith("ValueError: two_point: images of shape (16, 1) are too thin")
    assert row["warnings"] == [f"{thin}: shape (16, 16, 1) has a singleton axis and is treated "
                               "as 3D; for a 2D microstructure pass a.squeeze()"]


def test_a_job_stops_with_a_checkpoint_when_its_worker_closes_and_resumes_exactly(
        target, tmp_path, monkeypatch):
    """A worker whose scheduler is gone (the batch process killed) closes: its job stops at
    the next iteration with a checkpoint, and the next run resumes it to the result of a run
    in one go."""
    import distributed

    from mcrkit.batching import jobs

    class Worker:  # closing from the 6th iteration on
        checks = 0

        @property
        def status(self):
            self.checks += 1
            return SimpleNamespace(name="running" if self.checks <= 5 else "closing")

    job = Job(name="a", seed=4, settings={"characterization": str(target), "shape": SHAPE,
                                          "max_iter": 15, "device": "cpu"})
    monkeypatch.setattr(distributed, "get_worker", Worker)
    stopped = jobs.run_job(job, str(tmp_path))
    assert (stopped["action"], stopped["status"], stopped["iterations"]) == (
        "run", "interrupted", 6)
    assert (tmp_path / "a.partial" / "checkpoint.pt").exists()
    assert jobs.next_action(job, tmp_path) == "resume"
    monkeypatch.undo()  # not in a worker any more
    resumed = jobs.run_job(job, str(tmp_path))
    assert (resumed["action"], resumed["status"], resumed["iterations"]) == (
        "resume", "max_iter", 15)
    whole = mcrkit.reconstruct(target, SHAPE, max_iter=15, seed=4, device="cpu", threads=1)
    np.testing.assert_array_equal(np.load(tmp_path / "a" / "reconstruction.npy"), whole.labels)


def test_a_resume_that_fails_says_how_to_start_afresh(target, tmp_path):
    from mcrkit.batching import jobs

    job = Job(name="a", seed=1, settings={"characterization": str(target), "shape": SHAPE})
    partial = tmp_path / "a.partial"
    partial.mkdir()
    (partial / "checkpoint.pt").write_text("cut off while copied")
    row = jobs.run_job(job, str(tmp_path))
    assert (row["action"], row["status"]) == ("resume", "failed")
    assert row["error"].endswith(f"; to start this job afresh, delete {partial}")


def test_a_failed_task_names_a_dead_worker_only_when_one_died():
    from distributed import KilledWorker

    from mcrkit.batching.run import _row

    class Failed:
        status = "error"

        def __init__(self, exc):
            self.exc = exc

        def exception(self):
            return self.exc

    job = Job(name="a", seed=1, settings={})
    worker = SimpleNamespace(address="tcp://10.0.0.7:40000")
    killed = _row(Failed(KilledWorker("mcrkit-a", worker, 3)), job)
    assert killed["status"] == "failed" and "the worker running it died" in killed["error"]
    raised = _row(Failed(OSError("a.partial: directory not empty")), job)
    assert raised["error"] == "OSError: a.partial: directory not empty"


def test_workers_running_several_jobs_at_once_are_warned_about(target, tmp_path):
    import logging

    from distributed import Client, LocalCluster

    spec = {"characterization": str(target), "shape": SHAPE, "max_iter": 2, "seed": 3,
            "device": "cpu"}
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client, \
            pytest.warns(RuntimeWarning, match=r"1 Dask worker\(s\) run up to 2 jobs at once"):
        result = batch(spec, tmp_path / "out", client=client)
    assert [row["status"] for row in result.rows] == ["max_iter"]


def test_a_changed_spec_is_refused_in_the_same_directory(target, tmp_path):
    spec = {"characterization": str(target), "shape": SHAPE, "max_iter": 3, "seed": 1}
    jobs, base = expand_spec(spec)
    out = tmp_path / "out"
    out.mkdir()
    (out / "batch.json").write_text(json.dumps({
        "format": "mcrkit.batch", "format_version": 1, "base_seed": base,
        "jobs": {jobs[0].name: {**jobs[0].describe(), "seed": 99}}}))
    with pytest.raises(ValueError, match="ran there earlier with other settings or seed"):
        batch(spec, out)


def test_jobs_given_as_a_list_need_distinct_names(target, tmp_path):
    job = Job(name="a", seed=1, settings={"characterization": str(target), "shape": SHAPE})
    with pytest.raises(ValueError, match="every job of a batch needs its own name"):
        batch([job, job], tmp_path)


# ---- SLURM and the command line -------------------------------------------------------
def test_slurm_job_script_has_the_documented_directives():
    options = SlurmOptions(memory="16GB", walltime="02:00:00", processes=4, queue="compute",
                           account="matsci", job_extra=["--constraint=skylake"],
                           prologue=["module load python/3.11"])
    cluster = slurm_cluster(options, threads_per_worker=2)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ["#SBATCH -J mcrkit-batch", "#SBATCH -p compute", "#SBATCH -A matsci",
                 "#SBATCH --cpus-per-task=8", "#SBATCH -t 02:00:00",
                 "#SBATCH --constraint=skylake", "module load python/3.11",
                 "export OMP_NUM_THREADS=2", "export NUMBA_NUM_THREADS=2"]:
        assert line in script, script
    assert "--nworkers 4" in script and "--nthreads 1" in script
    assert "#SBATCH --mem=15G" in script


def test_the_documented_slurm_command_renders_the_documented_job_script(target, tmp_path,
                                                                       monkeypatch):
    """docs/cluster.md: its SLURM command (by user me), with --job-script, prints its job
    script; with --dry-run, the jobs and that script."""
    text = (Path(__file__).parents[2] / "docs" / "cluster.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    command = next(b for b in blocks if "--cluster slurm" in b)
    documented = next(b for b in blocks if b.startswith("#!/usr/bin/env bash"))
    args = shlex.split(command.replace("\\\n", " ").replace("$USER", "me"))
    assert args[:2] == ["mcrkit", "batch"]
    result = CliRunner().invoke(app, [*args[1:], "--job-script"])
    assert result.exit_code == 0, result.output
    *lines, worker = result.output.strip().splitlines()
    *expected, documented_worker = documented.strip().splitlines()
    assert lines == expected
    assert "#SBATCH --cpus-per-task=16" in lines and "export OMP_NUM_THREADS=4" in lines
    tail = "--nthreads 1 --memory-limit 7.45GiB --nworkers 4 --nanny --death-timeout 60"
    assert worker.endswith(tail) and documented_worker.endswith(tail)
    assert "#SBATCH --output=/scratch/me/study-runs/slurm/%x-%j.out" in lines
    monkeypatch.chdir(tmp_path)  # a study.yaml of two jobs
    Path("study.yaml").write_text(f"characterization: {target}\nshape: [8, 8, 8]\nseed: 1\n"
                                  "n_samples: 2\n")
    dry = CliRunner().invoke(app, [*args[1:], "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.strip().splitlines()[-len(lines) - 1:-1] == lines
    assert "SLURM job script (4 such job(s), 4 worker(s) each):" in dry.stderr
    assert not Path("/scratch/me").exists()  # nothing written


def test_dry_run_lists_jobs_with_what_a_run_would_do(target, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"characterization": str(target), "shape": SHAPE, "seed": 4,
                                "n_samples": 3}))
    out = tmp_path / "out"
    (out / "0000-sample0").mkdir(parents=True)  # finished
    (out / "0001-sample1.partial").mkdir()  # interrupted after a checkpoint
    (out / "0001-sample1.partial" / "checkpoint.pt").touch()
    (out / "0002-sample2.partial").mkdir()  # stopped before its first checkpoint
    result = CliRunner().invoke(app, ["batch", str(spec), "-o", str(out), "--dry-run"])
    assert result.exit_code == 0, result.output
    jobs, _ = expand_spec(spec)
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["0000-sample0", "seed", str(jobs[0].seed), "skip"],
        ["0001-sample1", "seed", str(jobs[1].seed), "resume"],
        ["0002-sample2", "seed", str(jobs[2].seed), "run"]]
    assert "3 jobs: 1 to run, 1 to resume, 1 finished" in result.stderr
    assert "drawn for this listing only" not in result.stderr  # the SPEC sets its seed
    assert not (out / "batch.json").exists()  # nothing written
    spec.write_text(json.dumps({"characterization": str(target), "shape": SHAPE}))
    result = CliRunner().invoke(app, ["batch", str(spec), "-o", str(out), "--dry-run"])
    assert "seeds were drawn for this listing only" in result.stderr
    assert "add 'seed: N' to the SPEC" in result.stderr


@pytest.mark.parametrize(("args", "message", "code"), [
    (["--scheduler", "tcp://x:1", "--cluster", "slurm"], "either --scheduler", 2),
    (["--job-script"], "--job-script shows the job script of --cluster slurm", 2),
    (["--cluster", "pbs"], "cluster must be 'local' or 'slurm'", 1),
    (["--workers", "0"], "workers must be a positive integer, got 0", 1),
    (["--threads-per-worker", "0"], "threads_per_worker must be a positive integer, got 0", 1),
])
def test_cli_refuses_contradictory_options(target, tmp_path, args, message, code):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"characterization": str(target), "shape": SHAPE}))
    result = CliRunner().invoke(app, ["batch", str(spec), "-o", str(tmp_path / "o"), *args])
    assert result.exit_code == code
    assert message in result.output
    assert not (tmp_path / "o").exists()  # refused before the output directory is made
