"""Tortuosity and effective diffusivity: analytic cases and an independent finite-volume solve."""

from __future__ import annotations

import sys

import cc3d
import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from mcrkit.morphology import transport
from mcrkit.morphology.connectivity import percolation
from mcrkit.morphology.transport import tortuosities, tortuosity

pytest.importorskip("pyamg")


def reference_diffusivity(conductor: np.ndarray) -> float:
    """D_eff / D_0 along axis 0 by a direct sparse solve (closed sides, faces half a voxel out)."""
    clusters = cc3d.connected_components(conductor, connectivity=6)
    wired = np.setdiff1d(np.union1d(clusters[0], clusters[-1]), [0])
    active = np.isin(clusters, wired)
    index = np.full(conductor.shape, -1)
    index[active] = np.arange(active.sum())
    rows, cols = [], []
    for axis in range(3):
        ahead = [slice(None)] * 3
        behind = [slice(None)] * 3
        ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
        a, b = index[tuple(ahead)], index[tuple(behind)]
        both = (a >= 0) & (b >= 0)
        rows += [a[both], b[both]]
        cols += [b[both], a[both]]
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    n = int(active.sum())
    links = scipy.sparse.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    inlet, outlet = index[0][index[0] >= 0], index[-1][index[-1] >= 0]
    diagonal = np.asarray(links.sum(axis=1)).ravel()
    diagonal[inlet] += 2.0
    diagonal[outlet] += 2.0
    rhs = np.zeros(n)
    rhs[outlet] = 2.0  # concentration 1 at the outlet face, 0 at the inlet face
    field = scipy.sparse.linalg.spsolve((scipy.sparse.diags(diagonal) - links).tocsc(), rhs)
    flux = 2.0 * field[inlet].sum()
    return flux * conductor.shape[0] / (conductor.shape[1] * conductor.shape[2])


@pytest.mark.parametrize("shape, axis", [((6, 10, 12), 2), ((12, 9), 0)])
def test_straight_channels_have_tortuosity_one(shape, axis) -> None:
    labels = np.zeros(shape, dtype=int)
    across = [slice(1, 3), slice(5, 6)][: len(shape) - 1]
    index = list(across)
    index.insert(axis, slice(None))
    labels[tuple(index)] = 1
    result = tortuosity(labels, 1, axis)
    assert result.percolates
    assert result.tortuosity_factor == pytest.approx(1.0, rel=1e-4)
    assert result.effective_diffusivity == pytest.approx(labels.mean(), rel=1e-4)


def test_dead_ends_add_volume_but_no_flux() -> None:
    labels = np.zeros((12, 8, 8), dtype=int)
    labels[:, 2, 2] = 1  # the one channel along x
    labels[[3, 7], 3:6, 2] = 1  # side pockets one layer thick: no current runs through them
    result = tortuosity(labels, 1, 0)
    assert result.volume_fraction == pytest.approx(18 / 768)
    assert result.effective_diffusivity == pytest.approx(12 / 768, rel=1e-4)
    assert result.tortuosity_factor == pytest.approx(18 / 12, rel=1e-4)


