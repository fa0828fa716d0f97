"""Results saved in the output folder: listed, and read back as the page shows them.

Every job writes into a directory of its own under the server's output folder.
:func:`describe` reads such a directory into the
:class:`~mcrkit.gui.jobs.Outcome` the page shows (summary, the one verdict,
tables, figures, the structure beside its original, downloads), both when a
job ends and when a directory is opened later, from another browser session
or after the server restarted, so a result always looks the same.
:func:`list_results` lists the directories, newest first.

=========================  ==========================================================
file in the directory      shown as
=========================  ==========================================================
``run.json`` (a run)       the run's end, its descriptor errors, Resume if it stopped
``reconstruction.npy``,    the resulting structure (offered as an input), beside
other ``.npy``             ``original.npy`` when there is one, with volume fractions
``report.json``            the one verdict and the fidelity table
``*.npz``                  a characterization: its descriptors (offered as an input)
``properties.json``        the table of :func:`mcrkit.workflows.properties`
``*.png``                  figures (a report without rows is not shown)
=========================  ==========================================================
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.gui.jobs import Outcome, Table

__all__ = ["SavedResult", "describe", "list_results", "structure_of"]

ORIGINAL = "original.npy"
"""The structure a result was made from, kept beside it (run directories, smoothing)."""

PROPERTIES = "properties.json"
"""The table a properties job writes."""

RESUMABLE = ("stopped", "interrupted", "running")
"""``run.json`` statuses of a run that ended early (``running``: the server stopped)."""


@dataclass(frozen=True)
class SavedResult:
    """One directory of the output folder.

    Attributes
    ----------
    path : Path
    status : str
        A run's status (``max_iter``, ``converged``, ``stopped``, ...) or ``saved``.
    modified : float
        When its newest file was written (seconds since the epoch).
    """

    path: Path
    status: str
    modified: float

    @property
    def when(self) -> str:
        """``YYYY-MM-DD HH:MM`` of :attr:`modified`, local time."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.modified))


def _files(folder: Path) -> list[Path]:
    """The directory's finished files (no temporary ones, no checkpoint), by name."""
    from mcrkit.io.rundir import RunDirectory

    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and ".tmp" not in p.name and p.name != RunDirectory.CHECKPOINT)


