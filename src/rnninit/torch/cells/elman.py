"""Elman RNN (tanh or relu): ``ElmanCell`` and the sequence module ``Elman``, drop-ins for ``nn.RNNCell`` and
``nn.RNN``.

IRNN (Le, Jaitly & Hinton 2015) is ``Elman(..., nonlinearity="relu", init="irnn")``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.layout.kinds import ELMAN
from rnninit.spec import SpecLike
from rnninit.torch import functional as Fr
from rnninit.torch.cells.arguments import check_nonlinearity
from rnninit.torch.cells.builtin import BuiltinCell, BuiltinLayers
from rnninit.torch.cells.inputs import as_state, batched_cell_input


class ElmanCell(BuiltinCell):
    r"""One Elman step: `h' = \phi(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`, `\phi` = tanh or relu.

    Same parameters (``weight_ih`` ``(H, I)``, ``weight_hh`` ``(H, H)``, ``bias_ih``, ``bias_hh``), call
    ``(input (B, I) or (I,), hx=None) -> h'`` and ``state_dict`` as ``torch.nn.RNNCell``. ``init`` (a spec,
    spec string, preset name or dict; default ``pytorch_default``) and ``seed`` set the weights; the spec's
    ``bias`` is the effective bias ``b_ih + b_hh`` (its value goes to ``bias_ih``, ``bias_hh`` gets zeros).

    Args:
        input_size: The number of input features ``I``.
        hidden_size: The number of hidden features ``H``.
        bias: If false, the cell has no bias tensors.
        nonlinearity: ``"tanh"`` or ``"relu"``.
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
        >>> cell = rt.ElmanCell(3, 4, nonlinearity="relu", init="irnn", seed=0)
        >>> cell(torch.ones(2, 3)).shape
        torch.Size([2, 4])
    """

    kind = ELMAN
    layout_source = "rnninit.torch.ElmanCell"
    builds_itself = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, init=init, seed=seed)
        self.nonlinearity = check_nonlinearity(type(self).__name__, nonlinearity)
        self.build(device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "ElmanCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.elman_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self) -> str:
        sizes = f"{self.input_size}, {self.hidden_size}"
        return f"{sizes}, nonlinearity={self.nonlinearity!r}, init='{self.init_spec}'"


class Elman(BuiltinLayers):
    r"""Multi-layer Elman RNN, a drop-in replacement for ``torch.nn.RNN``.

    Each layer and direction: `h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`,
    `\phi` = tanh or relu; layer ``k > 0`` reads the previous layer's (concatenated) outputs,
    with dropout ``p=dropout`` in training mode.

    Same constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), shapes and
    call as ``torch.nn.RNN``: ``(input, hx=None) -> (output, h_n)``, with ``batch_first``, unbatched input
    and ``PackedSequence`` input. ``init``/``seed``: as `ElmanCell`.

    Args:
        input_size: The number of input features ``I``.
        hidden_size: The number of hidden features ``H``.
        num_layers: The number of stacked layers.
        nonlinearity: ``"tanh"`` or ``"relu"``.
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
        >>> rnn = rt.Elman(8, 16, nonlinearity="relu", init="irnn", seed=0)
        >>> output, h_n = rnn(torch.zeros(5, 3, 8))
        >>> output.shape, bool((rnn.weight_hh_l0 == torch.eye(16)).all())
        (torch.Size([5, 3, 16]), True)
    """

    kind = ELMAN
    layout_source = "rnninit.torch.Elman"
    builds_itself = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            init=init,
            seed=seed,
        )
        self.nonlinearity = check_nonlinearity(type(self).__name__, nonlinearity)
        self.build(device=device, dtype=dtype)

    def builtin_op(self):
        return torch._VF.rnn_tanh if self.nonlinearity == "tanh" else torch._VF.rnn_relu

    def run_layer(self, x, state, weights, reverse, lengths):
        w_ih, w_hh, b_ih, b_hh = weights
        out, h = Fr.elman_layer(
            x,
            state[0],
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            nonlinearity=self.nonlinearity,
            reverse=reverse,
            lengths=lengths,
        )
        return out, (h,)

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return (
            text
            if self.nonlinearity == "tanh"
            else text.replace(", init=", ", nonlinearity='relu', init=", 1)
        )
