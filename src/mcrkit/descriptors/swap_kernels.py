"""Compiled kernels for phase-swap annealing with incremental descriptor updates (numba).

A structure is stored as a flat label array of a 3D grid ``dims = (X, Y, Z)``
(a 2D image is ``(X, Y, 1)``). A *geometry* is one family of 2D slices, given by
its two in-plane axes ``(u, v)``: a 2D image has one, ``(0, 1)``; a volume has
three, the slices normal to x, y and z with in-plane axes ``(1, 2)``,
``(0, 2)`` and ``(0, 1)`` (the order of :meth:`Descriptor._per_axis`). In-plane
offsets ``(du, dv)`` move along ``u`` and ``v``.

Descriptors are kept as integer counts ``n_k`` with fixed normalizations
(value ``n_k / norm_k``; residuals ``r_k = n_k w_k - t_k`` with ``w_k = 1 /
norm_k``), so updates are exact. A swap of the voxels ``p`` (phase ``a``) and
``q`` (phase ``b``) is two site changes applied in turn: ``p`` from ``a`` to
``b`` on the current labels, then ``q`` from ``b`` to ``a`` with ``p`` already
changed (a *virtual* label: the label array itself changes only when a swap is
accepted). Site changes add their count changes to a dense scratch array;
:func:`_settle` turns them into the change of the residual sum
:math:`\\sum_k h(r_k)` with :math:`h(x) = x^2` (``kind`` 0) or :math:`|x|`
(``kind`` 1), clears the scratch and lists the nonzero changes, which
:func:`_commit` applies to an accepted swap.

A term is a tuple of arrays of fixed types (see :func:`term_tuple`), so
:func:`anneal` can run the Metropolis chain over any mix of the built-in
count descriptors in compiled code; ``spec`` holds the descriptor kind
(:data:`TWO_POINT`, :data:`LINEAL_PATH`, :data:`CORRELATIONS`) and its integer
parameters.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["CORRELATIONS", "LINEAL_PATH", "TWO_POINT", "anneal", "propose_swaps",
           "swap_changes", "term_tuple"]

TWO_POINT, LINEAL_PATH, CORRELATIONS = 0, 1, 2
# spec entries: kind, channels, entries per channel block, reach, periodic, distinct,
# pointwise kind, symmetric (K x K blocks stored at a <= b)
_KIND, _CHANNELS, _BLOCK, _REACH, _PERIODIC, _DISTINCT, _H, _SYMMETRIC = range(8)

_jit = numba.njit(cache=True, nogil=True)


def term_tuple(spec: np.ndarray, table: np.ndarray, channel: np.ndarray, counts: np.ndarray,
               inverse: np.ndarray, target: np.ndarray, residual: np.ndarray) -> tuple:
    """The arrays of one term in the layout the kernels take, with its scratch arrays."""
    size = counts.size
    return (np.ascontiguousarray(spec, dtype=np.int64),
            np.ascontiguousarray(table, dtype=np.int64).reshape(len(table), -1),
            np.ascontiguousarray(channel, dtype=np.int64), counts, inverse, target, residual,
            np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64),
            np.zeros(size, dtype=np.int64))


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
def _rows(frame, reach, periodic, ru, rv):
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
def _label(lab, index, vpos, vlab):
    """Label at ``index`` with the virtual change ``vpos -> vlab`` (-1 outside)."""
    if index < 0:
        return -1
    if index == vpos:
        return vlab
    return lab[index]


@_jit
def _label_at(lab, base, ru, rv, i, j, vpos, vlab):
    """Label at the tabulated offset ``(i, j)`` (indices into ``ru``, ``rv``)."""
    if ru[i] < 0 or rv[j] < 0:
        return -1
    return _label(lab, base + ru[i] + rv[j], vpos, vlab)


# ---- site changes -----------------------------------------------------------------------
@_jit
def _two_point_site(lab, dims, geo, spec, half, channel, p, old, new, vpos, vlab, ru, rv, dc):
    # S2(r) = S2(-r): the change at r and at -r is sign * (I(p + r) + I(p - r)), so only the
    # offsets of one half window are visited (``half``: du, dv, entry of r, entry of -r).
    n_ch, n_off, reach, periodic = spec[_CHANNELS], spec[_BLOCK], spec[_REACH], spec[_PERIODIC]
    for g in range(geo.shape[0]):
        base = _rows(_frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
        for ph in (old, new):
            ch = channel[ph]
            if ch < 0:
                continue
            sign = 1 if ph == new else -1
            row = (g * n_ch + ch) * n_off
            dc[row + n_off // 2] += sign  # r = 0
            for h in range(half.shape[0]):
                du, dv = half[h, 0], half[h, 1]
                n = 0
                if _label_at(lab, base, ru, rv, reach + du, reach + dv, vpos, vlab) == ph:
                    n += 1
                if _label_at(lab, base, ru, rv, reach - du, reach - dv, vpos, vlab) == ph:
                    n += 1
                dc[row + half[h, 2]] += sign * n
                dc[row + half[h, 3]] += sign * n


@_jit
def _lineal_path_site(lab, dims, geo, spec, lines, p, old, new, vpos, vlab, ru, rv, dc):
    # lines: (D * (L + 1), 2) pixel offsets of the longest segment of each direction
    n_ph, n_len, reach, periodic = spec[_CHANNELS], spec[_BLOCK], spec[_REACH], spec[_PERIODIC]
    n_dir = lines.shape[0] // n_len
    for g in range(geo.shape[0]):
        base = _rows(_frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
        for ph in (old, new):
            for d in range(n_dir):
                row = ((g * n_ph + ph) * n_dir + d) * n_len
                line = d * n_len
                for start in range(n_len):  # p is pixel `start` of the segment
                    run_old = True
                    run_new = True
                    for k in range(n_len):
                        if k == start:
                            run_old = run_old and old == ph
                            run_new = run_new and new == ph
                        else:
                            inside = _label_at(
                                lab, base, ru, rv,
                                reach + lines[line + k, 0] - lines[line + start, 0],
                                reach + lines[line + k, 1] - lines[line + start, 1],
                                vpos, vlab) == ph
                            run_old = run_old and inside
                            run_new = run_new and inside
                        if not (run_old or run_new):
                            break
                        if k >= start and run_old != run_new:
                            dc[row + k] += 1 if run_new else -1


@_jit
def _correlations_site(lab, dims, geo, spec, flat, channel, p, old, new, vpos, vlab, ru, rv,
                       tab_idx, tab_lab, ip, plus, minus, dc):
    # G_ab = sum_x I(x) I(x + r_a) I(x + r_b); on binary labels every term is the AND over its
    # distinct positions, so changing I(p) by s changes each term containing p by s times the
    # AND over the term's other positions. The terms containing p start at x = p, p - r_a,
    # p - r_b. All positions lie within +-2(L - 1) of p: their labels are tabulated once, and
    # ip marks the offsets that are p itself or in the phase; plus[a] = ip(r_a), and minus[a]
    # = ip(-r_a) where p - r_a is a start other than p. Changes are kept at a <= b.
    n_ch, n_vec, reach, periodic = spec[_CHANNELS], flat.shape[0], spec[_REACH], spec[_PERIODIC]
    distinct = spec[_DISTINCT]
    width = 2 * reach + 1
    center = reach * width + reach
    for g in range(geo.shape[0]):
        base = _rows(_frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
        for i in range(width):
            for j in range(width):
                index = -1 if ru[i] < 0 or rv[j] < 0 else base + ru[i] + rv[j]
                tab_idx[i * width + j] = index
                tab_lab[i * width + j] = _label(lab, index, vpos, vlab)
        for ph in (old, new):
            ch = channel[ph]
            if ch < 0:
                continue
            for t in range(width * width):
                ip[t] = 1 if tab_idx[t] == p or tab_lab[t] == ph else 0
            sign = 1 if ph == new else -1
            row = (g * n_ch + ch) * n_vec
            for a in range(n_vec):
                plus[a] = ip[center + flat[a, 0]]
                minus[a] = ip[center - flat[a, 0]] if tab_idx[center - flat[a, 0]] != p else 0
            for a in range(n_vec):
                fa = flat[a, 0]
                entry = (row + a) * n_vec
                dc[entry + a] += sign * (plus[a] + minus[a])  # b = a: ip is 1 at p itself
                if distinct:  # no two offsets of the table share a voxel: no exclusions
                    for b in range(a + 1, n_vec):
                        fb = flat[b, 0]
                        dc[entry + b] += sign * (plus[a] * plus[b]
                                                 + minus[a] * ip[center + fb - fa]
                                                 + minus[b] * ip[center + fa - fb])
                    continue
                for b in range(a + 1, n_vec):
                    fb = flat[b, 0]
                    total = plus[a] * plus[b] + minus[a] * ip[center + fb - fa]
                    # x = p - r_b is a start of its own unless it is p or p - r_a
                    if tab_idx[center - fb] != p and tab_idx[center - fb] != tab_idx[center - fa]:
                        total += ip[center - fb] * ip[center + fa - fb]
                    dc[entry + b] += sign * total


# ---- residual sums ------------------------------------------------------------------------
@_jit
def _change(res, dd, kind):
    if kind == 0:
        return dd * (2.0 * res + dd)
    return abs(res + dd) - abs(res)


@_jit
def _settle(term):
    """Residual-sum change of the scratch count changes; lists them and clears the scratch.

    Returns ``(change, n)``: the first ``n`` entries of the term's record arrays hold the
    changed entries and their count changes.
    """
    spec, _, _, _, inverse, _, res, dc, rec_idx, rec_d = term
    kind = spec[_H]
    change = 0.0
    n = 0
    if not spec[_SYMMETRIC]:
        for k in range(dc.size):
            d = dc[k]
            if d != 0:
                dc[k] = 0
                rec_idx[n] = k
                rec_d[n] = d
                n += 1
                change += _change(res[k], d * inverse[k], kind)
        return change, n
    n_vec = spec[_BLOCK]
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
                    change += _change(res[k], d * inverse[k], kind)
                    if b != a:
                        mirror = (block * n_vec + b) * n_vec + a
                        change += _change(res[mirror], d * inverse[mirror], kind)
    return change, n


@_jit
def _commit(term, n):
    """Apply the ``n`` recorded count changes of an accepted swap."""
    spec, _, _, counts, inverse, target, res, _, rec_idx, rec_d = term
    n_vec = spec[_BLOCK]
    for i in range(n):
        k = rec_idx[i]
        counts[k] += rec_d[i]
        res[k] = counts[k] * inverse[k] - target[k]
        if spec[_SYMMETRIC]:
            a = (k // n_vec) % n_vec
            b = k % n_vec
            if a != b:
                mirror = k + (b - a) * (n_vec - 1)
                counts[mirror] += rec_d[i]
                res[mirror] = counts[mirror] * inverse[mirror] - target[mirror]


@_jit
def _site(lab, dims, geo, term, site, old, new, vpos, vlab, scratch):
    """Add the count changes of one site change to the term's scratch."""
    spec, table, channel, dc = term[0], term[1], term[2], term[7]
    ru, rv, tab_idx, tab_lab, ip, plus, minus = scratch
    kind = spec[_KIND]
    if kind == TWO_POINT:
        _two_point_site(lab, dims, geo, spec, table, channel, site, old, new, vpos, vlab,
                        ru, rv, dc)
    elif kind == LINEAL_PATH:
        _lineal_path_site(lab, dims, geo, spec, table, site, old, new, vpos, vlab, ru, rv, dc)
    else:
        _correlations_site(lab, dims, geo, spec, table, channel, site, old, new, vpos, vlab,
                           ru, rv, tab_idx, tab_lab, ip, plus, minus, dc)


