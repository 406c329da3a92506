"""A user's own tanh cell with two kernels and no bias, ported from Keras to PyTorch::

    h_t = tanh(x_t K_ih + h_{t-1} K_hh)        K_ih: (input, units), K_hh: (units, units)

Its author wants the input kernel drawn from N(0, scale_ih²) and the recurrent kernel from
N(0, scale_hh²). In Keras the author's ``IncorrectInitializer(scale_ih, scale_hh)``
(``examples/seed/problem.py``) is called as ``init(shape, dtype)`` for both kernels and can only
use ``scale_ih``: the recurrent kernel silently gets the input scale. The experiments compare that
(spec ``ih=normal(std=s_ih) hh=normal(std=s_ih)``) with what was meant (``hh=normal(std=s_hh)``);
rnninit addresses each role by name, so it cannot mix them up. The cell declares its roles in one
line; a run config names it ``cell: two_kernel_tanh``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from rnninit.errors import ConfigError


class TwoKernelTanhRNN(nn.Module):
    """The two-kernel tanh cell over a batch-first sequence, returning ``(outputs, h_last)`` like
    ``nn.RNN``. Kernels are stored ``(in, out)`` as in Keras, hence ``rnninit_transpose``."""

    rnninit_roles: ClassVar[dict[str, str]] = {"kernel_ih": "ih", "kernel_hh": "hh"}
    rnninit_kind: ClassVar[str] = "elman"
    rnninit_transpose: ClassVar[bool] = True

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True):
        super().__init__()
        if not batch_first:
            raise ConfigError(f"TwoKernelTanhRNN runs batch-first only; got batch_first={batch_first!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.kernel_ih = nn.Parameter(torch.empty(input_size, hidden_size))
        self.kernel_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        bound = hidden_size**-0.5
        nn.init.uniform_(self.kernel_ih, -bound, bound)  # overwritten by the spec in every experiment
        nn.init.uniform_(self.kernel_hh, -bound, bound)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        drive = x @ self.kernel_ih  # the input term of every step at once
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for t in range(x.shape[1]):
            h = torch.tanh(drive[:, t] + h @ self.kernel_hh)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h.unsqueeze(0)
