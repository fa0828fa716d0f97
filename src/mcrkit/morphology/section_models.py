r"""Isotropic 3D random-set models fitted to one 2D section.

A section of an isotropic structure has the structure's two-point
probability function :math:`S_2(r)`, its volume fractions and its surface
density (:math:`S_V = \frac{4}{\pi} L_A`, :math:`L_A` the boundary length per
area of the section), but not its 3D topology. A random-set model fitted to
the section brings the topology of its family: the volume it draws is a start
for a reconstruction from one slice whose 3D connectivity is that of the
model, not that of noise. Every fit gives the model the section's surface
density, measured with the same estimator on the section and on the model
(the two-point probability at a lag of one pixel).

==============================  ====================================================
function                        model and fit
==============================  ====================================================
:func:`level_cut_field`         level cut of a Gaussian random field whose Matérn
                                correlation :math:`\rho(r)` has the section's surface
                                density and fits, through the level-cut relation, the
                                section's :math:`S_2` (bicontinuous structures, two
                                phases)
:func:`boolean_balls`           Boolean model of overlapping balls whose radius
                                distribution (uniform in :math:`\bar R (1 \pm p)`)
                                gives the section's area fraction, surface density and
                                Euler characteristic (particles), optionally wrapped in
                                a coat of another phase at its volume fraction
:func:`section_model`           chooses the model for a 2D label image and draws it
==============================  ====================================================

Everything is periodic and seeded; the volumes have the section's phase
counts to the nearest voxel.

References
----------
Torquato, *Random Heterogeneous Materials* (2002), ch. 3 (Boolean model of
overlapping spheres) and 5.2 (level-cut Gaussian fields). Adler & Taylor,
*Random Fields and Geometry* (2007), for the Euler characteristic of their
excursion sets. Miles (1972) and Ohser & Mücklich, *Statistical Analysis of
Microstructures in Materials Science* (2000), for sections of Boolean models.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import fft, optimize, special

__all__ = ["CORRELATION_FLOOR", "SMOOTHNESSES", "SPREADS", "SectionModel", "boolean_balls",
           "fit_balls", "fit_level_cut", "fit_level_cut_axes", "level_cut_correlation",
           "level_cut_field", "level_cut_volume", "matern_correlation", "radial_two_point",
           "section_model"]

Seed = int | np.random.Generator | None


def radial_two_point(mask: np.ndarray, *, max_lag: float | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Periodic two-point probability of a 2D or 3D phase indicator, averaged over the
    lag vectors of each length up to ``max_lag`` (default: half the smallest side).

    Returns
    -------
    lengths, s2 : ndarray
        The distinct lengths of the lag vectors (ascending; exact, so that a
        distance between voxel centres in any dimension can be interpolated
        between its neighbours) and the mean two-point probability at each.

    Examples
    --------
    >>> stripes = np.repeat(np.arange(16) // 4 % 2 == 1, 16).reshape(16, 16)  # 4 px wide
    >>> lengths, s2 = radial_two_point(stripes, max_lag=1.5)  # (1, 0) 0.375, (0, 1) 0.5
    >>> np.round(lengths, 3).tolist(), s2.tolist()
    ([0.0, 1.0, 1.414], [0.5, 0.4375, 0.375])
    """
    mask = np.asarray(mask, dtype=np.float64)
    spectrum = fft.rfftn(mask)
    s2 = fft.irfftn(spectrum * spectrum.conj(), s=mask.shape) / mask.size
    squared = np.rint(_periodic_radius(mask.shape) ** 2).astype(np.int64)
    top = min(mask.shape) // 2 if max_lag is None else float(max_lag)
    keep = squared <= top**2
    sums = np.bincount(squared[keep], weights=s2[keep])
    counts = np.bincount(squared[keep])
    present = np.flatnonzero(counts)
    return np.sqrt(present), sums[present] / counts[present]


def _periodic_radius(shape: tuple[int, ...]) -> np.ndarray:
    """Length of the shortest periodic vector from the origin to every voxel."""
    grids = np.meshgrid(*[np.minimum(np.arange(n), n - np.arange(n)) for n in shape],
                        indexing="ij", sparse=True)
    return np.sqrt(sum(g.astype(np.float64) ** 2 for g in grids))


