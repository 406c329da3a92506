"""FLOP counts of a recurrent layer, and the time its matrix products take on their own.

A layer with ``G`` gate blocks (Elman 1, GRU 3, LSTM 4), input size ``I`` and hidden size ``H``,
over ``T`` steps of a batch of ``B``, multiplies in its forward pass::

    FLOPs_forward = 2 T B G H (I + H)

(the input side ``x W_ih^T`` and the hidden side ``h W_hh^T``; pointwise work is not counted), and
the backward pass does twice that (``dx``, ``dW_ih`` from the input side; ``dh``, ``dW_hh`` from the
hidden side), so a training step is ``3 x FLOPs_forward``.

`gemm_case` times exactly those products with nothing else: one ``(TB x I)(I x GH)`` GEMM
and ``T`` ``(B x H)(H x GH)`` ones forward; ``T`` ``(B x GH)(GH x H)`` ones and three
``TB``-sized ones backward. Its time is the GEMM floor of any implementation that does the
recurrence one step at a time, and ``FLOPs / floor`` is the machine's measured matrix-multiply rate
for these shapes; an implementation's *fraction of the GEMM rate* is ``floor / its time``.
"""

from __future__ import annotations

import torch

from rnninit.bench.timing import Case

GATES = {"elman": 1, "gru": 3, "lstm": 4}


def forward_flops(kind: str, steps: int, batch: int, input_size: int, hidden: int) -> int:
    """``2 T B G H (I + H)``: multiply-adds of the forward pass, counted as two FLOPs each."""
    return 2 * steps * batch * GATES[kind] * hidden * (input_size + hidden)


def training_flops(kind: str, steps: int, batch: int, input_size: int, hidden: int) -> int:
    """Forward plus backward: three times the forward FLOPs."""
    return 3 * forward_flops(kind, steps, batch, input_size, hidden)


def gemm_case(
    kind: str, steps: int, batch: int, input_size: int, hidden: int, dtype: torch.dtype, device: str = "cpu"
) -> Case:
    """A `Case` that runs only the layer's matrix products (forward and backward)."""
    gates = GATES[kind] * hidden
    gen = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=dtype).to(device)

    x, w_ih, w_hh = rand(steps * batch, input_size), rand(gates, input_size), rand(gates, hidden)
    h, dz = rand(batch, hidden), rand(steps * batch, gates)
    z = torch.empty(steps * batch, gates, dtype=dtype, device=device)
    z_steps = z.view(steps, batch, gates).unbind(0)
    dz_steps = dz.view(steps, batch, gates).unbind(0)
    dh = torch.empty(batch, hidden, dtype=dtype, device=device)
    h_prev = rand(steps * batch, hidden)
    w_hh_t = w_hh.t()

    def forward():
        torch.mm(x, w_ih.t(), out=z)
        for z_t in z_steps:
            z_t.addmm_(h, w_hh_t)
        return None

    def backward(_):
        for dz_t in dz_steps:
            torch.mm(dz_t, w_hh, out=dh)
        dz.t() @ h_prev
        dz.t() @ x
        dz @ w_ih

    return Case("gemm", forward, backward)
