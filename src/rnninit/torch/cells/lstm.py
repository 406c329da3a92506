"""LSTM: ``LSTMCell`` and the sequence module ``LSTM`` (with ``proj_size``), drop-ins for ``nn.LSTMCell`` and
``nn.LSTM``."""

from __future__ import annotations

import torch
from torch import Tensor

from rnninit.layout.kinds import LSTM as LSTM_KIND
from rnninit.spec import SpecLike
from rnninit.torch import functional as Fr
from rnninit.torch.cells.arguments import check_proj_size
from rnninit.torch.cells.builtin import BUILTIN_WEIGHTS, BuiltinCell, BuiltinLayers
from rnninit.torch.cells.inputs import as_state, batched_cell_input


class LSTMCell(BuiltinCell):
    r"""One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate, Gers et al. 2000):

        i &= \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
        f &= \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g &= \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
        o &= \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' &= f \odot c + i \odot g \\
        h' &= o \odot \tanh(c')

    Same parameters (``weight_ih`` ``(4H, I)``, ``weight_hh`` ``(4H, H)``, ``bias_ih``, ``bias_hh``, gates
    stacked ``i, f, g, o``), call ``(input, (h, c)=None) -> (h', c')`` and ``state_dict`` as
    ``torch.nn.LSTMCell``. ``init`` (spec, spec string, preset name or dict; default ``pytorch_default``)
    and ``seed`` set the weights. The spec's ``bias[f]`` is the *effective* forget bias ``b_if + b_hf``:
    ``init="ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"`` gives a forget bias of exactly 1.

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
        >>> cell = rt.LSTMCell(3, 4, init="ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", seed=0)
        >>> h, c = cell(torch.ones(2, 3))
        >>> h.shape, (cell.bias_ih + cell.bias_hh)[4:8].min().item()
        (torch.Size([2, 4]), 1.0)
    """

    kind = LSTM_KIND
    layout_source = "rnninit.torch.LSTMCell"

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "LSTMCell")
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = Fr.lstm_cell(
            x, (state[0], state[1]), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class LSTM(BuiltinLayers):
    r"""Multi-layer LSTM, a drop-in replacement for ``torch.nn.LSTM``. Each layer and direction:

        i &= \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
        f &= \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g &= \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
        o &= \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' &= f \odot c + i \odot g \\
        h' &= o \odot \tanh(c')

    and with ``proj_size = P > 0``, `h' = W_{hr} (o \odot \tanh(c'))` (Sak et al. 2014), so ``h``
    has ``P`` features and ``weight_hh`` is ``(4H, P)``. Layer ``k > 0`` reads the previous layer's
    (concatenated) outputs, with dropout ``p=dropout`` in training mode.

    Same constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``,
    ``weight_hr_l0``, ...), shapes, gate order and call as ``torch.nn.LSTM``:
    ``(input, (h_0, c_0)=None) -> (output, (h_n, c_n))``, with ``batch_first``, unbatched input and
    ``PackedSequence`` input. ``init``/``seed``: as `LSTMCell`; the projection is the role ``proj``.

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
        proj_size: If positive, ``h`` is projected to this many features (``weight_hr``, role ``proj``).
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
        >>> lstm = rt.LSTM(8, 16, num_layers=2, bidirectional=True, init="forget_bias", seed=0)
        >>> output, (h_n, c_n) = lstm(torch.zeros(5, 3, 8))
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 32]), torch.Size([4, 3, 16]))
    """

    kind = LSTM_KIND
    layout_source = "rnninit.torch.LSTM"
    weight_names = (*BUILTIN_WEIGHTS, "weight_hr")
    builds_itself = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
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
        self.proj_size = check_proj_size(type(self).__name__, proj_size, self.hidden_size)
        self.build(device=device, dtype=dtype)

    @property
    def output_size(self) -> int:
        return self.proj_size or self.hidden_size

    def state_sizes(self) -> tuple[int, ...]:
        return (self.output_size, self.hidden_size)

    def builtin_op(self):
        return torch._VF.lstm

    def run_layer(self, x, state, weights, reverse, lengths):
        return Fr.lstm_layer(x, state, *weights, reverse=reverse, lengths=lengths)

    def forward(self, input, hx: tuple[Tensor, Tensor] | None = None):
        output, (h_n, c_n) = self.forward_states(input, as_state(hx))
        return output, (h_n, c_n)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return (
            text if not self.proj_size else text.replace(", init=", f", proj_size={self.proj_size}, init=", 1)
        )
