"""``rnninit.describe(model)``: the most likely init of every block, written as a spec that parses.

For each block (effective value, neutral orientation) the candidates are tried in this order and
the first that fits is kept:

1. a constant (``zeros``, ``ones``, ``constant(c)``), then ``identity(gain)``;
2. ``orthogonal(gain)`` (per gate block; for a gated role whose gate blocks are not orthogonal but
   whose stacked matrix is, ``orthogonal(fused=true)``, as Keras does);
3. chrono gate biases (``b_f`` in ``[0, log(t_max - 1)]`` and ``b_i = -b_f``; ``t_max`` estimated);
4. the named schemes without free arguments (``torch_default``, Glorot, LeCun, He, per block and
   fused), accepted when the audit's own tests against them (range, Kolmogorov–Smirnov, mean, scale;
   Bonferroni-combined) give ``p ≥ 1e-3``. Where two schemes give the same distribution (Glorot and
   LeCun on a square block) the first in that order is named;
5. otherwise the best-fitting of ``normal``, ``uniform`` and ``truncated_normal`` with estimated
   arguments (three significant digits).

Gates that agree become one role-wide entry; a cell whose entries match a preset (``pytorch_default``,
``keras_default``, ``chrono(t_max)``, ``forget_bias(value)``, ...) for more roles than it leaves to
overrides is written as that preset plus overrides; cells that
agree give one spec for the model. ``describe`` of a model initialized by a standard spec gives back
that spec, up to estimated arguments.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from rnninit.audit.backends import backend_for
from rnninit.audit.checks import EXACT_RTOL, MAX_SAMPLE, ORTHOGONALITY_TOL, distribution_tests, orthogonality
from rnninit.audit.distributions import entry_distribution
from rnninit.audit.layouts import audited_layout, cell_values
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
    LecunNormal,
    LecunUniform,
    Normal,
    Ones,
    Orthogonal,
    TorchDefault,
    TruncatedNormal,
    Uniform,
    Zeros,
)
from rnninit.layout.cells import CellKind
from rnninit.layout.storage import CellLayout
from rnninit.spec import PRESETS, Spec
from rnninit.spec.spec import PresetCall

#: A named scheme is accepted when its KS p-value is at least this.
ACCEPT_P = 1e-3
NAMED = (TorchDefault, GlorotUniform, GlorotNormal, LecunUniform, LecunNormal, HeUniform, HeNormal)

Key = tuple[str, "str | None"]


@dataclass
class DescribedBlock:
    cell: str
    role: str
    gate: str | None
    tensors: tuple[str, ...]
    init: str | None
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, tensors=list(self.tensors))


@dataclass(repr=False)
class Description:
    """What :func:`describe` inferred: ``spec`` for the model, and per cell and per block details."""

    spec: Spec
    cells: dict[str, Spec]
    blocks: list[DescribedBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return str(self.spec)

    def __repr__(self) -> str:
        return f"Description({str(self.spec)!r}, cells={len(self.cells)}, blocks={len(self.blocks)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": str(self.spec),
            "cells": {name: str(spec) for name, spec in self.cells.items()},
            "notes": list(self.notes),
            "blocks": [b.to_dict() for b in self.blocks],
        }


def _sig(x: float, digits: int = 3) -> float:
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


def _constant(value: np.ndarray) -> Init | None:
    flat = value.reshape(-1)
    lo, hi = float(flat.min()), float(flat.max())
    if hi - lo > EXACT_RTOL * max(abs(lo), abs(hi), 1.0):
        return None
    c = _sig((lo + hi) / 2, 6)
    return Zeros() if c == 0 else Ones() if c == 1 else Constant(value=c)


def _structured(value: np.ndarray, kind: str) -> tuple[Init, str] | None:
    if kind == "matrix" and value.shape[0] == value.shape[1]:
        g = float(np.mean(np.diag(value)))
        if g != 0 and np.allclose(value, g * np.eye(value.shape[0]), rtol=0, atol=EXACT_RTOL * abs(g)):
            return Identity(gain=_sig(g, 4)), "exactly gain·I"
    if kind == "matrix" and min(value.shape) > 1:
        err, gain = orthogonality(value, np.random.default_rng(0))
        if err <= ORTHOGONALITY_TOL:
            return Orthogonal(gain=_sig(gain, 4)), f"orthonormal (|G/g² - I| = {err:.2g})"
    return None


def _ks(value: np.ndarray, init: Init, block: Block) -> float:
    """How well ``init`` explains ``value``: the audit's own tests (range, KS, mean, scale),
    Bonferroni-combined into one p-value; 0 when the range check fails."""
    dist = entry_distribution(init, block)
    if dist is None:
        return 0.0
    tests = distribution_tests(value, dist, np.random.default_rng(0), MAX_SAMPLE)
    if any(t.passed is False for t in tests):
        return 0.0
    ps = [t.p_value for t in tests if t.p_value is not None]
    return min(1.0, min(ps) * len(ps)) if ps else 0.0


def _named(value: np.ndarray, block: Block, fused: bool) -> tuple[Init, float] | None:
    """The best-fitting named scheme; fans mean nothing for a vector, so a bias only tries torch_default."""
    best = None
    for cls in NAMED if block.kind == "matrix" else (TorchDefault,):
        init = cls(fused=fused) if cls is not TorchDefault else cls()
        if fused and cls is TorchDefault:
            continue
        p = _ks(value, init, block)
        if p >= ACCEPT_P and (best is None or p > best[1] * 1.5):
            best = (init, p)
    return best


def _estimated(value: np.ndarray, block: Block) -> tuple[Init, str]:
    flat = value.reshape(-1)
    n = flat.size
    mean, std = float(flat.mean()), float(flat.std(ddof=1)) if n > 1 else 0.0
    lo, hi = float(flat.min()), float(flat.max())
    pad = (hi - lo) / max(n - 1, 1)
    candidates: list[Init] = [
        Normal(mean=_sig(mean) if abs(mean) > 3 * std / math.sqrt(n) else 0.0, std=_sig(std))
    ]
    candidates.append(Uniform(low=_sig(lo - pad), high=_sig(hi + pad)))
    center = _sig(mean) if abs(mean) > 3 * std / math.sqrt(n) else 0.0
    candidates.append(TruncatedNormal(mean=center, std=_sig(std / 0.8796256610342398)))
    scored = [(_ks(value, c, block), i, c) for i, c in enumerate(candidates)]
    p, _, init = max(scored, key=lambda t: (t[0], -t[1]))
    return init, f"best fit, KS p={p:.2g}"


def _chrono(values: Mapping[Key, np.ndarray], kind: CellKind) -> Chrono | None:
    forget, inp = kind.gate_semantics.get("forget"), kind.gate_semantics.get("input")
    b_f = values.get(("bias", forget))
    if b_f is None or b_f.min() < -EXACT_RTOL or b_f.max() <= 0 or _constant(b_f) is not None:
        return None
    if inp is not None and not np.allclose(
        values[("bias", inp)], -b_f, rtol=0, atol=EXACT_RTOL * max(1, b_f.max())
    ):
        return None
    # exp(b_f) ~ U(1, t_max - 1): the unbiased estimate of the upper end from n draws
    n = b_f.size
    t_max = _sig(2.0 + (float(np.exp(b_f.max())) - 1.0) * (n + 1) / n)
    init = Chrono(t_max=max(t_max, 2.001))
    u = np.exp(b_f)
    if stats.kstest(u, stats.uniform(1.0, init.t_max - 2.0).cdf).pvalue < ACCEPT_P:
        return None
    return init


def _describe_block(value: np.ndarray, block: Block) -> tuple[Init, str]:
    if not np.isfinite(value).all():
        raise ValueError("non-finite")
    c = _constant(value)
    if c is not None:
        return c, "all entries equal"
    found = _structured(value, block.kind)
    if found is not None:
        return found
    named = _named(value, block, False)
    if named is not None:
        return named[0], f"KS p={named[1]:.2g}"
    return _estimated(value, block)


def _describe_cell(
    cell: CellLayout, values: Mapping[Key, np.ndarray], prefer_fused: bool
) -> tuple[dict[Key, Init], list[DescribedBlock]]:
    entries: dict[Key, Init] = {}
    rows: list[DescribedBlock] = []
    chrono = (
        _chrono(values, cell.kind) if "bias" in cell.roles_present() and cell.kind.gate_semantics else None
    )
    for role, group in cell.role_groups():
        slots = list(group)
        tensors = tuple(dict.fromkeys(p.tensor for s in slots for p in s.placements))
        if any(not np.isfinite(values[(role, s.gate)]).all() for s in slots):
            rows.append(DescribedBlock(cell.name, role, None, tensors, None, "NaN/Inf: no init fits"))
            continue
        per_gate: dict[str | None, tuple[Init, str]] = {}
        for slot in slots:
            if (
                chrono is not None
                and role == "bias"
                and slot.gate
                in (cell.kind.gate_semantics.get("forget"), cell.kind.gate_semantics.get("input"))
            ):
                per_gate[slot.gate] = (chrono, "b_f in [0, log(t_max - 1)], b_i = -b_f")
                continue
            per_gate[slot.gate] = _describe_block(values[(role, slot.gate)], cell.block(slot))
        per_gate = _unify(cell, slots, values, per_gate)
        if len(slots) > 1 and cell.kind.role(role).kind == "matrix":
            fused = _fused(cell, slots, values, per_gate, prefer_fused)
            if fused is not None:
                entries[(role, None)] = fused[0]
                rows.append(DescribedBlock(cell.name, role, None, tensors, str(fused[0]), fused[1]))
                continue
        if chrono is not None and role == "bias":
            others = {g: i for g, (i, _) in per_gate.items() if not isinstance(i, Chrono)}
            if all(isinstance(i, Zeros) for i in others.values()):
                per_gate = {g: (chrono, e) for g, (_, e) in per_gate.items()}
        inits = [i for i, _ in per_gate.values()]
        if len(set(inits)) == 1:
            entries[(role, None)] = inits[0]
        else:
            common = Counter(inits).most_common(1)[0][0]
            entries[(role, None)] = common
            for gate, (init, _) in per_gate.items():
                if init != common:
                    entries[(role, gate)] = init
        for slot in slots:
            init, evidence = per_gate[slot.gate]
            rows.append(
                DescribedBlock(
                    cell.name, role, slot.gate, tuple(p.tensor for p in slot.placements), str(init), evidence
                )
            )
    return entries, rows


def _unify(cell, slots, values, per_gate):
    """Gates of one role that fit one init get it: the majority's named init, or one estimate of
    the family they share fitted to all of them."""
    inits = [i for i, _ in per_gate.values()]
    if len(set(inits)) <= 1:
        return per_gate
    common = Counter(inits).most_common(1)[0][0]
    if isinstance(common, NAMED):
        out = dict(per_gate)
        for slot in slots:
            if out[slot.gate][0] != common and isinstance(
                out[slot.gate][0], (Normal, Uniform, TruncatedNormal, *NAMED)
            ):
                p = _ks(values[(slot.role, slot.gate)], common, cell.block(slot))
                if p >= ACCEPT_P / 10:
                    out[slot.gate] = (common, f"KS p={p:.2g} (as the other gates)")
        return out
    if all(isinstance(i, (Normal, Uniform, TruncatedNormal)) for i in inits):
        pooled = np.concatenate([values[(slots[0].role, s.gate)].reshape(-1) for s in slots])
        init, evidence = _estimated(pooled, cell.block(slots[0]))
        if all(_ks(values[(s.role, s.gate)], init, cell.block(s)) >= ACCEPT_P for s in slots):
            return {s.gate: (init, evidence + " (all gates)") for s in slots}
    return per_gate


def _fused(cell, slots, values, per_gate, prefer_fused: bool) -> tuple[Init, str] | None:
    """A fused init over the stacked gates, when the gate blocks do not all fit one named init
    (or, for Keras, whose defaults are fused, whenever a fused init fits)."""
    inits = {i for i, _ in per_gate.values()}
    exact = (*NAMED, Orthogonal, Identity, Constant, Zeros, Ones, Chrono)
    if len(inits) == 1 and isinstance(next(iter(inits)), exact) and not prefer_fused:
        return None
    if any(isinstance(i, (Constant, Zeros, Ones, Chrono, Identity)) for i in inits):
        return None
    stacked = np.concatenate([values[(slots[0].role, s.gate)] for s in slots], axis=0)
    block = cell.block(slots[0], fused=True)
    if block.kind == "matrix":
        err, gain = orthogonality(stacked, np.random.default_rng(0))
        if err <= ORTHOGONALITY_TOL:
            return Orthogonal(
                gain=_sig(gain, 4), fused=True
            ), f"stacked gates orthonormal (|G/g² - I| = {err:.2g})"
    named = _named(stacked, block, True)
    if named is not None:
        return named[0], f"stacked gates, KS p={named[1]:.2g}"
    return None


def _as_preset(kind: CellKind, entries: dict[Key, Init], unstored: tuple[str, ...] = ()) -> Spec:
    """``entries`` as a spec: a preset plus the fewest overrides when one fits, else plain entries.

    A role the cell does not store (``unstored``, fixed at 0) gets an explicit ``zeros`` where the
    preset would give it something else, so that the spec fits the cell it describes."""
    plain = Spec(entries)
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
            forget = entries.get(("bias", kind.gate_semantics.get("forget")))
            if forget is None or not isinstance(forget, (Constant, Ones, Zeros)):
                continue
            kwargs["value"] = {Ones: 1.0, Zeros: 0.0}.get(type(forget), getattr(forget, "value", None))
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
    """Whether two resolutions give every block of ``roles`` the same init."""
    for role in roles:
        gates = a.kind.gates if a.kind.role(role).gated else (None,)
        for gate in gates:
            if a.lookup(role, gate)[0] != b.lookup(role, gate)[0]:
                return False
    return True


def describe(
    model: object, roles: Mapping[str, str] | None = None, *, cell: str | CellKind | None = None
) -> Description:
    """The most likely init of every block of ``model``, as a spec that parses.

    >>> import torch, rnninit as ri
    >>> str(ri.describe(torch.nn.LSTM(8, 16)))
    'pytorch_default'
    """
    backend = backend_for(model)
    layout, notes = audited_layout(backend, model, roles, cell, strict=True)
    per_cell: dict[str, Spec] = {}
    blocks: list[DescribedBlock] = []
    for cell_layout in layout.cells:
        values = cell_values(backend, model, cell_layout)
        entries, rows = _describe_cell(cell_layout, values, backend.name == "keras")
        per_cell[cell_layout.name] = _as_preset(cell_layout.kind, entries, cell_layout.unstored)
        blocks += rows
    counts = Counter(str(s) for s in per_cell.values())
    common = counts.most_common(1)[0][0]
    spec = next(s for s in per_cell.values() if str(s) == common)
    if len(counts) > 1:
        notes.append(
            "cells differ; the spec is the most common one. Per cell: "
            + "; ".join(f"{name}: {s}" for name, s in per_cell.items())
        )
    return Description(spec, per_cell, blocks, notes)


__all__ = ["DescribedBlock", "Description", "describe"]
