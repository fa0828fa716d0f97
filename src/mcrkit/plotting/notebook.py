"""Small pictures and tables of results for Jupyter (``_repr_html_``) and the web GUI.

:func:`label_png` draws a 2D label image as PNG bytes in the phase colours of
every figure (x to the right, y up), enlarged by whole pixels so phase
boundaries stay crisp; :func:`html_summary` lays out a title, tables of
``(name, value)`` rows and an optional inline PNG. Neither needs matplotlib's
figure machinery, so a notebook shows a result at once.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import numpy as np

__all__ = ["html_summary", "label_png"]


def label_png(image: np.ndarray, n_phases: int, min_pixels: int = 240) -> bytes:
    """PNG bytes of a 2D label image ``(X, Y)``, x to the right and y up, in phase colours,
    enlarged by a whole factor to at least ``min_pixels`` on its longer side.

    Examples
    --------
    >>> label_png(np.eye(4, dtype=np.uint8), 2)[:4]
    b'\\x89PNG'
    """
    import imageio.v3 as iio

    from mcrkit.plotting.microstructure import phase_colors

    colors = np.round(phase_colors(max(n_phases, 2)) * 255).astype(np.uint8)
    rgb = colors[np.asarray(image).T[::-1]]
    scale = max(1, -(-min_pixels // max(rgb.shape[:2])))
    rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return iio.imwrite("<bytes>", rgb, extension=".png")


def html_summary(title: str, *tables: Sequence[Sequence[object]],
                 png: bytes | None = None, caption: str = "") -> str:
    """An HTML block: ``title``, each table (rows of cells, the first cell of a row its
    name; a row whose name is empty is a header row) and ``png`` beside them.

    Examples
    --------
    >>> page = html_summary("Run", [("", "value"), ("loss", "1e-3")])
    >>> page.count("<tr>"), page.count("<th"), page.count("<td")
    (2, 3, 1)
    """
    parts = [f"<div><b>{html.escape(title)}</b>",
             '<div style="display:flex;gap:1em;align-items:flex-start"><div>']
    for rows in tables:
        parts.append("<table>")
        for row in rows:
            head, *cells = (html.escape(str(cell)) for cell in row)
            tag = "th" if not head else "td"
            parts.append(f'<tr><th style="text-align:left">{head}</th>'
                         + "".join(f'<{tag} style="text-align:left">{c}</{tag}>' for c in cells)
                         + "</tr>")
        parts.append("</table>")
    parts.append("</div>")
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure style="margin:0"><img src="data:image/png;base64,{data}" '
                     f'alt="{html.escape(caption)}"/><figcaption><small>'
                     f"{html.escape(caption)}</small></figcaption></figure>")
    parts.append("</div></div>")
    return "".join(parts)
