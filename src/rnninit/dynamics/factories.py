"""Build a named cell for a diagnosis (the names and their modules are
`rnninit.named_cells.NAMED_CELLS`).

``make_cell("lstm", input_size=8, hidden_size=64, spec="orthogonal", seed=0)`` builds the cell
with its framework default under a seeded generator, then applies ``spec`` with
`rnninit.torch.apply` (roles the spec does not mention keep the framework default).
The result is a `Stepper` (the module and how its state is laid
out), which is what `rnninit.dynamics.diagnose` measures. ``keras_*`` cells are Keras' own,
initialized with Keras' defaults and ``rnninit.keras.apply``, and measured through their exact
PyTorch twin (`rnninit.dynamics.keras_twin`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from rnninit.arguments import check_integer
from rnninit.dynamics.keras_twin import is_keras_cell, torch_twin
from rnninit.dynamics.stepper import Stepper
from rnninit.errors import DynamicsError, did_you_mean, one_of
from rnninit.named_cells import NAMED_CELLS, NamedCell, cell_names
from rnninit.seeding import check_seed
from rnninit.spec import SpecLike
from rnninit.torch.apply import apply


@dataclass(frozen=True)
class CellFactory:
    """How to build one named cell: ``build(input_size, hidden_size, seed)`` returns the module with
    its default initialization drawn from ``seed``; ``parts`` names its state (``("h", "c")`` for an LSTM)."""

    name: str
    build: Callable[[int, int, int], object]  # a torch module or a Keras cell
    parts: tuple[str, ...]
    doc: str


CELLS: dict[str, CellFactory] = {}
"""The cells `make_cell` builds, by name: every name of `rnninit.named_cells.NAMED_CELLS` with a one-step
cell, then any that `register_cell` adds.
"""


def register_cell(
    name: str, build: Callable[[int, int, int], object], parts: tuple[str, ...], doc: str
) -> None:
    """Make cell ``name`` available to `make_cell` (in this process).

    Args:
        name: The cell's name (an existing name is replaced).
        build: ``build(input_size, hidden_size, seed)`` returns the one-step cell module with its
            default initialization drawn from ``seed``.
        parts: The names of the state's parts, in the order the module takes them (``("h",)``,
            ``("h", "c")``); each part has ``hidden_size`` entries.
        doc: One line saying what the cell is.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import CELLS, make_cell, register_cell
        >>> build = lambda i, h, seed: torch.nn.RNNCell(i, h, nonlinearity="relu")
        >>> register_cell("my_rnn", build, ("h",), "a ReLU cell")
        >>> make_cell("my_rnn", 3, 4, "hh=identity bias=zeros").module.nonlinearity
        'relu'
        >>> del CELLS["my_rnn"]
    """
    CELLS[name] = CellFactory(name, build, parts, doc)


def _torch(cls: type[nn.Module], **kwargs) -> Callable[[int, int, int], nn.Module]:
    def build(input_size: int, hidden_size: int, seed: int) -> nn.Module:
        # torch.nn draws its default from the global generator: fork it so the caller's is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls(input_size, hidden_size, **kwargs)

    return build


def _seeded(cls: type[nn.Module], **kwargs) -> Callable[[int, int, int], nn.Module]:
    def build(input_size: int, hidden_size: int, seed: int) -> nn.Module:
        return cls(input_size, hidden_size, seed=seed, **kwargs)

    return build


def _keras(cls, **kwargs) -> Callable[[int, int, int], object]:
    """A built float64 Keras cell with Keras' default initializers, each seeded so the cell repeats."""

    def build(input_size: int, hidden_size: int, seed: int):
        import keras

        inits = keras.initializers
        cell = cls(
            hidden_size,
            kernel_initializer=inits.GlorotUniform(seed=seed),
            recurrent_initializer=inits.Orthogonal(seed=seed + 1),
            dtype="float64",
            **kwargs,
        )
        cell.build((None, input_size))
        stored = str(cell.kernel.numpy().dtype)  # the array's, not the variable's declared dtype
        if stored != "float64":
            raise DynamicsError(
                f"Keras on its {keras.backend.backend()} backend built a {stored} cell where float64 was "
                "asked for (JAX computes in float32 unless JAX_ENABLE_X64=1 is set before it is imported); "
                "set JAX_ENABLE_X64=1, or diagnose the cell on another Keras backend"
            )
        return cell

    return build


