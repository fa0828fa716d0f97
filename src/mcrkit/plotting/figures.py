"""What every figure function shares: a headless backend when saving, and saving."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["finish", "new_figure", "pyplot"]


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


def finish(fig: Any, save: str | os.PathLike[str] | None, dpi: int) -> Any:
    """Write ``fig`` to ``save`` (format from the suffix) and close it; return it."""
    if save is not None:
        fig.savefig(save, dpi=dpi)
        if fig.canvas.manager is not None:  # a pyplot figure
            pyplot(save).close(fig)
    return fig
