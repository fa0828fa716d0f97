"""The descriptors match chooses when none are named (mcrkit.workflows.defaults)."""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.microstructure import from_array
from mcrkit.workflows.defaults import (
    MODEL_START_ITER,
    NETWORK_POLISH,
    PARTICLE_POLISH,
    PATTERN_WEIGHT,
    REPAIR_SWEEPS,
    choose_defaults,
    choose_start,
    feature_sizes,
)

ALLOY = mcrkit.data.load("alloy_resized_s")  # a grain-boundary network
PYMKS = mcrkit.data.load("pymks_ms_64x64_1")  # particles in a matrix
TINY = PYMKS[:24, :24]


def test_feature_sizes_are_mean_chords_per_phase() -> None:
    # periodic stripes along y: chords of 1 and 3 along y, whole lines of 8 along x
    assert feature_sizes(from_array(np.tile([0, 1, 1, 1], (8, 2)))) == [4.5, 5.5]


def test_gradient_defaults_add_quads_at_four_strides() -> None:
    choice = choose_defaults(PYMKS, (64, 64))
    assert choice.descriptors == ["two_point", "lineal_path", "local_patterns"]
    assert choice.request["two_point"] == {"limit_to": 8}
    assert choice.request["local_patterns"] == {"strides": (1, 2, 3, 4)}
    assert choice.weights == {"local_patterns": PATTERN_WEIGHT}
    assert "11.5 px in phase 0, 5.3 px in phase 1" in choice.note
    assert choice.networks == () and choice.polish == 0


def test_a_2d_network_is_repaired_and_kept_in_a_polish() -> None:
    choice = choose_defaults(ALLOY, (64, 64))
    assert choice.descriptors == ["two_point", "lineal_path"]
    assert [spec.phase for spec in choice.networks] == [0]
    assert choice.polish == REPAIR_SWEEPS * 64 * 64
    assert choice.polish_descriptors == NETWORK_POLISH and "chord_length" in choice.request
    assert "3.9 px in phase 0, 22.7 px in phase 1" in choice.note
    assert "a network (phase 0" in choice.note
    # in 3D the walls are sheets: no repair, quads as for any structure
    volume = choose_defaults(ALLOY, (64, 64, 64))
    assert volume.networks == () and "local_patterns" in volume.descriptors


def test_a_volume_from_a_2d_input_is_cleaned_below_the_input_features() -> None:
    stripes = np.kron(np.arange(8) % 2, np.ones((32, 9), dtype=int))  # 9 px wide: radius 4
    volume = choose_defaults(stripes, (32, 72, 16))
    assert volume.cleanup == pytest.approx((4 / 3 * np.pi * 4**3,) * 2)
    assert "smaller than a ball of the input's median feature radius" in volume.note
    assert choose_defaults(stripes, (32, 72)).cleanup == ()
    assert choose_defaults(np.dstack([stripes] * 4), (32, 72, 4)).cleanup == ()


def test_strides_stay_inside_thin_volumes_and_windows_follow_limit_to() -> None:
    choice = choose_defaults(PYMKS, (64, 64, 2), limit_to=4)
    assert choice.request["local_patterns"] == {"strides": (1,)}
    assert choose_defaults(PYMKS, (64, 64, 64)).request["local_patterns"] == {"strides": (1, 2)}
    three_phases = np.asarray(PYMKS) + (np.arange(64) >= 32)[:, None]
    assert choose_defaults(three_phases, (64, 64)).request["local_patterns"] == {"strides": (1, 2)}
    assert choice.request["lineal_path"]["limit_to"] == 4
    assert "window from limit_to" in choice.note
    annealed = choose_defaults(PYMKS, (64, 64), gradient=False)
    assert "local_patterns" not in annealed.descriptors
    assert "no annealing update" in annealed.note


def test_match_uses_and_explains_the_defaults() -> None:
    result = mcrkit.match(TINY, limit_to=4, max_iter=3, seed=0, device="cpu", report=False)
    assert result.settings["descriptors"] == ["two_point", "lineal_path", "local_patterns"]
    assert result.settings["weights"] == [1.0, 1.0, PATTERN_WEIGHT]
    assert "local_patterns" in result.characterization
    assert "defaults: two_point and lineal_path over 4 px" in str(result)