def level_cut_correlation(s2: np.ndarray, volume_fraction: float) -> np.ndarray:
    r"""Correlation :math:`\rho` of the Gaussian field whose level cut at the
    ``volume_fraction`` has the two-point probability ``s2``.

    For :math:`Y` a standard Gaussian field and the phase :math:`Y > t`,
    :math:`t = \Phi^{-1}(1 - \phi)`, :math:`S_2 = \phi^2 + \frac{1}{2\pi}
    \int_0^{\arcsin\rho} e^{-t^2/(1 + \sin\theta)}\,d\theta`, which increases
    with :math:`\rho`; it is inverted on a fine table, and values of ``s2``
    outside the reachable range give :math:`\rho = \pm 1`.

    Examples
    --------
    >>> rho = np.array([1.0, 0.5, 0.0, -0.3])
    >>> s2 = 0.25 + np.arcsin(rho) / (2 * np.pi)   # phi = 1/2: the arcsine law
    >>> np.round(level_cut_correlation(s2, 0.5), 6).tolist()
    [1.0, 0.5, 0.0, -0.3]
    """
    t = special.ndtri(1.0 - volume_fraction)
    theta = np.linspace(-np.pi / 2, np.pi / 2, 4001)
    integrand = np.exp(-t * t / np.maximum(1.0 + np.sin(theta), 1e-12))  # 1 or 0 at -pi/2
    steps = np.diff(theta) * (integrand[1:] + integrand[:-1]) / 2
    integral = np.concatenate([[0.0], np.cumsum(steps)])
    integral -= integral[len(theta) // 2]  # from arcsin(0)
    table = volume_fraction**2 + integral / (2 * np.pi)
    return np.interp(np.asarray(s2, dtype=np.float64), table, np.sin(theta))


def matern_correlation(distance: np.ndarray, length: float, smoothness: float) -> np.ndarray:
    r"""Matérn correlation :math:`\frac{2^{1-\nu}}{\Gamma(\nu)} x^\nu K_\nu(x)`,
    :math:`x = \sqrt{2\nu}\, r / \ell`; ``smoothness`` :math:`\nu = \infty` is the
    Gaussian :math:`e^{-r^2 / 2\ell^2}`, :math:`\nu = 1/2` the exponential.

    Examples
    --------
    >>> r = np.array([0.0, 1.0, 2.0])
    >>> np.allclose(matern_correlation(r, 2.0, 0.5), np.exp(-r / 2))
    True
    """
    distance = np.asarray(distance, dtype=np.float64)
    if math.isinf(smoothness):
        return np.exp(-distance**2 / (2 * length**2))
    x = np.sqrt(2 * smoothness) * np.maximum(distance, 1e-12) / length
    value = 2 ** (1 - smoothness) / special.gamma(smoothness) * x**smoothness * special.kv(
        smoothness, x)
    return np.where(distance == 0, 1.0, value)


SMOOTHNESSES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, math.inf)
"""Smoothness values of the Matérn correlations :func:`fit_level_cut` tries."""


def fit_level_cut(mask: np.ndarray) -> tuple[float, float]:
    r"""Length and smoothness of the Matérn correlation (:func:`matern_correlation`) of the
    Gaussian field whose level cut has the surface density of the phase indicator ``mask``
    and fits its two-point probability best.

    For each smoothness the length is the one whose correlation at a distance of one
    pixel is the correlation :func:`level_cut_correlation` reads off the section's
    :math:`S_2` at that lag: the model then has the section's interface crossings per
    unit length, so its surface density by the Crofton estimator
    (:func:`mcrkit.morphology.minkowski.surface_density`, :math:`S_V = \frac{4}{\pi}
    L_A` for an isotropic structure) is the section's. The smoothness is the one whose
    correlation then fits best (least squares over the lags where the section's exceeds
    0.05). A smooth field's 3D Euler density follows from the same short-range decay
    (its second spectral moment :math:`\lambda_2 \approx 2 (1 - \rho(1))`;
    Adler & Taylor: :math:`\chi_V \propto \lambda_2^{3/2}`), so fitting the lag of one
    pixel exactly is what fixes it.

    A finite section's correlation is noisy and biased low at long range; the Matérn
    family (positive definite in every dimension) keeps what it determines best, the
    decay at short range.

    Examples
    --------
    >>> from mcrkit.generators import gaussian_random_field
    >>> section = gaussian_random_field((128, 128), 3.0, seed=0)  # kernel of s.d. 3 px
    >>> length, smoothness = fit_level_cut(section == 1)   # correlation exp(-r^2 / 36)
    >>> bool(3.5 < length < 5.5), smoothness >= 3
    (True, True)
    """
    lengths, s2 = radial_two_point(mask)
    rho = level_cut_correlation(s2, float(mask.mean()))
    below = np.flatnonzero(rho <= 0.05)
    end = below[0] if below.size else len(rho)
    lengths, rho = lengths[:max(end, 2)], rho[:max(end, 2)]
    fits = []
    for smoothness in SMOOTHNESSES:
        length = _matern_length(float(rho[1]), smoothness, upper=min(mask.shape) / 2)
        error = float(np.mean((matern_correlation(lengths, length, smoothness) - rho) ** 2))
        fits.append((error, length, smoothness))
    best = min(fits)
    return best[1], best[2]


