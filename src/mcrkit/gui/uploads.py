"""Uploaded files: kept in a private temporary directory per session, checked on arrival.

A file is accepted only if mcrkit can read it: a characterization (``.npz``
written by ``mcrkit characterize``), a microstructure, or a gray image that
needs segmenting (a threshold or a number of phases in the action's form).
Anything else is refused with the reader's own message (file, problem, fix)
and deleted. Files are read with the library's readers, which never unpickle
and refuse a file declaring an array larger than the memory available.

The size cap is enforced on the server too (:class:`UploadSizeLimit`): an
upload request is cut off once its body passes the cap, while it streams, so
a client that ignores the page's limit cannot fill the server's disk.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAX_UPLOAD_BYTES", "SessionFiles", "Upload", "UploadError", "UploadSizeLimit",
           "inspect_file"]

MAX_UPLOAD_BYTES = 1 << 30
"""Largest file the page accepts (1 GiB), checked in the browser and on the server."""


FORM_OVERHEAD_BYTES = 1 << 16
"""Room for the multipart form's headers around the file in an upload request."""


class UploadError(ValueError):
    """An uploaded file cannot be used; the message says why and what to upload instead."""


class _TooLarge(Exception):
    """An upload request's body passed the cap."""


class UploadSizeLimit:
    """ASGI middleware refusing (413) upload requests whose body passes ``limit`` bytes.

    Requests to paths containing ``/upload/`` are checked by their declared
    ``Content-Length`` before any byte is read, and by the bytes received
    while the body streams; other requests pass unchanged.

    Parameters
    ----------
    app : ASGI application
    limit : int
        Largest accepted request body (default: the page's cap plus the form's headers).
    """

    def __init__(self, app: Any, limit: int = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or "/upload/" not in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from starlette.responses import PlainTextResponse

        response = PlainTextResponse(
            f"the file is larger than {MAX_UPLOAD_BYTES >> 20} MiB, the most the page accepts; "
            "use the command line (mcrkit --help) for larger files", status_code=413)
        await response(scope, receive, send)


@dataclass(frozen=True)
class Upload:
    """A file the session may use.

    Attributes
    ----------
    name : str
        The file's name as uploaded (made safe for the file system).
    path : Path
        The stored copy.
    kind : str
        ``microstructure``, ``gray image`` or ``characterization``.
    summary : str
        One line for the page: dimensions, shape, phases or descriptors.
    """

    name: str
    path: Path
    kind: str
    summary: str


def _safe_name(name: str) -> str:
    """The file name without folders, with characters other than ``[A-Za-z0-9._-]`` as ``_``."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")
    return cleaned or "upload"


def _describe_shape(shape: tuple[int, ...]) -> str:
    return f"{len(shape)}D {' x '.join(str(s) for s in shape)}"


def inspect_file(path: Path, name: str | None = None) -> Upload:
    """Classify a stored file, or raise :class:`UploadError` with the reader's message.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> folder = Path(tempfile.mkdtemp())
    >>> np.save(folder / "two.npy", np.eye(4, dtype=np.uint8))
    >>> inspect_file(folder / "two.npy").summary
    'microstructure: 2D 4 x 4, 2 phases'
    >>> _ = (folder / "notes.txt").write_text("hello")
    >>> inspect_file(folder / "notes.txt")
    Traceback (most recent call last):
    ...
    mcrkit.gui.uploads.UploadError: notes.txt: unknown file extension '.txt'; ...
    """
    from mcrkit.characterization import Characterization, CharacterizationFileError
    from mcrkit.io import read_microstructure

    name = name or path.name
    if path.suffix.lower() == ".npz":
        try:
            c = Characterization.load(path)
        except CharacterizationFileError:
            pass  # perhaps labels in an .npz archive
        else:
            return Upload(name, path, "characterization",
                          f"characterization of a {_describe_shape(c.shape)} structure, "
                          f"{c.n_phases} phases: {', '.join(c.names)}")
    try:
        m = read_microstructure(path)
    except ValueError as exc:
        message = _named(str(exc), path, name)
        try:
            gray = read_microstructure(path, threshold="otsu")
        except (ValueError, TypeError):
            raise UploadError(message) from None
        return Upload(name, path, "gray image",
                      f"gray image: {_describe_shape(gray.shape)}; choose a threshold (e.g. "
                      "otsu) or a number of phases in the form")
    except (OSError, TypeError) as exc:  # unreadable despite its extension
        raise UploadError(f"{name}: cannot be read ({exc})") from None
    return Upload(name, path, "microstructure",
                  f"microstructure: {_describe_shape(m.shape)}, {m.n_phases} phases")


def _named(message: str, path: Path, name: str) -> str:
    """A reader's message with the stored path replaced by the name the user knows."""
    return message.replace(str(path), name)


class SessionFiles:
    """The private upload directory of one browser session.

    Parameters
    ----------
    root : path
        Parent directory (the server's temporary directory).
    """

    def __init__(self, root: str | Path) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="session-", dir=root))
        self.uploads: list[Upload] = []

    def save(self, name: str, data: bytes) -> Upload:
        """Store an uploaded file's bytes and check it (see :meth:`accept`)."""
        path = self.reserve(name)
        path.write_bytes(data)
        return self.accept(path)

    def reserve(self, name: str) -> Path:
        """Create an empty file in the session directory for a file uploaded as ``name``
        (``name-2.ext`` and so on if taken, so simultaneous uploads never share one)."""
        safe = _safe_name(name)
        path, n = self.directory / safe, 1
        while True:
            try:
                path.open("xb").close()
                return path
            except FileExistsError:
                n += 1
                path = self.directory / f"{Path(safe).stem}-{n}{Path(safe).suffix}"

    def accept(self, path: Path) -> Upload:
        """Check a stored upload and add it to the session; a refused file is deleted.

        Raises
        ------
        UploadError
            For a file too large or one mcrkit cannot read.
        """
        try:
            size = path.stat().st_size
            if size > MAX_UPLOAD_BYTES:
                raise UploadError(f"{path.name}: {size / 2**20:.0f} MiB is more than the "
                                  f"{MAX_UPLOAD_BYTES >> 20} MiB the page accepts; use the "
                                  "command line (mcrkit --help) for larger files")
            upload = inspect_file(path)
        except UploadError:
            path.unlink(missing_ok=True)
            raise
        self.uploads.append(upload)
        return upload

    def of_kind(self, *kinds: str) -> list[Upload]:
        """Uploads of the given kinds, newest first."""
        return [u for u in reversed(self.uploads) if u.kind in kinds]

    def remove(self) -> None:
        """Delete the directory and every upload in it."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.uploads.clear()
