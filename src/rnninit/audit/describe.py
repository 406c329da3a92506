"""``rnninit.describe(model)``: the most specific init explaining every block, as a spec that parses.

Each cell's blocks (effective values, neutral orientation, read through the walk the audit uses) are
explained in this order, the most specific claim first; a block explained at one stage is not looked
at again:

1. **Exact structure**, per gate block: a constant (``zeros``, ``ones``, ``constant(c)``),
   ``identity(gain)``, ``orthogonal(gain)``, ``spectral(radius)`` (a square block whose spectral radius
   is a short decimal, see `rnninit.audit.fit`), and chrono gate biases. Then ``orthogonal`` over
   the stacked gates of a role (``fused=true``, as Keras' default): per-gate orthogonal blocks of a
   tall role are always orthogonal stacked too (with gain ``√gates``), so the per-gate reading is kept
   there; a stacked matrix whose *rows* are orthonormal across gates is the fused claim, which is the
   more specific one then.
2. **A preset's own schemes** for all the cell's remaining blocks of the kind's own roles at once
   (``pytorch_default``, ``keras_default``, ``irnn``, ``indrnn(t_max)``; roles a declaration adds, such
   as peepholes, go on to the next stages): one point hypothesis tested on every remaining
   entry of the cell together, which is how a small untouched ``nn.RNN`` is recognized as PyTorch's
   default even where single blocks could not tell.
3. **Named schemes without free arguments** per role, over the role's gate blocks together:
   ``torch_default``, Glorot, LeCun and He (uniform and normal), per gate and ``fused=true``.
4. **A free-argument family** (``normal``, ``uniform``, ``truncated_normal``) with arguments estimated
   as the shortest decimals the data allow (`rnninit.audit.fit`); per role, else per gate.

A candidate *fits* when the audit's own tests of it (range, Kolmogorov–Smirnov, mean, std;
`distribution_tests`, Bonferroni-combined) give ``p ≥`` `ACCEPT_P`.
Stage 2 names a preset when exactly one preset's schemes fit. Stages 3 and 4 compete together, named
schemes first: the first that fits is named unless a *rival* fits too (another named scheme with a
different distribution, e.g. per-gate against fused Glorot on a small block; an estimated family of
another shape, e.g. a normal where a uniform fits; or one of the same shape whose confidence region
does not hold the first). Then the block is too small to tell them apart and describe **leaves it
open** instead of guessing: no entry in the spec, `Description.open` lists it with the candidates
that fit, and a note says how many entries the tests would need to tell the shapes apart
(`rnninit.audit.power`). Candidates with the same distribution (Glorot and LeCun on a square
block; a per-gate and a fused scheme that coincide) are no choice: the first is named, per gate before
fused. When nothing fits, the block is open too, with the best candidates.

Gates that agree become one role-wide entry; a cell whose entries match a preset for more roles than
it leaves to overrides is written as that preset plus overrides; cells that agree give one spec for
the model. Applying the description to a fresh model of the same architecture gives a model that
passes the audit against the spec the described model was made with
(``tests/audit/test_describe_roundtrip.py``).
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from rnninit.audit.backends import backend_for
from rnninit.audit.checks import (
    EXACT_RTOL,
    MAX_SAMPLE,
    ORTHOGONALITY_TOL,
    block_radius,
    distribution_tests,
    orthogonality,
)
from rnninit.audit.fit import (
    ACCEPT_P,
    fit_chrono,
    fit_families,
    fit_indrnn_t_max,
    fit_normal,
    fit_spectral,
    fit_uniform,
)
from rnninit.audit.layouts import audited_layout, cell_values
from rnninit.audit.power import entries_to_tell_apart
from rnninit.errors import SpecError
from rnninit.inits import (
    Block,
    Chrono,
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Init,
    KaimingUniform,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    TorchDefault,
    Zeros,
)
from rnninit.inits.distributions import Dist
from rnninit.layout.kinds import CellKind
from rnninit.layout.storage import CellLayout, Slot
from rnninit.spec import PRESETS, Resolved, Spec
from rnninit.spec.spec import PresetCall

#: Named schemes without free arguments, in the order ties between equal distributions are named:
#: PyTorch's RNN default, Glorot, LeCun and He (normal: untruncated as in PyTorch, truncated as Keras'
#: initializers of those names), and ``torch.nn.Linear``'s weight default (``kaiming_uniform(a=√5)``).
#: Keras' ``variance_scaling()`` and PyTorch's ``kaiming_*()`` with their defaults coincide with these.
NAMED: tuple[Init, ...] = (
    TorchDefault(),
    GlorotUniform(),
    GlorotNormal(),
    GlorotNormal(truncated=True),
    LecunUniform(),
    LecunNormal(),
    LecunNormal(truncated=True),
    HeUniform(),
    HeNormal(),
    HeNormal(truncated=True),
    KaimingUniform(a=math.sqrt(5.0)),
)
#: Square blocks up to this size are checked for a spectral radius that is a short decimal.
MAX_SPECTRAL = 1024

Key = tuple[str, "str | None"]


@dataclass
class DescribedBlock:
    """What describe found for one block (a gate block, or a whole role when ``gate`` is None)."""

    cell: str
    role: str
    gate: str | None
    tensors: tuple[str, ...]
    #: The init describe names (``None``: left open, see ``candidates``).
    init: str | None
    evidence: str
    #: When the block is left open: the inits that fit it (or, when none does, the best ones), each a
    #: string that parses as an init; their p-values are in ``evidence``.
    candidates: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.init is None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, tensors=list(self.tensors), candidates=list(self.candidates))


@dataclass(repr=False)
class Description:
    """What `describe` inferred: ``spec`` for the model, and per cell and per block details.

    ``open`` lists the blocks describe could not decide (too few entries to tell the candidates apart,
    or none fits); ``spec`` has no entry for them.

    Attributes:
        spec: A spec that explains every block of the model (``str(description)`` is its text).
        cells: Each cell's own spec, by cell path.
        blocks: What each block looked like and which init explains it.
        notes: What describe could not decide, and why.

    Examples:
        >>> import torch, rnninit as ri
        >>> description = ri.describe(torch.nn.GRU(8, 16))
        >>> str(description), list(description.cells), description.open
        ('pytorch_default', ['<model>'], [])
    """

    spec: Spec
    cells: dict[str, Spec]
    blocks: list[DescribedBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def open(self) -> list[DescribedBlock]:
        return [b for b in self.blocks if b.open]

    def __str__(self) -> str:
        return str(self.spec)

    def __repr__(self) -> str:
        return (
            f"Description({str(self.spec)!r}, cells={len(self.cells)}, blocks={len(self.blocks)}, "
            f"open={len(self.open)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": str(self.spec),
            "cells": {name: str(spec) for name, spec in self.cells.items()},
            "notes": list(self.notes),
            "open": [b.to_dict() for b in self.open],
            "blocks": [b.to_dict() for b in self.blocks],
        }


@dataclass
class _Verdict:
    """One block's explanation: an init (``fused``: over the stacked gates), or open with candidates."""

    init: Init | None
    evidence: str
    fused: bool = False
    candidates: tuple[str, ...] = ()


