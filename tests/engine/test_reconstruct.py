"""End-to-end reconstructions: fidelity reached, determinism, resume, run directories, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import mcrkit
from mcrkit.engine.field import field_from_params
from mcrkit.io.rundir import RunDirectory, RunDirectoryError
from mcrkit.metrics.validation import compare
from mcrkit.runtime import MemoryLimits

pytestmark = pytest.mark.usefixtures("screen_dpi")
EXAMPLE = mcrkit.data.load("pymks_ms_64x64_1")
SMALL = EXAMPLE[:32, :32]


@pytest.fixture(scope="module")
def small_characterization() -> mcrkit.Characterization:
    return mcrkit.characterize(SMALL, ["volume_fractions", "two_point", "lineal_path"],
                               limit_to=4)


def _run(characterization, shape=(32, 32), **kwargs):
    options = {"max_iter": 60, "seed": 0, "device": "cpu"} | kwargs
    return mcrkit.reconstruct(characterization, shape, **options)


def _s2_rmse(original, labels, limit_to=4):
    return compare(original, labels, limit_to=limit_to)["worst"]["s2_rmse"]


def test_2d_reconstruction_reaches_the_target(small_characterization) -> None:
    result = _run(small_characterization, max_iter=150)
    assert result.labels.shape == (32, 32) and result.labels.dtype == np.uint8
    assert result.history["loss"][-1] < 1e-2 * result.history["loss"][0]
    assert result.errors["two_point"] < 2e-5
    assert _s2_rmse(SMALL, result.labels) < 0.006
    assert set(result.errors) == {"two_point", "lineal_path_approx"}
    assert result.loss == pytest.approx(sum(result.errors.values()))
    assert result.undecided < 0.1


def test_2d_characterization_prescribes_every_slice_of_a_3d_result(small_characterization):
    result = _run(small_characterization, (16, 16, 16), max_iter=80)
    assert result.labels.shape == (16, 16, 16)
    report = compare(SMALL, result.labels, limit_to=4)
    assert set(report["per_axis"]) == {"x", "y", "z"}
    assert report["worst"]["s2_rmse"] < 0.02
    assert report["worst"]["volume_fraction_error"] < 0.02


def test_cleanup_removes_the_small_pieces_of_the_discrete_result(small_characterization,
                                                                 tmp_path) -> None:
    from mcrkit.morphology.cleanup import remove_small_features

    noise = (np.random.default_rng(0).random((16, 16, 16)) < 0.3).astype(np.uint8)
    plain = _run(small_characterization, (16, 16, 16), max_iter=1, initial=noise)
    cleaned = _run(small_characterization, (16, 16, 16), max_iter=1, initial=noise,
                   cleanup=(0, 20), run_dir=tmp_path / "run", report=False)
    expected = remove_small_features(plain.labels, (0, 20))
    assert expected.changed > 0 and np.array_equal(cleaned.labels, expected.labels)
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    assert saved["settings"]["cleanup"] == [0.0, 20.0]
    assert saved["cleanup"] == {"specks": list(expected.specks),
                                "changed_voxels": expected.changed}


def test_three_phases_keep_fractions_on_the_simplex_and_reproduce_volume_fractions():
    rng = np.random.default_rng(3)
    labels = np.zeros((24, 24), dtype=np.uint8)
    labels[:12, :] = 1
    labels[:, 16:] = 2
    labels = np.roll(labels, rng.integers(0, 24, 2), axis=(0, 1))
    c = mcrkit.characterize(labels, ["volume_fractions", "two_point"], limit_to=4)
    seen = []

    def record(state) -> None:
        field = field_from_params(state.theta)
        seen.append(float((field.sum(dim=0) - 1).abs().max()))
        assert field.min() >= 0

    result = _run(c, (24, 24), max_iter=80, callbacks=record)
    assert max(seen) < 1e-5
    fractions = np.bincount(result.labels.ravel(), minlength=3) / labels.size
    np.testing.assert_allclose(fractions, c["volume_fractions"], atol=0.02)


def test_same_seed_same_result_other_seed_other_result(small_characterization) -> None:
    a = _run(small_characterization, max_iter=20)
    b = _run(small_characterization, max_iter=20)
    c = _run(small_characterization, max_iter=20, seed=1)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
    assert (a.labels != c.labels).any()
    assert a.seed == 0 and a.settings["seed"] == 0


def test_seed_is_drawn_and_recorded_when_not_given(small_characterization) -> None:
    result = _run(small_characterization, max_iter=2, seed=None)
    again = _run(small_characterization, max_iter=2, seed=result.seed)
    np.testing.assert_array_equal(result.labels, again.labels)


def test_interrupted_run_resumes_exactly(tmp_path, small_characterization) -> None:
    full = _run(small_characterization, max_iter=30)

    def interrupt(state) -> None:
        if state.iteration == 12:
            raise KeyboardInterrupt

    cut = _run(small_characterization, max_iter=30, callbacks=interrupt, run_dir=tmp_path / "r",
               snapshot_every=5)
    assert cut.status == "interrupted" and cut.iterations == 12
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["status"] == "interrupted"
    resumed = mcrkit.resume(tmp_path / "r")
    assert resumed.status == full.status
    assert resumed.snapshot_iterations[:3] == [5, 10, 12]  # kept across the interruption
    for before, after in zip(cut.snapshot_fields, resumed.snapshot_fields[:3], strict=True):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(resumed.history["loss"], full.history["loss"])
    np.testing.assert_array_equal(resumed.labels, full.labels)
    assert resumed.evaluations == full.evaluations + 1  # the resume re-evaluates its start
    np.testing.assert_array_equal(np.load(tmp_path / "r" / "reconstruction.npy"), full.labels)


def test_resume_uses_the_last_periodic_checkpoint(tmp_path, small_characterization) -> None:
    class Crash(Exception):
        pass

    def crash(state) -> None:
        if state.iteration == 9:
            raise Crash  # a crash that skips the interrupt handler: only checkpoints survive

    with pytest.raises(Crash):
        _run(small_characterization, max_iter=20, callbacks=crash, run_dir=tmp_path / "r",
             checkpoint_every=0.0)
    state = RunDirectory.open(tmp_path / "r").read_state(torch.device("cpu"))
    # written after iteration 8; iteration 9 crashed in a callback
    assert state["iteration"] == state["convergence"].iterations == 8
    resumed = mcrkit.resume(tmp_path / "r")
    full = _run(small_characterization, max_iter=20)
    np.testing.assert_array_equal(resumed.labels, full.labels)


def test_run_directory_contents(tmp_path, small_characterization) -> None:
    threads = 2 if torch.get_num_threads() == 1 else 1  # differs from the process's own
    result = _run(small_characterization, max_iter=10, run_dir=tmp_path / "r", snapshot_every=4,
                  threads=threads)
    run = tmp_path / "r"
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "max_iter"
    assert meta["machine"]["threads"] == threads
    assert meta["settings"]["seed"] == 0 and meta["settings"]["optimizer"] == "lbfgs"
    assert meta["versions"]["torch"] == torch.__version__
    assert set(meta["errors"]) == set(result.errors)
    assert meta["timings"]["total"] > 0
    with np.load(run / "convergence.npz") as conv:
        np.testing.assert_array_equal(conv["loss"], result.history["loss"])
        assert conv["snapshot_iterations"].tolist() == [4, 8, 10]
        assert conv["snapshots"].shape == (3, 32, 32)
    assert mcrkit.Characterization.load(run / "characterization.npz").names == \
        small_characterization.names
    with pytest.raises(RunDirectoryError, match="already holds"):
        _run(small_characterization, max_iter=2, run_dir=run)


def test_resume_a_finished_run_with_a_larger_budget(tmp_path, small_characterization) -> None:
    _run(small_characterization, max_iter=10, run_dir=tmp_path / "r")
    more = mcrkit.resume(tmp_path / "r", max_iter=25)
    full = _run(small_characterization, max_iter=25)
    assert more.iterations == 25
    np.testing.assert_array_equal(more.labels, full.labels)


def test_multigrid_levels_run_coarse_to_fine(small_characterization) -> None:
    result = _run(small_characterization, max_iter=30, multigrid=2)
    levels = result.history["level"]
    assert levels[0] == 0 and levels[-1] == 1
    assert (np.diff(levels) >= 0).all()
    assert result.snapshot_iterations[0] == int((levels == 0).sum())
    assert result.errors["two_point"] < 1e-3


@pytest.mark.parametrize("optimizer", ["lbfgsb", "adam"])
def test_other_optimizers_reduce_the_loss(optimizer, small_characterization) -> None:
    result = _run(small_characterization, max_iter=40, optimizer=optimizer)
    assert result.settings["optimizer"] == optimizer
    assert result.history["loss"][-1] < 0.5 * result.history["loss"][0]


def test_time_limit_stops_the_run(small_characterization) -> None:
    result = _run(small_characterization, max_iter=10_000, time_limit=0.3)
    assert result.status == "stopped"
    assert result.iterations < 10_000


def test_initial_structure_is_the_start_point(small_characterization) -> None:
    result = _run(small_characterization, max_iter=1, initial=SMALL)
    assert (result.labels == SMALL).mean() > 0.95


def test_match_adds_a_dimension_and_compares() -> None:
    result = mcrkit.match(SMALL, add_dimension=16, limit_to=4, max_iter=40, seed=0, device="cpu")
    assert result.labels.shape == (32, 32, 16)
    assert result.comparison is not None and set(result.comparison["per_axis"]) == {"x", "y", "z"}
    assert "fidelity vs the original" in str(result)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shape": (0, 32)}, "positive integers"),
        ({"shape": (32, -4)}, "positive integers"),
        ({"shape": (32,)}, "2 or 3"),
        ({"descriptors": ["correlations"]}, "not in the characterization"),
        ({"descriptors": ["two_point"], "weights": [1, 2]}, "2 weights given for 1"),
        ({"weights": {"variation": 1}}, "not among the descriptors"),
        ({"optimizer": "newton"}, "unknown optimizer 'newton'. Available: .*lbfgs"),
        ({"optimizer_options": {"steps": 3}}, "does not accept"),
        ({"shape": (6, 6)}, "limit_to=4 is larger than half"),
        ({"shape": (32, 32, 6)}, "limit_to=4 is larger than half"),
        ({"multigrid": 9}, "multigrid=9"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"seed": -1}, "seed must be"),
        ({"descriptors": ["chord_length"]}, "not differentiable"),
        ({"cleanup": (1.0, 2.0, 3.0)}, "cleanup needs one feature size per phase \\(2\\)"),
    ],
)
def test_bad_input_gets_a_clear_error(kwargs, message, small_characterization, tmp_path):
    shape = kwargs.pop("shape", (32, 32))
    with pytest.raises(ValueError, match=message):
        _run(small_characterization, shape, run_dir=tmp_path / "run", **kwargs)
    assert not (tmp_path / "run").exists()


def test_per_axis_characterization_cannot_prescribe_a_2d_result() -> None:
    c = mcrkit.characterize(np.repeat(SMALL[:16, :16, None], 16, axis=2), ["two_point"],
                            limit_to=4)
    with pytest.raises(ValueError, match="isotropic"):
        _run(c, (16, 16))


def test_memory_estimate_refuses_runs_that_do_not_fit(monkeypatch, small_characterization):
    limits = MemoryLimits(ceiling=1000, ceiling_source="a test", free=1000, held=0)
    monkeypatch.setattr("mcrkit.engine.memory.available_bytes", lambda device: limits)
    with pytest.raises(MemoryError, match="force=True"):
        _run(small_characterization, max_iter=1)
    assert _run(small_characterization, max_iter=1, force=True).iterations == 1


def test_resume_needs_a_run_directory(tmp_path) -> None:
    with pytest.raises(RunDirectoryError, match="checkpoint.pt is missing|run.json is missing"):
        mcrkit.resume(tmp_path)


def test_a_judged_run_stops_once_its_state_passes(tmp_path, small_characterization) -> None:
    """judge_after: the discrete state is judged against the original after N, 2N, 4N, ...
    iterations; a run started from the original passes at the first judgement and stops
    there, a run from noise with too few iterations fails every judgement and keeps its
    budget."""
    passing = _run(small_characterization, max_iter=40, initial=SMALL, original=SMALL,
                   judge_after=3, run_dir=tmp_path / "pass", report=False)
    assert (passing.status, passing.iterations) == ("stopped", 3)
    judged = json.loads((tmp_path / "pass" / "run.json").read_text())["judged"]
    assert [(j["iteration"], j["passed"]) for j in judged] == [(3, True)]
    assert passing.settings["judge_after"] == 3
    failing = _run(small_characterization, max_iter=4, original=SMALL, judge_after=1,
                   run_dir=tmp_path / "fail", report=False)
    assert (failing.status, failing.iterations) == ("max_iter", 4)
    judged = json.loads((tmp_path / "fail" / "run.json").read_text())["judged"]
    assert [(j["iteration"], j["passed"]) for j in judged] == [(1, False), (2, False),
                                                               (4, False)]
    assert judged[0]["verdict"].startswith("not good")
