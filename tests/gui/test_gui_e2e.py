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
import json
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
        contexts = []

        def new_session():
            """A page in a new browser context: a browser session of its own (new cookie)."""
            context = browser.new_context(accept_downloads=True,
                                          viewport={"width": 1500, "height": 1100})
            context.set_default_timeout(PATIENCE_MS)
            contexts.append(context)
            return context.new_page()

        try:
            yield new_session
        finally:
            for context in contexts:
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


def _gray_image(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """A small gray micrograph (two gray bands, none at 128) and its phases above 128."""
    import imageio.v3 as iio

    labels = np.load(_input_file(tmp_path))[:24, :24]
    gray = np.where(labels == 1, 200, 40) + np.random.default_rng(1).integers(0, 20, labels.shape)
    path = tmp_path / "micrograph.png"
    iio.imwrite(path, np.ascontiguousarray(gray.T[::-1]).astype(np.uint8))  # as read: x, y
    from mcrkit.io import read_image

    return path, read_image(path) > 128


def _choose(page, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option").filter(has_text=option).first.click()


def _tick(page, name: str) -> None:
    page.get_by_test_id("results").get_by_role("row").filter(
        has=page.get_by_text(name, exact=True)).get_by_role("checkbox").click()


def _job_shown(page, title: str, *statuses: str) -> str:
    """Waits until the panel shows the job titled ``title`` in one of ``statuses``."""
    page.get_by_test_id("job-title").filter(has_text=title).wait_for()
    return _status_becomes(page, *statuses)


@pytest.mark.early
def test_upload_match_watch_progress_and_download(browser_page, server, tmp_path) -> None:
    page = browser_page()
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
    assert "0.00%" not in page.get_by_test_id("upload").inner_text()  # no idle size counter
    page.screenshot(path=str(shots / "gui_bad_upload.png"))

    # a gray image: previewed beside its segmentation, with the volume fractions as numbers
    micrograph, bright = _gray_image(tmp_path)
    assert "gray image" in _upload(page, micrograph)
    page.get_by_test_id("preview-note").filter(has_text="Otsu").wait_for()
    page.get_by_test_id("characterize-threshold").fill("128")
    page.get_by_test_id("preview-note").filter(has_text="threshold 128").wait_for()
    assert page.get_by_test_id("preview").get_by_role("img").count() == 2
    fractions = page.get_by_test_id("fractions").inner_text()
    assert fractions == (f"volume fractions: phase 0: {1 - bright.mean():.4f}, "
                         f"phase 1: {bright.mean():.4f}"), fractions
    page.screenshot(path=str(shots / "gui_segmentation_preview.png"))

    text = _upload(page, _input_file(tmp_path))  # the next upload still works
    assert "microstructure: 2D 64 x 64, 2 phases" in text, text
    image = np.load(_input_file(tmp_path))
    page.get_by_test_id("fractions").filter(
        has_text=f"phase 1: {np.mean(image == 1):.4f}").wait_for()

    page.get_by_test_id("tab-match").click()
    assert "auto" in page.get_by_test_id("match-symmetry").inner_text()  # as --symmetry
    assert page.get_by_text("iterations per level").is_visible()  # labels in words
    page.get_by_test_id("match-shape").fill("32 by 32")  # q-input: the id is on <input>
    page.get_by_test_id("run-match").click()
    page.get_by_test_id("message-match").filter(
        has_text="shape of the result: needs two or three whole numbers such as 64 64 64, got "
                 "'32 by 32'").wait_for()
    page.get_by_role("alert").filter(has_text="shape of the result").first.wait_for()  # at hand
    page.screenshot(path=str(shots / "gui_field_error.png"))
    page.get_by_test_id("match-shape").fill("24 24 24")  # small: the page is tested, not the run
    page.get_by_test_id("match-max_iter").fill("5")  # a count, never a time, ends this run
    page.get_by_test_id("match-seed").fill("3")
    page.get_by_test_id("run-match").click()
    status = _job_shown(page, "1. match", "done", "failed", "cancelled")
    message = page.get_by_test_id("job-message").inner_text()
    assert status == "done", f"{status}: {message}"
    [run_dir] = list(runs.iterdir())
    report = json.loads((run_dir / "report.json").read_text())
    assert page.get_by_test_id("verdict").inner_text() == f"verdict: {report['verdict']['text']}"
    assert page.get_by_test_id("result-slice-2").is_visible()  # the result's orthoslices
    assert page.get_by_test_id("original-slice-0").is_visible()  # beside the original
    assert page.get_by_text("Volume fractions", exact=True).is_visible()  # a table
    assert "/tmp" not in message and "mcrkit-gui-" not in page.content()  # no upload paths
    page.screenshot(path=str(shots / "gui_done.png"), full_page=True)
    page.get_by_test_id("figure-0").click()  # the report, enlarged
    page.get_by_test_id("figure-0-large").wait_for()
    page.screenshot(path=str(shots / "gui_figure_enlarged.png"))
    page.get_by_test_id("figure-0-close").click()
    page.get_by_test_id("figure-0-large").wait_for(state="hidden")

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
    assert np.array_equal(np.load(run_dir / "reconstruction.npy"), labels)

    for name in ("run.json", "report.json", "report.png", "convergence.npz"):
        assert page.get_by_test_id(f"download-{name}").is_visible(), name

    # a run until cancelled: its progress is watched, the server answers meanwhile, a job
    # submitted behind it waits in the queue, and both can be cancelled; the run resumes
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
    stopped_at = int(stopped.split()[4])
    assert second <= stopped_at < 10000, stopped
    page.screenshot(path=str(shots / "gui_cancelled.png"))
    page.get_by_test_id("resume").click()  # continues the run in its directory
    _job_shown(page, "4. resume", "running")  # job numbers count every session
    _progress_after(page, stopped_at)
    page.get_by_test_id("cancel").click()
    assert _status_becomes(page, "cancelled", "failed") == "cancelled"
    page.get_by_test_id("resume").wait_for()  # and may continue again
    page.screenshot(path=str(shots / "gui_resumed_and_stopped.png"))
    [stopped_run] = [folder for folder in runs.iterdir() if folder != run_dir]

    # a new browser session: the saved runs are listed, opened, used and compared
    later = browser_page()
    later.goto(url)
    for folder in (run_dir, stopped_run):
        later.get_by_test_id("results").get_by_text(folder.name).wait_for()
    _tick(later, run_dir.name)
    later.get_by_test_id("open-result").click()
    _job_shown(later, f"open {run_dir.name}", "done")
    assert later.get_by_test_id("verdict").inner_text() == (
        f"verdict: {report['verdict']['text']}")
    later.screenshot(path=str(shots / "gui_opened.png"))
    _choose(later, "input", f"{run_dir.name}.npy")  # the run's result is an input
    later.get_by_test_id("tab-properties").click()
    later.get_by_test_id("properties-phases").fill("1")
    later.get_by_test_id("properties-axes").fill("x")
    later.get_by_test_id("run-properties").click()
    assert _job_shown(later, ". properties", "done", "failed") == "done"
    later.get_by_text("tortuosity factor along x").wait_for()
    later.screenshot(path=str(shots / "gui_properties.png"), full_page=True)
    later.get_by_test_id("tab-export").click()
    later.get_by_test_id("run-export").click()
    assert _job_shown(later, ". export", "done", "failed") == "done"
    with later.expect_download() as download_info:
        later.get_by_test_id(f"download-{run_dir.name}.tif").click()
    download_info.value.save_as(tmp_path / "exported.tif")
    from mcrkit.io import read_microstructure

    assert np.array_equal(read_microstructure(tmp_path / "exported.tif").labels, labels)
    later.get_by_test_id("refresh-results").click()
    _tick(later, stopped_run.name)
    later.get_by_test_id("ticked").filter(has_text="(original)").wait_for()
    later.get_by_test_id("compare-results").click()
    assert _job_shown(later, ". compare", "done", "failed") == "done"
    assert later.get_by_test_id("verdict").inner_text().startswith("verdict: ")
    later.screenshot(path=str(shots / "gui_compared.png"), full_page=True)

    hosts = {urlsplit(u).hostname for u in requests if urlsplit(u).scheme in ("http", "https",
                                                                             "ws", "wss")}
    assert hosts == {"127.0.0.1"}, sorted(set(requests))
    if os.environ.get("MCRKIT_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shots / "gui_run.png", REPOSITORY / "docs" / "images" / "gui_run.png")
