"""GRU (PyTorch's form): ``GRUCell`` and the sequence module ``GRU``,
drop-ins for ``nn.GRUCell`` and ``nn.GRU``."""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.layout.kinds import GRU as GRU_KIND
from rnninit.torch import functional as Fr
from rnninit.torch.cells.builtin import BuiltinCell, BuiltinLayers
from rnninit.torch.cells.inputs import as_state, batched_cell_input


class GRUCell(BuiltinCell):
    r"""One GRU step:

        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' &= (1 - z) \odot n + z \odot h

    (Cho et al. 2014, with the reset gate applied after the recurrent product, as PyTorch and cuDNN do.)
    ``b_hn`` sits inside ``r ⊙ (...)``, so it is not additive with ``b_in``: the spec's ``bias[n]`` sets
    ``b_in`` and the role ``bias_hn`` sets ``b_hn``; ``bias[r]``/``bias[z]`` are effective sums.

    Same parameters (``weight_ih`` ``(3H, I)``, ``weight_hh`` ``(3H, H)``, ``bias_ih``, ``bias_hh``, gates
    stacked ``r, z, n``), call ``(input, hx=None) -> h'`` and ``state_dict`` as ``torch.nn.GRUCell``. ``init``
    (spec, spec string, preset name or dict; default ``pytorch_default``) and ``seed`` set the weights.

    Args:
        input_size: The number of input features ``I``.
        hidden_size: The number of hidden features ``H``.
        bias: If false, the cell has no bias tensors.
        init: The spec the weights are initialized from: a `Spec`, a spec string, a preset name or a
            dict.
        seed: The seed of the initialization; ``None`` draws one from torch's global generator.
        device: The device of the parameters (as in ``torch.nn``).
        dtype: The dtype of the parameters (as in ``torch.nn``).

    Raises:
        CellArgumentError: An argument that is not valid (the message names it and what would be).
        SpecError: ``init`` is malformed or does not fit this cell.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> cell = rt.GRUCell(3, 4, init="hh=orthogonal bias=zeros", seed=0)
        >>> cell(torch.ones(2, 3)).shape
        torch.Size([2, 4])
    """

    kind = GRU_KIND
    layout_source = "rnninit.torch.GRUCell"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "GRUCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h


class GRU(BuiltinLayers):
    r"""Multi-layer GRU, a drop-in replacement for ``torch.nn.GRU``. Each layer and direction:

        r &= \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z &= \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n &= \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' &= (1 - z) \odot n + z \odot h

    (Cho et al. 2014, with the reset gate applied after the recurrent product, as PyTorch and cuDNN do.)
    ``b_hn`` sits inside ``r ⊙ (...)``, so it is not additive with ``b_in``: the spec's ``bias[n]`` sets
    ``b_in`` and the role ``bias_hn`` sets ``b_hn``; ``bias[r]``/``bias[z]`` are effective sums.

    Layer ``k > 0`` reads the previous layer's (concatenated) outputs, with dropout ``p=dropout`` in
    training mode. Same constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``,
    ...), shapes, gate order and call as ``torch.nn.GRU``: ``(input, hx=None) -> (output, h_n)``, with
    ``batch_first``, unbatched input and ``PackedSequence`` input. ``init``/``seed``: as `GRUCell`.

    Args:
        input_size: The number of input features ``I``.
        hidden_size: The number of hidden features ``H``.
        num_layers: The number of stacked layers.
        bias: If false, the cell has no bias tensors.
        batch_first: If true, input and output are ``(batch, time, features)``, else ``(time, batch,
            features)``.
        dropout: The dropout probability on the outputs of every layer but the last (training mode
            only).
        bidirectional: If true, each layer runs forward and backward and concatenates the two.
        init: The spec the weights are initialized from: a `Spec`, a spec string, a preset name or a
            dict.
        seed: The seed of the initialization; ``None`` draws one from torch's global generator.
        device: The device of the parameters (as in ``torch.nn``).
        dtype: The dtype of the parameters (as in ``torch.nn``).

    Raises:
        CellArgumentError: An argument that is not valid (the message names it and what would be).
        SpecError: ``init`` is malformed or does not fit this cell.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import torch, rnninit.torch as rt
        >>> gru = rt.GRU(8, 16, batch_first=True, init="hh=orthogonal bias=zeros", seed=0)
        >>> output, h_n = gru(torch.zeros(3, 5, 8))
        >>> output.shape, h_n.shape
        (torch.Size([3, 5, 16]), torch.Size([1, 3, 16]))
    """

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