def test_a_blocked_phase_is_infinite_without_a_solve(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyamg", None)  # a solve would raise ImportError
    labels = np.ones((8, 8, 8), dtype=int)
    labels[4] = 0  # a wall across x with one opening reached only across voxel edges
    labels[4, 1, 1] = 1
    labels[3, 1, 1] = labels[5, 1, 1] = 0
    assert percolation(labels == 1).percolates[0]  # with 26 neighbours it would percolate
    result = tortuosity(labels, 1, 0)
    assert result == (float("inf"), 0.0, pytest.approx(labels.mean()), False, 0)


def test_missing_solver_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyamg", None)
    with pytest.raises(ImportError, match=r"mcrkit\[transport\]"):
        tortuosity(np.ones((4, 4, 4), dtype=int), 1, 0)


def test_random_structure_matches_a_direct_sparse_solve() -> None:
    rng = np.random.default_rng(3)
    labels = (rng.random((14, 12, 12)) < 0.6).astype(int)
    expected = reference_diffusivity(labels == 1)
    result = tortuosity(labels, 1, 0)
    assert 1.2 < result.tortuosity_factor < 10  # a genuinely tortuous path
    assert result.effective_diffusivity == pytest.approx(expected, rel=2e-3)
    assert result.tortuosity_factor == pytest.approx(labels.mean() / expected, rel=2e-3)


def test_a_multilevel_solve_of_a_tortuous_phase_matches_a_direct_sparse_solve() -> None:
    rng = np.random.default_rng(7)
    labels = (rng.random((30, 20, 20)) < 0.4).astype(int)  # thousands of unknowns: several levels
    expected = reference_diffusivity(labels == 1)
    result = tortuosity(labels, 1, 0)
    assert result.tortuosity_factor > 3
    assert result.effective_diffusivity == pytest.approx(expected, rel=2e-3)
    assert result.iterations <= 30  # the multigrid keeps conjugate gradients short


def test_a_solve_neither_reads_nor_moves_the_global_random_state() -> None:
    labels = (np.random.default_rng(7).random((30, 20, 20)) < 0.4).astype(int)
    np.random.seed(11)  # noqa: NPY002 (the legacy state a multigrid set-up could draw from)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = tortuosity(labels, 1, 0)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    np.random.seed(12)  # noqa: NPY002
    assert tortuosity(labels, 1, 0) == first  # the same digits whatever the global state


def test_a_thin_tortuous_phase_agrees_with_taufactor() -> None:
    taufactor = pytest.importorskip("taufactor")  # an independent over-relaxation solver
    rng = np.random.default_rng(5)
    labels = (rng.random((16, 12, 10)) < 0.45).astype(np.uint8)  # near the threshold
    solver = taufactor.Solver(labels, device="cpu")
    solver.solve(verbose=False, conv_crit=1e-4)
    result = tortuosity(labels, 1, 0)
    assert result.tortuosity_factor > 3
    assert result.tortuosity_factor == pytest.approx(float(solver.tau[0]), rel=0.01)


def test_a_two_dimensional_layer_is_a_three_dimensional_slab() -> None:
    rng = np.random.default_rng(1)
    image = (rng.random((12, 10)) < 0.7).astype(int)
    flat = tortuosity(image, 1, 1)
    slab = tortuosity(np.repeat(image[:, :, None], 3, axis=2), 1, 1)
    assert flat.percolates and flat.tortuosity_factor > 1.05
    assert flat.tortuosity_factor == pytest.approx(slab.tortuosity_factor, rel=2e-3)


def test_bad_axis_and_labels_are_named() -> None:
    with pytest.raises(ValueError, match="axis"):
        tortuosity(np.ones((4, 4), dtype=int), 1, 2)
    with pytest.raises(ValueError, match="integer phase labels"):
        tortuosity(np.ones((4, 4)), 1, 0)


def test_clusters_that_coarsen_to_single_points_are_solved() -> None:
    labels = np.zeros((3, 90, 90), dtype=int)
    labels[:, ::2, ::2] = 1  # 2025 separate straight channels: each one aggregate, then isolated
    result = tortuosity(labels, 1, 0)
    assert result.tortuosity_factor == pytest.approx(1.0, rel=1e-4)
    assert result.iterations <= 5


def test_solves_in_worker_processes_give_the_same_digits_and_warnings() -> None:
    pytest.importorskip("joblib")  # the workers' pool, in the transport extra
    labels = (np.random.default_rng(5).random((16, 14, 12)) < 0.55).astype(int)
    tasks = [(labels, 1, 0), (labels, 1, 2), (labels, 0, 1)]
    finished = []
    with pytest.warns(RuntimeWarning) as alone:
        expected = tortuosities(tasks, workers=1, max_iterations=1)
    with pytest.warns(RuntimeWarning) as side_by_side:
        results = tortuosities(tasks, workers=2, max_iterations=1,
                               done=lambda: finished.append(1))
    assert results == expected  # in the order of the tasks, whichever process finished first
    assert all(result.percolates for result in results)
    assert len(finished) == 3
    assert sorted(str(w.message) for w in side_by_side) == sorted(str(w.message) for w in alone)
    assert len(side_by_side) == 3  # each unconverged solve warned in its worker, re-emitted here


def test_the_workers_are_as_many_as_cpus_solves_and_free_memory_allow(monkeypatch) -> None:
    import mcrkit.runtime

    labels = np.zeros((16, 16, 16), dtype=np.uint8)
    labels[:8] = 1  # 2048 voxels of phase 1, 2048 of phase 0
    solves = [(labels, 0), (labels, 1)] * 3
    monkeypatch.setattr(transport, "PARALLEL_FROM_VOXELS", labels.size)
    monkeypatch.setattr(mcrkit.runtime, "usable_cpus", lambda: 4)
    one_solve = transport._WORKER_BYTES + 2048 * transport._BYTES_PER_UNKNOWN \
        + labels.size * transport._BYTES_PER_VOXEL

    def free(size):
        return lambda: mcrkit.runtime.MemoryLimits(None, "unknown", size, None)

    monkeypatch.setattr(mcrkit.runtime, "memory_limits", free(None))
    assert transport._worker_count(solves) == 4  # the CPUs
    assert transport._worker_count(solves[:3]) == 3  # the solves
    monkeypatch.setattr(mcrkit.runtime, "memory_limits", free(3 * one_solve - 1))
    assert transport._worker_count(solves) == 2  # the memory
    monkeypatch.setattr(mcrkit.runtime, "memory_limits", free(one_solve // 2))
    assert transport._worker_count(solves) == 1
    monkeypatch.setattr(transport, "PARALLEL_FROM_VOXELS", labels.size + 1)
    monkeypatch.setattr(mcrkit.runtime, "memory_limits", free(None))
    assert transport._worker_count(solves) == 1  # too small to be worth starting workers


def test_bad_worker_counts_are_named() -> None:
    with pytest.raises(ValueError, match="workers must be a positive integer, got 0"):
        tortuosities([(np.ones((4, 4), dtype=int), 1, 0)], workers=0)
