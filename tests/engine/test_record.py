"""The convergence record: recording callbacks, checkpoints and the run directory round trip."""

from __future__ import annotations

import math

import numpy as np
import torch

from mcrkit.engine.callbacks import IterationState
from mcrkit.engine.field import field_snapshot
from mcrkit.engine.loop import RunState, optimize
from mcrkit.engine.optimizers import SGD
from mcrkit.engine.record import Checkpointer, Convergence, Recorder, Snapshot
from mcrkit.engine.stages import Stage
from mcrkit.io.rundir import RunDirectory


def quadratic(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (x**2).sum(), 2 * x


def descent() -> SGD:
    return SGD(learning_rate=0.25, momentum=0.0)


def iteration(i: int, theta: torch.Tensor, **details: float) -> IterationState:
    return IterationState(i, 10, 0, 1, i, 1.0 / i, 2 * i, 0.5 * i, theta, details)


def test_recorder_keeps_history_and_snapshots_every_k_iterations_and_at_stage_ends() -> None:
    record = Convergence()
    stages = [Stage((2, 2), descent, 3), Stage((4, 4), descent, 3)]
    theta = torch.full((1, 2, 2), 0.3)
    optimize(quadratic, stages, RunState(theta=theta, convergence=record),
             callbacks=Recorder(record, (4, 4), every=2))
    assert record.history["iteration"] == [1, 2, 3, 4, 5, 6]
    assert record.history["level"] == [0, 0, 0, 1, 1, 1]
    assert record.snapshot_iterations == [2, 3, 4, 6]  # every 2, and each stage's end once
    labels, fractions = field_snapshot(torch.full((1, 4, 4), 0.3 * 0.5**3))
    np.testing.assert_array_equal(record.snapshots[1].labels, labels)  # upsampled to 4 x 4
    np.testing.assert_array_equal(record.snapshots[1].fractions, fractions)


def test_new_detail_columns_are_nan_where_an_optimizer_did_not_report_them() -> None:
    record = Convergence()
    recorder = Recorder(record, (2, 2))
    theta = torch.zeros(1, 2, 2)
    recorder(iteration(1, theta))
    recorder(iteration(2, theta, temperature=0.5))
    recorder(iteration(3, theta))
    temperature = record.history["temperature"]
    assert math.isnan(temperature[0]) and temperature[1] == 0.5 and math.isnan(temperature[2])
    assert all(len(values) == 3 for values in record.history.values())


def test_recorder_snapshots_a_stopped_run_once() -> None:
    record = Convergence()
    recorder = Recorder(record, (2, 2), every=1)
    state = iteration(1, torch.zeros(1, 2, 2))
    recorder(state)
    recorder.on_end(state, "stopped")
    recorder.on_end(state, "max_iter")
    assert record.snapshot_iterations == [1]


def test_checkpointer_writes_every_interval_and_on_interrupt() -> None:
    written: list[int] = []
    state = RunState(theta=torch.zeros(1, 2))
    checkpointer = Checkpointer(state, lambda s: written.append(s.iteration), every=1.0)
    for i, elapsed in enumerate([0.4, 0.9, 1.1, 1.5, 2.2], start=1):
        state.iteration = i
        checkpointer(IterationState(i, 9, 0, 1, i, 0.0, i, elapsed, state.theta))
    assert written == [3, 5]
    checkpointer.on_end(iteration(5, state.theta), "stopped")
    assert written == [3, 5]
    checkpointer.on_end(iteration(5, state.theta), "interrupted")
    assert written == [3, 5, 5]


def test_convergence_round_trips_through_the_run_directory(tmp_path) -> None:
    record = Convergence()
    recorder = Recorder(record, (3, 2), every=2)
    rng = np.random.default_rng(0)
    thetas = [torch.as_tensor(rng.uniform(0, 1.6, (2, 3, 2)), dtype=torch.float32)
              for _ in range(5)]
    for i, theta in enumerate(thetas, start=1):
        recorder(iteration(i, theta, **({"temperature": 0.1 * i} if i > 2 else {})))
    state = RunState(theta=thetas[-1], level_iteration=5, iteration=5, convergence=record,
                     elapsed=2.5, evaluations=10, optimizer_state={"step": torch.tensor(5)})
    run = RunDirectory(tmp_path)
    run.write_state(state)
    back = RunState(**run.read_state(torch.device("cpu")))
    assert back.convergence.history.keys() == record.history.keys()
    np.testing.assert_array_equal(back.convergence.history["temperature"],
                                  record.history["temperature"])
    assert back.convergence.snapshot_iterations == [2, 4]
    for before, after in zip(record.snapshots, back.convergence.snapshots, strict=True):
        np.testing.assert_array_equal(before.labels, after.labels)
        np.testing.assert_array_equal(before.fractions, after.fractions)
    assert (back.iteration, back.elapsed, back.evaluations) == (5, 2.5, 10)
    torch.testing.assert_close(back.theta, state.theta)
    assert int(back.optimizer_state["step"]) == 5


def test_a_checkpoint_keeps_the_record_up_to_its_own_iteration(tmp_path) -> None:
    record = Convergence()
    recorder = Recorder(record, (2, 2), every=1)
    theta = torch.zeros(1, 2, 2)
    for i in (1, 2):
        recorder(iteration(i, theta))
    run = RunDirectory(tmp_path)
    run.write_state(RunState(theta=theta, iteration=1, convergence=record))
    back = run.read_state(torch.device("cpu"))["convergence"]
    assert back.iterations == 1 and back.snapshot_iterations == [1]


def test_a_record_without_snapshot_fields_reads_with_labels_only() -> None:
    labels = np.zeros((2, 4, 4), dtype=np.uint8)
    record = Convergence.from_arrays({"iteration": [1, 2], "loss": [1.0, 0.5],
                                      "snapshots": labels, "snapshot_iterations": [1, 2]})
    assert record.snapshot_iterations == [1, 2]
    assert all(s.fractions is None for s in record.snapshots)
    assert "snapshot_fields" not in record.to_arrays() or \
        record.to_arrays()["snapshot_fields"].size == 0


def test_add_snapshot_keeps_one_per_iteration() -> None:
    record = Convergence()
    labels = np.zeros((2, 2), dtype=np.uint8)
    record.add_snapshot(Snapshot(3, labels))
    record.add_snapshot(Snapshot(3, labels + 1))
    assert len(record.snapshots) == 1 and record.snapshots[0].labels.max() == 0