def _matern_length(correlation: float, smoothness: float, *, upper: float) -> float:
    """The Matérn length (within 0.3 to ``upper``) whose correlation at distance 1 is
    ``correlation``, or the nearer bound."""
    def excess(length: float) -> float:
        return float(matern_correlation(np.array(1.0), length, smoothness)) - correlation

    if excess(0.3) >= 0:
        return 0.3
    if excess(upper) <= 0:
        return upper
    return float(optimize.brentq(excess, 0.3, upper, xtol=1e-6))


def level_cut_field(section: np.ndarray, shape: tuple[int, ...], *, phase: int = 1,
                    rng: Seed = None) -> np.ndarray:
    """A volume of ``shape``: the level cut of an isotropic Gaussian field fitted to the
    2D two-phase ``section``.

    The field's correlation is the Matérn correlation :func:`fit_level_cut` finds for
    ``phase`` in the section, as a function of the 3D distance; the field is drawn by
    spectral synthesis (periodic) and the voxels with the largest values make up
    ``phase`` at its fraction in the section, the others the section's other phase.

    Examples
    --------
    >>> from mcrkit.synthetic import bicontinuous
    >>> section = bicontinuous((64, 64), correlation_length=3, rng=0)
    >>> volume = level_cut_field(section, (32, 32, 32), rng=0)
    >>> volume.shape, volume.dtype, round(float(volume.mean()), 2)
    ((32, 32, 32), dtype('uint8'), 0.5)
    """
    section = np.asarray(section)
    phases = np.unique(section)
    if len(phases) != 2 or phase not in phases:
        raise ValueError(f"level_cut_field: the section must hold two phases, one of them "
                         f"phase={phase}; it holds {phases.tolist()}")
    mask = section == phase
    length, smoothness = fit_level_cut(mask)
    values = _matern_field(tuple(shape), (length,) * len(shape), smoothness, rng)
    return _level_cut(values, float(mask.mean()), phase, int(phases[phases != phase][0]))


def _matern_field(shape: tuple[int, ...], lengths: tuple[float, ...], smoothness: float,
                  rng: Seed) -> np.ndarray:
    r"""A periodic Gaussian field of ``shape`` by spectral synthesis, whose correlation is the
    Matérn correlation (:func:`matern_correlation`) of the distance in the metric
    :math:`\sqrt{\sum_k (r_k / \ell_k)^2}` (``lengths`` :math:`\ell_k` per axis, length 1)."""
    frequencies = np.meshgrid(*[fft.fftfreq(n) for n in shape[:-1]], fft.rfftfreq(shape[-1]),
                              indexing="ij", sparse=True)
    q2 = sum((2 * np.pi * f * length) ** 2
             for f, length in zip(frequencies, lengths, strict=True))
    power = (np.exp(-q2 / 2) if math.isinf(smoothness)
             else (2 * smoothness + q2) ** (-(smoothness + len(shape) / 2)))
    noise = np.random.default_rng(rng).standard_normal(shape)
    return fft.irfftn(np.sqrt(power) * fft.rfftn(noise), s=shape)


def _level_cut(values: np.ndarray, fraction: float, phase: int, other: int) -> np.ndarray:
    """Labels of the shape of ``values``: ``phase`` on its largest values, at ``fraction`` of
    the voxels, ``other`` elsewhere."""
    flat = values.ravel()
    labels = np.full(flat.size, other, dtype=np.uint8)
    ones = round(fraction * flat.size)
    labels[np.argpartition(flat, flat.size - ones)[flat.size - ones:]] = phase
    return labels.reshape(values.shape)


CORRELATION_FLOOR = 0.05
"""Lags whose level-cut correlation is at most this are left out of the fit of
:func:`fit_level_cut_axes` (noise around zero at long range; :func:`fit_level_cut` stops at
the first such length)."""


