"""Properties every registered descriptor shares: translation invariance and 2D-on-3D slicing."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mcrkit.descriptors import Correlations, chord_length_distribution
from mcrkit.descriptors.base import one_hot
from mcrkit.descriptors.selection import make_descriptor
from mcrkit.microstructure import from_array
from mcrkit.registry import descriptors as registry


def _all_descriptors(**common):
    """One small instance of every registered descriptor (plus a few variants)."""
    built = [make_descriptor(name, limit_to=3, max_length=6, **common)
             for name in registry.names()]
    built.append(make_descriptor("lineal_path_approx", {"method": "min",
                                                        "directions": ((2, 1), (1, -3))},
                                 limit_to=3, **common))
    return built


def _labels(rng, shape, n_phases):
    labels = rng.integers(0, n_phases, size=shape)
    labels.flat[:n_phases] = np.arange(n_phases)  # every phase present
    return labels


def _value(descriptor, labels, n_phases):
    """Descriptor value of a label array with a fixed phase count (no relabelling)."""
    if descriptor.differentiable:
        with torch.no_grad():
            return descriptor.evaluate(one_hot(labels, n_phases)).numpy()
    return descriptor.evaluate_labels(labels, n_phases)


def _atol(descriptor):
    """Tolerance against float64 references: ``exact_dtype`` float32 descriptors count exactly
    but divide by the pixel count in float32 (relative error ~6e-8)."""
    return 1e-9 if descriptor.exact_dtype in (None, torch.float64) else 1e-6


def test_registry_holds_every_builtin_descriptor():
    assert {d.name for d in _all_descriptors()} == set(registry.names())


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    shape=st.tuples(st.integers(6, 10), st.integers(6, 10)),
    n_phases=st.integers(2, 3),
    seed=st.integers(0, 2**16),
    shift=st.tuples(st.integers(-12, 12), st.integers(-12, 12)),
)
def test_periodic_descriptors_are_translation_invariant(shape, n_phases, seed, shift):
    rng = np.random.default_rng(seed)
    labels = _labels(rng, shape, n_phases)
    rolled = np.roll(labels, shift, axis=(0, 1))
    for descriptor in _all_descriptors(periodic=True):
        original = descriptor.characterize(from_array(labels))
        shifted = descriptor.characterize(from_array(rolled))
        np.testing.assert_allclose(shifted, original, atol=1e-9, rtol=0, err_msg=descriptor.name)


def test_translation_invariance_in_3d():
    rng = np.random.default_rng(1234)
    volume = _labels(rng, (6, 7, 8), 3)
    rolled = np.roll(volume, (2, -3, 5), axis=(0, 1, 2))
    for descriptor in _all_descriptors(periodic=True):
        original = descriptor.characterize(from_array(volume))
        np.testing.assert_allclose(descriptor.characterize(from_array(rolled)), original,
                                   atol=1e-9, rtol=0, err_msg=descriptor.name)


def test_non_periodic_descriptors_see_translations():
    # Guard against a vacuous invariance test: without wrap, a shift changes the values.
    rng = np.random.default_rng(1234)
    labels = _labels(rng, (8, 8), 2)
    rolled = np.roll(labels, (3, 1), axis=(0, 1))
    for name in ("two_point", "correlations", "lineal_path", "chord_length"):
        descriptor = make_descriptor(name, limit_to=3, max_length=6, periodic=False)
        assert not np.allclose(descriptor.characterize(from_array(labels)),
                               descriptor.characterize(from_array(rolled))), name


def test_multigrid_is_invariant_under_even_shifts():
    rng = np.random.default_rng(1234)
    labels = _labels(rng, (12, 12), 2)
    descriptor = Correlations(limit_to=3, levels=2)
    original = descriptor.characterize(from_array(labels))
    even = descriptor.characterize(from_array(np.roll(labels, (4, -2), axis=(0, 1))))
    odd = descriptor.characterize(from_array(np.roll(labels, (1, 0), axis=(0, 1))))
    np.testing.assert_allclose(even, original, atol=1e-9, rtol=0)
    # An odd shift moves the 2x2 pooling blocks: level 0 is unchanged, level 1 is not.
    np.testing.assert_allclose(odd[0], original[0], atol=1e-9, rtol=0)
    assert not np.allclose(odd[1], original[1])


@pytest.mark.parametrize("n_phases", [2, 3])
def test_stacked_2d_image_gives_2d_value_on_z_axis(n_phases):
    rng = np.random.default_rng(1234)
    image = _labels(rng, (8, 6), n_phases)
    volume = np.repeat(image[:, :, None], 7, axis=2)
    assert all((volume[:, :, k] == image).all() for k in range(7))
    for descriptor in _all_descriptors():
        flat = descriptor.characterize(from_array(image))
        stacked = descriptor.characterize(from_array(volume))
        assert stacked.shape == (3, *flat.shape), descriptor.name
        np.testing.assert_allclose(stacked[2], flat, atol=1e-9, rtol=0, err_msg=descriptor.name)


@pytest.mark.parametrize("n_phases", [2, 3])
def test_3d_value_is_mean_over_slices(n_phases):
    rng = np.random.default_rng(1234)
    volume = _labels(rng, (6, 7, 8), n_phases)
    for descriptor in _all_descriptors():
        value = descriptor.characterize(from_array(volume))
        if descriptor.name == "chord_length":
            continue  # pools chords over slices instead; see the next test
        for axis in range(3):
            slices = np.moveaxis(volume, axis, 0)
            expected = np.mean([_value(descriptor, s, n_phases) for s in slices], axis=0)
            np.testing.assert_allclose(value[axis], expected, atol=_atol(descriptor), rtol=0,
                                       err_msg=f"{descriptor.name} axis {axis}")


def test_3d_chord_length_pools_chords_of_all_slices():
    rng = np.random.default_rng(1234)
    volume = _labels(rng, (6, 7, 8), 2)
    descriptor = make_descriptor("chord_length", max_length=5)
    value = descriptor.characterize(from_array(volume))
    assert value.shape == (3, 1, 2, 5)
    for axis in range(3):
        in_plane = [a for a in range(3) if a != axis]
        for k, along in enumerate(in_plane):
            expected = chord_length_distribution(volume == 1, along, max_length=5)
            np.testing.assert_allclose(value[axis, 0, k], expected, atol=1e-12)
