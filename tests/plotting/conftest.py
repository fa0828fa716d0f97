"""Checks of finished figures: text inside the figure and not on other text, colour keys."""

from __future__ import annotations

from typing import Any

import pytest


def _texts(fig: Any, renderer: Any) -> list[tuple[Any, Any, Any]]:
    """Every visible, non-empty text of ``fig`` with the axes it belongs to (None: the
    figure's own) and its extent on the canvas."""
    from matplotlib.text import Text

    owner = {id(text): ax for ax in fig.axes for text in ax.findobj(Text)}
    undrawn = {id(label) for ax in fig.axes for axis in _axes_of(ax)
               for tick in axis.get_major_ticks() + axis.get_minor_ticks()
               if not _in_view(tick.get_loc(), axis.get_view_interval())
               for label in (tick.label1, tick.label2)}
    found = []
    for text in fig.findobj(Text):
        ax = owner.get(id(text))
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn or (
                ax is not None and not ax.get_visible()):
            continue
        found.append((text, ax, text.get_window_extent(renderer)))
    return found


def _axes_of(ax: Any) -> list[Any]:
    return [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else [])


def _in_view(location: float | None, interval: Any) -> bool:
    """Whether a tick at ``location`` is drawn (ticks outside the view are skipped)."""
    if location is None:
        return False
    low, high = sorted(interval)
    margin = 1e-9 * max(abs(low), abs(high), 1.0)
    return low - margin <= location <= high + margin


def layout_problems(fig: Any) -> list[str]:
    """Texts that reach outside the figure, and pairs of texts of different axes that
    overlap (an axis label under a neighbour's colour bar, a clipped z label), as drawn
    at the resolution of saved figures."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from mcrkit.plotting.figures import DPI

    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    texts = _texts(fig, renderer)
    problems = [f"outside the figure: {text.get_text()!r} at {extent.bounds}"
                for text, _, extent in texts
                if extent.x0 < box.x0 - 1 or extent.y0 < box.y0 - 1
                or extent.x1 > box.x1 + 1 or extent.y1 > box.y1 + 1]
    for i, (first, first_ax, a) in enumerate(texts):
        for second, second_ax, b in texts[i + 1:]:
            if first_ax is not second_ax and (min(a.x1, b.x1) - max(a.x0, b.x0) > 1
                                              and min(a.y1, b.y1) - max(a.y0, b.y0) > 1):
                problems.append(f"overlap: {first.get_text()!r} and {second.get_text()!r}")
    return problems


@pytest.fixture
def check_layout():
    """Assert that a figure's texts lie inside it and do not overlap across axes."""
    def check(fig: Any) -> None:
        problems = layout_problems(fig)
        assert not problems, "\n".join(problems)

    check.problems = layout_problems  # the list itself, to test the check
    return check
