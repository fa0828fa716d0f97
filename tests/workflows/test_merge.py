"""merge: views on slice orientations, orientation, realizability, anisotropic 3D results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import mcrkit
from mcrkit.descriptors import mean_chord_length
from mcrkit.generators import gaussian_random_field
from mcrkit.workflows import InconsistentViewsError, check_realizability, merge
from mcrkit.workflows.merge import DEFAULT_ORIENTATION

EVERY_KIND = {"volume_fractions": {}, "two_point": {"limit_to": 3},
              "lineal_path": {"limit_to": 3}, "chord_length": {"max_length": 6}, "variation": {}}
RECONSTRUCTION = {"volume_fractions": {}, "two_point": {},
                  "lineal_path": {"directions": ((1, 0), (0, 1))}}
ORIENTATIONS = [dict(zip("xyz", orders, strict=True))
                for orders in itertools.product(("yz", "zy"), ("xz", "zx"), ("xy", "yx"))]


def _views(descriptors, shapes, seed=0):
    images = [gaussian_random_field(shape, (3.0, 1.0), volume_fraction=0.4, seed=seed + i)
              for i, shape in enumerate(shapes)]
    return images, [mcrkit.characterize(image, descriptors) for image in images]


def _named(characterization, name):
    characterization.source = name
    return characterization


@pytest.fixture(scope="module")
def grf_views():
    """Elongated (rows 3x longer) and isotropic views, 96x96, and an elongated pair."""
    def view(lengths, seed, name):
        image = gaussian_random_field((96, 96), lengths, volume_fraction=0.4, seed=seed)
        return _named(mcrkit.characterize(image, RECONSTRUCTION, limit_to=6), name)

    return {"elongated": view((4.5, 1.5), 1, "elongated.npz"),
            "elongated2": view((4.5, 1.5), 2, "elongated2.npz"),
            "isotropic": view(1.5, 3, "isotropic.npz")}


@pytest.mark.parametrize("orientation", ORIENTATIONS, ids=lambda o: "-".join(o.values()))
def test_each_slice_orientation_gets_its_view_as_a_volume_with_those_slices_would(orientation):
    # Independent expectation: a volume extruded along axis a, whose every slice normal to
    # a shows the view with rows along orientation[a][0], is characterized by mcrkit's own
    # slicing; its value on axis a is what the merged characterization must hold there.
    images, views = _views(EVERY_KIND, [(12, 10), (14, 10), (9, 11)])
    merged = merge(views, orientation, tolerance=1.0)
    assert merged.per_axis and merged.axes == ("x", "y", "z")
    for axis, name in enumerate("xyz"):
        image = images[axis] if orientation[name] == DEFAULT_ORIENTATION[name] \
            else images[axis].T
        volume = np.repeat(np.expand_dims(image, axis), 8, axis=axis)
        expected = mcrkit.characterize(volume, EVERY_KIND)
        for descriptor in EVERY_KIND:
            np.testing.assert_allclose(merged[descriptor][axis], expected[descriptor][axis],
                                       atol=1e-12, err_msg=f"{descriptor}, axis {name}")
    assert merged.provenance["merge"]["orientation"] == orientation


def test_one_view_serves_every_axis_and_two_views_split_x_y_from_z() -> None:
    _, (a, b) = _views(RECONSTRUCTION, [(16, 16), (16, 16)])
    one = merge([a], tolerance=1.0)
    for axis in range(3):
        np.testing.assert_array_equal(one["two_point"][axis], a["two_point"])
    two = merge([a, b], tolerance=1.0)
    for axis, source in enumerate((a, a, b)):
        np.testing.assert_array_equal(two["two_point"][axis], source["two_point"])
    assert merge(a, tolerance=1.0).per_axis  # a single view need not be wrapped in a list
    views = two.provenance["merge"]["views"]
    assert [sorted(v["slices"]) for v in views] == [["x", "y"], ["z"]]


def test_merged_shape_voxel_size_and_file_round_trip(tmp_path) -> None:
    _, (a, b) = _views(EVERY_KIND, [(20, 12), (20, 16)])
    a.voxel_size, b.voxel_size = (0.5, 1.0), (1.0, 1.0)
    merged = merge([a, b], {"x": "zy", "y": "zx"}, tolerance=1.0)
    # a: rows along z (20 px of 0.5), columns along y and x (12 px of 1.0); b: rows along x
    # (20), columns along y (16)
    assert merged.shape == (20, 16, 20)
    assert merged.voxel_size == (1.0, 1.0, 0.5)
    loaded = mcrkit.Characterization.load(merged.save(tmp_path / "merged.npz"))
    assert loaded.per_axis and loaded.provenance == merged.provenance
    for name in merged.names:
        np.testing.assert_array_equal(loaded[name], merged[name])


def test_conflicting_voxel_sizes_are_refused() -> None:
    _, (a, b) = _views(RECONSTRUCTION, [(16, 16), (16, 16)])
    a.voxel_size, b.voxel_size = (1.0, 1.0), (2.0, 2.0)
    with pytest.raises(ValueError, match=r"voxel size along x as \[1.0, 2.0\].*Resample"):
        merge([a, b], tolerance=1.0)


def test_consistent_views_of_an_x_elongated_structure_are_realizable(grf_views) -> None:
    merged = merge([grf_views["isotropic"], grf_views["elongated"], grf_views["elongated2"]])
    report = merged.provenance["merge"]["realizability"]
    assert report["realizable"] and not report["unchecked"]
    shared = {(row["shared_axis"], row["descriptor"]) for row in report["comparisons"]}
    assert shared == set(itertools.product("xyz", RECONSTRUCTION))
    # the x direction is the long one in both elongated views: nearly identical statistics
    assert max(r["rmse"] for r in report["comparisons"] if r["shared_axis"] == "x") < 0.03


def test_the_same_elongated_view_normal_to_x_and_to_z_is_refused_naming_axis_y(grf_views):
    views = [grf_views["elongated"], grf_views["isotropic"], grf_views["elongated"]]
    with pytest.raises(InconsistentViewsError) as info:
        merge(views)
    message = str(info.value)
    assert "along y: slices normal to x (elongated.npz, image rows) and slices normal to z " \
           "(elongated.npz, image columns) differ (two_point RMSE 0.1" in message
    assert "lineal_path RMSE" in message and "allow_inconsistent=True" in message
    assert "--allow-inconsistent" in message and "orientation" in message
    with pytest.warns(UserWarning, match="along y.*merged anyway"):
        merged = merge(views, allow_inconsistent=True)
    assert not merged.provenance["merge"]["realizability"]["realizable"]


def test_views_whose_fractions_differ_are_refused_with_the_sampling_advice() -> None:
    views = [_named(mcrkit.characterize(
        gaussian_random_field((32, 32), 1.5, volume_fraction=fraction, seed=5),
        ["volume_fractions", "two_point"], limit_to=4), f"f{fraction}.npz")
        for fraction in (0.3, 0.45)]
    with pytest.raises(InconsistentViewsError) as info:
        merge(views)
    message = str(info.value)
    assert "volume_fractions RMSE 0.15" in message  # two phases: the RMSE is the difference
    assert "volume fractions differ (RMSE up to 0.150)" in message
    assert "larger images" in message and "--allow-inconsistent" in message


def test_an_anisotropic_single_view_conflicts_with_itself_and_orientation_resolves_two_views(
        grf_views) -> None:
    with pytest.raises(InconsistentViewsError, match="along y"):
        merge([grf_views["elongated"]])
    merge([grf_views["isotropic"]])  # an isotropic view fits every axis
    # Fibres along z: the elongated view's rows run along z on the slices normal to x and y.
    with pytest.raises(InconsistentViewsError, match="along y.*along x"):
        merge([grf_views["elongated"], grf_views["isotropic"]])
    fibres = merge([grf_views["elongated"], grf_views["isotropic"]], {"x": "zy", "y": "zx"})
    assert fibres.provenance["merge"]["realizability"]["realizable"]


def test_check_realizability_accepts_a_real_volume_and_reports_descriptors_it_cannot_check():
    volume = gaussian_random_field((24, 24, 24), (4.0, 1.5, 1.5), volume_fraction=0.4, seed=4)
    c = mcrkit.characterize(volume, ["two_point", "variation"], limit_to=4)
    report = check_realizability(c)
    assert report["realizable"] and report["unchecked"] == ["variation"]
    assert max(row["rmse"] for row in report["comparisons"]) < 0.01
    with pytest.raises(ValueError, match="not per-axis"):
        check_realizability(mcrkit.characterize(volume[0], ["two_point"], limit_to=4))


def test_descriptors_without_statistics_along_an_axis_warn_that_nothing_was_checked() -> None:
    _, (a,) = _views(["variation"], [(16, 16)])
    with pytest.warns(UserWarning, match="unchecked; add two_point or lineal_path"):
        merge([a])


def test_tolerance_decides_what_counts_as_agreement(grf_views) -> None:
    views = [grf_views["isotropic"], grf_views["elongated"], grf_views["elongated2"]]
    worst = max(row["rmse"] for row in merge(views).provenance["merge"]["realizability"][
        "comparisons"])
    with pytest.raises(InconsistentViewsError):
        merge(views, tolerance=worst * 0.9)
    merge(views, tolerance=worst)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"orientation": {"w": "yz"}}, "keys are the slicing axes 'x', 'y' and 'z'"),
    ({"orientation": {"x": "xz"}}, r"orientation\['x'\] = 'xz' is not an order of the "
                                   r"in-plane axes of slices normal to x \(y and z\)"),
    ({"orientation": {"z": "xyx"}}, "give 'xy'"),
    ({"tolerance": -1}, "tolerance must be a finite number >= 0"),
    ({"tolerance": float("nan")}, "tolerance must be"),
])
def test_bad_options_are_refused_with_the_fix(kwargs, message) -> None:
    _, (a,) = _views(RECONSTRUCTION, [(16, 16)])
    with pytest.raises(ValueError, match=message):
        merge([a], **kwargs)


def test_bad_views_are_refused_with_the_reason() -> None:
    _, (a, b) = _views(RECONSTRUCTION, [(16, 16), (16, 16)])
    with pytest.raises(ValueError, match="one, two or three views.*got 4"):
        merge([a, a, a, a])
    with pytest.raises(ValueError, match="got 0"):
        merge([])
    volume = mcrkit.characterize(np.tile([0, 1], (8, 8, 4)), ["two_point"], limit_to=2)
    with pytest.raises(ValueError, match="3D structure.*views must be 2D"):
        merge([volume])
    other = mcrkit.characterize(np.tile([0, 1], (16, 8)), {"two_point": {"limit_to": 4}})
    with pytest.raises(ValueError, match="holds volume_fractions, two_point, lineal_path but"):
        merge([a, other])
    limit = mcrkit.characterize(np.tile([0, 1], (16, 8)), RECONSTRUCTION, limit_to=4)
    with pytest.raises(ValueError, match=r"two_point was computed with other settings.*"
                                         r"limit_to=8 vs 4"):
        merge([a, limit])
    three = mcrkit.characterize(np.tile([0, 1, 2], (16, 6)), RECONSTRUCTION)
    with pytest.raises(ValueError, match="has 2 phases but .* has 3"):
        merge([a, three])
    with pytest.raises(TypeError, match="expected a Characterization or the path"):
        merge([np.zeros((4, 4))])


def test_paths_are_read_and_differing_label_values_warn(tmp_path) -> None:
    _, (a, b) = _views(RECONSTRUCTION, [(16, 16), (16, 16)])
    b.label_values = (0, 255)
    path = a.save(tmp_path / "a.npz")
    with pytest.warns(UserWarning, match=r"different labels \(\[0, 1\] vs \[0, 255\]\)"):
        merged = merge([path, b], tolerance=1.0)
    first = merged.provenance["merge"]["views"][0]
    assert first["source"] == a.source and first["name"] == str(path)
    with pytest.raises(FileNotFoundError, match="no such characterization file"):
        merge([tmp_path / "missing.npz"])


def test_views_with_correlations_merge_in_the_default_orientation_only() -> None:
    _, (a,) = _views({"correlations": {"limit_to": 3}}, [(16, 16)])
    merged = merge([a], tolerance=1.0)
    assert merged["correlations"].shape == (3, *a["correlations"].shape)
    with pytest.raises(ValueError, match="correlations: its value on the transposed image"):
        merge([a], {"x": "zy"}, tolerance=1.0)


@pytest.mark.parametrize(("views", "orientation", "shape", "long_axis"), [
    (("isotropic", "elongated", "elongated2"), None, (40, 24, 16), 0),
    (("elongated", "isotropic"), {"x": "zy", "y": "zx"}, (16, 20, 40), 2),  # fibres along z
], ids=["three views, along x", "two views, along z"])
def test_reconstruction_from_views_is_elongated_as_prescribed_and_matches_each_view(
        grf_views, views, orientation, shape, long_axis) -> None:
    merged = merge([grf_views[name] for name in views], orientation)
    result = mcrkit.reconstruct(merged, shape, max_iter=120, seed=0, device="cpu")
    assert result.labels.shape == shape
    chords = [mean_chord_length(result.labels == 1, axis) for axis in range(3)]
    assert chords[long_axis] >= 1.5 * max(np.delete(chords, long_axis))
    # Each slice orientation matches its own view, not the view of another orientation.
    found = mcrkit.characterize(result.labels, RECONSTRUCTION, limit_to=6)["two_point"]
    own = [np.sqrt(np.mean((found[a] - merged["two_point"][a]) ** 2)) for a in range(3)]
    other = np.sqrt(np.mean((found[2] - merged["two_point"][0]) ** 2))
    assert max(own) < 0.01 < other
