"""The outcome of a reconstruction: discrete labels, errors and the convergence record."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcrkit.characterization import Characterization
from mcrkit.io.convergence import Convergence
from mcrkit.metrics.summary import format_reconstruction
from mcrkit.microstructure import Microstructure

__all__ = ["ReconstructionResult"]


@dataclass
class ReconstructionResult:
    """Outcome of a reconstruction.

    Attributes
    ----------
    labels : ndarray of uint8
        Discrete result, phases ``0..P-1`` (axes x, y[, z]).
    status : str
        Why the run ended: ``max_iter``, ``converged``, ``stopped`` or ``interrupted``.
    loss : float
        Weighted objective of the discrete result.
    errors : dict of str to float
        Per descriptor: the loss (e.g. MSE) between its exact value on the
        discrete result and the target.
    convergence : Convergence
        History and snapshots of the run (:mod:`mcrkit.io.convergence`); ``history``,
        ``snapshots``, ``snapshot_iterations`` and ``snapshot_fields`` read it.
    timings : dict of str to float
        Seconds: ``setup``, ``optimize``, ``finish``, ``total``, and ``per_evaluation``.
    evaluations : int
        Objective evaluations.
    undecided : float
        Fraction of voxels whose largest relaxed phase fraction was below 0.9.
    settings : dict
        Everything needed to repeat the run (JSON-ready), seed included
        (:meth:`mcrkit.engine.settings.RunSettings.to_json`).
    characterization : Characterization
        The target.
    run_dir : Path or None
        Where the run was saved.
    comparison : dict or None
        Raw fidelity figures against the original structure
        (:func:`mcrkit.metrics.validation.compare`), when the run was given one (as
        :func:`~mcrkit.workflows.match` does).
    report : dict or None
        The fidelity table and its verdict
        (:func:`mcrkit.metrics.report.validation_report`), written into ``run_dir``;
        without a run directory computed when the run was given an original.
    """

    labels: np.ndarray
    status: str
    loss: float
    errors: dict[str, float]
    convergence: Convergence
    timings: dict[str, float]
    evaluations: int
    undecided: float
    settings: dict[str, Any]
    characterization: Characterization
    run_dir: Path | None = None
    comparison: dict[str, Any] | None = field(default=None, repr=False)
    report: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per iteration: ``iteration``, ``level``, ``loss`` (of the relaxed field),
        ``evaluations``, ``elapsed`` and what the optimizer adds."""
        return {key: np.asarray(values) for key, values in self.convergence.history.items()}

    @property
    def snapshots(self) -> list[np.ndarray]:
        """Discrete labels during the run, at :attr:`snapshot_iterations`."""
        return [s.labels for s in self.convergence.snapshots]

    @property
    def snapshot_iterations(self) -> list[int]:
        """Iteration of each snapshot."""
        return self.convergence.snapshot_iterations

    @property
    def snapshot_fields(self) -> list[np.ndarray]:
        """The relaxed field at each snapshot, ``(P, *shape)`` phase fractions x 255 (uint8)."""
        return [s.fractions for s in self.convergence.snapshots if s.fractions is not None]

    @property
    def iterations(self) -> int:
        """Iterations over all levels."""
        return self.convergence.iterations

    @property
    def seed(self) -> int:
        """Seed of the run."""
        return int(self.settings["seed"])

    @property
    def microstructure(self) -> Microstructure:
        """The result as a :class:`Microstructure` with the source's label values."""
        c = self.characterization
        values = c.label_values or tuple(range(c.n_phases))
        return Microstructure(labels=self.labels, label_values=tuple(values),
                              source=f"reconstruction of {c.source}", voxel_size=c.voxel_size,
                              unit=c.unit)

    def __str__(self) -> str:
        return format_reconstruction(self)

    def _verdict(self) -> str | None:
        """The fidelity verdict in one line, when the result was judged."""
        verdict = (self.report or {}).get("verdict") or {}
        text = verdict.get("text")
        if not text:
            return None
        import textwrap

        return textwrap.shorten(text, width=86, placeholder=" ...")

    def _run_line(self) -> str:
        return (f"{self.status} after {self.iterations} iterations, "
                f"{self.timings.get('total', float('nan')):.1f} s; loss {self.loss:.3e}, "
                f"undecided {self.undecided:.2%}")

    def __repr__(self) -> str:
        """A few lines for notebooks and consoles (no arrays): the structure, how the
        run ended, its descriptor errors and the verdict; ``print(result)`` shows more."""
        import textwrap

        c = self.characterization
        errors = ", ".join(f"{name} {value:.2e}" for name, value in self.errors.items())
        lines = [f"ReconstructionResult {tuple(self.labels.shape)}, {c.n_phases} phases, "
                 f"of {c.source}", f"  {self._run_line()}",
                 *textwrap.wrap(f"errors: {errors or 'none'}", width=96, initial_indent="  ",
                                subsequent_indent="    ")]
        verdict = self._verdict()
        if verdict is not None:
            lines.append(f"  verdict: {verdict}")
        if self.run_dir is not None:
            lines.append(f"  saved in {self.run_dir}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's view: a summary table, the descriptor errors and a thumbnail of the
        result (a 3D result's middle slice normal to z)."""
        from mcrkit.plotting.notebook import html_summary, label_png

        c = self.characterization
        shown = self.labels if self.labels.ndim == 2 else self.labels[
            :, :, self.labels.shape[2] // 2]
        fractions = np.bincount(self.labels.ravel(), minlength=c.n_phases) / self.labels.size
        about = [("target", c.source), ("shape", str(tuple(self.labels.shape))),
                 ("volume fractions", ", ".join(f"{f:.3f}" for f in fractions)),
                 ("run", self._run_line()), ("verdict", self._verdict() or "not judged"),
                 ("seed", str(self.settings.get("seed", "-")))]
        if self.run_dir is not None:
            about.append(("saved in", str(self.run_dir)))
        errors = [("", f"error ({self.settings.get('loss', 'loss')})")] + [
            (name, f"{value:.3e}") for name, value in self.errors.items()]
        where = "" if self.labels.ndim == 2 else f", slice z = {self.labels.shape[2] // 2}"
        return html_summary("ReconstructionResult", about, errors,
                            png=label_png(shown, c.n_phases, min_pixels=160),
                            caption=f"x right, y up{where}")
