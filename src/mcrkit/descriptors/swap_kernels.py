"""Compiled machinery of incremental descriptor updates under phase swaps (numba).

A structure is stored as a flat label array of a 3D grid ``dims = (X, Y, Z)``
(a 2D image is ``(X, Y, 1)``). A *geometry* is one family of 2D slices, given by
its two in-plane axes ``(u, v)``: a 2D image has one, ``(0, 1)``; a volume has
three, the slices normal to x, y and z with in-plane axes ``(1, 2)``,
``(0, 2)`` and ``(0, 1)`` (the order of :meth:`Descriptor._per_axis`). In-plane
offsets ``(du, dv)`` move along ``u`` and ``v``.

Descriptors are kept as integer counts ``n_k`` with fixed normalizations
(value ``n_k / norm_k``; residuals ``r_k = n_k w_k - t_k`` with ``w_k = 1 /
norm_k``), so updates are exact. A *normalized* term (a distribution, such as
the chord lengths) divides each block of counts by the block's sum instead
(at least 1): ``w_k`` then changes with the counts, and a change of one count
changes the residuals of its whole block. A swap of the voxels ``p`` (phase ``a``) and
``q`` (phase ``b``) is two site changes applied in turn: ``p`` from ``a`` to
``b`` on the current labels, then ``q`` from ``b`` to ``a`` with ``p`` already
changed (a *virtual* label: the label array itself changes only when a swap is
accepted).

A descriptor supplies only its *site kernel*: a function compiled with the
signature :data:`SITE` that adds the count changes of one site change to the
term's scratch array (the built-in ones sit next to their descriptors, e.g.
``mcrkit.descriptors._two_point_kernels``). This module does the rest for every
descriptor alike: :func:`settle` turns the scratch into the change of the
residual sum :math:`\\sum_k h(r_k)` with :math:`h(x) = x^2` (code 0) or
:math:`|x|` (code 1), clears it and lists the nonzero changes, which
:func:`commit` applies to an accepted swap.

A term is a tuple of arrays of fixed types (see :func:`term_tuple`), and site
kernels share one signature, so compiled code (:func:`swap_changes`, the
annealer's Metropolis chain) runs over any mix of descriptors, built-in or not,
given the tuple of their site kernels. ``spec`` holds a term's integer
parameters (indices :data:`CHANNELS` ... :data:`NORMALIZED`).

The compiled functions are cached on disk; numba invalidates a cached function
when its own file changes, not when a function it calls from another module
does: after editing the helpers here, delete the ``__pycache__`` folders of the
kernel modules.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types
from numba.core.errors import NumbaExperimentalFeatureWarning

__all__ = ["BLOCK", "CHANNELS", "DISTINCT", "NORMALIZED", "PERIODIC", "POINTWISE", "REACH",
           "SITE", "SYMMETRIC", "at", "call_with_sites", "commit", "frame", "label", "label_at",
           "scratch_arrays", "settle", "swap_change", "swap_changes", "term_tuple",
           "window_rows"]

CHANNELS, BLOCK, REACH, PERIODIC, DISTINCT, POINTWISE, SYMMETRIC, NORMALIZED = range(8)
"""Entries of a term's ``spec``: channels, entries per channel block, reach (largest offset),
periodic, distinct (no two tabulated offsets share a voxel), pointwise code, symmetric
(K x K blocks whose changes are kept at a <= b), normalized (each block of ``BLOCK`` counts
divided by its sum)."""

_jit = numba.njit(cache=True, nogil=True)

_INTS = types.int64[::1]
TERM = types.Tuple((_INTS, types.int64[:, ::1], _INTS, _INTS, types.float64[::1],
                    types.float64[::1], types.float64[::1], _INTS, _INTS, _INTS))
"""Numba type of a term: spec, table, channel, counts, inverse norms, target, residuals and
the scratch count changes, changed indices and their changes (see :func:`term_tuple`)."""
SCRATCH = types.UniTuple(_INTS, 7)
"""Numba type of the shared work arrays (see :func:`scratch_arrays`)."""
SITE = types.void(types.uint8[::1], _INTS, types.int64[:, ::1], TERM, types.int64,
                  types.int64, types.int64, types.int64, types.int64, SCRATCH)
"""Signature of a site kernel ``site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch)``:
add to the term's scratch ``term[7]`` the count changes when voxel ``p`` changes from phase
``old`` to ``new``, reading labels through :func:`label` with the virtual change
``vpos -> vlab``, for every geometry ``geo[g]`` (in-plane axes) of the grid ``dims``."""


def term_tuple(spec: np.ndarray, table: np.ndarray, channel: np.ndarray, counts: np.ndarray,
               inverse: np.ndarray, target: np.ndarray, residual: np.ndarray) -> tuple:
    """The arrays of one term in the layout the kernels take, with its scratch arrays."""
    size = counts.size
    return (np.ascontiguousarray(spec, dtype=np.int64),
            np.ascontiguousarray(table, dtype=np.int64).reshape(len(table), -1),
            np.ascontiguousarray(channel, dtype=np.int64), counts, inverse, target, residual,
            np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64),
            np.zeros(size, dtype=np.int64))


def call_with_sites(kernel: Callable[..., Any], *args: Any) -> Any:
    """Call a compiled function that takes a tuple of site kernels.

    Numba types a tuple of compiled functions as first-class functions of one
    signature and warns that the feature is experimental on every such call;
    the warning is silenced here, for this call only.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaExperimentalFeatureWarning)
        return kernel(*args)


