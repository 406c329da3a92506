"""The sequence driver behind rnninit's sequence modules (``Elman``, ``LSTM``, ``GRU``, ``IndRNN``, ...).

`RecurrentLayers` follows ``torch.nn.RNNBase``: parameters named
``{weight,bias}_{ih,hh}_l{k}[_reverse]``, input ``(T, B, I)`` (``(B, T, I)`` with ``batch_first``,
``(T, I)`` unbatched, or a ``PackedSequence``), initial state ``(num_layers * num_directions, B, H_out)``
defaulting to zeros, dropout on each layer's output except the last (training mode only), and final
states at each sequence's true end. A subclass says which tensors a layer has (its layout), and which
function of `rnninit.torch.functional` runs a layer.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence

from rnninit.layout.kinds import CellKind
from rnninit.layout.torch_builtin import layer_suffix, torch_layers_layout, torch_style_cell_layout
from rnninit.spec import SpecLike
from rnninit.torch.cells.arguments import check_dropout, check_integer, check_sizes
from rnninit.torch.cells.initialized import InitializedModule, Owned
from rnninit.torch.cells.inputs import State, as_given, check_state, time_major_input
from rnninit.torch.compiler import run_eagerly_under_compile


class RecurrentLayers(InitializedModule):
    """Base of the sequence modules: layers × directions of one cell, with ``nn.LSTM``'s conventions.

    Subclasses set `weight_names` and define `rnninit_layout` (which tensors a layer
    has), `run_layer` (one layer and direction over time, via `rnninit.torch.functional`),
    and `state_sizes` if the state is not one tensor of `output_size` features.
    """

    #: As ``nn.RNNBase``: 0 unless an LSTM projects its hidden state.
    proj_size: int = 0
    #: The base names of one layer's tensors, in the argument order of `run_layer`'s function.
    weight_names: ClassVar[tuple[str, ...]]

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
        super().__init__()
        owner = type(self).__name__
        self.input_size, self.hidden_size = check_sizes(owner, input_size, hidden_size)
        self.num_layers = check_integer(owner, "num_layers", num_layers, minimum=1)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = check_dropout(owner, dropout, self.num_layers)
        self.bidirectional = bool(bidirectional)
        self.set_init(init, seed)
        if not self.builds_itself:
            self.build(device=device, dtype=dtype)

    def build(self, *, device=None, dtype=None) -> None:
        """Create every layer's parameters (empty, on ``device``, in ``dtype``) and initialize them."""
        names = [
            base + layer_suffix(layer, d)
            for layer, d in self.layers_and_directions()
            for base in self.weight_names
        ]
        registered = self.create_parameters(names, none_for_missing=False, device=device, dtype=dtype)
        size = len(self.weight_names)
        self._weight_names = [registered[k : k + size] for k in range(0, len(registered), size)]
        self.reset_parameters()

    # -- subclass hooks ---------------------------------------------------------------------
    def state_sizes(self) -> tuple[int, ...]:
        """Feature size of each state tensor (``(H_out,)``; LSTM ``(H_out, H)``)."""
        return (self.output_size,)

    def run_layer(
        self, x: Tensor, state: State, weights: list[Tensor | None], reverse: bool, lengths
    ) -> tuple[Tensor, State]:
        raise NotImplementedError

    def run_stack(self, x: Tensor, hx: State) -> tuple[Tensor, State] | None:
        """All layers and directions at once (padded input ``(T, B, I)``), or ``None``: then
        `run_layer` runs them one by one."""
        return None

    # -- sizes and layout ---------------------------------------------------------------------
    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each direction's output and hidden state."""
        return self.hidden_size

    def layers_and_directions(self) -> list[tuple[int, int]]:
        """``(layer, direction)`` of every layer and direction, in PyTorch's order."""
        return [(layer, d) for layer in range(self.num_layers) for d in range(self.num_directions)]

    def torch_style_layout(
        self, kind: CellKind, path: str, tensors: dict[str, list[str]], source: str
    ) -> Owned:
        """Layout of every layer and direction, each role in the tensors ``tensors[role]`` (base names)."""

        def one_cell(layer: int, direction: int, layer_input: int, suffix: str):
            sizes = {
                "input": layer_input,
                "hidden": self.hidden_size,
                "layers": self.num_layers,
                "directions": self.num_directions,
            }
            return torch_style_cell_layout(
                kind,
                path=path,
                sizes=sizes,
                tensors=tensors,
                suffix=suffix,
                layer=layer,
                direction=direction,
                source=source,
            )

        return torch_layers_layout(
            input_size=self.input_size,
            output_size=self.output_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            one_cell=one_cell,
        )

    def flatten_parameters(self) -> None:
        """No-op, so code written for ``nn.RNNBase`` (which compacts weights for cuDNN) runs unchanged."""

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text + f", init='{self.init_spec}'"

    # -- forward ------------------------------------------------------------------------------
    @run_eagerly_under_compile
    def forward_states(self, input, hx: State | None) -> tuple[Tensor | PackedSequence, State]:
        """Run all layers; ``hx`` is a tuple of state tensors or ``None`` (zeros).

        Under ``torch.compile`` this runs eagerly, as Dynamo runs ``torch.nn.RNNBase``
        (`rnninit.torch.compiler`).
        """
        owner = type(self).__name__
        x, hx, lengths, unbatched = time_major_input(
            input, hx, batch_first=self.batch_first, input_size=self.input_size, owner=owner
        )
        layers, batch = self.num_layers * self.num_directions, x.shape[1]
        if hx is None:
            hx = tuple(x.new_zeros(layers, batch, size) for size in self.state_sizes())
        check_state(hx, self.state_sizes(), layers, batch, owner)
        stack = None if lengths is not None else self.run_stack(x, hx)
        if stack is not None:
            return as_given(*stack, input, lengths, unbatched, self.batch_first)
        finals: list[State] = []
        index = 0
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                weights = [None if n is None else getattr(self, n) for n in self._weight_names[index]]
                state = tuple(h[index] for h in hx)
                out, final = self.run_layer(x, state, weights, direction == 1, lengths)
                outputs.append(out)
                finals.append(final)
                index += 1
            x = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_n = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))
        return as_given(x, h_n, input, lengths, unbatched, self.batch_first)
