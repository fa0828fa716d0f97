"""Parts of the page: a form built from :mod:`~mcrkit.gui.forms`, the structure viewer,
tables, and the panel of one job (live progress, cancel, resume, its result and downloads)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from nicegui import ui

from mcrkit.gui.actions import export_formats, export_result
from mcrkit.gui.forms import SESSION_KINDS, Field
from mcrkit.gui.jobs import Job, JobQueue, Outcome, Table
from mcrkit.gui.pictures import SLICE_AXES, slice_images

__all__ = ["JobPanel", "StructureViewer", "build_form", "format_seconds", "job_line",
           "show_table"]


def format_seconds(seconds: float | None) -> str:
    """``1 h 02 min``, ``3 min 05 s``, ``12.3 s`` or ``-`` for unknown.

    Examples
    --------
    >>> format_seconds(3725), format_seconds(185), format_seconds(12.34), format_seconds(None)
    ('1 h 02 min', '3 min 05 s', '12.3 s', '-')
    """
    if seconds is None or not math.isfinite(seconds):
        return "-"
    if seconds >= 3600:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"
    if seconds >= 60:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{seconds:.1f} s"


def build_form(action: str, fields: list[Field]) -> dict[str, Any]:
    """Input elements for ``fields``; returns name -> element (its ``.value`` is the entry)."""
    from mcrkit.registry import descriptors

    elements: dict[str, Any] = {}
    for f in fields:
        testid = f"{action}-{f.name}"
        if f.kind == "bool":
            element = ui.checkbox(f.label, value=bool(f.default))
        elif f.kind == "choice":
            element = ui.select(list(f.choices), label=f.label, value=f.default)
        elif f.kind == "descriptors":
            element = ui.select(descriptors.names(), label=f.label, multiple=True,
                                value=list(f.default or [])).props("use-chips")
        elif f.kind in SESSION_KINDS:  # options set by the page
            element = ui.select({}, label=f.label, multiple=f.kind == "characterizations",
                                clearable=True)
            if f.kind == "characterizations":
                element.props("use-chips")
        elif f.kind in ("int", "float"):
            element = ui.number(f.label, value=f.default,
                                format="%d" if f.kind == "int" else None)
        else:
            element = ui.input(f.label, value="" if f.default is None else str(f.default))
        element.props(f'data-testid="{testid}"').tooltip(f.help).classes("w-full")
        elements[f.name] = element
    return elements


class StructureViewer:
    """A 2D image, or three orthogonal slices of a volume with a slider each."""

    def __init__(self, name: str = "result") -> None:
        self.labels: np.ndarray | None = None
        self.n_phases: int | None = None
        self.positions = [0.5, 0.5, 0.5]
        with ui.row().classes("w-full gap-4 items-start") as self.row:
            ui.label(name).classes("text-sm font-medium w-16")
            self.cells = []
            for axis in range(3):
                with ui.column().classes("items-center gap-1") as cell:
                    title = ui.label("").classes("text-xs text-gray-600")
                    image = ui.image("").classes("w-56 h-56").props(
                        f'fit=contain no-transition no-spinner '
                        f'data-testid="{name}-slice-{axis}"')
                    slider = ui.slider(min=0, max=1, step=0.01, value=0.5,
                                       on_change=lambda e, a=axis: self._move(a, e.value))
                    slider.props(f'label-always=false '
                                 f'data-testid="{name}-slider-{SLICE_AXES[axis]}"')
                self.cells.append((cell, title, image, slider))
        self.row.set_visibility(False)

    def _move(self, axis: int, fraction: float) -> None:
        self.positions[axis] = float(fraction)
        self._draw()

    def show(self, labels: np.ndarray | None, n_phases: int | None = None) -> None:
        """Draw ``labels`` in the colours of ``n_phases`` phases (None hides the viewer)."""
        self.labels, self.n_phases = labels, n_phases
        self.row.set_visibility(labels is not None)
        if labels is not None:
            self._draw()

    def _draw(self) -> None:
        assert self.labels is not None
        pictures = slice_images(self.labels, self.positions, self.n_phases)
        for k, (cell, title, image, slider) in enumerate(self.cells):
            cell.set_visibility(k < len(pictures))
            slider.set_visibility(self.labels.ndim == 3)
            if k < len(pictures):
                title.set_text(pictures[k][0])
                image.set_source(pictures[k][1])


LONG_TABLE = 12
"""Tables with more rows than this are shown folded (their title says what they hold)."""


def show_table(table: Table, testid: str) -> None:
    """A :class:`~mcrkit.gui.jobs.Table` as a compact table with its title (folded, to be
    unfolded by a click, when it is long)."""
    if len(table.rows) > LONG_TABLE:
        with ui.expansion(f"{table.title} ({len(table.rows)} rows: click to show)").classes(
                "w-full text-sm font-medium").props(f'dense data-testid="{testid}-fold"'):
            _table(table, testid)
    else:
        ui.label(table.title).classes("text-sm font-medium mt-2")
        _table(table, testid)


def _table(table: Table, testid: str) -> None:
    columns = [{"name": str(k), "label": name, "field": str(k),
                "align": "right" if all(_numeric(row[k]) for row in table.rows) else "left"}
               for k, name in enumerate(table.columns)]
    rows = [{str(k): cell for k, cell in enumerate(row)} for row in table.rows]
    ui.table(columns=columns, rows=rows).props(
        f'dense flat bordered hide-bottom :pagination="{{rowsPerPage: 0}}" '
        f'data-testid="{testid}"').classes("max-w-full")


def _numeric(cell: str) -> bool:
    """Whether a table cell is a number (or a percentage, or ``-`` for none).

    Examples
    --------
    >>> [_numeric(c) for c in ("0.25", "-", "98%", "-3.9e-03", "curve", "phase 0")]
    [True, True, True, True, False, False]
    """
    try:
        float(cell.rstrip("%"))
    except ValueError:
        return cell == "-"
    return True


class JobPanel:
    """Status, live progress, result and downloads of the selected job.

    Parameters
    ----------
    jobs : JobQueue
    download : callable
        Sends a file to the browser.
    resume : callable
        Continues a stopped run (its directory).
    """

    def __init__(self, jobs: JobQueue, download: Callable[[Any], None],
                 resume: Callable[[Path], None]) -> None:
        self.jobs = jobs
        self.job: Job | None = None
        self._drawn: tuple[Any, ...] = ()
        self._download = download
        self._resume = resume
        with ui.card().classes("w-full") as self.card:
            with ui.row().classes("items-center w-full"):
                self.title = ui.label("").classes("text-lg font-medium").props(
                    'data-testid="job-title"')
                self.status = ui.badge("").props('data-testid="job-status"')
                ui.space()
                self.resume = ui.button("Resume", icon="play_arrow", color="primary",
                                        on_click=self._resume_run).props('data-testid="resume"')
                self.cancel = ui.button("Cancel", icon="stop", color="negative",
                                        on_click=self._cancel).props('data-testid="cancel"')
            self.verdict = ui.label("").classes("text-base font-medium p-2 rounded").props(
                'data-testid="verdict"')
            self.bar = ui.linear_progress(value=0, show_value=False).props("instant-feedback")
            self.numbers = ui.label("").props('data-testid="progress"').classes("font-mono")
            self.chart = ui.echart({
                "animation": False,
                "grid": {"left": 70, "right": 20, "top": 30, "bottom": 40},
                "title": {"text": "loss", "textStyle": {"fontSize": 13}},
                "xAxis": {"type": "value", "name": "iteration", "nameLocation": "middle",
                          "nameGap": 25, "minInterval": 1},
                "yAxis": {"type": "log", "axisLabel": {":formatter": "v => v.toExponential(0)"}},
                "series": [{"type": "line", "data": [], "showSymbol": False}],
            }).classes("w-full h-56").props('data-testid="loss-chart"')
            self.message = ui.label("").classes("whitespace-pre-wrap text-sm").props(
                'data-testid="job-message"')
            self.snapshot_title = ui.label("").classes("text-sm text-gray-600")
            self.original = StructureViewer("original")
            self.viewer = StructureViewer("result")
            self.tables = ui.column().classes("w-full gap-0")
            self.figures = ui.column().classes("w-full gap-1")
            self.downloads = ui.row().classes("gap-2")
        self.card.set_visibility(False)

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            ui.notify(f"job {self.job.id}: stopping after the current iteration"
                      if self.job.status == "running" else f"job {self.job.id}: cancelled")

    def _resume_run(self) -> None:
        outcome = self.job.outcome if self.job is not None else None
        if outcome is not None and outcome.resume is not None:
            self._resume(outcome.resume)

    def select(self, job: Job | None) -> None:
        """Show ``job`` (None hides the panel)."""
        self.job, self._drawn = job, ()
        self.card.set_visibility(job is not None)
        self.refresh()

    def refresh(self) -> None:
        """Bring the panel up to date with its job (called by a timer)."""
        job = self.job
        if job is None:
            return
        progress, status = job.view()
        key = (job.id, status, progress.iteration, progress.snapshot_iteration)
        if key == self._drawn:
            return
        new_status = key[:2] != self._drawn[:2]
        if new_status:
            self._status(job, status)
        if new_status or key[3:] != self._drawn[3:]:
            self._snapshot(job, progress)
        self._drawn = key
        iterative = job.cancellable and (progress.total > 0 or status == "running")
        for element in (self.bar, self.numbers, self.chart):
            element.set_visibility(iterative)
        if iterative:
            self._progress(progress, status)

    def _status(self, job: Job, status: str) -> None:
        """Title, status, verdict, message, tables, figures and downloads: redrawn when the
        status changes."""
        self.title.set_text(f"{job.id}. {job.title}")
        self.status.set_text(status)
        self.status.props(f"color={_STATUS_COLORS[status]}")
        self.cancel.set_visibility(job.active and (job.cancellable or status == "queued"))
        outcome = job.outcome
        self.resume.set_visibility(not job.active and outcome is not None
                                   and outcome.resume is not None)
        verdict = outcome.verdict if outcome is not None else None
        self.verdict.set_visibility(verdict is not None)
        if verdict is not None:
            good = verdict == "good"
            self.verdict.set_text(f"verdict: {verdict}")
            self.verdict.classes(replace="text-base font-medium p-2 rounded " + (
                "bg-green-100 text-green-900" if good else "bg-amber-100 text-amber-900"))
        text = job.message or ("waiting: " + _queue_text(self.jobs, job) if status == "queued"
                               else "")
        if job.warnings:
            text += "\n" + "\n".join(f"warning: {w}" for w in job.warnings)
        self.message.set_text(text)
        self.message.classes(replace="whitespace-pre-wrap text-sm"
                             + (" text-red-700" if status == "failed" else ""))
        self.tables.clear()
        with self.tables:
            for k, table in enumerate(outcome.tables if outcome else []):
                show_table(table, f"table-{k}")
        self.figures.clear()
        with self.figures:
            for k, path in enumerate(outcome.figures if outcome else []):
                _enlargeable(path, f"figure-{k}")
        self.downloads.clear()
        with self.downloads:
            for path in outcome.files if outcome else []:
                ui.button(path.name, icon="download",
                          on_click=lambda p=path: self._download(p)).props(
                    f'outline dense no-caps data-testid="download-{path.name}"')
            for fmt in export_formats(outcome) if outcome else ():
                ui.button(f"export {fmt}", icon="ios_share",
                          on_click=lambda f=fmt, o=outcome: self._export(o, f)).props(
                    f'outline dense no-caps color=secondary data-testid="export-{fmt}"')

    async def _export(self, outcome: Outcome, fmt: str) -> None:
        """Write the export in a worker thread (the page stays live), then download it."""
        from nicegui import run

        try:
            path = await run.io_bound(export_result, outcome, fmt)
        except (ValueError, OSError) as exc:
            ui.notify(f"export failed: {exc}", type="negative", multi_line=True)
            return
        self._download(path)

    def _snapshot(self, job: Job, progress: Any) -> None:
        """The current snapshot of a running job, or the result of a finished one (beside
        its original)."""
        outcome = job.outcome
        labels = outcome.labels if outcome is not None else progress.snapshot
        if outcome is None and progress.snapshot is not None:
            self.snapshot_title.set_text(
                f"snapshot at iteration {progress.snapshot_iteration} "
                f"(level {progress.level + 1} of {progress.n_levels})")
        else:
            self.snapshot_title.set_text("")
        original = outcome.original if outcome is not None else None
        phases = max((int(a.max()) + 1 for a in (labels, original) if a is not None), default=2)
        self.original.show(original, phases)
        self.viewer.show(labels, phases)
    def _progress(self, progress: Any, status: str) -> None:
        if progress.total == 0:
            self.numbers.set_text("preparing: reading the input, computing the targets"
                                  if status == "running" else "")
            return
        self.bar.set_value(progress.iteration / progress.total)
        loss = progress.losses[-1] if progress.losses else math.nan
        level = (f"  level {progress.level + 1}/{progress.n_levels}"
                 if progress.n_levels > 1 else "")
        temperature = progress.details.get("temperature", math.nan)
        if math.isfinite(temperature):
            level += f"  temperature {temperature:.2e}"
        eta = progress.eta if status == "running" else None
        left = ("finishing (discrete result, report)" if eta == 0 else
                f"left {format_seconds(eta)}")
        self.numbers.set_text(
            f"iteration {progress.iteration}/{progress.total}{level}  loss {loss:.3e}  "
            f"elapsed {format_seconds(progress.elapsed)}  {left}")
        points = [[i, v] for i, v in zip(progress.iterations, progress.losses, strict=True)
                  if v > 0]
        self.chart.options["series"][0]["data"] = points
        self.chart.update()


def _enlargeable(path: Path, testid: str) -> None:
    """A figure as wide as the panel; a click opens it at full size in a dialog."""
    with ui.dialog().props('maximized transition-show="none" transition-hide="none"') as dialog, \
            ui.card().classes("w-full items-center"):
        with ui.row().classes("w-full items-center"):
            ui.label(path.name).classes("text-lg")
            ui.space()
            ui.button("Close", icon="close", on_click=dialog.close).props(
                f'flat data-testid="{testid}-close"')
        ui.image(str(path)).classes("w-full max-w-[1800px]").props(
            f'fit=contain no-spinner no-transition loading=eager data-testid="{testid}-large"')
    ui.label("click the figure to enlarge it").classes("text-xs text-gray-600")
    ui.image(str(path)).classes("w-full cursor-zoom-in").props(
        f'fit=contain no-spinner no-transition loading=eager data-testid="{testid}"').on(
        "click", dialog.open)


_STATUS_COLORS = {"queued": "grey", "running": "primary", "done": "positive",
                  "cancelled": "warning", "failed": "negative"}


def _queue_text(jobs: JobQueue, job: Job) -> str:
    ahead = jobs.ahead_of(job)
    return f"{ahead} job{'s' if ahead != 1 else ''} before this one"


def job_line(job: Job) -> str:
    """One line of the job list: number, title, status and time."""
    progress, status = job.view()
    when = time.strftime("%H:%M:%S", time.localtime(job.submitted))
    detail = (f" {progress.iteration}/{progress.total}"
              if status == "running" and progress.total else "")
    return f"{job.id}. {job.title} ({status}{detail}, {when})"
