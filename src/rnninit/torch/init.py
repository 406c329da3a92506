"""``rnninit.torch.init_``: fill one tensor in place from one init, in the style of ``torch.nn.init``."""

from __future__ import annotations

from typing import Any

import torch

from rnninit.errors import TensorTypeError
from rnninit.inits import Init
from rnninit.layout.tensor import TENSOR, tensor_layout
from rnninit.plan import make_plan
from rnninit.seeding import check_seed
from rnninit.spec import Spec, init_from_config
from rnninit.torch.apply import draw_seed


def init_(
    tensor: torch.Tensor,
    init: Init | str | dict[str, Any] | float,
    *,
    gates: int = 1,
    seed: int | None = None,
) -> torch.Tensor:
    """Fill ``tensor`` in place from one init, block by block; returns ``tensor``.

    Dim 0 of ``tensor`` stacks ``gates`` equal blocks (a fused gate matrix such as
    ``weight_hh_l0``, shape ``(4·H, H)`` for an LSTM), and each block is initialized as a block of
    its own. A block ``W_k`` of shape ``(rows / gates, cols)`` has

        fan_in = cols,    fan_out = rows / gates,

    so ``glorot_uniform`` draws each block from ``U(±√(6 / (fan_in + fan_out)))`` and ``orthogonal``
    makes every ``W_k`` (semi-)orthogonal. An init with ``fused=true`` spans all blocks at once, as
    ``torch.nn.init`` does on the whole tensor.

    The numbers are those of the spec ``tensor=<init>`` applied with the same seed to a cell that
    declares the tensor as `rnninit.layout.tensor.tensor_declaration` (``'tensor'``, or
    ``'tensor[g0,g1,…]'`` with gates); like ``torch.nn.init``, the write happens under
    ``torch.no_grad()`` and keeps the tensor's dtype and device.

    Args:
        tensor: a floating-point vector or matrix, e.g. ``lstm.weight_hh_l0``.
        init: an `Init`, an init string (``"orthogonal(gain=2.0)"``), an init
            config dict, or a number (a constant).
        gates: how many equal blocks dim 0 stacks (4 for an LSTM's gate matrices, 3 for a GRU's).
        seed: an int gives the same numbers in every process; ``None`` draws a seed from torch's
            global generator, so ``torch.manual_seed`` governs it.

    Returns:
        ``tensor``, filled.

    Raises:
        TensorTypeError: ``tensor`` is not a floating-point ``torch.Tensor``.
        rnninit.LayoutError: ``tensor`` is not a non-empty vector or matrix, or ``gates`` does
            not divide its dim 0.
        rnninit.SpecError: ``init`` is not a valid init, or cannot initialize such a block
            (``identity`` on a non-square block, ``chrono`` anywhere but a cell's gate bias).
        rnninit.SeedError: ``seed`` is not a non-negative integer.

    On any error ``tensor`` is left unchanged (and so is torch's global generator).

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> lstm = torch.nn.LSTM(8, 16)
        >>> _ = rt.init_(lstm.weight_hh_l0, "orthogonal", gates=4, seed=0)
        >>> block = lstm.weight_hh_l0[16:32]   # the forget gate's block is orthogonal on its own
        >>> torch.allclose(block @ block.T, torch.eye(16), atol=1e-5)
        True
    """
    if not isinstance(tensor, torch.Tensor):
        raise TensorTypeError(f"init_ fills a torch.Tensor, got {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise TensorTypeError(
            f"init_ fills a floating-point tensor, got dtype {tensor.dtype}; "
            "convert it first (e.g. tensor.float())"
        )
    parsed = init_from_config(init)
    layout = tensor_layout(tuple(tensor.shape), gates)
    spec = Spec({TENSOR: parsed})
    spec.resolve_for([cell.kind for cell in layout.cells])
    if seed is None:
        rng_state = torch.get_rng_state()
        try:
            value = make_plan(spec, layout, draw_seed()).new_arrays({})[TENSOR]
        except BaseException:
            torch.set_rng_state(rng_state)  # a failed call leaves torch's generator as it was, too
            raise
    else:
        value = make_plan(spec, layout, check_seed(seed)).new_arrays({})[TENSOR]
    with torch.no_grad():
        tensor.copy_(torch.from_numpy(value).to(dtype=tensor.dtype, device=tensor.device))
    return tensor
