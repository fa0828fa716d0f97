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
from mcrkit.plotting.lengths import Lengths, add_scale_bar

__all__ = ["draw_cube", "mid_slices", "phase_colors", "phase_handles", "plot_cube",
           "plot_microstructure", "show_labels", "whole_pixel_ticks"]

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


def show_labels(ax: Any, image: np.ndarray, n_phases: int, lengths: Lengths | None = None,
                axes: tuple[str, str] = ("x", "y"), *, scale_bar: bool = True) -> Any:
    """Draw a 2D label image on ``ax``; return the ``AxesImage``.

    The image's first axis runs to the right, its second upwards, both
    labelled (``axes``) in the unit of ``lengths`` (pixels by default), which
    keeps the physical aspect of anisotropic voxels; where the voxel size is
    known a scale bar is drawn too.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    lengths = lengths or Lengths(None)
    image = np.asarray(image)
    width, height = (n * lengths.along(a) for a, n in enumerate(image.shape))
    cmap = ListedColormap(phase_colors(max(n_phases, 2)))
    norm = BoundaryNorm(np.arange(-0.5, max(n_phases, 2)), cmap.N)
    shown = ax.imshow(image.T, origin="lower", cmap=cmap, norm=norm, interpolation="nearest",
                      extent=(0, width, 0, height))
    ax.set_xlabel(lengths.label(axes[0]), fontsize=8)
    ax.set_ylabel(lengths.label(axes[1]), fontsize=8)
    ax.tick_params(labelsize=7)
    if scale_bar and lengths.known:
        add_scale_bar(ax, width, lengths)
    else:
        whole_pixel_ticks(ax.xaxis, ax.yaxis)
    return shown


def whole_pixel_ticks(*axes: Any) -> None:
    """Ticks at whole pixels on these axes (``ax.xaxis``, ...)."""
    from matplotlib.ticker import MaxNLocator

    for axis in axes:
        axis.set_major_locator(MaxNLocator(6, integer=True))


def phase_handles(n_phases: int, labels: list[str] | None = None) -> list[Any]:
    """Legend entries of the phase colours (default labels: ``phase p``)."""
    from matplotlib.patches import Patch

    colors = phase_colors(max(n_phases, 2))
    labels = labels or [f"phase {p}" for p in range(n_phases)]
    return [Patch(facecolor=colors[p], edgecolor="0.5", label=label)
            for p, label in enumerate(labels)]


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
    fractions = ms.volume_fractions()
    labels = [f"phase {p} (value {ms.label_values[p]}): {fractions[p]:.1%}"
              for p in range(ms.n_phases)]
    fig.legend(handles=phase_handles(ms.n_phases, labels), loc="outside lower center",
               ncol=min(ms.n_phases, 4), fontsize=8, frameon=False)


def plot_microstructure(microstructure: Microstructure | np.ndarray, *,
                        original: Microstructure | np.ndarray | None = None,
                        title: str | None = None,
                        save: str | os.PathLike[str] | None = None) -> Any:
    """Draw a microstructure with a phase legend.

    A 2D structure is shown as one image. A volume is shown by its three
    orthogonal mid-slices (normal to x, y and z) beside a cube of its three
    visible faces; in an interactive window a slider under each slice (or the
    scroll wheel over it) moves through the slices. Axes are in the unit of
    the voxel size, with a scale bar, where it is known, else in pixels.

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
    lengths = Lengths.of(ms, ms.ndim)
    voxel = "" if not lengths.known else (
        f", voxel size {' x '.join(f'{v:g}' for v in lengths.spacing)} {lengths.unit}")
    title = title or f"{_short_source(ms.source)}: shape {ms.shape}{voxel}"
    if ms.ndim == 2:
        fig = plt.figure(figsize=(4.6, 5.0), layout="constrained")
        show_labels(fig.add_subplot(), ms.labels, ms.n_phases, lengths)
        fig.suptitle(title, fontsize=10)
        _legend(fig, ms)
        return finish(fig, save)
    first = 0 if original is None else 1
    panels = first + 4
    sliders = save is None
    fig = plt.figure(figsize=(3.4 * panels, 4.4 + 0.3 * sliders), layout="constrained")
    grid = fig.add_gridspec(1 + sliders, panels, height_ratios=[1, 0.04][:1 + sliders],
                            width_ratios=[1] * (panels - 1) + [1.25])
    if original is not None:
        reference = _as_microstructure(original)
        ax = fig.add_subplot(grid[0, 0])
        shown = reference.labels if reference.ndim == 2 else reference.labels[
            :, :, reference.shape[2] // 2]
        show_labels(ax, shown, ms.n_phases,
                    Lengths.of(reference, reference.ndim).in_plane(2 if reference.ndim == 3
                                                                   else None))
        ax.set_title(f"original {reference.shape}", fontsize=9)
    slice_axes = [fig.add_subplot(grid[0, first + i]) for i in range(3)]
    images = []
    for axis, ax in enumerate(slice_axes):
        position = ms.shape[axis] // 2
        images.append(show_labels(ax, np.take(ms.labels, position, axis=axis), ms.n_phases,
                                  lengths.in_plane(axis), _in_plane_names(axis)))
        ax.set_title(_slice_title(axis, position, lengths), fontsize=9)
    draw_cube(fig.add_subplot(grid[0, first + 3], projection="3d"), ms.labels, ms.n_phases,
              lengths)
    fig.suptitle(title, fontsize=10)
    _legend(fig, ms)
    if sliders:
        fig.mcrkit_widgets = _slice_sliders(fig, ms, lengths, slice_axes, images,
                                            [fig.add_subplot(grid[1, first + i])
                                             for i in range(3)])
    return finish(fig, save)


def _in_plane_names(axis: int) -> tuple[str, str]:
    first, second = (AXIS_NAMES[a] for a in range(3) if a != axis)
    return first, second


def _slice_title(axis: int, position: int, lengths: Lengths) -> str:
    where = (f" ({position * lengths.along(axis):g} {lengths.unit})" if lengths.known
             else "")
    return f"slice {AXIS_NAMES[axis]} = {position}{where}"


def _slice_sliders(fig: Any, ms: Microstructure, lengths: Lengths, slice_axes: list[Any],
                   images: list[Any], slider_axes: list[Any]) -> list[Any]:
    """Sliders (and scroll-wheel steps) moving each slice through the volume."""
    from matplotlib.widgets import Slider

    sliders = []
    for axis, (ax, image, slider_ax) in enumerate(zip(slice_axes, images, slider_axes,
                                                      strict=True)):
        slider = Slider(slider_ax, AXIS_NAMES[axis], 0, ms.shape[axis] - 1,
                        valinit=ms.shape[axis] // 2, valstep=1)

        def update(value: float, axis: int = axis, ax: Any = ax, image: Any = image) -> None:
            image.set_data(np.take(ms.labels, int(value), axis=axis).T)
            ax.set_title(_slice_title(axis, int(value), lengths), fontsize=9)
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


def draw_cube(ax: Any, labels: np.ndarray, n_phases: int, lengths: Lengths | None = None) -> None:
    """Draw the three visible faces (x = X-1, y = Y-1, z = Z-1) of a volume on a 3D axes,
    in the unit of ``lengths`` (default: voxels) and in the proportions of the voxel size."""
    lengths = lengths or Lengths(None)
    colors = phase_colors(max(n_phases, 2))
    nx, ny, nz = labels.shape
    # One quadrilateral per voxel face: grid corners 0..n along the two in-plane axes.
    gx, gy, gz = (np.arange(n + 1) * lengths.along(a) for a, n in enumerate(labels.shape))
    faces = [
        (np.meshgrid(gx, gy, indexing="ij"), gz[-1], labels[:, :, -1], "z"),
        (np.meshgrid(gx, gz, indexing="ij"), gy[-1], labels[:, -1, :], "y"),
        (np.meshgrid(gy, gz, indexing="ij"), gx[-1], labels[-1, :, :], "x"),
    ]
    for (a, b), level, face, normal in faces:
        c = np.full(a.shape, float(level))
        xyz = {"z": (a, b, c), "y": (a, c, b), "x": (c, a, b)}[normal]
        ax.plot_surface(*xyz, facecolors=colors[face], rstride=1, cstride=1, shade=False,
                        linewidth=0, antialiased=False)
    ax.set_box_aspect((gx[-1], gy[-1], gz[-1]), zoom=0.85)
    ax.view_init(elev=25, azim=-135 + 180)
    for name, set_label in zip(AXIS_NAMES, (ax.set_xlabel, ax.set_ylabel, ax.set_zlabel),
                               strict=True):
        set_label(lengths.label(name), fontsize=8, labelpad=-7 if name == "z" else -2)
    ax.zaxis.set_rotate_label(False)  # upright, not drawn along the axis upside down
    ax.zaxis.label.set_rotation(90)
    ax.tick_params(labelsize=6, pad=0)
    if not lengths.known:
        whole_pixel_ticks(ax.xaxis, ax.yaxis, ax.zaxis)


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
    fig = plt.figure(figsize=(4.6, 4.6), layout="constrained")
    draw_cube(fig.add_subplot(projection="3d"), ms.labels, ms.n_phases, Lengths.of(ms, 3))
    if title:
        fig.suptitle(title, fontsize=10)
    _legend(fig, ms)
    return finish(fig, save)
