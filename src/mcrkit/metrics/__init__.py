"""Fidelity of a result against its original or target: statistics, spread, the one verdict.

- :mod:`~mcrkit.metrics.report` -- the fidelity table of a result against the
  original's natural spread (:func:`~mcrkit.metrics.report.validation_report`).
- :mod:`~mcrkit.metrics.verdict` -- pass lines, the one verdict and its text
  (:func:`~mcrkit.metrics.verdict.judge`, :func:`~mcrkit.metrics.verdict.format_verdict`).
- :mod:`~mcrkit.metrics.topology` -- connectivity, Euler density and percolation
  rows of the table (:func:`~mcrkit.metrics.topology.topology_statistics`).
- :mod:`~mcrkit.metrics.validation` -- exact slice statistics of discrete labels
  and raw fidelity figures (:func:`~mcrkit.metrics.validation.compare`).
"""
