"""How much a block's distribution tests can tell: their power against another shape of the same std.

The audit's mean and std tests cannot tell two distributions with the same mean and standard
deviation apart; only the range test (every entry) and Kolmogorov–Smirnov (on at most
`MAX_SAMPLE` entries) can. The alternatives that matter in practice
are the two shapes inits come in, a **normal** and a **uniform**, with the expected mean and std:
a uniform where a normal is expected, a normal where a uniform is expected, and both where a third
shape is (``torch_default``'s triangular effective bias, a truncated normal). `shape_power`
gives a lower bound on the probability that the audit's tests reject the expected distribution
when the entries follow the alternative they are weakest against:

* range test: entries outside ``[low, high]`` fail it, so it rejects with probability
  ``1 - P_alt(low ≤ X ≤ high)^n`` (exact);
* Kolmogorov–Smirnov: ``D ≥ |F_n(x) - F(x)|`` at any point ``x``, and ``n F_n(x)`` is
  ``Binomial(n, G(x))`` under the alternative ``G``; so ``P(D > c) ≥ P(|Bin(n, G(x))/n - F(x)| > c)``,
  with ``c`` a critical value at least the test's own at the level used (Dvoretzky–Kiefer–Wolfowitz
  with Massart's constant, Massart 1990), at the points ``x`` where ``|G - F|`` is largest.

Each bound is exact for its event, so their maximum is a valid lower bound on the power (the true
power is higher: KS looks at every point at once). A block is **too small** when this bound is below
`TARGET_POWER`; `entries_needed` gives the size from which it is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rnninit.inits.distributions import Dist, normal, uniform

#: A block's distribution tests are said to have power when they reject the same-std alternative
#: with at least this probability (the power the audit's calibration page reports, too).
TARGET_POWER = 0.99
#: Grid (in standard deviations around the mean) on which the largest CDF difference is found.
_GRID = np.linspace(-6.0, 6.0, 4801)


@dataclass(frozen=True)
class Power:
    """The audit's power on one block against the same-std alternative it is weakest against."""

    #: Lower bound on the probability of rejecting the expected distribution under ``alternative``.
    power: float
    #: ``"uniform"`` or ``"normal"``: the shape of the alternative.
    alternative: str
    #: For a block that is too small: the entries from which the bound reaches `TARGET_POWER`
    #: against every alternative (``None`` otherwise, or when no size reaches it at this level).
    needed: int | None

    @property
    def too_small(self) -> bool:
        return self.power < TARGET_POWER

    def to_dict(self) -> dict[str, object]:
        return {"power": self.power, "alternative": self.alternative, "needed": self.needed}


def _is_uniform(dist: Dist) -> bool:
    return math.isfinite(dist.low) and math.isclose(dist.excess_kurtosis, -1.2, abs_tol=1e-9)


def like(shape: Dist, dist: Dist) -> Dist:
    """``shape`` moved and scaled to ``dist``'s mean and std (the alternative with the same moments)."""
    a = shape.std / dist.std

    def cdf(x):
        return shape.cdf(shape.mean + (np.asarray(x, dtype=np.float64) - dist.mean) * a)

    def end(x: float) -> float:
        return dist.mean + (x - shape.mean) / a if math.isfinite(x) else x

    return Dist(
        shape.label,
        cdf,
        dist.mean,
        dist.std,
        shape.excess_kurtosis,
        end(shape.low),
        end(shape.high),
        shape.normal,
    )


def alternatives(dist: Dist) -> list[tuple[str, Dist]]:
    """The same-std shapes the tests must tell ``dist`` from: a uniform and a normal, less ``dist``'s own."""
    out = []
    if not dist.normal:
        out.append(("normal", normal("normal", dist.mean, dist.std)))
    if not _is_uniform(dist):
        half = math.sqrt(3.0) * dist.std
        out.append(("uniform", uniform("uniform", dist.mean - half, dist.mean + half)))
    return out


def _ks_critical(n: int, level: float) -> float:
    """A ``D`` above which ``scipy.stats.kstest`` surely gives a p-value below ``level``: the
    Dvoretzky–Kiefer–Wolfowitz bound with Massart's constant, ``P(D_n > t) ≤ 2·exp(-2nt²)``, solved
    for ``t``. It is at least the exact critical value (so the power bound stays a lower bound) and
    within 1% of it from a few dozen entries on, in closed form."""
    return math.sqrt(math.log(2.0 / level) / (2.0 * n))


def _shape_key(dist: Dist) -> tuple:
    """What identifies a distribution's standardized shape (the terms below do not depend on its scale)."""

    def z(x: float) -> float | None:
        return round((x - dist.mean) / dist.std, 9) if math.isfinite(x) else None

    return (dist.normal, round(dist.excess_kurtosis, 9), z(dist.low), z(dist.high))


