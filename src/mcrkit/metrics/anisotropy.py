r"""Anisotropy of a 2D structure: its statistics along x against those along y.

:func:`detect_anisotropy` measures, per phase, the statistics of a 2D image
along each of its axes (x: array axis 0, the image rows; y: axis 1):

- S2 along the axis, r = 0..``limit_to``, scaled as
  :math:`(S_2(r) - \phi^2) / (\phi - \phi^2)`,
- the lineal path along the axis, :math:`L(r) / \phi`, r = 0..``limit_to``,
- the cumulative chord length distribution along the axis, l = 1..2 ``limit_to``,

and compares them along x and along y. An isotropic structure differs along
its two axes by sampling noise only; the size of that noise is estimated as
the report's natural spread (:mod:`mcrkit.metrics.report`): the x - y
difference is computed on the half-size periodic sub-windows of the image,
and the variance of the windows' differences, corrected for their overlap and
scaled from a window's area to the image's, is the variance of the image's
own difference. A statistic whose x - y difference (RMS over its components)
exceeds :data:`~mcrkit.metrics.verdict.TOLERANCE` spreads makes the image
anisotropic. The elongation factor is the ratio of the correlation lengths
(:func:`mcrkit.morphology.correlation_lengths`, lag where the scaled
autocovariance falls to 1/e) along the two axes, of the phases together
(each weighted by :math:`\phi (1 - \phi)`).

Windows only see what fits in half the image: lags are cut to a quarter of the
image, an elongation on scales longer than that is not measured, and a small
image (few correlation lengths across) detects only a strong anisotropy.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mcrkit.io.inputs import as_microstructure
from mcrkit.metrics.report import _windows
from mcrkit.metrics.validation import disk_mask, slice_statistics
from mcrkit.metrics.verdict import TOLERANCE
from mcrkit.microstructure import AXIS_NAMES
from mcrkit.morphology import correlation_lengths

__all__ = ["AXIS_STATISTICS", "Anisotropy", "axis_statistics", "detect_anisotropy"]

AXIS_STATISTICS = ("s2", "lineal_path", "chord_length")
"""Statistics compared along x and y (module docstring)."""


def axis_statistics(labels: np.ndarray, phase: int, limit_to: int) -> dict[str, np.ndarray]:
    """Statistics of ``phase`` along each axis of a 2D image (module docstring).

    Parameters
    ----------
    labels : (X, Y) ndarray
        Discrete 2D structure (periodic).
    phase : int
        Phase described.
    limit_to : int
        Largest lag.

    Returns
    -------
    dict
        For each key of :data:`AXIS_STATISTICS` a ``(2, n)`` array: row 0 along
        x, row 1 along y (NaN for an absent or space-filling phase).

    Examples
    --------
    >>> stripes = np.zeros((8, 8), dtype=int); stripes[:, ::2] = 1  # lines along x
    >>> axis_statistics(stripes, 1, 2)["lineal_path"]
    array([[1., 1., 1.],
           [1., 0., 0.]])
    """
    stats = slice_statistics(labels, None, phase, limit_to)
    phi = stats["volume_fraction"]
    window = np.full((2 * limit_to + 1,) * 2, np.nan)
    window[disk_mask(limit_to)] = stats["s2"]
    lines = np.stack([window[limit_to:, limit_to], window[limit_to, limit_to:]])
    with np.errstate(divide="ignore", invalid="ignore"):  # an absent phase: NaN
        return {
            "s2": (lines - phi**2) / (phi - phi**2),
            "lineal_path": stats["lineal_path"].reshape(2, -1) / phi,
            "chord_length": stats["chord_length"].reshape(2, -1),
        }


def _differences(labels: np.ndarray, n_phases: int,
                 limit_to: int) -> dict[tuple[str, int], np.ndarray]:
    """``(statistic, phase)`` -> along x minus along y."""
    out = {}
    for phase in range(n_phases):
        stats = axis_statistics(labels, phase, limit_to)
        for key in AXIS_STATISTICS:
            out[key, phase] = stats[key][0] - stats[key][1]
    return out


def _elongation(labels: np.ndarray, n_phases: int) -> float:
    """Correlation length along x over that along y, of the phases together."""
    lengths = np.zeros(2)
    for phase in range(n_phases):
        mask = labels == phase
        phi = mask.mean()
        found = correlation_lengths(mask)
        if 0 < phi < 1 and np.isfinite(found).all():
            lengths += phi * (1 - phi) * found
    return float(lengths[0] / lengths[1]) if lengths.all() else math.nan


def _longer_axis(factor: float, differences: dict[tuple[str, int], np.ndarray]) -> int:
    """The image axis of the longer features: from the correlation lengths, or where they
    are not found (longer than half the image), from the lineal paths (longer along it)."""
    if math.isfinite(factor):
        return 0 if factor >= 1 else 1
    lineal = [np.nansum(d) for (key, _), d in differences.items() if key == "lineal_path"]
    return 0 if np.nansum(lineal) >= 0 else 1


@dataclass(frozen=True)
class Anisotropy:
    """Whether a 2D structure looks alike along its two axes (:func:`detect_anisotropy`).

    Attributes
    ----------
    isotropic : bool
        No statistic differs along x and y by more than its natural spread allows.
    axis : int or None
        Image axis along which the features are longer (0: x, 1: y); None when isotropic.
    factor : float
        Correlation length along ``axis`` over that along the other axis
        (along x over along y when isotropic); NaN where a length is not found.
    rows : list of dict
        Per statistic and phase: ``statistic``, ``phase``, ``deviation`` (RMS of
        the x - y difference), ``spread`` (its natural spread, None if it
        cannot be estimated) and ``ratio`` (deviation over spread).
    """

    isotropic: bool
    axis: int | None
    factor: float
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """``"isotropic"`` or ``"anisotropic (elongated along x by a factor ~2.1)"``."""
        if self.isotropic:
            return "isotropic"
        size = f" by a factor ~{self.factor:.2g}" if math.isfinite(self.factor) else ""
        return f"anisotropic (elongated along {AXIS_NAMES[self.axis or 0]}{size})"

    def worst(self) -> dict[str, Any]:
        """The row whose x - y difference is the most natural spreads."""
        return max(self.rows, key=lambda row: -1.0 if row["ratio"] is None else row["ratio"])


def detect_anisotropy(microstructure: Any, *, limit_to: int = 8) -> Anisotropy:
    """Compare the statistics of a 2D structure along x and y against their natural spread.

    Parameters
    ----------
    microstructure : Microstructure, array or path
        A 2D structure (periodic).
    limit_to : int, optional
        Largest lag of the statistics (module docstring).

    Returns
    -------
    Anisotropy

    Examples
    --------
    >>> from mcrkit.generators import gaussian_random_field
    >>> round_grains = gaussian_random_field((96, 96), 2.0, volume_fraction=0.4, seed=1)
    >>> detect_anisotropy(round_grains).text
    'isotropic'
    >>> long_grains = gaussian_random_field((96, 96), (2.0, 5.0), volume_fraction=0.4, seed=1)
    >>> detect_anisotropy(long_grains).text
    'anisotropic (elongated along y by a factor ~2.4)'
    """
    ms = as_microstructure(microstructure)
    if ms.ndim != 2:
        raise ValueError(f"detect_anisotropy compares the two axes of a 2D image; "
                         f"{ms.source} has shape {ms.shape}")
    labels = ms.labels
    windows, fraction, overlap = _windows(labels)
    limit_to = min(limit_to, min(windows[0].shape) // 2)  # lags the windows hold
    usable = limit_to >= 1
    want = _differences(labels, ms.n_phases, limit_to)
    samples = [_differences(w, ms.n_phases, limit_to) for w in windows] if usable else []
    rows = []
    for (statistic, phase), difference in want.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a phase absent: all NaN
            deviation = float(np.sqrt(np.nanmean(difference**2)))
            spread = None
            if samples:
                stack = np.array([s[statistic, phase] for s in samples])
                sigma = np.nanstd(stack, axis=0, ddof=1) * math.sqrt(fraction / (1 - overlap))
                spread = float(np.sqrt(np.nanmean(sigma**2)))
        if spread is not None and not (math.isfinite(spread) and math.isfinite(deviation)):
            spread = None
        ratio = None if spread is None else (deviation / spread if spread else
                                             (0.0 if deviation == 0 else math.inf))
        rows.append({"statistic": statistic, "phase": phase, "deviation": deviation,
                     "spread": spread, "ratio": ratio})
    isotropic = all(row["ratio"] is None or row["ratio"] <= TOLERANCE for row in rows)
    factor = _elongation(labels, ms.n_phases)
    if isotropic:
        return Anisotropy(True, None, factor, rows)
    axis = _longer_axis(factor, want)
    return Anisotropy(False, axis, factor if axis == 0 else 1 / factor, rows)
