"""The web page and the server of ``mcrkit gui``.

One page: upload inputs on the left (each previewed: a structure with its
volume fractions, a gray image beside its segmentation), choose an action and
its options, run it; the jobs of the browser session are listed on the right
with the selected job's live progress, verdict, result and downloads, and
below them the results saved in the output folder, which any browser session
can open, compare and resume. Every result that holds a structure or a
characterization becomes an input of the next action. Every asset (Vue,
Quasar, ECharts, fonts) is served by the local server; the page loads nothing
from the internet.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nicegui import app, events, run, ui

from mcrkit._version import __version__
from mcrkit.gui.actions import (
    ACTIONS,
    INPUT_KINDS,
    comparison_job,
    input_name,
    make_job,
    resume_job,
)
from mcrkit.gui.forms import FORMS, SESSION_KINDS, FormError, to_arguments
from mcrkit.gui.jobs import Job, JobQueue, Outcome
from mcrkit.gui.pictures import Preview, preview
from mcrkit.gui.results import describe, list_results, structure_of
from mcrkit.gui.uploads import (
    MAX_UPLOAD_BYTES,
    SessionFiles,
    Upload,
    UploadError,
    UploadSizeLimit,
    inspect_file,
)
from mcrkit.gui.widgets import JobPanel, build_form, job_line

__all__ = ["LOCAL_HOSTS", "check_port", "serve"]

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Hosts that only this computer can reach."""

REFRESH_SECONDS = 0.5
"""How often the page polls the jobs."""

_CSS = """
.q-tab { padding: 0 6px; min-width: 0 }
.q-tabs__content { flex-wrap: wrap }
.q-tabs__content .q-tab { flex: 0 0 auto }
.q-uploader__subtitle { display: none }
.q-uploader__list { min-height: 0; padding: 0 }
"""
"""Tabs wrap onto a second line; the uploader shows no size or percentage while idle (the
message under it says what became of a file)."""


@dataclass
class Session:
    """What one browser session owns: its uploads and its jobs."""

    files: SessionFiles
    jobs: list[Job] = field(default_factory=list)
    selected: Job | None = None
    offered: set[int] = field(default_factory=set)


