"""RunSettings: frozen, validated, and a JSON round trip (run.json's settings)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mcrkit.engine.settings import RunSettings, make_optimizer
from mcrkit.morphology.particles import ParticleSpec

BASE = {"shape": (32, 24, 16), "descriptors": ("two_point", "lineal_path"),
        "optimizer": "lbfgs", "max_iter": 10, "seed": 7}


def test_json_round_trip_keeps_every_field() -> None:
    settings = RunSettings(**BASE, weights={"two_point": 2.0}, loss="rms",
                           optimizer_options={"history_size": 5}, polish=100, initial="given",
                           cleanup=(12.5, 0.0),
                           noise=0.1, multigrid=2, device="cpu", snapshot_every=3,
                           checkpoint_every=0.5, time_limit=9.0, memory_estimate=2**20,
                           particles=(ParticleSpec(1, 600, 10, 5.0, 1e-3, coat=2),),
                           polish_descriptors={"chord_length": 1.0, "variation": 10.0})
    document = json.loads(json.dumps(settings.to_json()))
    assert document["shape"] == [32, 24, 16] and document["descriptors"] == [
        "two_point", "lineal_path"]
    assert RunSettings.from_json(document) == settings


def test_settings_are_frozen_and_replace_validates_again() -> None:
    settings = RunSettings(**BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_iter = 3  # type: ignore[misc]
    assert settings.replace(max_iter=3).max_iter == 3
    with pytest.raises(ValueError, match="max_iter must be a positive integer, got 0"):
        settings.replace(max_iter=0)


def test_an_int_shape_and_numpy_integers_become_plain_ints() -> None:
    import numpy as np

    settings = RunSettings(**{**BASE, "shape": [np.int64(8), 8], "seed": np.int64(3)})
    assert settings.shape == (8, 8) and type(settings.seed) is int
    assert json.dumps(settings.to_json())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shape": (0, 32)}, "positive integers"),
        ({"shape": (32,)}, "2 or 3"),
        ({"shape": (8, 8, 8, 8)}, "2 or 3"),
        ({"descriptors": ()}, "one or more descriptor ids"),
        ({"max_iter": 1.5}, "max_iter must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"multigrid": 9}, "multigrid=9 halves the grid"),
        ({"multigrid": 0}, "multigrid must be a positive integer"),
        ({"polish": -3}, "polish must be a non-negative integer"),
        ({"snapshot_every": True}, "snapshot_every must be a non-negative integer"),
        ({"initial": "zeros"}, "initial must be 'random' or 'given'"),
        ({"noise": float("nan")}, "noise must be a non-negative number"),
        ({"checkpoint_every": -1.0}, "checkpoint_every must be non-negative"),
        ({"time_limit": 0}, "time_limit must be positive seconds"),
        ({"cleanup": (4.0, -1.0)}, "cleanup must hold one non-negative feature size"),
        ({"polish_descriptors": {"variation": 10.0}}, "give polish .moves. with them"),
        ({"polish": 8, "polish_descriptors": {"variation": -1.0}},
         "polish_descriptors must map descriptor ids to positive weights"),
        ({"polish": 8, "polish_descriptors": ["variation"]},
         "polish_descriptors must map descriptor ids to positive weights"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(change, message) -> None:
    with pytest.raises(ValueError, match=message):
        RunSettings(**{**BASE, **change})


def test_unknown_keys_in_a_saved_document_are_named() -> None:
    document = RunSettings(**BASE).to_json() | {"temperature": 3}
    with pytest.raises(ValueError, match="unknown run settings temperature"):
        RunSettings.from_json(document)


def test_make_optimizer_fills_an_unset_seed_and_names_bad_options() -> None:
    assert make_optimizer("annealing", {}, seed=5).seed == 5
    assert make_optimizer("annealing", {"seed": 2}, seed=5).seed == 2
    with pytest.raises(ValueError, match="does not accept .*options are"):
        make_optimizer("lbfgs", {"steps": 3})


def test_no_iterations_only_from_a_given_start() -> None:
    assert RunSettings(**BASE, initial="given").replace(max_iter=0).max_iter == 0
    with pytest.raises(ValueError, match="max_iter must be a positive integer, got 0"):
        RunSettings(**BASE, initial="random").replace(max_iter=0)
