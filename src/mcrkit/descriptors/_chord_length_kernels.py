"""Site kernel of the chord length distribution (``chord_length``) under phase swaps.

Compiled with the shared signature :data:`~mcrkit.descriptors.swap_kernels.SITE`
and used through the descriptor's ``incremental`` hook; the chord counts and
residual sums are kept by :mod:`mcrkit.descriptors.swap_kernels` (a normalized
term: each distribution is divided by its number of chords), the Metropolis
chain runs in :mod:`mcrkit.engine.optimizers.metropolis`.
Imported only when a swap term is built, so that importing the descriptor does
not load numba.
"""

from __future__ import annotations

import numba

from mcrkit.descriptors.swap_kernels import BLOCK, CHANNELS, PERIODIC, SITE, frame, label

__all__ = ["chord_length_site"]

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _run(lab, p, c, n, stride, step, ph, periodic, vpos, vlab):
    """Pixels of phase ``ph`` in a row next to ``p`` (at ``c`` of a line of ``n`` pixels with
    ``stride``) going by ``step``, and whether the row ends at the line's end (not periodic)."""
    length = 0
    pos = c
    while length < n - 1:  # a periodic line ends at p
        pos += step
        if pos < 0 or pos >= n:
            if not periodic:
                return length, True
            pos %= n
        if label(lab, p + (pos - c) * stride, vpos, vlab) != ph:
            return length, False
        length += 1
    return length, not periodic  # not periodic: the row reached the line's far end


@_jit
def _count(dc, row, n_bins, length, sign):
    """Add ``sign`` chords of ``length`` (lengths from ``n_bins`` on share the last bin)."""
    if length > 0:
        dc[row + min(length, n_bins) - 1] += sign


@numba.njit(SITE, cache=True, nogil=True)
def chord_length_site(lab, dims, geo, term, p, old, new, vpos, vlab, scratch):
    spec, channel, dc = term[0], term[2], term[7]
    # Along each in-plane axis, p joins the rows of its new phase on either side into one
    # chord and splits its old chord into the rows on either side. A periodic line that is
    # one phase but for p holds one chord of n - 1 pixels (all but p) or n (all). Without
    # periodic boundaries, chords that reach the line's ends are not counted.
    n_ch, n_bins, periodic = spec[CHANNELS], spec[BLOCK], spec[PERIODIC]
    for g in range(geo.shape[0]):
        _, cu, cv, nu, nv, su, sv = frame(p, dims, geo[g, 0], geo[g, 1])
        for axis in range(2):
            c, n, stride = (cu, nu, su) if axis == 0 else (cv, nv, sv)
            for ph in (old, new):
                ch = channel[ph]
                if ch < 0:
                    continue
                sign = 1 if ph == new else -1
                row = ((g * n_ch + ch) * 2 + axis) * n_bins
                left, left_end = _run(lab, p, c, n, stride, -1, ph, periodic, vpos, vlab)
                if periodic and left == n - 1:
                    _count(dc, row, n_bins, n, sign)
                    _count(dc, row, n_bins, n - 1, -sign)
                    continue
                right, right_end = _run(lab, p, c, n, stride, 1, ph, periodic, vpos, vlab)
                if not (left_end or right_end):
                    _count(dc, row, n_bins, left + 1 + right, sign)
                if not left_end:
                    _count(dc, row, n_bins, left, -sign)
                if not right_end:
                    _count(dc, row, n_bins, right, -sign)