def _run_status(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / "run.json").read_text())["status"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_results(output: Path) -> list[SavedResult]:
    """The result directories in ``output``, newest first (an absent folder has none).

    Examples
    --------
    >>> import tempfile
    >>> output = Path(tempfile.mkdtemp())
    >>> (output / "a-smooth").mkdir(); _ = (output / "a-smooth" / "a.npy").write_bytes(b"")
    >>> (output / "empty").mkdir()
    >>> [(r.path.name, r.status) for r in list_results(output)]
    [('a-smooth', 'saved')]
    """
    if not output.is_dir():
        return []
    found = []
    for folder in output.iterdir():
        files = _files(folder) if folder.is_dir() else []
        if files:
            found.append(SavedResult(folder, _run_status(folder) or "saved",
                                     max(p.stat().st_mtime for p in files)))
    return sorted(found, key=lambda r: (-r.modified, r.path.name))


def structure_of(folder: Path) -> Path | None:
    """The resulting structure of a result directory: a run's ``reconstruction.npy``, else
    its first ``.npy`` other than the original (None if it holds none)."""
    structures = [p for p in _files(folder) if p.suffix == ".npy" and p.name != ORIGINAL]
    preferred = [p for p in structures if p.name == "reconstruction.npy"]
    return (preferred or structures or [None])[0]


def describe(folder: Path, message: str = "") -> Outcome:
    """What a result directory holds, as the page shows it (see the module docstring).

    Parameters
    ----------
    folder : Path
        A directory a job of the page (or a ``mcrkit reconstruct``/``match`` run) wrote.
    message : str, optional
        A first line of the summary (e.g. why a run stopped).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> labels = np.zeros((4, 4), dtype=np.uint8); labels[0] = 1
    >>> np.save(folder / "ms-smoothed.npy", labels); np.save(folder / ORIGINAL, 1 - labels)
    >>> outcome = describe(folder)
    >>> [p.name for p in outcome.products], outcome.tables[0].rows
    (['ms-smoothed.npy'], [['0', '0.25', '0.75'], ['1', '0.75', '0.25']])
    """
    files = _files(folder)
    status = _run_status(folder)
    lines = [message] if message else []
    outcome = Outcome("", files=_download_order(files))
    structure = structure_of(folder)
    if structure is not None:
        outcome.labels = np.load(structure, allow_pickle=False)
        outcome.result = folder if status is not None else structure
        outcome.products.append(structure)
    if (folder / ORIGINAL).is_file():
        outcome.original = np.load(folder / ORIGINAL, allow_pickle=False)
    if status is not None:
        lines += _run(folder, status, outcome)
    outcome.tables += _fractions(outcome.original, outcome.labels)
    report = _json(folder / "report.json")
    if report is not None:
        outcome.verdict = report["verdict"]["text"]
        if report.get("assumption"):
            lines.append(report["assumption"]["text"].strip())
        outcome.tables.append(_fidelity(report))
    for path in files:
        if path.suffix == ".npz" and status is None:
            lines += _characterization(path, outcome)
    properties = _json(folder / PROPERTIES)
    if properties is not None:
        outcome.tables.append(_properties(properties))
    outcome.figures = [p for p in files if p.suffix == ".png"
                       and not (p.name == "report.png" and not (report or {}).get("lines"))]
    outcome.figures.sort(key=lambda p: p.name != "report.png")
    outcome.message = "\n".join(lines)
    return outcome


def _download_order(files: list[Path]) -> list[Path]:
    """The result first, then the rest by name."""
    first = [p for p in files if p.name in ("reconstruction.npy", "run.json")]
    return first + [p for p in files if p not in first]


def _json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


_ENDS = {"max_iter": "ran its iterations", "converged": "converged",
         "stopped": "stopped before its end", "interrupted": "was interrupted",
         "running": "ended with the server, before its end",
         "starting": "was stopped while starting"}


def _run(folder: Path, status: str, outcome: Outcome) -> list[str]:
    """A run's summary lines and its descriptor errors; Resume when it ended early."""
    run = _json(folder / "run.json") or {}
    settings = run.get("settings", {})
    lines = []
    if "iterations" in run:
        total = run.get("timings", {}).get("total", float("nan"))
        lines.append(f"The run {_ENDS.get(status, status)}: {run['iterations']} iterations, "
                     f"{total:.1f} s; loss of the discrete result {run.get('loss', 0):.3e}, "
                     f"undecided voxels {run.get('undecided', 0):.2%}.")
    else:
        lines.append(f"The run {_ENDS.get(status, status)}.")
    if settings.get("defaults"):
        lines.append("Defaults: " + " ".join(
            part.strip() for part in str(settings["defaults"]).splitlines()))
    if run.get("errors"):
        outcome.tables.append(Table(
            "Descriptor errors of the discrete result", ["descriptor",
                                                         f"error ({settings.get('loss', '')})"],
            [[name, f"{value:.3e}"] for name, value in run["errors"].items()]))
    if status in RESUMABLE:
        outcome.resume = folder
    return lines


def _fractions(original: np.ndarray | None, result: np.ndarray | None) -> list[Table]:
    """Volume fractions per phase, the original's beside the result's."""
    shown = [(name, labels) for name, labels in (("original", original), ("result", result))
             if labels is not None]
    if not shown:
        return []
    n_phases = max(int(labels.max()) + 1 for _, labels in shown)
    fractions = [np.bincount(labels.ravel(), minlength=n_phases) / labels.size
                 for _, labels in shown]
    return [Table("Volume fractions", ["phase", *(name for name, _ in shown)],
                  [[str(p), *(f"{f[p]:.4g}" for f in fractions)] for p in range(n_phases)])]


def _fidelity(report: dict[str, Any]) -> Table:
    from mcrkit.metrics.verdict import row_cells

    against = "original" if report.get("original") else "target"
    lines = report["lines"]
    passed = sum(line["passed"] is True for line in lines)
    return Table(f"Fidelity vs the {against}: {passed} of {len(lines)} rows pass (deviation "
                 f"at most the pass line, {report['tolerance']:g} natural spreads)",
                 ["statistic", "phase", "axis", against, "result", "deviation", "spread",
                  "pass line", "verdict"], [row_cells(line) for line in lines])


def _characterization(path: Path, outcome: Outcome) -> list[str]:
    """A characterization file's summary (and where a merge or interpolation put it)."""
    from mcrkit.characterization import Characterization, CharacterizationFileError

    try:
        c = Characterization.load(path)
    except CharacterizationFileError:
        return []
    outcome.products.append(path)
    shape = " x ".join(str(s) for s in c.shape)
    lines = []
    if "interpolate" in c.provenance:
        return [f"{path.name}: t = {c.provenance['interpolate']['t']:.4g}"]
    if "merge" in c.provenance:
        from mcrkit.workflows.merge import format_realizability

        details = c.provenance["merge"]
        lines += [f"{view['name']}: " + ", ".join(
            f"normal to {axis}: rows along {order[0]}, columns along {order[1]}"
            for axis, order in view["slices"].items()) for view in details["views"]]
        lines.append(format_realizability(details["realizability"]))
    lines.insert(0, f"{path.name}: characterization of a {len(c.shape)}D {shape} structure "
                    f"({Path(c.source).name}), {c.n_phases} phases.")
    outcome.tables.append(Table(f"Descriptors in {path.name}", ["descriptor", "values"], [
        [name, _values(np.asarray(c.values[name]), name)] for name in c.names]))
    return lines


def _values(value: np.ndarray, name: str) -> str:
    if name == "volume_fractions":
        return ", ".join(f"{v:.4g}" for v in value.ravel())
    return f"array of shape {' x '.join(str(s) for s in value.shape)}"


_PROPERTY_ROWS = (("volume_fraction", "volume fraction"),
                  ("specific_surface_area", "specific surface area"),
                  ("largest_cluster_fraction", "largest cluster fraction"),
                  ("percolates", "percolates along"),
                  ("tortuosity_factor", "tortuosity factor along"),
                  ("effective_diffusivity", "effective diffusivity along"))


def _properties(table: dict[str, Any]) -> Table:
    """:func:`mcrkit.workflows.properties`' table: one row per phase and quantity (per axis)."""
    columns = [name for name in ("result", "original") if name in table]
    rows = []
    for phase in table["result"]["phases"]:
        for key, label in _PROPERTY_ROWS:
            values = [table[name]["phases"][phase][key] for name in columns]
            if isinstance(values[0], dict):
                rows += [[phase, f"{label} {axis}", *(_property(key, v[axis]) for v in values)]
                         for axis in table["axes"]]
            else:
                rows.append([phase, label, *(_property(key, v) for v in values)])
    names = {"result": "input", "original": "original"}
    return Table("Effective properties", ["phase", "quantity", *(names[c] for c in columns)],
                 rows)


def _property(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:  # JSON's stand-in for infinity (tortuosity) or NaN (an empty phase)
        return "infinite (does not percolate)" if key == "tortuosity_factor" else "-"
    return f"{value:.4g}"
