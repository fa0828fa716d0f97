"""Chunked (and checkpointed) evaluation of 3D structures equals the one-shot evaluation."""

import numpy as np
import pytest
import torch

from mcrkit.descriptors import base
from mcrkit.descriptors.base import one_hot
from mcrkit.descriptors.selection import make_descriptor
from mcrkit.microstructure import from_array
from mcrkit.registry import descriptors as registry

SHAPE = (6, 7, 8)  # slice batches of 6, 7 and 8 images of 7x8, 6x8 and 6x7 pixels
OPTIONS = {"gram_matrices": {"layers": ("conv3x3",)}}
"""Smaller settings where the defaults are costly: the chunking is the same for every layer."""


def _differentiable():
    built = [make_descriptor(name, OPTIONS.get(name), limit_to=2, periodic=periodic)
             for name, cls in registry.available().items() if cls.differentiable
             for periodic in (True, False)]
    built += [make_descriptor("correlations", {"levels": 2}, limit_to=2),
              make_descriptor("lineal_path_approx", {"method": "min"}, limit_to=2)]
    return built


def _field(n_phases):
    rng = np.random.default_rng(1234)
    raw = rng.uniform(0.05, 0.95, size=(n_phases, *SHAPE))
    return torch.tensor(raw / raw.sum(axis=0), requires_grad=True)


def _value_and_gradient(descriptor, field, weights):
    field.grad = None
    value = descriptor.evaluate(field)
    (weights * value).sum().backward()
    return value.detach().clone(), field.grad.clone()


@pytest.fixture
def count_checkpoints(monkeypatch):
    calls = []
    original = base.recomputed

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(base, "recomputed", counting)
    return calls


# one image per chunk (three phases) and uneven chunks of up to four images (two phases): the
# budget scales with the channels, so the number of phases does not change the chunks
@pytest.mark.parametrize(("images_per_chunk", "n_phases"), [(1, 3), (4, 2)])
def test_chunked_evaluation_equals_one_shot(monkeypatch, count_checkpoints, images_per_chunk,
                                            n_phases):
    field = _field(n_phases)
    rng = np.random.default_rng(1234)
    for descriptor in _differentiable():
        weights = torch.as_tensor(rng.normal(size=descriptor.evaluate(field).shape))
        value, gradient = _value_and_gradient(descriptor, field, weights)
        assert not count_checkpoints  # the default budget holds every slice at once

        channels = len(descriptor.phases(n_phases))
        # Budget for ``images_per_chunk`` 8x8 images: uneven chunks for every slicing axis.
        budget = images_per_chunk * descriptor.workspace(channels) * 8 * 8 * 8
        with monkeypatch.context() as patch:
            patch.setattr(base, "WORKSPACE_BYTES", budget)
            chunked_value, chunked_gradient = _value_and_gradient(descriptor, field, weights)
        assert count_checkpoints, descriptor.name  # the checkpointed chunk path ran
        count_checkpoints.clear()

        np.testing.assert_allclose(chunked_value.numpy(), value.numpy(), atol=1e-12,
                                   err_msg=descriptor.name)
        np.testing.assert_allclose(chunked_gradient.numpy(), gradient.numpy(), atol=1e-12,
                                   err_msg=descriptor.name)


def test_chunked_characterization_equals_one_shot(monkeypatch):
    rng = np.random.default_rng(1234)
    labels = rng.integers(0, 3, size=SHAPE)
    ms = from_array(labels)
    for descriptor in _differentiable():
        expected = descriptor.characterize(ms)
        with monkeypatch.context() as patch:
            patch.setattr(base, "WORKSPACE_BYTES", 1)
            np.testing.assert_allclose(descriptor.characterize(ms), expected, atol=1e-9,
                                       rtol=1e-6, err_msg=descriptor.name)


def test_tiny_budget_still_evaluates_one_image_at_a_time(monkeypatch):
    monkeypatch.setattr(base, "WORKSPACE_BYTES", 1)
    field = one_hot(np.random.default_rng(1234).integers(0, 2, size=SHAPE), 2)
    value = make_descriptor("volume_fractions").evaluate(field)
    np.testing.assert_allclose(value.numpy(), field.mean(dim=(1, 2, 3)).expand(3, 2).numpy(),
                               atol=1e-12)
