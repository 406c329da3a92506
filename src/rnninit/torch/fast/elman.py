"""A whole-sequence Elman (vanilla RNN) layer with a hand-derived backward.

Forward, per step::

    h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),     phi = tanh or relu

``W_ih x_t + b`` for all steps is one GEMM before the loop; the loop is one in-place GEMM and one
activation per step, written straight into the output. ``tanh`` is computed as
``2 sigmoid(2z) - 1`` (PyTorch's sigmoid kernel is about five times faster than its tanh on a CPU;
doubling is exact, the result differs from ``torch.tanh`` by a few units in the last place).

Backward (``dh_t`` includes the output gradient ``dy_t``)::

    dz_t = dh_t * phi'(z_t),   phi' = 1 - h_t^2 (tanh) or [h_t > 0] (relu)
    dh_{t-1} = dy_{t-1} + dz_t W_hh

one GEMM and one pointwise kernel per step (autograd's own ``tanh_backward`` or
``threshold_backward``, in place); ``dW_hh``, ``dW_ih``, ``dx`` are one GEMM each after the loop
(`rnninit.torch.fast.gemms`).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from rnninit.errors import CellArgumentError
from rnninit.torch.fast.autograd import differentiable_vjp, tanh_backward
from rnninit.torch.fast.gemms import input_projection, weight_grads


class ElmanSequence(torch.autograd.Function):
    """``(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity) -> (y, h_T)`` for one layer and direction."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity):
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        y = x.new_empty(steps, batch, hidden)
        input_projection(y, x, w_ih, b_ih, b_hh)
        h_prev = h0
        if nonlinearity == "tanh":
            y.mul_(2)
            w_hh_t = w_hh.t().mul(2)
            one = x.new_ones(())
            for y_t in y.unbind(0):
                y_t.addmm_(h_prev, w_hh_t).sigmoid_().lerp_(one, -1.0)  # tanh(z) = 2 sigmoid(2z) - 1
                h_prev = y_t
        elif nonlinearity == "relu":
            w_hh_t = w_hh.t()
            for y_t in y.unbind(0):
                y_t.addmm_(h_prev, w_hh_t).relu_()
                h_prev = y_t
        else:
            raise CellArgumentError(f"unknown nonlinearity {nonlinearity!r}; valid: 'tanh', 'relu'")
        ctx.nonlinearity = nonlinearity
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, y)
        return y, y[-1].clone()

    @staticmethod
    def backward(ctx, dy, dh_last):
        x, h0, w_ih, w_hh, b_ih, b_hh, y = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: autograd records this backward
            reference = functools.partial(_reference, nonlinearity=ctx.nonlinearity)
            inputs = (x, h0, w_ih, w_hh, b_ih, b_hh)
            grads = differentiable_vjp(reference, inputs, ctx.needs_input_grad[:6], (dy, dh_last))
            return (*grads, None)
        tanh = ctx.nonlinearity == "tanh"
        dz = torch.empty_like(y)
        dz_next = None
        for dz_t, dy_t, y_t in reversed([*zip(dz.unbind(0), dy.unbind(0), y.unbind(0))]):
            if dz_next is None:
                torch.add(dy_t, dh_last, out=dz_t)
            else:
                torch.addmm(dy_t, dz_next, w_hh, out=dz_t)
            # phi'(z) from the output, in place: 1 - h^2 (tanh) or [h > 0] (relu).
            if tanh:
                tanh_backward(dz_t, y_t, out=dz_t)
            else:
                torch.ops.aten.threshold_backward.grad_input(dz_t, y_t, 0, grad_input=dz_t)
            dz_next = dz_t
        needs = ctx.needs_input_grad
        dh0 = dz_next @ w_hh if needs[1] else None
        dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(
            (needs[0], needs[2], needs[3], needs[4], needs[5]), x, h0, y, w_ih, dz, dz
        )
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh, None


def _reference(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    from rnninit.torch.functional import elman_loop  # the reference imports this package

    return elman_loop(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity)


def elman_sequence(
    x: Tensor,
    h0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    nonlinearity: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """One Elman layer over a whole ``(T, B, I)`` sequence: ``(y, h_T)``, as ``torch.nn.RNN`` computes."""
    return ElmanSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity)
