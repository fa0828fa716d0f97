"""End to end: ``mcrkit gui`` in a subprocess, driven by headless Chromium.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``$MCRKIT_CHROMIUM``) and
Playwright's Python package (never a browser downloaded by ``playwright install``). Without them
the test is skipped, unless ``MCRKIT_REQUIRE_BROWSER=1`` (as in CI), where it
fails. Screenshots go to ``$MCRKIT_TEST_ARTIFACTS`` (default: the test's
temporary directory); with ``MCRKIT_UPDATE_SCREENSHOTS=1`` the one taken during
the run also replaces ``docs/images/gui_run.png``.

Nothing here depends on how fast the machine is: every wait ends when the page
shows what it waits for (a status, a new iteration), and :data:`PATIENCE_MS`
only ends a wait for something that never comes.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

CHROMIUM = Path(os.environ.get("MCRKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_INPUT = REPOSITORY.parent / "shared" / "data" / "pymks_ms_64x64_1.npy"
PATIENCE_MS = 300_000
"""Bound of every wait on the server and the page: a guard against a hang, never a speed limit."""


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    for module in ("playwright", "nicegui"):
        if importlib.util.find_spec(module) is None:
            return f"the {module} package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser_page():
    reason = _missing()
    if reason is not None:
        if os.environ.get("MCRKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MCRKIT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True,
                                      viewport={"width": 1500, "height": 1100})
        context.set_default_timeout(PATIENCE_MS)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # NiceGUI's test mode
    process = subprocess.Popen(
        [sys.executable, "-c", "from mcrkit.cli import main; main()", "gui", "--port",
         str(port), "-o", str(tmp_path / "runs")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + PATIENCE_MS / 1000
        while not lines and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the address is printed once the server accepts connections
        assert lines and f"http://127.0.0.1:{port}" in lines[0], "".join(lines)
        yield f"http://127.0.0.1:{port}", tmp_path / "runs"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        process.stdout.close()
    assert "Traceback" not in "".join(lines), "".join(lines)


def _artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MCRKIT_TEST_ARTIFACTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _input_file(tmp_path: Path) -> Path:
    if SHARED_INPUT.exists():
        return SHARED_INPUT
    copy = tmp_path / SHARED_INPUT.name  # the same file ships with the package
    copy.write_bytes(resources.files("mcrkit.data").joinpath(SHARED_INPUT.name).read_bytes())
    return copy


def _upload(page, path: Path) -> str:
    page.locator('[data-testid="upload"] input[type="file"]').set_input_files(str(path))
    message = page.get_by_test_id("upload-message")
    message.filter(has_text=path.name).wait_for()
    return message.inner_text()


def _status_becomes(page, *statuses: str) -> str:
    """Waits until the selected job's status is one of ``statuses``; returns it."""
    return page.wait_for_function(
        """statuses => {
            const status = document.querySelector('[data-testid="job-status"]');
            const text = status && status.innerText.trim();
            return statuses.includes(text) ? text : null;
        }""", arg=list(statuses), polling=100).json_value()


def _progress_after(page, iteration: int) -> tuple[int, str]:
    """Waits until the progress line shows an iteration past ``iteration``; returns the
    iteration and the line."""
    line = page.wait_for_function(
        """iteration => {
            const line = document.querySelector('[data-testid="progress"]');
            const found = line && /^iteration (\\d+)\\//.exec(line.innerText);
            return found && Number(found[1]) > iteration ? line.innerText : null;
        }""", arg=iteration, polling=100).json_value()
    return int(line.split()[1].split("/")[0]), line


