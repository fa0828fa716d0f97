r"""The 3D target of an anisotropic 2D input: transverse isotropy about its long axis.

A 2D image whose features are elongated along one of its axes (see
:mod:`mcrkit.metrics.anisotropy`) cannot describe every slice of a volume: a
3D structure has one set of statistics along each direction, and the image
prescribes different ones along its two axes. :class:`TransverseIsotropy`
states the assumption ``match --add-dimension`` makes then: the structure is
*transversely isotropic about the long axis* ``a`` of the image (x or y; the
volume's x and y are the image's): rotating it about ``a`` changes nothing, so
the third direction z looks like the image's other axis ``b``. Then

=====================  ===========================================================
slices normal to       target
=====================  ===========================================================
z (plane x, y)         the image as it is
b (plane a, z)         the image, its ``b`` axis along z (transposed where the
                       plane's first axis is z's partner: slices normal to x when
                       ``a`` is y)
a (plane b, z)         isotropic in the plane, with the image's statistics along
                       ``b`` in every direction (:func:`isotropic_value`)
=====================  ===========================================================

What the image determines on the slices normal to ``a``: the volume
fractions; S2 (radially symmetric, :math:`S_2(r) = S_2^{image}(|r| e_b)`,
interpolated linearly between lags); the lineal path and chord lengths along
both in-plane axes (those of the image along ``b``); the interface density.
What it does not: everything two-dimensional in that plane (the 2x2 patterns
of ``local_patterns``, Gram matrices, Euler characteristic, connectivity and
percolation of those slices). Those are not imposed there (a target of NaN,
which the objective leaves out), and the report does not judge them there.

:func:`transverse_target` builds the per-axis characterization of this
assumption from the image's 2D characterization (the layout of
:func:`mcrkit.merge`, so :func:`mcrkit.workflows.merge.check_realizability`
applies); its ``provenance["transverse_isotropy"]`` records the assumption,
which the report reads to judge each orientation against its own target.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.descriptors.base import Descriptor
from mcrkit.descriptors.two_point import TwoPoint
from mcrkit.metrics.validation import disk_mask
from mcrkit.microstructure import AXIS_NAMES

__all__ = ["PROVENANCE_KEY", "TransverseIsotropy", "isotropic_statistics", "isotropic_value",
           "transverse_target"]

PROVENANCE_KEY = "transverse_isotropy"
"""Key of the assumption in a characterization's ``provenance``."""


