"""Bounded search over a family's free arguments: a grid over the whole range, then a local refinement.

Each free argument is mapped to ``u ∈ [0, 1]`` (logarithmically when its range is positive). One
argument: a grid of `GRID_1D` points, then Brent's bounded method between the best grid point's
neighbours. Several: a grid of about `GRID_POINTS` points, then Nelder–Mead from the best,
within the bounds. Every evaluation is remembered (the trace); a point whose objective is not finite
counts as `PENALTY` for the search and is kept in the trace as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from rnninit.spec.family import FreeArgument

GRID_1D = 9
GRID_POINTS = 27
#: Step of Brent's method in ``u`` (over the default four decades of a std: 0.5% of the value).
XTOL = 5e-4
PENALTY = 1e6


def to_value(arg: FreeArgument, u: float) -> float:
    u = min(1.0, max(0.0, float(u)))
    if arg.log:
        return float(math.exp(math.log(arg.low) + u * (math.log(arg.high) - math.log(arg.low))))
    return float(arg.low + u * (arg.high - arg.low))


def search(
    args: Sequence[FreeArgument], evaluate: Callable[[list[float]], float], max_evaluations: int = 120
) -> list[float]:
    """The best point found (values, in the order of ``args``); ``evaluate`` is called on values."""
    cache: dict[tuple[float, ...], float] = {}

    def f(u: Sequence[float] | np.ndarray) -> float:
        values = [to_value(a, x) for a, x in zip(args, u, strict=True)]
        key = tuple(values)
        if key not in cache:
            if len(cache) >= max_evaluations:
                return PENALTY
            value = evaluate(values)
            cache[key] = value if math.isfinite(value) else PENALTY
        return cache[key]

    def best_values() -> list[float]:
        point, _ = min(cache.items(), key=lambda item: item[1])  # the first of equal scores, as min(cache)
        return list(point)

    d = len(args)
    if d == 1:
        grid = np.linspace(0.0, 1.0, GRID_1D)
        scores = [f([u]) for u in grid]
        i = int(np.argmin(scores))
        lo, hi = grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)]
        if scores[i] < PENALTY:
            optimize.minimize_scalar(
                lambda u: f([u]), bounds=(lo, hi), method="bounded", options={"xatol": XTOL}
            )
        return best_values()
    per_axis = max(2, int(round(GRID_POINTS ** (1.0 / d))))
    axes = [np.linspace(0.0, 1.0, per_axis)] * d
    grid_points = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, d)
    scores = [f(p) for p in grid_points]
    start = grid_points[int(np.argmin(scores))]
    if min(scores) < PENALTY:
        step = 0.5 / (per_axis - 1)
        simplex = [start] + [
            np.clip(start + step * np.eye(d)[i] * (1 if start[i] < 0.5 else -1), 0, 1) for i in range(d)
        ]
        optimize.minimize(
            f,
            start,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * d,
            options={"initial_simplex": np.array(simplex), "xatol": 1e-3, "fatol": 1e-4, "maxfev": 40 * d},
        )
    return best_values()
