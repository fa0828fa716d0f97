"""A configured run: objective, stages and callbacks from :class:`RunSettings`, then the result.

:class:`Run` is what :func:`~mcrkit.workflows.reconstruct` and
:func:`~mcrkit.workflows.resume` execute: it builds the objective from the
characterization, checks the memory estimate, runs :func:`~mcrkit.engine.loop.optimize`
with the recording, limit, progress and checkpoint callbacks, and finishes with
the discrete result, its errors, ``run.json`` and the validation report.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcrkit._version import __version__
from mcrkit.characterization import Characterization
from mcrkit.engine.callbacks import (
    Callback,
    IterationState,
    ProgressBar,
    TimeLimit,
    as_callbacks,
)
from mcrkit.engine.field import field_from_params, labels_from_params
from mcrkit.engine.loop import RunState, optimize
from mcrkit.engine.memory import check_memory, estimate_peak_bytes
from mcrkit.engine.objective import Objective, make_loss, resolve_terms, upsample
from mcrkit.engine.optimizers.annealing import Annealing
from mcrkit.engine.record import Checkpointer, Recorder
from mcrkit.engine.result import ReconstructionResult
from mcrkit.engine.settings import RunSettings
from mcrkit.engine.stages import Stage
from mcrkit.io.rundir import RunDirectory
from mcrkit.metrics.validation import compare
from mcrkit.microstructure import Microstructure
from mcrkit.morphology.networks import NetworkSpec
from mcrkit.morphology.particles import ParticleSpec
from mcrkit.runtime import threads_limited

__all__ = ["UNDECIDED_BELOW", "Run", "report_limit"]

UNDECIDED_BELOW = 0.9
"""A voxel whose largest phase fraction is below this counts as undecided."""


class _VerdictStop(Callback):
    """Stop a gradient run once the discrete state passes the report's statistics
    (:attr:`RunSettings.judge_after`), judged after ``after``, ``2 after``, ``4 after``, ...
    iterations of its last gradient stage; each verdict is kept in ``run.judged``."""

    def __init__(self, run: Run, after: int) -> None:
        self.run, self.after = run, after
        gradient = [i for i, stage in enumerate(run.stages) if stage.max_iter
                    and not stage.make_optimizer().discrete]
        self.stage = gradient[-1] if gradient else None

    def __call__(self, state: IterationState) -> bool | None:
        multiple = state.level_iteration // self.after
        if (state.level != self.stage or state.level_iteration % self.after
                or multiple & (multiple - 1)):  # not after, 2 after, 4 after, ...
            return None
        verdict = self.run.judge(state.theta)
        passed = not verdict["failed"] and verdict["passed"] > 0
        self.run.judged.append({"iteration": state.iteration, "passed": passed,
                                "verdict": verdict["text"]})
        return passed


def _repair(networks: tuple[NetworkSpec, ...],
            particles: tuple[ParticleSpec, ...]) -> Callable[[np.ndarray], np.ndarray]:
    """The repair of the network phases ``networks`` and the particle phases ``particles``
    that a gradient result gets before its polish (or alone)."""

    def repair(labels: np.ndarray) -> np.ndarray:
        # numba and scikit-image: imported when the repair runs
        from mcrkit.morphology.network_repair import repair_networks
        from mcrkit.morphology.particle_repair import repair_particles

        return repair_particles(repair_networks(labels, networks), particles)

    return repair


def _prune(networks: tuple[NetworkSpec, ...]) -> Callable[[np.ndarray], np.ndarray]:
    """The pruning of the loose ends a polish left in the network phases ``networks``."""

    def prune(labels: np.ndarray) -> np.ndarray:
        from mcrkit.morphology.network_repair import prune_networks  # numba: when it runs

        return prune_networks(labels, networks)

    return prune


def report_limit(characterization: Characterization) -> int:
    """Correlation length of a run's fidelity statistics: 8, or less if the target's is."""
    limits = [getattr(characterization.descriptor(name), "limit_to", None)
              for name in characterization.names]
    return min([8, *(limit for limit in limits if limit)])


class Run:
    """A reconstruction ready to execute.

    Parameters
    ----------
    settings : RunSettings
        What to do (the weights used are recorded in :attr:`settings`).
    characterization : Characterization
        The target.
    device : torch.device
        Where to compute.
    original : Microstructure, optional
        The structure the characterization describes: the result is compared with it.
    start_report : dict, optional
        An earlier report against ``original`` whose statistics the final report
        takes where it judged the result itself (``reuse`` of
        :func:`~mcrkit.metrics.report.validation_report`).

    Raises
    ------
    ValueError
        For settings the characterization or the optimizer cannot serve (a
        descriptor it lacks, multigrid with annealing, polishing or repairing an annealing
        run).
    """

    def __init__(self, settings: RunSettings, characterization: Characterization,
                 device: torch.device, original: Microstructure | None = None,
                 start_report: dict[str, Any] | None = None) -> None:
        self.started = time.perf_counter()
        self.characterization, self.device, self.original = characterization, device, original
        self.start_report = start_report
        self.directory: RunDirectory | None = None
        self.dtype = torch.float32
        optimizer = settings.make_optimizer()
        self.stages = optimizer.stages(settings.shape, multigrid=settings.multigrid,
                                       max_iter=settings.max_iter)
        if optimizer.discrete and (settings.polish or settings.particles):
            raise ValueError("polish and a particle repair follow a gradient run; an annealing "
                             "run already ends at its final temperature: drop them")
        repair = (_repair(settings.networks, settings.particles)
                  if settings.networks or settings.particles else None)
        if settings.polish:
            polish = None
            if settings.polish_descriptors:  # exact descriptors of their own
                polish = Objective(
                    resolve_terms(characterization, settings.shape,
                                  list(settings.polish_descriptors), settings.polish_descriptors,
                                  differentiable=False, dtype=self.dtype, device=device),
                    make_loss(settings.loss), characterization.n_phases, settings.shape)
            self.stages.append(Annealing.polish_stage(settings.shape, settings.polish,
                                                      settings.seed, repair=repair,
                                                      objective=polish))
        elif repair is not None:  # a particle repair alone (a network needs a polish)
            self.stages.append(Stage(settings.shape, optimizer.fresh, 0, prepare=repair))
        if settings.networks:  # the loose ends the polish left, pruned to the original's
            self.stages.append(Stage(settings.shape, optimizer.fresh, 0,
                                     prepare=_prune(settings.networks)))
        terms = resolve_terms(characterization, settings.shape, settings.descriptors,
                              settings.weights, differentiable=not optimizer.discrete,
                              dtype=self.dtype, device=device)
        self.objective = Objective(terms, make_loss(settings.loss), characterization.n_phases,
                                   settings.shape)
        if settings.cleanup and len(settings.cleanup) != characterization.n_phases:
            raise ValueError(f"cleanup needs one feature size per phase "
                             f"({characterization.n_phases}), got {list(settings.cleanup)}")
        self.settings = settings.replace(weights=[t.weight for t in terms])
        self._optimizer = optimizer
        self.cleaned: dict[str, Any] | None = None
        self.judged: list[dict[str, Any]] = []  # the verdicts of settings.judge_after
        # the original's statistics, computed by the first judgement or report (``cache``)
        self._report_cache: dict[Any, Any] = {}

    def check(self, force: bool = False) -> None:
        """Record the memory estimate; refuse a run that cannot fit unless ``force``."""
        estimate = estimate_peak_bytes(self.objective.terms, self.settings.shape,
                                       self.characterization.n_phases, self._optimizer,
                                       self.dtype,
                                       held=0 if self.device.type == "cuda" else None)
        self.settings = self.settings.replace(memory_estimate=estimate)
        if not force:
            check_memory(estimate, self.device)

    def create_directory(self, path: str | os.PathLike[str],
                         initial: np.ndarray | None = None, *, overwrite: bool = False) -> None:
        """Keep the run in a new run directory at ``path``: its target, original, start
        structure (``initial`` labels, if given) and settings (``run.json``), from which a
        resume restarts it until it has a checkpoint. If writing them fails (or is
        interrupted), they are removed again, with the directory if this made it.
        ``overwrite``: see :meth:`RunDirectory.create`."""
        made = not Path(path).exists()
        directory = RunDirectory.create(path, overwrite=overwrite)
        try:
            directory.write_metadata({"status": RunDirectory.STARTING})  # marks it a run's
            self.characterization.save(directory.file(RunDirectory.TARGET))
            if self.original is not None:
                directory.write_result(self.original.labels, RunDirectory.ORIGINAL)
            if initial is not None:
                directory.write_result(initial, RunDirectory.INITIAL)
            directory.write_metadata(self._metadata("running", {}))
        except BaseException:
            directory.remove_files(directory=made)
            raise
        self.directory = directory

    def execute(self, state: RunState, callbacks: Any = None, *, progress: bool = False,
                threads: int | None = None, report: bool = True) -> ReconstructionResult:
        """Optimize from ``state`` and finish (see the module docstring)."""
        s = self.settings
        chain: list[Callback] = [Recorder(state.convergence, s.shape, s.snapshot_every),
                                 *as_callbacks(callbacks)]
        if s.time_limit is not None:
            chain.append(TimeLimit(s.time_limit))
        if s.judge_after and self.original is not None and not self._optimizer.discrete:
            chain.append(_VerdictStop(self, s.judge_after))
        if progress:
            chain.append(ProgressBar())
        if self.directory is not None:
            chain.append(Checkpointer(state, self.directory.write_state, s.checkpoint_every))
        # also while run.json records the thread count
        with threads_limited(threads, voxels=math.prod(s.shape)):
            setup = time.perf_counter() - self.started
            if self.directory is not None:
                self.directory.write_metadata(self._metadata("running", {"setup": setup}))
                if not self.directory.has_checkpoint():  # resumable from the first iteration
                    self.directory.write_state(state)
            begin = time.perf_counter()
            state, status = optimize(self.objective, self.stages, state, callbacks=chain)
            return self._finish(state, status, setup, time.perf_counter() - begin, report)

    def _finish(self, state: RunState, status: str, setup: float, optimize_time: float,
                report: bool) -> ReconstructionResult:
        finish = time.perf_counter()
        with torch.no_grad():
            full = upsample(state.theta, self.settings.shape)
            labels = labels_from_params(full)
            undecided = float((field_from_params(full).amax(dim=0) < UNDECIDED_BELOW)
                              .float().mean())
        if self.settings.cleanup:
            labels = self._clean(labels)
        errors = self.objective.discrete_errors(labels)
        weights = {t.name: t.weight for t in self.objective.terms}
        timings = {
            "setup": setup,
            "optimize": optimize_time,
            "finish": time.perf_counter() - finish,
            "total": time.perf_counter() - self.started,
            "per_evaluation": optimize_time / max(self.objective.evaluations, 1),
        }
        result = ReconstructionResult(
            labels=labels, status=status,
            loss=sum(weights[name] * value for name, value in errors.items()),
            errors=errors, convergence=state.convergence, timings=timings,
            evaluations=state.evaluations, undecided=undecided,
            settings=self.settings.to_json(), characterization=self.characterization,
            run_dir=None if self.directory is None else self.directory.path,
        )
        if self.directory is not None:
            self.directory.write_result(labels)
            self.directory.write_state(state)
            self._save_metadata(result)  # complete before the report, which may fail
            if report:
                self._report(result)
        if self.original is not None and report and self.directory is None:  # judged in memory
            result.report = self._validation(result)
            result.comparison = result.report["fidelity"]
        if self.original is not None and result.comparison is None:
            result.comparison = compare(self.original, labels, limit_to=self.limit_to())
            if self.directory is not None:
                self._save_metadata(result)
        return result

    def _clean(self, labels: np.ndarray, *, record: bool = True) -> np.ndarray:
        """The result without the clusters smaller than ``settings.cleanup``; what was
        removed is kept in :attr:`cleaned` (and ``run.json``) if ``record``."""
        from mcrkit.morphology.cleanup import remove_small_features

        done = remove_small_features(labels, self.settings.cleanup)
        if record:
            self.cleaned = {"specks": list(done.specks), "changed_voxels": done.changed}
        return done.labels

    def judge(self, theta: torch.Tensor) -> dict[str, Any]:
        """The verdict the report would give the discrete state of angles ``theta`` (after
        the cleanup; without the unjudged 3D statistics of a volume)."""
        from mcrkit.metrics.report import validation_report

        with torch.no_grad():
            labels = labels_from_params(upsample(theta, self.settings.shape))
        if self.settings.cleanup:
            labels = self._clean(labels, record=False)
        return validation_report(self.original, labels, characterization=self.characterization,
                                 descriptors=list(self.settings.descriptors),
                                 limit_to=self.limit_to(), volume=False,
                                 cache=self._report_cache)["verdict"]

    def limit_to(self) -> int:
        """Correlation length of the fidelity statistics (:func:`report_limit`)."""
        return report_limit(self.characterization)

    def _validation(self, result: ReconstructionResult) -> dict[str, Any]:
        """The fidelity table of the result and its verdict."""
        from mcrkit.metrics.report import validation_report

        return validation_report(
            self.original, result.labels, characterization=self.characterization,
            descriptors=list(self.settings.descriptors), errors=result.errors,
            limit_to=self.limit_to(), reuse=self.start_report, cache=self._report_cache)

    def _report(self, result: ReconstructionResult) -> None:
        """Write report.json/.png; with an original its fidelity is the result's comparison."""
        from mcrkit.metrics.report import report_failures_warn, write_report

        assert self.directory is not None
        with report_failures_warn(self.directory.path):
            validation = self._validation(result)
            write_report(validation, self.directory.path)
            result.report = validation
            if self.original is not None:
                result.comparison = validation["fidelity"]
            self._save_metadata(result)

    def _save_metadata(self, result: ReconstructionResult) -> None:
        assert self.directory is not None
        extra = {
            "loss": result.loss,
            "errors": result.errors,
            "iterations": result.iterations,
            "evaluations": result.evaluations,
            "undecided": result.undecided,
        }
        if self.cleaned is not None:
            extra["cleanup"] = self.cleaned
        if self.judged:
            extra["judged"] = self.judged
        if self.original is not None:
            extra["original"] = self.original.source
        if result.comparison is not None:
            extra["comparison"] = result.comparison
        if result.report is not None:
            extra["verdict"] = result.report["verdict"]
        self.directory.write_metadata(self._metadata(result.status, result.timings, extra))

    def _metadata(self, status: str, timings: dict[str, float],
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
        c = self.characterization
        return {
            "status": status,
            "settings": self.settings.to_json(),
            "target": {"source": c.source, "shape": list(c.shape), "n_phases": c.n_phases,
                       "per_axis": c.per_axis, "label_values": list(c.label_values)},
            "versions": {"mcrkit": __version__, "torch": torch.__version__,
                         "numpy": np.__version__, "python": platform.python_version()},
            "machine": {"platform": platform.platform(), "processor": platform.machine(),
                        "cpus": os.cpu_count(), "threads": torch.get_num_threads(),
                        "device": str(self.device)},
            "timings": timings,
            **(extra or {}),
        }
