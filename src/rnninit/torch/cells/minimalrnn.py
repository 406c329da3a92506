"""MinimalRNN (Chen 2017; Chen, Pennington & Schoenholz 2018): ``MinimalRNNCell`` and the sequence module
``MinimalRNN``.

A gated cell with one update gate, reduced to what makes signals propagate (its mean-field theory is in
the second paper, 'Dynamical isometry and a mean field theory of RNNs: gating enables signal propagation').
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnninit.layout.kinds import MINIMALRNN
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

#: role -> tensor name; the order is the argument order of the functional layer and cell.
_NAMES = {"ih": "weight_ih", "input_bias": "bias_ih", "hh": "weight_hh", "zh": "weight_zh", "bias": "bias"}
_BIASES = ("input_bias", "bias")
_EQUATIONS = r"""
    .. math::
        z &= \tanh(W_x x + b_x) \\
        u &= \sigma(U_h h + U_z z + b_u) \\
        h' &= u \odot h + (1 - u) \odot z

    Tensors (roles): ``weight_ih`` ``(H, I)`` = :math:`W_x` (``ih``), ``bias_ih`` = :math:`b_x`
    (``input_bias``), ``weight_hh`` ``(H, H)`` = :math:`U_h` (``hh``, gate ``u``), ``weight_zh`` ``(H, H)`` =
    :math:`U_z` (``zh``, gate ``u``), ``bias`` = :math:`b_u` (``bias``, gate ``u``: the update gate plays
    the forget gate's part, so ``forget_bias`` and ``chrono`` presets set it).
"""


def _names(bias: bool) -> dict[str, str]:
    return _NAMES if bias else {k: v for k, v in _NAMES.items() if k not in _BIASES}


class MinimalRNNCell(InitializedModule):
    __doc__ = (
        "One MinimalRNN step (Chen 2017; Chen, Pennington & Schoenholz 2018):\n"
        + _EQUATIONS
        + """
    Call ``(input (B, I) or (I,), hx=None) -> h'``. ``init`` (spec, spec string, preset name or dict;
    default ``pytorch_default``) and ``seed`` set the weights.
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
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self._set_init(init, seed)
        factory = {"device": device, "dtype": dtype}
        h = hidden_size
        shapes = {
            "weight_ih": (h, input_size),
            "bias_ih": (h,),
            "weight_hh": (h, h),
            "weight_zh": (h, h),
            "bias": (h,),
        }
        for role, name in _NAMES.items():
            if bias or role not in _BIASES:
                self.register_parameter(name, nn.Parameter(torch.empty(shapes[name], **factory)))
            else:
                self.register_parameter(name, None)
        self.reset_parameters()

    def rnninit_layout(self, path: str) -> Owned:
        sizes = {"input": self.input_size, "hidden": self.hidden_size, "layers": 1, "directions": 1}
        cell, tensors = library_cell_layout(
            MINIMALRNN,
            path=path,
            sizes=sizes,
            names=_names(self.bias is not None),
            source="rnninit.torch.MinimalRNNCell",
        )
        return [cell], tensors

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "MinimalRNNCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.minimalrnn_cell(x, h, self.weight_ih, self.bias_ih, self.weight_hh, self.weight_zh, self.bias)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, init='{self.init_spec}'"


class MinimalRNN(RecurrentLayers):
    __doc__ = (
        "Multi-layer MinimalRNN with ``torch.nn.RNN``'s calling convention. Each layer and direction:\n"
        + _EQUATIONS
        + """
    Per layer ``k`` the tensors carry the suffix ``_l{k}`` (``_l{k}_reverse`` for the second direction).
    Call ``(input, hx=None) -> (output, h_n)`` with ``batch_first``, ``num_layers``, ``bidirectional``,
    ``dropout`` and ``PackedSequence`` input, as ``torch.nn.RNN``. ``init``/``seed``: as
    :class:`MinimalRNNCell`.
    """
    )

    def layer_parameters(self, layer_input: int):
        h = self.hidden_size
        bias = (h,) if self.bias else None
        return [
            ("weight_ih", (h, layer_input)),
            ("bias_ih", bias),
            ("weight_hh", (h, h)),
            ("weight_zh", (h, h)),
            ("bias", bias),
        ]

    def run_layer(self, x, state, weights, reverse, lengths):
        out, h = Fr.minimalrnn_layer(x, state[0], *weights, reverse=reverse, lengths=lengths)
        return out, (h,)

    def rnninit_layout(self, path: str) -> Owned:
        return self.library_layout(MINIMALRNN, path, _names(self.bias), "rnninit.torch.MinimalRNN")

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
