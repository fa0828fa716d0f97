"""Convolutional feature extractors in plain PyTorch, with offline weights.

Two extractors, both needing no download:

* **VGG-19** (:class:`VGG19Features`, from a weight file via :func:`load_vgg19`):
  VGG-19's five blocks of 3x3 convolutions (2, 2, 4, 4 and 4 layers), each
  followed by a ReLU, and a 2x2 average pooling after every block (average
  instead of VGG's max pooling, as in texture synthesis: it is smooth).
  Layers are named ``conv<block>_<index>`` (the ReLU output of that
  convolution) and ``pool<block>``. The file is a PyTorch state dict in
  torchvision's layout (``features.0.weight`` ... ``features.34.bias``; a
  whole ``vgg19`` state dict works too, its classifier is ignored) or an
  ``.npz`` archive with the same keys, read with
  ``torch.load(weights_only=True)`` / ``np.load(allow_pickle=False)``; every
  shape is checked and its SHA-256 identifies the extractor
  (``"vgg19 sha256:<hex>"``). Inputs are normalized with the ImageNet mean
  and standard deviation the weights were trained with.
* **random multi-scale filters** (:class:`RandomMultiscale`, the default):
  one layer of random filters per size in :data:`RANDOM_SIZES`, drawn from
  ``numpy.random.default_rng(seed)``; identified as
  ``"random-multiscale seed <seed>"``.

Convolutions pad periodically or with zeros. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "LAYER_NAMES",
    "RANDOM_FILTERS",
    "RANDOM_SIZES",
    "SPECTRA_KEPT",
    "VGG19_WIDTHS",
    "FeatureExtractor",
    "RandomMultiscale",
    "VGG19Features",
    "file_sha256",
    "load_vgg19",
]

VGG19_WIDTHS: tuple[tuple[int, ...], ...] = ((64, 64), (128, 128), (256,) * 4, (512,) * 4,
                                             (512,) * 4)
"""Output channels of every convolution of VGG-19, block by block."""

RANDOM_SIZES: tuple[int, ...] = (3, 5, 7, 11, 15, 23)
"""Filter sizes of the built-in random extractor (one layer each)."""

RANDOM_FILTERS = 64
"""Filters per size of the built-in random extractor."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

SPECTRA_KEPT = 12
"""Image grids (with device and dtype) whose filter spectra a random extractor keeps, least
recently used dropped first: enough for a 3D multigrid run (three slice shapes per level),
bounded in a long session (GUI, batch worker) that meets many image sizes."""

REFERENCE_SIZE = 64
"""Side of the fixed noise image on which every layer's feature energy is calibrated."""


def _layer_names() -> tuple[str, ...]:
    names = []
    for block, widths in enumerate(VGG19_WIDTHS, 1):
        names += [f"conv{block}_{i}" for i in range(1, len(widths) + 1)]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES: tuple[str, ...] = _layer_names()
"""Every layer name in network order."""


