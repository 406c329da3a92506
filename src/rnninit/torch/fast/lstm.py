"""A whole-sequence LSTM layer with a hand-derived backward (``torch.autograd.Function``).

Forward, per step ``t`` (PyTorch's gate order i, f, g, o)::

    z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh           (4H pre-activations)
    i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c_t = f * c_{t-1} + i * g;         h_t = o * tanh(c_t)

Why it is fast on a CPU:

- ``W_ih x_t + b`` for all steps is one GEMM before the loop; the loop does one GEMM per step
  (``z_t += h_{t-1} W_hh^T``, in place) and seven small pointwise kernels into preallocated buffers.
- One sigmoid serves all four gates and ``tanh(c)``: ``tanh(u) = 2 sigmoid(2u) - 1``, the doubling
  folded into the g rows of the weights and into a doubled cell state (exact in floating point).
  PyTorch's CPU tanh kernel is several times slower than its sigmoid.
- The backward runs the recurrence in reverse with one GEMM per step (``dh_{t-1} = dz_t W_hh``) and
  four pointwise kernels; every factor that does not depend on the recurrence (``o (1 - tanh^2 c)``,
  the gate derivatives ``s (1 - s)`` and ``1 - g^2``) is computed for all steps at once.
- ``dW_hh``, ``dW_ih`` and ``dx`` are each ONE GEMM over all ``T*B`` rows after the loop
  (`rnninit.torch.fast.gemms`), instead of ``T`` thin GEMMs in autograd's per-step backward.
- No tensor is indexed inside the time loops: buffers are split once with ``unbind``.

On a CPU in float32, `rnninit.torch.fast.backend` prefers PyTorch's fused oneDNN LSTM, which
is faster still (docs/speed.md); these kernels serve float64 and any explicit ``"kernels"`` choice.

Backward equations (``dh_t`` includes the output gradient ``dy_t``)::

    dc_t  = dc_{t+1} * f_{t+1} + dh_t * o_t * (1 - tanh(c_t)^2)
    dz_o  = dh_t * tanh(c_t) * o (1 - o)
    dz_i  = dc_t * g * i (1 - i);   dz_f = dc_t * c_{t-1} * f (1 - f);   dz_g = dc_t * i * (1 - g^2)
    dh_{t-1} = dy_{t-1} + dz_t W_hh
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.torch.fast.autograd import differentiable_vjp, sigmoid_backward, tanh_backward
from rnninit.torch.fast.gemms import input_projection, weight_grads


class LSTMSequence(torch.autograd.Function):
    """``(x, h0, c0, w_ih, w_hh, b_ih, b_hh) -> (y, h_T, c_T)`` for one layer and direction.

    ``x`` is ``(T, B, I)``; ``h0``, ``c0`` are ``(B, H)``; weights are in ``torch.nn.LSTM``'s layout
    (``w_ih`` ``(4H, I)``, ``w_hh`` ``(4H, H)``, biases ``(4H,)`` or ``None``).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        # a holds the pre-activations, turned in place, step by step, into the activations i, f, g, o.
        # The g block is kept doubled (2 z_g) so that ONE sigmoid serves all four gates:
        # tanh(z) = 2 sigmoid(2z) - 1 (doubling is exact in floating point).
        a = x.new_empty(steps, batch, 4 * hidden)
        input_projection(a, x, w_ih, b_ih, b_hh)
        gates = a.view(steps, batch, 4, hidden)
        gates[:, :, 2].mul_(2)
        w_hh_t = w_hh.t().clone()
        w_hh_t[:, 2 * hidden : 3 * hidden].mul_(2)
        y = x.new_empty(steps, batch, hidden)
        c2 = x.new_empty(steps, batch, hidden)  # 2 c_t, so that tanh(c_t) = 2 sigmoid(2 c_t) - 1
        tanh_c = x.new_empty(steps, batch, hidden)
        one = x.new_ones(())
        i, f, g, o = (gate.unbind(0) for gate in gates.unbind(2))
        h_prev, c2_prev = h0, 2 * c0
        for a_t, i_t, f_t, g_t, o_t, y_t, c2_t, tc_t in zip(
            a.unbind(0), i, f, g, o, y.unbind(0), c2.unbind(0), tanh_c.unbind(0)
        ):
            a_t.addmm_(h_prev, w_hh_t)
            a_t.sigmoid_()
            g_t.lerp_(one, -1.0)  # 2 s - 1
            torch.mul(f_t, c2_prev, out=c2_t)
            c2_t.addcmul_(i_t, g_t, value=2)
            torch.sigmoid(c2_t, out=tc_t)
            tc_t.lerp_(one, -1.0)
            torch.mul(o_t, tc_t, out=y_t)
            h_prev, c2_prev = y_t, c2_t
        c = c2.mul_(0.5)
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, a, y, c, tanh_c)
        return y, y[-1].clone(), c[-1].clone()

    @staticmethod
    def backward(ctx, dy, dh_last, dc_last):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, a, y, c, tanh_c = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: autograd records this backward
            inputs = (x, h0, c0, w_ih, w_hh, b_ih, b_hh)
            return differentiable_vjp(_reference, inputs, ctx.needs_input_grad, (dy, dh_last, dc_last))
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        i, f, g, o = a.view(steps, batch, 4, hidden).unbind(2)
        # Every factor that does not depend on the recurrence, for all steps at once, each in one pass
        # with the kernels autograd itself uses: sigmoid_backward(u, s) = u s (1 - s),
        # tanh_backward(u, t) = u (1 - t^2).
        dc_dh = tanh_backward(o, tanh_c)
        dzo_dh = sigmoid_backward(tanh_c, o)
        dzifg_dc = x.new_empty(steps, batch, 3, hidden)
        di_dc, df_dc, dg_dc = dzifg_dc.unbind(2)
        sigmoid_backward(g, i, out=di_dc)
        sigmoid_backward(c0, f[0], out=df_dc[0])  # c_{t-1} f (1 - f), without building (c_0, ..., c_{T-1})
        sigmoid_backward(c[:-1], f[1:], out=df_dc[1:])
        tanh_backward(i, g, out=dg_dc)
        dz = x.new_empty(steps, batch, 4 * hidden)
        dz4 = dz.view(steps, batch, 4, hidden)
        dh = x.new_empty(batch, hidden)
        dc_t, dc_next = x.new_empty(batch, hidden), x.new_empty(batch, hidden)  # ping-pong: only t+1 matters
        dz_next = f_next = None
        dz_ifg, dz_o = dz4[:, :, :3], dz4[:, :, 3]
        per_step = zip(*(t.unbind(0) for t in (dz, dz_ifg, dz_o, dy, dc_dh, dzo_dh, dzifg_dc, f)))
        for dz_t, dzifg_t, dzo_t, dy_t, dc_dh_t, dzo_dh_t, dzifg_dc_t, f_t in reversed(list(per_step)):
            if dz_next is None:
                torch.add(dy_t, dh_last, out=dh)
            else:
                torch.addmm(dy_t, dz_next, w_hh, out=dh)
            torch.mul(dh, dc_dh_t, out=dc_t)
            if dz_next is None:
                dc_t.add_(dc_last)
            else:
                dc_t.addcmul_(dc_next, f_next)
            torch.mul(dzifg_dc_t, dc_t.unsqueeze(1), out=dzifg_t)
            torch.mul(dh, dzo_dh_t, out=dzo_t)
            dz_next, f_next = dz_t, f_t
            dc_t, dc_next = dc_next, dc_t
        needs = ctx.needs_input_grad
        dh0 = dz_next @ w_hh if needs[1] else None
        dc0 = dc_next * f_next if needs[2] else None
        dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(
            (needs[0], needs[3], needs[4], needs[5], needs[6]), x, h0, y, w_ih, dz, dz
        )
        return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh


def _reference(x, h0, c0, w_ih, w_hh, b_ih, b_hh):
    from rnninit.torch.functional import lstm_loop  # the reference imports this package

    y, (h, c) = lstm_loop(x, (h0, c0), w_ih, w_hh, b_ih, b_hh)
    return y, h, c


def lstm_sequence(
    x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a ``(T, B, I)`` sequence: ``(y, h_T, c_T)``, as ``torch.nn.LSTM`` computes."""
    return LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
