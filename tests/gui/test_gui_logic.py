"""The GUI's logic without a browser: forms, uploads, the job queue, actions, pictures."""

from __future__ import annotations

import inspect
import json
import os
import pickle
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("nicegui", reason="the gui extra is not installed (pip install -e '.[gui]')")

from mcrkit.gui import uploads as uploads_module  # noqa: E402
from mcrkit.gui.actions import comparison_job, make_job, resume_job  # noqa: E402
from mcrkit.gui.forms import (  # noqa: E402
    EXPORT_FORMAT,
    FORMS,
    FormError,
    library_function,
    to_arguments,
)
from mcrkit.gui.jobs import Job, JobQueue, Outcome, Progress  # noqa: E402
from mcrkit.gui.pictures import preview, slice_images  # noqa: E402
from mcrkit.gui.results import describe, list_results  # noqa: E402
from mcrkit.gui.uploads import SessionFiles, UploadError  # noqa: E402

pytestmark = pytest.mark.usefixtures("screen_dpi")
CLI_COMMANDS = {"characterize": "characterization", "reconstruct": "reconstruction",
                "match": "reconstruction", "merge": "descriptor_space",
                "interpolate": "descriptor_space", "smooth": "descriptor_space",
                "properties": "properties", "compare": "viewing", "export": "viewing"}


def _cli_parameters(action):
    import importlib

    cli = importlib.import_module(f"mcrkit.cli.{CLI_COMMANDS[action]}")
    return inspect.signature(getattr(cli, action)).parameters


def _library_parameters(action):
    """Keywords the action's workflow takes, with match's pass-through to reconstruct and the
    segmentation of smooth's input by the reader."""
    from mcrkit.io import read_microstructure
    from mcrkit.workflows import reconstruct

    parameters = dict(inspect.signature(library_function(action)).parameters)
    extra = {"match": reconstruct, "smooth": read_microstructure}.get(action)
    if extra is not None:
        parameters = {**inspect.signature(extra).parameters, **parameters}
    return parameters


FOLDED = {"descriptor_options": "descriptors"}
"""Fields the library takes inside another keyword (as the command line passes them)."""

_PAGE = {
    "output": "every job writes into a new folder of the session, shown on the page",
    "overwrite": "a job's folder is always new",
    "quiet": "the page shows progress in its own bar, not on a console",
}
_PICTURES = {"plot": "the page draws the result's pictures itself"}
NO_FIELD = {
    "characterize": {**_PAGE, **_PICTURES, "input": "the chosen upload"},
    "reconstruct": {**_PAGE, **_PICTURES, "characterization": "the chosen upload",
                    "resume": "the Resume button of a stopped run (resume_job)"},
    "match": {**_PAGE, **_PICTURES, "input": "the chosen upload"},
    "merge": {**_PAGE},
    "interpolate": {**_PAGE, "c_from": "the chosen upload (t = 0)"},
    "smooth": {**_PAGE, "input": "the chosen upload"},
    "properties": {**_PAGE, "volume": "the chosen upload"},
    "compare": {**_PAGE, "original": "the chosen upload"},
    "export": {**_PAGE, "source": "the chosen upload"},
}
"""Command-line options of each action without a form field, and why (views are the
merge's field; every other option has a field)."""


@pytest.mark.parametrize("action", list(CLI_COMMANDS))
def test_form_fields_are_the_library_and_command_line_options(action) -> None:
    assert set(FORMS) == set(CLI_COMMANDS)
    cli_parameters = _cli_parameters(action)
    library = _library_parameters(action)
    for f in FORMS[action]:
        assert FOLDED.get(f.name, f.name) in library, f.name
        assert f.name in cli_parameters, f.name


@pytest.mark.parametrize("action", list(CLI_COMMANDS))
def test_every_command_line_option_has_a_field_or_a_stated_reason(action) -> None:
    """Parity of the page with the command line: an option added to a command fails here
    until the form has its field or :data:`NO_FIELD` says why not."""
    fields = {f.name for f in FORMS[action]}
    cli_parameters = set(_cli_parameters(action))
    missing = cli_parameters - fields - set(NO_FIELD[action])
    assert not missing, f"mcrkit {action}: options without a GUI field: {sorted(missing)}"
    assert set(NO_FIELD[action]) <= cli_parameters - fields  # no stale or doubled reasons
    assert all(reason.strip() for reason in NO_FIELD[action].values())


