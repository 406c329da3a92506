"""From a spec, a model layout and a seed to the values every block will receive.

:func:`make_plan` validates the whole spec against every cell and samples every block in
NumPy *before* anything is written, so a backend that writes only a finished plan changes
either every weight or none. :meth:`Plan.new_arrays` turns the plan into new tensor contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from rnninit.errors import SpecError
from rnninit.inits import Init
from rnninit.layout.storage import CellLayout, ModelLayout, Slot
from rnninit.seeding import block_rng, check_seed
from rnninit.spec import Resolved, Spec, SpecLike, format_key


@dataclass(frozen=True)
class Assignment:
    """One block's new effective value."""

    cell: CellLayout
    slot: Slot
    init: Init
    value: np.ndarray
    fused: bool = False

    def record(self) -> dict:
        return {
            "path": self.cell.path,
            "layer": self.cell.layer,
            "direction": self.cell.direction,
            "role": self.slot.role,
            "gate": self.slot.gate,
            "tensors": [p.tensor for p in self.slot.placements],
            "shape": list(self.slot.shape),
            "init": str(self.init),
            "fused": self.fused,
        }


@dataclass
class Plan:
    """What :func:`make_plan` decided: assignments, plus blocks the spec leaves alone."""

    layout: ModelLayout
    spec: Spec
    seed: int
    assignments: list[Assignment] = field(default_factory=list)
    untouched: list[tuple[CellLayout, Slot]] = field(default_factory=list)

    def touched_tensors(self) -> set[str]:
        """Names of the tensors the plan writes to."""
        return {p.tensor for a in self.assignments for p in a.slot.placements}

    def partly_touched_tensors(self) -> set[str]:
        """Tensors the plan writes only in part: their other blocks keep their current values, so
        :meth:`new_arrays` needs their current contents (and only theirs)."""
        kept = {p.tensor for _, slot in self.untouched for p in slot.placements}
        return self.touched_tensors() & kept

    def new_arrays(self, current: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """New float64 contents for every tensor the plan touches (others are not returned).

        ``current`` must hold at least :meth:`partly_touched_tensors`; a tensor the plan overwrites
        whole is built from scratch.
        """
        partly = self.partly_touched_tensors()
        shapes = self.layout.tensors
        arrays = {
            name: np.array(current[name], dtype=np.float64, copy=True)
            if name in partly
            else np.empty(shapes[name] if name in shapes else np.shape(current[name]))
            for name in self.touched_tensors()
        }
        for assignment in self.assignments:
            assignment.slot.write(arrays, assignment.value)
        return arrays

    def records(self) -> list[dict]:
        """One dict per block: where it is stored and which init it received."""
        out = [a.record() for a in self.assignments]
        for cell, slot in self.untouched:
            out.append(
                {
                    "path": cell.path,
                    "layer": cell.layer,
                    "direction": cell.direction,
                    "role": slot.role,
                    "gate": slot.gate,
                    "tensors": [p.tensor for p in slot.placements],
                    "shape": list(slot.shape),
                    "init": None,
                    "fused": False,
                }
            )
        return out


def make_plan(spec: SpecLike, layout: ModelLayout, seed: int) -> Plan:
    """Validate ``spec`` against every cell of ``layout`` and sample every block it names."""
    spec = Spec.coerce(spec)
    seed = check_seed(seed)
    plan = Plan(layout, spec, seed)
    for cell, resolved in zip(layout.cells, spec.resolve_for([c.kind for c in layout.cells]), strict=True):
        _plan_cell(plan, cell, resolved)
    return plan


def check_unstored(cell: CellLayout, resolved: Resolved) -> None:
    """Refuse a spec that gives a role this cell does not store (:attr:`CellLayout.unstored`, fixed
    at zero by the cell's code) anything but zeros: no weight could hold it, and the same spec would
    give another framework's cell a different function."""
    for role_name in cell.unstored:
        role = cell.kind.role(role_name)
        for gate in cell.kind.gates if role.gated else (None,):
            init, _ = resolved.lookup(role_name, gate)
            if init is None:
                continue
            slot = Slot(role_name, gate, role.shape(cell.sizes), ())
            try:
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


def _plan_cell(plan: Plan, cell: CellLayout, resolved: Resolved) -> None:
    check_unstored(cell, resolved)

    def rng_for(role: str):
        return lambda gate: block_rng(plan.seed, cell.path, cell.layer, cell.direction, role, gate)

    for role in cell.roles_present():
        slots = [s for s in cell.slots if s.role == role]
        whole, _ = resolved.lookup(role, None)
        if whole is not None and whole.fused and not any((role, s.gate) in resolved.entries for s in slots):
            block = cell.block(slots[0], fused=True, rng_for=rng_for(role))
            value = _sample(whole, block, rng_for(role)(None), cell)
            for part, slot in zip(np.split(value, len(slots), axis=0), slots, strict=True):
                plan.assignments.append(Assignment(cell, slot, whole, part, fused=True))
            continue
        for slot in slots:
            init, from_gate = resolved.lookup(role, slot.gate)
            if init is None:
                plan.untouched.append((cell, slot))
                continue
            block = cell.block(slot, from_gate_entry=from_gate, rng_for=rng_for(role))
            value = _sample(init, block, rng_for(role)(slot.gate), cell)
            plan.assignments.append(Assignment(cell, slot, init, value))


def _sample(init: Init, block, rng: np.random.Generator, cell: CellLayout) -> np.ndarray:
    try:
        return init.sample(block, rng)
    except SpecError as exc:
        key = format_key((block.role, block.gate))
        raise SpecError(f"{cell.name}, {key}: {exc}") from None
