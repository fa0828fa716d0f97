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

Diffusion passes through voxel faces only. Only the face-connected clusters
that touch both faces carry a current, so the unknowns are their voxels (a
phase without such a cluster is reported with :math:`\tau = \infty` and
:math:`D_\mathrm{eff} = 0` without a solve). The finite-volume equations (unit
conductance between face neighbours, twice that to a face half a voxel away)
form a sparse symmetric positive definite system, solved by conjugate
gradients preconditioned with W-cycles of plain-aggregation algebraic multigrid (PyAMG,
the optional extra ``mcrkit[transport]``, imported only when a solve is
needed), in single precision from a linear concentration profile, to a
relative residual of 1e-5 and further until the flux into the box and the
flux out of it agree to the tolerance (their mean is the flux), so the result's
accuracy is stated in the quantity reported, however tortuous the phase. The
iterations do not grow with the tortuosity as over-relaxation sweeps do
(docs/performance.md compares both on 128³ phases).

:func:`tortuosities` runs several such solves (phases, axes, structures) and,
for large volumes, spreads them over worker processes, as many as the CPUs
this process may use and the free memory allow: each solve is independent
and runs on one core.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from mcrkit.morphology._common import check_axis
from mcrkit.morphology.connectivity import cluster_labels

__all__ = ["EXTRA_MISSING", "PARALLEL_FROM_VOXELS", "Transport", "tortuosities", "tortuosity"]

EXTRA_MISSING = ("tortuosity needs the optional multigrid solver PyAMG: "
                 "pip install 'mcrkit[transport]' (or pip install pyamg threadpoolctl joblib)")


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
        Conjugate-gradient iterations (0 when no solve was needed).
    """

    tortuosity_factor: float
    effective_diffusivity: float
    volume_fraction: float
    percolates: bool
    iterations: int


def tortuosity(labels: np.ndarray, phase: int, axis: int, *, tolerance: float = 1e-3,
               max_iterations: int = 500) -> Transport:
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
        Largest relative difference between the flux into the box and the
        flux out of it at convergence (the solve tightens its residual until
        they agree); the effective diffusivity is good to about this fraction.
    max_iterations : int, optional
        Conjugate-gradient iterations before giving up (a RuntimeWarning says
        the result is unconverged).

    Returns
    -------
    Transport

    Raises
    ------
    ImportError
        When the solve is needed and PyAMG is not installed (the message
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
    array, axis = _checked(labels, axis, tolerance, max_iterations, "tortuosity")
    return _tortuosity(array == phase, axis, tolerance, max_iterations,
                       f"phase {phase} along axis {axis}")


PARALLEL_FROM_VOXELS = 2**20
"""Volumes of fewer voxels (up to about 100³) are solved one after the other in the calling
process: starting worker processes takes seconds, more than their solves would gain."""

_WORKER_BYTES = 160 * 2**20
"""Memory of a worker process besides its solve (interpreter, NumPy, SciPy, PyAMG, joblib)."""

_BYTES_PER_UNKNOWN, _BYTES_PER_VOXEL = 144, 8
"""Peak memory of one solve: per voxel of the phase (system, hierarchy, vectors; 256³
phases of 3.7 and 7.2 million voxels took 134 bytes each) and per voxel of the box (the
phase's mask and its cluster labels)."""


def tortuosities(tasks: Sequence[tuple[np.ndarray, int, int]], *, workers: int | None = None,
                 done: Callable[[], object] | None = None, tolerance: float = 1e-3,
                 max_iterations: int = 500) -> list[Transport]:
    """:func:`tortuosity` of several phases and axes, in worker processes for large volumes.

    Each solve runs on one core; independent solves run side by side in
    worker processes (joblib's loky workers, which a script needs no
    ``if __name__ == "__main__"`` guard for), each given the phase's mask.

    Parameters
    ----------
    tasks : sequence of (labels, phase, axis)
        The solves, each as :func:`tortuosity`'s first three arguments.
    workers : int, optional
        Worker processes. Default: one per CPU this process may use
        (:func:`mcrkit.runtime.usable_cpus`), no more than there are solves and
        than the free memory holds (a solve takes about 150 bytes per voxel of
        its phase), and none for volumes under :data:`PARALLEL_FROM_VOXELS`
        voxels. With 1 the solves run one after the other in this process.
    done : callable, optional
        Called without arguments after each solve, in the order they finish
        (a progress bar's ``update``).
    tolerance, max_iterations : optional
        As for :func:`tortuosity`.

    Returns
    -------
    list of Transport
        One per task, in the order of ``tasks``: the same digits as
        :func:`tortuosity` gives, whichever process solved it.

    Raises
    ------
    MemoryError
        When a worker process was killed (by the system when memory runs out).
    ImportError
        When a solve is needed and the extra ``mcrkit[transport]`` is missing.

    Notes
    -----
    The largest phases are solved first, so that the workers finish
    together. A warning of a solve in a worker is emitted again here. Ctrl-C
    (or any error) ends the worker processes with the call.

    Examples
    --------
    >>> labels = np.zeros((8, 6, 6), dtype=int); labels[:, 1:3, 1:3] = 1
    >>> results = tortuosities([(labels, 1, 0), (labels, 0, 0), (labels, 1, 1)])
    >>> [round(result.tortuosity_factor, 3) for result in results]
    [1.0, 1.0, inf]
    """
    checked = [(*_checked(labels, axis, tolerance, max_iterations, "tortuosities"), int(phase))
               for labels, phase, axis in tasks]
    if workers is None:
        workers = _worker_count([(array, phase) for array, _, phase in checked])
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"tortuosities: workers must be a positive integer, got {workers!r}")
    if workers == 1 or len(checked) == 1:
        results = []
        for array, axis, phase in checked:
            results.append(_tortuosity(array == phase, axis, tolerance, max_iterations,
                                       f"phase {phase} along axis {axis}"))
            if done is not None:
                done()
        return results
    return _in_workers(checked, workers, done, tolerance, max_iterations)


