"""Site kernel of the normalized total variation (``variation``) under phase swaps.

Compiled with the shared signature :data:`~mcrkit.descriptors.swap_kernels.SITE`
and used through the descriptor's ``incremental`` hook; counts (unlike
neighbour pairs) and residual sums are kept by
:mod:`mcrkit.descriptors.swap_kernels`, the Metropolis chain runs in
:mod:`mcrkit.engine.optimizers.metropolis`.
Imported only when a swap term is built, so that importing the descriptor does
not load numba.
"""

from __future__ import annotations

import numba

from mcrkit.descriptors.swap_kernels import CHANNELS, PERIODIC, SITE, at, frame, label

__all__ = ["variation_site"]


@numba.njit(SITE, cache=True, nogil=True)
def variation_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    spec, channel, dc = term[0], term[2], term[7]
    # The pair of p and an in-plane face neighbour of label L is unlike in the indicator of
    # the old phase after the change iff L is the old phase (before: iff it is not), and in
    # that of the new phase after iff L is not the new phase (before: iff it is).
    n_ch, periodic = spec[CHANNELS], spec[PERIODIC]
    for g in range(geo.shape[0]):
        slice_frame = frame(p, dims, geo[g, 0], geo[g, 1])
        for axis in range(2):
            for step in (-1, 1):
                other = at(slice_frame, step if axis == 0 else 0, step if axis == 1 else 0,
                           periodic)
                if other < 0 or other == p:  # outside, or a line of one pixel
                    continue
                here = label(lab, other, vpos, vlab)
                for ph in (old, new):
                    ch = channel[ph]
                    if ch >= 0:
                        dc[g * n_ch + ch] += 1 if (here == ph) == (ph == old) else -1
