r"""The reconstruction objective: descriptor mismatch of a relaxed field.

.. math::

    \mathcal L(\theta) = \sum_i w_i\, \ell\big(D_i(\phi(\theta)) - D_i^\ast\big)

with the field :math:`\phi(\theta)` of :mod:`mcrkit.engine.field`,
descriptors :math:`D_i`, targets :math:`D_i^\ast` from a characterization,
weights :math:`w_i` and a loss plugin :math:`\ell`. Optimizers see
:math:`N \mathcal L` (``N`` = number of voxels): the gradient of a mean-type
statistic with respect to one voxel shrinks like ``1/N``, and without the
factor float32 line searches cannot resolve the decrease of large volumes.
The factor lives here only: :meth:`Objective.scaled` applies it (to what
optimizers minimize) and :meth:`Objective.unscaled` takes it off the values
they report. Reported losses are always the unscaled :math:`\mathcal L`.

A 2D characterization prescribes its values on every slice of a 3D target:
the target is repeated for the three slicing axes. Multigrid coarse levels
optimize angles on a coarser grid that are repeated (nearest-neighbour) onto
the full grid, so every level is judged by the exact full-resolution
statistics.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mcrkit.characterization import Characterization
from mcrkit.descriptors.base import Descriptor, recomputed
from mcrkit.descriptors.selection import DescriptorSpec
from mcrkit.engine.field import field_from_params
from mcrkit.losses import Loss
from mcrkit.registry import descriptors as descriptor_registry
from mcrkit.registry import losses as loss_registry

__all__ = ["Objective", "Term", "make_loss", "resolve_terms", "upsample"]


@dataclass(frozen=True)
class Term:
    """One descriptor of the objective.

    Attributes
    ----------
    descriptor : Descriptor
        Evaluated on the relaxed field.
    target : Tensor
        Target value, laid out as ``descriptor.evaluate`` returns it for the
        reconstruction's shape.
    weight : float
        Weight of this term.
    source : str
        Characterization entry the target was taken from.
    imposed : Tensor or None
        Which entries of the target are imposed (None: all). A characterization
        leaves an entry free with NaN (e.g. a slice orientation a 2D input does
        not describe, :mod:`mcrkit.metrics.transverse`); it is left out of the loss.
    """

    descriptor: Descriptor
    target: torch.Tensor
    weight: float
    source: str
    imposed: torch.Tensor | None = None

    @property
    def name(self) -> str:
        """Descriptor id."""
        return self.descriptor.name


def upsample(theta: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Repeat coarse angles ``(P-1, *coarse)`` onto ``shape`` (nearest neighbour, cropped)."""
    out = theta
    for axis, size in enumerate(shape):
        factor = math.ceil(size / theta.shape[axis + 1])
        if factor > 1:
            out = out.repeat_interleave(factor, dim=axis + 1)
        out = out.narrow(axis + 1, 0, size)
    return out


