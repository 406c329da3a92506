"""A whole-sequence GRU layer with a hand-derived backward (``torch.autograd.Function``).

Forward, per step (PyTorch's gate order r, z, n; ``b_hn`` sits inside ``r * (...)``)::

    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h  =  lerp(n, h, z)

The input side for all steps is one GEMM before the loop. Per step: the r and z rows of ``W_hh h``
accumulated in place onto the input side (one GEMM) and one sigmoid for both; ``hn = W_hn h + b_hn``
(one GEMM into its own buffer, which the backward needs); the n gate with
``tanh(u) = 2 sigmoid(2u) - 1`` (PyTorch's sigmoid kernel is several times faster than its tanh on a
CPU; the doubling is folded into ``W_in``, ``b_in`` and is exact); one ``lerp`` for ``h'``.

Backward (``dh'`` includes the output gradient; ``hn = W_hn h + b_hn``)::

    dn_pre = dh' (1 - z)(1 - n^2)            dz_pre = dh' (h - n) z (1 - z)
    dr_pre = dn_pre * hn * r (1 - r)         d(hn)  = dn_pre * r
    dh = dy + [dr_pre, dz_pre, d(hn)] W_hh + dh' * z

one GEMM and five pointwise kernels per step; the factors ``(1-z)(1-n^2)``, ``(h-n) z(1-z)`` and
``hn r(1-r)`` are computed for all steps at once, in place, and the weight gradients are one GEMM each
after the loop (the input side's split in its r, z and n parts rather than copied together).
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.torch.fast.autograd import differentiable_vjp, sigmoid_backward, tanh_backward
from rnninit.torch.fast.gemms import hidden_weight_grad, input_projection


class GRUSequence(torch.autograd.Function):
    """``(x, h0, w_ih, w_hh, b_ih, b_hh) -> (y, h_T)`` for one layer and direction (``nn.GRU``'s layout)."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        steps, batch, _ = x.shape
        hidden = w_hh.shape[1]
        # a: the input side, plus b_hr, b_hz (and with W_in x + b_in doubled, for
        # tanh(u) = 2 sigmoid(2u) - 1), turned in place, step by step, into the activations (r, z, n):
        # the r, z rows of W_hh h are accumulated straight into it. hn = W_hn h + b_hn, which the
        # backward needs, gets its own buffer: no 3H-wide hidden-side buffer, no extra add per step.
        h2 = 2 * hidden
        w_ih2 = w_ih.clone()
        w_ih2[h2:] *= 2
        b_ih2 = b_ih.clone() if b_ih is not None else None
        if b_ih2 is not None:
            b_ih2[h2:] *= 2
        bias = None if b_hh is None else torch.cat((b_hh[:h2], b_hh.new_zeros(hidden)))
        if b_ih2 is not None:
            bias = b_ih2 if bias is None else bias.add_(b_ih2)
        a = x.new_empty(steps, batch, 3 * hidden)
        input_projection(a, x, w_ih2, bias)
        hn = x.new_empty(steps, batch, hidden)
        y = x.new_empty(steps, batch, hidden)
        one = x.new_ones(())
        w_hrz_t, w_hn_t = w_hh[:h2].t(), w_hh[h2:].t()
        b_hn = None if b_hh is None else b_hh[h2:]
        a3 = a.view(steps, batch, 3, hidden)
        h_prev = h0
        per_step = zip(*(t.unbind(0) for t in (a[:, :, :h2], a3[:, :, 0], a3[:, :, 1], a3[:, :, 2], hn, y)))
        for rz_t, r_t, z_t, n_t, hn_t, y_t in per_step:
            rz_t.addmm_(h_prev, w_hrz_t).sigmoid_()
            if b_hn is None:
                torch.mm(h_prev, w_hn_t, out=hn_t)
            else:
                torch.addmm(b_hn, h_prev, w_hn_t, out=hn_t)
            n_t.addcmul_(r_t, hn_t, value=2).sigmoid_().lerp_(one, -1.0)  # tanh(u) = 2 sigmoid(2u) - 1
            torch.lerp(n_t, h_prev, z_t, out=y_t)
            h_prev = y_t
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, a, hn, y)
        return y, y[-1].clone()

    @staticmethod
    def backward(ctx, dy, dh_last):
        x, h0, w_ih, w_hh, b_ih, b_hh, a, hn, y = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: autograd records this backward
            inputs = (x, h0, w_ih, w_hh, b_ih, b_hh)
            return differentiable_vjp(_reference, inputs, ctx.needs_input_grad, (dy, dh_last))
        steps, batch, features = x.shape
        hidden = w_hh.shape[1]
        r, z, n = a.view(steps, batch, 3, hidden).unbind(2)
        # Factors that do not depend on the recurrence, for all steps at once, each computed in place
        # in its one fresh buffer (large fresh buffers cost page faults on first touch).
        dn_dh = torch.sub(1, z)
        tanh_backward(dn_dh, n, out=dn_dh)  # (1 - z)(1 - n^2)
        dz_dh = torch.empty_like(dn_dh)
        torch.sub(h0, n[0], out=dz_dh[0])
        torch.sub(y[:-1], n[1:], out=dz_dh[1:])
        sigmoid_backward(dz_dh, z, out=dz_dh)  # (h - n) z (1 - z)
        dr_dn = sigmoid_backward(hn, r)  # hn r (1 - r)
        ds = x.new_empty(steps, batch, 3 * hidden)  # gradient of the hidden side (r, z, hn)
        ds3 = ds.view(steps, batch, 3, hidden)
        dn = x.new_empty(steps, batch, hidden)  # gradient of the n pre-activation (the input side's n)
        dh, dh_next = x.new_empty(batch, hidden), x.new_empty(batch, hidden)
        ds_next = z_next = None
        ds_r, ds_z, ds_hn = ds3.unbind(2)
        per_step = zip(*(t.unbind(0) for t in (ds, ds_r, ds_z, ds_hn, dn, dy, dn_dh, dz_dh, dr_dn, r, z)))
        for ds_t, dsr_t, dsz_t, dshn_t, dn_t, dy_t, dn_dh_t, dz_dh_t, dr_dn_t, r_t, z_t in [*per_step][::-1]:
            if ds_next is None:
                torch.add(dy_t, dh_last, out=dh)
            else:
                torch.addmm(dy_t, ds_next, w_hh, out=dh)
                dh.addcmul_(dh_next, z_next)
            torch.mul(dh, dn_dh_t, out=dn_t)
            torch.mul(dh, dz_dh_t, out=dsz_t)
            torch.mul(dn_t, dr_dn_t, out=dsr_t)
            torch.mul(dn_t, r_t, out=dshn_t)
            ds_next, z_next = ds_t, z_t
            dh, dh_next = dh_next, dh
        needs = ctx.needs_input_grad
        assert ds_next is not None and z_next is not None  # set by step 0: steps >= 1
        dh0 = torch.addcmul(ds_next @ w_hh, dh_next, z_next) if needs[1] else None  # dh_next: step 0's
        # The input side's gradient is (ds_r, ds_z, dn): split the GEMMs rather than copy it together.
        ds_flat, dn_flat, x_flat = ds.view(-1, 3 * hidden), dn.view(-1, hidden), x.reshape(-1, features)
        ds_rz = ds_flat[:, : 2 * hidden]
        dx = None
        if needs[0]:
            dx = torch.addmm(dn_flat @ w_ih[2 * hidden :], ds_rz, w_ih[: 2 * hidden]).view(x.shape)
        dw_ih = torch.cat((ds_rz.t() @ x_flat, dn_flat.t() @ x_flat)) if needs[2] else None
        dw_hh = hidden_weight_grad(ds, h0, y) if needs[3] else None
        db_ih = torch.cat((ds_rz.sum(0), dn_flat.sum(0))) if needs[4] else None
        db_hh = ds_flat.sum(0) if needs[5] else None
        return dx, dh0, dw_ih, dw_hh, db_ih, db_hh


def _reference(x, h0, w_ih, w_hh, b_ih, b_hh):
    from rnninit.torch.functional import gru_loop  # the reference imports this package

    return gru_loop(x, h0, w_ih, w_hh, b_ih, b_hh)


def gru_sequence(
    x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None
) -> tuple[Tensor, Tensor]:
    """One GRU layer over a whole ``(T, B, I)`` sequence: ``(y, h_T)``, as ``torch.nn.GRU`` computes."""
    return GRUSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh)
