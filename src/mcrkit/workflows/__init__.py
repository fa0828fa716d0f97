"""User-level operations built on descriptors and the reconstruction engine.

- :func:`characterize` -- descriptor values of a microstructure.
- :func:`reconstruct` -- a microstructure matching a characterization.
- :func:`resume` -- continue an interrupted reconstruction run.
- :func:`match` -- characterize and reconstruct in one step.
- :func:`merge` -- a per-axis 3D characterization from one to three 2D views.
- :func:`check_realizability` -- whether a per-axis characterization's slice
  orientations agree along their shared directions.
- :func:`interpolate` -- characterizations on the line between two others.
- :func:`smooth` -- smoothed phase regions without overlaps or holes.
- :func:`properties` -- tortuosity, effective diffusivity, percolation and surface
  area per phase and axis, beside an original's.
"""

from mcrkit.descriptors.evaluation import DEFAULT_DESCRIPTORS, characterize
from mcrkit.workflows.interpolate import interpolate
from mcrkit.workflows.match import match
from mcrkit.workflows.merge import InconsistentViewsError, check_realizability, merge
from mcrkit.workflows.properties import properties
from mcrkit.workflows.reconstruct import ReconstructionResult, reconstruct, resume
from mcrkit.workflows.smooth import smooth

__all__ = ["DEFAULT_DESCRIPTORS", "InconsistentViewsError", "ReconstructionResult",
           "characterize", "check_realizability", "interpolate", "match", "merge",
           "properties", "reconstruct", "resume", "smooth"]
