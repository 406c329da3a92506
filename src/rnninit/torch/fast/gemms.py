"""The GEMMs a whole-sequence layer does outside its time loop: the input projection before it, the
weight gradients after it.

For a layer whose gate pre-activations are ``z_t = W_ih x_t + b_ih + (hidden-side terms)``, the
gradients of the input-side parameters and of the input are, over all ``T*B`` rows at once::

    dW_ih = dZ^T X        db_ih = sum_rows dZ        dX = dZ W_ih

and of the hidden-side weight, with ``H_prev = (h_0, ..., h_{T-1})`` and ``dS`` the gradient of the
hidden-side pre-activations (equal to ``dZ`` except for GRU's n gate)::

    dW_hh = dS^T H_prev   db_hh = sum_rows dS

One large GEMM each instead of ``T`` thin ones (autograd's per-step backward) is the main saving.
"""

from __future__ import annotations

import torch
from torch import Tensor


def input_projection(out: Tensor, x: Tensor, w_ih: Tensor, *biases: Tensor | None) -> None:
    """``out = x W_ih^T + sum(biases)`` for all steps at once, as one GEMM (``out`` is ``(T, B, G)``)."""
    steps, batch, features = x.shape
    flat = out.view(steps * batch, -1)
    torch.mm(x.reshape(steps * batch, features), w_ih.t(), out=flat)
    for bias in biases:
        if bias is not None:
            flat.add_(bias)


def hidden_weight_grad(ds: Tensor, h0: Tensor, y: Tensor) -> Tensor:
    """``dW_hh = sum_t ds_t^T h_{t-1}`` as one GEMM over steps 1.., plus step 0's ``ds_0^T h_0``.

    Splitting off step 0 avoids building ``(h_0, ..., h_{T-1})`` in a fresh ``T*B*H`` buffer: large
    fresh buffers cost page faults on first touch, a visible share of the backward at ``T*B*H`` of
    millions.
    """
    return torch.addmm(ds[0].t() @ h0, flat(ds[1:]).t(), flat(y[:-1]))


def flat(t: Tensor) -> Tensor:
    """``(T, B, N)`` -> ``(T*B, N)``."""
    return t.reshape(-1, t.shape[-1])


def weight_grads(needs, x: Tensor, h0: Tensor, y: Tensor, w_ih: Tensor, dz: Tensor, ds: Tensor) -> tuple:
    """``(dx, dW_ih, dW_hh, db_ih, db_hh)``, each ``None`` where ``needs`` (that order) says not needed."""
    need_x, need_w_ih, need_w_hh, need_b_ih, need_b_hh = needs
    dz_flat, ds_flat = flat(dz), flat(ds)
    dx = (dz_flat @ w_ih).view(x.shape) if need_x else None
    dw_ih = dz_flat.t() @ flat(x) if need_w_ih else None
    dw_hh = hidden_weight_grad(ds, h0, y) if need_w_hh else None
    db_ih = dz_flat.sum(0) if need_b_ih else None
    if need_b_hh:
        db_hh = db_ih.clone() if (ds is dz and db_ih is not None) else ds_flat.sum(0)
    else:
        db_hh = None
    return dx, dw_ih, dw_hh, db_ih, db_hh
