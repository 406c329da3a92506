"""The one walk over a cell's blocks that ``apply`` (the plan), the audit and ``describe`` share.

For a cell resolved against a spec, `walk_cell` yields one `Visit` per unit of
initialization: a single gate block, or, for a fused init (``orthogonal(fused=true)``), all gate
blocks of a role at once. Each visit says which init the spec gives it (``None``: the spec leaves
it alone) and why. The rules live here and nowhere else:

* a per-gate entry (``bias[f]=...``) beats the role-wide entry (``bias=...``);
* a fused role-wide entry covers the stacked gates unless a per-gate entry names one of them;
* the *effective-bias rule*: a spec that sets ``bias`` sets the cell's whole effective bias, so a
  bias vector that adds to a gate apart from it (GRU's ``b_hn``, `RoleDef.bias_part`) gets
  zeros unless the spec names that role. With additive storage (``bias_ih + bias_hh``) the value goes
  to the first tensor and zeros to the others (`write`). So one spec
  gives one function in every framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from rnninit.errors import SpecError
from rnninit.inits import Block, Init, Zeros
from rnninit.layout.storage import CellLayout, Slot
from rnninit.seeding import block_rng
from rnninit.spec import Resolved, format_key

#: Why a visit's init was chosen, when no spec entry named the block itself.
EFFECTIVE_BIAS_RULE = "effective-bias rule"


@dataclass(frozen=True)
class Visit:
    """One unit of initialization of one cell: a gate block, or all gates of a role when ``fused``."""

    cell: CellLayout
    role: str
    slots: tuple[Slot, ...]
    init: Init | None
    fused: bool = False
    #: True when a per-gate entry (``bias[f]=...``) chose the init.
    from_gate_entry: bool = False
    #: Set when a rule, not a spec entry, chose the init (`EFFECTIVE_BIAS_RULE`).
    rule: str | None = None

    @property
    def gate(self) -> str | None:
        return None if self.fused else self.slots[0].gate

    @property
    def slot(self) -> Slot:
        return self.slots[0]

    @property
    def shape(self) -> tuple[int, ...]:
        shape = self.slots[0].shape
        if self.fused:
            return (shape[0] * len(self.slots), *shape[1:])
        return shape

    @property
    def tensors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.tensor for s in self.slots for p in s.placements))

    def block(self, seed: int | None = None) -> Block:
        """What the init samples for; with ``seed``, ``rng_for`` gives other gates' streams (chrono)."""
        rng_for = None if seed is None else stream_factory(self.cell, self.role, seed)
        return self.cell.block(
            self.slots[0], fused=self.fused, from_gate_entry=self.from_gate_entry, rng_for=rng_for
        )

    def rng(self, seed: int) -> np.random.Generator:
        """The block's own random stream: a function of the seed and the block's identity only."""
        return stream_factory(self.cell, self.role, seed)(self.gate)

    def split(self, value: np.ndarray) -> list[tuple[Slot, np.ndarray]]:
        """A sampled value per slot (a fused value is cut into its gate blocks)."""
        if not self.fused:
            return [(self.slots[0], value)]
        return list(zip(self.slots, np.split(value, len(self.slots), axis=0), strict=True))

    def join(self, values: dict[tuple[str, str | None], np.ndarray]) -> np.ndarray:
        """The visit's current value from per-slot values (fused: stacked along the output axis)."""
        if not self.fused:
            return values[(self.role, self.slots[0].gate)]
        return np.concatenate([values[(self.role, s.gate)] for s in self.slots], axis=0)


def stream_factory(cell: CellLayout, role: str, seed: int) -> Callable[[str | None], np.random.Generator]:
    """``gate -> stream`` for the blocks of one role of one cell."""
    return lambda gate: block_rng(seed, cell.path, cell.layer, cell.direction, role, gate)


def check_unstored(cell: CellLayout, resolved: Resolved) -> None:
    """Refuse a spec that gives a role this cell does not store (`CellLayout.unstored`: its code
    fixes it at zero, as ``flax.nnx.GRUCell`` does ``b_hn``) anything but zeros: no weight could hold
    the value, and the same spec would give another framework's cell a different function."""
    for role_name in cell.unstored:
        role = cell.kind.role(role_name)
        for gate in cell.kind.role_gates(role):
            init, _ = resolved.lookup(role_name, gate)
            if init is None:
                continue
            try:
                slot = Slot(role_name, gate, role.shape(cell.sizes), ())
                zero = not np.any(init.sample(cell.block(slot), np.random.default_rng(0)))
            except SpecError:
                zero = False
            if not zero:
                key = format_key((role_name, gate))
                raise SpecError(
                    f"{cell.name}: {cell.source or 'this cell'} has no {key} (its code fixes it at 0), so "
                    f"the spec's {key}={init} cannot be applied; write {key}=zeros or leave {key} out",
                    token=key,
                )


def walk_cell(cell: CellLayout, resolved: Resolved) -> Iterator[Visit]:
    """Every block of ``cell`` with the init ``resolved`` gives it, in slot order; a
    `SpecError` first if the spec gives a role the cell does not store
    anything but zeros (`check_unstored`)."""
    check_unstored(cell, resolved)
    sets_bias = any(role == "bias" for role, _ in resolved.entries)
    for role, slots in cell.role_groups():
        whole, _ = resolved.lookup(role, None)
        if whole is not None and whole.fused and not any((role, s.gate) in resolved.entries for s in slots):
            yield Visit(cell, role, slots, whole, fused=True)
            continue
        for slot in slots:
            init, from_gate = resolved.lookup(role, slot.gate)
            if init is None and sets_bias and cell.kind.role(role).bias_part:
                yield Visit(cell, role, (slot,), Zeros(), rule=EFFECTIVE_BIAS_RULE)
                continue
            yield Visit(cell, role, (slot,), init, from_gate_entry=from_gate)


__all__ = ["EFFECTIVE_BIAS_RULE", "Visit", "check_unstored", "stream_factory", "walk_cell"]
