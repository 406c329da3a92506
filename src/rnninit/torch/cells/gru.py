"""GRU (PyTorch's form): ``GRUCell`` and the sequence module ``GRU``,
drop-ins for ``nn.GRUCell`` and ``nn.GRU``."""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.layout.kinds import GRU as GRU_KIND
from rnninit.torch import functional as Fr
from rnninit.torch.cells.builtin import BuiltinCell, BuiltinLayers
from rnninit.torch.cells.inputs import as_state, batched_cell_input

_EQUATIONS = r"""
    .. math::
        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' &= (1 - z) \odot n + z \odot h

    (Cho et al. 2014, with the reset gate applied after the recurrent product, as PyTorch and cuDNN do.)
    ``b_hn`` sits inside ``r ⊙ (...)``, so it is not additive with ``b_in``: the spec's ``bias[n]`` sets
    ``b_in`` and the role ``bias_hn`` sets ``b_hn``; ``bias[r]``/``bias[z]`` are effective sums.
"""


class GRUCell(BuiltinCell):
    __doc__ = (
        "One GRU step:\n"
        + _EQUATIONS
        + """
    Same parameters (``weight_ih`` ``(3H, I)``, ``weight_hh`` ``(3H, H)``, ``bias_ih``, ``bias_hh``, gates
    stacked ``r, z, n``), call ``(input, hx=None) -> h'`` and ``state_dict`` as ``torch.nn.GRUCell``. ``init``
    (spec, spec string, preset name or dict; default ``pytorch_default``) and ``seed`` set the weights.
    """
    )

    kind = GRU_KIND
    layout_source = "rnninit.torch.GRUCell"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "GRUCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h


class GRU(BuiltinLayers):
    __doc__ = (
        "Multi-layer GRU, a drop-in replacement for ``torch.nn.GRU``. Each layer and direction:\n"
        + _EQUATIONS
        + """
    Layer ``k > 0`` reads the previous layer's (concatenated) outputs, with dropout ``p=dropout`` in
    training mode. Same constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``,
    ...), shapes, gate order and call as ``torch.nn.GRU``: ``(input, hx=None) -> (output, h_n)``, with
    ``batch_first``, unbatched input and ``PackedSequence`` input. ``init``/``seed``: as `GRUCell`.
    """
    )

    kind = GRU_KIND
    layout_source = "rnninit.torch.GRU"

    def builtin_op(self):
        return torch._VF.gru

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = Fr.gru_layer(x, state[0], *weights, reverse=reverse, lengths=lengths)
        return out, (h,)

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