@dataclasses.dataclass(frozen=True)
class TransverseIsotropy:
    """Transverse isotropy about the image axis ``axis`` (module docstring).

    Parameters
    ----------
    axis : {0, 1}
        The image (and volume) axis the features are elongated along: 0 is x, 1 is y.
    factor : float, optional
        The measured elongation, for the description.

    Examples
    --------
    >>> about_x = TransverseIsotropy(0)
    >>> [about_x.slice_target(s) for s in range(3)]
    [('isotropic', 1), ('image', False), ('image', False)]
    >>> TransverseIsotropy(1).slice_target(0)  # plane (y, z): the image's y along y
    ('image', True)
    """

    axis: int
    factor: float = math.nan

    def __post_init__(self) -> None:
        if self.axis not in (0, 1):
            raise ValueError(f"the symmetry axis of a 2D input is 0 (x) or 1 (y), "
                             f"got {self.axis!r}")

    @property
    def other(self) -> int:
        """The image axis across the features (whose statistics z takes)."""
        return 1 - self.axis

    def slice_target(self, slicing_axis: int) -> tuple[str, Any]:
        """``("image", transposed)`` or ``("isotropic", image axis)`` for the slices normal
        to ``slicing_axis`` (0, 1, 2)."""
        if slicing_axis == self.axis:
            return "isotropic", self.other
        return "image", slicing_axis == 0 and self.axis == 1

    def describe(self, not_imposed: list[str] | tuple[str, ...] = ()) -> str:
        """What is assumed, in one or two lines."""
        a, b = AXIS_NAMES[self.axis], AXIS_NAMES[self.other]
        size = f" by a factor ~{self.factor:.2g}" if math.isfinite(self.factor) else ""
        others = " and ".join(AXIS_NAMES[s] for s in range(3) if s != self.axis)
        text = (f"anisotropic input (elongated along {a}{size}): assumed transversely "
                f"isotropic about {a}; slices normal to {others} get the input ({a} kept, z "
                f"like {b}), slices normal to {a} an isotropic target from the input's "
                f"statistics along {b}")
        return text + self.left_open(not_imposed)

    def left_open(self, not_imposed: list[str] | tuple[str, ...]) -> str:
        """A second line naming the descriptors without a target on the slices normal to
        the long axis (empty if none)."""
        if not not_imposed:
            return ""
        return (f"\n  not imposed on the slices normal to {AXIS_NAMES[self.axis]} (the input "
                f"does not determine them): {', '.join(not_imposed)}")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (:meth:`from_json` reads it back)."""
        return {"axis": AXIS_NAMES[self.axis],
                "factor": self.factor if math.isfinite(self.factor) else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TransverseIsotropy:
        """The assumption recorded by :meth:`to_json`."""
        factor = data.get("factor")
        return cls(AXIS_NAMES.index(data["axis"]), math.nan if factor is None else factor)

    @classmethod
    def of(cls, characterization: Characterization | None) -> TransverseIsotropy | None:
        """The assumption a characterization was built on (None: none recorded)."""
        if characterization is None:
            return None
        data = characterization.provenance.get(PROVENANCE_KEY)
        return None if data is None else cls.from_json(data)



def _radial(line: np.ndarray, limit_to: int) -> np.ndarray:
    """A symmetric window ``(..., 2 limit_to + 1, 2 limit_to + 1)`` whose value at r is
    the line ``(..., 2 W + 1)`` (lags -W..W, sides averaged) at :math:`|r|`, interpolated
    linearly; NaN beyond lag W."""
    reach = line.shape[-1] // 2
    profile = (line[..., reach:] + line[..., reach::-1]) / 2
    r = np.arange(-limit_to, limit_to + 1)
    radius = np.hypot(r[:, None], r[None, :])
    flat = profile.reshape(-1, reach + 1)
    out = np.stack([np.interp(radius, np.arange(reach + 1), p, right=np.nan) for p in flat])
    return out.reshape(*profile.shape[:-1], *radius.shape)


def isotropic_value(descriptor: Descriptor, value: np.ndarray, along: int,
                    labels: np.ndarray, n_phases: int) -> np.ndarray:
    """The descriptor's value on an isotropic image whose statistics in every direction are
    those of the image ``labels`` along its axis ``along`` (NaN where they do not determine it).

    Parameters
    ----------
    descriptor : Descriptor
        Configured as when ``value`` was computed.
    value : ndarray
        Its value on ``labels``.
    along : {0, 1}
        Image axis whose statistics are taken.
    labels : (X, Y) ndarray
        The image (S2 beyond ``limit_to`` along the axis is needed for the corners of the
        window).
    n_phases : int
        Number of phases.

    Returns
    -------
    ndarray
        Same shape as ``value``: volume fractions unchanged; S2 radial; the lineal path
        along x and y (other directions NaN) and chord lengths along both axes taken from
        ``along``; anything else NaN.

    Examples
    --------
    >>> from mcrkit.descriptors import LinealPath
    >>> stripes = np.zeros((8, 8), dtype=int); stripes[:, ::2] = 1  # lines along x
    >>> lp = LinealPath(limit_to=2, directions=((1, 0), (0, 1)))
    >>> isotropic_value(lp, lp.label_value(stripes, 2), 1, stripes, 2)[1]  # phase 1
    array([[0.5, 0. , 0. ],
           [0.5, 0. , 0. ]])
    """
    value = np.asarray(value, dtype=np.float64)
    if descriptor.name == "volume_fractions":
        return value.copy()
    if isinstance(descriptor, TwoPoint):
        limit = descriptor.limit_to
        reach = min(math.ceil(limit * math.sqrt(2)), min(labels.shape) // 2)
        wide = dataclasses.replace(descriptor, limit_to=reach)
        line = wide.value_along_axis(wide.label_value(labels, n_phases), along)
        return _radial(line, limit)
    out = np.full_like(value, np.nan)
    if descriptor.name in ("lineal_path", "lineal_path_approx"):
        line = descriptor.value_along_axis(value, along)
        if line is not None:
            for index, direction in enumerate(descriptor.directions):
                if tuple(direction) in ((1, 0), (0, 1)):
                    out[..., index, :] = line
    elif descriptor.name == "chord_length":
        out[...] = value[..., along:along + 1, :]
    return out


def transverse_target(characterization: Characterization, labels: np.ndarray,
                      assumption: TransverseIsotropy) -> Characterization:
    """The per-axis characterization of a 3D structure transversely isotropic about the
    image's long axis (module docstring).

    Parameters
    ----------
    characterization : Characterization
        2D characterization of ``labels``.
    labels : (X, Y) ndarray
        The image.
    assumption : TransverseIsotropy
        Its long axis.

    Returns
    -------
    Characterization
        ``per_axis=True``, shape ``(X, Y, n_b)`` with ``n_b`` the image's extent
        across the features; ``provenance["transverse_isotropy"]`` holds the
        assumption and ``not_imposed`` (descriptors without a target on the
        slices normal to the long axis).

    Examples
    --------
    >>> import mcrkit
    >>> from mcrkit.generators import gaussian_random_field
    >>> image = gaussian_random_field((48, 48), (4.0, 2.0), seed=0)
    >>> c = mcrkit.characterize(image, ["two_point", "local_patterns"], limit_to=4)
    >>> target = transverse_target(c, image, TransverseIsotropy(0))
    >>> target["two_point"].shape, target.provenance["transverse_isotropy"]["not_imposed"]
    ((3, 1, 9, 9), ['local_patterns'])
    """
    if characterization.per_axis or labels.ndim != 2:
        raise ValueError("transverse_target builds a 3D target from a 2D characterization "
                         f"and its image; got {characterization.source} of shape "
                         f"{characterization.shape}")
    values, not_imposed = {}, []
    for name in characterization.names:
        descriptor = characterization.descriptor(name)
        value = np.asarray(characterization[name], dtype=np.float64)
        per_axis = []
        for slicing_axis in range(3):
            kind, detail = assumption.slice_target(slicing_axis)
            if kind == "isotropic":
                per_axis.append(isotropic_value(descriptor, value, detail, labels,
                                                characterization.n_phases))
            elif detail:
                try:
                    per_axis.append(descriptor.transpose_value(value))
                except ValueError as exc:
                    raise ValueError(
                        f"{exc}. Transversely isotropic about y, the slices normal to x see "
                        "the input transposed; choose other descriptors, or impose the input "
                        "on every slice (symmetry='isotropic', --symmetry isotropic)") from None
            else:
                per_axis.append(value)
        if np.isnan(per_axis[assumption.axis]).all():
            not_imposed.append(name)
        values[name] = np.stack(per_axis)
    return dataclasses.replace(
        characterization, values=values, per_axis=True,
        shape=(*characterization.shape, characterization.shape[assumption.other]),
        source=f"{characterization.source} (transversely isotropic about "
               f"{AXIS_NAMES[assumption.axis]})",
        provenance={**characterization.provenance,
                    PROVENANCE_KEY: {**assumption.to_json(), "not_imposed": not_imposed}})


def isotropic_statistics(stats: dict[str, Any], along: int, limit_to: int) -> dict[str, Any]:
    """:func:`mcrkit.metrics.validation.slice_statistics` of an isotropic image whose
    statistics in every direction are those of ``stats`` along image axis ``along``.

    Examples
    --------
    >>> from mcrkit.metrics.validation import slice_statistics
    >>> stripes = np.zeros((8, 8), dtype=int); stripes[:, ::2] = 1  # lines along x
    >>> iso = isotropic_statistics(slice_statistics(stripes, None, 1, 2), 0, 2)
    >>> iso["lineal_path"].tolist(), iso["interface"]
    ([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 0.0)
    """
    window = np.full((2 * limit_to + 1,) * 2, np.nan)
    inside = disk_mask(limit_to)
    window[inside] = stats["s2"]
    line = window[:, limit_to] if along == 0 else window[limit_to, :]
    out = dict(stats)
    out["s2"] = _radial(line, limit_to)[inside]
    for key in ("lineal_path", "chord_length", "mean_chord", "interface_axes"):
        halves = np.asarray(stats[key]).reshape(2, -1)
        out[key] = np.concatenate([halves[along], halves[along]])
    out["interface"] = float(out["interface_axes"][0])
    return out


def run_target(result: Path) -> Characterization | None:
    """The target a run directory's slice orientations were judged against, if their own.

    Parameters
    ----------
    result : Path
        A run directory, or any other path (a structure file).

    Returns
    -------
    Characterization or None
        The run's target when it states a transverse isotropy (each orientation is then
        judged against its own target); None for a file, a run without a saved target or
        one with a single target for every orientation.

    Examples
    --------
    >>> run_target(Path("structure.npy")) is None
    True
    """
    from mcrkit.io.rundir import RunDirectory

    path = RunDirectory(result).file(RunDirectory.TARGET) if result.is_dir() else None
    if path is None or not path.is_file():
        return None
    target = Characterization.load(path)
    return target if TransverseIsotropy.of(target) is not None else None
