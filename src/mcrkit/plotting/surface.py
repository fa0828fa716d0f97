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
        Render off-screen to this image file; otherwise open an interactive
        pyvista window.

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
    grid = pv.ImageData(dimensions=np.array(ms.shape) + 1, spacing=ms.voxel_size or (1, 1, 1))
    grid.cell_data["phase"] = ms.labels.ravel(order="F")  # VTK: x fastest
    colors = phase_colors(ms.n_phases) if ms.n_phases > 2 else [None, (0.35, 0.55, 0.85)]
    plotter = pv.Plotter(off_screen=save is not None)
    plotter.set_background("white")
    drawn = 0
    for phase in phases if phases is not None else range(1, ms.n_phases):
        region = grid.threshold((phase - 0.5, phase + 0.5), scalars="phase")
        if region.n_cells:
            plotter.add_mesh(region, color=colors[phase], label=f"phase {phase}")
            drawn += 1
    plotter.add_mesh(grid.outline(), color="black")
    if drawn:  # which colour is which phase
        plotter.add_legend(bcolor="white", face="rectangle", size=(0.12, 0.05 * drawn),
                           loc="lower right")
    plotter.add_axes()
    if title:
        plotter.add_text(title, font_size=10, color="black")
    if save is None:
        plotter.show()
    else:
        plotter.screenshot(os.fspath(save))
        plotter.close()
    return plotter
