"""User-level operations built on descriptors and the reconstruction engine.

- :func:`characterize` -- descriptor values of a microstructure.
- :func:`reconstruct` -- a microstructure matching a characterization.
- :func:`resume` -- continue an interrupted reconstruction run.
- :func:`match` -- characterize and reconstruct in one step.
"""

from mcrkit.workflows.characterize import DEFAULT_DESCRIPTORS, characterize
from mcrkit.workflows.match import match
from mcrkit.workflows.reconstruct import ReconstructionResult, reconstruct, resume

__all__ = ["DEFAULT_DESCRIPTORS", "ReconstructionResult", "characterize", "match", "reconstruct",
           "resume"]
