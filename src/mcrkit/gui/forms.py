"""The GUI's forms: one field per library option, with the library's names and defaults.

Each action of the web page (characterize, reconstruct, match, merge,
interpolate, smooth, properties, compare, export) has a form; a :class:`Field`
names the keyword argument of the library function it sets, so the page, the
command line and the Python API share option names, while the page labels
each field in words (its title). Defaults are read from the library
signatures, never restated (interpolate's number of steps, which the library
requires, shows the command line's default; export shows TIFF).
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
    parse_descriptor_options,
    parse_orientation,
    parse_shape,
    parse_strength,
    parse_weights,
    split_items,
    with_descriptor_options,
)

__all__ = ["EXPORT_FORMAT", "FORMS", "INTERPOLATION_STEPS", "SESSION_KINDS", "Field",
           "FormError", "library_function", "to_arguments"]


INTERPOLATION_STEPS = 5
"""Steps shown for interpolate (the command line's default; the library asks for a number)."""

EXPORT_FORMAT = "tiff"
"""Format export shows first (the library takes it from the file name's suffix)."""

SESSION_KINDS: dict[str, tuple[str, ...]] = {
    "characterization": ("characterization",),
    "characterizations": ("characterization",),
    "structure": ("microstructure",),
}
"""Field kinds whose choices are the session's files, and the upload kinds they offer."""


class FormError(ValueError):
    """A form value cannot be used; the message names the field, the value and the fix.

    Attributes
    ----------
    field : str or None
        The field's name, so that the page can mark it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One option of a form.

    Attributes
    ----------
    name : str
        Keyword of the library function (the CLI option is ``--name-with-dashes``).
    kind : str
        ``int``, ``float``, ``bool``, ``choice``, ``descriptors``
        (several descriptor ids), ``shape``, ``weights``, ``threshold``,
        ``options`` (``NAME=VALUE`` pairs), ``descriptor_options``
        (``ID.PARAMETER=VALUE`` pairs, folded into ``descriptors``), ``strength``, ``orientation``
        (``AXIS=ORDER`` pairs), ``integers`` or ``numbers`` (comma-separated),
        ``items`` (comma-separated names), ``text``, or one of
        :data:`SESSION_KINDS` (files of the session chosen on the page).
    help : str
        One line shown when the pointer rests on the field.
    default : object
        What the field shows first; None leaves it empty (the library decides).
    choices : tuple of str
        Values of a ``choice`` field.
    title : str
        The field's label on the page, in words (default: the name with spaces).
    """

    name: str
    kind: str
    help: str
    default: Any = None
    choices: tuple[str, ...] = ()
    title: str = ""

    @property
    def label(self) -> str:
        """The field as the page labels it.

        Examples
        --------
        >>> Field("max_iter", "int", "").label, Field("c_to", "str", "", title="at t = 1").label
        ('max iter', 'at t = 1')
        """
        return self.title or self.name.replace("_", " ")


def library_function(action: str) -> Callable[..., Any]:
    """The library function behind a form (a workflow, the validation report, the export)."""
    if action == "compare":
        from mcrkit.metrics.report import validation_report

        return validation_report
    if action == "export":
        from mcrkit.io.exports import export

        return export
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
              "blocks of one move per voxel).", _default("reconstruct", "max_iter"),
              title="iterations per level"),
        Field("optimizer_options", "options", "Optimizer hyperparameters NAME=VALUE, comma "
              "separated (e.g. final_ratio=1e-5).", title="optimizer settings"),
        Field("polish", "bool", "Anneal the discrete result at low temperature (4 moves per "
              "voxel).", _default("reconstruct", "polish"), title="polish by annealing"),
        Field("seed", "int", "Random seed (empty: drawn and recorded).",
              _default("reconstruct", "seed"), title="random seed"),
        Field("multigrid", "int", "Coarse-to-fine levels (1: none).",
              _default("reconstruct", "multigrid"), title="multigrid levels"),
        *_computing("reconstruct"),
        Field("time_limit", "float", "Stop after this many seconds (the result is kept).",
              _default("reconstruct", "time_limit"), title="time limit (seconds)"),
        Field("snapshot_every", "int", "Keep the structure every this many iterations for the "
              "run's pictures (0: only at the end of each multigrid level).",
              _default("reconstruct", "snapshot_every"), title="snapshot every (iterations)"),
        Field("checkpoint_every", "float", "Seconds between checkpoints (0: after every "
              "iteration); the start and a stop are always saved, so Resume works from the "
              "first iteration.", _default("reconstruct", "checkpoint_every"),
              title="checkpoint every (seconds)"),
        Field("force", "bool", "Run even if the memory estimate exceeds free memory.",
              _default("reconstruct", "force"), title="run despite the memory estimate"),
    ]


def _computing(action: str) -> list[Field]:
    """Device and threads, with the action's defaults (characterize runs on the CPU)."""
    return [
        Field("device", "choice", "Where to compute.", _default(action, "device"),
              ("auto", "cpu", "cuda")),
        Field("threads", "int", "CPU threads (empty: the CPUs this process may use).",
              _default(action, "threads"), title="CPU threads"),
    ]


