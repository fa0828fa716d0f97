"""Line search satisfying the strong Wolfe conditions.

Nocedal & Wright, *Numerical Optimization* (2006), Algorithms 3.5 (bracketing)
and 3.6 (zoom), with safeguarded cubic interpolation inside the bracket. Works
on tensors of any shape and device; only scalars leave the device. The points tried keep
their step and gradient, not their position (``x + step * direction`` is recomputed for the
accepted one), which saves up to three iterate-sized tensors of a large problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mcrkit.engine.optimizers.base import ValueAndGradient

__all__ = ["LineSearchResult", "strong_wolfe"]


@dataclass
class LineSearchResult:
    """Accepted step (0 when none decreased the objective) and the point it reached."""

    step: float
    x: torch.Tensor
    value: torch.Tensor
    grad: torch.Tensor
    evaluations: int


@dataclass
class _Point:
    step: float
    value: float
    slope: float
    value_t: torch.Tensor
    grad: torch.Tensor


def _cubic_minimizer(a: _Point, b: _Point) -> float:
    """Minimizer of the cubic through two points with slopes, or NaN."""
    d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step)
    radicand = d1 * d1 - a.slope * b.slope
    if radicand < 0:
        return math.nan
    d2 = math.copysign(math.sqrt(radicand), b.step - a.step)
    denominator = b.slope - a.slope + 2 * d2
    if denominator == 0:
        return math.nan
    return b.step - (b.step - a.step) * (b.slope + d2 - d1) / denominator


def strong_wolfe(fn: ValueAndGradient, x: torch.Tensor, value: torch.Tensor, grad: torch.Tensor,
                 direction: torch.Tensor, *, step: float = 1.0, c1: float = 1e-4,
                 c2: float = 0.9, max_evaluations: int = 25) -> LineSearchResult:
    """Find a step along ``direction`` with sufficient decrease and small slope.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> (value, gradient)``.
    x, value, grad : Tensor
        Current point, its value and gradient.
    direction : Tensor
        Descent direction (``grad . direction < 0``).
    step : float, optional
        First trial step.
    c1, c2 : float, optional
        Sufficient-decrease and curvature constants, ``0 < c1 < c2 < 1``.
    max_evaluations : int, optional
        Budget of objective evaluations.

    Returns
    -------
    LineSearchResult
        When the budget runs out, the best point with sufficient decrease
        found so far (step 0 if there is none).
    """
    slope0 = float(torch.dot(grad.flatten(), direction.flatten()))
    f0 = float(value)
    start = _Point(0.0, f0, slope0, value, grad)
    evaluations = 0

    def probe(t: float) -> _Point:
        nonlocal evaluations
        evaluations += 1
        v, g = fn(x + t * direction)
        return _Point(t, float(v), float(torch.dot(g.flatten(), direction.flatten())), v, g)

    def armijo(p: _Point) -> bool:
        return math.isfinite(p.value) and p.value <= f0 + c1 * p.step * slope0

    def result(p: _Point) -> LineSearchResult:
        reached = x if p.step == 0.0 else x + p.step * direction  # as evaluated
        return LineSearchResult(p.step, reached, p.value_t, p.grad, evaluations)

    def zoom(lo: _Point, hi: _Point) -> LineSearchResult:
        while evaluations < max_evaluations:
            width = hi.step - lo.step
            t = _cubic_minimizer(lo, hi) if math.isfinite(hi.value) else math.nan
            low, high = sorted((lo.step, hi.step))
            margin = 0.1 * abs(width)
            if not math.isfinite(t) or not low + margin <= t <= high - margin:
                t = lo.step + 0.5 * width
            p = probe(t)
            if not armijo(p) or p.value >= lo.value:
                hi = p
            else:
                if abs(p.slope) <= -c2 * slope0:
                    return result(p)
                if p.slope * (hi.step - lo.step) >= 0:
                    hi = lo
                lo = p
            if abs(hi.step - lo.step) < 1e-12 * max(1.0, abs(lo.step)):
                break
        return result(lo)

    previous = start
    t = step
    while evaluations < max_evaluations:
        p = probe(t)
        if not armijo(p) or (previous.step > 0 and p.value >= previous.value):
            return zoom(previous, p)
        if abs(p.slope) <= -c2 * slope0:
            return result(p)
        if p.slope >= 0:
            return zoom(p, previous)
        previous, t = p, 2.0 * t
    return result(previous)
