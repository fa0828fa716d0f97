"""The text summary of a reconstruction: what ``print(result)`` shows.

:func:`format_reconstruction` reads a result's fields by name (labels, status,
timings, errors, history, validation report), so any object
with those fields is summarized the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcrkit.metrics.verdict import format_verdict

__all__ = ["format_reconstruction"]


def format_reconstruction(result: Any) -> str:
    """Lines summarizing a :class:`~mcrkit.workflows.ReconstructionResult`: the run, the
    discrete result's errors, its fidelity table and verdict, where it was saved."""
    t = result.timings
    lines = [
        f"reconstruction {tuple(result.labels.shape)} of {result.characterization.source}: "
        f"{result.status} after {result.iterations} iterations, {t['total']:.1f} s"
        + (f", {result.evaluations} evaluations "
           f"({t['per_evaluation'] * 1000:.1f} ms per evaluation)" if result.evaluations else ""),
        f"  loss of the discrete result {result.loss:.3e}; undecided voxels "
        f"{result.undecided:.2%}",
    ]
    history = result.history
    if "accepted" in history:
        moves = np.nansum(history["accepted"]) + np.nansum(history["rejected"])
        lines.append(f"  annealing: {moves:.0f} moves evaluated, "
                     f"{np.nansum(history['accepted']):.0f} accepted")
    lines += [f"  {name:<20} {result.settings['loss']} {value:.3e}"
              for name, value in result.errors.items()]
    if result.settings.get("defaults"):
        lines.append(f"  defaults: {result.settings['defaults']}")
    if result.report is not None:
        lines.append(format_verdict(result.report, per_axis=False,  # said with the defaults
                                    assumption=not result.settings.get("defaults")))
    if result.run_dir is not None:
        lines.append(f"  saved in {result.run_dir}")
    return "\n".join(lines)
