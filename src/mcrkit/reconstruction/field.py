"""The relaxed field: per-voxel phase fractions that sum to one by construction.

The optimization variables are logits ``theta`` of shape ``(P-1, *shape)``;
phase 0 has the fixed logit 0, so

.. math::

    \\phi_0 = \\frac{1}{1 + \\sum_q e^{\\theta_q}}, \\qquad
    \\phi_p = \\frac{e^{\\theta_p}}{1 + \\sum_q e^{\\theta_q}}

(a sigmoid for two phases). Every value lies in (0, 1) and the fractions sum
to one for any ``theta``, so the problem is unconstrained and has no redundant
degree of freedom. The discrete result is the phase of largest fraction.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["field_from_logits", "initial_logits", "labels_from_logits", "logits_from_labels"]


def field_from_logits(theta: torch.Tensor) -> torch.Tensor:
    """Relaxed field ``(P, *shape)`` from logits ``(P-1, *shape)``."""
    return torch.softmax(torch.cat([torch.zeros_like(theta[:1]), theta]), dim=0)


def labels_from_logits(theta: torch.Tensor) -> np.ndarray:
    """Discrete labels (argmax of the phase fractions) as a uint8 ndarray."""
    with torch.no_grad():
        full = torch.cat([torch.zeros_like(theta[:1]), theta])
        return full.argmax(dim=0).to(torch.uint8).cpu().numpy()


def initial_logits(shape: tuple[int, ...], volume_fractions: np.ndarray, *,
                   generator: torch.Generator, noise: float = 0.5,
                   dtype: torch.dtype = torch.float32,
                   device: str | torch.device = "cpu") -> torch.Tensor:
    """Random logits whose mean field has the given volume fractions.

    Logit ``p`` is ``log(vf_p / vf_0)`` plus Gaussian noise of standard deviation ``noise``.
    """
    vf = np.clip(np.asarray(volume_fractions, dtype=np.float64), 1e-6, None)
    base = torch.as_tensor(np.log(vf[1:] / vf[0]), dtype=dtype, device=device)
    draws = torch.randn((len(vf) - 1, *shape), generator=generator, dtype=dtype,
                        device=generator.device)
    return base.view(-1, *[1] * len(shape)) + noise * draws.to(device)


def logits_from_labels(labels: np.ndarray, n_phases: int, *, confidence: float = 0.9,
                       dtype: torch.dtype = torch.float32,
                       device: str | torch.device = "cpu") -> torch.Tensor:
    """Logits whose field gives each voxel's label the fraction ``confidence``."""
    if not 1.0 / n_phases < confidence < 1.0:
        raise ValueError(f"confidence must lie in (1/{n_phases}, 1), got {confidence}")
    other = (1.0 - confidence) / (n_phases - 1)
    log_p = torch.full((n_phases, *labels.shape), float(np.log(other)), dtype=dtype,
                       device=device)
    index = torch.as_tensor(labels.astype(np.int64), device=device)[None]
    log_p.scatter_(0, index, float(np.log(confidence)))
    return log_p[1:] - log_p[:1]