class FeatureExtractor:
    """Named layers of a fixed convolutional network, evaluated on batches of colour images.

    Subclasses set :attr:`identity`, :attr:`layer_names`, :attr:`default_layers`
    and the input normalization, and implement :meth:`width`, :meth:`depth`
    and :meth:`_forward`.

    Attributes
    ----------
    identity : str
        What produced the weights (``"vgg19 sha256:..."`` or ``"random-multiscale seed N"``).
    layer_names : tuple of str
        Every layer, in network order.
    default_layers : tuple of str
        Layers a Gram descriptor uses unless told otherwise.
    mean, std : tuple of float
        Per input channel normalization ``(x - mean) / std``.
    """

    identity: str
    layer_names: tuple[str, ...]
    default_layers: tuple[str, ...]
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._energy: dict[str, float] = {}

    def width(self, layer: str) -> int:
        """Channels of ``layer``."""
        raise NotImplementedError

    def depth(self, layer: str) -> int:
        """Number of 2x2 poolings before ``layer`` (its stride is ``2**depth``)."""
        raise NotImplementedError

    def workspace(self, layers: Iterable[str]) -> float:
        """Intermediate floats per input pixel of one image when evaluating ``layers``."""
        raise NotImplementedError

    def _forward(self, x: torch.Tensor, wanted: set[str],
                 periodic: bool) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def cached(self, key: tuple[Any, ...], make: Any) -> Any:
        """``make()`` computed once per ``key``: constants on a device and dtype (weights,
        input normalization, a descriptor's palette), so that evaluations copy nothing from
        the host."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def features(self, images: torch.Tensor, layers: Iterable[str], *,
                 periodic: bool = True) -> dict[str, torch.Tensor]:
        """Feature maps ``(B, C_l, H_l, W_l)`` of the named layers.

        Parameters
        ----------
        images : (B, 3, H, W) Tensor
            Input colours in [0, 1]; normalized here.
        layers : iterable of str
            Names from :attr:`layer_names`.
        periodic : bool, optional
            Periodic (default) or zero padding of the convolutions.
        """
        mean, std = self.cached(  # made once per device: no host-to-device copy per call
            ("normalization", str(images.device), images.dtype),
            lambda: (images.new_tensor(self.mean).view(1, 3, 1, 1),
                     images.new_tensor(self.std).view(1, 3, 1, 1)))
        return self._forward((images - mean) / std, set(layers), periodic)

    def energy(self, layers: Sequence[str]) -> dict[str, float]:
        """Mean feature energy (mean Gram diagonal) of each layer on a fixed reference.

        The reference is a ``64 x 64`` image whose pixels are random corners of
        the colour cube (independent fair bits per channel from
        ``numpy.random.default_rng(0)``: the colours phases are encoded with),
        with periodic padding; dividing a Gram matrix by its layer's energy
        makes its entries O(1) whatever the weights.
        """
        missing = [name for name in layers if name not in self._energy]
        if missing:
            rng = np.random.default_rng(0)
            bits = rng.integers(0, 2, size=(1, 3, REFERENCE_SIZE, REFERENCE_SIZE))
            with torch.no_grad():
                maps = self.features(torch.from_numpy(bits.astype(np.float64)), missing)
            for name, fmap in maps.items():
                self._energy[name] = max(float(fmap.square().mean()), 1e-30)
        return {name: self._energy[name] for name in layers}


class VGG19Features(FeatureExtractor):
    """VGG-19's convolutional part with given weights (see :func:`load_vgg19`).

    Parameters
    ----------
    blocks : list of list of (weight, bias)
        Float64 tensors per block, ``weight`` of shape ``(out, in, 3, 3)``.
    identity : str
        Name of the weights.
    """

    layer_names = LAYER_NAMES
    default_layers = ("conv1_1", "pool1", "pool2", "pool3", "pool4")
    mean = IMAGENET_MEAN
    std = IMAGENET_STD

    def __init__(self, blocks: list[list[tuple[torch.Tensor, torch.Tensor]]],
                 identity: str) -> None:
        super().__init__()
        self.blocks = blocks
        self.identity = identity

    def width(self, layer: str) -> int:
        convs = self.blocks[int(layer[4]) - 1]
        index = len(convs) if layer.startswith("pool") else int(layer.split("_")[1])
        return int(convs[index - 1][0].shape[0])

    def depth(self, layer: str) -> int:
        block = int(layer[4])
        return block if layer.startswith("pool") else block - 1

    def workspace(self, layers: Iterable[str]) -> float:
        last = max(LAYER_NAMES.index(name) for name in layers)
        floats, channels = 3.0, 3
        for name in LAYER_NAMES[:last + 1]:
            width = self.width(name)
            area = 4.0 ** -self.depth(name)
            # padded input, convolution and ReLU outputs (a pooled map is a quarter of one)
            floats += (channels + 2 * width) * area if name.startswith("conv") else width * area
            channels = width
        return floats

    def _forward(self, x: torch.Tensor, wanted: set[str],
                 periodic: bool) -> dict[str, torch.Tensor]:
        last = max(LAYER_NAMES.index(name) for name in wanted)
        blocks = self.cached((str(x.device), x.dtype), lambda: [
            [(w.to(x.device, x.dtype), b.to(x.device, x.dtype)) for w, b in convs]
            for convs in self.blocks])
        out: dict[str, torch.Tensor] = {}
        names = iter(LAYER_NAMES[:last + 1])
        for convs in blocks:
            for weight, bias in convs:
                if periodic:
                    x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), weight, bias)
                else:
                    x = F.conv2d(x, weight, bias, padding=1)
                x = F.relu(x)
                name = next(names, None)
                if name in wanted:
                    out[name] = x
            x = F.avg_pool2d(x, 2)
            name = next(names, None)
            if name in wanted:
                out[name] = x
            if name is None or name == LAYER_NAMES[last]:
                break
        return out


class RandomMultiscale(FeatureExtractor):
    """Banks of random filters of several sizes, each followed by a ReLU (one layer deep).

    Layer ``conv<k>x<k>`` holds ``filters`` filters of size ``k x k`` over the
    three input colours, He-normal (standard deviation ``sqrt(2 / (3 k^2))``)
    from ``numpy.random.default_rng(seed)``, no bias; inputs are mapped from
    [0, 1] to [-1, 1]. The convolutions run as FFT products (any filter size
    on any image size; periodic, or zero padding). Random multi-scale filter
    banks give texture statistics close to trained networks' (Ustyuzhaninov
    et al. 2017) and need no download.

    Parameters
    ----------
    seed : int
        Seed of the filters.
    sizes : tuple of int
        Odd filter sizes, one layer each.
    filters : int
        Filters per layer.

    Examples
    --------
    >>> extractor = RandomMultiscale(0)
    >>> extractor.identity, extractor.layer_names[:2], extractor.width("conv3x3")
    ('random-multiscale seed 0', ('conv3x3', 'conv5x5'), 64)
    """

    def __init__(self, seed: int = 0, sizes: tuple[int, ...] = RANDOM_SIZES,
                 filters: int = RANDOM_FILTERS) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.identity = f"random-multiscale seed {seed}"
        self.layer_names = tuple(f"conv{k}x{k}" for k in sizes)
        self.default_layers = self.layer_names
        self.kernels = {name: rng.standard_normal((filters, 3, k, k)) * np.sqrt(2 / (3 * k * k))
                        for name, k in zip(self.layer_names, sizes, strict=True)}
        self.spectra: OrderedDict[tuple[Any, ...], dict[str, torch.Tensor]] = OrderedDict()

    def width(self, layer: str) -> int:
        return int(self.kernels[layer].shape[0])

    def depth(self, layer: str) -> int:
        return 0

    def workspace(self, layers: Iterable[str]) -> float:
        # input spectrum; per layer the products of the colours' spectra (half a grid of
        # complex numbers each), the inverse FFT and the ReLU output
        return 6.0 + sum(4.0 * self.width(name) for name in layers)

    def _spectra_on(self, grid: tuple[int, int], device: torch.device,
                    dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """The kernel spectra (by layer) kept for ``grid``; those of the least recently used
        grids beyond :data:`SPECTRA_KEPT` are dropped."""
        key = (grid, str(device), dtype)
        if key in self.spectra:
            self.spectra.move_to_end(key)
        else:
            self.spectra[key] = {}
            while len(self.spectra) > SPECTRA_KEPT:
                self.spectra.popitem(last=False)
        return self.spectra[key]

    def _spectrum(self, layer: str, grid: tuple[int, int], device: torch.device,
                  dtype: torch.dtype) -> torch.Tensor:
        """rfft2 of the kernel laid out for a circular cross-correlation on ``grid``."""
        kernel = self.kernels[layer]
        half = kernel.shape[-1] // 2
        taps = np.arange(kernel.shape[-1])
        rows = ((half - taps) % grid[0])[:, None]
        cols = ((half - taps) % grid[1])[None, :]
        placed = np.zeros((*kernel.shape[:2], *grid))
        np.add.at(placed, (slice(None), slice(None), rows, cols), kernel)  # taps may wrap
        return torch.fft.rfft2(torch.from_numpy(placed)).to(device, _complex(dtype))

    def _forward(self, x: torch.Tensor, wanted: set[str],
                 periodic: bool) -> dict[str, torch.Tensor]:
        height, width = x.shape[-2:]
        reach = 0 if periodic else max(self.kernels[name].shape[-1] // 2 for name in wanted)
        grid = (height + reach, width + reach)
        spectrum = torch.fft.rfft2(x, s=grid)
        spectra = self._spectra_on(grid, x.device, x.dtype)
        out = {}
        for name in self.layer_names:
            if name in wanted:
                if name not in spectra:
                    spectra[name] = self._spectrum(name, grid, x.device, x.dtype)
                kernel = spectra[name]
                # three input colours: a sum of broadcast products beats a batched matmul
                product = sum(spectrum[:, None, c] * kernel[:, c] for c in range(kernel.shape[1]))
                maps = torch.fft.irfft2(product, s=grid)
                out[name] = F.relu(maps[..., :height, :width])
        return out


def _complex(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


_FIX = ("give the VGG-19 ImageNet weights of torchvision (vgg19-dcbb9e9d.pth) or a state dict "
        "with the same 'features.N.weight' / 'features.N.bias' keys and shapes (see docs/gram.md)")


def _read_arrays(path: Path) -> dict[str, np.ndarray | torch.Tensor]:
    """Arrays of a ``.npz`` archive or a torch state dict, without unpickling code."""
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # the unpickler raises anything (KeyError, IndexError, ...) on junk
        if isinstance(exc, pickle.UnpicklingError):  # not torch's advice to unpickle it anyway
            reason = "it holds Python objects other than arrays, which mcrkit never loads"
        else:
            reason = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
        raise ValueError(f"{path}: cannot be read as VGG-19 weights ({reason}); {_FIX}") from None
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: holds a {type(loaded).__name__}, not a state dict; {_FIX}")
    return loaded


def _parameter(arrays: dict[str, np.ndarray | torch.Tensor], path: Path, index: int,
               kind: str, shape: tuple[int, ...]) -> torch.Tensor:
    """``features.<index>.<kind>`` (or ``<index>.<kind>`` of a features-only state dict) as
    float64, checked against ``shape``."""
    key = next((k for k in (f"features.{index}.{kind}", f"{index}.{kind}") if k in arrays),
               None)
    if key is None:
        raise ValueError(f"{path}: missing key 'features.{index}.{kind}'; {_FIX}")
    try:
        value = torch.as_tensor(arrays[key]).detach().to(torch.float64)
    except (TypeError, RuntimeError, ValueError):
        raise ValueError(f"{path}: {key} is not an array of numbers; {_FIX}") from None
    if tuple(value.shape) != shape:
        raise ValueError(f"{path}: {key} has shape {tuple(value.shape)}, VGG-19 needs {shape}; "
                         f"{_FIX}")
    return value


def load_vgg19(path: str | os.PathLike[str]) -> FeatureExtractor:
    """The VGG-19 extractor with the weights in ``path`` (state dict or ``.npz``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file cannot be read, is not a state dict, or misses a key or
        has a wrong shape; the message names the file, the key and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such VGG-19 weight file; {_FIX}")
    arrays = _read_arrays(path)
    blocks, channels, index = [], 3, 0
    for widths in VGG19_WIDTHS:
        convs = []
        for width in widths:
            convs.append((_parameter(arrays, path, index, "weight", (width, channels, 3, 3)),
                          _parameter(arrays, path, index, "bias", (width,))))
            channels = width
            index += 2  # convolution, ReLU
        blocks.append(convs)
        index += 1  # pooling
    return VGG19Features(blocks, f"vgg19 sha256:{file_sha256(path)}")
