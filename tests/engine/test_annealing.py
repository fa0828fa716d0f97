"""Simulated annealing: incremental updates, the Metropolis chain, polishing."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.descriptors.chord_length import ChordLength
from mcrkit.descriptors.correlations import Correlations
from mcrkit.descriptors.incremental import CountTerm, residual_sum
from mcrkit.descriptors.lineal_path import LinealPath
from mcrkit.descriptors.two_point import TwoPoint
from mcrkit.descriptors.volume_fractions import VolumeFractions
from mcrkit.engine.optimizers import Annealing
from mcrkit.registry import MCRpyNameWarning, optimizers

DESCRIPTORS = {
    "two_point": lambda periodic: TwoPoint(limit_to=3, periodic=periodic),
    "lineal_path": lambda periodic: LinealPath(limit_to=3, periodic=periodic,
                                               directions=((1, 0), (0, 1), (1, 1), (2, -1))),
    "correlations": lambda periodic: Correlations(limit_to=3, periodic=periodic),
}


def _random_swap(rng: np.random.Generator, labels: np.ndarray) -> tuple[int, int]:
    while True:
        p, q = rng.integers(labels.size, size=2)
        if labels[p] != labels[q]:
            return int(p), int(q)


@pytest.mark.parametrize("name", sorted(DESCRIPTORS))
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize(("shape", "n_phases"), [((13, 10), 2), ((9, 8), 3), ((7, 6, 8), 2),
                                                 ((6, 7, 6), 3)])
def test_incremental_values_equal_full_recomputation(name, periodic, shape, n_phases) -> None:
    rng = np.random.default_rng(len(shape) * 10 + n_phases)
    descriptor = DESCRIPTORS[name](periodic)
    labels = rng.integers(n_phases, size=int(np.prod(shape))).astype(np.uint8)
    target = descriptor.label_value(labels.reshape(shape), n_phases)
    target = target + rng.normal(0, 0.05, target.shape)
    term = descriptor.incremental(labels, shape, n_phases, target, "square")
    assert isinstance(term, CountTerm)
    for step in range(2000):
        p, q = _random_swap(rng, labels)
        if step % 400 == 0:  # a proposal predicts the change exactly, and changes nothing
            before = term.total
            predicted = term.propose(np.array([p]), np.array([q]))[0]
            labels[p], labels[q] = labels[q], labels[p]
            full = descriptor.label_value(labels.reshape(shape), n_phases)
            labels[p], labels[q] = labels[q], labels[p]
            assert predicted == pytest.approx(residual_sum(full - target, "square") - before,
                                              abs=1e-9)
            assert term.total == before
        term.accept(p, q)
        labels[p], labels[q] = labels[q], labels[p]
    full = descriptor.label_value(labels.reshape(shape), n_phases)
    np.testing.assert_allclose(term.value(), full, rtol=0, atol=1e-9)
    assert term.total == pytest.approx(residual_sum(full - target, "square"), abs=1e-9)


def test_volume_fractions_never_change_under_swaps() -> None:
    labels = np.array([0, 1, 1, 2] * 16, dtype=np.uint8)
    value = VolumeFractions().label_value(labels.reshape(8, 8), 3)
    term = VolumeFractions().incremental(labels, (8, 8), 3, value, "abs")
    assert term.total == 0
    assert np.all(term.propose(np.array([0, 1]), np.array([1, 3])) == 0)


def _char(limit_to: int = 6, names=("volume_fractions", "two_point")) -> mcrkit.Characterization:
    return mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"), list(names),
                               limit_to=limit_to)


def test_annealing_reaches_a_bound_from_random_in_2d_and_keeps_fractions_exact() -> None:
    c = _char()
    result = mcrkit.reconstruct(c, (32, 32), ["two_point"], optimizer="annealing",
                                max_iter=60, seed=3, device="cpu")
    target = np.asarray(c["volume_fractions"]) * 32 * 32
    counts = np.bincount(result.labels.ravel(), minlength=2)
    assert np.all(np.abs(counts - target) <= 1)  # the start rounds, swaps keep it exact
    start = mcrkit.reconstruct(c, (32, 32), ["two_point"], optimizer="annealing", max_iter=1,
                               seed=3, device="cpu", optimizer_options={"initial_temperature":
                                                                       1e6})
    assert result.errors["two_point"] < 3e-6
    assert start.errors["two_point"] > 30 * result.errors["two_point"]
    history = result.history
    assert np.all(history["accepted"] + history["rejected"] == 32 * 32)
    assert history["temperature"][-1] < history["temperature"][0] * 1e-3


def test_annealing_in_3d_from_a_2d_characterization() -> None:
    c = _char(limit_to=4)
    result = mcrkit.reconstruct(c, (16, 16, 16), ["two_point"], optimizer="annealing",
                                max_iter=30, seed=1, device="cpu")
    assert result.errors["two_point"] < 5e-5
    assert result.undecided == 0


def test_a_fixed_seed_reproduces_the_run() -> None:
    c = _char(limit_to=4)
    runs = [mcrkit.reconstruct(c, (20, 24), ["two_point"], optimizer="sa", max_iter=5,
                               seed=11, device="cpu") for _ in range(2)]
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)
    np.testing.assert_array_equal(runs[0].history["loss"], runs[1].history["loss"])
    other = mcrkit.reconstruct(c, (20, 24), ["two_point"], optimizer="annealing", max_iter=5,
                               seed=12, device="cpu")
    assert not np.array_equal(other.labels, runs[0].labels)


def test_the_exact_lineal_path_is_matched_although_not_differentiable() -> None:
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1"), ["lineal_path"], limit_to=6)
    start = mcrkit.reconstruct(c, (32, 32), ["lineal_path"], optimizer="annealing", max_iter=1,
                               seed=0, device="cpu",
                               optimizer_options={"initial_temperature": 1e6})
    result = mcrkit.reconstruct(c, (32, 32), ["lineal_path"], optimizer="annealing",
                                max_iter=40, seed=0, device="cpu")
    assert "lineal_path" in result.errors  # the exact descriptor, not its relaxation
    assert result.errors["lineal_path"] < start.errors["lineal_path"] / 20


def test_a_descriptor_without_hooks_is_recomputed_with_a_warning() -> None:
    ms = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]
    c = mcrkit.characterize(ms, ["chord_length", "two_point"], limit_to=3)
    assert ChordLength().incremental(np.zeros(4, np.uint8), (2, 2), 2, np.zeros(1),
                                     "square") is None
    with pytest.warns(UserWarning, match="chord_length.*no incremental update"):
        result = mcrkit.reconstruct(c, (16, 16), ["chord_length", "two_point"],
                                    optimizer="annealing", max_iter=3, seed=0, device="cpu",
                                    optimizer_options={"swaps_per_iteration": 100})
    assert result.history["accepted"].sum() > 0
    assert result.loss <= result.history["loss"][0] * 1.5


def test_polish_lowers_the_discrete_error_of_a_gradient_run() -> None:
    c = _char(limit_to=4)
    plain = mcrkit.reconstruct(c, (32, 32), ["two_point"], max_iter=15, seed=5, device="cpu")
    polished = mcrkit.reconstruct(c, (32, 32), ["two_point"], max_iter=15, seed=5,
                                  device="cpu", polish=True)
    np.testing.assert_array_equal(polished.snapshots[0], plain.labels)  # the polish start
    assert polished.errors["two_point"] < plain.errors["two_point"]
    assert set(polished.history["level"]) == {0, 1}
    gradient = polished.history["level"] == 0
    assert np.all(np.isnan(polished.history["temperature"][gradient]))
    assert np.all(polished.history["temperature"][~gradient] > 0)


def test_an_interrupted_annealing_run_resumes_exactly(tmp_path) -> None:
    c = _char(limit_to=4)
    full = mcrkit.reconstruct(c, (24, 24), ["two_point"], optimizer="annealing", max_iter=8,
                              seed=2, device="cpu")
    stopped = mcrkit.reconstruct(c, (24, 24), ["two_point"], optimizer="annealing",
                                 max_iter=8, seed=2, device="cpu", run_dir=tmp_path / "run",
                                 callbacks=lambda state: state.iteration == 3)
    assert stopped.status == "stopped"
    resumed = mcrkit.resume(tmp_path / "run", device="cpu")
    np.testing.assert_array_equal(resumed.labels, full.labels)
    np.testing.assert_allclose(resumed.history["temperature"], full.history["temperature"])


@pytest.mark.parametrize(("options", "message"), [
    ({"multigrid": 2}, "multigrid"),
    ({"polish": True}, "polish"),
    ({"optimizer_options": {"initial_acceptance": 1.5}}, "initial_acceptance"),
])
def test_bad_settings_are_refused(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        mcrkit.reconstruct(_char(limit_to=2), (8, 8), ["two_point"], optimizer="annealing",
                           device="cpu", **options)


def test_annealing_is_registered_and_mcrpys_name_warns() -> None:
    assert optimizers.get("sa") is Annealing
    with pytest.warns(MCRpyNameWarning, match="zero_tolerance"):
        assert optimizers.get("SimulatedAnnealing") is Annealing
    assert Annealing.discrete and Annealing.resumable