def _worker_count(solves: list[tuple[np.ndarray, int]]) -> int:
    """Worker processes for these (labels, phase) solves: see :func:`tortuosities`."""
    from mcrkit.runtime import memory_limits, usable_cpus

    if max(array.size for array, _ in solves) < PARALLEL_FROM_VOXELS:
        return 1
    count = min(usable_cpus(), len(solves))
    free = memory_limits().free
    if free is not None:
        largest = max(_BYTES_PER_UNKNOWN * int(np.count_nonzero(array == phase))
                      + _BYTES_PER_VOXEL * array.size for array, phase in solves)
        count = min(count, free // (_WORKER_BYTES + largest))
    return max(1, count)


def _in_workers(checked: list[tuple[np.ndarray, int, int]], workers: int,
                done: Callable[[], object] | None, tolerance: float,
                max_iterations: int) -> list[Transport]:
    """The solves of :func:`tortuosities` in ``workers`` loky worker processes."""
    try:
        from joblib import Parallel, delayed
        from joblib.externals.loky.process_executor import TerminatedWorkerError
    except ImportError as error:
        raise ImportError(EXTRA_MISSING) from error
    sizes = [int(np.count_nonzero(array == phase)) for array, _, phase in checked]
    order = sorted(range(len(checked)), key=lambda index: -sizes[index])
    calls = (delayed(_solve_packed)(index, np.packbits(array == phase), array.shape, axis,
                                    tolerance, max_iterations,
                                    f"phase {phase} along axis {axis}")
             for index in order for array, axis, phase in [checked[index]])
    results: list[Any] = [None] * len(checked)
    # Idle workers end soon after the call: the GUI's process would otherwise keep them
    # (and the memory their solves freed) for joblib's default five minutes.
    parallel = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered",
                        batch_size=1, max_nbytes=None, idle_worker_timeout=10)
    try:
        for index, result, caught in parallel(calls):
            results[index] = result
            for category, message in caught:
                warnings.warn(message, category, stacklevel=3)
            if done is not None:
                done()
    except TerminatedWorkerError as error:
        raise MemoryError(
            f"tortuosities: a worker process solving the transport was killed, most likely "
            f"because the memory ran out ({workers} solves side by side, each given the "
            f"memory free when they began: other processes may have taken it since); free "
            f"memory and run it again") from error
    return results


def _solve_packed(index: int, packed: np.ndarray, shape: tuple[int, ...], axis: int,
                  tolerance: float, max_iterations: int,
                  what: str) -> tuple[int, Transport, list[tuple[type[Warning], str]]]:
    """A worker's solve of the mask packed by ``numpy.packbits``: its index, result and
    the warnings it emitted (category and message)."""
    from mcrkit.runtime import keep_freed_memory

    keep_freed_memory()  # as the command line does (a 128³ solve faulted in half the pages)
    mask = np.unpackbits(packed, count=int(np.prod(shape))).reshape(shape).view(bool)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _tortuosity(mask, axis, tolerance, max_iterations, what)
    return index, result, [(w.category, str(w.message)) for w in caught]