@pytest.mark.parametrize("options", [{"optimizer": "annealing", "max_iter": 1},
                                     {"polish": 8, "max_iter": 20}])
def test_annealing_runs_get_no_quad_term(options) -> None:
    # filterwarnings=error: a term without an annealing update would warn and fail here
    result = mcrkit.match(TINY, limit_to=4, seed=0, device="cpu", report=False, **options)
    assert result.settings["descriptors"] == ["two_point", "lineal_path"]


def test_match_joins_a_broken_network() -> None:
    # a short gradient run leaves the boundary network in pieces; the repair joins them
    # and the polish keeps them joined (filterwarnings=error: no term without an update)
    from mcrkit.morphology import cluster_labels

    result = mcrkit.match(ALLOY, max_iter=20, seed=0, device="cpu", report=False)
    assert [spec["phase"] for spec in result.settings["networks"]] == [0]
    assert result.settings["polish_descriptors"] == NETWORK_POLISH
    assert cluster_labels(result.labels == 0, periodic=True)[1] == 1
    assert abs((result.labels == 0).mean() - (np.asarray(ALLOY) == 0).mean()) < 0.01
    without = mcrkit.match(ALLOY, max_iter=20, seed=0, device="cpu", report=False, networks=())
    assert without.settings["networks"] == [] and without.settings["polish"] == 0
    assert cluster_labels(without.labels == 0, periodic=True)[1] > 1


def test_match_cuts_fused_particles_after_the_gradient_run() -> None:
    # a short gradient run fuses discs; the repair cuts them back to the original's number
    # and the polish after it keeps that number (swaps that change no topology)
    from mcrkit.morphology import cluster_sizes
    from mcrkit.synthetic import overlapping_balls

    balls = overlapping_balls((64, 64), radius=2.5, volume_fraction=0.2, rng=0)
    choice = choose_defaults(balls, (64, 64))
    (spec,) = choice.particles
    assert spec.phase == 1 and "local_patterns" in choice.descriptors
    assert choice.polish == REPAIR_SWEEPS * 64 * 64
    assert "particles (phase 1:" in choice.note and "narrowest necks" in choice.note
    result = mcrkit.match(balls, max_iter=20, seed=0, device="cpu", report=False)
    assert [entry["phase"] for entry in result.settings["particles"]] == [1]
    sizes = cluster_sizes(result.labels == 1)
    assert sizes.size >= round(spec.cluster_density * balls.size) - 2
    assert sizes[0] <= 1.2 * spec.largest
    without = mcrkit.match(balls, max_iter=20, seed=0, device="cpu", report=False,
                           particles=())
    assert cluster_sizes(without.labels == 1)[0] > sizes[0]
    assert choose_defaults(balls, (64, 64, 8)).particles == ()        # 2D only


def test_repaired_particles_are_polished_with_descriptors_of_their_own() -> None:
    # the gradient run keeps its quads; the polish after the repair matches exact chord
    # lengths and interface density instead (filterwarnings=error: every polish term has an
    # annealing update, so none is evaluated in full per swap)
    from mcrkit.synthetic import coated_particles

    coated = coated_particles((32, 32), radius=2, particle_fraction=0.3, coating=1.5, rng=0)
    choice = choose_defaults(coated, (32, 32))
    assert [spec.coat for spec in choice.particles] == [2]
    assert "local_patterns" in choice.descriptors
    assert choice.polish == REPAIR_SWEEPS * 32 * 32 and choice.polish_descriptors == PARTICLE_POLISH
    assert {"chord_length", "variation"} <= set(choice.request)
    assert "chord_length (weight 1), variation (weight 10)" in choice.note
    result = mcrkit.match(coated, max_iter=3, seed=0, device="cpu", report=False)
    assert result.settings["polish_descriptors"] == PARTICLE_POLISH
    assert result.settings["polish"] == choice.polish
    assert "local_patterns" in result.settings["descriptors"]
    # a polish given by the user keeps the run's own descriptors (then without quads)
    assert choose_defaults(coated, (32, 32), gradient=False).polish_descriptors == {}
    uncoated = choose_defaults(np.where(coated == 2, 0, coated), (32, 32))
    assert [spec.coat for spec in uncoated.particles] == [None]
    assert uncoated.polish_descriptors == PARTICLE_POLISH


