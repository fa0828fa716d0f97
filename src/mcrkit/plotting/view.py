"""One entry point for pictures: :func:`view` picks the figure that fits what it is given.

=========================================  ===========================================
given                                      figure (function in ``mcrkit.plotting``)
=========================================  ===========================================
``Microstructure``, label array, file      ``plot_microstructure``: 2D image, or three
(``.npy``, ``.tif``, ``.png``, ...)        slices and a cube of a volume
``Characterization`` or its ``.npz``       ``plot_characterization``
run directory, ``convergence.npz``,        ``plot_convergence``: loss with clickable
``ReconstructionResult``                   snapshots
``report.json``                            ``plot_report``: the validation report
image file or array with ``threshold`` or  ``plot_segmentation``: the image, its gray
``phases``                                 levels with the cut(s), and the phases
=========================================  ===========================================

``kind`` overrides the choice: ``"microstructure"`` shows a run's result
(beside the original a ``match`` run keeps in ``original.npy``) or only the
phases of a segmented image, ``"surface"`` renders a volume's phase
boundaries in 3D with pyvista (the ``viz`` extra).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["KINDS", "view"]

KINDS = ("microstructure", "characterization", "convergence", "report", "surface",
         "segmentation")
"""Figure kinds :func:`view` draws."""


def _is_characterization_file(path: Path) -> bool:
    if path.suffix.lower() != ".npz" or not path.is_file():
        return False
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            return "metadata" in data.files
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return False  # the microstructure reader says what is wrong with the file


def _read_report(path: Path) -> dict[str, Any]:
    import json

    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot be read as a validation report ({exc})") from None
    if not isinstance(report, dict) or report.get("format") != "mcrkit.metrics.report":
        raise ValueError(f"{path}: is not a validation report (report.json written by mcrkit)")
    return report


def _segmented(obj: Any, kind: str | None, segmentation: dict[str, Any]) -> tuple[str, Any]:
    """The figure kind and what to draw for an image given with ``threshold``/``phases``."""
    from mcrkit.io.inputs import as_microstructure
    from mcrkit.io.readers import read_image
    from mcrkit.microstructure import Microstructure

    path = Path(obj) if isinstance(obj, str | os.PathLike) else None
    if isinstance(obj, Microstructure) or hasattr(obj, "history") or (path is not None and (
            path.is_dir() or path.suffix.lower() == ".json" or _is_characterization_file(path))):
        what = f"a {type(obj).__name__}" if path is None else f"{path}"
        raise ValueError(f"threshold and phases segment a gray image; {what} is not one: "
                         "view it without them")
    if kind not in (None, "segmentation", "microstructure", "surface"):
        raise ValueError(f"a segmented image cannot be drawn as kind={kind!r}")
    ms = as_microstructure(obj, **segmentation)
    if kind is not None and kind != "segmentation":
        return kind, ms
    image = read_image(path) if path is not None else np.asarray(obj)
    return "segmentation", (image, ms)


def _load(obj: Any, kind: str | None) -> tuple[str, Any]:
    """The figure kind for ``obj`` and the object to draw."""
    from mcrkit.characterization import Characterization
    from mcrkit.io.inputs import as_microstructure
    from mcrkit.microstructure import Microstructure

    name = "the array"
    if isinstance(obj, str | os.PathLike):
        path = Path(obj)
        name = str(path)
        if path.is_dir() or path.name == "convergence.npz":
            from mcrkit.io.rundir import RunDirectory

            run = RunDirectory(path if path.is_dir() else path.parent)
            if kind in ("microstructure", "surface"):
                from mcrkit.io.exports import load_result

                return kind, load_result(run.path)
            if kind == "characterization":
                return kind, Characterization.load(run.file(RunDirectory.TARGET))
            if kind == "report":
                return kind, _read_report(run.file("report.json"))
            return "convergence", run.path
        if path.suffix.lower() == ".json":
            return "report", _read_report(path)
        if _is_characterization_file(path):
            return "characterization", Characterization.load(path)
        obj = as_microstructure(obj)
    if isinstance(obj, Characterization):
        return "characterization", obj
    if isinstance(obj, Microstructure | np.ndarray | list):
        if kind not in (None, "microstructure", "surface"):
            source = "a characterization file or a run directory" \
                if kind == "characterization" else "a run directory"
            raise ValueError(f"{name}: is a microstructure, which cannot be drawn as "
                             f"kind={kind!r} (a {kind} is drawn from {source}); draw it as "
                             "microstructure or surface")
        return kind or "microstructure", as_microstructure(obj)
    if hasattr(obj, "history"):
        if kind in ("microstructure", "surface"):
            return kind, obj.microstructure
        return "convergence", obj
    raise TypeError(f"cannot draw a {type(obj).__name__}; give a microstructure, a "
                    "characterization, a run directory or a reconstruction result")


def view(obj: Any, *, kind: str | None = None, save: str | os.PathLike[str] | None = None,
         threshold: float | str | None = None, phases: int | None = None,
         **options: Any) -> Any:
    """Draw a microstructure, a characterization or a run (see the module docstring).

    Parameters
    ----------
    obj : Microstructure, array, Characterization, ReconstructionResult or path
        What to draw; a path is a microstructure file, a characterization
        ``.npz`` or a run directory.
    kind : str, optional
        One of :data:`KINDS`; default: chosen from ``obj``.
    save : path, optional
        Render headless to this file (format from the suffix) and close the
        figure; otherwise the figure is interactive (sliders, clickable
        snapshots) until shown with ``matplotlib.pyplot.show()``.
    threshold : float or "otsu", optional
        Segment a gray image into two phases (as
        :func:`mcrkit.io.read_microstructure`) and show the segmentation
        beside the image (``kind="segmentation"``, the default then).
    phases : int, optional
        Segment a gray image into this many phases, shown likewise.
    **options
        Passed to the figure function (e.g. ``title``, ``snapshot``).

    Returns
    -------
    matplotlib.figure.Figure
        (a ``pyvista.Plotter`` for ``kind="surface"``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "view.png")
    >>> fig = view(np.indices((8, 8)).sum(0) % 2, save=path)
    >>> os.path.getsize(path) > 1000
    True
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown view kind {kind!r}; choose one of {', '.join(KINDS)}")
    segmentation = {key: value for key, value in {"threshold": threshold, "phases": phases
                                                  }.items() if value is not None}
    if kind == "segmentation" and not segmentation:
        raise ValueError("kind='segmentation' shows how a gray image is segmented: give "
                         "threshold=VALUE (a gray value or 'otsu') or phases=N")
    chosen, target = _segmented(obj, kind, segmentation) if segmentation else _load(obj, kind)
    if kind is not None and chosen != kind:
        raise ValueError(f"a {chosen} cannot be drawn as kind={kind!r}")
    if chosen == "characterization":
        from mcrkit.plotting.characterization import plot_characterization

        return plot_characterization(target, save=save, **options)
    if chosen == "convergence":
        from mcrkit.plotting.convergence import plot_convergence

        return plot_convergence(target, save=save, **options)
    if chosen == "report":
        from mcrkit.plotting.report import plot_report

        return plot_report(target, save=save, **options)
    if chosen == "surface":
        from mcrkit.plotting.surface import plot_surface

        return plot_surface(target, save=save, **options)
    if chosen == "segmentation":
        from mcrkit.plotting.segmentation import plot_segmentation

        return plot_segmentation(*target, save=save, **options)
    from mcrkit.plotting.microstructure import plot_microstructure

    if isinstance(obj, str | os.PathLike) and Path(obj).is_dir() and "original" not in options:
        options["original"] = _run_original(Path(obj))
    return plot_microstructure(target, save=save, **options)


def _run_original(run_dir: Path) -> Any:
    """The structure a ``match`` run started from (``original.npy``), if it kept one."""
    from mcrkit.io.rundir import RunDirectory

    return RunDirectory(run_dir).read_original()
