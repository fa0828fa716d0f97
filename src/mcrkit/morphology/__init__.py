"""Morphology and topology of discrete microstructures, at the structure's own scale.

Exact statistics of integer label arrays (2D ``(X, Y)`` or 3D ``(X, Y, Z)``,
phases ``0..P-1``), computed per phase from its indicator (``labels == p``).
Every function takes the data first and keyword-only options; ``periodic=True``
by default as everywhere in mcrkit, ``voxel_size=1`` (one value or one per
axis) scales lengths to physical units.

Minkowski functionals (:mod:`~mcrkit.morphology.minkowski`)
    :func:`euler_characteristic`, :func:`euler_density`, :func:`surface_density`
"""

from mcrkit.morphology.minkowski import euler_characteristic, euler_density, surface_density

__all__ = ["euler_characteristic", "euler_density", "surface_density"]
