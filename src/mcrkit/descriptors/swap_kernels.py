"""Compiled kernels that update descriptor counts when two voxels swap phases (numba).

A structure is stored as a flat label array of a 3D grid ``dims = (X, Y, Z)``
(a 2D image is ``(X, Y, 1)``). A *geometry* is one family of 2D slices, given by
its two in-plane axes ``(u, v)``: a 2D image has one, ``(0, 1)``; a volume has
three, the slices normal to x, y and z with in-plane axes ``(1, 2)``,
``(0, 2)`` and ``(0, 1)`` (the order of :meth:`Descriptor._per_axis`). In-plane
offsets ``(du, dv)`` move along ``u`` and ``v``.

Descriptors are kept as integer counts ``n_k`` with fixed normalizations
``norm_k`` (value ``n_k / norm_k``), so updates are exact. A swap of the voxels
``p`` (phase ``a``) and ``q`` (phase ``b``) is two site changes applied in
turn: ``p`` from ``a`` to ``b`` on the current labels, then ``q`` from ``b`` to
``a`` with ``p`` already changed (a *virtual* label: the label array itself is
changed only when a swap is accepted). Each site change adds its count changes
to a scratch array and lists the touched entries, from which
:func:`_finish` computes the change of the residual sum
:math:`\\sum_k h(n_k / norm_k - t_k)` with :math:`h(x) = x^2` (``kind`` 0) or
:math:`|x|` (``kind`` 1), and commits the changes for an accepted swap.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["correlations_batch", "lineal_path_batch", "propose_swaps", "two_point_batch"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _frame(p, dims, u, v):
    """Slice coordinates of voxel ``p`` for in-plane axes ``u, v``: origin index, position,
    sizes and strides along ``u`` and ``v``."""
    strides = (dims[1] * dims[2], dims[2], 1)
    cu = (p // strides[u]) % dims[u]
    cv = (p // strides[v]) % dims[v]
    return p - cu * strides[u] - cv * strides[v], cu, cv, dims[u], dims[v], strides[u], strides[v]


@_jit
def _at(frame, du, dv, periodic):
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
def _label(lab, index, vpos, vlab):
    """Label at ``index`` with the virtual change ``vpos -> vlab`` (-1 outside)."""
    if index < 0:
        return -1
    if index == vpos:
        return vlab
    return lab[index]


@_jit
def _add(dc, mark, touched, nt, k, d):
    if mark[k] == 0:
        mark[k] = 1
        touched[nt] = k
        nt += 1
    dc[k] += d
    return nt


@_jit
def _h(x, kind):
    return x * x if kind == 0 else abs(x)


@_jit
def _finish(counts, norm, target, res, dc, mark, touched, nt, kind, commit):
    """Residual-sum change of the scratch count changes; commit them if asked; clear."""
    change = 0.0
    for t in range(nt):
        k = touched[t]
        if dc[k] != 0:
            new = (counts[k] + dc[k]) / norm[k] - target[k]
            change += _h(new, kind) - _h(res[k], kind)
            if commit:
                counts[k] += dc[k]
                res[k] = new
        dc[k] = 0
        mark[k] = 0
    return change


# ---- two-point correlation ----------------------------------------------------------------
@_jit
def _two_point_site(lab, dims, geo, offsets, channel, n_ch, periodic, p, old, new, vpos, vlab,
                    dc, mark, touched, nt):
    n_off = offsets.shape[0]
    for g in range(geo.shape[0]):
        frame = _frame(p, dims, geo[g, 0], geo[g, 1])
        for ph in (old, new):
            ch = channel[ph]
            if ch < 0:
                continue
            sign = 1 if ph == new else -1
            row = (g * n_ch + ch) * n_off
            for r in range(n_off):
                du = offsets[r, 0]
                dv = offsets[r, 1]
                if du == 0 and dv == 0:
                    n = 1
                else:
                    n = 0
                    if _label(lab, _at(frame, du, dv, periodic), vpos, vlab) == ph:
                        n += 1
                    if _label(lab, _at(frame, -du, -dv, periodic), vpos, vlab) == ph:
                        n += 1
                if n:
                    nt = _add(dc, mark, touched, nt, row + r, sign * n)
    return nt


@_jit
def two_point_batch(first, second, commit, out, lab, dims, geo, offsets, channel, n_ch,
                    periodic, counts, norm, target, res, dc, mark, touched, kind):
    """Residual-sum change of S2 counts ``(G, C, R)`` for each swap ``first[k] <-> second[k]``.

    ``offsets (R, 2)`` are the window vectors, ``channel[phase]`` the count channel of a
    phase (-1: not described).
    """
    for k in range(first.size):
        p, q = first[k], second[k]
        a, b = lab[p], lab[q]
        nt = _two_point_site(lab, dims, geo, offsets, channel, n_ch, periodic, p, a, b, -1, 0,
                             dc, mark, touched, 0)
        nt = _two_point_site(lab, dims, geo, offsets, channel, n_ch, periodic, q, b, a, p, b,
                             dc, mark, touched, nt)
        out[k] = _finish(counts, norm, target, res, dc, mark, touched, nt, kind, commit)


# ---- lineal path ---------------------------------------------------------------------------
@_jit
def _lineal_path_site(lab, dims, geo, lines, n_ph, periodic, p, old, new, vpos, vlab,
                      dc, mark, touched, nt):
    n_dir, n_len = lines.shape[0], lines.shape[1]
    for g in range(geo.shape[0]):
        frame = _frame(p, dims, geo[g, 0], geo[g, 1])
        for ph in (old, new):
            for d in range(n_dir):
                row = ((g * n_ph + ph) * n_dir + d) * n_len
                for start in range(n_len):  # p is pixel `start` of the segment
                    run_old = True
                    run_new = True
                    for k in range(n_len):
                        if k == start:
                            run_old = run_old and old == ph
                            run_new = run_new and new == ph
                        else:
                            index = _at(frame, lines[d, k, 0] - lines[d, start, 0],
                                        lines[d, k, 1] - lines[d, start, 1], periodic)
                            inside = _label(lab, index, vpos, vlab) == ph
                            run_old = run_old and inside
                            run_new = run_new and inside
                        if not (run_old or run_new):
                            break
                        if k >= start and run_old != run_new:
                            nt = _add(dc, mark, touched, nt, row + k, 1 if run_new else -1)
    return nt


@_jit
def lineal_path_batch(first, second, commit, out, lab, dims, geo, lines, n_ph, periodic,
                      counts, norm, target, res, dc, mark, touched, kind):
    """Residual-sum change of lineal-path counts ``(G, P, D, L+1)`` for each swap.

    ``lines (D, L+1, 2)`` are the pixel offsets of the longest segment of each direction.
    """
    for k in range(first.size):
        p, q = first[k], second[k]
        a, b = lab[p], lab[q]
        nt = _lineal_path_site(lab, dims, geo, lines, n_ph, periodic, p, a, b, -1, 0,
                               dc, mark, touched, 0)
        nt = _lineal_path_site(lab, dims, geo, lines, n_ph, periodic, q, b, a, p, b,
                               dc, mark, touched, nt)
        out[k] = _finish(counts, norm, target, res, dc, mark, touched, nt, kind, commit)


# ---- three-point correlations (Gram of shifted products) ----------------------------------
@_jit
def _correlations_site(lab, dims, geo, vectors, channel, n_ch, periodic, p, old, new, vpos,
                       vlab, tab_idx, tab_lab, dc, mark, touched, nt):
    # G_ab = sum_x I(x) I(x + r_a) I(x + r_b); on binary labels every term is the AND over its
    # distinct positions, so changing I(p) by s changes each term containing p by s times the
    # AND over the term's other positions. The terms containing p start at x = p, p - r_a,
    # p - r_b; all positions lie within +-2(L - 1) of p, tabulated once per slice.
    n_vec = vectors.shape[0]
    reach = tab_idx.shape[0] // 2
    for g in range(geo.shape[0]):
        frame = _frame(p, dims, geo[g, 0], geo[g, 1])
        for du in range(-reach, reach + 1):
            for dv in range(-reach, reach + 1):
                index = _at(frame, du, dv, periodic)
                tab_idx[du + reach, dv + reach] = index
                tab_lab[du + reach, dv + reach] = _label(lab, index, vpos, vlab)
        for ph in (old, new):
            ch = channel[ph]
            if ch < 0:
                continue
            sign = 1 if ph == new else -1
            row = (g * n_ch + ch) * n_vec
            for a in range(n_vec):
                ia, ja = vectors[a, 0], vectors[a, 1]
                # p + r_a and x = p - r_a
                plus_a = 1 if tab_idx[reach + ia, reach + ja] == p else (
                    1 if tab_lab[reach + ia, reach + ja] == ph else 0)
                minus_a_idx = tab_idx[reach - ia, reach - ja]
                minus_a = 1 if tab_lab[reach - ia, reach - ja] == ph else 0
                for b in range(a, n_vec):
                    ib, jb = vectors[b, 0], vectors[b, 1]
                    plus_b = 1 if tab_idx[reach + ib, reach + jb] == p else (
                        1 if tab_lab[reach + ib, reach + jb] == ph else 0)
                    total = plus_a * plus_b  # x = p
                    if minus_a and minus_a_idx != p:  # x = p - r_a: {p - r_a, p, p - r_a + r_b}
                        u, w = reach + ib - ia, reach + jb - ja
                        total += 1 if tab_idx[u, w] == p or tab_lab[u, w] == ph else 0
                    minus_b_idx = tab_idx[reach - ib, reach - jb]
                    if (minus_b_idx != p and minus_b_idx != minus_a_idx
                            and tab_lab[reach - ib, reach - jb] == ph):  # x = p - r_b
                        u, w = reach + ia - ib, reach + ja - jb
                        total += 1 if tab_idx[u, w] == p or tab_lab[u, w] == ph else 0
                    if total:
                        nt = _add(dc, mark, touched, nt, (row + a) * n_vec + b, sign * total)
                        if b != a:
                            nt = _add(dc, mark, touched, nt, (row + b) * n_vec + a, sign * total)
    return nt


@_jit
def correlations_batch(first, second, commit, out, lab, dims, geo, vectors, channel, n_ch,
                       periodic, counts, norm, target, res, dc, mark, touched, kind):
    """Residual-sum change of Gram counts ``(G, C, K, K)`` for each swap.

    ``vectors (K, 2)`` are the window vectors of :func:`correlation_vectors`.
    """
    width = 4 * int(np.abs(vectors).max()) + 1
    tab_idx = np.empty((width, width), dtype=np.int64)
    tab_lab = np.empty((width, width), dtype=np.int64)
    for k in range(first.size):
        p, q = first[k], second[k]
        a, b = lab[p], lab[q]
        nt = _correlations_site(lab, dims, geo, vectors, channel, n_ch, periodic, p, a, b, -1,
                                0, tab_idx, tab_lab, dc, mark, touched, 0)
        nt = _correlations_site(lab, dims, geo, vectors, channel, n_ch, periodic, q, b, a, p,
                                b, tab_idx, tab_lab, dc, mark, touched, nt)
        out[k] = _finish(counts, norm, target, res, dc, mark, touched, nt, kind, commit)


# ---- proposals --------------------------------------------------------------------------
@_jit
def _on_interface(lab, dims, index, periodic):
    """Whether voxel ``index`` has a face neighbour of another phase."""
    here = lab[index]
    for axis in range(3):
        if dims[axis] == 1:
            continue
        frame = _frame(index, dims, axis, (axis + 1) % 3)
        for step in (-1, 1):
            other = _at(frame, step, 0, periodic)
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
        a = _pick_phase(sizes, uniforms[j] * total, -1)
        b = _pick_phase(sizes, uniforms[j + 1] * (total - sizes[a]), a)
        first[k] = _draw(members, starts[a], sizes[a], uniforms, j + 2, lab, dims, interface,
                         periodic, tries)
        second[k] = _draw(members, starts[b], sizes[b], uniforms, j + 2 + tries, lab, dims,
                          interface, periodic, tries)
