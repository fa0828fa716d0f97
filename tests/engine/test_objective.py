"""The objective is scaled by the voxel count once: optimizers see N L, every record shows L."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import mcrkit
from mcrkit.engine.field import field_from_params, labels_from_params
from mcrkit.engine.loop import RunState, optimize
from mcrkit.engine.objective import Objective, make_loss, resolve_terms, upsample
from mcrkit.engine.optimizers import LBFGS, Annealing
from mcrkit.engine.record import Convergence, Recorder
from mcrkit.engine.stages import Stage

SHAPE = (8, 8)
LABELS = (mcrkit.data.load("pymks_ms_64x64_1")[:8, :8]).astype(np.uint8)


@pytest.fixture(scope="module")
def characterization() -> mcrkit.Characterization:
    return mcrkit.characterize(LABELS, ["two_point"], limit_to=2)


def objective_of(characterization, *, differentiable: bool = True) -> Objective:
    terms = resolve_terms(characterization, SHAPE, ["two_point"], [2.0],
                          differentiable=differentiable)
    return Objective(terms, make_loss("mse"), 2, SHAPE)


def unscaled_loss(objective: Objective, theta: torch.Tensor) -> torch.Tensor:
    return objective.total(objective.parts(field_from_params(upsample(theta, SHAPE))))


def test_value_and_gradient_are_the_loss_times_the_voxel_count(characterization) -> None:
    objective = objective_of(characterization)
    theta = torch.rand((1, 4, 4), generator=torch.Generator().manual_seed(0)) * 1.5
    value, grad = objective(theta)
    x = theta.clone().requires_grad_(True)
    loss = unscaled_loss(objective, x)  # on the 4 x 4 grid too, N is the full grid's 64
    (expected,) = torch.autograd.grad(loss, x)
    assert objective.scale == 64
    torch.testing.assert_close(value, 64 * loss.detach())
    torch.testing.assert_close(grad, 64 * expected)
    assert objective.unscaled(float(value)) == pytest.approx(float(loss.detach()))
    assert objective.evaluations == 1


def test_the_loop_records_the_unscaled_loss_of_a_gradient_run(characterization) -> None:
    objective = objective_of(characterization)
    theta = torch.rand((1, *SHAPE), generator=torch.Generator().manual_seed(1)) * 1.5
    record = Convergence()
    state, _ = optimize(objective, [Stage(SHAPE, LBFGS, 3)],
                        RunState(theta=theta, convergence=record),
                        callbacks=Recorder(record, SHAPE))
    assert record.history["loss"][-1] == pytest.approx(
        float(unscaled_loss(objective, state.theta)), rel=1e-5)


def test_annealing_records_the_unscaled_loss_of_its_labels(characterization) -> None:
    objective = objective_of(characterization, differentiable=False)
    start = np.random.default_rng(2).permutation(LABELS.ravel()).reshape(SHAPE)
    theta = torch.as_tensor(np.pi / 2 * start[None], dtype=torch.float32)
    record = Convergence()
    state, _ = optimize(objective, [Stage(SHAPE, lambda: Annealing(seed=0), 2)],
                        RunState(theta=theta, convergence=record),
                        callbacks=Recorder(record, SHAPE))
    errors = objective.discrete_errors(labels_from_params(state.theta))
    assert record.history["loss"][-1] == pytest.approx(2.0 * errors["two_point"], rel=1e-6)


def test_an_orientation_without_a_target_is_not_evaluated(monkeypatch) -> None:
    """Transverse isotropy about x leaves local_patterns free on the slices normal to x: only
    the slices normal to y (16 of 16 x 8 px) and z (8 of 16 x 16 px) are computed, and the
    loss is that of the full evaluation on the imposed entries."""
    from mcrkit.generators import gaussian_random_field
    from mcrkit.metrics.transverse import TransverseIsotropy, transverse_target

    image = gaussian_random_field((16, 16), (3.0, 1.5), seed=2)
    target = transverse_target(mcrkit.characterize(image, {"local_patterns": {}}), image,
                               TransverseIsotropy(0))
    (term,) = resolve_terms(target, (16, 16, 8), ["local_patterns"], dtype=torch.float64)
    field = field_from_params(torch.rand((1, 16, 16, 8), dtype=torch.float64,
                                         generator=torch.Generator().manual_seed(0)))
    full = term.descriptor.evaluate(field)
    expected = torch.mean((full - term.target)[term.imposed] ** 2)
    seen = []
    compute = type(term.descriptor)._compute_images
    monkeypatch.setattr(type(term.descriptor), "_compute_images",
                        lambda self, images: seen.append(tuple(images.shape)) or
                        compute(self, images))
    loss = Objective([term], make_loss("mse"), 2, (16, 16, 8)).parts(field)["local_patterns"]
    assert [(shape[0], *shape[2:]) for shape in seen] == [(16, 16, 8), (8, 16, 16)]
    assert float(loss) == pytest.approx(float(expected))


def test_a_plugin_evaluate_without_axes_is_evaluated_whole_on_a_free_orientation() -> None:
    """A third-party descriptor written before ``evaluate`` took ``axes`` keeps working: all
    three orientations are evaluated and the free one is left out of the loss."""
    import dataclasses

    from mcrkit.generators import gaussian_random_field
    from mcrkit.metrics.transverse import TransverseIsotropy, transverse_target

    image = gaussian_random_field((16, 16), (3.0, 1.5), seed=2)
    target = transverse_target(mcrkit.characterize(image, {"local_patterns": {}}), image,
                               TransverseIsotropy(0))
    (term,) = resolve_terms(target, (16, 16, 8), ["local_patterns"], dtype=torch.float64)
    base = type(term.descriptor)

    class OldStyle(base):
        def evaluate(self, field):  # the signature of earlier releases
            return base.evaluate(self, field)

    old = OldStyle(**{f.name: getattr(term.descriptor, f.name)
                      for f in dataclasses.fields(term.descriptor) if f.init})
    field = field_from_params(torch.rand((1, 16, 16, 8), dtype=torch.float64,
                                         generator=torch.Generator().manual_seed(0)))
    expected = torch.mean((term.descriptor.evaluate(field) - term.target)[term.imposed] ** 2)
    plugin_term = dataclasses.replace(term, descriptor=old)
    loss = Objective([plugin_term], make_loss("mse"), 2, (16, 16, 8)).parts(field)
    assert float(loss["local_patterns"]) == pytest.approx(float(expected))
