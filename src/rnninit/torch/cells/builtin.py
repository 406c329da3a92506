"""What the drop-ins for ``nn.RNNCell``/``LSTMCell``/``GRUCell`` and ``nn.RNN``/``LSTM``/``GRU`` share:
PyTorch's tensor names and shapes (the gates of the cell kind stacked along the rows) and their layout,
the one `rnninit.layout.torch_builtin` gives the built-ins."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from rnninit.layout.kinds import CellKind
from rnninit.layout.torch_builtin import torch_cell_layout, torch_rnn_layout
from rnninit.torch.cells.cell import CellModule
from rnninit.torch.cells.initialized import Owned
from rnninit.torch.cells.inputs import State
from rnninit.torch.cells.layers import RecurrentLayers
from rnninit.torch.fast import backend as fast_backend

#: ``torch.nn.RNNCell``'s tensors, and each layer's of ``torch.nn.RNN``, in its order.
BUILTIN_WEIGHTS: tuple[str, ...] = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class BuiltinCell(CellModule):
    """A cell with ``torch.nn.RNNCell``'s tensors: ``weight_ih`` ``(G·H, I)``, ``weight_hh`` ``(G·H, H)``,
    ``bias_ih`` and ``bias_hh`` ``(G·H,)``, the ``G`` gates of `kind` stacked along the rows.

    Subclasses set `kind` and `layout_source` and define ``forward``.
    """

    kind: ClassVar[CellKind]
    layout_source: ClassVar[str]
    weight_names = BUILTIN_WEIGHTS
    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None
    bias_hh: Tensor | None

    @property
    def bias(self) -> bool:
        """Whether the cell has ``bias_ih`` and ``bias_hh`` (``torch.nn.RNNCell``'s ``bias``)."""
        return self.has_bias

    def rnninit_layout(self, path: str) -> Owned:
        cell, tensors = torch_cell_layout(
            self.kind,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            bias=self.has_bias,
            source=self.layout_source,
        )
        return [cell], tensors


class BuiltinLayers(RecurrentLayers):
    """Layers with ``torch.nn.RNN``'s tensors: per layer ``k`` ``weight_ih_l{k}`` ``(G·H, I_k)``,
    ``weight_hh_l{k}`` ``(G·H, H_out)``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (``_reverse`` for the second
    direction), the ``G`` gates of `kind` stacked along the rows.

    Subclasses set `kind` and `layout_source` and define `run_layer`,
    `builtin_op` and ``forward``.
    """

    kind: ClassVar[CellKind]
    layout_source: ClassVar[str]
    weight_names = BUILTIN_WEIGHTS

    def builtin_op(self):
        """The built-in op of the whole stack (``torch._VF.lstm``, ``gru``, ``rnn_tanh``, ``rnn_relu``)."""
        raise NotImplementedError

    def run_stack(self, x: Tensor, hx: State) -> tuple[Tensor, State] | None:
        """When the layers run on the built-in op (`rnninit.torch.fast.backend.resolve`: a float32
        LSTM on a CPU, any CUDA tensor, autocast), one call for all layers and directions, as
        ``torch.nn.LSTM/GRU/RNN`` make it: their numbers, dropout included, at their cost."""
        if fast_backend.resolve(self.kind.name, x, projected=self.proj_size > 0) != "builtin":
            return None
        weights = [getattr(self, n) for names in self._weight_names for n in names if n is not None]
        state = hx if len(hx) == 2 else hx[0]
        flags = (self.bias, self.num_layers, self.dropout, self.training, self.bidirectional, False)
        y, *final = self.builtin_op()(x, state, weights, *flags)
        return y, tuple(final)

    def rnninit_layout(self, path: str) -> Owned:
        return torch_rnn_layout(
            self.kind,
            path=path,
            input_size=self.input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            bias=self.bias,
            proj_size=self.proj_size,
            source=self.layout_source,
        )
