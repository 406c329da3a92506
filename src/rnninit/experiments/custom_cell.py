"""The custom cell of the problem statement: an Elman cell written by hand, whose author wants its
input and recurrent weights drawn at two different scales (``scale_ih`` and ``scale_hh``).

In Keras the author's one multi-argument initializer is called as ``init(shape, dtype)`` for every
weight, so it cannot tell them apart and applies ``scale_ih`` to both: the recurrent matrix silently
gets the input scale. The experiments compare that wrong application (spec
``ih=lecun_normal(gain=s_ih) hh=lecun_normal(gain=s_ih)``) with the intended one
(``hh=lecun_normal(gain=s_hh)``); rnninit addresses each role by name, so it cannot mix them up.

    h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)
"""

from __future__ import annotations

import torch
from torch import nn

from rnninit.layout.declared import declared_layout

#: What each parameter means, declared once: this is all rnninit needs to initialize the cell.
ROLES = {"weight_ih": "ih", "weight_hh": "hh", "bias": "bias"}


class ScaledElman(nn.Module):
    """A hand-written tanh Elman RNN over a batch-first sequence, with the ``nn.RNN`` return
    convention ``(outputs, h_last)``."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True):
        super().__init__()
        if not batch_first:
            raise ValueError("ScaledElman only supports batch_first=True")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias = nn.Parameter(torch.zeros(hidden_size))
        bound = hidden_size**-0.5
        nn.init.uniform_(self.weight_ih, -bound, bound)
        nn.init.uniform_(self.weight_hh, -bound, bound)

    def rnninit_layout(self, path: str):
        shapes = {name: tuple(p.shape) for name, p in self.named_parameters()}
        cell, tensors = declared_layout(shapes, ROLES, kind="elman", path=path, framework="torch",
                                        source="rnninit.experiments.custom_cell.ScaledElman")
        return [cell], tensors

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        drive = x @ self.weight_ih.T + self.bias  # the input term of every step at once
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            h = torch.tanh(drive[:, t] + h @ self.weight_hh.T)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h.unsqueeze(0)