@dataclass
class _Candidate:
    init: Init
    fused: bool
    p: float
    #: One entry distribution per gate block.
    dists: tuple[Dist | None, ...]
    #: For a fitted family: whether its confidence region holds a given distribution (see ``_decide``).
    admits: Callable[[Dist], bool] | None = None
    #: A named scheme (stage 3), not an estimate.
    named: bool = False

    @property
    def label(self) -> str:
        return str(self.init)

    @property
    def identity(self) -> tuple:
        """What the candidate claims, whatever its name: the entry distribution of every gate block."""
        return tuple(_dist_key(d) for d in self.dists)

    @property
    def families(self) -> tuple:
        return tuple(_family(d) for d in self.dists)


def _sig(x: float, digits: int = 3) -> float:
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _dist_key(dist: Dist | None) -> tuple | None:
    if dist is None:
        return None

    def r(x: float) -> float | None:
        return float(f"{x:.9g}") if math.isfinite(x) else None

    return (dist.normal, r(dist.mean), r(dist.std), r(dist.low), r(dist.high), r(dist.excess_kurtosis))


def _family(dist: Dist | None) -> tuple | None:
    """A distribution's shape, whatever its location and scale: normal, uniform, triangular, ..."""
    return None if dist is None else (dist.normal, round(dist.excess_kurtosis, 3))


# -- p-values: the audit's own tests --------------------------------------------------------------------


