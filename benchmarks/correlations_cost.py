"""Where one evaluation of ``correlations`` at 64^3 spends its time, and what the
alternatives would cost.

Run ``python benchmarks/correlations_cost.py [--repeat 3] [--threads 1]``.
It evaluates ``correlations`` (limit_to 8: K = 113 vectors) and ``variation``
on a relaxed two-phase 64^3 field in float32 (value, then gradient of a
squared sum) and prints the median wall and CPU seconds of each pass (CPU
seconds of this process stay meaningful on a loaded machine), then the cost of
the same arithmetic done three other ways, each over the 192 slices of the
volume:

* ``matmul``: the two matrix products of the current path alone (the Gram
  matrix of the K shifted products, and K x K weights times the shifted
  copies in the gradient), in groups of four slices as the descriptor does;
* ``upper blocks``: the Gram matrix from the products of vector blocks on
  and above the diagonal only (about 3/4 of the arithmetic for two blocks);
* ``fft``: one forward and one inverse real FFT of a 64^2 map per vector and
  slice, the least an FFT route needs for one pass (each vector's
  shifted product correlated with the image at every lag).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from mcrkit.descriptors import Correlations, Descriptor, Variation

SIDE, LIMIT_TO, GROUP = 64, 8, 4


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn`` over ``repeat`` calls after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


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
    half = n_vectors // 2
    blocks = [slice(0, half), slice(half, n_vectors)]

    def gram() -> None:
        for _ in range(n_groups):
            torch.matmul(products, products.mT)

    def weighted() -> None:
        for _ in range(n_groups):
            torch.matmul(weights, products)

    def upper() -> None:
        for _ in range(n_groups):
            for k, rows in enumerate(blocks):
                for cols in blocks[k:]:
                    torch.matmul(products[:, rows], products[:, cols].mT)

    maps = torch.rand(GROUP, n_vectors, SIDE, SIDE, generator=generator)

    def fft() -> None:
        for _ in range(n_groups):
            torch.fft.irfft2(torch.fft.rfft2(maps), s=(SIDE, SIDE))

    for label, fn in (("matmul: Gram of the products (value)", gram),
                      ("matmul: weights x shifted copies (gradient)", weighted),
                      ("upper blocks: Gram from 2 x 2 blocks on/above the diagonal", upper),
                      ("fft: forward + inverse FFT per vector and slice (one pass)", fft)):
        wall, cpu = timed(fn, args.repeat)
        print(f"| {label} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