def _plane_correlations(planes: Sequence[tuple[tuple[int, int], np.ndarray]], ndim: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Lag vectors ``(n, ndim)`` and level-cut correlations of the lags of ``planes`` above
    :data:`CORRELATION_FLOOR` (one of each pair r, -r; the origin left out), each plane's S2
    turned into a correlation at its own volume fraction (its centre)."""
    lags, rhos = [], []
    for axes, window in planes:
        window = np.asarray(window, dtype=np.float64)
        if window.ndim != 2 or window.shape[0] % 2 == 0 or window.shape[1] % 2 == 0:
            raise ValueError(f"an S2 window must be a 2D array of odd sides centred on lag 0, "
                             f"got shape {window.shape}")
        centre = np.array(window.shape) // 2
        offsets = np.indices(window.shape).reshape(2, -1).T - centre
        vectors = np.zeros((window.size, ndim))
        vectors[:, list(axes)] = offsets
        rho = level_cut_correlation(window.ravel(), float(window[tuple(centre)]))
        # S2(-r) = S2(r): one of each pair
        ahead = (offsets[:, 0] > 0) | ((offsets[:, 0] == 0) & (offsets[:, 1] > 0))
        keep = (rho > CORRELATION_FLOOR) & ahead
        lags.append(vectors[keep])
        rhos.append(rho[keep])
    return np.concatenate(lags), np.concatenate(rhos)


def fit_level_cut_axes(planes: Sequence[tuple[tuple[int, int], np.ndarray]], ndim: int, *,
                       longest: float) -> tuple[tuple[float, ...], float]:
    r"""Per-axis lengths and the smoothness of the anisotropic Matérn correlation of the
    Gaussian field whose level cut has the two-point probabilities of ``planes``.

    The correlation is :func:`matern_correlation` of the distance
    :math:`\sqrt{\sum_k (r_k / \ell_k)^2}` (one smoothness, a length :math:`\ell_k` per
    axis: the level-cut structures elongated along the axes). Each plane's S2 is turned
    into correlations (:func:`level_cut_correlation`, at the plane's own volume fraction,
    its S2 at lag 0) and the model is fitted to all of them by least squares, over the lags
    whose correlation exceeds :data:`CORRELATION_FLOOR`; every smoothness of
    :data:`SMOOTHNESSES` is tried. Lengths are bounded by 0.3 and ``longest`` voxels: an
    axis whose correlation barely decays within the planes' lags gets a length fitted to
    that short-range decay.

    Parameters
    ----------
    planes : sequence of ((int, int), ndarray)
        The volume axes along the rows and the columns of a plane, and the plane's S2
        of the phase on a window of odd sides centred on lag 0 (the layout of
        ``two_point``), e.g. ``[((1, 2), s2_x), ((0, 2), s2_y), ((0, 1), s2_z)]`` for
        slices normal to x, y and z.
    ndim : int
        Number of axes of the structure.
    longest : float
        Largest length considered (voxels).

    Returns
    -------
    lengths : tuple of float
        One per axis.
    smoothness : float

    Examples
    --------
    >>> from mcrkit.generators import gaussian_random_field
    >>> from mcrkit.morphology.correlation import two_point_correlation
    >>> section = gaussian_random_field((128, 128), (4.0, 2.0), seed=0)  # kernel s.d. 4, 2 px
    >>> s2 = two_point_correlation(section == 1, limit_to=8)   # lengths 4 sqrt(2), 2 sqrt(2)
    >>> lengths, smoothness = fit_level_cut_axes([((0, 1), s2)], 2, longest=64)
    >>> [round(length, 1) for length in lengths], smoothness   # 5.7 and 2.8: 8 % short
    ([5.2, 2.6], inf)
    """
    lags, rho = _plane_correlations(planes, ndim)
    missing = [axis for axis in range(ndim) if not lags[:, axis].any()]
    if missing:
        raise ValueError(f"fit_level_cut_axes: the planes hold no correlated lag along axis "
                         f"{missing[0]}; give a plane containing every axis")
    bounds = [(math.log(0.3), math.log(longest))] * ndim
    fits = []
    for smoothness in SMOOTHNESSES:
        def error(logs: np.ndarray, nu: float = smoothness) -> float:
            distance = np.sqrt(((lags / np.exp(logs)) ** 2).sum(axis=1))
            return float(np.mean((matern_correlation(distance, 1.0, nu) - rho) ** 2))
        found = optimize.minimize(error, np.full(ndim, math.log(2.0)), method="Nelder-Mead",
                                  bounds=bounds)
        fits.append((float(found.fun), smoothness, tuple(np.exp(found.x))))
    best = min(fits)
    return tuple(float(length) for length in best[2]), best[1]


def level_cut_volume(shape: tuple[int, ...], lengths: Sequence[float], smoothness: float,
                     fraction: float, *, phases: tuple[int, int] = (0, 1),
                     rng: Seed = None) -> np.ndarray:
    """Labels of ``shape``: the level cut of a periodic Gaussian field with the anisotropic
    Matérn correlation of ``lengths`` (one per axis) and ``smoothness``
    (:func:`fit_level_cut_axes`), drawn by spectral synthesis; ``phases[1]`` takes the
    ``fraction`` of the voxels with the largest values, ``phases[0]`` the rest.

    Examples
    --------
    >>> volume = level_cut_volume((32, 32, 32), (6.0, 2.0, 2.0), 5.0, 0.4, rng=0)
    >>> volume.dtype, round(float(volume.mean()), 3)
    (dtype('uint8'), 0.4)
    >>> from mcrkit.descriptors.chord_length import mean_chord_length
    >>> bool(mean_chord_length(volume == 1, 0) > 2 * mean_chord_length(volume == 1, 1))
    True
    """
    if len(lengths) != len(shape):
        raise ValueError(f"level_cut_volume: one length per axis of {tuple(shape)}, got "
                         f"{list(lengths)}")
    if not 0 < fraction < 1:
        raise ValueError(f"level_cut_volume: fraction must be in (0, 1), got {fraction}")
    values = _matern_field(tuple(shape), tuple(float(v) for v in lengths), smoothness, rng)
    return _level_cut(values, fraction, phases[1], phases[0])


def _lens_volume(radius: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Volume shared by two balls of ``radius`` whose centres are ``distance`` apart."""
    overlap = np.clip(2 * radius - distance, 0.0, None)
    return np.pi * (4 * radius + distance) * overlap**2 / 12


def _boolean_uncovered(lags: np.ndarray, radius: float, spread: float,
                       uncovered: float) -> np.ndarray:
    """S2 of the uncovered phase of a Boolean model of balls with radii uniform in
    ``radius * (1 ± spread)`` whose uncovered fraction is ``uncovered``."""
    radii = radius * (1 + spread * np.linspace(-1, 1, 9))
    mean_volume = np.mean(4 / 3 * np.pi * radii**3)
    intensity = -math.log(uncovered) / mean_volume
    shared = _lens_volume(radii[:, None], lags[None, :]).mean(axis=0)
    return uncovered**2 * np.exp(intensity * shared)


SPREADS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
"""Spreads of the ball radii (uniform in ``R * (1 ± p)``) :func:`fit_balls` tries."""


def fit_balls(mask: np.ndarray) -> tuple[float, float]:
    r"""Mean radius and spread of the Boolean model of balls whose sections have the area
    fraction, the boundary length and the Euler characteristic of the section ``mask``.

    A plane section of a Boolean model of balls is a Boolean model of discs (Miles):
    its area fraction, boundary length per area and Euler characteristic per area
    determine :math:`\lambda E[R^3]`, :math:`\lambda E[R^2]` and :math:`\lambda E[R]`
    of the balls' intensity :math:`\lambda` and radius :math:`R`, three numbers for a
    family of three parameters (intensity, mean radius, spread). Here the intensity
    gives the section's area fraction; for each spread in :data:`SPREADS` the radius
    gives the two-point probability of the uncovered space at a lag of one pixel, so
    that the model's surface density by the Crofton estimator is the section's
    (:math:`S_V = \frac{4}{\pi} L_A`); the spread is the one whose model's own plane
    section (:data:`SECTION_SIDE` pixels square, a fixed seed), measured with the same
    pixel estimator, comes closest to the section's Euler characteristic of both phases
    (on pixels, discs closer than a pixel merge and the smallest caps vanish, so Miles'
    formulas for the continuous sets do not apply to the pixel counts as they are).
    What stays undetermined is the distribution of the radii beyond that family: the
    number of balls per volume, and with it the 3D Euler density, depends on it. Within
    the family the spread is uncertain too: on a 128-pixel slice the sections' Euler
    characteristic changes over all of :data:`SPREADS` by only one to two standard
    deviations of its own scatter from slice to slice (docs/fidelity.md, "One slice over
    the truths' seeds").

    Examples
    --------
    >>> from mcrkit.synthetic import overlapping_balls
    >>> volume = overlapping_balls((128, 128, 12), radius=4, volume_fraction=0.2, rng=0)
    >>> radius, spread = fit_balls(volume[:, :, 6] == 1)  # a section of balls of radius 4
    >>> bool(3.5 < radius < 4.5), spread in SPREADS
    (True, True)
    """
    mask = np.asarray(mask, dtype=bool)
    return _fit_balls(np.packbits(mask).tobytes(), mask.shape)


@functools.lru_cache(maxsize=8)
def _fit_balls(packed: bytes, shape: tuple[int, ...]) -> tuple[float, float]:
    """:func:`fit_balls` of the mask packed into ``packed`` (kept for the few sections a
    model choice fits several times)."""
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), count=math.prod(shape))
    mask = bits.reshape(shape).astype(bool)
    _, s2 = radial_two_point(~mask, max_lag=1)  # lags 0 and 1
    covered = float(mask.mean())
    section = mask.astype(np.uint8)
    fits = []
    for spread in SPREADS:
        radius = _boolean_radius(float(s2[1]), spread, 1.0 - covered,
                                 upper=min(mask.shape) / 4)
        model = _ball_section(radius, spread, covered)
        fits.append((_section_mismatch(section, model[:, :, None]), radius, spread))
    best = min(fits)
    return best[1], best[2]


