"""Optimizer plugins.

The built-ins below are declared in mcrkit's ``pyproject.toml`` as entry points
of the group ``mcrkit.optimizers``; third-party optimizers subclass
:class:`Optimizer` and are declared the same way in their own package.

==========  ==========================================================
name        method
==========  ==========================================================
lbfgs       L-BFGS in PyTorch on the field's device, resumable (default)
lbfgsb      scipy's L-BFGS-B in float64 on the host
tnc         scipy's truncated Newton method in float64 on the host
adam        torch.optim Adam, resumable (likewise the rows below)
adamax      torch.optim Adamax
nadam       torch.optim NAdam
rmsprop     torch.optim RMSprop
adagrad     torch.optim Adagrad
adadelta    torch.optim Adadelta
sgd         torch.optim SGD with momentum
annealing   simulated annealing of discrete labels (phase swaps,
            incremental descriptor updates), resumable
==========  ==========================================================
"""

from mcrkit.engine.optimizers.annealing import Annealing
from mcrkit.engine.optimizers.base import Optimizer
from mcrkit.engine.optimizers.lbfgs import LBFGS
from mcrkit.engine.optimizers.scipy_optimize import LBFGSB, TNC, ScipyOptimizer
from mcrkit.engine.optimizers.torch_optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    NAdam,
    RMSprop,
    TorchOptimizer,
)

__all__ = ["LBFGS", "LBFGSB", "SGD", "TNC", "Adadelta", "Adagrad", "Adam", "Adamax", "Annealing",
           "NAdam", "Optimizer", "RMSprop", "ScipyOptimizer", "TorchOptimizer"]
