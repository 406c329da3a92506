"""The exact distribution of one entry of a block under a random init, for the audit's tests.

:func:`entry_distribution` returns a :class:`Dist` (CDF, mean, std, excess kurtosis, support) for
every init whose entries are i.i.d.: ``normal``, ``truncated_normal``, ``uniform``, the variance
scaling family (Glorot, He, LeCun, Keras' ``variance_scaling``, PyTorch's ``kaiming_*``; per block
or fused; truncated or not), and ``torch_default``, whose *effective*
bias on PyTorch's two additive biases is the sum of ``terms`` draws of ``U(±1/√H)`` (an
Irwin–Hall distribution: triangular for two terms).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from rnninit.inits import Block, Init, Normal, TorchDefault, TruncatedNormal, Uniform
from rnninit.inits.random import TRUNCATED_STD, TRUNCATION, _VarianceScaling


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


def explicit(init: Init) -> str:
    """``normal(mean=0.0, std=1.0)`` rather than ``normal``: every argument, defaults included."""
    args = {k: v for k, v in init.args().items() if k != "fused" or v}
    if not args:
        return init.name
    return (
        f"{init.name}("
        + ", ".join(f"{k}={explicit(v) if isinstance(v, Init) else v}" for k, v in args.items())
        + ")"
    )


def entry_distribution(init: Init, block: Block) -> Dist | None:
    """The distribution of every entry of ``block`` under ``init``, or ``None`` if entries are not i.i.d.

    A zero-width distribution (``std=0``) is also ``None``: it is a constant, checked exactly.
    """
    if isinstance(init, Normal):
        if init.std == 0:
            return None
        return normal(explicit(init), init.mean, init.std)
    if isinstance(init, TruncatedNormal):
        if init.std == 0:
            return None
        return Dist.from_scipy(explicit(init), init.distribution())
    if isinstance(init, Uniform):
        return uniform(explicit(init), init.low, init.high)
    if isinstance(init, _VarianceScaling):
        std = init.std(block)
        if std == 0:
            return None
        sampler = init.sampler()
        if sampler == "uniform":
            limit = math.sqrt(3.0) * std
            return uniform(explicit(init), -limit, limit)
        if sampler == "truncated_normal":
            scale = std / TRUNCATED_STD
            return Dist.from_scipy(explicit(init), stats.truncnorm(-TRUNCATION, TRUNCATION, scale=scale))
        return normal(explicit(init), 0.0, std)
    if isinstance(init, TorchDefault):
        dist = irwin_hall(init.terms_for(block), init.bound(block))
        return Dist(
            explicit(init) + f" = {dist.label}",
            dist.cdf,
            dist.mean,
            dist.std,
            dist.excess_kurtosis,
            dist.low,
            dist.high,
            dist.normal,
        )
    return None
