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

import importlib
from typing import Any

_MODULES = {
    "Annealing": "annealing",
    "Optimizer": "base",
    "LBFGS": "lbfgs",
    **dict.fromkeys(("LBFGSB", "TNC", "ScipyOptimizer"), "scipy_optimize"),
    **dict.fromkeys(("SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "NAdam", "RMSprop",
                     "TorchOptimizer"), "torch_optim"),
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    # imported on first use: the annealer's module loads numba, which a gradient run never needs
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
