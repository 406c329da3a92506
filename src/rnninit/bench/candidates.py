"""The candidates a speed benchmark times: built-in modules, rnninit's, and a user's own cell.

Every candidate of one grid point computes the same function with the same weights (copied with
``load_state_dict``) on the same input; a training step is ``y = module(x)`` then
``y.backward(dy)`` with a fixed random ``dy`` and ``x.requires_grad`` (a layer inside a stack needs
``dx``).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

import rnninit.torch as rt
from rnninit.bench.timing import Case
from rnninit.errors import BenchError
from rnninit.named_cells import NAMED_CELLS
from rnninit.torch import fast
from rnninit.torch import functional as Fr


def _build(cell: str, use: str, input_size: int, hidden: int, **kwargs) -> nn.Module:
    """The named cell's ``sequence`` module (the built-in) or its ``dropin`` (rnninit's)."""
    named = NAMED_CELLS[cell]
    return named.module(use)(input_size, hidden, **named.arguments, **kwargs)


class GridPoint:
    """Input, output gradient and reference weights (the built-in module's) of one grid point."""

    def __init__(
        self,
        cell: str,
        steps: int,
        batch: int,
        input_size: int,
        hidden: int,
        dtype: torch.dtype,
        device: str = "cpu",
    ):
        self.cell, self.steps, self.batch = cell, steps, batch
        self.input_size, self.hidden, self.dtype, self.device = input_size, hidden, dtype, device
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(steps, batch, input_size, generator=gen, dtype=dtype)
        self.x = x.to(device).requires_grad_(True)
        self.dy = torch.randn(steps, batch, hidden, generator=gen, dtype=dtype).to(device)
        torch.manual_seed(0)
        self.reference = _build(cell, "sequence", input_size, hidden, dtype=dtype).to(device)


def module_case(
    name: str,
    module: nn.Module,
    point: GridPoint,
    backend: str | None = None,
    *,
    double_backward: bool = False,
) -> Case:
    """Time ``module`` on ``point``; ``backend`` forces a `rnninit.torch.fast` backend.

    With ``double_backward`` the backward is a gradient-penalty step: ``g = d<y, dy>/dx`` with
    ``create_graph=True``, then ``|g|^2`` backpropagated to the parameters (second derivatives).
    """
    params = [p for p in getattr(module, "_orig_mod", module).parameters()]

    def scope():
        return fast.use_backend(backend) if backend else contextlib.nullcontext()

    def reset():
        for p in params:
            p.grad = None
        point.x.grad = None

    def forward():
        with scope():
            return module(point.x)[0]

    def backward(y):
        with scope():
            if double_backward:
                (g,) = torch.autograd.grad(y, point.x, point.dy, create_graph=True)
                g.pow(2).sum().backward()
            else:
                y.backward(point.dy)

    return Case(name, forward, backward, reset)


def builtin_case(point: GridPoint) -> Case:
    return module_case("builtin", point.reference, point)


def library_module(point: GridPoint) -> nn.Module:
    """rnninit's module of the point's cell, with the built-in's weights."""
    module = _build(point.cell, "dropin", point.input_size, point.hidden, seed=0, dtype=point.dtype)
    module.load_state_dict(point.reference.state_dict())
    return module.to(point.device)


def library_case(point: GridPoint, backend: str = "auto", *, double_backward: bool = False) -> Case:
    """rnninit's module of the cell with the built-in's weights, named ``rnninit`` or ``rnninit[backend]``."""
    name = "rnninit" if backend == "auto" else f"rnninit[{backend}]"
    forced = None if backend == "auto" else backend
    return module_case(name, library_module(point), point, forced, double_backward=double_backward)


class UserLSTM(nn.Module):
    """A user's own LSTM cell, declared to rnninit in one line, with its own time loop.

    It is written the way the PyTorch docs suggest: one input GEMM for all steps, ``unbind`` over
    time, autograd for the backward.
    """

    rnninit_roles = {"W": "ih[i,f,g,o]", "U": "hh[i,f,g,o]", "b": "bias[i,f,g,o]"}
    rnninit_kind = "lstm"

    def __init__(self, input_size: int, hidden: int, dtype=None):
        super().__init__()
        self.W = nn.Parameter(torch.empty(4 * hidden, input_size, dtype=dtype))
        self.U = nn.Parameter(torch.empty(4 * hidden, hidden, dtype=dtype))
        self.b = nn.Parameter(torch.empty(4 * hidden, dtype=dtype))

    def initial_state(self, x):
        zeros = x.new_zeros(x.shape[1], self.U.shape[1])
        return zeros, zeros

    def forward(self, x):
        h, c = self.initial_state(x)
        outputs = []
        for x_t in torch.nn.functional.linear(x, self.W, self.b).unbind(0):
            i, f, g, o = (x_t + h @ self.U.t()).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), (h, c)


class UserLSTMFunctional(UserLSTM):
    """The same user cell, its forward written with `rnninit.torch.functional.lstm_layer`."""

    def forward(self, x):
        return Fr.lstm_layer(x, self.initial_state(x), self.W, self.U, self.b, None)


USER_SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"


def user_cases(point: GridPoint, spec: str = USER_SPEC) -> list[Case]:
    """The library LSTM and a user's declared LSTM (own loop, and via rnninit's functional layer).

    The user's cells are initialized through the declaration protocol (``rt.apply`` reads their
    ``rnninit_roles``), then all three get the point's reference weights, so they compute the same
    function as every other candidate.
    """
    if point.cell != "lstm":
        raise BenchError(f"the user-cell benchmark is an LSTM; got cell {point.cell!r}")
    library = library_module(point)
    cases = [module_case("rnninit.LSTM", library, point)]
    for name, cls in (("user, own loop", UserLSTM), ("user, functional", UserLSTMFunctional)):
        user = cls(point.input_size, point.hidden, dtype=point.dtype)
        rt.apply(spec, user, seed=0)
        with torch.no_grad():
            weight = library.get_parameter
            user.W.copy_(weight("weight_ih_l0"))
            user.U.copy_(weight("weight_hh_l0"))
            user.b.copy_(weight("bias_ih_l0") + weight("bias_hh_l0"))
        user.to(point.device)
        cases.append(module_case(name, user, point))
    return cases
