"""Transverse isotropy: per-orientation targets of an anisotropic 2D input and their verdict."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

import mcrkit
from mcrkit.descriptors import TwoPoint
from mcrkit.engine.field import field_from_params
from mcrkit.engine.objective import Objective, make_loss, resolve_terms
from mcrkit.generators import gaussian_random_field
from mcrkit.metrics.report import validation_report
from mcrkit.metrics.transverse import TransverseIsotropy, isotropic_value, transverse_target
from mcrkit.workflows.merge import check_realizability

REQUEST = {"volume_fractions": {}, "two_point": {"limit_to": 4},
           "lineal_path": {"limit_to": 4, "directions": ((1, 0), (0, 1))},
           "chord_length": {"max_length": 8}, "local_patterns": {"strides": (1, 2)}}


@pytest.mark.parametrize("axis", [0, 1])
def test_the_orientations_agree_along_every_shared_direction(axis) -> None:
    lengths = (3.0, 1.5) if axis == 0 else (1.5, 3.0)
    image = gaussian_random_field((32, 32), lengths, seed=0)
    target = transverse_target(mcrkit.characterize(image, REQUEST), image,
                               TransverseIsotropy(axis))
    assert target.shape == (32, 32, 32) and target.per_axis
    report = check_realizability(target, tolerance=1e-12)
    assert report["realizable"] and len(report["comparisons"]) == 12
    assert target.provenance["transverse_isotropy"] == {
        "axis": "xy"[axis], "factor": None, "not_imposed": ["local_patterns"]}
    # slices normal to the axis across the features see the input with z along that axis:
    # normal to y (x, z) as it is, normal to x (y, z) transposed
    across = mcrkit.characterize(image if axis == 0 else image.T, REQUEST)
    for name in REQUEST:
        np.testing.assert_allclose(target[name][1 - axis], across[name])
    assert np.isnan(target["local_patterns"][axis]).all()


def test_the_isotropic_s2_is_the_line_across_the_features_at_every_angle() -> None:
    image = gaussian_random_field((40, 40), (4.0, 2.0), volume_fraction=0.3, seed=1)
    s2 = TwoPoint(limit_to=4)
    value = isotropic_value(s2, s2.label_value(image, 2), 1, image, 2)[0]
    wide = TwoPoint(limit_to=6).label_value(image, 2)[0, 6, :]  # along y, lags -6..6
    line = (wide[6:] + wide[6::-1]) / 2
    np.testing.assert_allclose(value[4, 4:], line[:5])  # along y
    np.testing.assert_allclose(value[4:, 4], line[:5])  # along x: the same, isotropic
    np.testing.assert_allclose(value[7, 7], np.interp(3 * math.sqrt(2), np.arange(7), line))
    np.testing.assert_allclose(value, value.T)
    assert value[4, 4] == pytest.approx(0.3)


def test_entries_without_a_target_are_left_out_of_the_loss() -> None:
    image = gaussian_random_field((16, 16), (3.0, 1.5), seed=2)
    target = transverse_target(mcrkit.characterize(image, {"local_patterns": {}}), image,
                               TransverseIsotropy(0))
    (term,) = resolve_terms(target, (16, 16, 8), ["local_patterns"], dtype=torch.float64)
    assert term.imposed is not None and not term.imposed[0].any() and term.imposed[1:].all()
    objective = Objective([term], make_loss("mse"), 2, (16, 16, 8))
    theta = torch.rand((1, 16, 16, 8), dtype=torch.float64,
                       generator=torch.Generator().manual_seed(0))
    value = term.descriptor.evaluate(field_from_params(theta))
    expected = torch.mean((value[1:] - term.target[1:]) ** 2)
    assert objective.parts(field_from_params(theta))["local_patterns"] == pytest.approx(
        float(expected))
    _, gradient = objective(theta)
    assert torch.isfinite(gradient).all()
    with pytest.raises(ValueError, match="annealing cannot leave out"):
        mcrkit.reconstruct(target, (16, 16, 8), ["local_patterns"], optimizer="annealing",
                           max_iter=1, seed=0, device="cpu")


def test_each_orientation_is_judged_against_its_own_target() -> None:
    """A transversely isotropic volume passes against the targets of its own slice normal to
    z; judged with the input on every slice, its slices normal to x fail."""
    volume = gaussian_random_field((48, 32, 32), (4.0, 1.5, 1.5), seed=0)
    image = volume[:, :, 0]
    characterization = mcrkit.characterize(image, {"two_point": {"limit_to": 4}})
    target = transverse_target(characterization, image, TransverseIsotropy(0))
    report = validation_report(image, volume, characterization=target,
                               descriptors=["two_point"], limit_to=4)
    assert report["verdict"]["failed"] == 0, report["verdict"]["text"]
    assert report["verdict"]["text"].startswith("good on what it could judge")
    assert report["verdict"]["cannot_judge"] == [
        "topology of the slices normal to x (not determined by the 2D input)"]
    assert report["assumption"]["axis"] == "x"
    summary = report["volume"]["result"]  # listed, not judged: no 3D original
    assert [row["phase"] for row in summary] == [0, 1]
    assert summary[1]["volume_fraction"] == pytest.approx(volume.mean())
    assert set(summary[1]["percolates"]) == {"x", "y", "z"}
    assert not [line for line in report["lines"]
                if line["axis"] == "x" and line["kind"] == "topology"]
    assert {line["axis"] for line in report["lines"] if line["kind"] == "descriptor"} == \
        {"x", "y", "z"}
    on_every_slice = validation_report(image, volume, limit_to=4)
    assert {line["axis"] for line in on_every_slice["verdict"]["failing_lines"]} == {"x"}


def test_the_assumption_round_trips() -> None:
    assumption = TransverseIsotropy(1, 2.5)
    assert TransverseIsotropy.from_json(assumption.to_json()) == assumption
    assert dataclasses.replace(assumption, factor=math.nan).to_json()["factor"] is None
    with pytest.raises(ValueError, match="0 \\(x\\) or 1 \\(y\\)"):
        TransverseIsotropy(2)


def test_a_descriptor_that_cannot_be_transposed_is_refused_with_the_way_out() -> None:
    image = gaussian_random_field((16, 16), (1.5, 3.0), seed=0)
    characterization = mcrkit.characterize(image, {"correlations": {"limit_to": 2}})
    with pytest.raises(ValueError, match="symmetry='isotropic'"):
        transverse_target(characterization, image, TransverseIsotropy(1))
    about_x = transverse_target(characterization, image, TransverseIsotropy(0))
    assert about_x.provenance["transverse_isotropy"]["not_imposed"] == ["correlations"]