def test_descriptor_parameters_become_the_request() -> None:
    values = {"descriptors": ["two_point", "lineal_path"],
              "descriptor_options": "two_point.limit_to=5, lineal_path.directions=[[1, 1]]"}
    assert to_arguments("characterize", values)["descriptors"] == {
        "two_point": {"limit_to": 5}, "lineal_path": {"directions": [[1, 1]]}}
    with pytest.raises(FormError, match="descriptor parameters: sets parameters of "
                       "gram_matrices, which the descriptors field does not list") as error:
        to_arguments("characterize", {"descriptors": ["two_point"],
                                      "descriptor_options": "gram_matrices.seed=3"})
    assert error.value.field == "descriptor_options"
    assert to_arguments("reconstruct", {"start": "noise", "force": True}) == {
        "start": "noise", "force": True}
    assert to_arguments("match", {"judge_after": "0", "periodic": "non-periodic"}) == {
        "judge_after": 0, "periodic": False}


@pytest.mark.parametrize("action", list(CLI_COMMANDS))
def test_form_defaults_are_the_library_defaults(action) -> None:
    library = _library_parameters(action)
    shown = to_arguments(action, {f.name: f.default for f in FORMS[action]})
    assert shown or action == "properties"  # defaults are shown (properties has none)
    for name, value in shown.items():
        if (action, name) == ("export", "to"):  # the library reads it from the file name
            assert value == EXPORT_FORMAT and library[name].default is None
            continue
        default = library[name].default
        if default is inspect.Parameter.empty:  # the library asks for a value: the CLI's
            default = _cli_parameters(action)[name].default
        if isinstance(default, tuple):
            value = tuple(value)
        assert value == default, name
    left_empty = {f.name for f in FORMS[action]} - set(shown)
    for name in left_empty:  # an empty field: the library's own default (None), or, where
        # the command line's is None, the one the workflow chooses (match's judge_after)
        if name != "periodic" and name not in FOLDED:
            assert None in (library[name].default, _cli_parameters(action)[name].default) \
                or library[name].default is inspect.Parameter.empty, name


def test_form_values_become_library_arguments() -> None:
    values = {"shape": " 64x64x32 ", "weights": "two_point=1, lineal_path=10",
              "optimizer_options": "final_ratio=1e-5, interface=false, schedule=fast",
              "max_iter": 40.0, "seed": "7", "descriptors": ["two_point"], "polish": True,
              "time_limit": "2.5", "threshold": "otsu", "phases": None, "limit_to": ""}
    arguments = to_arguments("match", values)
    assert arguments["shape"] == (64, 64, 32) and arguments["max_iter"] == 40
    assert arguments["weights"] == {"two_point": 1.0, "lineal_path": 10.0}
    assert arguments["optimizer_options"] == {"final_ratio": 1e-5, "interface": False,
                                              "schedule": "fast"}
    assert arguments["seed"] == 7 and arguments["polish"] is True
    assert arguments["threshold"] == "otsu" and arguments["time_limit"] == 2.5
    assert "phases" not in arguments and "limit_to" not in arguments
    assert to_arguments("characterize", {"periodic": "non-periodic"}) == {"periodic": False}
    assert to_arguments("characterize", {"periodic": "default"}) == {}
    assert to_arguments("smooth", {"strength": "0, 2,2"}) == {"strength": (0.0, 2.0, 2.0)}


