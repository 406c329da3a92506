"""IndRNN (Li, Li, Cook, Zhu & Gao 2018): ``IndRNNCell`` and the sequence module ``IndRNN``.

Each hidden unit has one recurrent weight: the recurrent matrix is diagonal, stored as a vector.
"""

from __future__ import annotations

from torch import Tensor

from rnninit.layout.kinds import INDRNN
from rnninit.spec import SpecLike
from rnninit.torch import functional as Fr
from rnninit.torch.cells.arguments import check_nonlinearity
from rnninit.torch.cells.cell import CellModule
from rnninit.torch.cells.initialized import Owned
from rnninit.torch.cells.inputs import as_state, batched_cell_input
from rnninit.torch.cells.layers import RecurrentLayers

#: role -> tensor name; the order is the argument order of the functional layer and cell.
_NAMES = {"ih": "weight_ih", "hh": "weight_hh", "bias": "bias"}


def _tensors(bias: bool) -> dict[str, list[str]]:
    """role -> the tensor that stores it (no bias tensor with ``bias=False``)."""
    return {role: [name] for role, name in _NAMES.items() if bias or role != "bias"}


class IndRNNCell(CellModule):
    r"""One IndRNN step (Li et al. 2018, 'Independently recurrent neural network'):

        h' = \phi(W_{ih} x + b + u \odot h)

    with ``u = weight_hh`` a vector (the diagonal of the recurrent matrix) and `\phi` = relu (the
    paper's choice) or tanh. Each unit's memory over ``T`` steps scales like ``|u|^T``; the preset
    ``indrnn(t_max=T)`` draws ``u ~ U(0, 2^(1/T))`` so that it stays bounded.

    Parameters ``weight_ih`` ``(H, I)``, ``weight_hh`` ``(H,)``, ``bias`` ``(H,)``; roles ``ih``, ``hh``
    (a diagonal), ``bias``. Call ``(input (B, I) or (I,), hx=None) -> h'``. ``init`` (spec, spec string,
    preset name or dict; default ``pytorch_default``) and ``seed`` set the weights.

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
        >>> cell = rt.IndRNNCell(3, 4, init="indrnn(t_max=100)", seed=0)
        >>> bool((cell.weight_hh >= 0).all() and (cell.weight_hh <= 2 ** (1 / 100)).all())
        True
    """

    weight_names = tuple(_NAMES.values())
    builds_itself = True
    weight_ih: Tensor
    weight_hh: Tensor
    bias: Tensor | None

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
        super().__init__(input_size, hidden_size, bias, init=init, seed=seed)
        self.nonlinearity = check_nonlinearity(type(self).__name__, nonlinearity)
        self.build(device=device, dtype=dtype)

    def rnninit_layout(self, path: str) -> Owned:
        return self.torch_style_layout(INDRNN, path, _tensors(self.has_bias), "rnninit.torch.IndRNNCell")

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, state, unbatched = batched_cell_input(input, as_state(hx), self.input_size, "IndRNNCell")
        h = x.new_zeros(x.shape[0], self.hidden_size) if state is None else state[0]
        h = Fr.indrnn_cell(x, h, self.weight_ih, self.weight_hh, self.bias, self.nonlinearity)
        return h.squeeze(0) if unbatched else h

    def extra_repr(self) -> str:
        sizes = f"{self.input_size}, {self.hidden_size}"
        return f"{sizes}, nonlinearity={self.nonlinearity!r}, init='{self.init_spec}'"


class IndRNN(RecurrentLayers):
    r"""Multi-layer IndRNN with ``torch.nn.RNN``'s calling convention. Each layer and direction:

        h' = \phi(W_{ih} x + b + u \odot h)

    with ``u = weight_hh`` a vector (the diagonal of the recurrent matrix) and `\phi` = relu (the
    paper's choice) or tanh. Each unit's memory over ``T`` steps scales like ``|u|^T``; the preset
    ``indrnn(t_max=T)`` draws ``u ~ U(0, 2^(1/T))`` so that it stays bounded.

    Parameters per layer ``k``: ``weight_ih_l{k}``, ``weight_hh_l{k}`` (a vector), ``bias_l{k}``
    (``_reverse`` for the second direction). Call ``(input, hx=None) -> (output, h_n)`` with
    ``batch_first``, ``num_layers``, ``bidirectional``, ``dropout`` and ``PackedSequence`` input, as
    ``torch.nn.RNN``. ``init``/``seed``: as `IndRNNCell`.

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
        >>> rnn = rt.IndRNN(8, 16, num_layers=2, init="indrnn(t_max=100)", seed=0)
        >>> output, h_n = rnn(torch.zeros(5, 3, 8))
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 16]), torch.Size([2, 3, 16]))
    """

    weight_names = tuple(_NAMES.values())
    builds_itself = True

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

    def run_layer(self, x, state, weights, reverse, lengths):
        w_ih, w_hh, b = weights
        out, h = Fr.indrnn_layer(
            x, state[0], w_ih, w_hh, b, nonlinearity=self.nonlinearity, reverse=reverse, lengths=lengths
        )
        return out, (h,)

    def rnninit_layout(self, path: str) -> Owned:
        return self.torch_style_layout(INDRNN, path, _tensors(self.bias), "rnninit.torch.IndRNN")

    def forward(self, input, hx: Tensor | None = None):
        output, (h_n,) = self.forward_states(input, as_state(hx))
        return output, h_n