def _factory(cell: NamedCell) -> Callable[[int, int, int], object]:
    """How the named cell is built for a diagnosis, its classes imported on first use."""

    def build(input_size: int, hidden_size: int, seed: int):
        cls = cell.module("step")
        if cell.framework == "keras":
            maker = _keras
        elif cls.__module__.startswith("rnninit."):  # rnninit's own cells draw their default from seed=
            maker = _seeded
        else:
            maker = _torch
        return maker(cls, **cell.arguments)(input_size, hidden_size, seed)

    return build


for _name in cell_names("step"):
    register_cell(_name, _factory(NAMED_CELLS[_name]), NAMED_CELLS[_name].state, NAMED_CELLS[_name].doc)


def cell_factory(name: str) -> CellFactory:
    found = CELLS.get(name)
    if found is None:
        raise DynamicsError(f"unknown cell '{name}'{did_you_mean(name, CELLS)}; valid cells: {one_of(CELLS)}")
    return found


def _positive(name: str, value: int) -> int:
    return check_integer(value, name, error=DynamicsError, minimum=1, expected="a positive integer")


def make_cell(
    name: str,
    input_size: int,
    hidden_size: int,
    spec: SpecLike | None = None,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
) -> Stepper:
    """Build cell ``name`` in ``dtype`` and initialize it from ``spec`` (``None``: the framework default).

    The default is drawn from ``seed`` (``torch.manual_seed`` in a forked generator for ``torch.nn``
    cells, so the global generator is untouched), then ``spec`` is applied with the same seed: the
    same arguments give the same cell every time. float64 keeps the sampled weights exact (an
    orthogonal matrix stays orthogonal to 1e-15).

    Args:
        name: A name from `CELLS` (``"lstm"``, ``"gru"``, ``"elman"``, ``"keras_lstm"``, ...).
        input_size: The number of input features (a positive integer).
        hidden_size: The number of hidden units (a positive integer).
        spec: The initialization: a `Spec`, a spec string, a preset name or a dict; ``None`` for
            the framework's default.
        seed: The seed of the default and of the spec (an integer in ``[0, 2**63 - 1]``).
        dtype: The dtype of the cell (Keras cells are measured through a float64 PyTorch twin).

    Returns:
        The cell, ready to step.

    Raises:
        DynamicsError: An unknown cell name, or a size that is not a positive integer.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]``.
        SpecError: The spec is malformed or does not fit the cell.

    Examples:
        >>> import torch
        >>> from rnninit.dynamics import make_cell
        >>> stepper = make_cell("lstm", 3, 4, "hh=orthogonal", seed=0)
        >>> stepper.parts, stepper.input_size, stepper.module.weight_hh.dtype
        ((('h', 4), ('c', 4)), 3, torch.float64)
    """
    factory = cell_factory(name)
    _positive("input_size", input_size)
    _positive("hidden_size", hidden_size)
    seed = check_seed(seed, none_allowed=False)
    built = factory.build(input_size, hidden_size, seed)
    if is_keras_cell(built):
        # Keras cells: the spec is applied in Keras (Keras' defaults fill the roles it leaves out),
        # then the cell is measured through its exact PyTorch twin.
        from rnninit.keras import apply as keras_apply

        if spec is not None:
            keras_apply(spec, built, seed=seed)
        return torch_twin(built)
    if not isinstance(built, nn.Module):
        raise DynamicsError(
            f"cell {name!r} was built as a {type(built).__name__}; a registered cell builds a "
            "torch.nn.Module or a Keras cell"
        )
    module = built.to(dtype)
    if spec is not None:
        apply(spec, module, seed=seed)
    return Stepper(module, tuple((part, hidden_size) for part in factory.parts), input_size)