SECTION_SIDE = 512
"""Side of the model sections on which :func:`fit_balls` measures the Euler characteristic."""


def _ball_section(radius: float, spread: float, covered: float) -> np.ndarray:
    """A plane section (:data:`SECTION_SIDE` pixels square, periodic) of the Boolean model
    of balls that :func:`boolean_balls` draws, from a fixed seed.

    The balls whose centres lie within reach of the plane are drawn (the same uniform
    numbers for every radius and spread, so that sections of neighbouring models differ
    by the model, not by chance), and the plane's pixels ranked by their depth in a ball
    (distance to its centre minus its radius, in 3D) make up the ``covered`` fraction,
    as in the volume.
    """
    side = SECTION_SIDE
    mean_volume = np.mean(4 / 3 * np.pi * (radius * (1 + spread * np.linspace(-1, 1, 9))) ** 3)
    largest = radius * (1 + spread)
    needed = round(covered * side**2)
    reach = 2.0
    while True:  # far enough that every pixel needed is ranked
        slab = largest + reach  # balls with a centre this close to the plane reach into it
        count = round(-math.log(1.0 - covered) / mean_volume * side**2 * 2 * slab)
        uniform = np.random.default_rng(0).random((count, 4))  # the first rows for any count
        heights = (2 * uniform[:, 2] - 1) * slab
        radii = radius * (1 + spread * (2 * uniform[:, 3] - 1))
        reaching = np.abs(heights) < radii + reach
        heights, radii = heights[reaching], radii[reaching]
        centres = (uniform[reaching, :2] * side).astype(np.float32)
        width = math.ceil(slab)
        offsets = np.arange(-width, width + 1, dtype=np.float32)
        rows = np.floor(centres[:, :1, None]) + offsets[None, :, None]
        cols = np.floor(centres[:, 1:, None]) + offsets[None, None, :]
        depth = (np.sqrt((rows - centres[:, :1, None]) ** 2 + (cols - centres[:, 1:, None]) ** 2
                         + (heights[:, None, None] ** 2).astype(np.float32))
                 - radii[:, None, None].astype(np.float32))
        near = depth < reach
        index = np.broadcast_to(rows.astype(np.int64) % side * side
                                + cols.astype(np.int64) % side, near.shape)[near]
        flat = np.full(side * side, reach, dtype=np.float32)
        np.minimum.at(flat, index, depth[near])
        threshold = np.partition(flat, max(needed - 1, 0))[max(needed - 1, 0)]
        if threshold < reach or reach > side:
            return (flat <= threshold).reshape(side, side).astype(np.uint8)
        reach *= 2


