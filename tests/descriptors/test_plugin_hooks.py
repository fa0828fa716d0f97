"""A third-party descriptor registered at runtime gets the built-ins' treatment: its own
compiled swap kernel in the annealer's compiled chain, its own reorientation, its own
relaxation."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numba
import numpy as np
import pytest
import torch

import mcrkit
from mcrkit.descriptors import Descriptor
from mcrkit.descriptors.incremental import CountTerm, count_term, residual_sum, slice_norms
from mcrkit.descriptors.orientation import transpose_value, value_along_axis
from mcrkit.descriptors.swap_kernels import (
    CHANNELS,
    PERIODIC,
    SITE,
    frame,
    label_at,
    window_rows,
)
from mcrkit.engine.optimizers import metropolis
from mcrkit.microstructure import from_array
from mcrkit.registry import descriptors as registry


@numba.njit(SITE, cache=True)
def _pairs_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    # pairs (x, x + e_a) in one phase, a = image axis 0 or 1: p enters (p, p + e_a) and
    # (p - e_a, p); offsets are tabulated from -1 to 1 (index 0 to 2)
    spec, channel, dc = term[0], term[2], term[7]
    ru, rv = scratch[0], scratch[1]
    n_ch = spec[CHANNELS]
    for g in range(geo.shape[0]):
        base = window_rows(frame(p, dims, geo[g, 0], geo[g, 1]), 1, spec[PERIODIC], ru, rv)
        for ph in (old, new):
            ch = channel[ph]
            if ch < 0:
                continue
            sign = 1 if ph == new else -1
            for axis in range(2):
                n = 0
                for step in (-1, 1):
                    i = 1 + step if axis == 0 else 1
                    j = 1 + step if axis == 1 else 1
                    if label_at(lab, base, ru, rv, i, j, vpos, vlab) == ph:
                        n += 1
                dc[(g * n_ch + ch) * 2 + axis] += sign * n


@dataclasses.dataclass(frozen=True, kw_only=True)
class NeighbourPairs(Descriptor):
    """Probability that a pixel and its neighbour along each image axis share a phase."""

    name = "neighbour_pairs_test"

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        return torch.stack([(images * torch.roll(images, -1, dims=dim)).mean(dim=(0, 2, 3))
                            for dim in (-2, -1)], dim=-1)

    def transpose_value(self, value: np.ndarray) -> np.ndarray:
        return value[..., ::-1]

    def value_along_axis(self, value: np.ndarray, axis: int) -> np.ndarray | None:
        return value[..., axis]

    def incremental(self, labels: np.ndarray, shape: tuple[int, ...], n_phases: int,
                    target: np.ndarray, pointwise: str) -> CountTerm:
        phases = self.phases(n_phases)
        channel = np.full(n_phases, -1, dtype=np.int64)
        channel[phases] = np.arange(len(phases))
        return count_term(self, labels, shape, n_phases, target, pointwise,
                          slice_norms(shape, True, lambda image: None), site=_pairs_site,
                          table=np.zeros((1, 1)), channel=channel, channels=len(phases),
                          block=2, reach=1, periodic=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExactPairs(Descriptor):
    """The same on discrete labels only (stands for it in annealing)."""

    name = "exact_pairs_test"
    differentiable: ClassVar[bool] = False

    def compute_numpy(self, labels: np.ndarray, phases: list[int]) -> np.ndarray:
        return np.array([[np.mean((labels == ph) & (np.roll(labels, -1, axis=axis) == ph))
                          for axis in (-2, -1)] for ph in phases])


@dataclasses.dataclass(frozen=True, kw_only=True)
class RelaxedPairs(NeighbourPairs):
    """A relaxation of ``exact_pairs_test``."""

    name = "relaxed_pairs_test"
    relaxation_of = "exact_pairs_test"


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})
    monkeypatch.setattr(registry, "_aliases", {})
    for cls in (NeighbourPairs, ExactPairs, RelaxedPairs):
        registry.register(cls)


@pytest.mark.parametrize(("shape", "n_phases"), [((9, 7), 2), ((6, 5, 7), 3)])
def test_its_swap_kernel_keeps_the_exact_value(shape, n_phases) -> None:
    rng = np.random.default_rng(n_phases)
    labels = rng.integers(n_phases, size=int(np.prod(shape))).astype(np.uint8)
    descriptor = NeighbourPairs()
    target = descriptor.label_value(labels.reshape(shape), n_phases) + 0.01
    term = descriptor.incremental(labels, shape, n_phases, target, "abs")
    for _ in range(300):
        p, q = rng.choice(labels.size, 2, replace=False)
        if labels[p] == labels[q]:
            continue
        predicted = term.propose(np.array([p]), np.array([q]))[0]
        before = term.total
        term.accept(p, q)
        labels[p], labels[q] = labels[q], labels[p]
        assert term.total - before == pytest.approx(predicted, abs=1e-12)
    full = descriptor.label_value(labels.reshape(shape), n_phases)
    np.testing.assert_allclose(term.value(), full, atol=1e-12)
    assert term.total == pytest.approx(residual_sum(full - target, "abs"), abs=1e-9)


def test_annealing_runs_its_kernel_in_the_compiled_chain(plugins, monkeypatch) -> None:
    calls = []
    compiled = metropolis._anneal

    def spy(*args):
        calls.append(args[3])  # the site kernels
        return compiled(*args)

    monkeypatch.setattr(metropolis, "_anneal", spy)
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"), ["neighbour_pairs_test"])
    start = mcrkit.reconstruct(c, (24, 24), ["neighbour_pairs_test"], optimizer="annealing",
                               max_iter=1, seed=0, device="cpu",
                               optimizer_options={"initial_temperature": 1e6})
    result = mcrkit.reconstruct(c, (24, 24), ["neighbour_pairs_test"], optimizer="annealing",
                                max_iter=20, seed=0, device="cpu")
    assert calls and all(sites == (_pairs_site,) for sites in calls)
    assert result.errors["neighbour_pairs_test"] < start.errors["neighbour_pairs_test"] / 5


def test_its_reorientation_is_used() -> None:
    image = from_array(np.random.default_rng(0).integers(0, 3, (8, 6)))
    value = NeighbourPairs().characterize(image)
    np.testing.assert_allclose(transpose_value(NeighbourPairs(), value),
                               NeighbourPairs().characterize(from_array(image.labels.T)))
    np.testing.assert_array_equal(value_along_axis(NeighbourPairs(), value, 1), value[:, 1])


def test_its_relaxation_is_found_both_ways(plugins) -> None:
    assert RelaxedPairs().exact() == ExactPairs()
    assert ExactPairs.differentiable_class() is RelaxedPairs
    labels = np.random.default_rng(1).integers(0, 2, (8, 8))
    np.testing.assert_allclose(RelaxedPairs().characterize(from_array(labels)),
                               RelaxedPairs().exact().characterize(from_array(labels)))
