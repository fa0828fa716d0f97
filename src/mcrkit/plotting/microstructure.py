"""Pictures of microstructures: 2D images, orthogonal slices and a cube of a volume.

Phases get fixed colours (black/white for two phases, a qualitative palette
for more) and a legend naming each phase and its value in the source. Images
are drawn with x (array axis 0) to the right and y upwards, the same in every
mcrkit figure.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mcrkit.microstructure import AXIS_NAMES, Microstructure, from_array
from mcrkit.plotting.figures import finish, pyplot

__all__ = ["draw_cube", "phase_colors", "plot_cube", "plot_microstructure", "show_labels"]

_TWO_PHASES = ((0.08, 0.08, 0.08), (0.92, 0.92, 0.92))


def phase_colors(n_phases: int) -> np.ndarray:
    """RGB colour of each phase, shape ``(n_phases, 3)``: black/white, else ``tab10``/``tab20``."""
    if n_phases <= 2:
        return np.array(_TWO_PHASES[:n_phases])
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n_phases <= 10 else "tab20"]
    return np.array([cmap(p)[:3] for p in range(n_phases)])


def mid_slices(volume: np.ndarray) -> list[np.ndarray]:
    """The mid-slices of a volume normal to x, y and z (in-plane axes in mcrkit's order)."""
    return [np.take(volume, volume.shape[axis] // 2, axis=axis) for axis in range(3)]


def _as_microstructure(obj: Any) -> Microstructure:
    return obj if isinstance(obj, Microstructure) else from_array(obj)


def show_labels(ax: Any, image: np.ndarray, n_phases: int,
                spacing: tuple[float, float] | None = None) -> Any:
    """Draw a 2D label image on ``ax`` (x to the right, y up); return the ``AxesImage``.

    ``spacing`` (the voxel size along the image's two axes) keeps the physical
    aspect of anisotropic voxels; default: square pixels.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(phase_colors(max(n_phases, 2)))
    norm = BoundaryNorm(np.arange(-0.5, max(n_phases, 2)), cmap.N)
    aspect = 1.0 if spacing is None else spacing[1] / spacing[0]
    shown = ax.imshow(np.asarray(image).T, origin="lower", cmap=cmap, norm=norm,
                      interpolation="nearest", aspect=aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown


def _short_source(source: str, width: int = 40) -> str:
    """``source`` shortened to its last path parts so that a title fits its figure.

    >>> _short_source("/home/me/data/scans/2024/sample_a/pymks_ms_64x64_1.npy")
    '.../sample_a/pymks_ms_64x64_1.npy'
    """
    if len(source) <= width:
        return source
    parts = source.replace("\\", "/").split("/")
    short = parts[-1]
    for part in reversed(parts[:-1]):
        if len(short) + len(part) + 5 > width:
            break
        short = f"{part}/{short}"
    return f".../{short}"


def _legend(fig: Any, ms: Microstructure) -> None:
    from matplotlib.patches import Patch

    colors = phase_colors(ms.n_phases)
    fractions = ms.volume_fractions()
    handles = [Patch(facecolor=colors[p], edgecolor="0.5",
                     label=f"phase {p} (value {ms.label_values[p]}): {fractions[p]:.1%}")
               for p in range(ms.n_phases)]
    fig.legend(handles=handles, loc="lower center", ncol=min(ms.n_phases, 4), fontsize=8,
               frameon=False)


def plot_microstructure(microstructure: Microstructure | np.ndarray, *,
                        original: Microstructure | np.ndarray | None = None,
                        title: str | None = None,
                        save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a microstructure with a phase legend.

    A 2D structure is shown as one image. A volume is shown by its three
    orthogonal mid-slices (normal to x, y and z) beside a cube of its three
    visible faces; in an interactive window a slider under each slice (or the
    scroll wheel over it) moves through the slices.

    Parameters
    ----------
    microstructure : Microstructure or (X, Y[, Z]) array_like
        Labels to draw.
    original : Microstructure or array_like, optional
        The structure a volume was reconstructed from, drawn first (a volume
        by its mid-slice normal to z).
    title : str, optional
        Figure title (default: the source and shape).
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.

    Returns
    -------
    matplotlib.figure.Figure
        Interactive sliders are kept alive as ``fig.mcrkit_widgets``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stripes.png")
    >>> fig = plot_microstructure(np.tile([0, 0, 1], (6, 2)), save=path)
    >>> os.path.getsize(path) > 0
    True
    """
    plt = pyplot(save)
    ms = _as_microstructure(microstructure)
    voxel = "" if ms.voxel_size is None else (
        f", voxel size {' x '.join(f'{v:g}' for v in ms.voxel_size)}"
        f"{'' if ms.unit is None else ' ' + ms.unit}")
    title = title or f"{_short_source(ms.source)}: shape {ms.shape}{voxel}"
    if ms.ndim == 2:
        fig, ax = plt.subplots(figsize=(4.6, 5.0))
        show_labels(ax, ms.labels, ms.n_phases, _in_plane_spacing(ms, None))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        fig.suptitle(title, fontsize=10)
        fig.subplots_adjust(bottom=0.16, top=0.9)
        _legend(fig, ms)
        return finish(fig, save, dpi=110)
    panels = 4 if original is None else 5
    width = 1.0 / panels
    fig = plt.figure(figsize=(3.4 * panels, 4.4))
    first = 0 if original is None else 1
    if original is not None:
        reference = _as_microstructure(original)
        ax = fig.add_axes((0.01, 0.22, width - 0.025, 0.66))
        shown = reference.labels if reference.ndim == 2 else reference.labels[
            :, :, reference.shape[2] // 2]
        show_labels(ax, shown, ms.n_phases)
        ax.set_title(f"original {reference.shape}", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    slice_axes = [fig.add_axes(((first + i) * width + 0.01, 0.22, width - 0.025, 0.66))
                  for i in range(3)]
    images = []
    for axis, ax in enumerate(slice_axes):
        position = ms.shape[axis] // 2
        images.append(show_labels(ax, np.take(ms.labels, position, axis=axis), ms.n_phases,
                                  _in_plane_spacing(ms, axis)))
        _label_slice(ax, axis, position)
    cube_ax = fig.add_axes(((first + 3) * width - 0.005, 0.16, width + 0.005, 0.76),
                           projection="3d")
    draw_cube(cube_ax, ms.labels, ms.n_phases, ms.voxel_size)
    fig.suptitle(title, fontsize=10)
    _legend(fig, ms)
    if save is None:
        fig.mcrkit_widgets = _slice_sliders(fig, ms, slice_axes, images)
    return finish(fig, save, dpi=110)


def _in_plane_spacing(ms: Microstructure, axis: int | None) -> tuple[float, float] | None:
    """Voxel size along the two in-plane axes of the slices normal to ``axis`` (2D: None)."""
    if ms.voxel_size is None:
        return None
    sizes = np.broadcast_to(np.asarray(ms.voxel_size, dtype=float), (ms.ndim,))
    first, second = (sizes[a] for a in range(ms.ndim) if a != axis)
    return float(first), float(second)


def _label_slice(ax: Any, axis: int, position: int) -> None:
    first, second = (AXIS_NAMES[a] for a in range(3) if a != axis)
    ax.set_title(f"slice {AXIS_NAMES[axis]} = {position}", fontsize=9)
    ax.set_xlabel(first)
    ax.set_ylabel(second)


def _slice_sliders(fig: Any, ms: Microstructure, slice_axes: list[Any],
                   images: list[Any]) -> list[Any]:
    """Sliders (and scroll-wheel steps) moving each slice through the volume."""
    from matplotlib.widgets import Slider

    sliders = []
    for axis, (ax, image) in enumerate(zip(slice_axes, images, strict=True)):
        box = ax.get_position()
        slider_ax = fig.add_axes((box.x0, 0.1, box.width, 0.03))
        slider = Slider(slider_ax, AXIS_NAMES[axis], 0, ms.shape[axis] - 1,
                        valinit=ms.shape[axis] // 2, valstep=1)

        def update(value: float, axis: int = axis, ax: Any = ax, image: Any = image) -> None:
            image.set_data(np.take(ms.labels, int(value), axis=axis).T)
            ax.set_title(f"slice {AXIS_NAMES[axis]} = {int(value)}", fontsize=9)
            fig.canvas.draw_idle()

        slider.on_changed(update)
        sliders.append(slider)

    def scroll(event: Any) -> None:
        for ax, slider in zip(slice_axes, sliders, strict=True):
            if event.inaxes is ax:
                step = 1 if event.button == "up" else -1
                slider.set_val(int(np.clip(slider.val + step, slider.valmin, slider.valmax)))

    fig.canvas.mpl_connect("scroll_event", scroll)
    return sliders


def draw_cube(ax: Any, labels: np.ndarray, n_phases: int,
              voxel_size: tuple[float, ...] | None = None) -> None:
    """Draw the three visible faces (x = X-1, y = Y-1, z = Z-1) of a volume on a 3D axes
    (in voxels, its box in the proportions of the voxel size when given)."""
    colors = phase_colors(max(n_phases, 2))
    nx, ny, nz = labels.shape
    # One quadrilateral per voxel face: grid corners 0..n along the two in-plane axes.
    gx, gy, gz = np.arange(nx + 1), np.arange(ny + 1), np.arange(nz + 1)
    faces = [
        (np.meshgrid(gx, gy, indexing="ij"), nz, labels[:, :, -1], "z"),
        (np.meshgrid(gx, gz, indexing="ij"), ny, labels[:, -1, :], "y"),
        (np.meshgrid(gy, gz, indexing="ij"), nx, labels[-1, :, :], "x"),
    ]
    for (a, b), level, face, normal in faces:
        c = np.full(a.shape, float(level))
        xyz = {"z": (a, b, c), "y": (a, c, b), "x": (c, a, b)}[normal]
        ax.plot_surface(*xyz, facecolors=colors[face], rstride=1, cstride=1, shade=False,
                        linewidth=0, antialiased=False)
    sizes = np.broadcast_to(np.asarray(voxel_size or 1.0, dtype=float), (3,))
    ax.set_box_aspect((nx * sizes[0], ny * sizes[1], nz * sizes[2]))
    ax.view_init(elev=25, azim=-135 + 180)
    ax.set_xlabel("x", labelpad=-8)
    ax.set_ylabel("y", labelpad=-8)
    ax.set_zlabel("z", labelpad=-8)
    ax.tick_params(labelsize=6, pad=-2)


def plot_cube(microstructure: Microstructure | np.ndarray, *, title: str | None = None,
              save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a volume as a cube showing its three visible faces.

    Parameters
    ----------
    microstructure : Microstructure or (X, Y, Z) array_like
        The volume.
    title : str, optional
        Figure title.
    save : path, optional
        Write the figure to this file (format from the suffix) and close it.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = pyplot(save)
    ms = _as_microstructure(microstructure)
    if ms.ndim != 3:
        raise ValueError(f"{ms.source}: a cube needs a 3D volume, got shape {ms.shape}")
    fig = plt.figure(figsize=(4.6, 4.6))
    ax = fig.add_subplot(projection="3d")
    draw_cube(ax, ms.labels, ms.n_phases, ms.voxel_size)
    if title:
        ax.set_title(title, fontsize=10)
    return finish(fig, save, dpi=110)
