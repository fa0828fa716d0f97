"""The page's actions as jobs: each calls one library function with the form's arguments.

============  ==============================  =========================================
action        input                           result (downloads)
============  ==============================  =========================================
characterize  microstructure or gray image    ``.npz`` characterization, its figure
reconstruct   characterization                run directory (labels, run.json, ...)
match         microstructure or gray image    run directory, compared with the input
merge         2D characterization (+ views)   per-axis ``.npz``, realizability, figure
interpolate   characterization (t = 0)        ``step_00.npz``, ``step_01.npz``, ...
smooth        microstructure or gray image    ``.npy`` microstructure, its figure
properties    microstructure or gray image    ``properties.json`` (tortuosity, ...)
compare       microstructure or gray image    ``report.json`` and ``report.png``: the
              (the original)                  one verdict on a result
export        microstructure or gray image    a file for another tool (.vti, .tif, ...)
view          microstructure or               figure (:func:`mcrkit.view`)
              characterization
============  ==============================  =========================================

Every result lands in a new directory under the server's output directory
(the command line's default, ``./mcrkit-runs``), so nothing is lost when the
server stops, and is read back by :func:`mcrkit.gui.results.describe`; results
that can feed another action (a characterization, a structure) are offered as
inputs. A run that stopped early continues with :func:`resume_job`. Inputs are
named by their file names (never the server's upload paths), in results and
figure titles alike.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mcrkit.gui.forms import FORMS, library_function, to_arguments
from mcrkit.gui.jobs import EXPECTED_ERRORS, Job, Outcome
from mcrkit.gui.results import ORIGINAL, PROPERTIES, describe
from mcrkit.gui.uploads import Upload

__all__ = ["ACTIONS", "INPUT_KINDS", "comparison_job", "export_formats", "export_result",
           "input_name", "make_job", "new_directory", "resume_job"]

ACTIONS = ("characterize", "reconstruct", "match", "merge", "interpolate", "smooth",
           "properties", "compare", "export", "view")

_STRUCTURE = ("microstructure", "gray image")

INPUT_KINDS: dict[str, tuple[str, ...]] = {
    "characterize": _STRUCTURE,
    "reconstruct": ("characterization",),
    "match": _STRUCTURE,
    "merge": ("characterization",),
    "interpolate": ("characterization",),
    "smooth": _STRUCTURE,
    "properties": _STRUCTURE,
    "compare": _STRUCTURE,
    "export": _STRUCTURE,
    "view": ("microstructure", "characterization"),
}
"""Upload kinds each action takes as its input."""

REQUIRED = {"reconstruct": {"shape": "e.g. 64 64 64"},
            "interpolate": {"c_to": "a characterization for t = 1", "n_steps": "e.g. 5"},
            "compare": {"result": "a structure to judge: upload one or run an action"},
            "export": {"to": "choose a format"}}
"""Fields an action cannot run without, with a hint for each."""


def new_directory(parent: Path, action: str, stem: str) -> Path:
    """Create a new directory ``parent/<stem>-<action>-<date>-<time>[-n]`` and return it.

    Created at once, so jobs started in the same second get directories of their own.
    """
    base = parent / f"{stem}-{action}-{time.strftime('%Y%m%d-%H%M%S')}"
    parent.mkdir(parents=True, exist_ok=True)
    candidate, n = base, 1
    while True:
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            n += 1
            candidate = base.with_name(f"{base.name}-{n}")


def _figure(obj: Any, path: Path) -> Path:
    from mcrkit.plotting.view import view

    view(obj, save=path)
    return path


def _read(upload: Upload, arguments: dict[str, Any],
          options: tuple[str, ...] = ("threshold", "phases")) -> Any:
    """The upload as a Microstructure named by its file name, segmented as the form says
    (the segmentation ``options`` are taken out of ``arguments``)."""
    from mcrkit.io import read_microstructure

    segmentation = {k: arguments.pop(k) for k in options if k in arguments}
    return dataclasses.replace(read_microstructure(upload.path, **segmentation),
                               source=upload.name)


def _stopped(job: Job, result: Any, run_dir: Path) -> str:
    if result.status == "stopped" and job.cancel_requested:
        return (f"stopped on request after {result.iterations} iterations; the result so far "
                f"is saved in {run_dir}. Resume continues the run.")
    return ""


def _reconstruction(job: Job, upload: Upload, arguments: dict[str, Any], run_dir: Path) -> Outcome:
    if job.action == "match":
        source: Any = _read(upload, arguments)
    else:
        source = str(upload.path)
    result = library_function(job.action)(source, callbacks=job.callback, run_dir=run_dir,
                                           **arguments)
    _figure(run_dir, run_dir / "convergence.png")
    return describe(run_dir, _stopped(job, result, run_dir))


def _resume(job: Job, run_dir: Path) -> Outcome:
    from mcrkit.workflows import resume

    result = resume(run_dir, callbacks=job.callback)
    _figure(run_dir, run_dir / "convergence.png")
    return describe(run_dir, _stopped(job, result, run_dir))


def _characterize(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import characterize

    result = characterize(_read(upload, arguments), **arguments)
    result.save(folder / f"{Path(upload.name).stem}.npz")
    _figure(result, folder / f"{Path(upload.name).stem}-characterization.png")
    return describe(folder)


def _merge(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import merge

    views = [str(upload.path), *arguments.pop("views", [])]
    merged = merge(views, arguments.pop("orientation", None), **arguments)
    merged.save(folder / f"{Path(upload.name).stem}-merged.npz")
    _figure(merged, folder / f"{Path(upload.name).stem}-merged.png")
    return describe(folder)


def _interpolate(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import interpolate

    steps = interpolate(str(upload.path), arguments["c_to"], arguments["n_steps"])
    width = max(2, len(str(len(steps) - 1)))
    for k, step in enumerate(steps):
        step.save(folder / f"step_{k:0{width}d}.npz")
    return describe(folder)


def _smooth(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    import numpy as np

    from mcrkit.io import write_microstructure
    from mcrkit.workflows import smooth

    original = _read(upload, arguments)
    result = smooth(original, **arguments)
    write_microstructure(folder / f"{Path(upload.name).stem}-smoothed.npy", result)
    np.save(folder / ORIGINAL, original.labels)  # shown beside the result
    _figure(result, folder / f"{Path(upload.name).stem}-smoothed.png")
    return describe(folder)


def _properties(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    import json

    from mcrkit.io import read_microstructure
    from mcrkit.workflows import properties

    threshold = arguments.get("threshold")
    volume = _read(upload, arguments, ("threshold",))  # phases: those to measure
    if "original" in arguments:
        path = Path(arguments["original"])
        arguments["original"] = dataclasses.replace(
            read_microstructure(path, threshold=threshold), source=path.name)
    table = properties(volume, **arguments)
    (folder / PROPERTIES).write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    return describe(folder)


def _compare(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.io.exports import load_result
    from mcrkit.metrics.report import validation_report, write_report
    from mcrkit.metrics.transverse import run_target

    original = _read(upload, arguments)
    chosen = Path(arguments.pop("result"))
    run_dir = chosen.parent if (chosen.parent / "run.json").is_file() else None
    result = dataclasses.replace(load_result(run_dir or chosen), source=(
        run_dir.name if run_dir is not None else chosen.name))
    report = validation_report(original, result, characterization=None if run_dir is None
                               else run_target(run_dir), **arguments)
    write_report(report, folder)
    return describe(folder, f"{result.source} judged against {original.source}.")


def _export(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.io.exports import export

    fmt = arguments.pop("to")
    suffix = {"tiff": "tif"}.get(fmt, fmt)
    written = export(upload.path, folder / f"{Path(upload.name).stem}.{suffix}", to=fmt,
                     **arguments)
    names = ", ".join(p.name for p in written[:3]) + (
        f" and {len(written) - 3} more" if len(written) > 3 else "")
    return Outcome(f"wrote {names}", files=written)


def _view(upload: Upload, folder: Path) -> Outcome:
    figure = _figure(str(upload.path), folder / f"{Path(upload.name).stem}.png")
    labels = None
    if upload.kind == "microstructure":
        from mcrkit.io import read_microstructure

        labels = read_microstructure(upload.path).labels
    return Outcome(upload.summary, [figure], labels=labels, figures=[figure])


def _named(action: str, stem: str, work: Any, output: Path, hidden: list[Path]) -> Any:
    """``work(job, folder)`` in a new directory, speaking of inputs by their names (never
    the session directory's path)."""
    def run(job: Job) -> Outcome:
        folder = job.folder = new_directory(output, action, stem)
        try:
            outcome = work(job, folder)
        except EXPECTED_ERRORS as exc:
            raise ValueError(_hide(str(exc), hidden)) from exc
        finally:
            if not any(folder.iterdir()):  # nothing came of it: no empty directory left
                folder.rmdir()
        outcome.message = _hide(outcome.message, hidden)
        return outcome
    return run


def _hide(text: str, folders: list[Path]) -> str:
    for folder in folders:
        text = text.replace(f"{folder}{os.sep}", "")
    return text


def make_job(action: str, upload: Upload, values: Mapping[str, Any], output: Path) -> Job:
    """A job for ``action`` on ``upload`` with the form's ``values``.

    Parameters
    ----------
    action : str
        One of :data:`ACTIONS`.
    upload : Upload
        The input (its kind must be one of :data:`INPUT_KINDS` for the action).
    values : mapping
        The form's values (see :func:`mcrkit.gui.forms.to_arguments`).
    output : Path
        Parent directory of the job's result directory.

    Raises
    ------
    ValueError
        For an input of the wrong kind or a form value that cannot be used
        (checked now, before the job queues; a :class:`~mcrkit.gui.forms.FormError`
        names the field).
    """
    from mcrkit.gui.forms import FormError

    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if upload.kind not in INPUT_KINDS[action]:
        raise ValueError(f"{action} needs a {' or '.join(INPUT_KINDS[action])}; {upload.name} "
                         f"is a {upload.kind}")
    arguments = {} if action == "view" else to_arguments(action, values)
    for f in FORMS.get(action, []):
        hint = REQUIRED.get(action, {}).get(f.name)
        if hint is not None and f.name not in arguments:
            raise FormError(f"{f.label}: needed ({hint})", field=f.name)
    work = {"reconstruct": lambda job, folder: _reconstruction(job, upload, arguments, folder),
            "match": lambda job, folder: _reconstruction(job, upload, arguments, folder),
            "characterize": lambda job, folder: _characterize(upload, arguments, folder),
            "merge": lambda job, folder: _merge(upload, arguments, folder),
            "interpolate": lambda job, folder: _interpolate(upload, arguments, folder),
            "smooth": lambda job, folder: _smooth(upload, arguments, folder),
            "properties": lambda job, folder: _properties(upload, arguments, folder),
            "compare": lambda job, folder: _compare(upload, arguments, folder),
            "export": lambda job, folder: _export(upload, arguments, folder),
            "view": lambda job, folder: _view(upload, folder)}[action]
    return Job(action, f"{action} {upload.name}",
               _named(action, Path(upload.name).stem, work, output, [upload.path.parent]),
               cancellable=action in ("reconstruct", "match"))


def resume_job(run_dir: Path) -> Job:
    """A job continuing the run in ``run_dir`` from its checkpoint (same settings, same
    directory; it can be stopped again).

    Raises
    ------
    ValueError
        If the directory holds no run that can continue (the message says why).
    """
    from mcrkit.io.rundir import RunDirectory

    RunDirectory.open(run_dir)  # a directory that cannot resume is refused now

    def work(job: Job) -> Outcome:
        return _resume(job, run_dir)

    job = Job("resume", f"resume {run_dir.name}", work, cancellable=True)
    job.folder = run_dir
    return job


def comparison_job(original: Upload, result: Path, output: Path) -> Job:
    """A job judging the structure ``result`` against ``original`` (the compare action
    with its defaults), e.g. for two saved results."""
    job = make_job("compare", original, {"result": str(result)}, output)
    job.title = f"compare {input_name(result)} with {original.name}"
    return job


def input_name(path: Path) -> str:
    """How a result is named as an input: a run's result by its run directory."""
    return f"{path.parent.name}.npy" if path.name == "reconstruction.npy" else path.name


def export_formats(outcome: Outcome) -> tuple[str, ...]:
    """Formats a finished job's structure can be exported to (PNG for 2D only)."""
    if outcome.result is None or outcome.labels is None:
        return ()
    return ("vti", "tiff", "h5") + (("png",) if outcome.labels.ndim == 2 else ())


def export_result(outcome: Outcome, fmt: str) -> Path:
    """Write a job's resulting structure as ``fmt`` (see :func:`mcrkit.io.exports.export`).

    The file goes to an ``exports`` directory beside the result and is
    written once; a later request for the same format reuses it.
    """
    from mcrkit.io.exports import export

    if fmt not in export_formats(outcome):
        raise ValueError(f"cannot export this result as {fmt!r}; choose one of "
                         f"{', '.join(export_formats(outcome)) or 'none'}")
    assert outcome.result is not None
    folder = (outcome.result if outcome.result.is_dir() else outcome.result.parent) / "exports"
    stem = "reconstruction" if outcome.result.is_dir() else outcome.result.stem
    path = folder / f"{stem}.{'tif' if fmt == 'tiff' else fmt}"
    if not path.exists():
        export(outcome.result, path, to=fmt)
    return path
