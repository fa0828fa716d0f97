"""The GUI's forms: one field per library option, with the library's names and defaults.

Each action of the web page (characterize, reconstruct, match, merge,
interpolate, smooth) has a form; a :class:`Field` names the keyword argument
of the workflow function it sets, so the page, the command line and the
Python API share option names. Defaults are read from the workflow
signatures, never restated (interpolate's number of steps, which the library
requires, shows the command line's default).
:func:`to_arguments` turns the values the page collected (text, numbers,
checkboxes, lists) into keyword arguments and names the field of any value it
cannot use.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mcrkit.cli.options import (
    parse_assignments,
    parse_orientation,
    parse_shape,
    parse_strength,
    parse_weights,
    split_items,
)

__all__ = ["FORMS", "INTERPOLATION_STEPS", "Field", "FormError", "library_function",
           "to_arguments"]


INTERPOLATION_STEPS = 5
"""Steps shown for interpolate (the command line's default; the library asks for a number)."""


class FormError(ValueError):
    """A form value cannot be used; the message names the field, the value and the fix."""


@dataclass(frozen=True)
class Field:
    """One option of a form.

    Attributes
    ----------
    name : str
        Keyword of the workflow function (the CLI option is ``--name-with-dashes``).
    kind : str
        ``int``, ``float``, ``bool``, ``choice``, ``descriptors``
        (several descriptor ids), ``shape``, ``weights``, ``threshold``,
        ``options`` (``NAME=VALUE`` pairs), ``strength``, ``orientation``
        (``AXIS=ORDER`` pairs), ``characterization`` or ``characterizations``
        (stored characterization files chosen on the page).
    help : str
        One line shown under the field.
    default : object
        What the field shows first; None leaves it empty (the library decides).
    choices : tuple of str
        Values of a ``choice`` field.
    """

    name: str
    kind: str
    help: str
    default: Any = None
    choices: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The name as the page shows it."""
        return self.name.replace("_", " ")


def library_function(action: str) -> Callable[..., Any]:
    """The workflow function behind a form."""
    from mcrkit import workflows

    return getattr(workflows, action)


def _default(action: str, name: str) -> Any:
    return inspect.signature(library_function(action)).parameters[name].default


def _names(registry_name: str) -> tuple[str, ...]:
    from mcrkit import registry

    return tuple(getattr(registry, registry_name).names())


def _reconstruction_fields() -> list[Field]:
    """Options shared by reconstruct and match (match passes them on to reconstruct)."""
    return [
        Field("descriptors", "descriptors", "Descriptors to match (empty: two_point and "
              "lineal_path where available)."),
        Field("weights", "weights", "One weight per descriptor ('1,1,10') or by name "
              "('lineal_path=10'); empty: each descriptor's default."),
        Field("loss", "choice", "How descriptor errors are summed.",
              _default("reconstruct", "loss"), _names("losses")),
        Field("optimizer", "choice", "Gradient optimizers, or annealing (discrete swaps).",
              _default("reconstruct", "optimizer"), _names("optimizers")),
        Field("max_iter", "int", "Iterations per multigrid level (empty: 150; annealing: 100 "
              "blocks of one move per voxel).", _default("reconstruct", "max_iter")),
        Field("optimizer_options", "options", "Optimizer hyperparameters NAME=VALUE, comma "
              "separated (e.g. final_ratio=1e-5)."),
        Field("polish", "bool", "Anneal the discrete result at low temperature (4 moves per "
              "voxel).", _default("reconstruct", "polish")),
        Field("seed", "int", "Random seed (empty: drawn and recorded).",
              _default("reconstruct", "seed")),
        Field("multigrid", "int", "Coarse-to-fine levels (1: none).",
              _default("reconstruct", "multigrid")),
        *_computing("reconstruct"),
        Field("time_limit", "float", "Stop after this many seconds (the result is kept).",
              _default("reconstruct", "time_limit")),
    ]


def _computing(action: str) -> list[Field]:
    """Device and threads, with the action's defaults (characterize runs on the CPU)."""
    return [
        Field("device", "choice", "Where to compute.", _default(action, "device"),
              ("auto", "cpu", "cuda")),
        Field("threads", "int", "CPU threads (empty: the CPUs this process may use).",
              _default(action, "threads")),
    ]


_SEGMENTATION = [
    Field("threshold", "threshold", "Segment a gray image into two phases: a gray value or "
          "'otsu'."),
    Field("phases", "int", "Segment a gray image into this many phases."),
]


def _forms() -> dict[str, list[Field]]:
    from mcrkit.workflows import DEFAULT_DESCRIPTORS

    return {
        "characterize": [
            Field("descriptors", "descriptors", "Descriptors to compute.",
                  list(DEFAULT_DESCRIPTORS)),
            Field("limit_to", "int", "Correlation length in pixels (empty: each descriptor's "
                  "default).", _default("characterize", "limit_to")),
            Field("periodic", "choice", "Boundary treatment (default: each descriptor's, "
                  "periodic).", "default", ("default", "periodic", "non-periodic")),
            Field("isotropic", "bool", "For 3D input, average the x/y/z values into one.",
                  _default("characterize", "isotropic")),
            *_SEGMENTATION,
            *_computing("characterize"),
        ],
        "reconstruct": [
            Field("shape", "shape", "Shape of the result, e.g. 64 64 64 (or 64x64)."),
            *_reconstruction_fields(),
        ],
        "match": [
            Field("add_dimension", "int", "Reconstruct a 3D volume from a 2D input, this many "
                  "voxels deep.", _default("match", "add_dimension")),
            Field("shape", "shape", "Shape of the result (empty: the input's).",
                  _default("match", "shape")),
            Field("limit_to", "int", "Correlation length in pixels (empty: each descriptor's "
                  "default).", _default("match", "limit_to")),
            *_SEGMENTATION,
            *_reconstruction_fields(),
        ],
        "merge": [
            Field("views", "characterizations", "Further 2D views after the input, in order: "
                  "none (the input on the slices normal to x, y and z), one (the input normal "
                  "to x and y, this one normal to z) or two (x, y, z)."),
            Field("orientation", "orientation", "AXIS=ORDER pairs: on the slices normal to AXIS "
                  "the view's rows run along the first axis of ORDER, e.g. x=zy (default x=yz, "
                  "y=xz, z=xy)."),
            Field("allow_inconsistent", "bool", "Merge even if views disagree along a shared "
                  "direction.", _default("merge", "allow_inconsistent")),
            Field("tolerance", "float", "Largest RMSE between two views' statistics along "
                  "their shared direction.", _default("merge", "tolerance")),
        ],
        "interpolate": [
            Field("c_to", "characterization", "Characterization at t = 1 (the input is t = 0)."),
            Field("n_steps", "int", "Number of characterizations, both ends included.",
                  INTERPOLATION_STEPS),
        ],
        "smooth": [
            Field("method", "choice", "gaussian (argmax of blurred phase indicators) or median "
                  "(majority vote).", _default("smooth", "method"), ("gaussian", "median")),
            Field("strength", "strength", "Gaussian standard deviation or median radius in "
                  "voxels; one value or one per axis ('0,2,2').",
                  str(_default("smooth", "strength"))),
            Field("periodic", "bool", "Wrap around the boundaries (else mirror at them).",
                  _default("smooth", "periodic")),
            Field("preserve_volume_fractions", "bool", "Keep every phase's voxel count exactly.",
                  _default("smooth", "preserve_volume_fractions")),
            *_SEGMENTATION,
        ],
    }


class _Forms(Mapping[str, list[Field]]):
    """The forms, built on first use (reading defaults imports the workflows)."""

    def __init__(self) -> None:
        self._forms: dict[str, list[Field]] | None = None

    def _all(self) -> dict[str, list[Field]]:
        if self._forms is None:
            self._forms = _forms()
        return self._forms

    def __getitem__(self, action: str) -> list[Field]:
        return self._all()[action]

    def __iter__(self) -> Any:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


FORMS: Mapping[str, list[Field]] = _Forms()
"""Action name -> its fields, in the order the page shows them."""


def to_arguments(action: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the action's workflow function from the page's values.

    Parameters
    ----------
    action : str
        A key of :data:`FORMS`.
    values : mapping
        Field name -> what the page holds (str, float, bool, list or None).
        Missing and empty values leave the library's default.

    Returns
    -------
    dict
        Only the options given; the rest keep the library's defaults.

    Raises
    ------
    FormError
        Naming the field, the value and what to enter instead.

    Examples
    --------
    >>> to_arguments("match", {"add_dimension": 32.0, "max_iter": "20", "weights": "1,10"})
    {'add_dimension': 32, 'weights': [1.0, 10.0], 'max_iter': 20}
    """
    arguments: dict[str, Any] = {}
    for f in FORMS[action]:
        value = values.get(f.name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            continue
        parsed = _PARSERS[f.kind](f, value)
        if parsed is not None:
            arguments[f.name] = parsed
    return arguments


def _bad(f: Field, value: Any, expected: str) -> FormError:
    return FormError(f"{f.label}: {expected}, got {value!r}")


def _integer(f: Field, value: Any) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _bad(f, value, "needs a whole number") from None
    if not number.is_integer():
        raise _bad(f, value, "needs a whole number")
    return int(number)


def _float(f: Field, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f, value, "needs a number") from None


def _choice(f: Field, value: Any) -> Any:
    if value not in f.choices:
        raise _bad(f, value, f"needs one of {', '.join(f.choices)}")
    if f.name == "periodic" and f.kind == "choice":  # tri-state: the descriptors' default
        return {"default": None, "periodic": True, "non-periodic": False}[value]
    return value


def _text(parser: Callable[[Any], Any]) -> Callable[[Field, Any], Any]:
    """A field parser from a :mod:`mcrkit.cli.options` parser (its message, the field's label)."""
    def parse(f: Field, value: Any) -> Any:
        try:
            return parser(value)
        except ValueError as exc:
            raise FormError(f"{f.label}: {exc}") from None
    return parse


def _threshold(f: Field, value: Any) -> float | str:
    from mcrkit.io import parse_threshold

    try:
        return parse_threshold(str(value))
    except ValueError:
        raise _bad(f, value, "needs a gray value or 'otsu'") from None


_PARSERS: dict[str, Callable[[Field, Any], Any]] = {
    "int": _integer,
    "float": _float,
    "bool": lambda f, value: bool(value),
    "choice": _choice,
    "descriptors": lambda f, value: split_items(value),
    "shape": _text(parse_shape),
    "weights": _text(parse_weights),
    "options": _text(parse_assignments),
    "threshold": _threshold,
    "strength": _text(parse_strength),
    "orientation": _text(parse_orientation),
    "characterization": lambda f, value: str(value),
    "characterizations": lambda f, value: split_items(value),
}
