"""Simulated annealing: incremental updates, the Metropolis chain, polishing."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.descriptors.chord_length import ChordLength
from mcrkit.descriptors.correlations import Correlations
from mcrkit.descriptors.euler_density import EulerDensity
from mcrkit.descriptors.incremental import CountTerm, residual_sum
from mcrkit.descriptors.lineal_path import LinealPath
from mcrkit.descriptors.two_point import TwoPoint
from mcrkit.descriptors.variation import Variation
from mcrkit.descriptors.volume_fractions import VolumeFractions
from mcrkit.engine.optimizers import Annealing
from mcrkit.registry import MCRpyNameWarning, optimizers

DESCRIPTORS = {
    "two_point": lambda periodic: TwoPoint(limit_to=3, periodic=periodic),
    "lineal_path": lambda periodic: LinealPath(limit_to=3, periodic=periodic,
                                               directions=((1, 0), (0, 1), (1, 1), (2, -1))),
    "correlations": lambda periodic: Correlations(limit_to=3, periodic=periodic),
    "chord_length": lambda periodic: ChordLength(max_length=4, periodic=periodic),
    "variation": lambda periodic: Variation(periodic=periodic),
}


def _random_swap(rng: np.random.Generator, labels: np.ndarray) -> tuple[int, int]:
    while True:
        p, q = rng.integers(labels.size, size=2)
        if labels[p] != labels[q]:
            return int(p), int(q)


def _check_incremental(descriptor, shape, n_phases, seed, steps=500) -> None:
    """Random swaps (a few per pixel): every 100th proposal predicts the change of the
    residual sum exactly and changes nothing; the value kept equals a full recomputation at
    the end."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(n_phases, size=int(np.prod(shape))).astype(np.uint8)
    target = descriptor.label_value(labels.reshape(shape), n_phases)
    target = target + rng.normal(0, 0.05, target.shape)
    term = descriptor.incremental(labels, shape, n_phases, target, "square")
    assert isinstance(term, CountTerm)
    for step in range(steps):
        p, q = _random_swap(rng, labels)
        if step % 100 == 0:
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


@pytest.mark.parametrize("name", sorted(DESCRIPTORS))
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize(("shape", "n_phases"), [((13, 10), 2), ((9, 8), 3), ((7, 6, 8), 2),
                                                 ((6, 7, 6), 3)])
def test_incremental_values_equal_full_recomputation(name, periodic, shape, n_phases) -> None:
    _check_incremental(DESCRIPTORS[name](periodic), shape, n_phases,
                       seed=len(shape) * 10 + n_phases)


@pytest.mark.parametrize("name", ["chord_length", "variation"])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize(("shape", "n_phases"), [((2, 9), 3), ((1, 5, 2), 2), ((3, 1, 4), 2)])
def test_incremental_values_on_lines_of_one_and_two_pixels(name, periodic, shape,
                                                           n_phases) -> None:
    # a periodic line of one pixel is its own neighbour; of two, each pixel is both
    # neighbours of the other; a line in one phase is one chord of its length
    _check_incremental(DESCRIPTORS[name](periodic), shape, n_phases, seed=5, steps=200)


def test_a_periodic_line_in_one_phase_is_one_chord_of_its_length() -> None:
    labels = np.array([1, 1, 1, 0, 1, 1] + [1] * 6, dtype=np.uint8)  # two rows of 6
    descriptor = ChordLength(max_length=6)
    term = descriptor.incremental(labels, (2, 6), 2, np.zeros((1, 2, 6)), "square")
    term.accept(3, 7)  # row 0 becomes one phase, row 1 one chord of 5 across the edge
    labels[3], labels[7] = labels[7], labels[3]
    np.testing.assert_array_equal(term.arrays[3].reshape(2, 6)[1], [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(term.value(), descriptor.label_value(labels.reshape(2, 6), 2))


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


def test_chord_lengths_and_variation_are_matched_in_the_compiled_chain() -> None:
    names = ["chord_length", "variation"]
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1")[:32, :32],
                            {"chord_length": {"max_length": 8}, "variation": {}})
    start = mcrkit.reconstruct(c, (32, 32), names, optimizer="annealing", max_iter=1, seed=0,
                               device="cpu", optimizer_options={"initial_temperature": 1e6})
    result = mcrkit.reconstruct(c, (32, 32), names, optimizer="annealing", max_iter=40,
                                seed=0, device="cpu")  # a recomputed term would warn
    for name in names:
        assert result.errors[name] < start.errors[name] / 10


def test_a_descriptor_without_hooks_is_recomputed_with_a_warning() -> None:
    ms = mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]
    c = mcrkit.characterize(ms, ["euler_density", "two_point"], limit_to=3)
    assert EulerDensity().incremental(np.zeros(4, np.uint8), (2, 2), 2, np.zeros(1),
                                      "square") is None
    with pytest.warns(UserWarning, match="euler_density.*no incremental update"):
        result = mcrkit.reconstruct(c, (16, 16), ["euler_density", "two_point"],
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


@pytest.mark.filterwarnings("ignore:descriptor 'chord_length' has no incremental update")
@pytest.mark.parametrize("descriptors", [["two_point"], ["two_point", "chord_length"]])
def test_topology_preserving_annealing_keeps_every_cluster_and_hole(descriptors) -> None:
    # every accepted swap keeps the start's topology, in the compiled chain and in the
    # batched one (taken while a term has no count kernel)
    from mcrkit.morphology import cluster_labels, euler_characteristic

    rng = np.random.default_rng(3)
    target = (rng.random((24, 24)) < 0.4).astype(int)
    start = np.zeros((24, 24), dtype=int)
    start[4:20, 4:20] = 1          # one ring with one hole, at the target's fraction
    start[8:16, 8:16] = 0
    start.ravel()[np.flatnonzero(start.ravel() == 0)[:int(0.4 * 576) - int(start.sum())]] = 1

    def topology(labels):  # on the torus, and cut open at the edges
        return [(euler_characteristic(labels == k), cluster_labels(labels == k)[1],
                 euler_characteristic(labels == k, periodic=False),
                 cluster_labels(labels == k, periodic=False)[1]) for k in (0, 1)]

    characterization = mcrkit.characterize(target, descriptors, limit_to=4)
    options = {"preserve_topology": True, "initial_acceptance": 0.3, "patience": 0}
    result = mcrkit.reconstruct(characterization, (24, 24), descriptors, optimizer="annealing",
                                initial=start, max_iter=4, seed=0, optimizer_options=options,
                                device="cpu", report=False)
    assert topology(result.labels) == topology(start)
    assert (result.labels != start).sum() > 20        # it did move
    assert result.history["loss"][-1] < result.history["loss"][0]
