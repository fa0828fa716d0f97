"""Statistical descriptors of microstructures.

Every descriptor is a frozen dataclass registered under a snake_case id (see
``mcrkit descriptors`` for the list) next to a plain NumPy function over
arrays:

=======================  ===================================  ==============
descriptor id            NumPy function                       differentiable
=======================  ===================================  ==============
``volume_fractions``     :func:`volume_fractions`             yes
``two_point``            :func:`two_point_correlation`        yes
``two_point_cross``      :func:`two_point_correlation`        yes
``correlations``         :func:`three_point_correlation`      yes
``lineal_path``          :func:`lineal_path`                  no
``lineal_path_approx``   :func:`lineal_path`                  yes
``variation``            :func:`total_variation`              yes
``chord_length``         :func:`chord_length_distribution`    no
``gram_matrices``        :func:`gram_matrices`                yes
=======================  ===================================  ==============

The built-ins are declared in mcrkit's ``pyproject.toml`` as entry points of the
group ``mcrkit.descriptors``; third-party descriptors subclass
:class:`Descriptor` and are declared the same way in their own package (see
:mod:`mcrkit.descriptors.base` for the hooks a descriptor may override).
"""

from mcrkit.descriptors import connectivity, euler_density, feature_size  # noqa: F401
from mcrkit.descriptors.base import Descriptor
from mcrkit.descriptors.chord_length import (
    ChordLength,
    chord_length_distribution,
    chord_lengths,
    mean_chord_length,
)
from mcrkit.descriptors.correlations import (
    Correlations,
    correlation_vectors,
    three_point_correlation,
)
from mcrkit.descriptors.gram_matrices import GramMatrices, gram_matrices
from mcrkit.descriptors.lineal_path import LinealPath, LinealPathApprox, line_offsets, lineal_path
from mcrkit.descriptors.two_point import TwoPoint, TwoPointCross, two_point_correlation
from mcrkit.descriptors.variation import Variation, total_variation
from mcrkit.descriptors.volume_fractions import VolumeFractions, volume_fractions

__all__ = [
    "ChordLength",
    "Correlations",
    "Descriptor",
    "GramMatrices",
    "LinealPath",
    "LinealPathApprox",
    "TwoPoint",
    "TwoPointCross",
    "Variation",
    "VolumeFractions",
    "chord_length_distribution",
    "chord_lengths",
    "correlation_vectors",
    "gram_matrices",
    "line_offsets",
    "lineal_path",
    "mean_chord_length",
    "three_point_correlation",
    "total_variation",
    "two_point_correlation",
    "volume_fractions",
]
