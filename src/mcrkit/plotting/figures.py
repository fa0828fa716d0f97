"""What every figure function shares: a headless backend when saving, and saving."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["finish", "pyplot"]


def pyplot(save: str | os.PathLike[str] | None) -> Any:
    """``matplotlib.pyplot``, on the file-only Agg backend when the figure goes to a file."""
    import matplotlib

    if save is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def finish(fig: Any, save: str | os.PathLike[str] | None, dpi: int) -> Any:
    """Write ``fig`` to ``save`` (format from the suffix) and close it; return it."""
    if save is not None:
        fig.savefig(save, dpi=dpi)
        pyplot(save).close(fig)
    return fig
