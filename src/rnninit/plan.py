"""From a spec, a model layout and a seed to the values every block will receive.

`make_plan` validates the whole spec against every cell and samples every block in
NumPy *before* anything is written, so a backend that writes only a finished plan changes
either every weight or none. `Plan.new_arrays` turns the plan into new tensor contents.

A block's value is a function of the seed and the block's identity only (`rnninit.seeding`), so it
can be drawn at any time: ``make_plan(..., sample=False)`` validates everything and draws nothing,
each `Assignment.value` is then drawn on first use, and `Plan.stream` draws block after block
into reused memory for a writer that writes each away at once (`rnninit.writer.write_blocks`).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from rnninit.errors import SpecError
from rnninit.inits import Init, scratch
from rnninit.layout.storage import CellLayout, ModelLayout, Slot
from rnninit.parallel import map_blocks
from rnninit.seeding import check_seed
from rnninit.spec import Spec, SpecLike, format_key
from rnninit.walk import Visit, walk_cell
from rnninit.writer import LARGEST, fits_dtype

T = TypeVar("T")


class Draw:
    """One visit's value (a gate block, or a fused role's stacked blocks): drawn from the block's own
    stream when first needed, then kept, so it is the same array every time it is read."""

    def __init__(self, visit: Visit, init: Init, seed: int):
        self.visit, self.init, self.seed = visit, init, seed
        self._value: np.ndarray | None = None

    @property
    def size(self) -> int:
        return math.prod(self.visit.shape)

    def validate(self) -> None:
        """Raise the `SpecError` sampling would raise for an init that cannot initialize the block."""
        _named(self.visit, lambda: self.init.validate(self.visit.block(self.seed)))

    def new(self) -> np.ndarray:
        """A fresh draw (the same numbers each time), not kept."""
        return _named(
            self.visit, lambda: self.init.sample(self.visit.block(self.seed), self.visit.rng(self.seed))
        )

    def value(self) -> np.ndarray:
        if self._value is None:  # through map_blocks: one BLAS thread, so the rounding apply wrote
            self._value = map_blocks(Draw.new, [self], [self.size])[0]
        return self._value

    def keep(self, value: np.ndarray) -> None:
        self._value = value

    def release(self) -> None:
        self._value = None

    @property
    def drawn(self) -> bool:
        return self._value is not None


@dataclass(frozen=True)
class Assignment:
    """One block's new effective value.

    Attributes:
        cell: The block's cell.
        slot: The block: role, gate and where it is stored.
        init: The init chosen for it.
        draw: Where the value comes from (shared by the gate blocks of a fused draw).
        part: Which of the draw's blocks this one is (0 unless fused).
        fused: The init was drawn over all gates of the role at once.
        rule: Set when a rule, not a spec entry, chose the init (see `rnninit.walk`).
    """

    cell: CellLayout
    slot: Slot
    init: Init
    draw: Draw = field(repr=False, compare=False)
    part: int = 0
    fused: bool = False
    rule: str | None = None

    @property
    def value(self) -> np.ndarray:
        """The block's new effective value, float64, in neutral orientation (drawn on first use)."""
        return self.draw.visit.split(self.draw.value())[self.part][1]

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
            "rule": self.rule,
        }


