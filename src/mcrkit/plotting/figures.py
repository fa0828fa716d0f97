"""What every figure function shares: a headless backend when saving, the file formats, saving.

Figures go to a file in the format of its suffix: raster images (``.png``,
``.tif``, ``.jpg``) at :data:`DPI` dots per inch, recorded in the file, or
vector graphics (``.pdf``, ``.svg``, ``.eps``) with their text kept as text
(TrueType fonts in PDF and EPS).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["DPI", "RASTER_FORMATS", "VECTOR_FORMATS", "figure_format", "finish", "new_figure",
           "pyplot"]

DPI = 300
"""Resolution of raster figures (dots per inch), the usual minimum of journals."""

RASTER_FORMATS = ("png", "tif", "tiff", "jpg", "jpeg")
"""Suffixes written as raster images at :data:`DPI`."""

VECTOR_FORMATS = ("pdf", "svg", "eps")
"""Suffixes written as vector graphics."""


def figure_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The file format of a figure written to ``path``: ``format`` if given, else its suffix.

    Raises
    ------
    ValueError
        For a format that figures are not written in, naming those they are.

    Examples
    --------
    >>> figure_format("fig.PDF"), figure_format("fig.png.tmp", "png")
    ('pdf', 'png')
    >>> figure_format("fig.bmp")
    Traceback (most recent call last):
    ...
    ValueError: fig.bmp: figures are written as .png, .tif, .tiff, .jpg, .jpeg (300 dpi) or \
.pdf, .svg, .eps (vector graphics); choose one of these suffixes
    """
    chosen = (format or Path(path).suffix.lstrip(".")).lower()
    if chosen not in RASTER_FORMATS + VECTOR_FORMATS:
        raise ValueError(
            f"{os.fspath(path)}: figures are written as "
            f"{', '.join('.' + f for f in RASTER_FORMATS)} ({DPI} dpi) or "
            f"{', '.join('.' + f for f in VECTOR_FORMATS)} (vector graphics); "
            "choose one of these suffixes")
    return chosen


def pyplot(save: str | os.PathLike[str] | None) -> Any:
    """``matplotlib.pyplot``, on the file-only Agg backend when the figure goes to a file."""
    import matplotlib

    if save is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def new_figure(save: str | os.PathLike[str] | None, **options: Any) -> Any:
    """A figure (``matplotlib.figure.Figure`` keywords): one without pyplot when it goes to a
    file, which spares the import of pyplot and its backends; else a pyplot figure.

    Examples
    --------
    >>> fig = new_figure("picture.png", figsize=(2, 1))
    >>> fig.canvas.manager is None  # nothing to close
    True
    """
    if save is not None:
        from matplotlib.figure import Figure

        return Figure(**options)
    return pyplot(None).figure(**options)


def finish(fig: Any, save: str | os.PathLike[str] | None, *, format: str | None = None,
           dpi: float | None = None) -> Any:
    """Write ``fig`` to ``save`` (format from the suffix, or ``format``; a raster image at
    ``dpi``, default :data:`DPI`) and close it; return it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "blank.pdf"
    >>> _ = finish(new_figure(path, figsize=(1, 1)), path)
    >>> path.read_bytes()[:5]
    b'%PDF-'
    """
    if save is not None:
        import matplotlib

        chosen = figure_format(save, format)
        # fast PNG compression: the files of flat-coloured figures grow by about a tenth
        extra = {"pil_kwargs": {"compress_level": 1}} if chosen == "png" else {}
        with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42}):
            fig.savefig(save, dpi=dpi or DPI, format=chosen, **extra)
        if fig.canvas.manager is not None:  # a pyplot figure
            pyplot(save).close(fig)
    return fig
