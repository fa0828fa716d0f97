"""Fill the on-disk cache of mcrkit's numba kernels: ``python tests/_numba_cache.py``.

The kernels are compiled with ``cache=True``: the first process that needs one compiles it
(seconds of CPU each) and writes it beside its module, later processes load it. In a fresh
clone the test processes (one per CPU, and the ones the tests start) would each compile the
same kernels at the same time; ``tests/conftest.py`` runs this once beside their start-up
instead. Tiny runs: an annealing reconstruction with every descriptor that has swap kernels,
in 2D and 3D, with and without interface moves and with topology kept, and the simple-point
tests of a 2D and a 3D grid.
"""

from __future__ import annotations


def main() -> None:
    import numpy as np

    import mcrkit
    from mcrkit.morphology.simple_points import is_simple, simple_points

    image = mcrkit.data.load("pymks_ms_64x64_1")[:24, :24]
    swappable = ["volume_fractions", "two_point", "lineal_path", "chord_length",
                 "correlations", "variation"]
    target = mcrkit.characterize(image, swappable, limit_to=4)
    for shape in ([12, 12], [8, 8, 8]):
        for options in ({}, {"interface": False}, {"preserve_topology": True}):
            mcrkit.reconstruct(target, shape, swappable, optimizer="annealing", max_iter=2,
                               seed=0, device="cpu", optimizer_options=options, report=False)
    for grid in (image, np.stack([image[:8, :8]] * 8, axis=-1)):
        simple_points(grid, 1)
        is_simple(grid, (1,) * grid.ndim, 0)


if __name__ == "__main__":
    main()