@dataclass
class Plan:
    """What `make_plan` decided: assignments, plus blocks the spec leaves alone.

    Attributes:
        layout: The model's layout the plan was made for.
        spec: The spec it follows.
        seed: The seed every block's random stream derives from.
        assignments: Each initialized block: its cell, slot, init and new (effective) value.
        untouched: ``(cell, slot)`` of each block the spec does not mention (left as it is).

    Examples:
        >>> import rnninit as ri
        >>> from rnninit.layout.declared import declared_layout
        >>> cells, tensors = declared_layout({"W": (4, 3), "U": (4, 4)}, {"W": "ih", "U": "hh"})
        >>> plan = ri.make_plan("hh=identity", ri.layout.ModelLayout(tuple(cells), tensors), seed=0)
        >>> len(plan.assignments), len(plan.untouched), plan.touched_tensors()
        (1, 1, {'U'})
        >>> plan.new_arrays({})["U"].tolist()[0]
        [1.0, 0.0, 0.0, 0.0]
    """

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
        `new_arrays` needs their current contents (and only theirs)."""
        kept = {p.tensor for _, slot in self.untouched for p in slot.placements}
        return self.touched_tensors() & kept

    def new_arrays(
        self, current: Mapping[str, np.ndarray], dtypes: Mapping[str, str] | None = None
    ) -> dict[str, np.ndarray]:
        """New contents for every tensor the plan touches (others are not returned).

        ``current`` must hold at least `partly_touched_tensors`; a tensor the plan overwrites
        whole is built from scratch. Arrays are float64, or, for a tensor ``dtypes`` names as
        ``float32``/``float16``, that dtype: each value is then rounded once, when written, exactly as
        converting the float64 array would (half the memory to fill and no second pass).
        """
        partly = self.partly_touched_tensors()
        shapes = self.layout.tensors
        wanted_dtypes = dtypes or {}
        narrow = {name for name, wanted in wanted_dtypes.items() if wanted in ("float32", "float16")}
        # a value the dtype cannot hold stays float64 for the writer to name
        for assignment in self.assignments:
            for placement in assignment.slot.placements:
                if placement.tensor in narrow and not fits_dtype(
                    assignment.value, LARGEST[wanted_dtypes[placement.tensor]]
                ):
                    narrow.discard(placement.tensor)

        def dtype(name: str) -> np.dtype:
            return np.dtype(wanted_dtypes[name]) if name in narrow else np.dtype(np.float64)

        arrays = {
            name: np.array(current[name], dtype=dtype(name), copy=True)
            if name in partly
            else np.empty(shapes[name] if name in shapes else np.shape(current[name]), dtype=dtype(name))
            for name in self.touched_tensors()
        }

        def write(assignment: Assignment) -> None:
            with np.errstate(over="ignore"):  # too large for the dtype: inf there, which the writer names
                assignment.slot.write(arrays, assignment.value)

        map_blocks(write, self.assignments, (a.value.size for a in self.assignments))
        return arrays

    def draws(self) -> list[Draw]:
        """Each draw once, in order (a fused draw feeds several assignments)."""
        return list({id(a.draw): a.draw for a in self.assignments}.values())

    def sample(self) -> None:
        """Draw every value not drawn yet, now, on several cores (`rnninit.parallel`), and keep them."""
        pending = [d for d in self.draws() if not d.drawn]
        for d, value in zip(pending, map_blocks(Draw.new, pending, (d.size for d in pending)), strict=True):
            d.keep(value)

    def release(self) -> None:
        """Let go of every drawn value, once written: a value read again is drawn again, the same
        numbers, so what an ``apply`` returns does not hold a float64 copy of the model."""
        for d in self.draws():
            d.release()

    def stream(self, consume: Callable[[Assignment, np.ndarray], None]) -> None:
        """Hand every block's value to ``consume``, drawing block after block on several cores.

        A value not drawn yet is drawn into memory that this thread's next draw reuses
        (`rnninit.inits.scratch`), and kept nowhere: ``consume`` must be done with the array when
        it returns. A big model is then written without a second copy of it in fresh memory.

        Raises:
            SpecError: A block's init cannot draw it (with the block named); ``consume``'s errors
                pass through. The blocks consumed so far stay consumed: a writer restores them.
        """
        lenders: dict[int, scratch.Lender] = {}
        by_draw: dict[int, list[Assignment]] = {}
        for a in self.assignments:
            by_draw.setdefault(id(a.draw), []).append(a)

        def run(draw: Draw) -> None:
            lender = lenders.setdefault(threading.get_ident(), scratch.Lender())
            with scratch.lending(lender):
                value = draw.value() if draw.drawn else draw.new()
            parts = draw.visit.split(value)
            for a in by_draw[id(draw)]:
                consume(a, parts[a.part][1])
            if not draw.drawn:
                lender.reclaim(value)

        draws = self.draws()
        map_blocks(run, draws, (d.size for d in draws))

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
                    "rule": None,
                }
            )
        return out

    @property
    def skipped(self) -> tuple[str, ...]:
        """Parameters of recognized cells that no layout explains (``strict=False``): left as they are."""
        return tuple(self.layout.skipped)


def make_plan(spec: SpecLike, layout: ModelLayout, seed: int, *, sample: bool = True) -> Plan:
    """Validate ``spec`` against every cell of ``layout`` and sample every block it names.

    Blocks are sampled on several cores when they are big (`rnninit.parallel`); each has its
    own random stream, so the numbers are the same however many threads there are. Nothing is
    written anywhere: a backend writes the finished plan (`Plan.new_arrays`).

    Args:
        spec: A `Spec`, a spec string, a preset name or a dict.
        layout: The model's cells and tensors (a framework's ``model_layout`` gives it).
        seed: An int in ``[0, 2**63 - 1]``.
        sample: Draw every value now. If false, every init is still checked against its blocks,
            but values are drawn when first read, or streamed to a writer (`Plan.stream`); only
            an init whose arguments overflow a float then fails later, when its block is drawn.

    Returns:
        Every block's init and value, and the blocks the spec leaves alone.

    Raises:
        SpecError: The spec is malformed, names a role or gate a cell lacks, or an init that
            cannot initialize a block it names.
        SeedError: ``seed`` is not an integer in ``[0, 2**63 - 1]``.

    Examples:
        >>> import rnninit as ri
        >>> from rnninit.layout import ModelLayout
        >>> from rnninit.layout.declared import declared_layout
        >>> cells, tensors = declared_layout({"W": (4, 3), "U": (4, 4)}, {"W": "ih", "U": "hh"})
        >>> layout = ModelLayout(tuple(cells), tensors)
        >>> plan = ri.make_plan("ih=normal(std=0.1) hh=orthogonal", layout, seed=0)
        >>> [(a.slot.role, str(a.init)) for a in plan.assignments]
        [('ih', 'normal(std=0.1)'), ('hh', 'orthogonal')]
    """
    spec = Spec.coerce(spec)
    seed = check_seed(seed, none_allowed=False)  # make_plan draws nothing: the backends draw for None
    plan = Plan(layout, spec, seed)
    visits: list[tuple[Visit, Init]] = []  # the visits an init was chosen for, with that init
    for cell, resolved in zip(layout.cells, spec.resolve_for([c.kind for c in layout.cells]), strict=True):
        for visit in walk_cell(cell, resolved):
            if visit.init is None:
                plan.untouched += [(cell, slot) for slot in visit.slots]
            else:
                visits.append((visit, visit.init))
    for visit, init in visits:
        draw = Draw(visit, init, seed)
        draw.validate()
        for part, slot in enumerate(visit.slots):
            plan.assignments.append(Assignment(visit.cell, slot, init, draw, part, visit.fused, visit.rule))
    if sample:
        plan.sample()
    return plan


def _named(visit: Visit, action: Callable[[], T]) -> T:
    """``action()``, with a `SpecError` prefixed by the cell and the block."""
    try:
        return action()
    except SpecError as exc:
        key = format_key((visit.role, visit.gate))
        raise SpecError(f"{visit.cell.name}, {key}: {exc}") from None
