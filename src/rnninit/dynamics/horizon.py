"""The memory horizon: how many steps back a gradient survives before it vanishes or explodes.

With ``r_n = ‖∂s_T/∂s_{T-n}‖₂`` (``jacobian_norms[n-1]``), the horizon is the smallest ``n`` with
``r_n < 1e-3`` (the gradient has *vanished*: a signal ``n`` steps back moves the state at ``T`` by
less than a thousandth) or ``r_n > 1e3`` (it has *exploded*). If neither happens within the
``T`` steps measured, the horizon is at least ``T`` and reported as ``None``.

For a linear map ``h ↦ g·Q h`` with ``Q`` orthogonal, ``r_n = g^n``, so the horizon is the first
``n > ln(1e-3)/ln g`` (``g < 1``) or ``n > ln(1e3)/ln g`` (``g > 1``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

VANISHED = 1e-3
EXPLODED = 1e3


@dataclass(frozen=True)
class Horizon:
    """Where a sequence of gradient norms leaves its band.

    Attributes:
        steps: The horizon (``None`` if beyond the window).
        reason: ``"vanishing"``, ``"exploding"``, or ``None``.
    """

    steps: int | None
    reason: str | None


def memory_horizon(
    norms: Sequence[float] | np.ndarray, low: float = VANISHED, high: float = EXPLODED
) -> Horizon:
    """The first ``n = k + 1`` at which ``norms[k]`` leaves ``[low, high]``.

    A NaN or an infinity counts as exploded.

    Args:
        norms: ``‖∂s_T/∂s_{T-1-k}‖₂`` for ``k = 0, 1, …`` (`Diagnosis.jacobian_norms`).
        low: Below this, the gradient has vanished.
        high: Above this, it has exploded.

    Returns:
        The horizon and why; ``Horizon(None, None)`` if every norm stays within the band.

    Examples:
        >>> from rnninit.dynamics import memory_horizon
        >>> memory_horizon([0.5 ** (k + 1) for k in range(20)])
        Horizon(steps=10, reason='vanishing')
    """
    for k, value in enumerate(norms):
        if value < low:
            return Horizon(k + 1, "vanishing")
        if not value <= high or not math.isfinite(value):
            return Horizon(k + 1, "exploding")
    return Horizon(None, None)
