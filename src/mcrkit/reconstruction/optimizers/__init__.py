"""Optimizer plugins; importing this package registers the built-ins.

Third-party optimizers subclass :class:`Optimizer` and register through the
``mcrkit.optimizers`` entry-point group.
"""

from mcrkit.reconstruction.optimizers.base import Optimizer
from mcrkit.reconstruction.optimizers.lbfgs import LBFGS

__all__ = ["LBFGS", "Optimizer"]