def test_named_descriptors_and_weights_are_kept() -> None:
    result = mcrkit.match(TINY, descriptors=["two_point"], limit_to=4, max_iter=2, seed=0,
                          device="cpu", report=False)
    assert result.settings["descriptors"] == ["two_point"] and result.settings["defaults"] is None
    weighted = mcrkit.match(TINY, weights={"local_patterns": 2.5}, limit_to=4, max_iter=2,
                            seed=0, device="cpu", report=False)
    assert weighted.settings["weights"] == [1.0, 1.0, 2.5]
    assert weighted.settings["defaults"].endswith("weights given: local_patterns=2.5")


def test_symmetry_of_a_3d_volume_from_a_2d_input() -> None:
    from mcrkit.generators import gaussian_random_field
    from mcrkit.workflows.defaults import choose_symmetry

    long_along_y = gaussian_random_field((64, 64), (2.0, 5.0), volume_fraction=0.4, seed=1)
    assumption, note = choose_symmetry(long_along_y)
    assert assumption.axis == 1 and "transversely isotropic about y" in note
    assert choose_symmetry(ALLOY)[0] is None  # at 64^2 its axes agree within their spread
    assert "isotropic input" in choose_symmetry(ALLOY)[1]
    assert choose_symmetry(ALLOY, symmetry="x")[0].axis == 0
    with pytest.raises(ValueError, match="symmetry must be one of auto, isotropic, x, y"):
        choose_symmetry(ALLOY, symmetry="z")


def test_match_adds_a_dimension_under_the_assumption_it_prints() -> None:
    from mcrkit.generators import gaussian_random_field

    image = gaussian_random_field((64, 64), (5.0, 2.0), volume_fraction=0.4, seed=1)
    result = mcrkit.match(image[:32, :32], add_dimension=8, limit_to=4, max_iter=2, seed=0,
                          device="cpu", report=False, symmetry="x")
    assert result.characterization.provenance["transverse_isotropy"]["axis"] == "x"
    assert np.isnan(result.characterization["local_patterns"][0]).all()
    text = str(result)
    assert "assumed transversely isotropic about x" in text
    assert "not imposed on the slices normal to x" in text and "local_patterns" in text
    isotropic = mcrkit.match(TINY, add_dimension=8, descriptors=["two_point"], limit_to=4,
                             max_iter=1, seed=0, device="cpu", report=False,
                             symmetry="isotropic")
    assert not isotropic.characterization.per_axis
    assert 'isotropy assumed (symmetry="isotropic")' in str(isotropic)


def test_the_command_line_repairs_a_network_too(tmp_path) -> None:
    # the CLI passes polish=False when --polish is not given: the repair's polish is used
    import json

    from typer.testing import CliRunner

    from mcrkit.cli import app

    np.save(tmp_path / "alloy.npy", ALLOY)
    out = CliRunner().invoke(app, ["match", str(tmp_path / "alloy.npy"), "-o",
                                   str(tmp_path / "run"), "--max-iter", "5", "--seed", "0",
                                   "--device", "cpu", "-q"])
    assert out.exit_code == 0, out.output
    settings = json.loads((tmp_path / "run" / "run.json").read_text())["settings"]
    assert [spec["phase"] for spec in settings["networks"]] == [0]
    assert settings["polish"] == REPAIR_SWEEPS * ALLOY.size


def test_a_volume_from_an_isotropic_slice_starts_from_a_fitted_model() -> None:
    from mcrkit.synthetic import bicontinuous

    section = bicontinuous((48, 48, 2), correlation_length=3, rng=0)[:, :, 0]
    labels, note = choose_start(section, (48, 48, 16), seed=3)
    assert note.startswith("3D start: a level-cut Gaussian random field")
    assert np.array_equal(labels, choose_start(section, (48, 48, 16), seed=3)[0])
    result = mcrkit.match(section, add_dimension=16, limit_to=4, seed=3, device="cpu",
                          report=False, symmetry="isotropic")
    assert result.settings["initial"] == "given" and result.iterations == MODEL_START_ITER == 0
    assert "3D start: a level-cut Gaussian random field" in str(result)
    assert "no gradient run" in str(result)
    assert np.array_equal(result.labels, labels)  # nothing here is small enough to clean up
    assert mcrkit.match(section, add_dimension=16, limit_to=4, max_iter=2, seed=3,
                        device="cpu", report=False).iterations == 2
    noise = mcrkit.match(section, add_dimension=16, limit_to=4, max_iter=2, seed=3,
                         device="cpu", report=False, symmetry="isotropic", start="noise")
    assert noise.settings["initial"] == "random" and '3D start: noise' in str(noise)
    with pytest.raises(ValueError, match="start must be one of model, noise, got 'balls'"):
        mcrkit.match(section, add_dimension=16, start="balls")