def _boolean_radius(s2_one: float, spread: float, uncovered: float, *, upper: float) -> float:
    """The mean radius (within 0.5 to ``upper``) of the Boolean balls of ``spread`` and
    ``uncovered`` fraction whose uncovered space has ``s2_one`` at distance 1, or the
    nearer bound (:math:`S_2(1)` increases with the radius at a fixed fraction)."""
    def excess(radius: float) -> float:
        return float(_boolean_uncovered(np.array([1.0]), radius, spread, uncovered)[0]) - s2_one

    if excess(0.5) >= 0:
        return 0.5
    if excess(upper) <= 0:
        return upper
    return float(optimize.brentq(excess, 0.5, upper, xtol=1e-6))


def _ball_ranking(shape: tuple[int, ...], radius: float, spread: float, covered: float,
                  needed: int, generator: np.random.Generator) -> np.ndarray:
    """Flat voxel indices of a Boolean model of balls (radii uniform in ``radius * (1 ±
    spread)``, intensity for the ``covered`` fraction) drawn from ``generator``, ranked by
    their depth (distance to a ball's centre minus its radius, periodic); the first
    ``needed`` are ranked exactly."""
    n = math.prod(shape)
    mean_volume = np.mean(4 / 3 * np.pi * (radius * (1 + spread * np.linspace(-1, 1, 9))) ** 3)
    count = generator.poisson(-math.log(1.0 - covered) / mean_volume * n)
    centres = generator.random((count, len(shape))) * shape
    radii = radius * generator.uniform(1 - spread, 1 + spread, count)
    reach = radius
    while True:  # far enough that every voxel needed is ranked
        depth = _ball_depth(tuple(shape), centres, radii, reach=reach)
        order = np.argsort(depth.ravel(), kind="stable")
        if depth.ravel()[order[max(needed - 1, 0)]] < reach or reach > max(shape):
            return order
        reach *= 2


