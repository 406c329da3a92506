"""The input sequence a diagnosis drives the cell with: zeros, Gaussian or uniform noise, or given data.

Shapes are time-major, ``(T, batch, input_size)``, as ``torch.nn.RNN`` without ``batch_first``.
Noise is drawn in NumPy from ``numpy.random.default_rng(seed)``, so it is the same on every
machine and in every framework.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from rnninit.arguments import check_integer
from rnninit.errors import DynamicsError
from rnninit.seeding import check_seed

INPUT_KINDS = ("zeros", "normal", "uniform")
#: Batch used when none is given: zero input from a fixed start is deterministic, so one sequence suffices.
DEFAULT_BATCH = {"zeros": 1, "normal": 8, "uniform": 8}
#: ``uniform`` noise is U(-√3, √3): zero mean and unit variance, like ``normal``, but bounded.
UNIFORM_BOUND = 3.0**0.5


def make_inputs(
    source: str | np.ndarray | Tensor,
    *,
    steps: int,
    input_size: int,
    batch: int | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """``(steps, batch, input_size)`` inputs.

    ``source`` is ``"zeros"``, ``"normal"`` (i.i.d. N(0, 1)), ``"uniform"`` (i.i.d. U(-√3, √3), unit
    variance), or an array/tensor of data shaped
    ``(steps, batch, input_size)`` or ``(steps, input_size)`` (one sequence); a given array fixes
    the batch, and must agree with ``steps`` and ``input_size``.

    Args:
        source: ``"zeros"``, ``"normal"``, ``"uniform"``, or the data.
        steps: ``T``, the number of steps (a positive integer).
        input_size: The number of input features (a positive integer).
        batch: The number of sequences (a positive integer); ``None``: the kind's default, or the
            data's.
        seed: The seed of random inputs.
        dtype: The dtype of the result.

    Returns:
        The inputs, ``(steps, batch, input_size)``.

    Raises:
        DynamicsError: An unknown input kind, ``steps``, ``input_size`` or ``batch`` not a positive
            integer, data of the wrong shape or with NaN or infinity, or ``batch`` disagreeing with
            the data.
        SeedError: Random inputs with a ``seed`` that is not an integer in ``[0, 2**63 - 1]``.

    Examples:
        >>> from rnninit.dynamics import make_inputs
        >>> xs = make_inputs("uniform", steps=5, input_size=3, batch=2, seed=0)
        >>> tuple(xs.shape), bool(xs.abs().max() <= 3 ** 0.5)
        ((5, 2, 3), True)
    """
    steps = _positive(steps, "steps")
    input_size = _positive(input_size, "input_size")
    if isinstance(source, str):
        if source not in INPUT_KINDS:
            raise DynamicsError(
                f"unknown input '{source}'; valid inputs: 'zeros', 'normal', 'uniform', or an array "
                "(steps, batch, input_size) of data"
            )
        batch = DEFAULT_BATCH[source] if batch is None else batch
        batch = _positive(batch, "batch")
        shape = (steps, batch, input_size)
        if source == "zeros":
            return torch.zeros(shape, dtype=dtype)
        rng = np.random.default_rng(check_seed(seed, none_allowed=False))
        if source == "uniform":
            return torch.from_numpy(rng.uniform(-UNIFORM_BOUND, UNIFORM_BOUND, shape)).to(dtype)
        return torch.from_numpy(rng.standard_normal(shape)).to(dtype)
    data = torch.as_tensor(np.asarray(source.detach().cpu() if isinstance(source, Tensor) else source))
    if data.ndim == 2:
        data = data[:, None, :]
    if data.ndim != 3 or data.shape[0] != steps or data.shape[2] != input_size:
        raise DynamicsError(
            f"input data must be shaped (steps={steps}, batch, input_size={input_size}) or "
            f"(steps={steps}, input_size={input_size}), got {tuple(data.shape)}"
        )
    if batch is not None and data.shape[1] != batch:
        raise DynamicsError(f"batch={batch} disagrees with the data's batch of {data.shape[1]}")
    data = data.to(dtype)
    if not torch.isfinite(data).all():
        raise DynamicsError("input data must be finite numbers (found NaN or infinity)")
    return data


def _positive(value: object, name: str) -> int:
    return check_integer(value, name, error=DynamicsError, minimum=1, expected="a positive integer")
