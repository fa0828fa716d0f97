"""The server cuts an upload off once it passes the size cap, while it streams."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("starlette")

from mcrkit.gui.uploads import UploadSizeLimit  # noqa: E402

CHUNK = 1000


def serve(limit: int, headers: list[tuple[bytes, bytes]], chunks: int, path: str = "/upload/7"):
    """Send ``chunks`` body messages through the middleware; return (status, chunks read)."""
    read, sent = [0], []

    async def receive():
        read[0] += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": read[0] < chunks}

    async def app(scope, receive, send):  # reads the whole body, as a form parser does
        more = True
        while more:
            more = (await receive())["more_body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(UploadSizeLimit(app, limit=limit)(scope, receive, send))
    return sent[0]["status"], read[0]


def test_a_streamed_upload_is_cut_off_after_the_cap() -> None:
    status, read = serve(limit=5 * CHUNK, headers=[], chunks=1000)
    assert status == 413
    assert read == 6  # stopped at the first chunk past the cap, not after 1000


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    status, read = serve(limit=5 * CHUNK, headers=[(b"content-length", b"1000000")], chunks=1000)
    assert (status, read) == (413, 0)


def test_uploads_within_the_cap_and_other_requests_pass() -> None:
    assert serve(limit=5 * CHUNK, headers=[], chunks=5) == (200, 5)
    assert serve(limit=5 * CHUNK, headers=[], chunks=50, path="/other") == (200, 50)
