"""The reconstruction engine: relaxed fields, objectives and optimizers.

- :mod:`~mcrkit.engine.field` -- logits -> per-voxel phase fractions
  that sum to one by construction, and back to discrete labels.
- :mod:`~mcrkit.engine.optimizers` -- optimizer plugins (``lbfgs``).
"""
