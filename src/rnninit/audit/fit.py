"""Free arguments estimated from a block's values, for `rnninit.describe`.

An estimated argument is **the decimal with the fewest significant digits inside its confidence
interval** at level `ACCEPT_P` (the simplest value the data cannot reject), so a block drawn
with ``normal(std=0.3)`` is described as ``normal(std=0.3)``, not ``normal(std=0.2987)``. Among
equally short decimals the one nearest the point estimate is taken; for a bound of the support
(``uniform``'s ``low``/``high``, ``truncated_normal``'s ``2·std``, ``chrono``'s ``t_max``) the
interval starts at the sample's extreme and the decimal nearest it is taken, so the described
support is the narrowest one the data allow: re-applied, it never draws a value its source could not
have drawn (the audit's range test is exact).

Intervals (``a = ACCEPT_P``, ``n`` entries, ``z = Φ⁻¹(1 - a/2)``):

- a mean: ``x̄ ± z·s/√n``;
- a normal's std: ``Σ(x - μ)² / χ²(n)`` between its ``a/2`` and ``1 - a/2`` quantiles;
- an upper bound of a uniform support ``[l, h]``: ``h ∈ [max, max + w·((a/2)^(-1/n) - 1)]``
  (``P(max < h - t) = (1 - t/(h - l))^n``, ``w = (max - min)(n + 1)/(n - 1)`` the width's unbiased
  estimate); a lower bound likewise;
- ``spectral``'s radius: only a decimal of at most `SPECTRAL_DIGITS` significant digits within
  relative `SPECTRAL_RTOL` of the measured radius (the radius of a random matrix is not special;
  a rescaled one is exactly its target, so only a short decimal is evidence of the rescaling).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rnninit.audit.checks import EXACT_RTOL
from rnninit.inits import Chrono, Init, Normal, Spectral, TruncatedNormal, Uniform
from rnninit.inits.distributions import Dist
from rnninit.inits.random import TRUNCATED_STD, TRUNCATION

#: Level of every confidence interval here, and of describe's acceptance of a candidate init.
ACCEPT_P = 1e-3
#: A square block is described as ``spectral(radius)`` when its spectral radius is within this relative
#: distance of a decimal with at most ``SPECTRAL_DIGITS`` significant digits. float32 storage moves a
#: radius by about 3e-8 relative; a random matrix's radius lands this close to such a decimal with
#: probability at most ``2·SPECTRAL_RTOL / 10^(1 - SPECTRAL_DIGITS) = 2e-4`` (the spacing of those decimals).
SPECTRAL_RTOL = 1e-6
SPECTRAL_DIGITS = 2


def shortest_decimal(lo: float, hi: float, near: float, max_digits: int = 15) -> float | None:
    """The decimal with the fewest significant digits in ``[lo, hi]``, nearest ``near`` among those.

    ``None`` when none with at most ``max_digits`` digits lies there."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        return None
    if lo <= 0.0 <= hi:
        return 0.0
    if hi < 0:
        mirrored = shortest_decimal(-hi, -lo, -near, max_digits)
        return None if mirrored is None else -mirrored
    top = math.floor(math.log10(hi))
    bottom = math.floor(math.log10(lo))
    for digits in range(1, max_digits + 1):
        found: list[float] = []
        for e in range(bottom, top + 1):  # decimals of leading decade 10^e with ``digits`` digits
            exp = e - digits + 1
            step = 10.0**exp
            first, last = max(lo, 10.0**e), min(hi, 10.0 ** (e + 1))
            for k in range(math.ceil(first / step - 1e-9), math.floor(last / step + 1e-9) + 1):
                value = float(f"{k}e{exp}")
                if lo <= value <= hi and value != 0:
                    found.append(value)
            if len(found) > 64:  # digits finer than the interval: any of them will do
                break
        if found:
            return min(found, key=lambda v: (abs(v - near), v))
    return None


def _z() -> float:
    return float(stats.norm.isf(ACCEPT_P / 2))


def _mean_interval(flat: np.ndarray, std: float) -> tuple[float, float, float, float]:
    """The mean's interval ``(lo, hi)``, its point estimate, and the simplest decimal in the interval
    (the estimate where none is short enough)."""
    mean = float(flat.mean())
    half = _z() * std / math.sqrt(flat.size)
    simplest = shortest_decimal(mean - half, mean + half, mean)
    return mean - half, mean + half, mean, mean if simplest is None else simplest


def _extreme_slack(width: float, n: int) -> float:
    """How far a support's end may lie beyond the sample's extreme (upper end of its interval)."""
    return width * math.expm1(-math.log(ACCEPT_P) / n)


@dataclass(frozen=True)
class Fitted:
    """A free-argument family fitted to a block: the estimate, and the region of arguments the data
    allow (``admits``: whether another init's entry distribution of this family lies inside it)."""

    init: Init
    admits: Callable[[Dist], bool]


def _within(x: float, lo: float, hi: float) -> bool:
    tol = EXACT_RTOL * max(abs(lo), abs(hi), 1e-30)
    return lo - tol <= x <= hi + tol