_TERMS: dict[tuple, tuple[np.ndarray, np.ndarray, float]] = {}


def _shape_terms(dist: Dist, alt: Dist) -> tuple[np.ndarray, np.ndarray, float]:
    """``(F(x), G(x), P_G(low ≤ X ≤ high))`` for the expected distribution ``F`` and the alternative
    ``G`` (with ``F``'s mean and std), at the points ``x`` where ``|G - F|`` is at least half its
    largest value (the candidates for ``x*``); scale-free, so computed once per pair of shapes."""
    key = (_shape_key(dist), _shape_key(alt))
    if key not in _TERMS:
        x = dist.mean + dist.std * _GRID
        f, g = dist.cdf(x), alt.cdf(x)
        gap = np.abs(g - f)
        keep = np.flatnonzero(gap >= 0.5 * gap.max())
        keep = keep[:: max(1, keep.size // 64)]  # a few dozen points are plenty: each one is a valid bound
        inside = 1.0
        if math.isfinite(dist.low) or math.isfinite(dist.high):
            # the range test's tolerance (EXACT_RTOL of the bound) is negligible against this probability
            inside = float(alt.cdf(np.array([dist.high]))[0] - alt.cdf(np.array([dist.low]))[0])
        _TERMS[key] = (f[keep], g[keep], min(max(inside, 0.0), 1.0))
    return _TERMS[key]


def power_against(dist: Dist, alt: Dist, n: int, n_ks: int, level: float) -> float:
    """Lower bound on P(the tests reject ``dist``) when a block's ``n`` entries follow ``alt`` (which has
    ``dist``'s mean and std, see `like`). The range test sees all ``n`` entries,
    Kolmogorov–Smirnov ``n_ks`` of them, at ``level``."""
    if n <= 0 or n_ks <= 0:
        return 0.0
    f, g, inside = _shape_terms(dist, alt)
    range_power = 1.0 if inside == 0 else (-math.expm1(n * math.log(inside)) if inside < 1 else 0.0)
    c = _ks_critical(n_ks, level)
    # at each x: reject when |K/n - F(x)| > c, i.e. K > n(F + c) or K < n(F - c), with K ~ Binomial(n, G(x))
    upper = np.floor(n_ks * (f + c))
    lower = np.ceil(n_ks * (f - c)) - 1
    ks_power = stats.binom.sf(upper, n_ks, g) + np.where(lower >= 0, stats.binom.cdf(lower, n_ks, g), 0.0)
    return float(max(range_power, min(float(np.max(ks_power)), 1.0)))


_NEEDED: dict[tuple, int | None] = {}


def entries_needed(dist: Dist, alt: Dist, level: float, max_sample: int) -> int | None:
    """The fewest entries from which `power_against` reaches `TARGET_POWER` (``None``: never)."""
    key = (_shape_key(dist), _shape_key(alt), level, max_sample)
    if key not in _NEEDED:

        def enough(n: int) -> bool:
            return power_against(dist, alt, n, min(n, max_sample), level) >= TARGET_POWER

        hi = 2
        while not enough(hi) and hi <= 1 << 26:
            hi *= 2
        if not enough(hi):
            _NEEDED[key] = None
        else:
            lo = hi // 2
            while hi - lo > 1:  # monotone in n up to the binomial's discreteness: bisection is enough
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if enough(mid) else (mid, hi)
            _NEEDED[key] = hi
    return _NEEDED[key]


def shape_power(dist: Dist, n: int, level: float, max_sample: int) -> Power:
    """The tests' power on a block of ``n`` entries against the same-std alternative they are weakest
    against; when that is below `TARGET_POWER`, also the entries from which every alternative is
    rejected with that power."""
    pairs = alternatives(dist)
    powers = [power_against(dist, alt, n, min(n, max_sample), level) for _, alt in pairs]
    worst = int(np.argmin(powers))
    needed = None
    if powers[worst] < TARGET_POWER:
        sizes = [entries_needed(dist, alt, level, max_sample) for _, alt in pairs]
        needed = None if None in sizes else max(s for s in sizes if s is not None)
    return Power(powers[worst], pairs[worst][0], needed)


def entries_to_tell_apart(a: Dist, b: Dist, level: float, max_sample: int) -> int | None:
    """Entries from which the tests tell ``a``'s shape from ``b``'s (each at the other's mean and std)
    with `TARGET_POWER`, both ways; ``None`` when no size does."""
    sizes = [
        entries_needed(a, like(b, a), level, max_sample),
        entries_needed(b, like(a, b), level, max_sample),
    ]
    return None if None in sizes else max(s for s in sizes if s is not None)


__all__ = [
    "TARGET_POWER",
    "Power",
    "alternatives",
    "entries_needed",
    "entries_to_tell_apart",
    "like",
    "power_against",
    "shape_power",
]
