"""Brute-force references for the descriptor tests.

Every function here is a literal transcription of a definition: plain Python loops over
pixels ``x`` and vectors ``r`` (no FFT, no ``np.roll``, no matrix products, no shifted-array
tricks), so they share no code path with the implementations under test. They are slow and
meant for arrays of a few hundred pixels.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "chords_by_walk",
    "lineal_path_runs",
    "lineal_path_walk",
    "s2",
    "s3",
    "unlike_pair_fraction",
]

Index = tuple[int, ...]


def _table(a: np.ndarray) -> dict[Index, float]:
    """Pixel values keyed by index tuple (fast scalar lookups in pure Python)."""
    return {idx: float(v) for idx, v in np.ndenumerate(np.asarray(a, dtype=np.float64))}


def _cells(shape: Sequence[int]) -> Iterable[Index]:
    return itertools.product(*(range(n) for n in shape))


def _move(x: Index, r: Sequence[int], shape: Sequence[int], periodic: bool) -> Index | None:
    """``x + r`` wrapped around (periodic) or None when it leaves the image."""
    y = tuple(xi + int(ri) for xi, ri in zip(x, r, strict=True))
    if periodic:
        return tuple(yi % n for yi, n in zip(y, shape, strict=True))
    if all(0 <= yi < n for yi, n in zip(y, shape, strict=True)):
        return y
    return None


def s2(a: np.ndarray, b: np.ndarray | None = None, *, limit_to: int,
       periodic: bool = True) -> np.ndarray:
    """``S2(r) = mean_x a(x) b(x + r)`` for every ``|r_i| <= limit_to``, any dimension.

    Without periodic boundaries the mean runs over the ``x`` with ``x + r`` inside the image.
    ``result[limit_to + r]`` holds ``S2(r)``.
    """
    shape = np.shape(a)
    first = _table(a)
    second = first if b is None else _table(b)
    out = np.zeros((2 * limit_to + 1,) * len(shape))
    for r in itertools.product(range(-limit_to, limit_to + 1), repeat=len(shape)):
        total, count = 0.0, 0
        for x in _cells(shape):
            y = _move(x, r, shape, periodic)
            if y is None:
                continue
            total += first[x] * second[y]
            count += 1
        out[tuple(ri + limit_to for ri in r)] = total / count
    return out


def s3(a: np.ndarray, vectors: Sequence[Sequence[int]], *, periodic: bool = True) -> np.ndarray:
    """``G[i, j] = mean_x a(x) a(x + r_i) a(x + r_j)`` (binary ``a``).

    Without periodic boundaries the mean runs over the ``x`` whose three points all lie
    inside the image.
    """
    shape = np.shape(a)
    table = _table(a)
    out = np.zeros((len(vectors), len(vectors)))
    for i, ra in enumerate(vectors):
        for j, rb in enumerate(vectors):
            total, count = 0.0, 0
            for x in _cells(shape):
                ya = _move(x, ra, shape, periodic)
                yb = _move(x, rb, shape, periodic)
                if ya is None or yb is None:
                    continue
                total += table[x] * table[ya] * table[yb]
                count += 1
            out[i, j] = total / count
    return out


def lineal_path_walk(image: np.ndarray, offsets: np.ndarray, *,
                     periodic: bool = True) -> np.ndarray:
    """``L(r)`` by walking from every start pixel over ``offsets[:r + 1]``.

    Without periodic boundaries only the start pixels whose whole segment lies inside the
    image are counted (in the numerator and the denominator).
    """
    shape = np.shape(image)
    table = _table(np.asarray(image).astype(bool))
    out = []
    for r in range(len(offsets)):
        hits, starts = 0, 0
        for x in _cells(shape):
            points = [_move(x, offsets[k], shape, periodic) for k in range(r + 1)]
            if any(p is None for p in points):
                continue
            starts += 1
            hits += all(table[p] for p in points)
        out.append(hits / starts)
    return np.array(out)


def _runs(line: list[bool]) -> list[int]:
    return [len(list(group)) for value, group in itertools.groupby(line) if value]


def lineal_path_runs(image: np.ndarray, axis: int, limit_to: int, *,
                     periodic: bool = True) -> np.ndarray:
    """``L(r)`` along an array axis from run lengths.

    A run of ``n`` phase pixels holds ``max(n - r, 0)`` segments of ``r + 1`` pixels. With
    periodic boundaries runs that cross the edge are joined, and a line wholly in the phase
    holds one segment per start pixel for every ``r``.
    """
    a = np.moveaxis(np.asarray(image).astype(bool), axis, -1)
    n = a.shape[-1]
    lines = a.reshape(-1, n).tolist()
    counts = np.zeros(limit_to + 1)
    for line in lines:
        if periodic and all(line):
            counts += n
            continue
        if periodic and any(line):
            first_gap = line.index(False)
            line = line[first_gap:] + line[:first_gap]
        for run in _runs(line):
            counts += [max(run - r, 0) for r in range(limit_to + 1)]
    if periodic:
        return counts / (len(lines) * n)
    return counts / np.array([len(lines) * (n - r) for r in range(limit_to + 1)])


def chords_by_walk(line: Sequence[int], *, periodic: bool = True) -> list[int]:
    """Chord lengths of one 1D line by stepping along it pixel by pixel."""
    values = [bool(v) for v in line]
    n = len(values)
    if all(values):
        return [n] if periodic else []
    chords = []
    for start in range(n):
        previous = values[start - 1] if (periodic or start > 0) else False
        if not values[start] or previous:
            continue
        length = 0
        while length < n and values[(start + length) % n]:
            if not periodic and start + length >= n:
                break
            length += 1
        touches_edge = start == 0 or start + length >= n
        if periodic or not touches_edge:
            chords.append(length)
    return sorted(chords)


def unlike_pair_fraction(image: np.ndarray, *, periodic: bool = True) -> float:
    """Fraction of face-neighbour pixel pairs whose two values differ (binary image)."""
    shape = np.shape(image)
    table = _table(image)
    pairs, unlike = 0, 0
    for x in _cells(shape):
        for axis in range(len(shape)):
            step = [0] * len(shape)
            step[axis] = 1
            y = _move(x, step, shape, periodic)
            if y is None:
                continue
            pairs += 1
            unlike += table[x] != table[y]
    return unlike / pairs
