"""The step interface: any recurrent cell as a map ``s_t = F(x_t, s_{t-1})`` on a flat state.

A cell is called as ``module(x_t, state) -> state``, the convention of ``torch.nn.RNNCell``,
``GRUCell`` (state ``h``) and ``LSTMCell`` (state ``(h, c)``), and of the library's cells. A
`Stepper` names the state's parts and their sizes, and concatenates them into one vector
``s = [h; c]`` of size ``S``, so that the recurrent Jacobian ``∂s_t/∂s_{t-1}`` is one ``S × S``
matrix whatever the cell. The first part is the cell's output ``h``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from rnninit.arguments import is_integer
from rnninit.errors import DynamicsError


@dataclass(frozen=True)
class Stepper:
    """``module`` called one step at a time on a flat state ``(batch, S)``.

    ``parts`` are ``(name, size)`` pairs in the order the module takes and returns them; a
    one-part state is passed as a tensor, a several-part state as a tuple.

    Attributes:
        module: The cell: ``module(x, state) -> new state`` (a tensor, or a tuple of parts).
        parts: ``(name, size)`` of each part of the state, in order (``(("h", H), ("c", H))``).
        input_size: The number of input features.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import Stepper
        >>> stepper = Stepper.for_module(torch.nn.LSTMCell(3, 4))
        >>> stepper.state_size, stepper.part_slice("c")
        (8, slice(4, 8, None))
    """

    module: nn.Module
    parts: tuple[tuple[str, int], ...]
    input_size: int

    @classmethod
    def for_module(cls, module: nn.Module) -> Stepper:
        """The stepper of a ``torch.nn`` cell (``RNNCell``, ``GRUCell``, ``LSTMCell``) or of a module with
        ``input_size``/``hidden_size`` attributes and a state ``h`` (``(h, c)`` if it is an LSTM cell).

        Args:
            module: A one-step cell module.

        Returns:
            Its stepper.

        Raises:
            DynamicsError: ``module`` is a sequence module (``nn.LSTM``, ...), or has no integer
                ``input_size``/``hidden_size`` (build the `Stepper` yourself).
        """
        if isinstance(module, nn.RNNBase) or hasattr(module, "num_layers"):
            raise DynamicsError(
                f"{type(module).__name__} is a sequence module; a diagnosis measures one cell step "
                "(pass e.g. torch.nn.LSTMCell or rnninit.torch.LSTMCell)"
            )
        hidden = getattr(module, "hidden_size", None)
        inputs = getattr(module, "input_size", None)
        if not is_integer(hidden) or not is_integer(inputs):
            raise DynamicsError(
                f"cannot tell the state layout of {type(module).__name__}: it has no integer "
                "input_size/hidden_size; build Stepper(module, parts=(('h', H), ...), input_size=I) yourself"
            )
        lstm = isinstance(module, nn.LSTMCell) or type(module).__name__ == "LSTMCell"
        parts = (("h", int(hidden)), ("c", int(hidden))) if lstm else (("h", int(hidden)),)
        return cls(module, parts, int(inputs))

    @property
    def state_size(self) -> int:
        return sum(size for _, size in self.parts)

    @property
    def part_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parts)

    def part_slice(self, name: str) -> slice:
        start = 0
        for part, size in self.parts:
            if part == name:
                return slice(start, start + size)
            start += size
        raise DynamicsError(f"this cell's state has no part '{name}'; its parts are {self.part_names}")

    def zeros(self, batch: int, dtype: torch.dtype = torch.float64) -> Tensor:
        """The flat zero state, ``(batch, S)``."""
        return torch.zeros(batch, self.state_size, dtype=dtype)

    def step(self, x: Tensor, state: Tensor) -> Tensor:
        """One step on flat states: ``x`` ``(batch, input)``, ``state`` ``(batch, S)`` -> ``(batch, S)``."""
        pieces = torch.split(state, [size for _, size in self.parts], dim=-1)
        out = self.module(x, pieces[0] if len(pieces) == 1 else tuple(pieces))
        out = (out,) if isinstance(out, Tensor) else tuple(out)
        if len(out) != len(self.parts):
            raise DynamicsError(
                f"{type(self.module).__name__} returned {len(out)} state tensors, but the stepper "
                f"expects {len(self.parts)} ({', '.join(self.part_names)})"
            )
        return torch.cat(out, dim=-1)

    def frozen_copy(self, dtype: torch.dtype = torch.float64) -> Stepper:
        """A CPU copy in ``dtype`` whose parameters need no gradient (the original is untouched)."""
        module = copy.deepcopy(self.module).to(device="cpu", dtype=dtype).requires_grad_(False)
        return replace(self, module=module)
