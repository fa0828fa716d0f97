"""Checks shared by the operations that combine characterizations (merge, interpolate)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

from mcrkit.characterization import Characterization

__all__ = ["as_characterization", "check_compatible"]

CharacterizationLike = Characterization | str | os.PathLike[str]
"""A characterization, or the path of a saved one."""


def as_characterization(obj: CharacterizationLike) -> Characterization:
    """``obj`` itself, or the characterization saved at path ``obj``."""
    if isinstance(obj, Characterization):
        return obj
    if isinstance(obj, str | os.PathLike):
        return Characterization.load(obj)
    raise TypeError(
        f"expected a Characterization or the path of a saved one (.npz), got "
        f"{type(obj).__name__}"
    )


def check_compatible(characterizations: Sequence[Characterization], operation: str,
                     files: Sequence[str | None] | None = None) -> None:
    """Raise a ValueError unless the characterizations hold values of the same layout.

    They must describe the same number of phases with the same descriptors,
    settings and value shapes, and all be per-axis or none. Differing label
    values only warn: phases are matched by their order.

    Parameters
    ----------
    characterizations : sequence of Characterization
        Two or more.
    operation : str
        Name of the calling operation, for messages.
    files : sequence of str or None, optional
        The file each characterization was read from (None: given as an object): messages
        name it by its file, the name its user knows, else by its source.
    """
    named = dict(zip(map(id, characterizations), files or [], strict=False))
    shown = {id(c): named.get(id(c)) or c.source for c in characterizations}
    first, *others = characterizations
    for other in others:
        one, two = shown[id(first)], shown[id(other)]
        pair = f"{one} and {two}"
        if first.n_phases != other.n_phases:
            raise ValueError(
                f"{operation}: {one} has {first.n_phases} phases but {two} "
                f"has {other.n_phases}; only characterizations of the same phases can be "
                "combined"
            )
        if first.per_axis != other.per_axis:
            per_axis, plain = (first, other) if first.per_axis else (other, first)
            file = named.get(id(plain))
            raise ValueError(
                f"{operation}: {shown[id(per_axis)]} holds per-axis (3D) values but "
                f"{shown[id(plain)]} does not; make it per-axis first with "
                + (f"mcrkit.merge(['{file}'])" if file else "mcrkit.merge([c])")
            )
        if set(first.names) != set(other.names):
            raise ValueError(
                f"{operation}: {one} holds {', '.join(first.names)} but "
                f"{two} holds {', '.join(other.names)}; characterize both with the "
                "same descriptors"
            )
        for name in first.names:
            mine, theirs = first.settings.get(name, {}), other.settings.get(name, {})
            differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            if differ:
                detail = ", ".join(f"{k}={mine.get(k)!r} vs {theirs.get(k)!r}" for k in differ)
                raise ValueError(
                    f"{operation}: {name} was computed with other settings in {pair} "
                    f"({detail}); characterize both with the same settings"
                )
            if first[name].shape != other[name].shape:
                raise ValueError(
                    f"{operation}: {name} has shape {first[name].shape} in {one} but "
                    f"{other[name].shape} in {two}; characterize both the same way"
                )
        if first.label_values and other.label_values and \
                tuple(first.label_values) != tuple(other.label_values):
            warnings.warn(
                f"{operation}: the phases of {pair} come from different labels "
                f"({list(first.label_values)} vs {list(other.label_values)}); they are "
                "matched by order (lowest label = phase 0)",
                UserWarning, stacklevel=3,
            )
