"""Text forms of option values, shared by the command line and the web GUI.

Each parser turns what a user types (``"64 64 64"``, ``"lineal_path=10"``,
``"final_ratio=1e-5"``) into the value the library takes, and raises
:class:`ValueError` saying what it needs and what it got; the caller puts the
option's name in front (``--shape``, or the GUI field's label).

Examples
--------
>>> parse_shape("64x64x32")
(64, 64, 32)
>>> parse_weights("two_point=1, lineal_path=10")
{'two_point': 1.0, 'lineal_path': 10.0}
>>> parse_assignments(["final_ratio=1e-5", "interface=false", "method=fast"])
{'final_ratio': 1e-05, 'interface': False, 'method': 'fast'}
>>> parse_descriptor_options(["gram_matrices.seed=3", "lineal_path.directions=[[1, 1]]"])
{'gram_matrices': {'seed': 3}, 'lineal_path': {'directions': [[1, 1]]}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_PAIR_SEPARATOR = re.compile(r"[;\n]|,(?=\s*[A-Za-z_][\w.]*\s*=)")


def split_items(text: str | Iterable[str]) -> list[str]:
    """Items of a comma- or semicolon-separated text (or of a list of such texts)."""
    texts = [text] if isinstance(text, str) else list(text)
    return [part.strip() for t in texts for part in str(t).replace(";", ",").split(",")
            if part.strip()]


def parse_shape(text: str) -> tuple[int, ...]:
    """Two or three whole numbers separated by spaces, commas or ``x``."""
    parts = str(text).lower().replace("x", " ").replace(",", " ").split()
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3):
        raise ValueError(f"needs two or three whole numbers such as 64 64 64, got {text!r}")
    return shape


def parse_weights(text: str | Iterable[str]) -> list[float] | dict[str, float]:
    """One number per descriptor (``"1,1,10"``) or ``name=number`` pairs."""
    items = split_items(text)
    try:
        if items and all("=" in item for item in items):
            return {k.strip(): float(v) for k, v in (item.split("=", 1) for item in items)}
        return [float(item) for item in items]
    except ValueError:
        raise ValueError(f"needs numbers ('1,1,10') or name=number pairs, got {text!r}") from None


def parse_assignments(items: str | Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are JSON (numbers, true/false, null, lists), else strings.

    Pairs are separated by semicolons, or by commas that start a new ``NAME=``, so
    ``"sizes=[1, 2], rate=0.5"`` holds two pairs.
    """
    texts = [items] if isinstance(items, str) else list(items)
    values: dict[str, Any] = {}
    for item in (part.strip() for text in texts for part in _PAIR_SEPARATOR.split(str(text))
                 if part.strip()):
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"needs NAME=VALUE pairs such as final_ratio=1e-5, got {item!r}")
        try:
            values[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            values[name.strip()] = text.strip()
    return values


def parse_descriptor_options(items: str | Iterable[str]) -> dict[str, dict[str, Any]]:
    """``ID.PARAMETER=VALUE`` pairs (values as in :func:`parse_assignments`) by descriptor id."""
    options: dict[str, dict[str, Any]] = {}
    for key, value in parse_assignments(items).items():
        name, dot, parameter = key.partition(".")
        if not dot or not name.strip() or not parameter.strip():
            raise ValueError(f"needs ID.PARAMETER=VALUE pairs such as gram_matrices.seed=3, "
                             f"got {key!r}")
        options.setdefault(name.strip(), {})[parameter.strip()] = value
    return options


def with_descriptor_options(names: list[str], options: dict[str, dict[str, Any]], *,
                            listed: str = "descriptors",
                            ) -> list[str] | dict[str, dict[str, Any]]:
    """The descriptor request: ``names``, or ``{id: parameters}`` when ``options``
    (:func:`parse_descriptor_options`) give parameters, each of a descriptor that ``names``
    (the option or field called ``listed``) lists.

    Examples
    --------
    >>> with_descriptor_options(["two_point", "lineal_path"], {"lineal_path": {"limit_to": 4}})
    {'two_point': {}, 'lineal_path': {'limit_to': 4}}
    """
    from mcrkit.registry import descriptors as registry

    if not options:
        return names
    canonical = {registry.get(name).name: name for name in names}
    given = {registry.get(name).name: params for name, params in options.items()}
    missing = sorted(set(given) - set(canonical))
    if missing:
        raise ValueError(f"sets parameters of {', '.join(missing)}, which {listed} does not "
                         f"list ({', '.join(names)}); add it there")
    return {name: given.get(name, {}) for name in canonical}


def parse_orientation(items: str | Iterable[str]) -> dict[str, str]:
    """``AXIS=ORDER`` pairs such as ``x=zy`` (see :func:`mcrkit.merge`)."""
    pairs = split_items(items)
    if not all(part.count("=") == 1 for part in pairs):
        raise ValueError(f"needs AXIS=ORDER pairs such as x=zy, got {', '.join(pairs)!r}")
    return {axis.strip(): order.strip() for axis, order in (p.split("=") for p in pairs)}


def parse_strength(text: str | Iterable[str]) -> float | tuple[float, ...]:
    """One number, or one per axis (``"0,2,2"``)."""
    try:
        values = tuple(float(v) for v in split_items(text))
    except ValueError:
        values = ()
    if not values:
        raise ValueError(f"needs a number or one per axis ('1.5' or '0,2,2'), got {text!r}")
    return values[0] if len(values) == 1 else values
