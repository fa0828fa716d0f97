"""The :class:`Characterization` container and its ``.npz`` + JSON file format.

A characterization maps descriptor ids to values and carries the metadata
needed to reuse them: the source's shape and phases, the label mapping, the
settings of every descriptor and the mcrkit version. It is saved as one
``.npz`` file: each value is an array named ``values/<descriptor>``, and the
metadata is a JSON document in the array ``metadata``. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit._version import __version__
from mcrkit.io.atomic import atomic_path
from mcrkit.microstructure import AXIS_NAMES

__all__ = ["FORMAT_VERSION", "Characterization", "CharacterizationFileError"]

FORMAT_VERSION = 1
"""Version of the file layout written by :meth:`Characterization.save`."""

_VALUE_PREFIX = "values/"
_REQUIRED_KEYS = ("shape", "n_phases", "per_axis", "descriptors")


class CharacterizationFileError(ValueError):
    """A characterization file cannot be read; the message says why and what to do."""


@dataclass
class Characterization:
    """Descriptor values of one microstructure plus what is needed to reuse them.

    Attributes
    ----------
    values : dict of str to ndarray
        Descriptor id -> value. With ``per_axis`` the value has a leading axis
        of length 3: slices normal to x, y and z.
    settings : dict of str to dict
        Descriptor id -> parameters used (JSON-ready).
    shape : tuple of int
        Shape of the characterized microstructure.
    n_phases : int
        Number of phases.
    per_axis : bool
        Whether values carry one entry per slicing axis (3D structures).
    label_values : tuple
        Original label of each phase in the source.
    source : str
        Where the microstructure came from.
    voxel_size : tuple of float or None
        Physical voxel size, if known.
    segmentation : dict
        How a gray image was segmented, if it was.
    provenance : dict
        How the values were derived from other characterizations, if they were
        (e.g. by :func:`mcrkit.merge` or :func:`mcrkit.interpolate`); JSON-ready.
    mcrkit_version : str
        Version of mcrkit that computed the values.
    unit : str or None
        Length unit of ``voxel_size`` (e.g. ``"µm"``), if known.
    """

    values: dict[str, np.ndarray]
    settings: dict[str, dict[str, Any]]
    shape: tuple[int, ...]
    n_phases: int
    per_axis: bool = False
    label_values: tuple[Any, ...] = ()
    source: str = "array"
    voxel_size: tuple[float, ...] | None = None
    segmentation: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    mcrkit_version: str = __version__
    unit: str | None = None

    @property
    def names(self) -> list[str]:
        """Descriptor ids in this characterization."""
        return list(self.values)

    @property
    def axes(self) -> tuple[str, ...]:
        """Names of the slicing axes the values refer to (empty unless ``per_axis``)."""
        return AXIS_NAMES if self.per_axis else ()

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.values:
            raise KeyError(
                f"descriptor {name!r} is not in this characterization; it holds "
                f"{', '.join(self.values) or 'nothing'}"
            )
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __str__(self) -> str:
        head = (
            f"Characterization of {self.source} (shape {self.shape}, {self.n_phases} phases"
            f"{', per axis ' + '/'.join(self.axes) if self.per_axis else ''})"
        )
        rows = [f"  {name:<20} {tuple(v.shape)}" for name, v in self.values.items()]
        return "\n".join([head, *rows])

    def _geometry(self) -> str:
        """Shape, phases, voxel size and slicing axes in words."""
        voxel = "" if self.voxel_size is None else (
            f", voxel size {' x '.join(f'{v:g}' for v in self.voxel_size)}"
            f"{'' if self.unit is None else ' ' + self.unit}")
        axes = ", per axis " + "/".join(self.axes) if self.per_axis else ""
        return f"shape {self.shape}, {self.n_phases} phases{voxel}{axes}"

    def __repr__(self) -> str:
        """A few lines for notebooks and consoles: what was characterized and which
        descriptors it holds (value shapes, never the values)."""
        import textwrap

        listed = ", ".join(f"{name} {tuple(v.shape)}" for name, v in self.values.items())
        return "\n".join([f"Characterization of {self.source}: {self._geometry()}",
                          *textwrap.wrap(f"descriptors: {listed or 'none'}", width=96,
                                         initial_indent="  ", subsequent_indent="    ")])

    def _repr_html_(self) -> str:
        """Jupyter's view: a table of the structure and one row per descriptor."""
        from mcrkit.plotting.notebook import html_summary

        about = [("source", self.source), ("structure", self._geometry()),
                 ("label values", ", ".join(str(v) for v in self.label_values) or "-"),
                 ("mcrkit", self.mcrkit_version)]
        fractions = np.asarray(self.values.get("volume_fractions", np.empty(0)))
        if fractions.size and fractions.size % self.n_phases == 0:  # per axis: their mean
            mean = fractions.reshape(-1, self.n_phases).mean(axis=0)
            about.insert(2, ("volume fractions", ", ".join(f"{f:.3f}" for f in mean)))
        settings = [("", "value shape", "settings")] + [
            (name, str(tuple(value.shape)),
             ", ".join(f"{k}={v}" for k, v in self.settings.get(name, {}).items()))
            for name, value in self.values.items()]
        return html_summary("Characterization", about, settings)

    def descriptor(self, name: str) -> Any:
        """The descriptor object (with its recorded settings) that produced ``name``."""
        from mcrkit.registry import descriptors

        self[name]  # raises a helpful KeyError when missing
        return descriptors.get(name)(**self.settings.get(name, {}))

    # ---- file format ------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """Everything but the values, as JSON-ready builtins."""
        return {
            "format": "mcrkit.characterization",
            "format_version": FORMAT_VERSION,
            "mcrkit_version": self.mcrkit_version,
            "shape": list(self.shape),
            "n_phases": self.n_phases,
            "per_axis": self.per_axis,
            "label_values": list(self.label_values),
            "source": self.source,
            "voxel_size": None if self.voxel_size is None else list(self.voxel_size),
            "unit": self.unit,
            "segmentation": self.segmentation,
            "provenance": self.provenance,
            "descriptors": self.settings,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the characterization to ``path`` (``.npz`` is appended if missing).

        The file is written under a temporary name and renamed, so an
        interrupted save never leaves a truncated file behind.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        arrays = {_VALUE_PREFIX + name: np.asarray(v) for name, v in self.values.items()}
        arrays["metadata"] = np.array(json.dumps(self.metadata()))
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Characterization:
        """Read a file written by :meth:`save`, validating its layout and version."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such characterization file")
        try:  # the file is opened here: numpy leaves it open when the archive is damaged
            with open(path, "rb") as fh:
                data = np.load(fh, allow_pickle=False)
                if not isinstance(data, np.lib.npyio.NpzFile):
                    raise ValueError("it holds a single array, not an .npz archive")
                with data:
                    arrays = {key: data[key] for key in data.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
            detail = (f": {exc}" if zipfile.is_zipfile(path) else
                      "; if it is a microstructure, characterize it first")
            raise CharacterizationFileError(
                f"{path}: is not a characterization file (the .npz written by mcrkit's "
                f"characterize){detail}"
            ) from None
        if "metadata" not in arrays:
            raise CharacterizationFileError(
                f"{path}: holds arrays but no mcrkit metadata; a characterization file is "
                "written by mcrkit's characterize"
            )
        try:
            meta = json.loads(str(arrays.pop("metadata")))
        except json.JSONDecodeError as exc:
            raise CharacterizationFileError(
                f"{path}: its metadata is not valid JSON ({exc}); the file is damaged, "
                "characterize again"
            ) from None
        version = meta.get("format_version") if isinstance(meta, dict) else None
        if not isinstance(version, int) or meta.get("format") != "mcrkit.characterization":
            raise CharacterizationFileError(
                f"{path}: metadata does not describe a characterization"
            )
        if version > FORMAT_VERSION:
            raise CharacterizationFileError(
                f"{path}: was written by mcrkit {meta.get('mcrkit_version')} in file format "
                f"{version}; this mcrkit ({__version__}) reads formats up to {FORMAT_VERSION}. "
                "Upgrade mcrkit (pip install -U mcrkit) to read it"
            )
        absent = [key for key in _REQUIRED_KEYS if key not in meta]
        if absent:
            raise CharacterizationFileError(
                f"{path}: metadata lacks {absent}; the file is damaged, characterize again"
            )
        values = {k.removeprefix(_VALUE_PREFIX): v for k, v in arrays.items()
                  if k.startswith(_VALUE_PREFIX)}
        problem = _metadata_problem(meta, values)
        if problem:
            raise CharacterizationFileError(
                f"{path}: {problem}; the file is damaged, characterize again")
        voxel = meta.get("voxel_size")
        return cls(
            values=values,
            settings=meta["descriptors"],
            shape=tuple(meta["shape"]),
            n_phases=int(meta["n_phases"]),
            per_axis=bool(meta["per_axis"]),
            label_values=tuple(meta.get("label_values", ())),
            source=meta.get("source", str(path)),
            voxel_size=None if voxel is None else tuple(voxel),
            unit=meta.get("unit"),
            segmentation=meta.get("segmentation", {}),
            provenance=meta.get("provenance", {}),
            mcrkit_version=meta.get("mcrkit_version", "unknown"),
        )


def _metadata_problem(meta: dict[str, Any], values: dict[str, np.ndarray]) -> str | None:
    """What is wrong with a characterization file's metadata and values, or None."""
    from mcrkit.registry import descriptors as registry

    shape = meta["shape"]
    if not (isinstance(shape, list) and len(shape) in (2, 3)
            and all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape)):
        return f"its shape {shape!r} is not two or three positive whole numbers"
    n_phases = meta["n_phases"]
    if isinstance(n_phases, bool) or not isinstance(n_phases, int) or not 1 <= n_phases <= 255:
        return f"its n_phases {n_phases!r} is not a number of phases (1 to 255)"
    if not isinstance(meta["per_axis"], bool):
        return f"its per_axis {meta['per_axis']!r} is not true or false"
    settings = meta["descriptors"]
    if not isinstance(settings, dict) or not all(isinstance(p, dict) for p in settings.values()):
        return "its descriptors are not a mapping of descriptor ids to parameters"
    missing = set(settings) - set(values)
    if missing:
        return f"its metadata lists {sorted(missing)} but it holds no values for them"
    for name, parameters in settings.items():
        try:
            registry.get(name)(**parameters)
        except (TypeError, ValueError) as exc:
            return f"descriptor {name!r} with parameters {parameters} cannot be made ({exc})"
        value = values[name]
        if value.dtype.kind not in "biuf" or value.ndim == 0:
            return f"the value of {name!r} is not an array of numbers ({value.dtype}, " \
                   f"shape {value.shape})"
        if meta["per_axis"] and value.shape[0] != 3:
            return f"the per-axis value of {name!r} has {value.shape[0]} entries, not 3 (x, y, z)"
    return None