def test_upload_match_watch_progress_and_download(browser_page, server, tmp_path) -> None:
    page = browser_page
    url, runs = server
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    shots = _artefacts(tmp_path)
    page.goto(url)
    page.get_by_text("Jobs", exact=True).wait_for()

    bad = tmp_path / "notes.txt"
    bad.write_text("not a microstructure\n")
    text = _upload(page, bad)
    assert "upload refused" in text and "unknown file extension '.txt'" in text, text
    assert "Traceback" not in page.content()
    page.screenshot(path=str(shots / "gui_bad_upload.png"))

    text = _upload(page, _input_file(tmp_path))  # the next upload still works
    assert "microstructure: 2D 64 x 64, 2 phases" in text, text

    page.get_by_test_id("tab-match").click()
    page.get_by_test_id("match-shape").fill("32 by 32")  # q-input: the id is on <input>
    page.get_by_test_id("run-match").click()
    page.get_by_test_id("message-match").filter(
        has_text="shape: needs two or three whole numbers such as 64 64 64, got '32 by 32'"
    ).wait_for()
    page.get_by_test_id("match-shape").fill("24 24 24")  # small: the page is tested, not the run
    page.get_by_test_id("match-max_iter").fill("5")  # a count, never a time, ends this run
    page.get_by_test_id("match-seed").fill("3")
    page.get_by_test_id("run-match").click()
    status = _status_becomes(page, "done", "failed", "cancelled")
    message = page.get_by_test_id("job-message").inner_text()
    assert status == "done", f"{status}: {message}"
    assert page.get_by_test_id("slice-2").is_visible()  # the result's orthoslices
    page.screenshot(path=str(shots / "gui_done.png"))

    with page.expect_download() as download_info:
        page.get_by_test_id("download-reconstruction.npy").click()
    saved = tmp_path / "downloaded.npy"
    download_info.value.save_as(saved)
    labels = np.load(saved, allow_pickle=False)
    assert labels.shape == (24, 24, 24)
    assert set(np.unique(labels).tolist()) == {0, 1}
    with page.expect_download() as download_info:  # an export for ParaView, made on request
        page.get_by_test_id("export-vti").click()
    download_info.value.save_as(tmp_path / "downloaded.vti")
    from mcrkit.io.vti import read_vti

    assert np.array_equal(read_vti(tmp_path / "downloaded.vti")["labels"], labels)
    [run_dir] = list(runs.iterdir())
    assert np.array_equal(np.load(run_dir / "reconstruction.npy"), labels)

    for name in ("run.json", "report.json", "report.png", "convergence.npz"):
        assert page.get_by_test_id(f"download-{name}").is_visible(), name

    # a run until cancelled: its progress is watched, the server answers meanwhile, a job
    # submitted behind it waits in the queue, and both can be cancelled
    page.get_by_test_id("match-max_iter").fill("10000")
    page.get_by_test_id("run-match").click()
    page.get_by_text("2. match pymks_ms_64x64_1.npy (running").wait_for()
    first, line = _progress_after(page, 0)
    assert "left" in line and "elapsed" in line, line
    second, _ = _progress_after(page, first)  # the page follows the run, iteration by iteration
    assert 0 < first < second < 10000
    with urllib.request.urlopen(url + "/", timeout=PATIENCE_MS / 1000) as response:
        assert response.status == 200  # the server answers while a job runs
    assert page.get_by_test_id("job-status").inner_text() == "running"
    page.screenshot(path=str(shots / "gui_run.png"))  # the latest picture during the run

    page.get_by_test_id("run-match").click()
    status = page.get_by_test_id("job-status")
    status.filter(has_text="queued").wait_for()
    assert "1 job before this one" in page.get_by_test_id("job-message").inner_text()
    page.get_by_test_id("cancel").click()
    status.filter(has_text="cancelled").wait_for()
    page.get_by_text("2. match pymks_ms_64x64_1.npy (running").click()
    page.get_by_test_id("progress").filter(has_text="iteration").wait_for()
    page.get_by_test_id("cancel").click()
    status.filter(has_text="cancelled").wait_for()
    stopped = page.get_by_test_id("job-message").inner_text()
    assert stopped.startswith("stopped on request after")
    assert second <= int(stopped.split()[4]) < 10000, stopped
    page.screenshot(path=str(shots / "gui_cancelled.png"))

    hosts = {urlsplit(u).hostname for u in requests if urlsplit(u).scheme in ("http", "https",
                                                                             "ws", "wss")}
    assert hosts == {"127.0.0.1"}, sorted(set(requests))
    if os.environ.get("MCRKIT_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shots / "gui_run.png", REPOSITORY / "docs" / "images" / "gui_run.png")
