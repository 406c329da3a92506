"""Named presets: complete initialization schemes from the literature and the frameworks.

A preset is resolved against a `CellKind`, because what a scheme
means depends on the cell (which gate is the forget gate, which extra roles exist). Each
resolves to plain ``(role, gate) -> Init`` entries; a spec's own entries override them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnninit.arguments import bind_arguments, finite_float, is_number
from rnninit.errors import SpecError, did_you_mean, one_of
from rnninit.inits import (
    Chrono,
    Constant,
    GlorotUniform,
    Identity,
    Init,
    Normal,
    Ones,
    Orthogonal,
    TorchDefault,
    Uniform,
    Zeros,
)
from rnninit.layout.kinds import CellKind
from rnninit.references import cite

Entries = dict[tuple[str, str | None], Init]


#: A preset's source: a key of ``rnninit.references.REFERENCES``, or ``(what it is the source of, key)``.
Source = str | tuple[str, str]


@dataclass(frozen=True)
class Preset:
    """A named initialization scheme: a function of the cell kind that gives its entries.

    Presets register themselves in `PRESETS` (with ``@preset(name, *sources)``); a spec names one
    as its base (``"chrono(t_max=100) hh=orthogonal"``) and `PresetCall` binds its arguments.

    Attributes:
        name: The preset's name in the spec language (``"forget_bias"``, ``"chrono"``, ...).
        build: ``build(kind, **arguments) -> {(role, gate): Init}``: the entries for a cell kind;
            its docstring is the preset's description and its keyword parameters its arguments.
            It raises `SpecError` when the preset does not apply to the kind.
        sources: What the preset comes from: keys of ``rnninit.references.REFERENCES``, or
            ``(what it is the source of, key)`` pairs.

    Examples:
        >>> from rnninit.spec import PRESETS
        >>> from rnninit.layout import LSTM
        >>> forget_bias = PRESETS["forget_bias"]
        >>> forget_bias.keys, list(forget_bias.parameters())
        (('jozefowicz2015',), ['value'])
        >>> str(forget_bias.build(LSTM, value=2.0)[("bias", "f")])
        'constant(2.0)'
    """

    name: str
    build: Callable[..., Entries]
    sources: tuple[Source, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The reference keys this preset cites."""
        return tuple(item if isinstance(item, str) else item[1] for item in self.sources)

    @property
    def source(self) -> str:
        """The citations, written from the one registry of references."""
        parts = []
        for item in self.sources:
            what, key = ("", item) if isinstance(item, str) else item
            parts.append(f"{what}: {cite(key)}" if what else cite(key))
        return "; ".join(parts)

    @property
    def doc(self) -> str:
        """What the preset does: its ``build`` function's docstring."""
        return inspect.getdoc(self.build) or ""

    def parameters(self) -> dict[str, inspect.Parameter]:
        """The preset's arguments (``build``'s parameters after ``kind``): name -> parameter."""
        params = dict(inspect.signature(self.build).parameters)
        params.pop("kind")
        return params


PRESETS: dict[str, Preset] = {}
"""Every preset by name (``"forget_bias"``, ``"chrono"``, ...): a base spec a spec's entries override."""


def preset(name: str, *sources: Source):
    """Register a preset citing ``sources`` (reference keys; an unknown key fails at import)."""

    def register(fn: Callable[..., Entries]) -> Callable[..., Entries]:
        for key in Preset(name, fn, sources).keys:
            cite(key)
        PRESETS[name] = Preset(name, fn, sources)
        return fn

    return register


def _forget_gate(kind: CellKind, preset_name: str) -> str:
    gate = kind.gate_semantics.get("forget")
    if gate is None:
        raise SpecError(
            f"preset {preset_name} needs a cell with a forget gate (lstm, gru, minimalrnn), "
            f"and {kind.name} cells have none",
            token=preset_name,
        )
    return gate


def _recurrent_matrix(kind: CellKind, preset_name: str) -> None:
    """Presets that set a full recurrent matrix make no sense where ``hh`` is a diagonal (IndRNN)."""
    if kind.role("hh").form != "matrix":
        raise SpecError(
            f"preset {preset_name} sets a full recurrent matrix, but the recurrent weight of {kind.name} "
            f"cells is a {kind.role('hh').form} (use the indrnn preset, or hh=... entries)",
            token=preset_name,
        )


@preset("pytorch_default", "pytorch_rnn_default")
def pytorch_default(kind: CellKind) -> Entries:
    """PyTorch's default for its RNN modules: every parameter U(±1/√hidden_size).

    The effective gate bias is the sum of PyTorch's two additive biases (a triangular
    distribution), except where PyTorch has only one (GRU's n gate).
    """
    return {(role.name, None): TorchDefault() for role in kind.base_roles}


@preset("keras_default", "keras_rnn_defaults")
def keras_default(kind: CellKind) -> Entries:
    """Keras' defaults: glorot_uniform kernel and orthogonal recurrent kernel, each over the fused
    (all gates) matrix, zero biases, and (LSTM, ``unit_forget_bias=True``) a forget bias of 1.

    Keras has no cell with a diagonal recurrent weight, so IndRNN cells are an error."""
    _recurrent_matrix(kind, "keras_default")
    entries: Entries = {}
    for role in kind.base_roles:
        if role.form == "matrix":
            recurrent = role.name == "hh"
            init: Init = Orthogonal(fused=role.gated) if recurrent else GlorotUniform(fused=role.gated)
            entries[(role.name, None)] = init
        else:
            entries[(role.name, None)] = Zeros()
    if kind.name == "lstm":
        entries[("bias", "f")] = Ones()
    return entries