@_jit
def _swap_change(lab, dims, geo, term, p, q, scratch):
    """Residual-sum change of one term for the swap of ``p`` and ``q`` (see :func:`_settle`)."""
    a = np.int64(lab[p])
    b = np.int64(lab[q])
    _site(lab, dims, geo, term, p, a, b, np.int64(-1), a, scratch)
    _site(lab, dims, geo, term, q, b, a, p, b, scratch)
    return _settle(term)


@_jit
def _scratch(terms):
    """Work arrays of the site functions, sized for every term."""
    reach = 1
    block = 1
    for term in terms:
        reach = max(reach, term[0][_REACH])
        block = max(block, term[0][_BLOCK])
    width = 2 * reach + 1
    return (np.empty(width, dtype=np.int64), np.empty(width, dtype=np.int64),
            np.empty(width * width, dtype=np.int64), np.empty(width * width, dtype=np.int64),
            np.empty(width * width, dtype=np.int64), np.empty(block, dtype=np.int64),
            np.empty(block, dtype=np.int64))


@_jit
def swap_changes(lab, dims, geo, terms, first, second, commit, out):
    """Residual-sum change of every term (``out[t, k]``) for each swap ``first[k], second[k]``;
    with ``commit`` the (single) swap is applied to the counts."""
    scratch = _scratch(terms)
    for k in range(first.size):
        for t, term in enumerate(terms):
            change, n = _swap_change(lab, dims, geo, term, first[k], second[k], scratch)
            out[t, k] = change
            if commit:
                _commit(term, n)


