r"""Steady diffusion through one phase: tortuosity factor and effective diffusivity per axis.

The phase conducts (diffusivity :math:`D_0`), every other phase blocks. A
concentration difference is held between the two faces normal to the chosen
axis (Dirichlet, half a voxel outside the box) and the faces along the other
axes are closed (no flux), the usual set-up of a tortuosity measurement on an
image. From the steady flux :math:`J` through a box of length :math:`L` and
cross-section :math:`A`, the relative effective diffusivity is
:math:`D_\mathrm{eff} / D_0 = J L / (A \, \Delta c)` and the tortuosity factor
:math:`\tau = \varepsilon \, D_0 / D_\mathrm{eff}` with :math:`\varepsilon` the
phase's volume fraction (straight channels: :math:`\tau = 1`).

The solve is delegated to TauFactor (a finite-volume Laplace solver on PyTorch,
over-relaxed on a chequerboard; CUDA when available), the optional extra
``mcrkit[transport]``, imported only when a solve is needed. Diffusion passes
through voxel faces only, so a phase whose face-connected clusters do not join
the two faces is reported with :math:`\tau = \infty` and
:math:`D_\mathrm{eff} = 0` without a solve.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any, NamedTuple

import numpy as np

from mcrkit.morphology._common import check_axis
from mcrkit.morphology.connectivity import percolation

__all__ = ["EXTRA_MISSING", "Transport", "tortuosity"]

EXTRA_MISSING = ("tortuosity needs the optional TauFactor solver: "
                 "pip install 'mcrkit[transport]' (or pip install taufactor)")


class Transport(NamedTuple):
    """Diffusion through one phase along one axis (``._asdict()`` for a plain dict).

    Attributes
    ----------
    tortuosity_factor : float
        :math:`\\tau = \\varepsilon D_0 / D_\\mathrm{eff}` (1 for straight
        channels, ``inf`` when the phase does not percolate).
    effective_diffusivity : float
        Relative effective diffusivity :math:`D_\\mathrm{eff} / D_0 =
        \\varepsilon / \\tau` (0 when the phase does not percolate).
    volume_fraction : float
        :math:`\\varepsilon`, the phase's share of the voxels.
    percolates : bool
        Whether a face-connected cluster of the phase touches both faces
        normal to the axis.
    iterations : int
        Solver sweeps (0 when no solve was needed).
    """

    tortuosity_factor: float
    effective_diffusivity: float
    volume_fraction: float
    percolates: bool
    iterations: int


def tortuosity(labels: np.ndarray, phase: int, axis: int, *, tolerance: float = 1e-2,
               max_iterations: int = 100_000, device: str | None = None) -> Transport:
    """Tortuosity factor and relative effective diffusivity of one phase along one axis.

    Parameters
    ----------
    labels : (X, Y) or (X, Y, Z) array_like of int
        Phase labels; voxels equal to ``phase`` conduct, all others block.
    phase : int
        The conducting phase.
    axis : int
        Direction of the imposed gradient (0, 1, 2 for x, y, z).
    tolerance : float, optional
        Largest relative spread of the flux between the layers normal to
        ``axis`` at convergence (TauFactor's criterion).
    max_iterations : int, optional
        Sweeps before giving up (a RuntimeWarning says the result is unconverged).
    device : str, optional
        Torch device of the solve; CUDA when available, else the CPU.

    Returns
    -------
    Transport

    Raises
    ------
    ImportError
        When the solve is needed and TauFactor is not installed (the message
        names the extra ``mcrkit[transport]``).

    Examples
    --------
    >>> labels = np.zeros((8, 6, 6), dtype=int); labels[:, 1:3, 1:3] = 1
    >>> result = tortuosity(labels, 1, axis=0)
    >>> round(result.tortuosity_factor, 3), round(result.effective_diffusivity, 3)
    (1.0, 0.111)
    >>> tortuosity(labels, 1, axis=1).tortuosity_factor  # no channel along y: no solve
    inf
    """
    array = np.asarray(labels)
    if array.ndim not in (2, 3) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"tortuosity: expected integer phase labels of shape (X, Y) or "
                         f"(X, Y, Z), got {array.dtype} of shape {array.shape}")
    axis = check_axis(axis, array.ndim, "tortuosity")
    if not tolerance > 0 or not max_iterations >= 1:
        raise ValueError(f"tortuosity: tolerance must be > 0 and max_iterations >= 1, got "
                         f"{tolerance!r} and {max_iterations!r}")
    mask = array == phase
    fraction = float(mask.mean())
    if not percolation(mask, connectivity=1).percolates[axis]:
        return Transport(float("inf"), 0.0, fraction, False, 0)
    solver = _solver(np.moveaxis(mask, axis, 0).astype(np.uint8), device)
    with contextlib.redirect_stdout(io.StringIO()):  # the solver prints its own progress
        solver.solve(iter_limit=max_iterations, verbose=False, conv_crit=tolerance)
    if not solver.converged:
        warnings.warn(f"tortuosity: phase {phase} along axis {axis} did not converge in "
                      f"{max_iterations} iterations; raise max_iterations or tolerance",
                      RuntimeWarning, stacklevel=2)
    relative = float(np.asarray(solver.D_rel).ravel()[0])
    return Transport(fraction / relative, relative, fraction, True, int(solver.iter))


def _solver(conductor: np.ndarray, device: str | None) -> Any:
    """TauFactor's two-phase solver on ``conductor`` (gradient along axis 0)."""
    try:
        import taufactor
        import torch
    except ImportError as error:
        raise ImportError(EXTRA_MISSING) from error
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return taufactor.Solver(conductor, device=device)
