"""The memory estimate of a reconstruction and the limits it is checked against."""

from __future__ import annotations

import warnings

import pytest
import torch

from mcrkit import runtime
from mcrkit.descriptors import base
from mcrkit.descriptors.two_point import TwoPoint
from mcrkit.engine import memory
from mcrkit.engine.objective import Term
from mcrkit.engine.optimizers import LBFGS
from mcrkit.runtime import MemoryLimits

GiB = 2**30


def _limits(monkeypatch, *, total=16 * GiB, available=10 * GiB, cgroup=(None, None),
            address_space=None, rss=GiB, size=5 * GiB):
    monkeypatch.setattr(runtime, "_meminfo", lambda: {"MemTotal": total,
                                                      "MemAvailable": available})
    monkeypatch.setattr(runtime, "_cgroup_memory", lambda: cgroup)
    monkeypatch.setattr(runtime, "_address_space_limit", lambda: address_space)
    monkeypatch.setattr(runtime, "_own_status", lambda: {"VmRSS": rss, "VmSize": size})
    return runtime.memory_limits()


def test_ceiling_is_the_least_of_physical_memory_cgroup_and_address_space(monkeypatch):
    limits = _limits(monkeypatch)
    assert (limits.ceiling, limits.ceiling_source) == (16 * GiB, "physical memory")
    assert (limits.free, limits.held, limits.reachable) == (10 * GiB, GiB, 11 * GiB)

    limits = _limits(monkeypatch, cgroup=(8 * GiB, 7 * GiB))
    assert limits.ceiling == 8 * GiB and "control group" in limits.ceiling_source
    assert limits.free == GiB  # the cgroup's headroom is less than MemAvailable

    # RLIMIT_AS counts address space: the 4 GiB reserved beyond the resident 1 GiB is lost
    limits = _limits(monkeypatch, address_space=6 * GiB)
    assert limits.ceiling == 2 * GiB and "ulimit -v" in limits.ceiling_source
    assert "at most 2.0 GiB" in limits.describe()


def _term(limit_to=4):
    return Term(TwoPoint(limit_to=limit_to), torch.zeros(3, 1, 9, 9), 1.0, "two_point")


def test_estimate_adds_optimizer_field_and_the_descriptor_graphs():
    shape = (32, 32, 32)
    voxels = 32**3
    # one chunk per axis: the graphs of all slices (4 floats per pixel) are kept
    graphs = int(memory.KEPT_SHARE * 32 * 4 * 4 * 32 * 32) * 3
    expected = (2 * 10 + 6) * 4 * voxels + memory.FIELD_COPIES * 2 * 4 * voxels + graphs
    assert memory.run_bytes([_term()], shape, 2, LBFGS()) == expected
    assert memory.estimate_peak_bytes([_term()], shape, 2, LBFGS(), held=100) == expected + 100
    # a second descriptor adds its graphs
    two = memory.run_bytes([_term(), _term(2)], shape, 2, LBFGS())
    assert two == expected + graphs


def test_chunked_descriptors_count_one_recomputed_chunk(monkeypatch):
    image = 4 * 4 * 32 * 32  # bytes of one 32^2 image's workspace (4 float32 per pixel)
    monkeypatch.setattr(base, "WORKSPACE_BYTES", 5 * image)  # chunks of 5 of the 32 slices
    shape = (32, 32, 32)
    one = memory.run_bytes([_term()], shape, 2, LBFGS())
    two = memory.run_bytes([_term(), _term(2)], shape, 2, LBFGS())
    assert two == one  # chunks are recomputed one at a time: the largest counts once
    base_bytes = (2 * 10 + 6) * 4 * 32**3 + memory.FIELD_COPIES * 2 * 4 * 32**3
    assert one - base_bytes == 5 * image


def test_check_refuses_above_the_ceiling_and_warns_above_the_free_memory(monkeypatch):
    cpu = torch.device("cpu")
    limits = MemoryLimits(ceiling=8 * GiB, ceiling_source="physical memory", free=2 * GiB,
                          held=GiB)
    monkeypatch.setattr(memory, "available_bytes", lambda device: limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        memory.check_memory(3 * GiB, cpu)  # held + free = 3 GiB: fits now
    with pytest.warns(RuntimeWarning, match=r"needs about 5\.0 GiB.*2\.0 GiB is free now"):
        memory.check_memory(5 * GiB, cpu)  # fits the machine, not what is free this moment
    with pytest.raises(MemoryError, match=r"needs about 9\.0 GiB.*at most 8\.0 GiB "
                                          r"\(physical memory\).*force=True"):
        memory.check_memory(9 * GiB, cpu)
