"""User-level operations built on descriptors and the reconstruction engine.

- :func:`characterize` -- descriptor values of a microstructure.
"""

from mcrkit.workflows.characterize import DEFAULT_DESCRIPTORS, characterize

__all__ = ["DEFAULT_DESCRIPTORS", "characterize"]