class Objective:
    """Differentiable descriptor mismatch of the field given by angles ``theta``.

    Parameters
    ----------
    terms : sequence of Term
        Descriptors with their targets and weights.
    loss : Loss
        Per-term mismatch measure.
    n_phases : int
        Number of phases P.
    shape : tuple of int
        Spatial shape of the reconstruction.
    """

    def __init__(self, terms: Sequence[Term], loss: Loss, n_phases: int,
                 shape: tuple[int, ...]) -> None:
        if not terms:
            raise ValueError("a reconstruction needs at least one descriptor")
        self.terms = list(terms)
        self.loss = loss
        self.n_phases = n_phases
        self.shape = tuple(shape)
        self.scale = float(np.prod(self.shape))
        self.evaluations = 0
        self._evaluated = [_evaluated_part(term, len(self.shape)) for term in self.terms]

    def parts(self, field: torch.Tensor) -> dict[str, torch.Tensor]:
        """Unweighted loss of each term for a relaxed field ``(P, *shape)``."""
        out = {}
        for term, (axes, target, imposed) in zip(self.terms, self._evaluated, strict=True):
            value = (term.descriptor.evaluate(field) if axes is None
                     else term.descriptor.evaluate(field, axes=axes))
            if value.shape != target.shape:
                raise ValueError(
                    f"{term.name}: the value on a field of shape {tuple(field.shape[1:])} has "
                    f"shape {tuple(value.shape)} but its target from {term.source!r} has shape "
                    f"{tuple(target.shape)}; was the characterization made with other "
                    "settings or another number of phases?"
                )
            difference = value - target
            out[term.name] = self.loss(difference if imposed is None else difference[imposed])
        return out

    def total(self, parts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Weighted sum of the term losses."""
        return sum(term.weight * parts[term.name] for term in self.terms)

    def scaled(self, loss: Any) -> Any:
        """What optimizers minimize for a loss: ``N`` (voxels) times it."""
        return self.scale * loss

    def unscaled(self, value: float) -> float:
        """The loss of a value optimizers report (the inverse of :meth:`scaled`)."""
        return value / self.scale

    def __call__(self, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scaled objective and its gradient for angles on the full or a coarser grid."""
        theta = theta.detach().requires_grad_(True)
        with torch.enable_grad():
            # recomputed in the backward pass, after the descriptors' graphs are freed: the
            # field's own graph (about five field-sized tensors) is not kept beside them
            field = recomputed(field_from_params, upsample(theta, self.shape))
            value = self.scaled(self.total(self.parts(field)))
            (grad,) = torch.autograd.grad(value, theta)
        self.evaluations += 1
        return value.detach(), grad

    def discrete_errors(self, labels: np.ndarray) -> dict[str, float]:
        """Unweighted loss of every term on discrete labels (exact statistics)."""
        errors = {}
        for term in self.terms:
            value = term.descriptor.label_value(
                labels, self.n_phases, dtype=term.descriptor.exact_dtype or torch.float64)
            difference = torch.from_numpy(value - term.target.detach().cpu().double().numpy())
            if term.imposed is not None:
                difference = difference[term.imposed.cpu()]
            errors[term.name] = float(self.loss(difference))
        return errors


def _evaluated_part(term: Term, ndim: int
                    ) -> tuple[tuple[int, ...] | None, torch.Tensor, torch.Tensor | None]:
    """The slicing axes of a volume's term that have an imposed entry, when some have none
    (None: all are evaluated), and the target and imposed entries of those axes. A free
    orientation is not evaluated: the slices normal to the long axis of a transversely
    isotropic target have no ``local_patterns``, a third of that term's cost."""
    if (ndim != 3 or term.imposed is None
            or "axes" not in inspect.signature(term.descriptor.evaluate).parameters):
        return None, term.target, term.imposed  # a plugin's evaluate may not take axes
    kept = [axis for axis in range(3) if bool(term.imposed[axis].any())]
    if len(kept) == 3:
        return None, term.target, term.imposed
    return tuple(kept), term.target[kept], term.imposed[kept]


def _target(characterization: Characterization, source: str, ndim: int) -> np.ndarray:
    value = np.asarray(characterization[source], dtype=np.float64)
    if characterization.per_axis:
        if ndim == 2:
            raise ValueError(
                f"the characterization of {characterization.source} holds per-axis values of a "
                "3D structure, which do not prescribe a 2D reconstruction; characterize it with "
                "isotropic=True or reconstruct in 3D"
            )
        return value
    return np.broadcast_to(value, (3, *value.shape)) if ndim == 3 else value


def _find_source(cls: type[Descriptor], characterization: Characterization) -> str:
    """Characterization entry that holds the target of descriptor class ``cls``."""
    if cls.name in characterization:
        return cls.name
    exact = cls.exact_class().name
    if exact in characterization:
        return exact
    raise ValueError(
        f"descriptor {cls.name!r} is not in the characterization of "
        f"{characterization.source}, which holds {', '.join(characterization.names)}; "
        f"characterize with {cls.name} or choose among those"
    )


def _differentiable_class(name: str, differentiable: bool = True) -> type[Descriptor]:
    """The descriptor class for ``name``, replaced by its relaxation if not differentiable
    (unless ``differentiable`` is False)."""
    cls = descriptor_registry.get(name)
    usable = cls.differentiable_class() if differentiable else cls
    if usable is not None:
        return usable
    raise ValueError(
        f"descriptor {cls.name!r} is not differentiable and has no differentiable relaxation, "
        "so gradient optimizers cannot use it; drop it from the descriptors"
    )


def _weights(names: list[str], weights: Any, classes: list[type[Descriptor]]) -> list[float]:
    if weights is None:
        return [float(cls.default_weight) for cls in classes]
    if isinstance(weights, Mapping):
        canonical = {descriptor_registry.resolve_name(k): float(v) for k, v in weights.items()}
        unknown = sorted(set(canonical) - {cls.name for cls in classes})
        if unknown:
            raise ValueError(
                f"weights given for {', '.join(unknown)}, which are not among the descriptors "
                f"{', '.join(names)}"
            )
        found = [canonical.get(cls.name, float(cls.default_weight)) for cls in classes]
    else:
        found = [float(w) for w in np.atleast_1d(np.asarray(weights, dtype=np.float64))]
        if len(found) != len(names):
            raise ValueError(
                f"{len(found)} weights given for {len(names)} descriptors ({', '.join(names)}); "
                "give one weight per descriptor, in the same order"
            )
    bad = [w for w in found if not (math.isfinite(w) and w >= 0)]
    if bad:
        raise ValueError(f"weights must be finite and non-negative, got {bad}")
    return found


def resolve_terms(characterization: Characterization, shape: tuple[int, ...],
                  descriptors: Sequence[DescriptorSpec], weights: Any = None, *,
                  differentiable: bool = True, dtype: torch.dtype = torch.float32,
                  device: str | torch.device = "cpu") -> list[Term]:
    """Terms for reconstructing ``shape`` from ``characterization``.

    Each descriptor is configured with the settings recorded in the
    characterization (so targets and values agree); a non-differentiable
    descriptor is replaced by its differentiable relaxation unless
    ``differentiable`` is False (annealing uses exact descriptors).

    Parameters
    ----------
    characterization : Characterization
        Source of the targets.
    shape : tuple of int
        Spatial shape of the reconstruction (2D or 3D).
    descriptors : sequence of str or Descriptor class
        Descriptor ids (or aliases); see :func:`mcrkit.list_descriptors`.
    weights : sequence of float or mapping, optional
        One weight per descriptor, or ``{id: weight}``; defaults per descriptor.
    differentiable : bool, optional
        Replace non-differentiable descriptors by their relaxations.
    dtype, device
        Where the targets live.

    Raises
    ------
    ValueError
        For a descriptor the characterization lacks, a weight count mismatch,
        a ``limit_to`` too large for the slices of ``shape``, or a target that
        imposes nothing (NaN, i.e. free, in every entry) or holds infinite values.
    """
    specs = [d.name if isinstance(d, Descriptor) else d for d in descriptors]
    classes = [_differentiable_class(d if isinstance(d, str) else d.name, differentiable)
               for d in specs]
    seen = [cls.name for cls in classes]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise ValueError(f"descriptors given more than once: {', '.join(twice)}")
    names = [str(s if isinstance(s, str) else s.name) for s in specs]
    chosen_weights = _weights(names, weights, classes)
    image_shapes = ([tuple(shape)] if len(shape) == 2 else
                    [tuple(s for i, s in enumerate(shape) if i != a) for a in range(3)])
    terms = []
    for cls, weight in zip(classes, chosen_weights, strict=True):
        source = _find_source(cls, characterization)
        recorded = characterization.settings.get(source, {})
        settings = {k: (tuple(map(tuple, v)) if k == "directions" else v)
                    for k, v in recorded.items() if k in cls.parameters()}
        descriptor = cls(**settings)
        for image_shape in image_shapes:
            try:
                descriptor.check_image_shape(image_shape)
            except ValueError as exc:
                raise ValueError(f"{exc} (reconstruction shape {tuple(shape)})") from None
        target = torch.as_tensor(np.ascontiguousarray(_target(characterization, source,
                                                              len(shape))),
                                 dtype=dtype, device=device)
        imposed = torch.isfinite(target)
        if not bool(imposed.any()) or bool(torch.isinf(target).any()):
            raise ValueError(
                f"the target {source} (characterization of {characterization.source}) holds "
                "NaN in every entry or infinite values, which no structure matches; characterize "
                f"again, or leave {source} out of the descriptors")
        if bool(imposed.all()):
            terms.append(Term(descriptor, target, weight, source))
        else:
            terms.append(Term(descriptor, torch.nan_to_num(target), weight, source, imposed))
    return terms


def make_loss(loss: str | Loss | type[Loss]) -> Loss:
    """A loss instance from an id, alias, class or instance."""
    if isinstance(loss, Loss):
        return loss
    return loss_registry.get(loss)()
