"""The base of rnninit's one-step PyTorch cells (``ElmanCell``, ``LSTMCell``, ``IndRNNCell``, ...)."""

from __future__ import annotations

from typing import ClassVar

from rnninit.layout.kinds import CellKind
from rnninit.layout.torch_builtin import torch_style_cell_layout
from rnninit.spec import SpecLike
from rnninit.torch.cells.arguments import check_sizes
from rnninit.torch.cells.initialized import InitializedModule, Owned


class CellModule(InitializedModule):
    """One time step, with ``torch.nn.RNNCell``'s constructor ``(input_size, hidden_size, bias=True)``.

    Subclasses set `weight_names` and define `rnninit_layout` and ``forward``. A tensor
    that ``bias=False`` leaves out is registered as ``None``, as in ``torch.nn.RNNCell``.
    """

    #: The cell's tensors, in the argument order of its step function in `rnninit.torch.functional`.
    weight_names: ClassVar[tuple[str, ...]]

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
        self.input_size, self.hidden_size = check_sizes(type(self).__name__, input_size, hidden_size)
        self.has_bias = bool(bias)
        self.set_init(init, seed)
        if not self.builds_itself:
            self.build(device=device, dtype=dtype)

    def build(self, *, device=None, dtype=None) -> None:
        """Create the parameters (empty, on ``device``, in ``dtype``) and initialize them."""
        self.create_parameters(list(self.weight_names), none_for_missing=True, device=device, dtype=dtype)
        self.reset_parameters()

    def torch_style_layout(
        self, kind: CellKind, path: str, tensors: dict[str, list[str]], source: str
    ) -> Owned:
        """Layout of the cell, each role in the tensors ``tensors[role]``."""
        sizes = {"input": self.input_size, "hidden": self.hidden_size, "layers": 1, "directions": 1}
        cell, owned = torch_style_cell_layout(kind, path=path, sizes=sizes, tensors=tensors, source=source)
        return [cell], owned

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, init='{self.init_spec}'"
