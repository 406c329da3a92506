"""One LSTM, GRU or Elman layer over a whole sequence, by the backend `.backend` chooses.

The functions take and return what `rnninit.torch.functional`'s ``*_layer`` functions do
(``x`` ``(T, B, I)``, states ``(B, H)``, weights in PyTorch's layout, ``reverse`` for the backward
direction), for the cases without packed lengths; they return ``None`` when the chosen backend is
the reference loop, so the caller runs it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.errors import CellArgumentError
from rnninit.torch.fast import backend
from rnninit.torch.fast.elman import elman_sequence
from rnninit.torch.fast.gru import gru_sequence
from rnninit.torch.fast.lstm import lstm_sequence


def _weights(
    w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, w_hr: Tensor | None = None
):
    """The built-in kernel's weight list (``[w_ih, w_hh, b_ih, b_hh, w_hr]``, as ``nn.LSTM`` passes it)."""
    # The built-in kernel takes both biases or neither; a lone bias is the same as a zero other one.
    if b_ih is None and b_hh is not None:
        b_ih = torch.zeros_like(b_hh)
    elif b_hh is None and b_ih is not None:
        b_hh = torch.zeros_like(b_ih)
    weights = [w_ih, w_hh] if b_ih is None else [w_ih, w_hh, b_ih, b_hh]
    if w_hr is not None:
        weights.append(w_hr)
    return weights, b_ih is not None


def _flip(x: Tensor, reverse: bool) -> Tensor:
    return x.flip(0) if reverse else x


def lstm_layer(
    x: Tensor,
    state: tuple[Tensor, Tensor],
    w_ih,
    w_hh,
    b_ih=None,
    b_hh=None,
    w_hr=None,
    *,
    reverse: bool = False,
) -> tuple[Tensor, tuple[Tensor, Tensor]] | None:
    """``(outputs, (h_T, c_T))`` of one LSTM layer, or ``None`` if the backend is the reference loop.

    ``w_hr`` (``proj_size``) runs on the built-in kernel, never on the whole-sequence kernels.
    """
    chosen = backend.resolve("lstm", x, projected=w_hr is not None)
    h, c = state
    x = _flip(x, reverse)
    if chosen == "kernels":
        y, h, c = lstm_sequence(x, h, c, w_ih, w_hh, b_ih, b_hh)
    elif chosen == "builtin":
        weights, has_bias = _weights(w_ih, w_hh, b_ih, b_hh, w_hr)
        hx = (h.unsqueeze(0), c.unsqueeze(0))
        y, h, c = torch._VF.lstm(x, hx, weights, has_bias, 1, 0.0, False, False, False)
        h, c = h[0], c[0]
    else:
        return None
    return _flip(y, reverse), (h, c)


def gru_layer(x: Tensor, h: Tensor, w_ih, w_hh, b_ih=None, b_hh=None, *, reverse: bool = False):
    """``(outputs, h_T)`` of one GRU layer, or ``None`` if the backend is the reference loop."""
    chosen = backend.resolve("gru", x)
    x = _flip(x, reverse)
    if chosen == "kernels":
        y, h = gru_sequence(x, h, w_ih, w_hh, b_ih, b_hh)
    elif chosen == "builtin":
        weights, has_bias = _weights(w_ih, w_hh, b_ih, b_hh)
        y, h = torch._VF.gru(x, h.unsqueeze(0), weights, has_bias, 1, 0.0, False, False, False)
        h = h[0]
    else:
        return None
    return _flip(y, reverse), h


def elman_layer(
    x: Tensor,
    h: Tensor,
    w_ih,
    w_hh,
    b_ih=None,
    b_hh=None,
    nonlinearity: str = "tanh",
    *,
    reverse: bool = False,
):
    """``(outputs, h_T)`` of one Elman layer, or ``None`` if the backend is the reference loop."""
    chosen = backend.resolve("elman", x)
    x = _flip(x, reverse)
    if chosen == "kernels":
        y, h = elman_sequence(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
    elif chosen == "builtin":
        if nonlinearity not in ("tanh", "relu"):
            raise CellArgumentError(f"unknown nonlinearity {nonlinearity!r}; valid: 'tanh', 'relu'")
        weights, has_bias = _weights(w_ih, w_hh, b_ih, b_hh)
        run = torch._VF.rnn_tanh if nonlinearity == "tanh" else torch._VF.rnn_relu
        y, h = run(x, h.unsqueeze(0), weights, has_bias, 1, 0.0, False, False, False)
        h = h[0]
    else:
        return None
    return _flip(y, reverse), h