_THRESHOLD = Field("threshold", "threshold", "Segment a gray image into two phases: a gray "
                   "value or 'otsu'.", title="threshold (gray value or otsu)")

_SEGMENTATION = [
    _THRESHOLD,
    Field("phases", "int", "Segment a gray image into this many phases.",
          title="segment into phases"),
]

_LIMIT_TO = "Correlation length in pixels (empty: each descriptor's default)."

_PERIODIC = Field("periodic", "choice", "Boundary treatment of the descriptors (default: each "
                  "descriptor's, periodic).", "default", ("default", "periodic", "non-periodic"),
                  title="boundaries")


def _forms() -> dict[str, list[Field]]:
    from mcrkit.workflows import DEFAULT_DESCRIPTORS
    from mcrkit.workflows.defaults import STARTS

    return {
        "characterize": [
            Field("descriptors", "descriptors", "Descriptors to compute.",
                  list(DEFAULT_DESCRIPTORS)),
            Field("descriptor_options", "descriptor_options", "Descriptor parameters "
                  "ID.PARAMETER=VALUE, comma separated (e.g. two_point.limit_to=5), each of a "
                  "descriptor listed above.", title="descriptor parameters"),
            Field("limit_to", "int", _LIMIT_TO, _default("characterize", "limit_to"),
                  title="correlation length (px)"),
            _PERIODIC,
            Field("isotropic", "bool", "For 3D input, average the x/y/z values into one.",
                  _default("characterize", "isotropic"), title="average x, y, z (3D)"),
            *_SEGMENTATION,
            *_computing("characterize"),
        ],
        "reconstruct": [
            Field("shape", "shape", "Shape of the result, e.g. 64 64 64 (or 64x64).",
                  title="shape of the result"),
            Field("start", "choice", "For a 3D volume from merged views of two phases: model "
                  "(an anisotropic level-cut model fitted to every orientation's S2; the "
                  "gradient run follows only if its slices fail their targets or max_iter is "
                  "given) or noise.", _default("reconstruct", "start"), STARTS,
                  title="start of the 3D volume"),
            *_reconstruction_fields(),
        ],
        "match": [
            Field("add_dimension", "int", "Reconstruct a 3D volume from a 2D input, this many "
                  "voxels deep.", _default("match", "add_dimension"),
                  title="3D depth (voxels)"),
            Field("symmetry", "choice", "For a 3D volume from a 2D input: auto (transversely "
                  "isotropic about the long axis if the input is anisotropic, else isotropic), "
                  "isotropic (the input on every slice), x or y (transversely isotropic about "
                  "that axis).", _default("match", "symmetry"), ("auto", "isotropic", "x", "y"),
                  title="symmetry of the 3D volume"),
            Field("start", "choice", "For a 3D volume from a 2D input: model (a random-set "
                  "model fitted to the input, an anisotropic level cut for an anisotropic "
                  "input; the gradient run follows only if its slices fail the report's "
                  "statistics or max_iter is given) or noise.",
                  _default("match", "start"), STARTS, title="start of the 3D volume"),
            Field("judge_after", "int", "Judge the gradient run's slices against the input "
                  "after this many iterations, then twice, four times as many, ..., and stop "
                  "once none fails (empty: match's default, 25 for a volume from a 2D input, "
                  "once after 100 for a 2D image; 0: never).", title="judge after (iterations)"),
            Field("shape", "shape", "Shape of the result (empty: the input's).",
                  _default("match", "shape"), title="shape of the result"),
            Field("limit_to", "int", _LIMIT_TO, _default("match", "limit_to"),
                  title="correlation length (px)"),
            _PERIODIC,
            *_SEGMENTATION,
            *_reconstruction_fields(),
        ],
        "merge": [
            Field("views", "characterizations", "Further 2D views after the input, in order: "
                  "none (the input on the slices normal to x, y and z), one (the input normal "
                  "to x and y, this one normal to z) or two (x, y, z).", title="further views"),
            Field("orientation", "orientation", "AXIS=ORDER pairs: on the slices normal to AXIS "
                  "the view's rows run along the first axis of ORDER, e.g. x=zy (default x=yz, "
                  "y=xz, z=xy).", title="orientation of the views"),
            Field("allow_inconsistent", "bool", "Merge even if views disagree along a shared "
                  "direction.", _default("merge", "allow_inconsistent"),
                  title="allow views that disagree"),
            Field("tolerance", "float", "Largest RMSE between two views' statistics along "
                  "their shared direction.", _default("merge", "tolerance"),
                  title="agreement tolerance (RMSE)"),
        ],
        "interpolate": [
            Field("c_to", "characterization", "Characterization at t = 1 (the input is t = 0).",
                  title="characterization at t = 1"),
            Field("n_steps", "int", "Number of characterizations, both ends included.",
                  INTERPOLATION_STEPS, title="number of steps"),
        ],
        "smooth": [
            Field("method", "choice", "gaussian (argmax of blurred phase indicators) or median "
                  "(majority vote).", _default("smooth", "method"), ("gaussian", "median")),
            Field("strength", "strength", "Gaussian standard deviation or median radius in "
                  "voxels; one value or one per axis ('0,2,2').",
                  str(_default("smooth", "strength")), title="strength (voxels)"),
            Field("periodic", "bool", "Wrap around the boundaries (else mirror at them).",
                  _default("smooth", "periodic"), title="periodic boundaries"),
            Field("preserve_volume_fractions", "bool", "Keep every phase's voxel count exactly.",
                  _default("smooth", "preserve_volume_fractions"),
                  title="keep volume fractions"),
            *_SEGMENTATION,
        ],
        "properties": [
            Field("phases", "integers", "Phases to measure, comma-separated (empty: all).",
                  title="phases to measure"),
            Field("axes", "items", "Axes of the transport solves, e.g. 'x,z' (empty: all).",
                  title="axes"),
            Field("voxel_size", "numbers", "Physical voxel size: one value or one per axis "
                  "('0.5' or '0.5,0.5,1'); empty: the input's, else 1.", title="voxel size"),
            Field("original", "structure", "A structure of the same dimension measured beside "
                  "the input (e.g. the original of a reconstruction).",
                  title="original to measure beside it"),
            _THRESHOLD,
        ],
        "compare": [
            Field("result", "structure", "The result judged against the input (the original): "
                  "an uploaded structure or a result of this page.", title="result to judge"),
            Field("limit_to", "int", "Largest correlation length of the statistics, in pixels.",
                  _default("compare", "limit_to"), title="correlation length (px)"),
            *_SEGMENTATION,
        ],
        "export": [
            Field("to", "choice", "File format: vti (ParaView), tiff (ImageJ/Fiji), h5, npy, or "
                  "png (slices of a volume).", EXPORT_FORMAT,
                  ("vti", "tiff", "h5", "npy", "png"), title="format"),
            Field("voxel_size", "numbers", "Physical voxel size: one value or one per axis; "
                  "empty: the input's.", title="voxel size"),
            Field("unit", "text", "Length unit of the voxel size (um, nm, ...); empty: the "
                  "input's.", title="unit"),
            Field("axis", "choice", "Slicing axis of PNG slices of a volume.",
                  _default("export", "axis"), ("x", "y", "z"), title="slicing axis (png)"),
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
    if "descriptor_options" in arguments:  # the library takes them in the request
        _fold_descriptor_options(action, arguments)
    return arguments


def _fold_descriptor_options(action: str, arguments: dict[str, Any]) -> None:
    """Replace ``descriptor_options`` by a request ``{id: parameters}`` in ``descriptors``
    (:func:`~mcrkit.cli.options.with_descriptor_options`, as the command line does)."""
    f = next(f for f in FORMS[action] if f.name == "descriptor_options")
    names = arguments.get("descriptors") or list(
        next(g for g in FORMS[action] if g.name == "descriptors").default or [])
    try:
        arguments["descriptors"] = with_descriptor_options(
            names, arguments.pop("descriptor_options"), listed="the descriptors field")
    except ValueError as exc:
        raise FormError(f"{f.label}: {exc}", field=f.name) from None


def _bad(f: Field, value: Any, expected: str) -> FormError:
    return FormError(f"{f.label}: {expected}, got {value!r}", field=f.name)


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
            raise FormError(f"{f.label}: {exc}", field=f.name) from None
    return parse


def _threshold(f: Field, value: Any) -> float | str:
    from mcrkit.io import parse_threshold

    try:
        return parse_threshold(str(value))
    except ValueError:
        raise _bad(f, value, "needs a gray value or 'otsu'") from None


def _numbers(number: Callable[[str], Any], expected: str) -> Callable[[Field, Any], Any]:
    """A parser of comma- or space-separated numbers (a tuple) or whole numbers (a list)."""
    def parse(f: Field, value: Any) -> Any:
        parts = split_items(str(value).replace(" ", ","))
        try:
            numbers = [number(part) for part in parts]
        except ValueError:
            raise _bad(f, value, expected) from None
        return numbers if number is int else tuple(numbers)
    return parse


_PARSERS: dict[str, Callable[[Field, Any], Any]] = {
    "int": _integer,
    "float": _float,
    "bool": lambda f, value: bool(value),
    "choice": _choice,
    "descriptors": lambda f, value: split_items(value),
    "shape": _text(parse_shape),
    "weights": _text(parse_weights),
    "options": _text(parse_assignments),
    "descriptor_options": _text(parse_descriptor_options),
    "threshold": _threshold,
    "strength": _text(parse_strength),
    "orientation": _text(parse_orientation),
    "integers": _numbers(int, "needs whole numbers such as 0,1"),
    "numbers": _numbers(float, "needs numbers such as 0.5 or 0.5,0.5,1"),
    "items": lambda f, value: split_items(value),
    "text": lambda f, value: str(value),
    "characterization": lambda f, value: str(value),
    "characterizations": lambda f, value: split_items(value),
    "structure": lambda f, value: str(value),
}