def _checked(labels: np.ndarray, axis: int, tolerance: float, max_iterations: int,
             name: str) -> tuple[np.ndarray, int]:
    """The labels as an array and the axis as 0..ndim-1, after checking the arguments."""
    array = np.asarray(labels)
    if array.ndim not in (2, 3) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name}: expected integer phase labels of shape (X, Y) or "
                         f"(X, Y, Z), got {array.dtype} of shape {array.shape}")
    axis = check_axis(axis, array.ndim, name)
    if not tolerance > 0 or not max_iterations >= 1:
        raise ValueError(f"{name}: tolerance must be > 0 and max_iterations >= 1, got "
                         f"{tolerance!r} and {max_iterations!r}")
    return array, axis


def _tortuosity(phase_mask: np.ndarray, axis: int, tolerance: float, max_iterations: int,
                what: str) -> Transport:
    """:func:`tortuosity` of the phase whose voxels are True in ``phase_mask``."""
    mask = np.moveaxis(phase_mask, axis, 0)
    fraction = float(mask.mean())
    clusters, _ = cluster_labels(mask, connectivity=1, periodic=False)
    through = np.intersect1d(clusters[0], clusters[-1])
    through = through[through > 0]
    if not through.size:
        return Transport(float("inf"), 0.0, fraction, False, 0)
    try:
        import pyamg
        from threadpoolctl import threadpool_limits
    except ImportError as error:
        raise ImportError(EXTRA_MISSING) from error
    system, rhs, field, (inlet, outlet) = _equations(np.isin(clusters, through))
    del clusters  # the solve needs only the system: free the labels of a large volume
    # One BLAS thread: PyAMG's dense work is on single vectors, and idle BLAS threads
    # spinning on a shared machine tripled a 48^3 solve's time.
    with threadpool_limits(limits=1, user_api="blas"):
        solver = _hierarchy(system, pyamg)
        inflow, outflow, iterations = _solve(solver, rhs, field, inlet, outlet, tolerance,
                                             max_iterations, what)
    relative = (inflow + outflow) / 2 * mask.shape[0] / (mask.size / mask.shape[0])
    return Transport(fraction / relative, relative, fraction, True, iterations)


def _solve(solver: Any, rhs: np.ndarray, field: np.ndarray, inlet: np.ndarray,
           outlet: np.ndarray, tolerance: float, max_iterations: int,
           what: str) -> tuple[float, float, int]:
    """Preconditioned CG from ``field`` until inflow and outflow agree: both, and iterations."""
    iterations, residual = 0, 1e-5
    while True:
        residuals: list[float] = []
        field = solver.solve(rhs, x0=field, tol=residual, maxiter=max_iterations - iterations,
                             accel="cg", cycle="W", residuals=residuals)
        iterations += len(residuals) - 1
        inflow = 2 * float(field[inlet].sum(dtype=np.float64))
        outflow = 2 * float((1.0 - field[outlet]).sum(dtype=np.float64))
        if abs(inflow - outflow) <= tolerance * (inflow + outflow) / 2:
            break
        if iterations >= max_iterations or residual < 1e-7:  # single precision's floor
            warnings.warn(f"tortuosity: {what}: inflow and outflow "
                          f"still differ by {abs(inflow - outflow) / outflow:.1e} after "
                          f"{iterations} iterations; raise max_iterations or tolerance",
                          RuntimeWarning, stacklevel=4)
            break
        residual /= 10
    return inflow, outflow, iterations


