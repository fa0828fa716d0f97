"""The web page and the server of ``mcrkit gui``.

One page: upload inputs on the left, choose an action (characterize,
reconstruct, match, smooth, view) and its options, run it; the jobs of the
browser session are listed on the right with the selected job's live
progress, result and downloads. Every asset (Vue, Quasar, ECharts, fonts) is
served by the local server; the page loads nothing from the internet.
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
from mcrkit.gui.actions import ACTIONS, INPUT_KINDS, make_job
from mcrkit.gui.forms import FORMS
from mcrkit.gui.jobs import Job, JobQueue
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
        ui.page_title("mcrkit")
        with ui.header().classes("items-center bg-slate-800"):
            ui.label("mcrkit").classes("text-xl font-bold")
            ui.label("microstructure characterization and reconstruction").classes("text-sm")
            ui.space()
            ui.label(f"results in {_shown(server.output)}").classes("text-xs")
            ui.label(f"v{__version__}").classes("text-xs")
        with ui.row().classes("w-full no-wrap items-start gap-4"):
            with ui.column().classes("w-[32rem] shrink-0 gap-4"):
                self._inputs()
                self._actions()
                self._list_inputs()
            with ui.column().classes("grow gap-4"):
                with ui.card().classes("w-full"):
                    ui.label("Jobs").classes("text-lg font-medium")
                    self.job_list = ui.column().classes("gap-0 w-full").props(
                        'data-testid="jobs"')
                self.panel = JobPanel(server.queue, self._download)
        self._listed: tuple[object, ...] = ()
        self._list_jobs()
        self.panel.select(session.selected)
        ui.timer(REFRESH_SECONDS, self._refresh)

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
            self.input = ui.select({}, label="input").classes("w-full").props(
                'data-testid="input"')
            self.input_summary = ui.label("").classes("text-xs text-gray-600")
            self.input.on_value_change(lambda e: self.input_summary.set_text(
                self._upload(e.value).summary if e.value else ""))

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

    def _list_inputs(self, select: Upload | None = None) -> None:
        uploads = self.session.files.of_kind("microstructure", "gray image", "characterization")
        self.input.set_options({str(u.path): f"{u.name} ({u.kind})" for u in uploads},
                               value=str(select.path) if select else
                               (self.input.value or (str(uploads[0].path) if uploads else None)))
        characterizations = {str(u.path): u.name
                             for u in self.session.files.of_kind("characterization")}
        for element in self._characterization_fields():
            chosen = element.value
            if isinstance(chosen, list):
                chosen = [c for c in chosen if c in characterizations]
            elif chosen not in characterizations:
                chosen = None
            element.set_options(characterizations, value=chosen)

    def _characterization_fields(self) -> list[Any]:
        """The fields that choose among the session's characterizations (merge, interpolate)."""
        return [self.forms[action][f.name] for action in self.forms for f in FORMS[action]
                if f.kind in ("characterization", "characterizations")]

    # ---- actions ----------------------------------------------------------------------
    def _actions(self) -> None:
        with ui.card().classes("w-full"):
            ui.add_css(".q-tab { padding: 0 6px; min-width: 0 }")
            with ui.tabs().classes("w-full").props("dense no-caps") as tabs:
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

    def _run(self, action: str) -> None:
        message = self.form_messages[action]
        if not self.input.value:
            message.set_text("upload an input first")
            return
        values = {name: element.value for name, element in self.forms.get(action, {}).items()}
        try:
            job = make_job(action, self._upload(self.input.value), values, self.server.output)
        except ValueError as exc:  # a form value or the input's kind: said under the button
            message.set_text(str(exc))
            return
        message.set_text("")
        self.server.queue.submit(job)
        self.session.jobs.append(job)
        self._select(job)

    # ---- jobs -------------------------------------------------------------------------
    def _select(self, job: Job) -> None:
        self.session.selected = job
        self.panel.select(job)
        self._list_jobs()

    def _list_jobs(self) -> None:
        lines = tuple(job_line(j) for j in self.session.jobs)
        key = (lines, self.session.selected)
        if key == self._listed:
            return
        self._listed = key
        self.job_list.clear()
        with self.job_list:
            if not self.session.jobs:
                ui.label("none yet: upload an input and run an action").classes(
                    "text-sm text-gray-600")
            for job, line in zip(reversed(self.session.jobs), reversed(lines), strict=True):
                ui.button(line, on_click=lambda j=job: self._select(j)).props(
                    "flat dense no-caps align=left" + (" color=primary"
                                                       if job is self.session.selected
                                                       else " color=grey-8")).classes("w-full")

    def _refresh(self) -> None:
        self._list_jobs()
        self.panel.refresh()
        for job in self.session.jobs:  # results that can feed another action become inputs
            if job.outcome is not None and job.id not in self.session.offered:
                self.session.offered.add(job.id)
                for path in job.outcome.products:
                    self.session.files.uploads.append(inspect_file(path))
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
