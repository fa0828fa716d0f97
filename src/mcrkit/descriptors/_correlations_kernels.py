"""Compiled kernels of the Gram matrix of shifted products (``correlations``).

``correlations_site``: the site kernel under phase swaps, compiled with the
shared signature :data:`~mcrkit.descriptors.swap_kernels.SITE` and used through
the descriptor's ``incremental`` hook; counts and residual sums are kept by
:mod:`mcrkit.descriptors.swap_kernels`, the Metropolis chain runs in
:mod:`mcrkit.engine.optimizers.metropolis`.

``scatter_gradient``: the pointwise part of the gradient on a CPU, in compiled
loops over the shifted values and their weighted sums.

Imported only when a swap term is built or a gradient is taken on a CPU, so
that importing the descriptor does not load numba.
"""

from __future__ import annotations

import numba
import numpy as np

from mcrkit.descriptors.swap_kernels import (
    CHANNELS,
    DISTINCT,
    PERIODIC,
    REACH,
    SITE,
    frame,
    label,
    window_rows,
)

__all__ = ["correlations_site", "scatter_gradient"]


@numba.njit(SITE, cache=True, nogil=True)
def correlations_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    spec, flat, channel, dc = term[0], term[1], term[2], term[7]
    ru, rv, tab_idx, tab_lab, ip, plus, minus = scratch
    # G_ab = sum_x I(x) I(x + r_a) I(x + r_b); on binary labels every term is the AND over its
    # distinct positions, so changing I(p) by s changes each term containing p by s times the
    # AND over the term's other positions. The terms containing p start at x = p, p - r_a,
    # p - r_b. All positions lie within +-2(L - 1) of p: their labels are tabulated once, and
    # ip marks the offsets that are p itself or in the phase; plus[a] = ip(r_a), and minus[a]
    # = ip(-r_a) where p - r_a is a start other than p. Changes are kept at a <= b.
    n_ch, n_vec, reach, periodic = spec[CHANNELS], flat.shape[0], spec[REACH], spec[PERIODIC]
    distinct = spec[DISTINCT]
    width = 2 * reach + 1
    center = reach * width + reach
    for g in range(geo.shape[0]):
        base = window_rows(frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
        for i in range(width):
            for j in range(width):
                index = -1 if ru[i] < 0 or rv[j] < 0 else base + ru[i] + rv[j]
                tab_idx[i * width + j] = index
                tab_lab[i * width + j] = label(lab, index, vpos, vlab)
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


@numba.njit(cache=True, nogil=True)
def scatter_gradient(shifted, weighted, offsets, out):
    """Add the gradient of a group of images to ``out``, given ``u = W s``.

    ``shifted`` and ``weighted`` are ``(C, K, G, H, W)``: the window values
    :math:`s_n(\\mathbf x) = I(\\mathbf x + \\mathbf r_n)` (``s_0 = I``) and their sums
    weighted by the symmetrized weights; ``offsets`` ``(K, 2)`` the place of window ``n``
    in the padded image and ``out`` ``(G, C, H + L - 1, W + 2L - 2)`` the gradient of the
    padded images. Adds :math:`I^2 u_n` at the place of every window value and
    :math:`I \\, s^T u` at the image itself (the ``I^2`` factor), with no temporary
    larger than one image group's ``(G, H, W)``.
    """
    channels, n_vectors, group, height, width = shifted.shape
    direct = np.zeros((group, height, width), dtype=shifted.dtype)
    for c in range(channels):
        direct[:] = 0.0
        for n in range(n_vectors):
            for g in range(group):
                for h in range(height):
                    for w in range(width):
                        direct[g, h, w] += shifted[c, n, g, h, w] * weighted[c, n, g, h, w]
        for n in range(n_vectors):
            row, column = offsets[n, 0], offsets[n, 1]
            for g in range(group):
                for h in range(height):
                    for w in range(width):
                        image = shifted[c, 0, g, h, w]
                        out[g, c, row + h, column + w] += image * image * weighted[c, n, g, h, w]
        row, column = offsets[0, 0], offsets[0, 1]
        for g in range(group):
            for h in range(height):
                for w in range(width):
                    out[g, c, row + h, column + w] += shifted[c, 0, g, h, w] * direct[g, h, w]
