"""Site kernel of the exact lineal path (``lineal_path``) under phase swaps.

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

__all__ = ["lineal_path_site"]


@numba.njit(SITE, cache=True, nogil=True)
def lineal_path_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    spec, lines, dc = term[0], term[1], term[7]
    ru, rv = scratch[0], scratch[1]
    # lines: (D * (L + 1), 2) pixel offsets of the longest segment of each direction
    n_ph, n_len, reach, periodic = spec[CHANNELS], spec[BLOCK], spec[REACH], spec[PERIODIC]
    n_dir = lines.shape[0] // n_len
    for g in range(geo.shape[0]):
        base = window_rows(frame(p, dims, geo[g, 0], geo[g, 1]), reach, periodic, ru, rv)
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
                            inside = label_at(
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