def boolean_balls(section: np.ndarray, shape: tuple[int, ...], *, phase: int = 1,
                  coat: int | None = None, rng: Seed = None) -> np.ndarray:
    """A volume of ``shape``: overlapping balls (``phase``) fitted to the 2D ``section``.

    The balls' radii are uniform in ``R * (1 ± p)``; ``R`` and ``p`` give the section's
    boundary length and Euler characteristic (:func:`fit_balls`), the intensity the
    section's fraction of ``phase``. Voxels are ranked by their distance to the nearest
    ball centre relative to its radius, so the balls hold the section's fraction of
    ``phase`` exactly; a ``coat`` phase then takes the voxels nearest to the balls, at
    its fraction in the section (a film around every ball), and the remaining phase,
    the rest (three phases at most).

    Examples
    --------
    >>> from mcrkit.synthetic import overlapping_balls
    >>> section = overlapping_balls((96, 96), radius=4, volume_fraction=0.2, rng=0)
    >>> volume = boolean_balls(section, (32, 32, 32), rng=0)
    >>> volume.shape, round(float(volume.mean()), 2) == round(float(section.mean()), 2)
    ((32, 32, 32), True)
    """
    section = np.asarray(section)
    mask = section == phase
    phases = np.unique(section)
    rest = [int(p) for p in phases if p not in (phase, coat)]
    if len(rest) != 1:
        raise ValueError(f"boolean_balls: a section of balls, an optional coat and one more "
                         f"phase, got phases {phases.tolist()} with phase={phase}, coat={coat}")
    radius, spread = fit_balls(mask)
    n = math.prod(shape)
    needed = round(((section == phase) | (section == coat)).mean() * n)
    order = _ball_ranking(tuple(shape), radius, spread, float(mask.mean()), needed,
                          np.random.default_rng(rng))
    labels = np.full(n, rest[0], dtype=np.uint8)
    balls = round(mask.mean() * n)
    labels[order[:balls]] = phase
    if coat is not None:
        labels[order[balls:balls + round((section == coat).mean() * n)]] = coat
    return labels.reshape(shape)


def _ball_depth(shape: tuple[int, ...], centres: np.ndarray, radii: np.ndarray,
                reach: float) -> np.ndarray:
    """Per voxel, the smallest ``distance - radius`` to a ball (periodic), at most
    ``reach``."""
    depth = np.full(shape, reach, dtype=np.float64)
    for centre, r in zip(centres, radii, strict=True):
        ranges = [np.arange(int(np.floor(c - r - reach)), int(np.ceil(c + r + reach)) + 1)
                  for c in centre]
        grids = np.meshgrid(*ranges, indexing="ij", sparse=True)
        here = np.sqrt(sum((g - c) ** 2 for g, c in zip(grids, centre, strict=True))) - r
        index = np.ix_(*[idx % s for idx, s in zip(ranges, shape, strict=True)])
        depth[index] = np.minimum(depth[index], here)
    return depth


@dataclass(frozen=True)
class SectionModel:
    """The model :func:`section_model` chose for a section, and the volume it drew.

    Attributes
    ----------
    name : str
        ``"boolean_balls"``, ``"level_cut_field"`` or ``""`` (none fits).
    note : str
        What was assumed, in words.
    labels : ndarray or None
        The volume (None when no model fits).
    mismatch : float
        Difference between the Euler densities of the model's sections and the
        section's, summed over the phases, per cluster of the section.
    """

    name: str
    note: str
    labels: np.ndarray | None = field(default=None, repr=False)
    mismatch: float = math.inf