def test_a_model_whose_slices_fail_is_optimized_from(monkeypatch) -> None:
    import importlib

    from mcrkit.synthetic import dispersion

    match_module = importlib.import_module("mcrkit.workflows.match")  # not the function
    for module in (match_module, importlib.import_module("mcrkit.workflows.reconstruct")):
        monkeypatch.setattr(module, "DEFAULT_MAX_ITER", 3)  # the message's and the budget's
    # (a model that passes: test_the_report_of_a_model_result_takes_the_statistics_of_its_check)
    # the Boolean balls fuse the separate particles of this section (largest cluster)
    section = dispersion((24, 24, 24), radius=4.0, volume_fraction=0.08, rng=0)[:, :, 0]
    failing = mcrkit.match(section, add_dimension=16, limit_to=4, seed=0, device="cpu",
                           report=False)
    assert failing.settings["initial"] == "given" and failing.iterations == 3
    assert "the model's slices failed: phase 1 fused" in failing.settings["defaults"]
    assert "continuing with up to 3 gradient iterations" in str(failing)
    assert failing.settings["optimizer_options"]["tolerance_change"] > 0  # the default stop


def test_a_model_start_that_cannot_fit_leaves_the_noise_start() -> None:
    from mcrkit.workflows.defaults import choose_start

    labels, note = choose_start(PYMKS[:24, :24], (10000, 10000, 10000))
    assert labels is None and note.startswith("3D start: noise (a model of this volume")
    assert "36.4 TiB" in note  # 40 bytes per voxel, in words


def test_the_report_of_a_model_result_takes_the_statistics_of_its_check(monkeypatch) -> None:
    import mcrkit.metrics.report as report_module
    from mcrkit.metrics.report import validation_report

    computed = []
    statistic_lines = report_module._statistic_lines
    monkeypatch.setattr(report_module, "_statistic_lines",
                        lambda *a, **k: computed.append(a[1]) or statistic_lines(*a, **k))
    result = mcrkit.match(TINY, add_dimension=16, limit_to=4, seed=0, device="cpu")
    assert result.iterations == 0 and "its slices pass the fidelity statistics" in str(result)
    assert len(computed) == 1 and computed[0].shape == (24, 24, 16)  # the check's, once
    fresh = validation_report(TINY, result.labels, characterization=result.characterization,
                              descriptors=list(result.settings["descriptors"]),
                              errors=result.errors, limit_to=4)
    assert len(computed) == 2 and result.report == fresh


def test_a_2d_match_is_judged_and_stops_at_the_first_judgement_it_passes(
        tmp_path, monkeypatch) -> None:
    import importlib
    import json

    from mcrkit.workflows.defaults import JUDGE_AFTER_2D

    match_module = importlib.import_module("mcrkit.workflows.match")  # not the function
    assert match_module.JUDGE_AFTER_2D == JUDGE_AFTER_2D == 100
    monkeypatch.setattr(match_module, "JUDGE_AFTER_2D", 2)  # judged after 2, 4, 8, ...
    result = mcrkit.match(PYMKS[:16, :16], limit_to=3, seed=0, device="cpu",
                          run_dir=tmp_path / "run", report=False)
    judged = json.loads((tmp_path / "run" / "run.json").read_text())["judged"]
    iterations = [j["iteration"] for j in judged]
    assert iterations == [2 ** k for k in range(1, len(judged) + 1)]
    # runs on while its state fails, stops at the first judgement it passes
    assert [j["passed"] for j in judged] == [False] * (len(judged) - 1) + [True]
    assert len(judged) > 1 and (result.status, result.iterations) == ("stopped", iterations[-1])
    assert "judged against the original after 2 iterations" in str(result)
    given = mcrkit.match(PYMKS[:16, :16], limit_to=3, max_iter=1, seed=0, device="cpu",
                         report=False)
    assert given.settings["judge_after"] == 0  # the user's budget is run as it is