def _hierarchy(system: Any, pyamg: Any, max_coarse: int = 1000) -> Any:
    """Plain-aggregation multigrid of ``system`` as PyAMG's solver, every level in CSR.

    Each level groups the unknowns into PyAMG's standard aggregates of the
    matrix itself (every link of this matrix is as strong as the others, so no
    strength filter is needed) and interpolates the constant, restricted to each
    aggregate and normalized (the tentative prolongator of PyAMG's smoothed
    aggregation with ``smooth=None``), without prolongator smoothing, hence none
    of its spectral-radius estimates; the coarse matrix is the Galerkin product,
    made in CSR (block-sparse products of 1x1 blocks are several times slower).
    One Gauss-Seidel sweep forward before the coarse correction and one
    backward after keep the preconditioner symmetric at half the sweeps of
    symmetric ones; W-cycles make up for the coarser hierarchy. The coarsest
    level, of at most ``max_coarse`` unknowns, is solved by a pseudo-inverse.
    """
    import scipy.sparse

    levels = []
    constant = np.ones(system.shape[0], dtype=system.dtype)  # what each level reproduces
    while system.shape[0] > max_coarse:
        aggregates = pyamg.aggregation.standard_aggregation(system)[0].tocsr()
        if not aggregates.shape[1]:  # only isolated unknowns (clusters already one point)
            break
        norms = np.sqrt(np.bincount(aggregates.indices, weights=constant**2,
                                    minlength=aggregates.shape[1])).astype(system.dtype)
        rows = np.repeat(np.arange(system.shape[0]), np.diff(aggregates.indptr))
        level = pyamg.multilevel.MultilevelSolver.Level()
        level.A = system
        level.P = scipy.sparse.csr_matrix(  # an isolated unknown has no aggregate: a zero row
            (constant[rows] / norms[aggregates.indices], aggregates.indices, aggregates.indptr),
            shape=aggregates.shape)
        level.R = level.P.T.tocsr()
        levels.append(level)
        system = (level.R @ (system @ level.P)).tocsr()
        system.sort_indices()  # aggregation follows the neighbours' order: keep it spatial
        constant = norms
    coarsest = pyamg.multilevel.MultilevelSolver.Level()
    coarsest.A = system
    solver = pyamg.multilevel.MultilevelSolver(levels + [coarsest], coarse_solver="pinv")
    pyamg.relaxation.smoothing.change_smoothers(
        solver, ("gauss_seidel", {"sweep": "forward"}), ("gauss_seidel", {"sweep": "backward"}))
    return solver


def _equations(active: np.ndarray) -> tuple:
    """The finite-volume system on the ``active`` voxels (gradient along axis 0).

    Returns the CSR matrix, the right-hand side (concentration 0 before the
    first layer, 1 after the last), a linear start and the unknowns' indices
    in the first and last layers. The rows are written directly in CSR: each
    unknown's neighbours are looked up in a numbering padded by one voxel of
    "no unknown" (-1) on every side, in increasing order of their numbers.
    """
    import scipy.sparse

    count = int(active.sum())
    dtype = np.int32 if count < 2**31 else np.int64
    index = np.full(np.add(active.shape, 2), -1, dtype=dtype)
    inner = index[(slice(1, -1),) * active.ndim]
    inner[active] = np.arange(count, dtype=dtype)
    flat = index.ravel()
    where = np.flatnonzero(flat >= 0)
    strides = np.cumprod((1,) + index.shape[:0:-1])[::-1]  # flat steps along x, y(, z)
    offsets = np.concatenate([-strides, [0], strides[::-1]])  # increasing: sorted columns
    columns = np.empty((count, offsets.size), dtype=dtype)
    for slot, offset in enumerate(offsets):
        np.take(flat, where + offset, out=columns[:, slot])
    del where
    linked = columns >= 0
    per_row = linked.sum(axis=1)
    values = np.full(columns.shape, -1.0, dtype=np.float32)
    values[:, active.ndim] = per_row - 1  # the diagonal: one per face neighbour ...
    inlet, outlet = inner[0][inner[0] >= 0], inner[-1][inner[-1] >= 0]
    values[inlet, active.ndim] += 2.0  # ... and two to a face half a voxel away
    values[outlet, active.ndim] += 2.0
    indptr = np.zeros(count + 1, dtype=dtype)
    np.cumsum(per_row, out=indptr[1:])
    system = scipy.sparse.csr_matrix((values[linked], columns[linked], indptr),
                                     shape=(count, count))
    system.has_sorted_indices = True
    rhs = np.zeros(count, dtype=np.float32)
    rhs[outlet] = 2.0
    depth = np.broadcast_to(
        ((np.arange(active.shape[0], dtype=np.float32) + 0.5) / active.shape[0]).reshape(
            (-1,) + (1,) * (active.ndim - 1)), active.shape)
    return system, rhs, np.ascontiguousarray(depth[active]), (inlet, outlet)
