"""GRU (PyTorch's form): ``GRUCell`` and the sequence module ``GRU``, drop-in for ``nn.GRUCell``/``nn.GRU``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnninit.layout.cells import GRU as GRU_KIND
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.spec import SpecLike
from rnninit.torch import functional as Fr
from rnninit.torch.cells.base import (
    InitializedModule,
    Owned,
    RecurrentLayers,
    as_state,
    batched_cell_input,
    check_sizes,
)

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


class GRUCell(InitializedModule):
    __doc__ = (
        "One GRU step:\n"
        + _EQUATIONS
        + """
    Same parameters (``weight_ih`` ``(3H, I)``, ``weight_hh`` ``(3H, H)``, ``bias_ih``, ``bias_hh``, gates
    stacked ``r, z, n``), call ``(input, hx=None) -> h'`` and ``state_dict`` as ``torch.nn.GRUCell``.
    ``init`` (spec, spec string, preset name or dict; default ``pytorch_default``) and ``seed`` set the weights.
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        self._set_init(init, seed)
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size, **factory))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size, **factory))
            self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def rnninit_layout(self, path: str) -> Owned:
        cell, tensors = torch_cell_layout(
            GRU_KIND,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            bias=self.bias,
            source="rnninit.torch.GRUCell",
        )
        return [cell], tensors

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "GRUCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, init='{self.init_spec}'"


class GRU(RecurrentLayers):
    __doc__ = (
        "Multi-layer GRU, a drop-in replacement for ``torch.nn.GRU``. Each layer and direction:\n"
        + _EQUATIONS
        + """
    Layer ``k > 0`` reads the previous layer's (concatenated) outputs, with dropout ``p=dropout`` in
    training mode. Same constructor arguments, parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``,
    ...), shapes, gate order and call as ``torch.nn.GRU``: ``(input, hx=None) -> (output, h_n)``, with
    ``batch_first``, unbatched input and ``PackedSequence`` input. ``init``/``seed``: as :class:`GRUCell`.
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
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
            device=device,
            dtype=dtype,
        )
        self._build()

    def layer_parameters(self, layer_input: int):
        h = self.hidden_size
        bias = (3 * h,) if self.bias else None
        return [
            ("weight_ih", (3 * h, layer_input)),
            ("weight_hh", (3 * h, h)),
            ("bias_ih", bias),
            ("bias_hh", bias),
        ]

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = Fr.gru_layer(x, state[0], *weights, reverse=reverse, lengths=lengths)
        return out, (h,)

    def rnninit_layout(self, path: str) -> Owned:
        return torch_rnn_layout(
            GRU_KIND,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            bias=self.bias,
            source="rnninit.torch.GRU",
        )

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
