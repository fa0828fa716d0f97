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
resume restarts it from its settings, with the same result.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcrkit.io.atomic import atomic_path
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
        if not run.file(cls.RUN).exists() and run.file(cls.TARGET).exists():
            raise RunDirectoryError(
                f"{run.path}: the run was stopped while starting, before it recorded its "
                "settings, and computed nothing; start it again into it with overwrite=True"
            )
        for name in (cls.RUN, cls.TARGET):
            if not run.file(name).exists():
                raise RunDirectoryError(
                    f"{run.path}: cannot resume, {name} is missing; resume needs a run "
                    "directory written by mcrkit reconstruct or match"
                )
        return run

    def has_checkpoint(self) -> bool:
        """Whether the run saved a state to continue from (else it restarts)."""
        return self.file(self.CHECKPOINT).exists()

    def remove_files(self, *, directory: bool) -> None:
        """Delete the run's files (and, with ``directory``, the then empty directory)."""
        for name in (self.RESULT, self.RUN, self.TARGET, self.CONVERGENCE, self.CHECKPOINT,
                     self.ORIGINAL, self.INITIAL, *self.REPORTS):
            self.file(name).unlink(missing_ok=True)
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
        return np.load(path, allow_pickle=False) if path.exists() else None

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
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise RunDirectoryError(f"{path}: the convergence record cannot be read ({exc}); "
                                    "is this a run directory written by mcrkit?") from None

    def read_state(self, device: torch.device) -> dict[str, Any]:
        """The fields of the last checkpoint's run state (the convergence record cut at its
        iteration)."""
        try:
            checkpoint = torch.load(self.file(self.CHECKPOINT), map_location="cpu",
                                    weights_only=True)
            with np.load(self.file(self.CONVERGENCE), allow_pickle=False) as data:
                convergence = Convergence.from_arrays({key: data[key] for key in data.files})
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            raise RunDirectoryError(f"{self.path}: the checkpoint cannot be read ({exc})") from None
        done = int(checkpoint["iteration"])
        return dict(
            theta=checkpoint["theta"].to(device),
            level=int(checkpoint["level"]),
            level_iteration=int(checkpoint["level_iteration"]),
            iteration=done,
            optimizer_state=checkpoint["optimizer_state"],
            convergence=convergence.until(done),
            elapsed=float(checkpoint["elapsed"]),
            evaluations=int(checkpoint["evaluations"]),
        )


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to run.json")