class Server:
    """State shared by every page: the job queue, the sessions and the directories."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.temporary = Path(tempfile.mkdtemp(prefix="mcrkit-gui-"))
        self.queue = JobQueue()
        self.sessions: dict[str, Session] = {}

    def session(self, key: str) -> Session:
        """The session of a browser (a new one on its first visit)."""
        if key not in self.sessions:
            self.sessions[key] = Session(SessionFiles(self.temporary))
        return self.sessions[key]

    def busy(self, folder: Path) -> bool:
        """Whether a queued or running job writes into ``folder``."""
        return any(job.active and job.folder == folder for job in self.queue.jobs)

    def close(self) -> None:
        """Stop the jobs and delete the uploads (results stay in the output directory)."""
        self.queue.shutdown(timeout=30)
        shutil.rmtree(self.temporary, ignore_errors=True)


class Page:
    """The page of one browser tab."""

    def __init__(self, server: Server, session: Session) -> None:
        self.server = server
        self.session = session
        self.forms: dict[str, dict[str, Any]] = {}
        self.form_messages: dict[str, ui.label] = {}
        self.action = ACTIONS[0]
        self._previews = 0
        ui.page_title("mcrkit")
        ui.add_css(_CSS)
        with ui.header().classes("items-center bg-slate-800"):
            ui.label("mcrkit").classes("text-xl font-bold")
            ui.label("microstructure characterization and reconstruction").classes("text-sm")
            ui.space()
            ui.label(f"results in {_shown(server.output)}").classes("text-xs")
            ui.label(f"v{__version__}").classes("text-xs")
        with ui.row().classes("w-full no-wrap items-start gap-4"):
            with ui.column().classes("w-[34rem] shrink-0 gap-4"):
                self._inputs()
                self._actions()
                self._list_inputs()
            with ui.column().classes("grow gap-4 min-w-0"):
                with ui.card().classes("w-full"):
                    ui.label("Jobs").classes("text-lg font-medium")
                    self.job_list = ui.column().classes("gap-0 w-full").props(
                        'data-testid="jobs"')
                self.panel = JobPanel(server.queue, self._download, self._resume)
                self._saved_results()
        self._listed_ids: tuple[int, ...] | None = None
        self._job_buttons: dict[int, ui.button] = {}
        self._list_jobs()
        self.panel.select(session.selected)
        ui.timer(REFRESH_SECONDS, self._refresh)
        ui.timer(0, self._preview, once=True)

    # ---- inputs ---------------------------------------------------------------------
    def _inputs(self) -> None:
        with ui.card().classes("w-full"):
            ui.label("Input").classes("text-lg font-medium")
            ui.upload(label="Upload a microstructure (.npy .npz .tif .png .h5 ...) or a "
                            "characterization (.npz)", auto_upload=True,
                      max_file_size=MAX_UPLOAD_BYTES, on_upload=self._uploaded,
                      on_rejected=lambda: self._say(
                          f"the file is larger than {MAX_UPLOAD_BYTES >> 20} MiB; use the "
                          "command line for it", error=True),
                      ).classes("w-full").props('accept="*" data-testid="upload"')
            self.upload_message = ui.label("").classes("text-sm whitespace-pre-wrap").props(
                'data-testid="upload-message"')
            self.input = ui.select({}, label="input (uploads and results)").classes(
                "w-full").props('data-testid="input"')
            self.input_summary = ui.label("").classes("text-xs text-gray-600")
            self.input.on_value_change(self._input_changed)
            self.preview_pictures = ui.row().classes("w-full gap-2 items-start").props(
                'data-testid="preview"')
            self.preview_note = ui.label("").classes("text-xs text-gray-600").props(
                'data-testid="preview-note"')
            self.fractions = ui.label("").classes("text-sm").props('data-testid="fractions"')

    def _say(self, text: str, *, error: bool) -> None:
        self.upload_message.set_text(text)
        self.upload_message.classes(replace="text-sm whitespace-pre-wrap "
                                    + ("text-red-700" if error else "text-green-800"))

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        file = event.file
        path = self.session.files.reserve(file.name)
        try:
            await file.save(path)  # streamed to disk, never held in memory whole
            upload = await run.io_bound(self.session.files.accept, path)  # reads the file
        except UploadError as exc:
            self._say(f"upload refused: {exc}", error=True)
        except OSError as exc:
            path.unlink(missing_ok=True)
            self._say(f"upload failed: {file.name}: {exc.strerror or exc}", error=True)
        else:
            if upload is None:  # the server is shutting down
                return
            self._say(f"{upload.name}: {upload.summary}", error=False)
            self._list_inputs(select=upload)
        event.sender.reset()

    def _upload(self, key: str) -> Upload:
        return next(u for u in self.session.files.uploads if str(u.path) == key)

    async def _input_changed(self, event: Any) -> None:
        self.input_summary.set_text(self._upload(event.value).summary if event.value else "")
        await self._preview()

    def _list_inputs(self, select: Upload | None = None) -> None:
        uploads = self.session.files.of_kind("microstructure", "gray image", "characterization")
        self.input.set_options({str(u.path): f"{u.name} ({u.kind})" for u in uploads},
                               value=str(select.path) if select else
                               (self.input.value or (str(uploads[0].path) if uploads else None)))
        for element, kind in self._session_fields():
            choices = {str(u.path): u.name for u in self.session.files.of_kind(
                *SESSION_KINDS[kind])}
            chosen = element.value
            if isinstance(chosen, list):
                chosen = [c for c in chosen if c in choices]
            elif chosen not in choices:
                chosen = None
            element.set_options(choices, value=chosen)

    def _session_fields(self) -> list[tuple[Any, str]]:
        """The fields that choose among the session's files (merge, interpolate, compare,
        properties), with their kinds."""
        return [(self.forms[action][f.name], f.kind) for action in self.forms
                for f in FORMS[action] if f.kind in SESSION_KINDS]

    async def _preview(self) -> None:
        """Show the selected input: a structure and its volume fractions, or a gray image
        beside its segmentation with the current form's threshold or number of phases."""
        self._previews += 1
        ticket = self._previews
        if not self.input.value:
            shown = Preview()
        else:
            upload = self._upload(self.input.value)
            segmentation = self._segmentation()
            try:
                shown = await run.io_bound(preview, upload.path, upload.kind, **segmentation)
            except (ValueError, TypeError, OSError) as exc:
                shown = Preview(note=f"no preview: {exc}")
        if shown is None or ticket != self._previews:  # shutting down, or a newer one came
            return
        self.preview_pictures.clear()
        with self.preview_pictures:
            for title, url in shown.pictures:
                with ui.column().classes("items-center gap-0"):
                    ui.label(title).classes("text-xs text-gray-600")
                    ui.image(url).classes("w-48 h-48").props(
                        "fit=contain no-spinner no-transition")
        self.preview_note.set_text(shown.note)
        self.fractions.set_text("volume fractions: " + ", ".join(
            f"phase {p}: {f:.4f}" for p, f in enumerate(shown.fractions))
            if shown.fractions else "")

    def _segmentation(self) -> dict[str, Any]:
        """The threshold or number of phases the current action's form holds (if it can be
        read; otherwise none)."""
        elements = self.forms.get(self.action, {})
        values = {name: elements[name].value for name in ("threshold", "phases")
                  if name in elements}
        try:
            return to_arguments(self.action, values)
        except FormError:
            return {}

    # ---- actions ----------------------------------------------------------------------
    def _actions(self) -> None:
        with ui.card().classes("w-full"):
            with ui.tabs(on_change=self._tab_changed).classes("w-full").props(
                    "dense no-caps align=left") as tabs:
                for action in ACTIONS:
                    ui.tab(action).props(f'data-testid="tab-{action}"')
            with ui.tab_panels(tabs, value=ACTIONS[0]).classes("w-full"):
                for action in ACTIONS:
                    with ui.tab_panel(action).classes("gap-1 p-1"):
                        ui.label(f"input: {' or '.join(INPUT_KINDS[action])}").classes(
                            "text-xs text-gray-600")
                        if action != "view":
                            with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-0"):
                                self.forms[action] = build_form(action, FORMS[action])
                        ui.button(f"Run {action}", icon="play_arrow",
                                  on_click=lambda a=action: self._run(a)).props(
                            f'data-testid="run-{action}"')
                        self.form_messages[action] = ui.label("").classes(
                            "text-sm text-red-700 whitespace-pre-wrap").props(
                            f'data-testid="message-{action}"')
        for elements in self.forms.values():  # a new segmentation: a new preview
            for name in ("threshold", "phases"):
                if name in elements:
                    elements[name].props("debounce=500").on_value_change(self._preview)

    async def _tab_changed(self, event: Any) -> None:
        self.action = event.value
        await self._preview()

    def _run(self, action: str) -> None:
        message = self.form_messages[action]
        elements = self.forms.get(action, {})
        for element in elements.values():
            element.props(remove="error error-message")
        if not self.input.value:
            self._refuse(action, "upload an input first")
            return
        values = {name: element.value for name, element in elements.items()}
        try:
            job = make_job(action, self._upload(self.input.value), values, self.server.output)
        except FormError as exc:  # said at the field, under the button and at the top
            if exc.field in elements:
                text = str(exc).replace('"', "'")
                elements[exc.field].props(f'error error-message="{text}"')
            self._refuse(action, str(exc))
            return
        except ValueError as exc:  # the input's kind
            self._refuse(action, str(exc))
            return
        message.set_text("")
        self._submit(job)

    def _refuse(self, action: str, text: str) -> None:
        self.form_messages[action].set_text(text)
        ui.notify(text, type="negative", position="top", multi_line=True)

    def _submit(self, job: Job) -> None:
        self.server.queue.submit(job)
        self.session.jobs.append(job)
        self._select(job)

    def _resume(self, run_dir: Path) -> None:
        if self.server.busy(run_dir):
            ui.notify(f"{run_dir.name} is running already", position="top")
            return
        try:
            job = resume_job(run_dir)
        except ValueError as exc:
            ui.notify(str(exc), type="negative", position="top", multi_line=True)
            return
        self._submit(job)

    # ---- saved results ------------------------------------------------------------------
    def _saved_results(self) -> None:
        with ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center"):
                ui.label(f"Saved results in {_shown(self.server.output)}").classes(
                    "text-lg font-medium")
                ui.space()
                ui.button("Refresh", icon="refresh", on_click=self._list_results).props(
                    'flat dense no-caps data-testid="refresh-results"')
            ui.label("Results of every session, kept after the server stops: open one to "
                     "see it, resume it or use it as an input; tick two to compare them."
                     ).classes("text-xs text-gray-600")
            columns = [{"name": "name", "label": "result", "field": "name", "align": "left"},
                       {"name": "status", "label": "status", "field": "status"},
                       {"name": "when", "label": "saved", "field": "when"}]
            self.results = ui.table(columns=columns, rows=[], row_key="name",
                                    selection="multiple",
                                    on_select=self._ticked).props(
                'dense flat bordered :pagination="{rowsPerPage: 10}" '
                'data-testid="results"').classes("w-full")
            with ui.row().classes("items-center gap-2"):
                self.open_button = ui.button("Open", icon="folder_open",
                                             on_click=self._open_ticked).props(
                    'dense no-caps data-testid="open-result"')
                self.compare_button = ui.button("Compare", icon="compare",
                                                on_click=self._compare_ticked).props(
                    'dense no-caps data-testid="compare-results"')
                self.ticked_text = ui.label("").classes("text-sm").props(
                    'data-testid="ticked"')
        self._list_results()

    def _list_results(self) -> None:
        self.results.rows = [{"name": r.path.name, "status": r.status, "when": r.when}
                             for r in list_results(self.server.output)]
        names = {row["name"] for row in self.results.rows}
        self.results.selected = [row for row in self.results.selected if row["name"] in names]
        self.results.update()
        self._ticked()

    def _ticked(self, _: Any = None) -> None:
        ticked = [row["name"] for row in self.results.selected]
        self.open_button.set_enabled(len(ticked) >= 1)
        self.compare_button.set_enabled(len(ticked) == 2)
        self.ticked_text.set_text(
            f"compare {ticked[1]} (result) with {ticked[0]} (original)" if len(ticked) == 2
            else "tick one result to open it, two to compare them" if not ticked else "")

    async def _open_ticked(self) -> None:
        for row in list(self.results.selected):
            folder = self.server.output / row["name"]
            job = Job("open", f"open {folder.name}", lambda _, f=folder: describe(f))
            job.folder = folder
            self.server.queue.record(job)
            self.session.jobs.append(job)
            await run.io_bound(job.run)
            self._select(job)

    def _compare_ticked(self) -> None:
        first, second = (self.server.output / row["name"] for row in self.results.selected)
        structures = [structure_of(first), structure_of(second)]
        missing = [f.name for f, s in zip((first, second), structures, strict=True) if s is None]
        if missing:
            ui.notify(f"{' and '.join(missing)}: holds no structure to compare; tick results "
                      "of match, reconstruct or smooth", type="negative", position="top")
            return
        original = inspect_file(structures[0], input_name(structures[0]))
        self._submit(comparison_job(original, structures[1], self.server.output))

    # ---- jobs -------------------------------------------------------------------------
    def _select(self, job: Job) -> None:
        self.session.selected = job
        self.panel.select(job)
        self._list_jobs()

    def _list_jobs(self) -> None:
        """List the jobs, newest first. The buttons are rebuilt only when a job is added; a
        running job's line and the selection are updated in place, so that a click on a line
        is never lost to a redraw of the list."""
        jobs = tuple(self.session.jobs)
        if self._listed_ids != tuple(job.id for job in jobs):
            self._listed_ids = tuple(job.id for job in jobs)
            self._job_buttons = {}
            self.job_list.clear()
            with self.job_list:
                if not jobs:
                    ui.label("none yet: upload an input and run an action, or open a saved "
                             "result").classes("text-sm text-gray-600")
                for job in reversed(jobs):
                    self._job_buttons[job.id] = ui.button(
                        on_click=lambda j=job: self._select(j)).props(
                        "flat dense no-caps align=left").classes("w-full")
        for job in jobs:
            button, line = self._job_buttons[job.id], job_line(job)
            color = "primary" if job is self.session.selected else "grey-8"
            if button.text != line:
                button.set_text(line)
            if button.props.get("color") != color:
                button.props(f"color={color}")

    def _refresh(self) -> None:
        self._list_jobs()
        self.panel.refresh()
        for job in self.session.jobs:  # results that can feed another action become inputs
            if not job.active and job.id not in self.session.offered:
                self.session.offered.add(job.id)
                if job.outcome is not None:
                    self._offer(job.outcome)
                if job.action != "open":
                    self._list_results()

    def _offer(self, outcome: Outcome) -> None:
        known = {u.path for u in self.session.files.uploads}
        for path in outcome.products:
            if path not in known:
                self.session.files.uploads.append(inspect_file(path, input_name(path)))
        self._list_inputs()

    def _download(self, path: Path) -> None:
        ui.download.file(path, path.name)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it, else absolute."""
    absolute = path.resolve()
    try:
        return f".{os.sep}{absolute.relative_to(Path.cwd())}"
    except ValueError:
        return str(absolute)


def check_port(host: str, port: int) -> None:
    """Raise OSError with a readable message if ``host:port`` cannot be bound."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another "
                          "port with --port") from None


def serve(host: str = "127.0.0.1", port: int = 8080, output: str | Path = "mcrkit-runs", *,
          ready: Callable[[], None] | None = None) -> None:
    """Run the web interface until interrupted (Ctrl-C).

    Parameters
    ----------
    host, port : str, int
        Where to listen; the default is reachable only from this computer.
    output : path
        Parent directory of the result directories (created when needed).
    ready : callable, optional
        Called once the server accepts connections (e.g. to print the address).
    """
    check_port(host, port)
    server = Server(Path(output))

    @ui.page("/")
    def index() -> None:
        Page(server, server.session(app.storage.browser["id"]))

    app.on_shutdown(server.close)
    app.add_middleware(UploadSizeLimit)
    if ready is not None:
        app.on_startup(ready)
    ui.run(host=host, port=port, title="mcrkit", reload=False, show=False,
           show_welcome_message=False, storage_secret=secrets.token_urlsafe(32),
           favicon="🔬", uvicorn_logging_level="warning")