@pytest.mark.parametrize(("action", "values", "message"), [
    ("match", {"shape": "64 by 64"}, "shape of the result: needs two or three whole numbers"),
    ("match", {"shape": "64"}, "shape of the result: needs two or three whole numbers"),
    ("match", {"max_iter": "2.5"}, "iterations per level: needs a whole number, got '2.5'"),
    ("match", {"weights": "1,x"}, "weights: needs numbers"),
    ("match", {"optimizer_options": "final_ratio"}, "optimizer settings: needs NAME=VALUE"),
    ("match", {"threshold": "bright"}, "threshold (gray value or otsu): needs a gray value"),
    ("match", {"symmetry": "z"}, "symmetry of the 3D volume: needs one of auto, isotropic, x, y"),
    ("properties", {"phases": "0,one"}, "phases to measure: needs whole numbers"),
    ("export", {"voxel_size": "big"}, "voxel size: needs numbers"),
    ("match", {"optimizer": "newton"}, "optimizer: needs one of"),
    ("smooth", {"strength": "strong"}, "strength (voxels): needs a number or one per axis"),
])
def test_bad_form_values_name_the_field(action, values, message) -> None:
    with pytest.raises(FormError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        to_arguments(action, values)
    assert error.value.field == next(iter(values))  # the page marks that field


def test_fields_are_labelled_in_words() -> None:
    labels = {f.name: f.label for fields in FORMS.values() for f in fields}
    assert labels["c_to"] == "characterization at t = 1"
    assert labels["max_iter"] == "iterations per level"
    assert all("_" not in label for label in labels.values())


# ---- uploads ---------------------------------------------------------------------------
@pytest.fixture
def session(tmp_path):
    return SessionFiles(tmp_path)


def _npy_bytes(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_uploads_are_classified(session, tmp_path) -> None:
    import imageio.v3 as iio

    import mcrkit

    labels = mcrkit.data.load("pymks_ms_64x64_1")
    upload = session.save("pymks.npy", _npy_bytes(labels))
    assert upload.kind == "microstructure" and upload.path.parent == session.directory
    assert upload.summary == "microstructure: 2D 64 x 64, 2 phases"
    assert np.array_equal(np.load(upload.path), labels)
    gray = np.random.default_rng(0).integers(0, 255, (20, 30)).astype(np.uint8)
    assert session.save("micrograph.png",
                        iio.imwrite("<bytes>", gray, extension=".png")).kind == "gray image"
    path = mcrkit.characterize(labels, ["volume_fractions", "two_point"], limit_to=4).save(
        tmp_path / "c.npz")
    upload = session.save("c.npz", path.read_bytes())
    assert upload.kind == "characterization" and "two_point" in upload.summary
    assert [u.kind for u in session.of_kind("characterization", "microstructure")] == [
        "characterization", "microstructure"]


def test_a_refused_upload_says_why_and_is_deleted(session) -> None:
    with pytest.raises(UploadError, match=r"notes.txt: unknown file extension '.txt'"):
        session.save("notes.txt", b"hello\n")
    with pytest.raises(UploadError, match=r"broken.npy: cannot be read as a '.npy' file"):
        session.save("broken.npy", b"\x93NUMPY garbage")
    assert list(session.directory.iterdir()) == [] and session.uploads == []
    assert session.save("ok.npy", _npy_bytes(np.eye(3, dtype=np.uint8))).kind == "microstructure"


class _Marker:
    """Unpickling this would create a file: proof that uploads are never unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_pickled_uploads_are_refused_without_unpickling(session, tmp_path) -> None:
    marker = tmp_path / "unpickled"
    data = pickle.dumps(np.array([_Marker(marker)], dtype=object))
    payload = _npy_bytes(np.array([1, 2], dtype=np.uint8)).split(b"\n", 1)[0] + b"\n"
    for name, content in [("object.npy", _npy_bytes(np.array([_Marker(marker)], dtype=object))),
                          ("raw.npy", payload + data)]:
        with pytest.raises(UploadError):
            session.save(name, content)
    assert not marker.exists()


def test_upload_names_cannot_leave_the_session_directory(session, monkeypatch) -> None:
    first = session.save("../../evil name.npy", _npy_bytes(np.eye(3, dtype=np.uint8)))
    second = session.save("..\\evil name.npy", _npy_bytes(np.eye(3, dtype=np.uint8)))
    assert first.path.parent == second.path.parent == session.directory
    assert (first.name, second.path.name) == ("evil_name.npy", "evil_name-2.npy")
    monkeypatch.setattr(uploads_module, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(UploadError, match="more than the 0 MiB the page accepts"):
        session.save("big.npy", b"x" * 11)
    session.remove()
    assert not session.directory.exists()


# ---- jobs ------------------------------------------------------------------------------
def _wait(condition, seconds=300.0) -> None:
    """Waits until ``condition()`` holds; ``seconds`` only guards against a hang."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_jobs_run_one_at_a_time_in_order_and_errors_are_readable() -> None:
    queue = JobQueue()
    running, overlap, order = [], [], []
    lock = threading.Lock()

    def work(name, error=None):
        def run(job):
            with lock:
                running.append(name)
                overlap.append(len(running))
            time.sleep(0.05)
            with lock:
                running.remove(name)
                order.append(name)
            if error is not None:
                raise error
            if name == "d":
                warnings.warn("d.npy: 2 voxels undecided", RuntimeWarning, stacklevel=1)
            return Outcome(f"{name} done")
        return run

    jobs = [queue.submit(Job("smooth", "a", work("a"))),
            queue.submit(Job("smooth", "b", work("b", ValueError("b.npy: bad phases")))),
            queue.submit(Job("smooth", "c", work("c", RuntimeError("boom")))),
            queue.submit(Job("smooth", "d", work("d")))]
    skipped = queue.submit(Job("smooth", "e", work("e")))
    skipped.cancel()
    assert skipped.status == "cancelled"
    _wait(lambda: not any(j.active for j in queue.jobs))
    queue.shutdown(timeout=5)
    assert order == ["a", "b", "c", "d"] and max(overlap) == 1
    assert [j.status for j in jobs] == ["done", "failed", "failed", "done"]
    assert jobs[1].message == "b.npy: bad phases"
    assert jobs[2].message.startswith("internal error (RuntimeError: boom)")
    assert [j.id for j in queue.jobs] == [1, 2, 3, 4, 5]
    assert jobs[3].warnings == ["d.npy: 2 voxels undecided"] and jobs[0].warnings == []


def test_progress_estimates_the_time_left() -> None:
    assert Progress(iteration=5, total=20, elapsed=10.0).eta == pytest.approx(30.0)
    assert Progress().eta is None


@pytest.fixture(scope="module")
def characterization_upload(tmp_path_factory):
    import mcrkit

    folder = tmp_path_factory.mktemp("gui")
    c = mcrkit.characterize(mcrkit.data.load("pymks_ms_64x64_1")[:24, :24],
                            ["volume_fractions", "two_point"], limit_to=4)
    session = SessionFiles(folder)
    return session.save("target.npz", c.save(folder / "target.npz").read_bytes()), folder


def test_cancelling_a_running_reconstruction_keeps_its_result(characterization_upload) -> None:
    upload, folder = characterization_upload
    queue = JobQueue()
    job = queue.submit(make_job("reconstruct", upload, {
        "shape": "24 24", "max_iter": 500, "seed": 1, "device": "cpu",
        "descriptors": ["two_point"]}, folder / "runs"))
    waiting = queue.submit(make_job("reconstruct", upload, {"shape": "24 24", "max_iter": 3},
                                    folder / "runs"))
    assert waiting.status == "queued" and queue.ahead_of(waiting) == 1
    _wait(lambda: job.view()[0].iteration >= 3)
    progress, status = job.view()
    assert status == "running" and progress.total == 500 and progress.losses
    assert progress.snapshot is not None and progress.snapshot.shape == (24, 24)
    waiting.cancel()
    job.cancel()
    _wait(lambda: not job.active)
    queue.shutdown(timeout=30)
    assert job.status == "cancelled", job.message
    assert job.message.startswith("stopped on request after")
    assert f"saved in {job.outcome.result}" in job.message
    run = job.outcome.result
    assert json.loads((run / "run.json").read_text())["status"] == "stopped"
    saved = np.load(run / "reconstruction.npy")
    assert np.array_equal(saved, job.outcome.labels)
    assert job.outcome.files[0].name == "reconstruction.npy"
    assert {"run.json", "convergence.png"} <= {p.name for p in job.outcome.files}
    assert job.view()[0].iteration < 500
    assert waiting.status == "cancelled" and waiting.message == "cancelled before it started"
    assert [p.name for p in (folder / "runs").iterdir()] == [run.name]
    assert job.outcome.resume == run and "Resume continues the run" in job.message

    stopped = json.loads((run / "run.json").read_text())["iterations"]
    again = JobQueue()
    resumed = again.submit(resume_job(run))  # the same directory, from its checkpoint
    _wait(lambda: resumed.view()[0].iteration > stopped)
    assert resumed.view()[0].total == 500
    resumed.cancel()
    _wait(lambda: not resumed.active)
    again.shutdown(timeout=30)
    assert resumed.status == "cancelled" and resumed.outcome.resume == run, resumed.message
    record = json.loads((run / "run.json").read_text())
    assert stopped < record["iterations"] < 500 and record["status"] == "stopped"
    assert [p.name for p in (folder / "runs").iterdir()] == [run.name]


def test_a_finished_run_cannot_be_resumed_twice_and_an_empty_folder_not_at_all(tmp_path) -> None:
    with pytest.raises(ValueError, match="cannot resume, run.json is missing"):
        resume_job(tmp_path)


def test_saved_results_are_listed_and_read_back_as_the_job_showed_them(tmp_path) -> None:
    import mcrkit

    session = SessionFiles(tmp_path)
    image = mcrkit.data.load("pymks_ms_64x64_1")[:24, :24]
    upload = session.save("ms.npy", _npy_bytes(image))
    output = tmp_path / "out"
    job = make_job("match", upload, {"max_iter": 5, "seed": 2, "device": "cpu",
                                     "descriptors": ["two_point"], "limit_to": 4}, output)
    job.run()
    assert job.status == "done", job.message
    run = job.outcome.result
    [saved] = list_results(output)
    assert saved.path == run and saved.status == json.loads(
        (run / "run.json").read_text())["status"]
    opened = describe(run)  # e.g. from another browser session, after a restart
    report = json.loads((run / "report.json").read_text())
    assert opened.verdict == job.outcome.verdict == report["verdict"]["text"]
    assert np.array_equal(opened.original, image) and np.array_equal(
        opened.labels, np.load(run / "reconstruction.npy"))
    assert opened.products == [run / "reconstruction.npy"] and opened.resume is None
    fractions = next(t for t in opened.tables if t.title == "Volume fractions")
    expected = np.bincount(image.ravel()) / image.size
    assert [float(row[1]) for row in fractions.rows] == pytest.approx(expected, abs=1e-4)
    fidelity = next(t for t in opened.tables if t.title.startswith("Fidelity"))
    assert len(fidelity.rows) == len(report["lines"])
    assert opened.figures[0].name == "report.png"
    assert str(session.directory) not in (run / "run.json").read_text()  # named by file name
    assert "ms.npy" in report["original"]["source"]


def test_a_report_without_rows_is_not_shown_as_a_figure(tmp_path) -> None:
    verdict = {"text": "cannot judge"}
    (tmp_path / "report.json").write_text(json.dumps({"verdict": verdict, "lines": [],
                                                      "tolerance": 3.0}))
    for name in ("report.png", "convergence.png"):
        (tmp_path / name).write_bytes(b"")
    outcome = describe(tmp_path)
    assert [p.name for p in outcome.figures] == ["convergence.png"]
    assert outcome.verdict == "cannot judge"
    assert {p.name for p in outcome.files} == {"report.json", "report.png", "convergence.png"}


def test_properties_of_straight_channels(tmp_path) -> None:
    labels = np.zeros((8, 6, 6), dtype=np.uint8)
    labels[:, 1:3, 1:3] = 1  # channels along x: tortuosity 1 along x, none along y
    session = SessionFiles(tmp_path)
    upload = session.save("channels.npy", _npy_bytes(labels))
    job = make_job("properties", upload, {"phases": "1", "axes": "x, y"}, tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    [table] = job.outcome.tables
    rows = {row[1]: row[2] for row in table.rows}
    assert rows["volume fraction"] == f"{4 / 36:.4g}"
    assert float(rows["tortuosity factor along x"]) == pytest.approx(1.0, abs=1e-3)
    assert rows["tortuosity factor along y"] == "infinite (does not percolate)"
    assert rows["percolates along x"] == "yes" and rows["percolates along y"] == "no"


def test_compare_gives_the_verdict_of_the_validation_report(tmp_path) -> None:
    import mcrkit
    from mcrkit.metrics.report import validation_report

    image = mcrkit.data.load("pymks_ms_64x64_1")
    session = SessionFiles(tmp_path)
    original = session.save("original.npy", _npy_bytes(image[:16, :16]))
    result = session.save("result.npy", _npy_bytes(image[32:48, 32:48]))
    assert comparison_job(original, result.path, tmp_path).title == (
        "compare result.npy with original.npy")
    job = make_job("compare", original, {"result": str(result.path), "limit_to": 3},
                   tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    expected = validation_report(image[:16, :16], image[32:48, 32:48], limit_to=3)
    assert job.outcome.verdict == expected["verdict"]["text"]
    assert {p.name for p in job.outcome.files} == {"report.json", "report.png"}
    assert job.message.startswith("result.npy judged against original.npy")
    with pytest.raises(FormError, match="result to judge: needed"):
        make_job("compare", original, {}, tmp_path / "out")


def test_export_writes_a_file_other_tools_read(tmp_path) -> None:
    from mcrkit.io import read_microstructure

    labels = np.random.default_rng(0).integers(0, 3, (6, 5, 4)).astype(np.uint8)
    session = SessionFiles(tmp_path)
    upload = session.save("volume.npy", _npy_bytes(labels))
    job = make_job("export", upload, {"to": "tiff", "voxel_size": "0.5", "unit": "um"},
                   tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    [path] = job.outcome.files
    assert path.name == "volume.tif" and job.message == "wrote volume.tif"
    written = read_microstructure(path)
    assert np.array_equal(written.labels, labels)
    assert written.voxel_size == (0.5, 0.5, 0.5) and written.unit == "µm"


def test_the_preview_shows_a_gray_image_beside_its_segmentation(tmp_path) -> None:
    gray = np.array([[10, 200, 220, 30], [30, 220, 240, 50]], dtype=np.uint8)
    np.save(tmp_path / "gray.npy", gray)
    otsu = preview(tmp_path / "gray.npy", "gray image")
    assert [t for t, _ in otsu.pictures] == ["gray image", "phases"]
    assert otsu.fractions == [0.5, 0.5] and otsu.note.startswith("Otsu's threshold")
    high = preview(tmp_path / "gray.npy", "gray image", threshold=225)
    assert high.fractions == [7 / 8, 1 / 8] and high.note == "threshold 225"
    bad = preview(tmp_path / "gray.npy", "gray image", phases=9)
    assert len(bad.pictures) == 1 and bad.note.startswith("cannot segment it so")


def test_actions_check_their_input_and_form_before_queueing(characterization_upload) -> None:
    upload, folder = characterization_upload
    with pytest.raises(ValueError, match="match needs a microstructure or gray image; "
                                         "target.npz is a characterization"):
        make_job("match", upload, {}, folder)
    with pytest.raises(FormError, match=r"shape of the result: needed \(e.g. 64 64 64\)") as error:
        make_job("reconstruct", upload, {}, folder)
    assert error.value.field == "shape"
    with pytest.raises(FormError, match="seed: needs a whole number"):
        make_job("reconstruct", upload, {"shape": "8 8", "seed": "abc"}, folder)


def test_a_characterization_job_offers_its_result_as_an_input(tmp_path) -> None:
    import mcrkit

    session = SessionFiles(tmp_path)
    upload = session.save("ms.npy", _npy_bytes(mcrkit.data.load("pymks_ms_64x64_1")[:16, :16]))
    job = make_job("characterize", upload, {"descriptors": ["volume_fractions", "two_point"],
                                            "limit_to": 3}, tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    [product] = job.outcome.products
    loaded = mcrkit.Characterization.load(product)
    assert loaded.names == ["volume_fractions", "two_point"]
    assert {p.suffix for p in job.outcome.files} == {".npz", ".png"}
    assert "ms.npy" in job.message and str(session.directory) not in job.message


# ---- pictures --------------------------------------------------------------------------
def test_pictures_show_x_to_the_right_and_y_up() -> None:
    import base64

    import imageio.v3 as iio

    labels = np.zeros((4, 3), dtype=np.uint8)
    labels[3, 0] = 1  # x = 3 (right), y = 0 (bottom)
    [(title, url)] = slice_images(labels)
    image = iio.imread(base64.b64decode(url.split(",", 1)[1]))
    scale = image.shape[1] // 4
    assert title == "4 x 3 (x right, y up)" and image.shape == (3 * scale, 4 * scale, 3)
    bright = image[..., 0] > 128
    assert bright[-1, -1] and bright[-scale:, -scale:].all() and bright.sum() == scale**2
    volume = np.zeros((5, 6, 7), dtype=np.uint8)
    volume[:, :, 6] = 1
    titles = [t for t, _ in slice_images(volume, (0.0, 0.99, 1.0))]
    assert titles == ["normal to x, x = 0 of 5 (y right, z up)",
                      "normal to y, y = 5 of 6 (x right, z up)",
                      "normal to z, z = 6 of 7 (x right, y up)"]
    up = [iio.imread(base64.b64decode(u.split(",", 1)[1]))[..., 0] > 128
          for _, u in slice_images(volume)[:2]]
    assert all(image[0].all() and not image[-1].any() for image in up)  # z = 6 at the top


# ---- command line ----------------------------------------------------------------------
def test_gui_command_prints_the_address_and_warns_off_localhost(monkeypatch) -> None:
    from typer.testing import CliRunner

    import mcrkit.gui.app as gui_app
    from mcrkit.cli import app

    calls = []

    def fake_serve(host, port, output, *, ready):
        calls.append((host, port, str(output)))
        ready()

    monkeypatch.setattr(gui_app, "serve", fake_serve)
    runner = CliRunner()
    local = runner.invoke(app, ["gui"])
    assert local.exit_code == 0 and "http://127.0.0.1:8080" in local.output
    assert "authentication" not in local.output
    remote = runner.invoke(app, ["gui", "--host", "0.0.0.0", "--port", "9000", "-o", "out"])
    assert remote.exit_code == 0 and "http://0.0.0.0:9000" in remote.output
    assert "there is no authentication" in remote.output
    assert calls == [("127.0.0.1", 8080, "mcrkit-runs"), ("0.0.0.0", 9000, "out")]


def test_a_busy_port_is_refused_with_advice() -> None:
    import socket

    from mcrkit.gui.app import check_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}.*--port"):
            check_port("127.0.0.1", port)


def test_the_command_line_does_not_load_the_gui_stack() -> None:
    code = ("import sys, mcrkit.cli; "
            "print(sorted(m for m in ('nicegui', 'fastapi', 'uvicorn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=300)
    assert result.stdout.strip() == "[]"


def test_merge_and_interpolate_jobs_feed_reconstructions(tmp_path) -> None:
    import mcrkit

    image = mcrkit.data.load("pymks_ms_64x64_1")
    session = SessionFiles(tmp_path)
    ends = []
    for name, crop in [("a.npz", image[:32, :32]), ("b.npz", image[32:, 32:])]:
        c = mcrkit.characterize(crop, ["volume_fractions", "two_point"], limit_to=4)
        ends.append(session.save(name, c.save(tmp_path / name).read_bytes()))
    job = make_job("interpolate", ends[0], {"c_to": str(ends[1].path), "n_steps": 3},
                   tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    assert job.message.splitlines() == ["step_00.npz: t = 0", "step_01.npz: t = 0.5",
                                        "step_02.npz: t = 1"]
    first, middle, last = (mcrkit.Characterization.load(p) for p in job.outcome.products)
    np.testing.assert_allclose(middle.values["two_point"],
                               (first.values["two_point"] + last.values["two_point"]) / 2)
    merge = make_job("merge", ends[0], {"views": [str(ends[1].path)], "tolerance": 1.0},
                     tmp_path / "out")
    merge.run()
    assert merge.status == "done", merge.message
    assert "\na.npz: normal to x" in merge.message and "b.npz: normal to z" in merge.message
    merged = mcrkit.Characterization.load(merge.outcome.products[0])
    assert merged.per_axis and str(tmp_path) not in merge.message
    with pytest.raises(ValueError, match=r"characterization at t = 1: needed"):
        make_job("interpolate", ends[0], {"n_steps": 3}, tmp_path / "out")


def test_results_export_to_other_tools_formats(tmp_path) -> None:
    import mcrkit
    from mcrkit.gui.actions import export_formats, export_result
    from mcrkit.io import read_microstructure
    from mcrkit.io.vti import read_vti

    session = SessionFiles(tmp_path)
    upload = session.save("ms.npy", _npy_bytes(mcrkit.data.load("pymks_ms_64x64_1")[:20, :24]))
    job = make_job("smooth", upload, {"strength": "1"}, tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    labels = job.outcome.labels
    assert export_formats(job.outcome) == ("vti", "tiff", "h5", "png")
    for fmt in ("tiff", "h5", "png"):
        path = export_result(job.outcome, fmt)
        assert path.parent.name == "exports" and path.stem == "ms-smoothed"
        assert np.array_equal(read_microstructure(path).labels, labels), fmt
    assert np.array_equal(read_vti(export_result(job.outcome, "vti"))["labels"], labels)
    with pytest.raises(ValueError, match="cannot export this result as 'stl'"):
        export_result(job.outcome, "stl")
    assert export_formats(Outcome("no structure")) == ()


@pytest.mark.parametrize(("require", "outcome"), [("", "1 skipped"), ("1", "1 error")])
def test_the_browser_test_skips_without_a_browser_unless_required(require, outcome) -> None:
    from pathlib import Path

    test = Path(__file__).with_name("test_gui_e2e.py")
    env = {**os.environ, "MCRKIT_CHROMIUM": "/nonexistent/chromium",
           "MCRKIT_REQUIRE_BROWSER": require}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                             str(test)], capture_output=True, text=True, env=env, timeout=300)
    assert outcome in result.stdout, result.stdout
    reason = "/nonexistent/chromium is missing (Debian: apt-get install chromium)"
    assert reason in result.stdout
    assert ("MCRKIT_REQUIRE_BROWSER=1 but" in result.stdout) == (require == "1")


def test_a_gray_image_is_segmented_as_the_form_says(tmp_path) -> None:
    import imageio.v3 as iio

    import mcrkit

    labels = mcrkit.data.load("pymks_ms_64x64_1")[:24, :24]
    gray = np.where(labels == 1, 200, 40) + np.random.default_rng(1).integers(0, 20, labels.shape)
    session = SessionFiles(tmp_path)
    upload = session.save("micrograph.png", iio.imwrite("<bytes>", gray.astype(np.uint8),
                                                        extension=".png"))
    assert upload.kind == "gray image" and "choose a threshold" in upload.summary
    unsegmented = make_job("characterize", upload, {"descriptors": ["volume_fractions"]},
                           tmp_path / "out")
    unsegmented.run()
    assert unsegmented.status == "failed" and "segment it" in unsegmented.message
    assert unsegmented.message.startswith("micrograph.png: ")
    job = make_job("characterize", upload, {"descriptors": ["volume_fractions"],
                                            "threshold": "otsu"}, tmp_path / "out")
    job.run()
    assert job.status == "done", job.message
    fractions = mcrkit.Characterization.load(job.outcome.products[0]).values["volume_fractions"]
    np.testing.assert_allclose(np.ravel(fractions), np.bincount(labels.ravel()) / labels.size)
    assert [p.name for p in (tmp_path / "out").iterdir()] == [job.outcome.products[0].parent.name]
