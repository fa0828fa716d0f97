"""The reconstruction engine: a run from its settings to its discrete result.

- :mod:`~mcrkit.engine.settings` -- :class:`RunSettings`, what a run does (frozen,
  validated, JSON round trip).
- :mod:`~mcrkit.engine.start` -- the angles a new run starts from.
- :mod:`~mcrkit.engine.field` -- angles -> per-voxel phase fractions that sum to one
  by construction, and back to discrete labels.
- :mod:`~mcrkit.engine.objective` -- descriptor mismatch of the field, scaled once by
  the voxel count.
- :mod:`~mcrkit.engine.optimizers` -- optimizer plugins; each provides its stages.
- :mod:`~mcrkit.engine.stages` -- multigrid levels and polishing stages.
- :mod:`~mcrkit.engine.loop` -- :func:`optimize`, the loop over stages and iterations.
- :mod:`~mcrkit.engine.callbacks` -- hooks around the loop: progress, time limit.
- :mod:`~mcrkit.engine.record` -- the convergence record and checkpoints, as callbacks.
- :mod:`~mcrkit.engine.memory` -- the peak-memory estimate checked before a run.
- :mod:`~mcrkit.engine.run` -- :class:`Run`: all of the above for one reconstruction,
  finished into a :class:`~mcrkit.engine.result.ReconstructionResult`.
"""
