"""Checks of arguments shared by every part of mcrkit, so that each gives the same message."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_plane_connectivity", "check_positive_int"]


def check_positive_int(name: str, value: Any, owner: str) -> None:
    """Raise a ValueError naming ``owner``, ``name`` and ``value`` unless it is a positive int.

    Examples
    --------
    >>> check_positive_int("limit_to", 0, "two_point")
    Traceback (most recent call last):
    ...
    ValueError: two_point: limit_to must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")


def check_plane_connectivity(value: Any, owner: str) -> None:
    """Raise a ValueError unless ``value`` is 1 (4 neighbours) or 2 (8 neighbours) in a plane.

    Examples
    --------
    >>> check_plane_connectivity(3, "euler_density")
    Traceback (most recent call last):
    ...
    ValueError: euler_density: connectivity must be 1 (4 neighbours) or 2 (8 neighbours), got 3
    """
    if isinstance(value, bool) or value not in (1, 2):
        raise ValueError(f"{owner}: connectivity must be 1 (4 neighbours) or 2 "
                         f"(8 neighbours), got {value!r}")