@preset("irnn", "le2015")
def irnn(kind: CellKind, std: float = 0.001) -> Entries:
    """IRNN: identity recurrent weights, zero biases, input weights N(0, std²) (std = 0.001).

    Defined for ungated ReLU RNNs (Elman; on IndRNN the identity is the diagonal of ones); a gated
    cell is an error, because the paper's argument (the identity keeps the state) does not hold there."""
    if kind.gates:
        raise SpecError(
            f"preset irnn is for ungated cells (elman, indrnn), not {kind.name} cells "
            "(write hh=identity to get identity recurrent blocks on a gated cell)",
            token="irnn",
        )
    entries: Entries = {(role.name, None): Zeros() for role in kind.base_roles}
    entries[("ih", None)] = Normal(std=std)
    entries[("hh", None)] = Identity()
    return entries


@preset("forget_bias", "jozefowicz2015")
def forget_bias(kind: CellKind, value: float = 1.0) -> Entries:
    """PyTorch's default with the effective forget-gate bias set to ``value``.

    1.0 is Jozefowicz, Zaremba & Sutskever 2015's recommendation; Tallec & Ollivier 2018 (§3) use it as
    their LSTM baseline and trace it to Gers & Schmidhuber 2000."""
    entries = pytorch_default(kind)
    entries[("bias", _forget_gate(kind, "forget_bias"))] = Constant(value=value)
    return entries


@preset("chrono", "tallec2018")
def chrono(kind: CellKind, t_max: float) -> Entries:
    """PyTorch's default with chrono gate biases: b_f = log U(1, t_max - 1), b_i = -b_f
    (Tallec & Ollivier 2018, Eq. 16)."""
    init = Chrono(t_max=t_max)
    entries = pytorch_default(kind)
    entries[("bias", _forget_gate(kind, "chrono"))] = init
    if "input" in kind.gate_semantics:
        entries[("bias", kind.gate_semantics["input"])] = init
    return entries


@preset("orthogonal", "saxe2014", ("LSTM forget bias 1", "jozefowicz2015"))
def orthogonal(kind: CellKind, gain: float = 1.0) -> Entries:
    """Orthogonal input and recurrent weights (per gate block) with ``gain`` (Saxe, McClelland & Ganguli
    2014); zero biases, except an LSTM's forget-gate bias, which is 1. The forget bias is not Saxe et
    al.'s (their networks are linear and have no gates) but Jozefowicz, Zaremba & Sutskever 2015's
    convention, as in Keras' ``unit_forget_bias``.

    Cells whose recurrent weight is a diagonal (IndRNN) are an error."""
    _recurrent_matrix(kind, "orthogonal")
    entries: Entries = {}
    for role in kind.base_roles:
        entries[(role.name, None)] = Orthogonal(gain=gain) if role.form == "matrix" else Zeros()
    if kind.gate_semantics.get("forget") is not None and kind.name == "lstm":
        entries[("bias", "f")] = Ones()
    return entries


@preset("indrnn", "li2018")
def indrnn(kind: CellKind, t_max: float) -> Entries:
    """IndRNN: recurrent weights u ~ U(0, 2^(1/t_max)) so that |u|^t_max stays in [0, 2]
    (memory over t_max steps without explosion), input weights N(0, 0.001²), zero biases."""
    if not t_max >= 1:  # a number of time steps; below 1, 2^(1/t_max) soon overflows
        raise SpecError(f"indrnn: t_max (time steps) must be >= 1, got {t_max!r}", token="t_max")
    if kind.role("hh").form != "diagonal":
        raise SpecError(
            f"preset indrnn needs a cell with a diagonal recurrent weight (indrnn), not {kind.name} cells",
            token="indrnn",
        )
    entries: Entries = {(role.name, None): Zeros() for role in kind.base_roles}
    entries[("ih", None)] = Normal(std=0.001)
    entries[("hh", None)] = Uniform(low=0.0, high=2.0 ** (1.0 / t_max))
    return entries


def check_preset_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Validate a preset call's arguments; return them as keyword arguments."""
    found = PRESETS.get(name)
    if found is None:
        raise SpecError(
            f"unknown preset '{name}'{did_you_mean(name, PRESETS)}; valid presets: {one_of(PRESETS)} "
            "(or write role=init entries, e.g. 'ih=normal(std=0.1)')",
            token=name,
        )
    params = found.parameters()
    required = [key for key, param in params.items() if param.default is inspect.Parameter.empty]
    merged = bind_arguments(f"preset {name}", name, list(params), args, kwargs, required=required)
    for key in (key for key in params if key in merged):
        if not is_number(merged[key]):
            raise SpecError(f"preset {name}: {key} must be a finite number, got {merged[key]!r}", token=key)
        merged[key] = finite_float(f"preset {name}", key, merged[key])
    _trial_build(found, merged)
    return merged


def _trial_build(found: Preset, kwargs: dict[str, Any]) -> None:
    """Build the preset for every known cell kind, so bad argument values fail at parse time."""
    from rnninit.layout.kinds import CELL_KINDS

    errors = []
    for kind in CELL_KINDS.values():
        try:
            found.build(kind, **kwargs)
            return
        except SpecError as exc:
            errors.append(exc)
    raise errors[0]
