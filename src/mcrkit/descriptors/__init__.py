"""Statistical descriptors of microstructures.

Every descriptor is a frozen dataclass registered under a snake_case id (see
``mcrkit descriptors`` for the list) next to a plain NumPy function over
arrays:

======================  ===================================================  ==============
descriptor id           NumPy function                                       differentiable
======================  ===================================================  ==============
``volume_fractions``    :func:`volume_fractions`                             yes
``two_point``           :func:`two_point_correlation`                        yes
``two_point_cross``     :func:`two_point_correlation`                        yes
``correlations``        :func:`three_point_correlation`                      yes
``lineal_path``         :func:`lineal_path`                                  no
``lineal_path_approx``  :func:`lineal_path`                                  yes
``local_patterns``      :func:`local_pattern_histogram`                      yes
``variation``           :func:`total_variation`                              yes
``chord_length``        :func:`chord_length_distribution`                    no
``gram_matrices``       :func:`gram_matrices`                                yes
``euler_density``       :func:`mcrkit.morphology.euler_density`              no
``connectivity``        :func:`mcrkit.morphology.cluster_sizes`              no
``feature_size``        :func:`mcrkit.morphology.feature_size_distribution`  no
======================  ===================================================  ==============

The built-ins are declared in mcrkit's ``pyproject.toml`` as entry points of the
group ``mcrkit.descriptors``; third-party descriptors subclass
:class:`Descriptor` and are declared the same way in their own package (see
:mod:`mcrkit.descriptors.base` for the hooks a descriptor may override).
"""

from mcrkit.descriptors.base import Descriptor
from mcrkit.descriptors.chord_length import (
    ChordLength,
    chord_length_distribution,
    chord_lengths,
    mean_chord_length,
)
from mcrkit.descriptors.connectivity import Connectivity
from mcrkit.descriptors.correlations import (
    Correlations,
    correlation_vectors,
    three_point_correlation,
)
from mcrkit.descriptors.euler_density import EulerDensity
from mcrkit.descriptors.feature_size import FeatureSize
from mcrkit.descriptors.gram_matrices import GramMatrices, gram_matrices
from mcrkit.descriptors.lineal_path import LinealPath, LinealPathApprox, line_offsets, lineal_path
from mcrkit.descriptors.local_patterns import (
    LocalPatterns,
    local_pattern_histogram,
    pattern_euler_density,
)
from mcrkit.descriptors.two_point import TwoPoint, TwoPointCross, two_point_correlation
from mcrkit.descriptors.variation import Variation, total_variation
from mcrkit.descriptors.volume_fractions import VolumeFractions, volume_fractions

__all__ = [
    "ChordLength",
    "Connectivity",
    "Correlations",
    "Descriptor",
    "EulerDensity",
    "FeatureSize",
    "GramMatrices",
    "LinealPath",
    "LinealPathApprox",
    "LocalPatterns",
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
    "local_pattern_histogram",
    "mean_chord_length",
    "pattern_euler_density",
    "three_point_correlation",
    "total_variation",
    "two_point_correlation",
    "volume_fractions",
]
