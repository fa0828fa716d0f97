"""Tests for the thread policy: wait policy and default thread count."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

import mcrkit
from mcrkit import runtime
from mcrkit.runtime import cgroup_cpu_limit, default_threads, usable_cpus

EXAMPLE = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]


def _environment_after_import(code: str, **variables: str) -> dict[str, str | None]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | variables
    probe = ("import json, os, sys\n" + code +
             "\nprint(json.dumps({'policy': os.environ.get('OMP_WAIT_POLICY'), "
             "'torch': 'torch' in sys.modules}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60, env=env)
    return json.loads(result.stdout)


def test_import_mcrkit_sets_a_passive_wait_policy_before_torch_loads():
    assert _environment_after_import("import mcrkit") == {"policy": "PASSIVE", "torch": False}


def test_the_command_line_sets_it_too():
    seen = _environment_after_import("from mcrkit.cli import main")
    assert seen == {"policy": "PASSIVE", "torch": False}


def test_a_policy_set_by_the_user_is_kept():
    seen = _environment_after_import("import mcrkit", OMP_WAIT_POLICY="ACTIVE")
    assert seen["policy"] == "ACTIVE"


def test_batch_workers_get_the_policy_and_the_thread_count(monkeypatch):
    from mcrkit.batching.clusters import worker_environment

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert worker_environment(3) == {"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "3",
                                     "OPENBLAS_NUM_THREADS": "3", "NUMBA_NUM_THREADS": "3",
                                     "OMP_WAIT_POLICY": "PASSIVE"}
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert worker_environment(3)["OMP_WAIT_POLICY"] == "ACTIVE"


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu.max": "200000 100000\n"}, 2.0),
    ({"cpu.max": "50000 100000\n"}, 0.5),
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3.0),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_cgroup_cpu_limit_reads_v2_and_v1_quotas(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_limit(tmp_path) == expected


def test_cgroup_cpu_limit_takes_the_tighter_of_the_own_and_the_root_group(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "_own_cgroup", lambda: "user.slice/job")
    (tmp_path / "user.slice" / "job").mkdir(parents=True)
    (tmp_path / "user.slice" / "job" / "cpu.max").write_text("100000 100000\n")
    (tmp_path / "cpu.max").write_text("400000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.0


@pytest.mark.parametrize(("affinity", "quota", "expected"), [
    ({0, 1, 2, 3}, None, 4),  # a SLURM allocation of 4 cores on a larger node
    ({0, 1, 2, 3}, 2.0, 2),  # a container's share
    ({0, 1, 2, 3}, 1.5, 1),  # a fraction rounds down
    ({0, 1, 2, 3}, 0.5, 1),  # at least one
    ({0, 1}, 8.0, 2),
])
def test_usable_cpus_from_affinity_and_quota(monkeypatch, affinity, quota, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: 128)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: affinity, raising=False)
    monkeypatch.setattr(runtime, "cgroup_cpu_limit", lambda: quota)
    assert usable_cpus() == expected


def test_default_threads_is_usable_cpus_but_at_most_torchs_count(monkeypatch):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        monkeypatch.setattr(runtime, "usable_cpus", lambda: 2)
        assert default_threads() == 2
        monkeypatch.setattr(runtime, "usable_cpus", lambda: 8)
        assert default_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_threads_limited_uses_the_default_and_restores(monkeypatch):
    monkeypatch.setattr(runtime, "default_threads", lambda: 1)
    before = torch.get_num_threads()
    with runtime.threads_limited(None):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_thread_counts_are_checked(bad):
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        runtime.check_threads(bad)


def test_small_computations_use_one_thread_and_larger_ones_the_default(monkeypatch):
    monkeypatch.setattr(runtime, "default_threads", lambda: 2)
    with runtime.threads_limited(None, voxels=runtime.SERIAL_BELOW_VOXELS - 1):
        assert torch.get_num_threads() == 1
    with runtime.threads_limited(None, voxels=runtime.SERIAL_BELOW_VOXELS):
        assert torch.get_num_threads() == 2
    with runtime.threads_limited(2, voxels=1):  # a count given is kept
        assert torch.get_num_threads() == 2


def test_a_small_reconstruction_given_no_threads_runs_on_one(monkeypatch):
    monkeypatch.setattr(runtime, "default_threads", lambda: 2)
    seen = []
    c = mcrkit.characterize(EXAMPLE, ["two_point"], limit_to=3)
    before = torch.get_num_threads()
    mcrkit.reconstruct(c, (16, 16), max_iter=3, seed=0, device="cpu", progress=False,
                       callbacks=lambda state: seen.append(torch.get_num_threads()))
    assert seen == [1, 1, 1]
    mcrkit.reconstruct(c, (16, 16), max_iter=3, seed=0, device="cpu", progress=False,
                       threads=2, callbacks=lambda state: seen.append(torch.get_num_threads()))
    assert seen[3:] == [2, 2, 2]  # a count given is kept
    assert torch.get_num_threads() == before


def test_freed_memory_is_kept_with_glibc_only_when_the_environment_leaves_malloc_alone():
    from mcrkit.runtime import keep_freed_memory

    glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None
    assert keep_freed_memory({}) is glibc
    assert keep_freed_memory({"MALLOC_ARENA_MAX": "2"}) is False
    assert keep_freed_memory({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"}) is False
