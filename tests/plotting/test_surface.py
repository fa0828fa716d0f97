"""3D surface rendering through the optional viz extra (pyvista)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from mcrkit.generators import gaussian_random_field
from mcrkit.plotting.view import view


def test_without_pyvista_the_error_names_the_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyvista", None)  # import pyvista raises ImportError
    with pytest.raises(ImportError, match=r'pip install "mcrkit\[viz\]"'):
        view(np.zeros((4, 4, 4), dtype=int) + np.eye(4, dtype=int)[:, :, None], kind="surface",
             save="x.png")


def test_surface_renders_off_screen(tmp_path) -> None:
    pytest.importorskip("pyvista")
    import imageio.v3 as iio

    path = tmp_path / "surface.png"
    plotter = view(gaussian_random_field((16, 16, 16), 2.0, seed=0), kind="surface", save=path)
    assert plotter.legend is not None  # names the phase drawn
    image = iio.imread(path)
    assert image.shape[:2] == (1500, 1800)  # 6 x 5 inches at 300 dpi, recorded in the file
    packed = image[..., :3].astype(np.uint32) @ np.array([1, 256, 65536], dtype=np.uint32)
    assert len(np.unique(packed)) > 8  # not blank
    from PIL import Image

    with Image.open(path) as written:
        assert written.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_surface_needs_a_volume() -> None:
    pytest.importorskip("pyvista")
    with pytest.raises(ValueError, match="needs a 3D volume"):
        view(np.eye(4, dtype=int), kind="surface", save="x.png")
