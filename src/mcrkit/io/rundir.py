"""The run directory: result, settings, convergence history and checkpoint of a run.

=========================  ==================================================
file                       content
=========================  ==================================================
``reconstruction.npy``     discrete labels (uint8), axes x, y[, z]
``run.json``               settings, seed, versions, status, timings, errors
``characterization.npz``   the target characterization (a resume needs it)
``original.npy``           phase labels of the structure matched (runs given
                           an ``original``, such as ``match``), for the report
``initial.npy``            phase labels of the given start structure (runs given
                           an ``initial``), so that a run killed before its first
                           checkpoint restarts from it
``convergence.npz``        the run's :class:`~mcrkit.io.convergence.Convergence`:
                           per iteration ``iteration``, ``level``, ``loss``,
                           ``evaluations``, ``elapsed``; ``snapshots``
                           (labels) and ``snapshot_fields`` (the relaxed
                           field's phase fractions x 255, uint8) at
                           ``snapshot_iterations``
``checkpoint.pt``          angles, level, optimizer state (tensors only,
                           read back with ``weights_only=True``)
``report.json``,           validation report of the result (:mod:`mcrkit.metrics.report`;
``report.png``             written at the end unless ``report=False``)
=========================  ==================================================

Every file is written under a temporary name and renamed, so a killed run
never leaves a corrupt file; the convergence file is written before the
checkpoint, and a resume keeps only the history up to the checkpoint. A run
writes ``run.json`` (its settings) and then a checkpoint of its start before
the first iteration: a directory killed in between has no checkpoint and a
resume restarts it from its settings, with the same result. Before anything else
a run writes ``run.json`` with the status ``starting``: a directory killed before
the settings replace it computed nothing, and a new run may use it as if empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcrkit.io.atomic import atomic_path, temporary_path
from mcrkit.io.convergence import SNAPSHOT_KEYS, Convergence

__all__ = ["SNAPSHOT_KEYS", "RunDirectory", "RunDirectoryError"]

FORMAT_VERSION = 1


class RunDirectoryError(ValueError):
    """A run directory cannot be created or read; the message says why and what to do."""


class RunDirectory:
    """Files of one reconstruction run (see the module docstring)."""

    RESULT = "reconstruction.npy"
    RUN = "run.json"
    TARGET = "characterization.npz"
    CONVERGENCE = "convergence.npz"
    CHECKPOINT = "checkpoint.pt"
    ORIGINAL = "original.npy"
    INITIAL = "initial.npy"
    REPORTS = ("report.json", "report.png")
    STARTING = "starting"
    """``run.json``'s status until the run has recorded its settings."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r})"

    def file(self, name: str) -> Path:
        """Path of one of the run's files."""
        return self.path / name

    @classmethod
    def create(cls, path: str | os.PathLike[str], *, overwrite: bool = False) -> RunDirectory:
        """Make a new run directory, or use an empty one; refuse one that is not empty
        unless ``overwrite`` (then a run in it is deleted first)."""
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise RunDirectoryError(f"{run.path}: exists and is not a directory; choose another "
                                    "output directory")
        if run.stopped_while_starting():  # computed nothing: its files are replaced
            run.remove_files(directory=False)
        holds_run = run.file(cls.RUN).exists() or run.file(cls.CHECKPOINT).exists()
        if holds_run and not overwrite:
            raise RunDirectoryError(
                f"{run.path}: already holds a reconstruction run; choose another output "
                f"directory, continue it with mcrkit.resume('{run.path}'), or replace it with "
                "overwrite=True"
            )
        if not overwrite and run.path.is_dir() and any(run.path.iterdir()):
            raise RunDirectoryError(
                f"{run.path}: is not empty; choose a new or empty output directory, or write "
                "into it with overwrite=True"
            )
        if holds_run:
            run.remove_files(directory=False)
        run.path.mkdir(parents=True, exist_ok=True)
        return run

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RunDirectory:
        """An existing run directory to resume: its settings and target (a checkpoint, if
        any, is read with :meth:`read_state`)."""
        run = cls(path)
        if run.stopped_while_starting():
            raise RunDirectoryError(
                f"{run.path}: the run was stopped while starting, before it recorded its "
                "settings, and computed nothing; start it again into it (its files are "
                "replaced; overwrite=True is not needed)"
            )
        for name in (cls.RUN, cls.TARGET):
            if not run.file(name).exists():
                raise RunDirectoryError(
                    f"{run.path}: cannot resume, {name} is missing; resume needs a run "
                    "directory written by mcrkit reconstruct or match"
                )
        return run

    def stopped_while_starting(self) -> bool:
        """Whether the directory holds only what a run writes before its settings: a
        ``run.json`` whose status is :attr:`STARTING` (written first), the target, original
        and start structure, and temporary files of these (a run killed while starting)."""
        if not self.path.is_dir():
            return False
        names = {p.name for p in self.path.iterdir()}
        starting = (self.RUN, self.TARGET, self.ORIGINAL, self.INITIAL)
        if not names or not names <= {*starting, *(_temporary(n) for n in starting)}:
            return False
        if self.RUN not in names:  # killed writing the first run.json, or nothing of a run
            return names == {_temporary(self.RUN)}
        try:
            return json.loads(self.file(self.RUN).read_text()).get("status") == self.STARTING
        except (OSError, ValueError, AttributeError):
            return False

    def has_checkpoint(self) -> bool:
        """Whether the run saved a state to continue from (else it restarts)."""
        return self.file(self.CHECKPOINT).exists()

    def remove_files(self, *, directory: bool) -> None:
        """Delete the run's files (and, with ``directory``, the then empty directory)."""
        for name in (self.RESULT, self.RUN, self.TARGET, self.CONVERGENCE, self.CHECKPOINT,
                     self.ORIGINAL, self.INITIAL, *self.REPORTS):
            self.file(name).unlink(missing_ok=True)
            self.file(_temporary(name)).unlink(missing_ok=True)  # of a killed write
        if directory:
            with contextlib.suppress(OSError):  # left alone if something else is in it
                self.path.rmdir()

    # ---- run.json -------------------------------------------------------------------
    def write_metadata(self, metadata: dict[str, Any]) -> None:
        """Write ``run.json``."""
        document = {"format": "mcrkit.run", "format_version": FORMAT_VERSION, **metadata}
        with atomic_path(self.file(self.RUN)) as tmp:
            tmp.write_text(json.dumps(document, indent=2, default=_json_default) + "\n")

    def read_metadata(self) -> dict[str, Any]:
        """Read and check ``run.json``."""
        path = self.file(self.RUN)
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise RunDirectoryError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != "mcrkit.run":
            raise RunDirectoryError(f"{path}: is not an mcrkit run description")
        if document.get("format_version", 0) > FORMAT_VERSION:
            raise RunDirectoryError(f"{path}: was written by a newer mcrkit; upgrade mcrkit")
        return document

    # ---- result, convergence, checkpoint ---------------------------------------------
    def write_result(self, labels: np.ndarray, name: str = RESULT) -> None:
        """Write the discrete result (or, with ``name=ORIGINAL``, the structure matched)."""
        with atomic_path(self.file(name)) as tmp, open(tmp, "wb") as fh:
            np.save(fh, labels)

    def read_original(self, name: str = ORIGINAL) -> np.ndarray | None:
        """The phase labels of the structure a ``match`` run matched (or, with
        ``name=INITIAL``, of the structure a run started from), if it saved one."""
        path = self.file(name)
        if not path.exists():
            return None
        try:
            with open(path, "rb") as fh:
                labels = np.load(fh, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise RunDirectoryError(f"{path}: cannot be read ({exc}); the run directory is "
                                    "damaged") from None
        if not isinstance(labels, np.ndarray):
            labels.close()
            raise RunDirectoryError(f"{path}: is not a .npy array; the run directory is damaged")
        return labels

    def write_state(self, state: Any) -> None:
        """Write the convergence record and then the checkpoint of ``state``.

        ``state`` is the engine's run state: its ``convergence``
        (:class:`~mcrkit.io.convergence.Convergence`) and checkpointed fields
        (:meth:`read_state` gives them back).
        """
        with atomic_path(self.file(self.CONVERGENCE)) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **state.convergence.to_arrays())
        checkpoint = {
            "theta": state.theta.detach().cpu(),
            "level": state.level,
            "level_iteration": state.level_iteration,
            "iteration": state.iteration,
            "optimizer_state": state.optimizer_state,
            "elapsed": state.elapsed,
            "evaluations": state.evaluations,
        }
        with atomic_path(self.file(self.CHECKPOINT)) as tmp:
            torch.save(checkpoint, tmp)

    def read_convergence(self) -> dict[str, np.ndarray]:
        """The convergence record: history columns, ``snapshots`` and ``snapshot_iterations``."""
        path = self.file(self.CONVERGENCE)
        try:
            with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise RunDirectoryError(f"{path}: the convergence record cannot be read ({exc}); "
                                    "is this a run directory written by mcrkit?") from None

    def read_state(self, device: torch.device) -> dict[str, Any]:
        """The fields of the last checkpoint's run state (the convergence record cut at its
        iteration)."""
        path = self.file(self.CHECKPOINT)
        damaged = (f"{path}: the checkpoint is damaged or was not written by mcrkit; start the "
                   "run again into its directory with overwrite=True")
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise RunDirectoryError(f"{damaged} ({exc})") from None
        try:
            convergence = Convergence.from_arrays(self.read_convergence())
        except RunDirectoryError:
            raise
        except (ValueError, TypeError) as exc:
            raise RunDirectoryError(f"{self.file(self.CONVERGENCE)}: {exc}; start the run "
                                    "again into its directory with overwrite=True") from None
        try:
            fields = dict(
                theta=checkpoint["theta"],
                level=checkpoint["level"],
                level_iteration=checkpoint["level_iteration"],
                iteration=checkpoint["iteration"],
                optimizer_state=checkpoint["optimizer_state"],
                elapsed=float(checkpoint["elapsed"]),
                evaluations=checkpoint["evaluations"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RunDirectoryError(f"{damaged} (it lacks or garbles {exc})") from None
        counts = ("level", "level_iteration", "iteration", "evaluations")
        if not isinstance(fields["theta"], torch.Tensor) or not all(
                isinstance(fields[key], int) and not isinstance(fields[key], bool)
                and fields[key] >= 0 for key in counts):
            raise RunDirectoryError(f"{damaged} (iteration {fields['iteration']!r}, level "
                                    f"{fields['level']!r})")
        fields["theta"] = fields["theta"].to(device)
        fields["convergence"] = convergence.until(fields["iteration"])
        return fields


def _temporary(name: str) -> str:
    return temporary_path(Path(name)).name


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to run.json")
