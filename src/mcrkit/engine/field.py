"""The relaxed field: per-voxel phase fractions that sum to one by construction.

The optimization variables are ``P-1`` angles per voxel, ``theta`` of shape
``(P-1, *shape)``, the hyperspherical coordinates of a unit vector whose
squared components are the phase fractions:

.. math::

    \\phi_0 = \\cos^2\\theta_1, \\quad
    \\phi_1 = \\sin^2\\theta_1 \\cos^2\\theta_2, \\quad \\dots, \\quad
    \\phi_{P-1} = \\prod_{k=1}^{P-1} \\sin^2\\theta_k

(for two phases simply :math:`\\phi_1 = \\sin^2\\theta`). Every fraction lies
in [0, 1] and they sum to one for any ``theta``, so the problem is
unconstrained with no redundant variable. Unlike a softmax, the map does not
saturate: a discrete state is reached at finite ``theta`` with finite
curvature, so gradient optimizers can still move voxels between phases late
in a run (with logits, gradients vanish exponentially as the field binarizes
and 3D reconstructions stall). The discrete result is the phase of largest
fraction.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["field_from_params", "field_snapshot", "initial_params", "labels_from_params",
           "params_from_field", "params_from_labels"]


def field_from_params(theta: torch.Tensor) -> torch.Tensor:
    """Relaxed field ``(P, *shape)`` from angles ``(P-1, *shape)``."""
    cos2 = torch.cos(theta).square()
    remaining = torch.ones_like(theta[0])
    fractions = []
    for k in range(theta.shape[0]):
        fractions.append(remaining * cos2[k])
        remaining = remaining * (1 - cos2[k])
    fractions.append(remaining)
    return torch.stack(fractions)


def params_from_field(field: torch.Tensor) -> torch.Tensor:
    """Angles ``(P-1, *shape)`` that reproduce a field on the simplex (inverse map)."""
    remaining = torch.ones_like(field[0])
    angles = []
    for k in range(field.shape[0] - 1):
        share = torch.where(remaining > 0, field[k] / remaining.clamp_min(1e-30), 1.0)
        angles.append(torch.arccos(share.clamp(0, 1).sqrt()))
        remaining = (remaining - field[k]).clamp_min(0)
    return torch.stack(angles)


def field_snapshot(theta: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Labels and the relaxed field's phase fractions of angles ``theta``, for the record.

    Returns
    -------
    labels : ndarray of uint8
        As :func:`labels_from_params`.
    fractions : (P, *shape) ndarray of uint8
        Each phase's fraction in steps of 1/255 (``fractions / 255`` is the field
        to within 0.002), a quarter of the memory of float32.
    """
    with torch.no_grad():
        relaxed = field_from_params(theta)
        labels = relaxed.argmax(dim=0).to(torch.uint8).cpu().numpy()
        return labels, (relaxed * 255).round().to(torch.uint8).cpu().numpy()


def labels_from_params(theta: torch.Tensor) -> np.ndarray:
    """Discrete labels (phase of largest fraction) as a uint8 ndarray."""
    with torch.no_grad():
        return field_from_params(theta).argmax(dim=0).to(torch.uint8).cpu().numpy()


def initial_params(shape: tuple[int, ...], volume_fractions: np.ndarray, *,
                   generator: torch.Generator, noise: float = 0.05,
                   dtype: torch.dtype = torch.float32,
                   device: str | torch.device = "cpu") -> torch.Tensor:
    """Angles of a nearly uniform field at the given volume fractions.

    The uniform field is perturbed by Gaussian noise of standard deviation
    ``noise`` (radians) drawn from ``generator``; small noise lets the
    statistics, not the noise, shape the structure.
    """
    vf = torch.as_tensor(np.asarray(volume_fractions, dtype=np.float64), dtype=dtype)
    base = params_from_field(vf.view(-1, *[1] * len(shape)))
    draws = torch.randn((len(vf) - 1, *shape), generator=generator, dtype=dtype,
                        device=generator.device)
    return (base.to(device) + noise * draws.to(device)).contiguous()


def params_from_labels(labels: np.ndarray, n_phases: int, *, confidence: float = 0.9,
                       dtype: torch.dtype = torch.float32,
                       device: str | torch.device = "cpu") -> torch.Tensor:
    """Angles whose field gives each voxel's label the fraction ``confidence``."""
    if not 1.0 / n_phases < confidence < 1.0:
        raise ValueError(f"confidence must lie in (1/{n_phases}, 1), got {confidence}")
    other = (1.0 - confidence) / (n_phases - 1)
    field = torch.full((n_phases, *labels.shape), other, dtype=dtype, device=device)
    index = torch.as_tensor(labels.astype(np.int64), device=device)[None]
    field.scatter_(0, index, confidence)
    return params_from_field(field)
