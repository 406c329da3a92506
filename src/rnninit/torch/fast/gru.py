"""A whole-sequence GRU layer with a hand-derived backward (``torch.autograd.Function``).

Forward, per step (PyTorch's gate order r, z, n; ``b_hn`` sits inside ``r * (...)``)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h  =  lerp(n, h, z)

The input side for all steps is one GEMM before the loop. Per step: one in-place GEMM
``s_t += h W_hh^T`` (``s_t`` starts as ``[x-side r, z pre-activations + b_hr, b_hz ; b_hn]``), one
sigmoid for r and z, the n gate with ``tanh(u) = 2 sigmoid(2u) - 1`` (PyTorch's sigmoid kernel is
about five times faster than its tanh on a CPU; doubling is exact), and one ``lerp`` for ``h'``.

Backward (``dh'`` includes the output gradient; ``hn = W_hn h + b_hn``)::

    dn_pre = dh' (1 - z)(1 - n^2)            dz_pre = dh' (h - n) z (1 - z)
    dr_pre = dn_pre * hn * r (1 - r)         d(hn)  = dn_pre * r
    dh = dy + [dr_pre, dz_pre, d(hn)] W_hh + dh' * z

one GEMM and four pointwise kernels per step; the factors ``(1-z)(1-n^2)``, ``(h-n) z(1-z)`` and
``hn r(1-r)`` are computed for all steps at once, and the weight gradients are one GEMM each after the
loop (:mod:`rnninit.torch.fast.common`).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

from rnninit.torch.fast.common import (
    input_projection,
    previous_states,
    sigmoid_backward,
    tanh_backward,
    weight_grads,
)


class GRUSequence(torch.autograd.Function):
    """``(x, h0, w_ih, w_hh, b_ih, b_hh) -> (y, h_T)`` for one layer and direction (``nn.GRU``'s layout)."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        xw = x.new_empty(steps, batch, 3 * hidden)
        input_projection(xw, x, w_ih, b_ih)
        # s: hidden-side pre-activations, plus the x side for r and z; after the sigmoid, (r, z, hn).
        s = x.new_empty(steps, batch, 3 * hidden)
        s[:, :, : 2 * hidden] = xw[:, :, : 2 * hidden]
        if b_hh is not None:
            s[:, :, : 2 * hidden] += b_hh[: 2 * hidden]
            s[:, :, 2 * hidden :] = b_hh[2 * hidden :]
        else:
            s[:, :, 2 * hidden :] = 0
        n = xw[:, :, 2 * hidden :].mul_(2)  # 2 (W_in x + b_in); becomes n in place
        y = x.new_empty(steps, batch, hidden)
        one = x.new_ones(())
        w_hh_t = w_hh.t()
        s3 = s.view(steps, batch, 3, hidden)
        h_prev = h0
        for s_t, rz_t, r_t, z_t, hn_t, n_t, y_t in zip(
            s.unbind(0),
            s[:, :, : 2 * hidden].unbind(0),
            s3[:, :, 0].unbind(0),
            s3[:, :, 1].unbind(0),
            s3[:, :, 2].unbind(0),
            n.unbind(0),
            y.unbind(0),
        ):
            s_t.addmm_(h_prev, w_hh_t)
            rz_t.sigmoid_()
            n_t.addcmul_(r_t, hn_t, value=2).sigmoid_().lerp_(one, -1.0)  # tanh(u) = 2 sigmoid(2u) - 1
            torch.lerp(n_t, h_prev, z_t, out=y_t)
            h_prev = y_t
        ctx.save_for_backward(x, h0, w_ih, w_hh, s, n, y)
        return y, y[-1].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, dy, dh_last):
        x, h0, w_ih, w_hh, s, n, y = ctx.saved_tensors
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        r, z, hn = s.view(steps, batch, 3, hidden).unbind(2)
        h_prev = previous_states(h0, y)
        # Factors that do not depend on the recurrence, for all steps at once.
        dn_dh = tanh_backward(1 - z, n)
        dz_dh = sigmoid_backward(h_prev.view(steps, batch, hidden) - n, z)
        from_dn = x.new_empty(steps, batch, 2, hidden)  # dn_pre -> (dr_pre, d hn)
        sigmoid_backward(hn, r, out=from_dn[:, :, 0])
        from_dn[:, :, 1] = r
        ds = x.new_empty(steps, batch, 3 * hidden)
        ds3 = ds.view(steps, batch, 3, hidden)
        dn = x.new_empty(steps, batch, hidden)
        dh = x.new_empty(steps, batch, hidden)
        ds_next = dh_next = z_next = None
        per_step = zip(
            *(t.unbind(0) for t in (ds, ds3[:, :, 1], ds3[:, :, ::2], dn, dh, dy, dn_dh, dz_dh, from_dn, z))
        )
        for ds_t, dsz_t, dsrn_t, dn_t, dh_t, dy_t, dn_dh_t, dz_dh_t, from_dn_t, z_t in reversed([*per_step]):
            if ds_next is None:
                torch.add(dy_t, dh_last, out=dh_t)
            else:
                torch.addmm(dy_t, ds_next, w_hh, out=dh_t)
                dh_t.addcmul_(dh_next, z_next)
            torch.mul(dh_t, dn_dh_t, out=dn_t)
            torch.mul(dh_t, dz_dh_t, out=dsz_t)
            torch.mul(from_dn_t, dn_t.unsqueeze(1), out=dsrn_t)
            ds_next, dh_next, z_next = ds_t, dh_t, z_t
        needs = ctx.needs_input_grad
        dh0 = torch.addcmul(ds_next @ w_hh, dh_next, z_next) if needs[1] else None
        dxw = ds.clone()
        dxw[:, :, 2 * hidden :] = dn
        dx, dw_ih, dw_hh, db_ih, db_hh = weight_grads(
            (needs[0], needs[2], needs[3], needs[4], needs[5]), x, h_prev, w_ih, dxw, ds
        )
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def gru_sequence(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None
) -> tuple[Tensor, Tensor]:
    """One GRU layer over a whole ``(T, B, I)`` sequence: ``(y, h_T)``, as ``torch.nn.GRU`` computes."""
    return GRUSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh)
