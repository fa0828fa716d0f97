"""Batch ensembles: many reconstructions on a Dask cluster, from a laptop to SLURM.

- :func:`batch` -- run the jobs of a SPEC (or a list of :class:`Job`), one run
  directory each, with a summary table; a re-run skips finished jobs and
  resumes interrupted ones.
- :func:`load_spec`, :func:`expand_spec` -- read a SPEC file and list its jobs
  (names, seeds, settings) without running anything; :func:`plan` -- what a
  batch would do with each job in an output directory.
- :class:`SlurmOptions`, :func:`slurm_cluster` -- the SLURM jobs hosting the workers.

Dask is imported only when a batch runs (``pip install 'mcrkit[cluster]'``).
"""

from mcrkit.batching.clusters import SlurmOptions, slurm_cluster
from mcrkit.batching.run import BatchResult, batch, plan
from mcrkit.batching.spec import Job, expand_spec, load_spec

__all__ = ["BatchResult", "Job", "SlurmOptions", "batch", "expand_spec", "load_spec", "plan",
           "slurm_cluster"]
