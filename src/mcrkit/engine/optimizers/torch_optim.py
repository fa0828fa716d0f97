"""First-order methods of :mod:`torch.optim` (Adam family, RMSprop, Adagrad, SGD).

One iteration is one step followed by one evaluation of the objective at the
new iterate, whose value is reported; the run starts with an evaluation at
``x0``. Everything stays on the field's device. The moment estimates live in
tensors, so a run resumes exactly from :meth:`TorchOptimizer.state_dict`.

The default learning rates suit the angles of the relaxed field (see
:mod:`mcrkit.engine.field`), where a voxel changes phase over an
angle of pi/2: adaptive methods move each angle by about the learning rate per
step. Plain SGD scales with the gradient and needs tuning to the loss.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch

from mcrkit.engine.optimizers.base import IterationCallback, Optimizer, ValueAndGradient

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "Adamax", "NAdam", "RMSprop",
           "TorchOptimizer"]


@dataclasses.dataclass(kw_only=True)
class TorchOptimizer(Optimizer):
    """Base class for wrappers of a :class:`torch.optim.Optimizer`.

    Subclasses set the class attribute ``optimizer_class`` and, if they have
    more hyperparameters than the learning rate, extend :meth:`_torch_kwargs`.

    Parameters
    ----------
    learning_rate : float
        Step size (``lr``).

    Examples
    --------
    >>> import torch
    >>> from mcrkit.engine.optimizers import Adam
    >>> def fn(x):
    ...     return ((x - 1) ** 2).sum(), 2 * (x - 1)
    >>> x = Adam(learning_rate=0.1).minimize(fn, torch.zeros(3), max_iter=200,
    ...                                      on_iteration=lambda i, x, value: False)
    >>> x.round(decimals=2)
    tensor([1., 1., 1.])
    """

    optimizer_class: ClassVar[type[torch.optim.Optimizer]]
    resumable = True

    learning_rate: float = 0.05

    def __post_init__(self) -> None:
        if not self.learning_rate > 0:
            raise ValueError(f"{self.name}: learning_rate must be > 0, got {self.learning_rate}")
        self._state: dict[str, Any] = {}
        self._evaluations = 0

    def _torch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``optimizer_class`` besides the parameters."""
        return {"lr": self.learning_rate}

    def minimize(self, fn: ValueAndGradient, x0: torch.Tensor, *, max_iter: int,
                 on_iteration: IterationCallback, start_iteration: int = 0) -> torch.Tensor:
        x = x0.detach().clone()
        optimizer = self.optimizer_class([x], **self._torch_kwargs())
        if self._state:
            # torch.optim moves each state tensor to where the parameter lives ...
            optimizer.load_state_dict({"state": {0: self._state},
                                       "param_groups": optimizer.state_dict()["param_groups"]})
            # ... but also casts it to x's dtype: NAdam's float32 mu_product must stay float32
            loaded = optimizer.state[x]
            for key, value in self._state.items():
                if isinstance(value, torch.Tensor):
                    loaded[key] = loaded[key].to(value.dtype)
        self._state = optimizer.state[x]  # a live view: torch.optim updates it in place
        _, x.grad = fn(x0.detach())
        self._evaluations += 1
        for iteration in range(start_iteration + 1, max_iter + 1):
            optimizer.step()
            current = x.detach().clone()  # x itself changes in place with the next step
            value, x.grad = fn(current)
            self._evaluations += 1
            if on_iteration(iteration, current, float(value)):
                break
        return x.detach()

    def state_dict(self) -> dict[str, Any]:
        return {
            "state": {key: value.detach().to("cpu", copy=True)
                      if isinstance(value, torch.Tensor) else value
                      for key, value in self._state.items()},
            "evaluations": self._evaluations,
        }

    def load_state_dict(self, state: dict[str, Any], device: str | torch.device = "cpu") -> None:
        """Restore what :meth:`state_dict` returned.

        The tensors are moved onto the iterate's device when :meth:`minimize`
        starts (torch.optim keeps some, such as the step count, on the host),
        so ``device`` is not needed here.
        """
        self._state = dict(state.get("state", {}))
        self._evaluations = int(state.get("evaluations", 0))


@dataclasses.dataclass(kw_only=True)
class Adam(TorchOptimizer):
    """Adam (Kingma & Ba, ICLR 2015) from torch.optim."""

    name = "adam"
    aliases = ("Adam",)
    optimizer_class = torch.optim.Adam


@dataclasses.dataclass(kw_only=True)
class Adamax(TorchOptimizer):
    """Adamax, Adam with the infinity norm (Kingma & Ba, ICLR 2015), from torch.optim."""

    name = "adamax"
    aliases = ("Adamax",)
    optimizer_class = torch.optim.Adamax


@dataclasses.dataclass(kw_only=True)
class NAdam(TorchOptimizer):
    """Adam with Nesterov momentum (Dozat, ICLR workshop 2016) from torch.optim."""

    name = "nadam"
    aliases = ("Nadam",)
    optimizer_class = torch.optim.NAdam


@dataclasses.dataclass(kw_only=True)
class RMSprop(TorchOptimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012) from torch.optim."""

    name = "rmsprop"
    aliases = ("RMSprop",)
    optimizer_class = torch.optim.RMSprop

    learning_rate: float = 0.01


@dataclasses.dataclass(kw_only=True)
class Adagrad(TorchOptimizer):
    """Adagrad (Duchi, Hazan & Singer, JMLR 12, 2011) from torch.optim."""

    name = "adagrad"
    aliases = ("Adagrad",)
    optimizer_class = torch.optim.Adagrad

    learning_rate: float = 0.1


@dataclasses.dataclass(kw_only=True)
class Adadelta(TorchOptimizer):
    """Adadelta (Zeiler, arXiv:1212.5701, 2012) from torch.optim."""

    name = "adadelta"
    aliases = ("Adadelta",)
    optimizer_class = torch.optim.Adadelta

    learning_rate: float = 1.0


@dataclasses.dataclass(kw_only=True)
class SGD(TorchOptimizer):
    """Gradient descent with (heavy-ball) momentum from torch.optim.

    Parameters
    ----------
    learning_rate : float
        Step size (``lr``).
    momentum : float
        Momentum factor in [0, 1); 0 is plain gradient descent.
    """

    name = "sgd"
    aliases = ("SGD",)
    optimizer_class = torch.optim.SGD

    learning_rate: float = 0.01
    momentum: float = 0.9

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.momentum < 1:
            raise ValueError(f"sgd: momentum must be in [0, 1), got {self.momentum}")

    def _torch_kwargs(self) -> dict[str, Any]:
        return {**super()._torch_kwargs(), "momentum": self.momentum}
