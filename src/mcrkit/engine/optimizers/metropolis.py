"""The compiled Metropolis chain of phase-swap annealing (numba).

:func:`anneal` runs blocks of moves: it draws a candidate swap of two voxels of
different phases (:func:`propose_swaps`), asks every term for the change of its
residual sum (each term through its descriptor's site kernel, see
:mod:`mcrkit.descriptors.swap_kernels`; fixed or, for distributions, block-wise
normalizations), and accepts the swap with the
Metropolis probability at the scheduled temperature. Labels are a flat array of
a 3D grid ``dims`` (a 2D image is ``(X, Y, 1)``).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numba
import numpy as np
from numba import types

from mcrkit.descriptors.swap_kernels import (
    at,
    call_with_sites,
    commit,
    frame,
    scratch_arrays,
    swap_change,
)
from mcrkit.morphology.simple_points import swap_keeps_topology

__all__ = ["anneal", "propose_swaps"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _energy(totals, weights, sizes, mean, root):
    value = 0.0
    for t in range(totals.size):
        part = totals[t] / sizes[t] if mean else totals[t]
        value += weights[t] * (math.sqrt(max(part, 0.0)) if root else part)
    return value


@_jit
def _anneal(lab, dims, geo, sites, terms, weights, sizes, mean, root, fixed, totals, members,
            where, starts, phase_sizes, interface, periodic, tries, checks, uniforms, n_moves,
            t_start, t_ratio, done, budget, counts_out):
    """The compiled chain of :func:`anneal`; ``checks[0]`` vets each swap (signature
    :data:`CHECK`)."""
    scratch = scratch_arrays(terms)
    n_terms = len(terms)
    trial = totals.copy()
    found = np.zeros(n_terms, dtype=np.int64)
    value = fixed + _energy(totals, weights, sizes, mean, root)
    per = 2 * tries + 3
    first = np.empty(1, dtype=np.int64)
    second = np.empty(1, dtype=np.int64)
    accepted = 0
    temperature = t_start
    for m in range(n_moves):
        temperature = t_start * t_ratio ** min((done + m) / budget, 1.0)
        propose_swaps(lab, dims, members, starts, phase_sizes,
                      uniforms[m * per:m * per + per - 1], interface, periodic, tries,
                      first, second)
        p, q = first[0], second[0]
        if not checks[0](lab, dims, p, q, periodic):
            continue
        for t in range(n_terms):
            change, n = swap_change(lab, dims, geo, sites[t], terms[t], p, q, scratch)
            trial[t] = totals[t] + change
            found[t] = n
        new = fixed + _energy(trial, weights, sizes, mean, root)
        delta = new - value
        if delta <= 0.0 or uniforms[m * per + per - 1] < math.exp(-delta / temperature):
            for t in range(n_terms):
                commit(terms[t], found[t])
                totals[t] = trial[t]
            i, j = where[p], where[q]
            members[i], members[j] = q, p
            where[p], where[q] = j, i
            lab[p], lab[q] = lab[q], lab[p]
            value = new
            accepted += 1
    counts_out[0] = accepted
    counts_out[1] = temperature
    return value


def anneal(lab: np.ndarray, dims: np.ndarray, geo: np.ndarray, sites: tuple, terms: tuple,
           *chain: Any) -> float:
    """Run ``n_moves`` Metropolis moves in place; returns the energy after them.

    ``sites[t]`` is the site kernel of ``terms[t]``, the arrays of a term (see
    :mod:`mcrkit.descriptors.swap_kernels`); ``chain`` holds, in this order, ``weights, sizes,
    mean, root, fixed, totals, members, where, starts, phase_sizes, interface, periodic, tries,
    topology, uniforms, n_moves, t_start, t_ratio, done, budget, counts_out``.

    The temperature of move ``m`` is ``t_start * t_ratio ** ((done + m) / budget)``;
    ``totals`` (the terms' residual sums) and the structure are updated for every accepted
    move; ``counts_out`` receives the accepted moves and the last temperature. The energy is
    ``fixed`` plus the weighted loss of the terms (``mean``: divide sums by the entry counts
    ``sizes``; ``root``: take the square root). ``uniforms`` holds ``n_moves * (2 tries + 3)``
    random numbers in [0, 1); ``members``, ``where``, ``starts`` and ``phase_sizes`` are the
    voxels grouped by phase as for :func:`propose_swaps`. With ``topology`` a swap that would
    change the clusters or holes of a phase is rejected without evaluating it
    (:func:`~mcrkit.morphology.simple_points.swap_keeps_topology`).
    """
    at_flag = _CHAIN_TOPOLOGY
    check = _topology_check() if chain[at_flag] else _any_swap
    return call_with_sites(_anneal, lab, dims, geo, sites, terms, *chain[:at_flag], (check,),
                           *chain[at_flag + 1:])


_CHAIN_TOPOLOGY = 13
"""Position of ``topology`` in :func:`anneal`'s ``chain``; the compiled chain takes the
swap check there instead."""


CHECK = types.boolean(types.uint8[::1], types.int64[::1], types.int64, types.int64,
                      types.boolean)
"""Signature of a swap check ``check(lab, dims, p, q, periodic)`` of the chain."""


@numba.njit(CHECK, cache=True, nogil=True)
def _any_swap(lab, dims, p, q, periodic):
    """Every swap is allowed (no topology constraint)."""
    return True


@functools.cache
def _topology_check() -> Any:
    """:func:`~mcrkit.morphology.simple_points.swap_keeps_topology` compiled with the
    signature :data:`CHECK`, on first use: a chain without the constraint never compiles it."""
    return numba.njit(CHECK, cache=True, nogil=True)(swap_keeps_topology.py_func)


# ---- proposals --------------------------------------------------------------------------
@_jit
def _on_interface(lab, dims, index, periodic):
    """Whether voxel ``index`` has a face neighbour of another phase."""
    here = lab[index]
    for axis in range(3):
        if dims[axis] == 1:
            continue
        slice_frame = frame(index, dims, axis, (axis + 1) % 3)
        for step in (-1, 1):
            other = at(slice_frame, step, 0, periodic)
            if other >= 0 and lab[other] != here:
                return True
    return False


@_jit
def _draw(members, start, size, uniforms, j, lab, dims, interface, periodic, tries):
    """A uniform member of one phase (an interface voxel if one is found in ``tries``)."""
    index = members[start + min(int(uniforms[j] * size), size - 1)]
    for t in range(1, tries if interface else 1):
        if _on_interface(lab, dims, index, periodic):
            break
        index = members[start + min(int(uniforms[j + t] * size), size - 1)]
    return index


@_jit
def _pick_phase(sizes, pick, exclude):
    """The phase in whose share of the cumulative voxel counts ``pick`` falls, skipping
    ``exclude`` and empty phases."""
    chosen = -1
    for c in range(sizes.size):
        if c == exclude or sizes[c] == 0:
            continue
        chosen = c
        if pick < sizes[c]:
            break
        pick -= sizes[c]
    return chosen


@_jit
def propose_swaps(lab, dims, members, starts, sizes, uniforms, interface, periodic, tries,
                  first, second):
    """Fill ``first``/``second`` with candidate swaps of voxels of different phases.

    The first voxel's phase is drawn with probability proportional to its voxel count,
    the second among the other phases likewise; voxels are uniform within their phase or,
    with ``interface``, redrawn up to ``tries`` times until one touches another phase.
    ``members`` lists the voxels grouped by phase (``starts``, ``sizes``); ``uniforms``
    holds ``len(first) * (2 * tries + 2)`` random numbers in [0, 1).
    """
    total = sizes.sum()
    per = 2 * tries + 2
    for k in range(first.size):
        j = k * per
        a = _pick_phase(sizes, uniforms[j] * total, np.int64(-1))  # typed: one compilation
        b = _pick_phase(sizes, uniforms[j + 1] * (total - sizes[a]), a)
        first[k] = _draw(members, starts[a], sizes[a], uniforms, j + 2, lab, dims, interface,
                         periodic, tries)
        second[k] = _draw(members, starts[b], sizes[b], uniforms, j + 2 + tries, lab, dims,
                          interface, periodic, tries)
