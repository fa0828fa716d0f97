"""Lengths in figures: physical units where the voxel size is known, pixels otherwise.

A :class:`Lengths` holds the voxel size along each axis of what a panel shows
and the unit its axes are labelled in: the structure's own unit
(:func:`mcrkit.microstructure.length_unit` of its ``unit``), micrometres for a
voxel size without a unit (the usual unit of ImageJ calibrations and of HDF5
``element_size_um``), and ``px`` when the voxel size is not known.
:func:`add_scale_bar` draws a scale bar on an image in physical units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcrkit.microstructure import length_unit

__all__ = ["DEFAULT_UNIT", "Lengths", "add_scale_bar", "bar_length"]

DEFAULT_UNIT = "µm"
"""Unit of a voxel size given without one."""


@dataclass(frozen=True)
class Lengths:
    """Voxel size per axis of a panel and the unit of its axes.

    Attributes
    ----------
    spacing : tuple of float or None
        Size of one voxel along each axis shown; None: unknown (lengths in px).
    unit : str
        Symbol the axes are labelled with (``"px"`` when ``spacing`` is None).

    Examples
    --------
    >>> Lengths.of(None, 2).label("x"), Lengths((0.5, 0.5), "µm").label("x")
    ('x (px)', 'x (µm)')
    >>> Lengths((0.5, 0.5, 2.0), "nm").in_plane(0)
    Lengths(spacing=(0.5, 2.0), unit='nm')
    >>> from types import SimpleNamespace
    >>> Lengths.of(SimpleNamespace(voxel_size=(0.5, 0.5)), 3).spacing  # a 2D source's pixels
    (0.5, 0.5, 0.5)
    """

    spacing: tuple[float, ...] | None
    unit: str = "px"

    @classmethod
    def of(cls, obj: Any, ndim: int) -> Lengths:
        """The lengths of an ``ndim``-dimensional structure or characterization ``obj`` (its
        ``voxel_size`` and ``unit`` where it has them, else pixels). One size, or the square
        pixels of a 2D source of a volume, holds along every axis."""
        voxel = getattr(obj, "voxel_size", None)
        if voxel is None:
            return cls(None)
        sizes = np.atleast_1d(np.asarray(voxel, dtype=float))
        if sizes.size != ndim:  # one size for all axes, or the square pixels of a 2D source
            if len(set(sizes.tolist())) != 1:
                return cls(None)
            sizes = np.full(ndim, sizes[0])
        unit = length_unit(getattr(obj, "unit", None)) or DEFAULT_UNIT
        return cls(tuple(float(s) for s in sizes), unit)

    @property
    def known(self) -> bool:
        """Whether the voxel size is known (physical units)."""
        return self.spacing is not None

    def along(self, axis: int) -> float:
        """Length of one voxel along ``axis`` (1 in pixels)."""
        return 1.0 if self.spacing is None else self.spacing[axis]

    def label(self, what: str) -> str:
        """An axis label: ``what`` and the unit in parentheses."""
        return f"{what} ({self.unit})"

    def in_plane(self, axis: int | None) -> Lengths:
        """The lengths of the slices normal to ``axis`` (None: the structure itself)."""
        if self.spacing is None or axis is None:
            return self
        return Lengths(tuple(s for a, s in enumerate(self.spacing) if a != axis), self.unit)

    def isotropic(self) -> float | None:
        """The voxel size when it is the same along every axis (1 in pixels), else None."""
        if self.spacing is None:
            return 1.0
        return self.spacing[0] if len(set(self.spacing)) == 1 else None


def bar_length(span: float) -> float:
    """A round length (1, 2 or 5 times a power of ten) of about a fifth of ``span``.

    Examples
    --------
    >>> bar_length(64 * 0.25), bar_length(100.0), bar_length(3.3)
    (2.0, 20.0, 0.5)
    """
    target = span / 5
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1, 2, 5) if step * power <= target)


def add_scale_bar(ax: Any, width: float, lengths: Lengths) -> Any:
    """Draw a scale bar in the lower right corner of an image ``width`` long (in the unit
    of ``lengths``) on a white box, so it reads on any phase; return the artist."""
    from matplotlib.font_manager import FontProperties
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    length = bar_length(width)
    bar = AnchoredSizeBar(ax.transData, length, f"{length:g} {lengths.unit}", "lower right",
                          pad=0.3, borderpad=0.4, sep=2, frameon=True, color="black",
                          size_vertical=width / 120, fontproperties=FontProperties(size=7))
    bar.patch.set(facecolor="white", alpha=0.85, edgecolor="none")
    ax.add_artist(bar)
    return bar
