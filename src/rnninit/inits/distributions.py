"""The law of one entry of a block: what an init's `entry_distribution` says.

A `Dist` gives the CDF, mean, standard deviation, excess kurtosis and support of one entry,
for inits whose entries are drawn independently from one distribution: a normal, a uniform, a
truncated normal (any scipy.stats frozen distribution, `Dist.from_scipy`), and the sum of
``k`` uniforms that ``torch_default``'s effective bias over PyTorch's additive biases is (an
Irwin–Hall distribution: triangular for two terms). It only describes; the audit
(`rnninit.audit.checks`) tests blocks against it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Dist:
    """One entry's distribution: what the audit's tests need to know about it."""

    label: str
    cdf: Callable[[np.ndarray], np.ndarray]
    mean: float
    std: float
    #: Excess kurtosis (0 for a normal, -1.2 for a uniform); the variance test uses it.
    excess_kurtosis: float
    low: float = -math.inf
    high: float = math.inf
    #: True when entries are exactly normal (the mean and variance tests are then exact).
    normal: bool = False

    @classmethod
    def from_scipy(cls, label: str, frozen, *, normal: bool = False) -> Dist:
        low, high = frozen.support()
        mean, var, _, kurt = (float(v) for v in frozen.stats(moments="mvsk"))
        return cls(label, frozen.cdf, mean, math.sqrt(var), kurt, float(low), float(high), normal)


def normal(label: str, mean: float, std: float) -> Dist:
    return Dist(label, lambda x: special.ndtr((np.asarray(x) - mean) / std), mean, std, 0.0, normal=True)


def uniform(label: str, low: float, high: float) -> Dist:
    width = high - low
    return Dist(
        label,
        lambda x: np.clip((np.asarray(x) - low) / width, 0.0, 1.0),
        (low + high) / 2,
        width / math.sqrt(12.0),
        -1.2,
        low,
        high,
    )


def triangular(label: str, half_width: float) -> Dist:
    """Symmetric triangular on ``±c``: the sum of two ``U(±c/2)``; variance ``c²/6``, excess kurtosis -0.6."""
    c = half_width

    def cdf(x):
        t = np.clip(np.asarray(x, dtype=np.float64) / c, -1.0, 1.0)
        return np.where(t < 0, 0.5 * (1 + t) ** 2, 1 - 0.5 * (1 - t) ** 2)

    return Dist(label, cdf, 0.0, c / math.sqrt(6.0), -0.6, -c, c)


def irwin_hall(terms: int, bound: float) -> Dist:
    """The sum of ``terms`` independent ``U(-bound, bound)`` draws.

    CDF of the Irwin–Hall sum ``S`` of ``k`` standard uniforms:
    ``F(s) = (1/k!) Σ_{j=0}^{⌊s⌋} (-1)^j C(k, j) (s - j)^k``; the sum of ``U(±b)`` draws is
    ``2b·S - k·b``. Variance ``k b²/3``; excess kurtosis ``-6/(5k)``.
    """
    k = terms
    if k == 1:
        return uniform(f"U(±{bound:.4g})", -bound, bound)
    if k == 2:
        return triangular(f"triangular(±{2 * bound:.4g})", 2 * bound)

    def cdf(x: np.ndarray) -> np.ndarray:
        s = np.clip((np.asarray(x, dtype=np.float64) + k * bound) / (2 * bound), 0.0, k)
        total = np.zeros_like(s)
        for j in range(k + 1):
            total += (-1) ** j * math.comb(k, j) * np.where(s > j, (s - j) ** k, 0.0)
        return np.clip(total / math.factorial(k), 0.0, 1.0)

    return Dist(
        f"sum of {k} U(±{bound:.4g})",
        cdf,
        0.0,
        math.sqrt(k / 3.0) * bound,
        -6.0 / (5.0 * k),
        -k * bound,
        k * bound,
    )


__all__ = ["Dist", "irwin_hall", "normal", "triangular", "uniform"]
