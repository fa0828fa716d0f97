"""The page's actions as jobs: each calls one workflow with the form's arguments.

============  ==============================  =========================================
action        input                           result (downloads)
============  ==============================  =========================================
characterize  microstructure or gray image    ``.npz`` characterization, its figure
reconstruct   characterization                run directory (labels, run.json, ...)
match         microstructure or gray image    run directory, compared with the input
merge         2D characterization (+ views)   per-axis ``.npz``, realizability, figure
interpolate   characterization (t = 0)        ``step_00.npz``, ``step_01.npz``, ...
smooth        microstructure or gray image    ``.npy`` microstructure, its figure
view          microstructure or               figure (:func:`mcrkit.view`)
              characterization
============  ==============================  =========================================

Every result lands in a new directory under the server's output directory
(the command line's default, ``./mcrkit-runs``), so nothing is lost when the
server stops; results that can feed another action (a characterization, a
smoothed structure) are offered as inputs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.gui.forms import library_function, to_arguments
from mcrkit.gui.jobs import EXPECTED_ERRORS, Job, Outcome
from mcrkit.gui.uploads import Upload

__all__ = ["ACTIONS", "INPUT_KINDS", "export_formats", "export_result", "make_job",
           "new_directory"]

ACTIONS = ("characterize", "reconstruct", "match", "merge", "interpolate", "smooth", "view")

INPUT_KINDS: dict[str, tuple[str, ...]] = {
    "characterize": ("microstructure", "gray image"),
    "reconstruct": ("characterization",),
    "match": ("microstructure", "gray image"),
    "merge": ("characterization",),
    "interpolate": ("characterization",),
    "smooth": ("microstructure", "gray image"),
    "view": ("microstructure", "characterization"),
}
"""Upload kinds each action takes as its input."""


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


def _run_files(run_dir: Path) -> list[Path]:
    """Files of a run directory to offer: the result first, no checkpoint."""
    from mcrkit.io.rundir import RunDirectory

    first = [run_dir / RunDirectory.RESULT, run_dir / RunDirectory.RUN]
    rest = sorted(p for p in run_dir.iterdir()
                  if p.is_file() and p not in first and p.name != RunDirectory.CHECKPOINT)
    return [p for p in first if p.exists()] + rest


def _reconstruction(job: Job, upload: Upload, arguments: dict[str, Any], run_dir: Path) -> Outcome:
    function = library_function(job.action)
    result = function(str(upload.path), callbacks=job.callback, run_dir=run_dir, **arguments)
    _figure(run_dir, run_dir / "convergence.png")
    summary = str(result)
    if result.status == "stopped" and job.cancel_requested:
        summary = (f"stopped on request after {result.iterations} iterations; the result so "
                   f"far is saved (continue with: mcrkit reconstruct --resume {run_dir}).\n"
                   f"{summary}")
    return Outcome(summary, _run_files(run_dir), labels=result.labels, result=run_dir)


def _characterize(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import characterize

    result = characterize(str(upload.path), **arguments)
    path = result.save(folder / f"{Path(upload.name).stem}.npz")
    figure = _figure(result, folder / f"{Path(upload.name).stem}-characterization.png")
    return Outcome(str(result), [path, figure], products=[path])


def _merge(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import merge
    from mcrkit.workflows.merge import format_realizability

    views = [str(upload.path), *arguments.pop("views", [])]
    merged = merge(views, arguments.pop("orientation", None), **arguments)
    path = merged.save(folder / f"{Path(upload.name).stem}-merged.npz")
    figure = _figure(merged, folder / f"{Path(upload.name).stem}-merged.png")
    details = merged.provenance["merge"]
    lines = [f"{view['name']}: " + ", ".join(
        f"normal to {axis}: rows along {order[0]}, columns along {order[1]}"
        for axis, order in view["slices"].items()) for view in details["views"]]
    return Outcome("\n".join([*lines, format_realizability(details["realizability"])]),
                   [path, figure], products=[path])


def _interpolate(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.workflows import interpolate

    steps = interpolate(str(upload.path), arguments["c_to"], arguments["n_steps"])
    width = max(2, len(str(len(steps) - 1)))
    paths = [step.save(folder / f"step_{k:0{width}d}.npz") for k, step in enumerate(steps)]
    lines = [f"{path.name}: t = {step.provenance['interpolate']['t']:.4g}"
             for path, step in zip(paths, steps, strict=True)]
    return Outcome("\n".join(lines), paths, products=paths)


def _smooth(upload: Upload, arguments: dict[str, Any], folder: Path) -> Outcome:
    from mcrkit.io import read_microstructure, write_microstructure
    from mcrkit.workflows import smooth

    segmentation = {k: arguments.pop(k) for k in ("threshold", "phases") if k in arguments}
    original = read_microstructure(upload.path, **segmentation)
    result = smooth(original, **arguments)
    path = write_microstructure(folder / f"{Path(upload.name).stem}-smoothed.npy", result)
    before = ", ".join(f"{v:.4f}" for v in original.volume_fractions())
    after = ", ".join(f"{v:.4f}" for v in result.volume_fractions())
    figure = _figure(result, folder / f"{Path(upload.name).stem}-smoothed.png")
    return Outcome(f"volume fractions {before} -> {after}", [path, figure],
                   labels=np.asarray(result.labels), products=[path], result=path)


def _view(upload: Upload, folder: Path) -> Outcome:
    figure = _figure(str(upload.path), folder / f"{Path(upload.name).stem}.png")
    labels = None
    if upload.kind == "microstructure":
        from mcrkit.io import read_microstructure

        labels = read_microstructure(upload.path).labels
    return Outcome(upload.summary, [figure], labels=labels)


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
        (checked now, before the job queues).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if upload.kind not in INPUT_KINDS[action]:
        raise ValueError(f"{action} needs a {' or '.join(INPUT_KINDS[action])}; {upload.name} "
                         f"is a {upload.kind}")
    arguments = {} if action == "view" else to_arguments(action, values)
    for needed, required_by, hint in [("shape", "reconstruct", "e.g. 64 64 64"),
                                      ("c_to", "interpolate", "a characterization for t = 1"),
                                      ("n_steps", "interpolate", "e.g. 5")]:
        if action == required_by and needed not in arguments:
            raise ValueError(f"{needed.replace('_', ' ')}: needed ({hint})")
    work = {"reconstruct": lambda job, folder: _reconstruction(job, upload, arguments, folder),
            "match": lambda job, folder: _reconstruction(job, upload, arguments, folder),
            "characterize": lambda job, folder: _characterize(upload, arguments, folder),
            "merge": lambda job, folder: _merge(upload, arguments, folder),
            "interpolate": lambda job, folder: _interpolate(upload, arguments, folder),
            "smooth": lambda job, folder: _smooth(upload, arguments, folder),
            "view": lambda job, folder: _view(upload, folder)}[action]

    def named(job: Job) -> Outcome:
        """The work in a new directory, speaking of uploads by their names (not the
        session directory's path)."""
        folder = new_directory(output, action, Path(upload.name).stem)
        uploaded = f"{upload.path.parent}{os.sep}"
        try:
            outcome = work(job, folder)
        except EXPECTED_ERRORS as exc:
            raise ValueError(str(exc).replace(uploaded, "")) from exc
        finally:
            if not any(folder.iterdir()):  # nothing came of it: no empty directory left
                folder.rmdir()
        outcome.message = outcome.message.replace(uploaded, "")
        return outcome

    return Job(action, f"{action} {upload.name}", named,
               cancellable=action in ("reconstruct", "match"))


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