# ---- geometry -------------------------------------------------------------------------
@_jit
def frame(p, dims, u, v):
    """Slice coordinates of voxel ``p`` for in-plane axes ``u, v``: origin index, position,
    sizes and strides along ``u`` and ``v``."""
    strides = (dims[1] * dims[2], dims[2], 1)
    cu = (p // strides[u]) % dims[u]
    cv = (p // strides[v]) % dims[v]
    return p - cu * strides[u] - cv * strides[v], cu, cv, dims[u], dims[v], strides[u], strides[v]


@_jit
def at(frame, du, dv, periodic):
    """Flat index of the voxel at in-plane offset ``(du, dv)``, or -1 outside the image."""
    base, cu, cv, nu, nv, su, sv = frame
    a = cu + du
    b = cv + dv
    if periodic:
        a %= nu
        b %= nv
    elif a < 0 or a >= nu or b < 0 or b >= nv:
        return -1
    return base + a * su + b * sv


@_jit
def window_rows(frame, reach, periodic, ru, rv):
    """Index parts of the offsets -reach..reach along u and v (``ru[reach + du]``), -1 where
    they leave the image; the voxel at ``(du, dv)`` is ``base + ru[.] + rv[.]``. Returns base."""
    base, cu, cv, nu, nv, su, sv = frame
    for d in range(-reach, reach + 1):
        a = cu + d
        b = cv + d
        if periodic:
            a %= nu
            b %= nv
        ru[reach + d] = a * su if 0 <= a < nu else -1
        rv[reach + d] = b * sv if 0 <= b < nv else -1
    return base


@_jit
def label(lab, index, vpos, vlab):
    """Label at ``index`` with the virtual change ``vpos -> vlab`` (-1 outside)."""
    if index < 0:
        return -1
    if index == vpos:
        return vlab
    return lab[index]


@_jit
def label_at(lab, base, ru, rv, i, j, vpos, vlab):
    """Label at the tabulated offset ``(i, j)`` (indices into ``ru``, ``rv``)."""
    if ru[i] < 0 or rv[j] < 0:
        return -1
    return label(lab, base + ru[i] + rv[j], vpos, vlab)


# ---- residual sums ------------------------------------------------------------------------
@_jit
def _residual_change(res, dd, kind):
    if kind == 0:
        return dd * (2.0 * res + dd)
    return abs(res + dd) - abs(res)


@_jit
def _pointwise(x, kind):
    return x * x if kind == 0 else abs(x)


@_jit
def _inverse_sum(counts, start, size, moved):
    """1 / max(sum of ``counts[start:start + size]`` + ``moved``, 1)."""
    total = moved
    for k in range(start, start + size):
        total += counts[k]
    return 1.0 / max(total, 1)


@_jit
def _settle_normalized(term):
    """:func:`settle` of a normalized term: a block with changes is re-summed in full."""
    spec, _, _, counts, _, target, res, dc, rec_idx, rec_d = term
    kind = spec[POINTWISE]
    size = spec[BLOCK]
    change = 0.0
    n = 0
    for start in range(0, dc.size, size):
        moved = np.int64(0)  # typed: _inverse_sum compiles once
        touched = False
        for k in range(start, start + size):
            moved += dc[k]
            touched = touched or dc[k] != 0
        if not touched:
            continue
        inverse = _inverse_sum(counts, start, size, moved)
        for k in range(start, start + size):
            d = dc[k]
            change += _pointwise((counts[k] + d) * inverse - target[k], kind) - _pointwise(
                res[k], kind)
            if d != 0:
                dc[k] = 0
                rec_idx[n] = k
                rec_d[n] = d
                n += 1
    return change, n


@_jit
def settle(term):
    """Residual-sum change of the scratch count changes; lists them and clears the scratch.

    Returns ``(change, n)``: the first ``n`` entries of the term's record arrays hold the
    changed entries and their count changes.
    """
    if term[0][NORMALIZED]:
        return _settle_normalized(term)
    spec, _, _, _, inverse, _, res, dc, rec_idx, rec_d = term
    kind = spec[POINTWISE]
    change = 0.0
    n = 0
    if not spec[SYMMETRIC]:
        for k in range(dc.size):
            d = dc[k]
            if d != 0:
                dc[k] = 0
                rec_idx[n] = k
                rec_d[n] = d
                n += 1
                change += _residual_change(res[k], d * inverse[k], kind)
        return change, n
    n_vec = spec[BLOCK]
    for block in range(dc.size // (n_vec * n_vec)):
        for a in range(n_vec):
            row = (block * n_vec + a) * n_vec
            for b in range(a, n_vec):
                d = dc[row + b]
                if d != 0:
                    k = row + b
                    dc[k] = 0
                    rec_idx[n] = k
                    rec_d[n] = d
                    n += 1
                    change += _residual_change(res[k], d * inverse[k], kind)
                    if b != a:
                        mirror = (block * n_vec + b) * n_vec + a
                        change += _residual_change(res[mirror], d * inverse[mirror], kind)
    return change, n


@_jit
def commit(term, n):
    """Apply the ``n`` recorded count changes of an accepted swap."""
    spec, _, _, counts, inverse, target, res, _, rec_idx, rec_d = term
    n_vec = spec[BLOCK]
    if spec[NORMALIZED]:
        for i in range(n):
            counts[rec_idx[i]] += rec_d[i]
        last = -1
        for i in range(n):  # recorded in increasing order: a block's entries are adjacent
            start = rec_idx[i] - rec_idx[i] % n_vec
            if start != last:
                last = start
                w = _inverse_sum(counts, start, n_vec, np.int64(0))  # typed: one compilation
                for k in range(start, start + n_vec):
                    inverse[k] = w
                    res[k] = counts[k] * w - target[k]
        return
    for i in range(n):
        k = rec_idx[i]
        counts[k] += rec_d[i]
        res[k] = counts[k] * inverse[k] - target[k]
        if spec[SYMMETRIC]:
            a = (k // n_vec) % n_vec
            b = k % n_vec
            if a != b:
                mirror = k + (b - a) * (n_vec - 1)
                counts[mirror] += rec_d[i]
                res[mirror] = counts[mirror] * inverse[mirror] - target[mirror]


@_jit
def swap_change(lab, dims, geo, site, term, p, q, scratch):
    """Residual-sum change of one term, whose site kernel is ``site``, for the swap of ``p``
    and ``q`` (see :func:`settle`)."""
    a = np.int64(lab[p])
    b = np.int64(lab[q])
    site(lab, dims, geo, term, p, a, b, np.int64(-1), a, scratch)
    site(lab, dims, geo, term, q, b, a, p, b, scratch)
    return settle(term)


@_jit
def scratch_arrays(terms):
    """Work arrays of the site kernels, sized for every term: two rows of window offsets,
    three tables of a square window and two arrays of a block."""
    reach = 1
    block = 1
    for term in terms:
        reach = max(reach, term[0][REACH])
        block = max(block, term[0][BLOCK])
    width = 2 * reach + 1
    return (np.empty(width, dtype=np.int64), np.empty(width, dtype=np.int64),
            np.empty(width * width, dtype=np.int64), np.empty(width * width, dtype=np.int64),
            np.empty(width * width, dtype=np.int64), np.empty(block, dtype=np.int64),
            np.empty(block, dtype=np.int64))


@_jit
def swap_changes(lab, dims, geo, sites, terms, first, second, apply, out):
    """Residual-sum change of every term (``out[t, k]``) for each swap ``first[k], second[k]``;
    with ``apply`` the (single) swap is applied to the counts. ``sites[t]`` is the site kernel
    of ``terms[t]`` (call through :func:`call_with_sites`)."""
    scratch = scratch_arrays(terms)
    for k in range(first.size):
        for t in range(len(terms)):
            change, n = swap_change(lab, dims, geo, sites[t], terms[t], first[k], second[k],
                                    scratch)
            out[t, k] = change
            if apply:
                commit(terms[t], n)
