"""What every rnninit Keras cell shares: ``init=``/``seed=``, weights from a spec, the RNN cell protocol.

A cell is a ``keras.layers.Layer`` with ``call(inputs, states) -> (output, new_states)``,
``state_size``, ``output_size`` and ``get_initial_state(batch_size)``, the protocol
``keras.layers.RNN`` documents. Its weights are created in ``build`` and initialized from the
cell's spec through the same layout and plan as `rnninit.keras.apply`: with an int ``seed``
a cell gets exactly the weights ``rk.apply(spec, cell, seed=seed)`` would give it, and so the
weights ``rnninit.torch.apply`` gives the same cell in PyTorch.

Matrices are stored the Keras way, ``(in, gates·units)``, with gate blocks in the neutral order
(LSTM ``i f g o``, GRU ``r z n``); every tensor stores one role, so no storage is redundant.

Inside ``keras.layers.Bidirectional`` the backward copy of a cell (which Keras builds inside a
layer named ``backward_*``) takes direction 1, so an int seed does not give both directions the
same weights. Two separate cells given the same int seed do get the same weights (that is what a
seed means); give each its own seed, use ``seed=None``, or initialize the whole model with
``rk.apply(spec, model, seed=...)``, which names every block by its place in the model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import keras
import numpy as np

from rnninit.apply_result import ApplyResult
from rnninit.errors import SpecError, one_of
from rnninit.keras.apply import draw_seed
from rnninit.keras.cells.arguments import check_units
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout, ModelLayout, Slot, role_slots
from rnninit.plan import make_plan
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike


class RecurrentCell(keras.layers.Layer):
    """Base class of rnninit's Keras cells. Subclasses set the class attributes and ``step``.

    ``init`` is the spec (a `Spec`, string, preset name or dict); roles it does not
    name keep the cell's ``default_init``, unless it names a preset, which then stands alone. The
    weights are created and initialized in ``build``; `reinitialize` samples them afresh.

    Args:
        units: The number of hidden units (a positive integer).
        init: The spec the weights are initialized from; ``None`` means the cell's ``default_init``.
        seed: An int in ``[0, 2**63 - 1]`` for reproducible weights; ``None`` draws a fresh seed at
            each initialization from Python's generator (``keras.utils.set_random_seed`` governs it).
        **kwargs: Passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Attributes:
        kind: The cell's math (a class attribute).
        weight_roles: ``(variable name, role)`` of each weight, in creation order (a class
            attribute).
        default_init: The spec for roles that ``init`` does not name (a class attribute).
        num_states: How many state tensors of size ``units`` the cell carries (a class attribute).
        spec: The spec the weights are drawn from: ``init`` over ``default_init``.
        seed_used: The seed of the last initialization (``None`` before ``build``).

    Raises:
        CellArgumentError: ``units`` is not a positive integer (or, in a subclass, another argument
            is not valid; the message names it and what would be).
        SpecError: ``init`` is malformed, does not fit the cell's kind, or names a preset that
            leaves a weight without an init.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

    Examples:
        >>> import rnninit.keras as rk
        >>> cell = rk.ElmanCell(4, init="hh=orthogonal", seed=0)
        >>> str(cell.spec)
        'keras_default hh=orthogonal'
    """

    #: The cell's math.
    kind: ClassVar[CellKind]
    #: ``(variable name, role)`` of each weight, in creation order.
    weight_roles: ClassVar[tuple[tuple[str, str], ...]]
    #: The spec for roles that ``init`` does not name.
    default_init: ClassVar[str] = "keras_default"
    #: How many state tensors of size ``units`` the cell carries.
    num_states: ClassVar[int] = 1

    def __init__(self, units: int, init: SpecLike | None = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_units(type(self).__name__, units)
        self.init = None if init is None else Spec.coerce(init)
        self.seed = None if seed is None else check_seed(seed)
        self.spec = self._effective_spec()
        self._input_dim: int | None = None
        self.seed_used: int | None = None

    # -- the spec ----------------------------------------------------------------------------
    def _effective_spec(self) -> Spec:
        default = Spec.parse(self.default_init)
        spec = (
            self.init
            if (self.init is not None and self.init.preset is not None)
            else (default if self.init is None else default | self.init)
        )
        resolved = spec.resolve(self.kind)
        missing = []
        for _, role_name in self.weight_roles:
            role = self.kind.role(role_name)
            for gate in self.kind.gates if role.gated else (None,):
                if resolved.lookup(role_name, gate)[0] is None:
                    missing.append(f"{role_name}[{gate}]" if gate else role_name)
        if missing:
            raise SpecError(
                f"{type(self).__name__}: the spec {str(spec)!r} gives no init for {one_of(missing)}; "
                "name every role, or drop the preset so that the cell's defaults fill in"
            )
        return spec

    # -- the RNN cell protocol ---------------------------------------------------------------
    @property
    def state_size(self):
        return [self.units] * self.num_states if self.num_states > 1 else self.units

    @property
    def output_size(self) -> int:
        return self.units

    def get_initial_state(self, batch_size=None):
        return [
            keras.ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
            for _ in range(self.num_states)
        ]

    def call(self, inputs, states, training=None):
        nested = isinstance(states, (list, tuple))
        states = list(states) if nested else [states]
        output, new_states = self.step(inputs, states)
        return output, (new_states if nested else new_states[0])

    def step(self, inputs, states: list) -> tuple:
        """One time step: ``(x_t, [state, ...]) -> (output, [new state, ...])``."""
        raise NotImplementedError

    # -- weights -----------------------------------------------------------------------------
    def weight_shapes(self, input_dim: int) -> dict[str, tuple[int, ...]]:
        """Each variable's Keras shape: matrices ``(in, gates·units)``, vectors ``(gates·units,)``."""
        sizes = {"input": input_dim, "hidden": self.units, "state": self.units}
        shapes: dict[str, tuple[int, ...]] = {}
        for name, role_name in self.weight_roles:
            role = self.kind.role(role_name)
            rows = self.units * (len(self.kind.gates) if role.gated else 1)
            shapes[name] = (rows,) if role.cols is None else (sizes[role.cols], rows)
        return shapes

    def build(self, input_shape):
        self._input_dim = int(input_shape[-1])
        for name, shape in self.weight_shapes(self._input_dim).items():
            setattr(self, name, self.add_weight(name=name, shape=shape, initializer="zeros"))
        self.reinitialize()

    def rnninit_layout(self) -> tuple[CellLayout, dict[str, tuple[int, ...]]]:
        """This cell's layout with local variable names (path '', layer 0, direction 0)."""
        if self._input_dim is None:
            raise SpecError(f"{type(self).__name__} {self.name!r} is not built yet")
        sizes = {
            "input": self._input_dim,
            "hidden": self.units,
            "state": self.units,
            "layers": 1,
            "directions": 1,
        }
        slots: list[Slot] = []
        for name, role_name in self.weight_roles:
            role = self.kind.role(role_name)
            slots += role_slots(self.kind, role, sizes, [name], transpose=role.cols is not None)
        cell = CellLayout(
            "",
            self.kind,
            sizes,
            tuple(slots),
            framework="keras",
            source=f"rnninit.keras.{type(self).__name__}",
        )
        return cell, self.weight_shapes(self._input_dim)

    def reinitialize(self, seed: int | None = None) -> ApplyResult:
        """Sample every weight afresh from the spec; returns what was done (as `rnninit.keras.apply`).

        Args:
            seed: The seed (an int in ``[0, 2**63 - 1]``); ``None`` uses the cell's own, and if that
                is ``None`` too, a fresh draw from Python's generator (which
                ``keras.utils.set_random_seed`` governs).

        Returns:
            The seed used and, per block, what it got.

        Raises:
            SpecError: The cell is not built yet.
            SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]`` or ``None``.

        Examples:
            >>> import rnninit.keras as rk
            >>> cell = rk.ElmanCell(4, seed=0); cell.build((None, 3))
            >>> cell.reinitialize(seed=1)
            ApplyResult(seed=1, initialized=3 blocks, untouched=0 blocks)
        """
        cell, tensors = self.rnninit_layout()
        cell = replace(cell, direction=1 if self._is_backward_copy() else 0)
        chosen = seed if seed is not None else self.seed
        chosen = draw_seed() if chosen is None else check_seed(chosen)
        plan = make_plan(self.spec, ModelLayout((cell,), tensors), chosen)
        values = plan.new_arrays({name: np.zeros(shape) for name, shape in tensors.items()})
        for name, value in values.items():
            variable = getattr(self, name)
            variable.assign(value.astype(variable.dtype))
        self.seed_used = chosen
        return ApplyResult(chosen, plan)

    def _is_backward_copy(self) -> bool:
        """Built inside the backward layer that ``keras.layers.Bidirectional`` makes (``backward_*``)."""
        name, _ = self.weight_roles[0]
        parts = getattr(self, name).path.split("/")[:-2]
        return any(part.startswith("backward_") for part in parts)

    # -- serialization -----------------------------------------------------------------------
    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "init": None if self.init is None else self.init.to_dict(),
                "seed": self.seed,
            }
        )
        return config
