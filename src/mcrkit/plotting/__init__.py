"""Figures (matplotlib, imported only when a figure is drawn).

Modules
-------
view
    :func:`~mcrkit.plotting.view.view`: the figure that fits a microstructure,
    a characterization or a run (``mcrkit.view``).
microstructure
    ``plot_microstructure`` (2D image, or three slices and a cube of a volume),
    ``plot_cube``.
characterization
    ``plot_characterization``: every descriptor, per slicing axis.
convergence
    ``plot_convergence``: loss over iterations with clickable snapshots.
animation
    ``animate_snapshots``: a GIF of a run's snapshots.
reconstruction
    ``plot_reconstruction``: the original beside slices of a result.
report
    ``plot_report``: the validation report figure.
surface
    ``plot_surface``: 3D phase surfaces with pyvista (``viz`` extra).
figures
    What every figure shares: file formats, resolution, saving.
lengths
    Axes in the unit of the voxel size where it is known, scale bars.

Every function takes ``save=path`` to render headless to a file and returns
the figure. The suffix chooses the format: ``.png`` (``.tif``, ``.jpg``) at
300 dpi, or ``.pdf``, ``.svg``, ``.eps`` as vector graphics.
"""
