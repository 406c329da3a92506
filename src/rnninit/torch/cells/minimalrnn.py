"""MinimalRNN (Chen 2017; Chen, Pennington & Schoenholz 2018): ``MinimalRNNCell`` and the sequence module
``MinimalRNN``.

A gated cell with one update gate, reduced to what makes signals propagate (its mean-field theory is in
the second paper, 'Dynamical isometry and a mean field theory of RNNs: gating enables signal propagation').
"""

from __future__ import annotations

from torch import Tensor

from rnninit.layout.kinds import MINIMALRNN
from rnninit.torch import functional as Fr
from rnninit.torch.cells.cell import CellModule
from rnninit.torch.cells.initialized import Owned
from rnninit.torch.cells.inputs import as_state, batched_cell_input
from rnninit.torch.cells.layers import RecurrentLayers

#: role -> tensor name; the order is the argument order of the functional layer and cell.
_NAMES = {"ih": "weight_ih", "input_bias": "bias_ih", "hh": "weight_hh", "zh": "weight_zh", "bias": "bias"}
_BIASES = ("input_bias", "bias")


def _tensors(bias: bool) -> dict[str, list[str]]:
    """role -> the tensor that stores it (no bias tensor with ``bias=False``)."""
    return {role: [name] for role, name in _NAMES.items() if bias or role not in _BIASES}


class MinimalRNNCell(CellModule):
    r"""One MinimalRNN step (Chen 2017; Chen, Pennington & Schoenholz 2018):

        z &= \tanh(W_x x + b_x) \\
        u &= \sigma(U_h h + U_z z + b_u) \\
        h' &= u \odot h + (1 - u) \odot z

    Tensors (roles): ``weight_ih`` ``(H, I)`` = `W_x` (``ih``), ``bias_ih`` = `b_x`
    (``input_bias``), ``weight_hh`` ``(H, H)`` = `U_h` (``hh``, gate ``u``), ``weight_zh`` ``(H, H)`` =
    `U_z` (``zh``, gate ``u``), ``bias`` = `b_u` (``bias``, gate ``u``: the update gate plays
    the forget gate's part, so ``forget_bias`` and ``chrono`` presets set it).

    Call ``(input (B, I) or (I,), hx=None) -> h'``. ``init`` (spec, spec string, preset name or dict;
    default ``pytorch_default``) and ``seed`` set the weights.

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
        >>> cell = rt.MinimalRNNCell(3, 4, init="forget_bias", seed=0)
        >>> cell(torch.ones(2, 3)).shape, cell.bias.min().item()
        (torch.Size([2, 4]), 1.0)
    """

    weight_names = tuple(_NAMES.values())
    weight_ih: Tensor
    bias_ih: Tensor | None
    weight_hh: Tensor
    weight_zh: Tensor
    bias: Tensor | None

    def rnninit_layout(self, path: str) -> Owned:
        return self.torch_style_layout(
            MINIMALRNN, path, _tensors(self.has_bias), "rnninit.torch.MinimalRNNCell"
        )

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "MinimalRNNCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.minimalrnn_cell(x, h, self.weight_ih, self.bias_ih, self.weight_hh, self.weight_zh, self.bias)
        return h.squeeze(0) if unbatched else h


class MinimalRNN(RecurrentLayers):
    r"""Multi-layer MinimalRNN with ``torch.nn.RNN``'s calling convention. Each layer and direction:

        z &= \tanh(W_x x + b_x) \\
        u &= \sigma(U_h h + U_z z + b_u) \\
        h' &= u \odot h + (1 - u) \odot z

    Tensors (roles): ``weight_ih`` ``(H, I)`` = `W_x` (``ih``), ``bias_ih`` = `b_x`
    (``input_bias``), ``weight_hh`` ``(H, H)`` = `U_h` (``hh``, gate ``u``), ``weight_zh`` ``(H, H)`` =
    `U_z` (``zh``, gate ``u``), ``bias`` = `b_u` (``bias``, gate ``u``: the update gate plays
    the forget gate's part, so ``forget_bias`` and ``chrono`` presets set it).

    Per layer ``k`` the tensors carry the suffix ``_l{k}`` (``_l{k}_reverse`` for the second direction).
    Call ``(input, hx=None) -> (output, h_n)`` with ``batch_first``, ``num_layers``, ``bidirectional``,
    ``dropout`` and ``PackedSequence`` input, as ``torch.nn.RNN``. ``init``/``seed``: as
    `MinimalRNNCell`.

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
        >>> rnn = rt.MinimalRNN(8, 16, bidirectional=True, seed=0)
        >>> output, h_n = rnn(torch.zeros(5, 3, 8))
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 32]), torch.Size([2, 3, 16]))
    """

    weight_names = tuple(_NAMES.values())

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = Fr.minimalrnn_layer(x, state[0], *weights, reverse=reverse, lengths=lengths)
        return out, (h,)

    def rnninit_layout(self, path: str) -> Owned:
        return self.torch_style_layout(MINIMALRNN, path, _tensors(self.bias), "rnninit.torch.MinimalRNN")

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