@_jit
def _energy(totals, weights, sizes, mean, root):
    value = 0.0
    for t in range(totals.size):
        part = totals[t] / sizes[t] if mean else totals[t]
        value += weights[t] * (math.sqrt(max(part, 0.0)) if root else part)
    return value


@_jit
def anneal(lab, dims, geo, terms, weights, sizes, mean, root, fixed, totals, members, where,
           starts, phase_sizes, interface, periodic, tries, uniforms, n_moves, t_start,
           t_ratio, done, budget, counts_out):
    """Run ``n_moves`` Metropolis moves in place; returns the energy after them.

    The temperature of move ``m`` is ``t_start * t_ratio ** ((done + m) / budget)``;
    ``totals`` (the terms' residual sums) and the structure are updated for every accepted
    move; ``counts_out`` receives the accepted moves and the last temperature. The energy is
    ``fixed`` plus the weighted loss of the terms (``mean``: divide sums by the entry counts
    ``sizes``; ``root``: take the square root). ``uniforms`` holds ``n_moves * (2 tries + 3)``
    random numbers in [0, 1).
    """
    scratch = _scratch(terms)
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
        for t, term in enumerate(terms):
            change, n = _swap_change(lab, dims, geo, term, p, q, scratch)
            trial[t] = totals[t] + change
            found[t] = n
        new = fixed + _energy(trial, weights, sizes, mean, root)
        delta = new - value
        if delta <= 0.0 or uniforms[m * per + per - 1] < math.exp(-delta / temperature):
            for t, term in enumerate(terms):
                _commit(term, found[t])
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
