"""Fidelity of a result against its original or target: statistics, spread, verdict.

- :mod:`~mcrkit.metrics.validation` -- slice statistics of discrete labels and
  the fidelity table of ``match`` (:func:`~mcrkit.metrics.validation.compare`).
- :mod:`~mcrkit.metrics.report` -- the validation report against the
  original's natural spread (:func:`~mcrkit.metrics.report.validation_report`).
"""
