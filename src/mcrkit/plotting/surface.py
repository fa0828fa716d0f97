"""3D rendering of a volume's phase regions with pyvista (the optional ``viz`` extra).

``pip install "mcrkit[viz]"`` installs pyvista (and VTK). Saving renders
off-screen: VTK's wheels fall back to an off-screen context (EGL or OSMesa)
when there is no display, after a warning about the missing X server.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import Microstructure
from mcrkit.plotting.figures import DPI, VECTOR_FORMATS, figure_format
from mcrkit.plotting.lengths import Lengths
from mcrkit.plotting.microstructure import phase_colors

__all__ = ["plot_surface"]

_VIZ_HINT = "3D surface rendering needs pyvista: pip install \"mcrkit[viz]\""


def plot_surface(microstructure: Microstructure | np.ndarray, *,
                 phases: list[int] | None = None, title: str | None = None,
                 save: str | os.PathLike[str] | None = None) -> Any:
    """Render the boundary surfaces of a volume's phases.

    Parameters
    ----------
    microstructure : Microstructure or (X, Y, Z) array_like
        The volume.
    phases : list of int, optional
        Phases whose regions are drawn (default: all but phase 0, which is
        left transparent so the others are visible).
    title : str, optional
        Text in the upper left corner.
    save : path, optional
        Render off-screen to this file (6 x 5 inches at 300 dpi, or vector
        graphics for ``.pdf``, ``.svg``, ``.eps``); otherwise open an
        interactive pyvista window. Axes are labelled in the unit of the voxel
        size (``um`` for micrometres), else in pixels.

    Returns
    -------
    pyvista.Plotter
        Closed after saving.
    """
    try:
        import pyvista as pv
    except ImportError:
        raise ImportError(_VIZ_HINT) from None
    ms = as_microstructure(microstructure)
    if ms.ndim != 3:
        raise ValueError(f"{ms.source}: surface rendering needs a 3D volume, got shape "
                         f"{ms.shape}; view a 2D structure with kind='microstructure'")
    chosen = None if save is None else figure_format(save)
    lengths = Lengths.of(ms, 3)
    grid = pv.ImageData(dimensions=np.array(ms.shape) + 1,
                        spacing=lengths.spacing or (1.0, 1.0, 1.0))
    grid.cell_data["phase"] = ms.labels.ravel(order="F")  # VTK: x fastest
    colors = phase_colors(ms.n_phases) if ms.n_phases > 2 else [None, (0.35, 0.55, 0.85)]
    plotter = pv.Plotter(off_screen=save is not None,
                         window_size=None if save is None else [DPI * 6, DPI * 5])
    plotter.set_background("white")
    drawn = 0
    for phase in phases if phases is not None else range(1, ms.n_phases):
        region = grid.threshold((phase - 0.5, phase + 0.5), scalars="phase")
        if region.n_cells:
            plotter.add_mesh(region, color=colors[phase], label=f"phase {phase}")
            drawn += 1
    plotter.add_mesh(grid.outline(), color="black")
    if drawn:  # which colour is which phase
        plotter.add_legend(bcolor="white", face="rectangle", size=(0.2, 0.06 * drawn),
                           loc="lower right")
    unit = lengths.unit.replace("µ", "u")  # VTK's fonts have no µ
    plotter.show_bounds(xtitle=f"x ({unit})", ytitle=f"y ({unit})", ztitle=f"z ({unit})",
                        color="black", font_size=12, location="outer")
    plotter.add_axes()
    if title:
        plotter.add_text(title, font_size=10, color="black")
    if save is None:
        plotter.show()
        return plotter
    if chosen in VECTOR_FORMATS:
        plotter.save_graphic(os.fspath(save))
    else:
        from PIL import Image

        Image.fromarray(plotter.screenshot(None, return_img=True)).save(
            save, format={"jpg": "jpeg", "tif": "tiff"}.get(chosen, chosen), dpi=(DPI, DPI))
    plotter.close()
    return plotter