def _tests_p(flat: np.ndarray, dist: Dist) -> float:
    """The audit's tests of ``flat`` against ``dist``, Bonferroni-combined; 0 when an exact test fails.

    Most candidates are far off: the support and a Kolmogorov–Smirnov screen rule them out before the
    exact KS p-value (the expensive part) is computed. The screen uses the asymptotic p-value of
    ``√n·D``, above the exact one by Stephens 1970's approximation (the exact law is close to that of
    ``(√n + 0.12 + 0.11/√n)·D``), and rejects only below a thousandth of the acceptance level, far
    beyond any gap between the two."""
    lo, hi = float(flat.min()), float(flat.max())
    tol = EXACT_RTOL * max(
        abs(dist.low) if math.isfinite(dist.low) else 0.0, abs(dist.high) if math.isfinite(dist.high) else 0.0
    )
    if lo < dist.low - tol or hi > dist.high + tol:
        return 0.0
    x = np.sort(flat if flat.size <= MAX_SAMPLE else flat[:: flat.size // MAX_SAMPLE + 1])
    cdf = dist.cdf(x)
    n = x.size
    d = max(float(np.max(np.arange(1, n + 1) / n - cdf)), float(np.max(cdf - np.arange(n) / n)))
    if stats.kstwobign.sf(d * math.sqrt(n)) < ACCEPT_P * 1e-3:
        return 0.0
    tests = distribution_tests(flat, dist, np.random.default_rng(0), MAX_SAMPLE)
    if any(t.passed is False for t in tests):
        return 0.0
    ps = [t.p_value for t in tests if t.p_value is not None]
    return min(1.0, min(ps) * len(ps)) if ps else 0.0


def _fit_p(values: Sequence[np.ndarray], dists: Sequence[Dist | None]) -> float:
    """How well one distribution per block explains the blocks together.

    Blocks claimed to share a distribution are also tested pooled (more entries: more power against
    another shape); each block is tested alone too (a gate that differs from the others). All these
    p-values are Bonferroni-combined. A normal or uniform must moreover lie in the confidence region
    of its family fitted to the pooled entries (`Fitted`): for a uniform this
    is a test of the support's ends from the sample's extremes, far stronger than Kolmogorov–Smirnov
    (32 entries all within ±0.5 rule out U(±0.7), which KS accepts)."""
    if any(d is None for d in dists):
        return 0.0
    groups: dict[tuple | None, list[int]] = {}
    for i, d in enumerate(dists):
        groups.setdefault(_dist_key(d), []).append(i)
    ps: list[float] = []
    for members in groups.values():
        dist = dists[members[0]]
        assert dist is not None
        pooled = np.concatenate([values[i].reshape(-1) for i in members])
        if not _in_region(pooled, dist):
            return 0.0
        if len(members) > 1:
            ps.append(_tests_p(pooled, dist))
        ps += [_tests_p(values[i].reshape(-1), dist) for i in members]
    return min(1.0, min(ps) * len(ps)) if ps else 0.0


def _in_region(flat: np.ndarray, dist: Dist) -> bool:
    """Whether ``dist``, a normal or a uniform, lies in its family's confidence region for ``flat``."""
    if dist.normal:
        fitted = fit_normal(flat)
    elif math.isfinite(dist.low) and math.isclose(dist.excess_kurtosis, -1.2, abs_tol=1e-9):
        fitted = fit_uniform(flat)
    else:
        return True
    return fitted is None or fitted.admits(dist)


# -- stage 1: exact structure -----------------------------------------------------------------------------


def _constant(value: np.ndarray) -> Init | None:
    flat = value.reshape(-1)
    lo, hi = float(flat.min()), float(flat.max())
    if hi - lo > EXACT_RTOL * max(abs(lo), abs(hi), 1.0):
        return None
    c = _sig((lo + hi) / 2, 6)
    return Zeros() if c == 0 else Ones() if c == 1 else Constant(value=c)


def _exact(value: np.ndarray, kind: str) -> _Verdict | None:
    c = _constant(value)
    if c is not None:
        return _Verdict(c, "all entries equal")
    if kind != "matrix" or min(value.shape) < 2:
        return None
    square = value.shape[0] == value.shape[1]
    if square:
        g = float(np.mean(np.diag(value)))
        if g != 0 and np.allclose(value, g * np.eye(value.shape[0]), rtol=0, atol=EXACT_RTOL * abs(g)):
            return _Verdict(Identity(gain=_sig(g, 4)), "exactly gain·I")
    err, gain = orthogonality(value, np.random.default_rng(0))
    if err <= ORTHOGONALITY_TOL:
        return _Verdict(Orthogonal(gain=_sig(gain, 4)), f"orthonormal (|G/g² - I| = {err:.2g})")
    if square and value.shape[0] <= MAX_SPECTRAL:
        radius = block_radius(value)
        spectral = fit_spectral(radius)
        if spectral is not None:
            return _Verdict(spectral, f"spectral radius {radius:.8g}: a short decimal, as a rescaling gives")
    return None


def _fused_orthogonal(stacked: np.ndarray, per_gate: list[_Verdict | None]) -> _Verdict | None:
    """``orthogonal(fused=true)`` over a role's stacked gates, when that is the more specific claim."""
    err, gain = orthogonality(stacked, np.random.default_rng(0))
    if err > ORTHOGONALITY_TOL:
        return None
    all_orthogonal = all(v is not None and isinstance(v.init, Orthogonal) for v in per_gate)
    if all_orthogonal and stacked.shape[0] > stacked.shape[1]:
        return None  # per-gate orthogonal blocks stack to orthonormal columns anyway: keep per gate
    if any(v is not None for v in per_gate) and not all_orthogonal:
        return None
    return _Verdict(
        Orthogonal(gain=_sig(gain, 4), fused=True),
        f"stacked gates orthonormal (|G/g² - I| = {err:.2g}), gate blocks "
        + ("orthonormal too (rows orthonormal across gates: fused)" if all_orthogonal else "not"),
        fused=True,
    )


def _chrono(values: Mapping[Key, np.ndarray], kind: CellKind) -> Chrono | None:
    forget, inp = kind.gate_semantics.get("forget"), kind.gate_semantics.get("input")
    b_f = values.get(("bias", forget))
    if b_f is None or b_f.min() < -EXACT_RTOL or b_f.max() <= 0 or _constant(b_f) is not None:
        return None
    if inp is not None and not np.allclose(
        values[("bias", inp)], -b_f, rtol=0, atol=EXACT_RTOL * max(1, b_f.max())
    ):
        return None
    init = fit_chrono(b_f)
    if init is None:
        return None
    block = Block("bias", forget, b_f.shape, "vector", b_f.size, gate_semantics=kind.gate_semantics)
    from rnninit.audit.checks import Context, check_block

    result = check_block(init, block, b_f, Context(np.random.default_rng(0)))
    if any(t.passed is False for t in result.tests):
        return None
    ps = [t.p_value for t in result.tests if t.p_value is not None]
    return init if not ps or min(ps) * len(ps) >= ACCEPT_P else None


# -- stages 2-4: random blocks ------------------------------------------------------------------------------


class _Role:
    """The undecided gate blocks of one role of one cell."""

    def __init__(self, cell: CellLayout, role: str, slots: Sequence[Slot], values: Mapping[Key, np.ndarray]):
        self.cell, self.role, self.slots = cell, role, tuple(slots)
        self.values = [values[(role, s.gate)] for s in self.slots]
        self.all_gates = len(self.slots) == len(cell.kind.gates) > 1 and cell.kind.role(role).gated

    def candidate(self, init: Init, fused: bool = False) -> _Candidate | None:
        """``init`` claimed for every gate block (``fused``: over the stacked gates), with its p-value."""
        try:
            if fused:
                block = self.cell.block(self.slots[0], fused=True)
                init.validate(block)
                dist = init.entry_distribution(block)
                stacked = np.concatenate(self.values, axis=0)
                return _Candidate(init, True, _fit_p([stacked], [dist]), (dist,) * len(self.slots))
            blocks = [self.cell.block(s) for s in self.slots]
            for block in blocks:
                init.validate(block)
        except SpecError:
            return None
        dists = [init.entry_distribution(b) for b in blocks]
        return _Candidate(init, False, _fit_p(self.values, dists), tuple(dists))

    def named(self) -> list[_Candidate]:
        out = []
        for init in NAMED:
            found = self.candidate(init)
            if found is not None:
                out.append(found)
        if self.all_gates:
            for init in NAMED:
                try:
                    fused = dataclasses.replace(init, fused=True)
                except SpecError:  # an init that cannot be fused (PyTorch's per-tensor default)
                    continue
                found = self.candidate(fused, fused=True)
                if found is not None:
                    out.append(found)
        for found in out:
            found.named = True
        return out

    def families(self) -> list[_Candidate]:
        pooled = np.concatenate([v.reshape(-1) for v in self.values])
        out = []
        for fitted in fit_families(pooled):
            found = self.candidate(fitted.init)
            if found is not None:
                found.admits = fitted.admits
                out.append(found)
        return out

    def entries(self) -> int:
        return sum(v.size for v in self.values)

    def too_small(self, shown: Sequence[_Candidate]) -> str:
        """Why these candidates cannot be told apart: the entries, and how many the tests would need to
        tell the first's shape from each other one's (`rnninit.audit.power.entries_to_tell_apart`)."""
        text = f"{self.entries()} entries are too few to tell them apart"
        first = shown[0].dists[0]
        needed = []
        for other in shown[1:]:
            b = other.dists[0]
            if first is not None and b is not None and _family(b) != _family(first):
                needed.append(entries_to_tell_apart(first, b, ACCEPT_P, MAX_SAMPLE))
        if needed and None not in needed:
            text += (
                f" (telling these shapes apart, each at the other's mean and std, with 99% power at "
                f"p={ACCEPT_P:g} takes ≥ {max(n for n in needed if n is not None)})"
            )
        return text


def _decide(fitting: list[_Candidate], role: _Role) -> _Verdict | None:
    """One verdict from the candidates that fit, in order of preference (named before estimated).

    The first is named unless a *rival* fits too: another named scheme with a different distribution,
    an estimated family of another shape (too few entries to tell the families apart), or one of the
    same shape whose confidence region does not hold the first (too few entries to pin the arguments
    down). An estimated family whose region holds the first is not a rival: the named scheme is the most
    specific of the values the data allow. With rivals, the block is left open with all of them."""
    if not fitting:
        return None
    first = fitting[0]
    rivals: dict[tuple, _Candidate] = {}
    for other in fitting[1:]:
        if other.identity == first.identity or other.identity in rivals:
            continue
        if (
            other.admits is not None
            and other.families == first.families
            and all(d is not None and other.admits(d) for d in first.dists)
        ):
            continue
        rivals[other.identity] = other
    stage = "named scheme" if first.named else "estimated"
    if not rivals:
        return _Verdict(first.init, f"{stage}, p={first.p:.2g}", fused=first.fused)
    shown = [first, *rivals.values()]
    shapes = "shapes" if any(c.families != first.families for c in shown) else "arguments"
    return _Verdict(
        None,
        f"{len(shown)} inits of different {shapes} fit (p = {', '.join(f'{c.p:.2g}' for c in shown)}); "
        + role.too_small(shown),
        candidates=tuple(c.label for c in shown),
    )


def _describe_random(role: _Role) -> dict[str | None, _Verdict]:
    """Stages 3 and 4 for one role's undecided gate blocks: per role first, then per gate."""
    candidates = role.named() + role.families()
    verdict = _decide([c for c in candidates if c.p >= ACCEPT_P], role)
    if verdict is not None:
        return {s.gate: verdict for s in role.slots}
    if len(role.slots) > 1:  # the gates differ: each on its own
        out: dict[str | None, _Verdict] = {}
        for slot in role.slots:
            out.update(_describe_random(_Role(role.cell, role.role, [slot], _values_of(role, slot))))
        return out
    best = sorted(candidates, key=lambda c: -c.p)[:3]
    return {
        role.slots[0].gate: _Verdict(
            None,
            "no init fits; the best candidates: p = " + (", ".join(f"{c.p:.2g}" for c in best) or "n/a"),
            candidates=tuple(c.label for c in best),
        )
    }


def _values_of(role: _Role, slot: Slot) -> dict[Key, np.ndarray]:
    return {(role.role, slot.gate): role.values[role.slots.index(slot)]}


def _preset_stage(
    cell: CellLayout, remaining: dict[str, list[Slot]], values: Mapping[Key, np.ndarray]
) -> tuple[str, dict[Key, _Verdict]] | None:
    """Stage 2: the one preset whose schemes explain all remaining blocks of the cell together."""
    kind = cell.kind
    fitting: dict[tuple, tuple[str, float, dict[Key, _Verdict]]] = {}
    for name, call in _preset_calls(kind, remaining, values):
        try:
            resolved = Spec(preset=call).resolve(kind)
        except SpecError:
            continue
        ps: list[float] = []
        verdicts: dict[Key, _Verdict] = {}
        identity: list = []
        for role_name, slots in remaining.items():
            whole, _ = resolved.lookup(role_name, None)
            role = _Role(cell, role_name, slots, values)
            if whole is not None and whole.fused:
                if not role.all_gates:
                    break
                inits, found = [whole], role.candidate(whole, fused=True)
            else:
                per_gate = [resolved.lookup(role_name, s.gate)[0] for s in slots]
                exact = [
                    i is None or i.exact_property(cell.block(s)) is not None for i, s in zip(per_gate, slots)
                ]
                # every value of an exact init was decided at stage 1: none fits a random block
                if any(exact):
                    break
                inits = [i for i in per_gate if i is not None]  # all of them (a None is exact above)
                found = _per_gate_candidate(role, inits)
            if found is None:
                break
            ps.append(found.p)
            identity.append(found.identity)
            for slot, init in zip(slots, inits * len(slots) if found.fused else inits, strict=False):
                verdicts[(role_name, slot.gate)] = _Verdict(init, "", fused=found.fused)
        else:
            p = min(1.0, min(ps) * len(ps)) if ps else 0.0
            if p >= ACCEPT_P:
                fitting.setdefault(tuple(identity), (str(call), p, verdicts))
    if len(fitting) != 1:
        return None
    ((label, p, verdicts),) = fitting.values()
    for v in verdicts.values():
        v.evidence = f"as {label}, all remaining blocks of the cell together: p={p:.2g}"
    return label, verdicts


def _per_gate_candidate(role: _Role, inits: list[Init]) -> _Candidate | None:
    blocks = [role.cell.block(s) for s in role.slots]
    try:
        for init, block in zip(inits, blocks, strict=True):
            init.validate(block)
    except SpecError:
        return None
    dists = [i.entry_distribution(b) for i, b in zip(inits, blocks, strict=True)]
    return _Candidate(inits[0], False, _fit_p(role.values, dists), tuple(dists))


def _preset_calls(kind: CellKind, remaining: Mapping[str, list[Slot]], values: Mapping[Key, np.ndarray]):
    """The presets to try at stage 2, with their arguments (estimated where they have free ones that
    reach random blocks: ``indrnn``'s ``t_max``); presets whose arguments only reach exact blocks
    (``chrono``, ``forget_bias``) have the same random schemes as ``pytorch_default`` and are left to it."""
    for name, preset in PRESETS.items():
        kwargs: dict[str, float] = {}
        if name == "indrnn":
            if "hh" not in remaining or kind.role("hh").kind != "diagonal":
                continue
            t_max = fit_indrnn_t_max(values[("hh", None)])
            if t_max is None:
                continue
            kwargs["t_max"] = t_max
        elif any(p.default is p.empty for p in preset.parameters().values()):
            continue
        try:
            yield name, PresetCall.make(name, **kwargs)
        except SpecError:
            continue


# -- one cell --------------------------------------------------------------------------------------


def _describe_cell(
    cell: CellLayout, values: Mapping[Key, np.ndarray]
) -> tuple[dict[Key, Init], list[DescribedBlock], list[Key]]:
    """The entries describing one cell, a row per block, and the blocks left open."""
    kind = cell.kind
    verdicts: dict[Key, _Verdict] = {}
    groups = cell.role_groups()
    # stage 1: exact structure, per gate and over stacked gates; chrono on the gate biases
    chrono = _chrono(values, kind) if "bias" in cell.roles_present() and kind.gate_semantics else None
    chrono_gates = {kind.gate_semantics.get("forget"), kind.gate_semantics.get("input")} - {None}
    for role, slots in groups:
        per_gate: list[_Verdict | None] = []
        for slot in slots:
            value = values[(role, slot.gate)]
            verdict: _Verdict | None
            if not np.isfinite(value).all():
                verdict = _Verdict(None, "NaN/Inf: no init fits")
            elif chrono is not None and role == "bias" and slot.gate in chrono_gates:
                verdict = _Verdict(chrono, "b_f = log U(1, t_max - 1), b_i = -b_f")
            else:
                verdict = _exact(value, kind.role(role).kind)
            per_gate.append(verdict)
            if verdict is not None:
                verdicts[(role, slot.gate)] = verdict
        if len(slots) == len(kind.gates) > 1 and kind.role(role).kind == "matrix" and kind.role(role).gated:
            values_ok = all(np.isfinite(values[(role, s.gate)]).all() for s in slots)
            stacked = np.concatenate([values[(role, s.gate)] for s in slots], axis=0) if values_ok else None
            fused = _fused_orthogonal(stacked, per_gate) if stacked is not None else None
            if fused is not None:
                for slot in slots:
                    verdicts[(role, slot.gate)] = fused
    remaining = {
        role: [s for s in slots if (role, s.gate) not in verdicts]
        for role, slots in groups
        if any((role, s.gate) not in verdicts for s in slots)
    }
    # stage 2: one preset's schemes for everything left of the kind's own roles (presets do not
    # describe the roles a declaration adds, such as peepholes: those go on to stages 3 and 4)
    own = {role: slots for role, slots in remaining.items() if not kind.role(role).custom}
    preset = _preset_stage(cell, own, values) if own else None
    if preset is not None:
        verdicts.update(preset[1])
    for role, left in remaining.items():  # stages 3 and 4, per role
        if (role, left[0].gate) not in verdicts:
            for gate, verdict in _describe_random(_Role(cell, role, left, values)).items():
                verdicts[(role, gate)] = verdict
    return _entries(cell, groups, verdicts, chrono)


def _entries(cell, groups, verdicts: dict[Key, _Verdict], chrono):
    entries: dict[Key, Init] = {}
    rows: list[DescribedBlock] = []
    open_keys: list[Key] = []
    for role, slots in groups:
        per_gate = {s.gate: verdicts[(role, s.gate)] for s in slots}
        if chrono is not None and role == "bias":
            others = [v.init for v in per_gate.values() if v.init != chrono]
            if all(i is not None and i.constant_value("vector") == 0.0 for i in others):  # chrono's zeros
                per_gate = {g: _Verdict(chrono, v.evidence) for g, v in per_gate.items()}
        tensors = tuple(dict.fromkeys(p.tensor for s in slots for p in s.placements))
        first = next(iter(per_gate.values()))
        if (
            first.fused
            and first.init is not None  # a fused verdict names its init
            and all(v is first or (v.fused and v.init == first.init) for v in per_gate.values())
        ):
            entries[(role, None)] = first.init
            rows.append(DescribedBlock(cell.name, role, None, tensors, str(first.init), first.evidence))
            continue
        decided = {g: v.init for g, v in per_gate.items() if v.init is not None}
        if len(decided) == len(per_gate):
            common = Counter(decided.values()).most_common(1)[0][0]
            entries[(role, None)] = common
            entries.update({(role, g): i for g, i in decided.items() if i != common})
        else:  # some gate is open: name only the decided gates, so no role-wide entry reaches the open ones
            open_keys += [(role, g) for g in per_gate if g not in decided]
            if None not in per_gate:
                entries.update({(role, g): i for g, i in decided.items()})
        for slot in slots:
            v = per_gate[slot.gate]
            rows.append(
                DescribedBlock(
                    cell.name,
                    role,
                    slot.gate,
                    tuple(p.tensor for p in slot.placements),
                    None if v.init is None else str(v.init),
                    v.evidence,
                    v.candidates,
                )
            )
    return entries, rows, open_keys


# -- the spec --------------------------------------------------------------------------------------


def _as_preset(
    kind: CellKind, entries: dict[Key, Init], open_keys: Sequence[Key], unstored: tuple[str, ...] = ()
) -> Spec:
    """``entries`` as a spec: a preset plus the fewest overrides when one fits, else plain entries.

    A preset would give the open blocks an init, so a cell with open blocks is written as plain entries.
    A role the cell does not store (``unstored``, fixed at 0) gets an explicit ``zeros`` where the
    preset would give it something else, so that the spec fits the cell it describes."""
    plain = Spec(entries)
    if open_keys:
        return plain
    target = plain.resolve(kind)
    roles = sorted({r for r, _ in entries})
    best = plain
    best_size = len(entries)
    for name, preset in PRESETS.items():
        kwargs: dict[str, float] = {}
        params = preset.parameters()
        if name == "chrono":
            chrono = next((i for i in entries.values() if isinstance(i, Chrono)), None)
            if chrono is None:
                continue
            kwargs["t_max"] = chrono.t_max
        elif name == "forget_bias":
            gate = kind.gate_semantics.get("forget")
            has_bias = gate is not None and "bias" in kind.role_names
            forget = _canonical(target.lookup("bias", gate)[0], kind.role("bias"), kind) if has_bias else None
            if not isinstance(forget, Constant):
                continue
            kwargs["value"] = forget.value
        elif name == "indrnn":
            hh = entries.get(("hh", None))
            high = getattr(hh, "high", None)
            if high is None or high <= 1 or getattr(hh, "low", None) != 0:
                continue
            kwargs["t_max"] = _sig(1.0 / math.log2(high), 10)  # high = 2^(1/t_max), up to float rounding
        elif any(p.default is p.empty for p in params.values()):
            continue
        try:  # a preset that does not fit this cell kind (e.g. forget_bias on an Elman cell) is skipped
            call = PresetCall.make(name, **kwargs)
            preset_resolved = Spec(preset=call).resolve(kind)
        except SpecError:
            continue
        overrides: dict[Key, Init] = {}
        for role in {r for r, _ in entries}:
            if not _slots_equal(preset_resolved, target, [role]):
                overrides.update({k: v for k, v in entries.items() if k[0] == role})
        for role in unstored:
            if preset_resolved.lookup(role, None)[0] not in (None, Zeros()):
                overrides[(role, None)] = Zeros()
        try:
            candidate = Spec(overrides, preset=call)
            explains = _slots_equal(candidate.resolve(kind), target, roles)
        except SpecError:  # e.g. a fused override next to the preset's per-gate entries
            continue
        # a preset names a whole scheme: use it when it explains more roles than it leaves to overrides
        overridden = {r for r, _ in overrides}
        if explains and len(overridden) < len(roles) - len(overridden) and len(overrides) < best_size:
            best, best_size = candidate, len(overrides)
    return best


def _slots_equal(a, b, roles) -> bool:
    """Whether two resolutions give every block of ``roles`` the same values (see `_canonical`)."""
    for role in roles:
        role_def = a.kind.role(role)
        for gate in a.kind.role_gates(role_def):
            if _canonical(a.lookup(role, gate)[0], role_def, a.kind) != _canonical(
                b.lookup(role, gate)[0], role_def, a.kind
            ):
                return False
    return True


def _canonical(init: Init | None, role, kind: CellKind) -> Init | None:
    """One name for inits that give a block the same values: an init that gives every entry one value is
    that ``constant`` (``ones`` is ``constant(1.0)``, identity on a diagonal is a constant), and a fused
    init over a role with a single gate is the per-gate one."""
    value = None if init is None else init.constant_value(role.kind)
    if value is not None:
        return Constant(value=value)
    if init is not None and init.fused and len(kind.role_gates(role)) == 1:
        return dataclasses.replace(init, fused=False)
    return init


def _open_notes(blocks: Sequence[DescribedBlock]) -> list[str]:
    """One note per role (and reason) left open: ``left open: bias[i,f,g,o] of cell: why; candidates: …``."""
    grouped: dict[tuple, list[str | None]] = {}
    for b in blocks:
        if b.open:
            grouped.setdefault((b.cell, b.role, b.evidence, b.candidates), []).append(b.gate)
    notes = []
    for (cell, role, evidence, candidates), gates in grouped.items():
        where = role if gates == [None] else f"{role}[{','.join(g for g in gates if g is not None)}]"
        notes.append(f"left open: {where} of {cell}: {evidence}; candidates: {', '.join(candidates)}")
    return notes


def describe(
    model: object, roles: Mapping[str, str] | None = None, *, cell: str | CellKind | None = None
) -> Description:
    """The most specific init that explains every block of ``model``, as a spec that parses.

    Blocks too small to tell the candidates apart are left out of the spec and listed in
    `Description.open` and the notes (see the module docstring).

    Args:
        model: The model to read, in any framework rnninit reads (as for `rnninit.audit`).
        roles: Tensor name -> role declaration, for a cell no layout knows.
        cell: The cell kind of such a cell, when its declared gates do not tell.

    Returns:
        The spec for the model (``str()`` of the description), one spec per cell, and what each
        block looked like.

    Raises:
        LayoutError: ``model`` is not a model rnninit reads or holds no recurrent cell it knows.

    Examples:
        >>> import torch, rnninit as ri, rnninit.torch as rt
        >>> str(ri.describe(torch.nn.LSTM(8, 16)))
        'pytorch_default'
        >>> lstm = torch.nn.LSTM(8, 16)
        >>> _ = rt.apply("hh=orthogonal", lstm, seed=0)
        >>> ri.describe(lstm).spec
        Spec.parse('pytorch_default hh=orthogonal')
    """
    backend = backend_for(model)
    layout, notes = audited_layout(backend, model, roles, cell, strict=True)
    per_cell: dict[str, Spec] = {}
    open_by_cell: list[dict[Key, tuple[str, ...]]] = []
    entries_by_cell: list[dict[Key, Init]] = []
    blocks: list[DescribedBlock] = []
    for cell_layout in layout.cells:
        values = cell_values(backend, model, cell_layout)
        entries, rows, open_keys = _describe_cell(cell_layout, values)
        per_cell[cell_layout.name] = _as_preset(cell_layout.kind, entries, open_keys, cell_layout.unstored)
        open_by_cell.append({(b.role, b.gate): b.candidates for b in rows if b.open})
        entries_by_cell.append(entries)
        blocks += rows
    spec = _model_spec(layout.cells, list(per_cell.values()), entries_by_cell, open_by_cell)
    if spec is None:
        counts = Counter(str(s) for s in per_cell.values())
        common = counts.most_common(1)[0][0]
        spec = next(s for s in per_cell.values() if str(s) == common)
        notes.append(
            "cells differ; the spec is the most common one. Per cell: "
            + "; ".join(f"{name}: {s}" for name, s in per_cell.items())
        )
    notes += _open_notes(blocks)
    return Description(spec, per_cell, blocks, notes)


def _model_spec(
    cells: Sequence[CellLayout], specs: Sequence[Spec], entries_by_cell, open_by_cell
) -> Spec | None:
    """One spec that gives every cell what its own description gives it: the most common cell spec
    when it does, else all cells' entries together (cells of different kinds: an entry reaches the
    cells that have its role and gate). A block a cell left open may get an init from the model's spec
    only if it is one of the candidates that fit that block (another cell decided between them).
    ``None`` when no such spec exists."""
    kinds = [c.kind for c in cells]
    counts = Counter(str(s) for s in specs)
    candidates = [next(s for s in specs if str(s) == text) for text, _ in counts.most_common()]
    if len(counts) > 1:
        merged: dict[Key, Init] = {}
        for entries in entries_by_cell:
            for key, init in entries.items():
                if merged.setdefault(key, init) != init:
                    break
            else:
                continue
            break
        else:
            candidates.append(Spec(merged))
    for candidate in candidates:
        try:
            resolved = candidate.resolve_for(kinds)
        except SpecError:
            continue
        if all(
            _gives(r, own.resolve(c.kind), c, open_keys)
            for r, own, c, open_keys in zip(resolved, specs, cells, open_by_cell, strict=True)
        ):
            return candidate
    return None


def _gives(
    model: Resolved, own: Resolved, cell: CellLayout, open_keys: Mapping[Key, tuple[str, ...]]
) -> bool:
    """Whether the model spec's resolution gives ``cell`` what the cell's own description does."""
    kind = cell.kind
    for role in cell.roles_present():
        role_def = kind.role(role)
        for gate in kind.role_gates(role_def):
            got = model.lookup(role, gate)[0]
            if (role, gate) in open_keys:
                if got is not None and str(got) not in open_keys[(role, gate)]:
                    return False
            elif _canonical(got, role_def, kind) != _canonical(own.lookup(role, gate)[0], role_def, kind):
                return False
    return True


__all__ = ["ACCEPT_P", "DescribedBlock", "Description", "describe"]
