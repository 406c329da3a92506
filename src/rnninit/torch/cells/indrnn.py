"""IndRNN (Li, Li, Cook, Zhu & Gao 2018): ``IndRNNCell`` and the sequence module ``IndRNN``.

Each hidden unit has one recurrent weight: the recurrent matrix is diagonal, stored as a vector.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnninit.layout.kinds import INDRNN
from rnninit.spec import SpecLike
from rnninit.torch import functional as Fr
from rnninit.torch.cells.base import (
    InitializedModule,
    Owned,
    RecurrentLayers,
    as_state,
    batched_cell_input,
    check_sizes,
    library_cell_layout,
)

_NAMES = {"ih": "weight_ih", "hh": "weight_hh", "bias": "bias"}
_EQUATION = r"""
    .. math::
        h' = \phi(W_{ih} x + b + u \odot h)

    with ``u = weight_hh`` a vector (the diagonal of the recurrent matrix) and :math:`\phi` = relu (the
    paper's choice) or tanh. Each unit's memory over ``T`` steps scales like ``|u|^T``; the preset
    ``indrnn(t_max=T)`` draws ``u ~ U(0, 2^(1/T))`` so that it stays bounded.
"""


class IndRNNCell(InitializedModule):
    __doc__ = (
        "One IndRNN step (Li et al. 2018, 'Independently recurrent neural network'):\n"
        + _EQUATION
        + """
    Parameters ``weight_ih`` ``(H, I)``, ``weight_hh`` ``(H,)``, ``bias`` ``(H,)``; roles ``ih``, ``hh``
    (a diagonal), ``bias``. Call ``(input (B, I) or (I,), hx=None) -> h'``. ``init`` (spec, spec string,
    preset name or dict; default ``pytorch_default``) and ``seed`` set the weights.

    >>> import rnninit.torch as rt
    >>> cell = rt.IndRNNCell(3, 4, init="indrnn(t_max=100)", seed=0)
    >>> bool((cell.weight_hh >= 0).all() and (cell.weight_hh <= 2 ** (1 / 100)).all())
    True
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "relu",
        *,
        init: SpecLike = "pytorch_default",
        seed: int | None = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        Fr.activation(nonlinearity)
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.nonlinearity = nonlinearity
        self._set_init(init, seed)
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(hidden_size, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @property
    def has_bias(self) -> bool:
        return self.bias is not None

    def rnninit_layout(self, path: str) -> Owned:
        names = _NAMES if self.has_bias else {k: v for k, v in _NAMES.items() if k != "bias"}
        sizes = {"input": self.input_size, "hidden": self.hidden_size, "layers": 1, "directions": 1}
        cell, tensors = library_cell_layout(
            INDRNN, path=path, sizes=sizes, names=names, source="rnninit.torch.IndRNNCell"
        )
        return [cell], tensors

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "IndRNNCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.indrnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias, self.nonlinearity)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}, init='{self.init_spec}'"


class IndRNN(RecurrentLayers):
    __doc__ = (
        "Multi-layer IndRNN with ``torch.nn.RNN``'s calling convention. Each layer and direction:\n"
        + _EQUATION
        + """
    Parameters per layer ``k``: ``weight_ih_l{k}``, ``weight_hh_l{k}`` (a vector), ``bias_l{k}``
    (``_reverse`` for the second direction). Call ``(input, hx=None) -> (output, h_n)`` with
    ``batch_first``, ``num_layers``, ``bidirectional``, ``dropout`` and ``PackedSequence`` input, as
    ``torch.nn.RNN``. ``init``/``seed``: as :class:`IndRNNCell`.
    """
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "relu",
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
        self.nonlinearity = nonlinearity  # checked by _check_options, after the base arguments
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

    def _check_options(self) -> None:
        Fr.activation(self.nonlinearity)

    def layer_parameters(self, layer_input: int):
        h = self.hidden_size
        return [("weight_ih", (h, layer_input)), ("weight_hh", (h,)), ("bias", (h,) if self.bias else None)]

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = Fr.indrnn_layer(
            x, state[0], *weights, nonlinearity=self.nonlinearity, reverse=reverse, lengths=lengths
        )
        return out, (h,)

    def rnninit_layout(self, path: str) -> Owned:
        names = _NAMES if self.bias else {k: v for k, v in _NAMES.items() if k != "bias"}
        return self.library_layout(INDRNN, path, names, "rnninit.torch.IndRNN")

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
