"""Site kernel of the two-point correlation (``two_point``) under phase swaps.

Compiled with the shared signature :data:`~mcrkit.descriptors.swap_kernels.SITE`
and used through the descriptor's ``incremental`` hook; counts and residual
sums are kept by :mod:`mcrkit.descriptors.swap_kernels`, the Metropolis chain
runs in :mod:`mcrkit.engine.optimizers.metropolis`.
Imported only when a swap term is built, so that importing the descriptor does
not load numba.
"""

from __future__ import annotations

import numba

from mcrkit.descriptors.swap_kernels import (
    BLOCK,
    CHANNELS,
    PERIODIC,
    REACH,
    SITE,
    frame,
    label_at,
    window_rows,
)

__all__ = ["two_point_site"]


@numba.njit(SITE, cache=True, nogil=True)
def two_point_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    spec, half, channel, dc = term[0], term[1], term[2], term[7]
    ru, rv = scratch[0], scratch[1]
    # S2(r) = S2(-r): the change at r and at -r is sign * (I(p + r) + I(p - r)), so only the
    # offsets of one half window are visited (``half``: du, dv, entry of r, entry of -r).
    n_ch, n_off, reach, periodic = spec[CHANNELS], spec[BLOCK], spec[REACH], spec[PERIODIC]
    for g in range(geo.shape[0]):
        base = window_rows(frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
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
                if label_at(lab, base, ru, rv, reach + du, reach + dv, vpos, vlab) == ph:
                    n += 1
                if label_at(lab, base, ru, rv, reach - du, reach - dv, vpos, vlab) == ph:
                    n += 1
                dc[row + half[h, 2]] += sign * n
                dc[row + half[h, 3]] += sign * n