TRIAL_SIDE = 48
"""Side of the trial volumes on whose sections :func:`section_model` compares the models."""


def _section_mismatch(section: np.ndarray, volume: np.ndarray) -> float:
    """Difference of the phases' 2D Euler densities between ``section`` and the slices of
    ``volume`` normal to z, summed over the phases, per cluster of the section (all
    phases' clusters counted)."""
    from mcrkit.morphology.connectivity import cluster_sizes
    from mcrkit.morphology.minkowski import euler_density

    difference = clusters = 0.0
    for phase in np.unique(section):
        difference += abs(euler_density(volume == phase, slice_axis=2)
                          - euler_density(section == phase))
        clusters += cluster_sizes(section == phase).size / section.size
    return difference / clusters


def _most_touching(section: np.ndarray, phase: int) -> int:
    """The other phase holding most of the pixels that touch ``phase`` (8 neighbours)."""
    from mcrkit.morphology._common import neighbours_of

    votes = np.bincount(section[neighbours_of(section == phase)],
                        minlength=int(section.max()) + 1)
    votes[phase] = -1
    return int(np.argmax(votes))


def section_model(section: np.ndarray, shape: tuple[int, ...], *,
                  rng: Seed = None) -> SectionModel:
    """The random-set model of an isotropic structure that fits its 2D ``section`` best,
    drawn at ``shape``.

    The candidates, each fitted to the section's two-point probability: two phases, a
    level-cut Gaussian field (:func:`level_cut_field`) and overlapping balls of either
    phase (:func:`boolean_balls`); three phases, balls of each phase coated by the
    phase that touches it most in the section. The one whose sections (drawn at
    :data:`TRIAL_SIDE` voxels) come closest to the section's Euler characteristic of
    every phase wins: S2 fixes the fractions and the sizes, the sections' Euler
    characteristic tells separate particles from a network of passages. A network
    phase in the section (thin walls around cells: sheets in 3D, which no candidate
    draws) and other phase counts get no model.

    Examples
    --------
    >>> from mcrkit.synthetic import bicontinuous
    >>> model = section_model(bicontinuous((64, 64), rng=0), (16, 16, 16), rng=0)
    >>> model.name, model.labels.shape
    ('level_cut_field', (16, 16, 16))
    """
    from mcrkit.morphology.networks import find_networks

    section = np.asarray(section)
    phases = [int(p) for p in np.unique(section)]
    candidates: list[tuple[str, dict[str, int | None]]] = []
    if len(phases) == 2 and not find_networks(section):
        candidates = [("level_cut_field", {"phase": phases[1]}),
                      *[("boolean_balls", {"phase": p, "coat": None}) for p in phases]]
    elif len(phases) == 3:
        candidates = [("boolean_balls", {"phase": p, "coat": _most_touching(section, p)})
                      for p in phases]
    if not candidates:
        why = "a network" if len(phases) == 2 else f"{len(phases)} phases"
        return SectionModel("", f"3D start: noise (no random-set model for a slice with {why})")
    models = {"level_cut_field": level_cut_field, "boolean_balls": boolean_balls}
    trial = (TRIAL_SIDE,) * 3
    scored = [(_section_mismatch(section, models[name](section, trial, rng=rng, **options)),
               index) for index, (name, options) in enumerate(candidates)]
    mismatch, index = min(scored)
    name, options = candidates[index]
    if name == "level_cut_field":
        length, smoothness = fit_level_cut(section == options["phase"])
        note = (f"3D start: a level-cut Gaussian random field (Matérn correlation, length "
                f"{length:.1f} voxels, smoothness {smoothness:g}) fitted to the slice's "
                "surface density and S2, isotropy assumed")
    else:
        radius, spread = fit_balls(section == options["phase"])
        coat = "" if options["coat"] is None else f", coated by phase {options['coat']}"
        note = (f"3D start: overlapping balls of phase {options['phase']} (radius "
                f"{radius:.1f} voxels ± {spread:.0%}{coat}) fitted to the slice's fraction, "
                "surface density and Euler characteristic, isotropy assumed")
    note += (f"; of the models tried its sections come closest to the slice's Euler "
             f"characteristic (off by {mismatch:.2f} per cluster of the slice); its 3D "
             "connectivity is the model's, which a slice cannot confirm")
    return SectionModel(name, note, models[name](section, tuple(shape), rng=rng, **options),
                        mismatch)