def fit_normal(flat: np.ndarray) -> Fitted | None:
    n = flat.size
    std = float(flat.std(ddof=1)) if n > 1 else 0.0
    if n < 2 or std == 0:
        return None
    m_lo, m_hi, _, mean = _mean_interval(flat, std)
    ss = float(np.sum((flat - mean) ** 2))
    lo = math.sqrt(ss / stats.chi2.isf(ACCEPT_P / 2, n))
    hi = math.sqrt(ss / stats.chi2.ppf(ACCEPT_P / 2, n))
    found = shortest_decimal(lo, hi, math.sqrt(ss / n))
    init = Normal(mean=mean, std=found if found is not None else math.sqrt(ss / n))
    return Fitted(init, lambda d: d.normal and _within(d.mean, m_lo, m_hi) and _within(d.std, lo, hi))


def fit_uniform(flat: np.ndarray) -> Fitted | None:
    lo, hi = float(flat.min()), float(flat.max())
    n = flat.size
    if n < 2 or hi <= lo:
        return None
    # each end at level ACCEPT_P / 2, from the unbiased estimate of the support's width
    slack = (hi - lo) * (n + 1) / (n - 1) * math.expm1(-math.log(ACCEPT_P / 2) / n)
    low = shortest_decimal(lo - slack, lo, lo)
    high = shortest_decimal(hi, hi + slack, hi)
    init = Uniform(low=lo if low is None else low, high=hi if high is None else high)
    return Fitted(
        init,
        lambda d: (
            math.isclose(d.excess_kurtosis, -1.2, abs_tol=1e-9)
            and _within(d.low, lo - slack, lo)
            and _within(d.high, hi, hi + slack)
        ),
    )


def fit_truncated_normal(flat: np.ndarray) -> Fitted | None:
    n = flat.size
    sample_std = float(flat.std(ddof=1)) if n > 1 else 0.0
    if n < 2 or sample_std == 0:
        return None
    m_lo, m_hi, m_hat, mean = _mean_interval(flat, sample_std)
    # the support is mean ± TRUNCATION·std: std is at least the sample's largest distance over TRUNCATION
    reach = float(np.max(np.abs(flat - mean))) / TRUNCATION
    scale = sample_std / TRUNCATED_STD
    # an upper end: the sample std's own interval (CLT on the variance, with the shape's excess kurtosis)
    kurtosis = float(stats.truncnorm(-TRUNCATION, TRUNCATION).stats(moments="k"))
    upper = max(reach, scale * math.sqrt(1 + _z() * math.sqrt((kurtosis + 2) / n)))
    found = shortest_decimal(reach, upper, reach)
    init = TruncatedNormal(mean=mean, std=found if found is not None else max(reach, scale))
    # another truncated normal (e.g. Keras' glorot_normal) is allowed when its mean is in the mean's
    # interval and its support reaches the sample (give or take that interval) without exceeding ``upper``
    spread = _z() * math.sqrt((kurtosis + 2) / n)
    lowest = max(
        (float(np.max(np.abs(flat - m_hat))) - (m_hi - m_lo) / 2) / TRUNCATION,
        scale * math.sqrt(max(0.0, 1 - spread)),
    )

    def admits(d: Dist) -> bool:
        if (
            d.normal
            or not math.isfinite(d.low)
            or not math.isclose(d.excess_kurtosis, float(kurtosis), rel_tol=1e-6)
        ):
            return False
        return _within(d.mean, m_lo, m_hi) and _within(d.std / TRUNCATED_STD, lowest, upper)

    return Fitted(init, admits)


def fit_families(flat: np.ndarray) -> list[Fitted]:
    """One estimate per free-argument family that can describe these values."""
    fits = (fit_normal(flat), fit_uniform(flat), fit_truncated_normal(flat))
    return [f for f in fits if f is not None]


def fit_chrono(forget_bias: np.ndarray) -> Chrono | None:
    """``chrono(t_max)`` from the forget gate's bias ``b_f = log U(1, t_max - 1)``."""
    u = np.exp(forget_bias.reshape(-1))
    top = float(u.max())
    slack = _extreme_slack(top - 1.0, u.size)
    found = shortest_decimal(top + 1.0, top + 1.0 + slack, top + 1.0)
    t_max = found if found is not None else top + 1.0
    return Chrono(t_max=t_max) if t_max > 2 else None


def fit_spectral(radius: float) -> Spectral | None:
    """``spectral(radius)`` when the measured radius is a short decimal (see `SPECTRAL_RTOL`)."""
    if not radius > 0:
        return None
    found = shortest_decimal(
        radius * (1 - SPECTRAL_RTOL), radius * (1 + SPECTRAL_RTOL), radius, max_digits=SPECTRAL_DIGITS
    )
    return Spectral(radius=found) if found is not None else None


def fit_indrnn_t_max(recurrent: np.ndarray) -> float | None:
    """The ``t_max`` of the ``indrnn`` preset from its recurrent weights ``u ~ U(0, 2^(1/t_max))``:
    the largest of the shortest decimals whose support holds the sample (the narrowest support)."""
    top = float(recurrent.max())
    if float(recurrent.min()) < 0 or top <= 1.0:
        return None
    slack = _extreme_slack(top, recurrent.size)
    lo, hi = 1.0 / math.log2(top + slack), 1.0 / math.log2(top)
    return shortest_decimal(lo, hi, hi)


__all__ = [
    "ACCEPT_P",
    "SPECTRAL_DIGITS",
    "SPECTRAL_RTOL",
    "fit_chrono",
    "fit_families",
    "fit_indrnn_t_max",
    "fit_normal",
    "fit_spectral",
    "fit_truncated_normal",
    "fit_uniform",
    "shortest_decimal",
]
