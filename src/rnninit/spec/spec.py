"""The `Spec`: one declaration of how every role and gate of a cell is initialized."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from rnninit.errors import SpecError, shown
from rnninit.inits import Block, Init
from rnninit.layout.kinds import CellKind, RoleDef, cell_kind
from rnninit.spec.init_config import init_from_config
from rnninit.spec.parse import Call, Parsed, build_init, locate_error, parse, reject_free
from rnninit.spec.presets import PRESETS, check_preset_args

Key = tuple[str, Union[str, None]]
"""A spec key: ``(role, gate)``, with ``gate`` ``None`` for a role-wide entry (``"bias[f]"`` is ``("bias",
"f")``).
"""
_ROLE_ORDER = {"ih": 0, "hh": 1, "bias": 2}


def _sort_key(key: Key) -> tuple:
    role, gate = key
    return (_ROLE_ORDER.get(role, 3), role, gate is not None, gate or "")


def format_key(key: Key) -> str:
    """``('bias', 'f')`` -> ``'bias[f]'``; ``('ih', None)`` -> ``'ih'``: the inverse of `parse_key`.

    Examples:
        >>> format_key(("bias", "f")), format_key(("ih", None))
        ('bias[f]', 'ih')
    """
    role, gate = key
    return f"{role}[{gate}]" if gate is not None else role


def parse_key(text: str) -> Key:
    """``'bias[f]'`` -> ``('bias', 'f')``; ``'ih'`` -> ``('ih', None)``.

    Args:
        text: A spec key: a role, optionally with one gate in brackets.

    Returns:
        ``(role, gate)``, with ``gate`` ``None`` for a role-wide key.

    Raises:
        SpecError: ``text`` is not a string or not a key (its ``position`` points into ``text``).

    Examples:
        >>> parse_key("bias[f]"), parse_key("ih")
        (('bias', 'f'), ('ih', None))
    """
    if not isinstance(text, str):
        raise SpecError(f"a spec key must be a string such as 'ih' or 'bias[f]', got {shown(text)}")
    try:
        parsed = parse(f"{text}=0")
    except SpecError as exc:  # its position is in the wrapped text; keep it only where it is in ``text``
        inside = exc.position is not None and exc.position < len(text)
        raise SpecError(
            f"invalid spec key {shown(text)}: {exc.message}",
            token=exc.token if inside else text,
            position=exc.position if inside else None,
        ) from None
    if parsed.preset is not None or len(parsed.entries) != 1 or len(parsed.entries[0].gates) > 1:
        raise SpecError(
            f"invalid spec key {shown(text)}; write a role ('ih') or role[gate] ('bias[f]')", token=text
        )
    entry = parsed.entries[0]
    return (entry.role, entry.gates[0][0] if entry.gates else None)


@dataclass(frozen=True)
class PresetCall:
    """A preset with its arguments, e.g. ``chrono(t_max=100.0)``: the base a spec's entries override.

    Arguments equal to the preset's defaults are dropped, so two calls that mean the same compare
    equal and print the same.

    Attributes:
        name: The preset's name, a key of `PRESETS`.
        kwargs: The arguments that differ from the preset's defaults, as ``(name, value)`` pairs.

    Examples:
        >>> from rnninit.spec import PresetCall
        >>> call = PresetCall.make("chrono", t_max=100)
        >>> str(call), call.to_config()
        ('chrono(t_max=100.0)', {'name': 'chrono', 't_max': 100.0})
        >>> from rnninit import CELL_KINDS
        >>> entries = call.build(CELL_KINDS["lstm"])
        >>> str(entries[("bias", "f")]), str(entries[("hh", None)])
        ('chrono(t_max=100.0)', 'torch_default')
    """

    name: str
    kwargs: tuple[tuple[str, float], ...] = ()

    @classmethod
    def make(cls, name: str, *args: Any, **kwargs: Any) -> PresetCall:
        """Bind a preset's arguments by position or name, as ``name(*args, **kwargs)`` would.

        Args:
            name: The preset's name (`PRESETS` lists them).
            *args: Its arguments by position.
            **kwargs: Its arguments by name.

        Returns:
            The call, with the arguments that equal the defaults left out.

        Raises:
            SpecError: An unknown preset, an unknown or repeated argument, or a bad value.

        Examples:
            >>> from rnninit.spec import PresetCall
            >>> PresetCall.make("chrono", 100.0) == PresetCall("chrono", (("t_max", 100.0),))
            True
        """
        merged = check_preset_args(name, args, kwargs)
        defaults = {k: p.default for k, p in PRESETS[name].parameters().items()}
        kept = tuple((k, v) for k, v in merged.items() if v != defaults.get(k))
        return cls(name, kept)

    def build(self, kind: CellKind) -> dict[Key, Init]:
        """The entries this preset gives a cell kind.

        Args:
            kind: The cell kind to build for.

        Returns:
            ``(role, gate) -> Init`` (``gate`` is ``None`` for a role-wide entry).

        Raises:
            SpecError: The preset does not apply to this kind of cell.
        """
        return PRESETS[self.name].build(kind, **dict(self.kwargs))

    def __str__(self) -> str:
        if not self.kwargs:
            return self.name
        return f"{self.name}(" + ", ".join(f"{k}={v!r}" for k, v in self.kwargs) + ")"

    def to_config(self) -> dict[str, Any]:
        """The call as plain data: ``{"name": ..., **kwargs}`` (what `Spec.to_dict` writes)."""
        return {"name": self.name, **dict(self.kwargs)}


@dataclass(frozen=True)
class Resolved:
    """A spec resolved against one cell kind: what each ``(role, gate)`` gets.

    The result of `Spec.resolve`: the preset expanded, gate aliases made canonical, every entry
    checked against the cell kind.

    Attributes:
        kind: The cell kind resolved against.
        entries: Role-wide entries under ``(role, None)`` and per-gate ones under ``(role, gate)``
            with canonical gate names.

    Examples:
        >>> from rnninit import Spec
        >>> resolved = Spec.parse("hh=orthogonal bias=zeros bias[f]=1.0").resolve("lstm")
        >>> init, per_gate = resolved.lookup("bias", "f")
        >>> str(init), per_gate
        ('constant(1.0)', True)
        >>> str(resolved.lookup("bias", "i")[0]), sorted(resolved.roles())
        ('zeros', ['bias', 'hh'])
    """

    kind: CellKind
    entries: Mapping[Key, Init]

    def lookup(self, role: str, gate: str | None) -> tuple[Init | None, bool]:
        """The init for a block and whether it came from a per-gate entry.

        Args:
            role: The block's role (``"ih"``, ``"hh"``, ``"bias"``, ...).
            gate: Its canonical gate name, or ``None`` for an ungated role.

        Returns:
            ``(init, per_gate)``: the per-gate entry if there is one, else the role-wide entry
            (``None`` if neither), and whether it was the per-gate one.
        """
        if gate is not None and (role, gate) in self.entries:
            return self.entries[(role, gate)], True
        return self.entries.get((role, None)), False

    def roles(self) -> set[str]:
        """The roles this resolution has an entry for."""
        return {role for role, _ in self.entries}


class Spec:
    """Role/gate -> init, optionally on top of a preset: one declaration of a cell's initialization.

    Build one from a string, a dict, a file, or Python:

        Spec.parse("ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=1.0")
        Spec.parse("chrono(t_max=100) hh=orthogonal")      # a preset, then overrides
        Spec({"ih": Normal(std=0.5), "bias[f]": 1.0})
        Spec(ih="normal(std=0.5)", hh=Orthogonal())
        Spec.load("init.yaml")

    ``Spec.parse(str(s)) == s`` and ``Spec.from_dict(s.to_dict()) == s`` for every spec. A spec
    is immutable and hashable; ``a | b`` is ``a`` with ``b``'s entries overriding. A spec names
    roles and gates but no cell: `resolve` checks it against a cell kind.

    Args:
        entries: ``key -> init``, with keys ``"role"`` or ``"role[gate]"`` (or ``(role, gate)``
            tuples) and values an `Init`, an init string such as ``"normal(std=0.5)"``, a number
            (a constant) or an init's config dict.
        preset: A preset the entries override: a name such as ``"forget_bias"``, a call such as
            ``"chrono(t_max=100)"``, or a `PresetCall`.
        **roles: More entries, by role name.

    Raises:
        SpecError: A bad key, a key given twice, an init that cannot be built, or a fused init
            mixed with per-gate entries of the same role.

    Examples:
        >>> from rnninit import Spec
        >>> from rnninit.inits import Orthogonal
        >>> spec = Spec(ih="normal(std=0.5)", hh=Orthogonal(), bias="zeros")
        >>> spec
        Spec.parse('ih=normal(std=0.5) hh=orthogonal bias=zeros')
        >>> spec == Spec.parse(str(spec)) == Spec.from_dict(spec.to_dict())
        True
        >>> spec | "bias[f]=1.0"
        Spec.parse('ih=normal(std=0.5) hh=orthogonal bias=zeros bias[f]=constant(1.0)')
    """

    __slots__ = ("_entries", "_entry_positions", "_positions", "_preset", "_preset_position")

    def __init__(
        self,
        entries: Mapping[str, Any] | Mapping[Key, Any] | Mapping[str | Key, Any] | None = None,
        *,
        preset: str | PresetCall | None = None,
        **roles: Any,
    ):
        merged: dict[Key, Init] = {}
        for raw_key, value in [*(entries or {}).items(), *roles.items()]:
            key = raw_key if isinstance(raw_key, tuple) else parse_key(raw_key)
            if (
                len(key) != 2
                or not isinstance(key[0], str)
                or not (key[1] is None or isinstance(key[1], str))
            ):
                raise SpecError(f"invalid spec key {shown(raw_key)}; write 'role' or 'role[gate]'")
            if key in merged:
                raise SpecError(f"'{format_key(key)}' is given twice", token=format_key(key))
            try:
                merged[key] = init_from_config(value)
            except SpecError as exc:  # say which entry of a dict or file is wrong
                raise SpecError(
                    f"'{format_key(key)}': {exc.message}", token=exc.token, position=exc.position
                ) from None
        self._entries = dict(sorted(merged.items(), key=lambda kv: _sort_key(kv[0])))
        # where each entry (its role) and each key (its gate, for per-gate keys) was written
        self._entry_positions: dict[Key, int] = {}
        self._positions: dict[Key, int] = {}
        self._preset_position: int | None = None
        if isinstance(preset, str):
            preset = _preset_from_text(preset)
        self._preset = preset
        _check_fused(self._entries)

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Spec:
        """Parse the one-line form, e.g. ``"ih=normal(std=0.5) hh=orthogonal bias[f]=1.0"``.

        The grammar is in ``docs/spec-language.md``: an optional preset, then ``key=init``
        entries separated by spaces.

        Args:
            text: The spec's text.

        Returns:
            The spec.

        Raises:
            SpecError: A syntax error, an unknown init or argument, a bad value, or a ``?`` (a
                free argument: tune the family first, `SpecFamily`, `rnninit.tune`). The error's
                ``position`` points into ``text``.

        Examples:
            >>> from rnninit import Spec, SpecError
            >>> Spec.parse("chrono(t_max=100) hh=orthogonal").preset
            PresetCall(name='chrono', kwargs=(('t_max', 100.0),))
            >>> try:
            ...     Spec.parse("hh=orthgonal")
            ... except SpecError as exc:
            ...     print(exc.position)
            3
        """
        parsed = parse(text)
        reject_free(parsed)
        return cls._from_parsed(parsed)

    @classmethod
    def _from_parsed(cls, parsed: Parsed) -> Spec:
        """The spec of a parsed text without free arguments (positions kept for error messages)."""
        preset = None
        if parsed.preset is not None:
            preset = _preset_from_call(parsed.preset)
        entries: dict[Key, Init] = {}
        positions: dict[Key, int] = {}
        entry_positions: dict[Key, int] = {}
        for entry in parsed.entries:
            init = build_init(entry.value)
            gates = entry.gates or ((None, entry.pos),)
            for gate, pos in gates:
                key = (entry.role, gate)
                if key in entries:
                    raise SpecError(
                        f"'{format_key(key)}' is given twice", token=gate or entry.role, position=pos
                    )
                entries[key] = init
                positions[key] = pos
                entry_positions[key] = entry.pos
        _check_fused(entries, entry_positions)
        spec = cls(entries, preset=preset)
        spec._positions = positions
        spec._entry_positions = entry_positions
        spec._preset_position = parsed.preset.pos if parsed.preset is not None else None
        return spec

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spec:
        """Build a spec from plain data: the inverse of `to_dict`.

        Args:
            data: ``key -> init`` (an init's config dict, an init string, or a number) and
                optionally ``"preset"`` (a name or ``{"name": ..., **arguments}``).

        Returns:
            The spec.

        Raises:
            SpecError: ``data`` is not a mapping, a bad preset, a free argument, or a bad entry.

        Examples:
            >>> from rnninit import Spec
            >>> Spec.from_dict({"preset": "forget_bias", "hh": "orthogonal"})
            Spec.parse('forget_bias hh=orthogonal')
        """
        if not isinstance(data, Mapping):
            raise SpecError(f"a spec dict must be a mapping of role to init, got {type(data).__name__}")
        _reject_free_values(data)
        entries = dict(data)
        preset = entries.pop("preset", None)
        if preset is not None and not isinstance(preset, (str, Mapping)):
            raise SpecError(f"'preset' must be a name or a dict with 'name', got {shown(preset)}")
        if isinstance(preset, Mapping):
            if not isinstance(preset.get("name"), str):
                raise SpecError(f"a preset dict needs a 'name' string, got {shown(dict(preset))}")
            args = {k: v for k, v in preset.items() if k != "name"}
            preset = PresetCall.make(preset["name"], **args)
        return cls(entries, preset=preset)

    @classmethod
    def load(cls, path: str | Path) -> Spec:
        """Read a spec from a YAML or JSON file (a mapping, or a one-line spec string).

        YAML is read safely (plain data only), ``1e-3`` is a number, and nesting is bounded
        (`rnninit.datafile`). A mapping with the one key ``spec`` holds the spec under it.

        Args:
            path: The file.

        Returns:
            The spec.

        Raises:
            SpecError: The file cannot be read or parsed, or does not hold a spec.

        Examples:
            >>> import pathlib, tempfile
            >>> from rnninit import Spec
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "init.yaml"
            >>> _ = path.write_text("hh: orthogonal\\nbias[f]: 1.0\\n")
            >>> Spec.load(path)
            Spec.parse('hh=orthogonal bias[f]=constant(1.0)')
        """
        from rnninit.datafile import load_data_file

        data = load_data_file(path, what="spec file", error=SpecError)
        if isinstance(data, str):
            return cls.parse(data)
        if isinstance(data, Mapping) and set(data) == {"spec"}:
            return cls.coerce(data["spec"])
        if not isinstance(data, Mapping):
            raise SpecError(
                f"spec file {shown(str(path))} must hold a mapping of role to init or a spec string, "
                f"not a {type(data).__name__}"
            )
        return cls.from_dict(data)

    @classmethod
    def coerce(cls, spec: SpecLike) -> Spec:
        """Accept a `Spec`, a spec string, a preset name or a dict: what every ``spec`` argument takes.

        Args:
            spec: The spec, in any of those forms.

        Returns:
            ``spec`` itself if it is a `Spec`, else the spec it describes.

        Raises:
            SpecError: ``spec`` does not describe a spec, or is a `SpecFamily` with free
                arguments (tune it first).

        Examples:
            >>> from rnninit import Spec
            >>> Spec.coerce("forget_bias") == Spec.coerce({"preset": "forget_bias"})
            True
        """
        if isinstance(spec, Spec):
            return spec
        if isinstance(spec, str):
            return cls.parse(spec)
        if isinstance(spec, Mapping):
            return cls.from_dict(spec)
        if hasattr(spec, "free_arguments"):  # a SpecFamily (imported lazily: it builds on this module)
            names = ", ".join(a.name for a in spec.free_arguments)
            raise SpecError(
                f"'{spec}' is a spec family with free arguments ({names}), not a spec: tune it first "
                "(rnninit.tune(family, cell=..., hidden=..., T=...).spec, or `rnninit tune`) and use the "
                "spec it returns"
            )
        raise SpecError(f"expected a Spec, a spec string, a preset name or a dict, got {type(spec).__name__}")

    # -- views --------------------------------------------------------------------------------
    @property
    def preset(self) -> PresetCall | None:
        """The preset this spec's entries override, if any."""
        return self._preset

    @property
    def entries(self) -> Mapping[Key, Init]:
        """This spec's own entries (not the preset's), ``(role, gate) -> Init``, in canonical order."""
        return dict(self._entries)

    def __iter__(self) -> Iterator[Key]:
        return iter(self._entries)

    def __getitem__(self, key: str | Key) -> Init:
        key = key if isinstance(key, tuple) else parse_key(key)
        return self._entries[key]

    def __str__(self) -> str:
        parts = [str(self._preset)] if self._preset else []
        parts += [f"{format_key(k)}={v}" for k, v in self._entries.items()]
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"Spec.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Spec):
            return NotImplemented
        return self._preset == other._preset and self._entries == other._entries

    def __hash__(self) -> int:
        return hash((self._preset, tuple(self._entries.items())))

    def __or__(self, other: SpecLike) -> Spec:
        """``a | b``: ``b``'s entries override ``a``'s (and ``b``'s preset, if any, replaces ``a``'s)."""
        other = Spec.coerce(other)
        merged = dict(self._entries)
        for key, value in other._entries.items():
            if key[1] is None:
                merged = {k: v for k, v in merged.items() if k[0] != key[0]}
        merged.update(other._entries)
        return Spec(merged, preset=other._preset or self._preset)

    def __ror__(self, other: SpecLike) -> Spec:
        """``"ih=normal" | spec``: a string, preset name or dict on the left works too."""
        return Spec.coerce(other) | self

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (YAML/JSON-ready); `from_dict` reads it back.

        Examples:
            >>> from rnninit import Spec
            >>> Spec.parse("forget_bias hh=orthogonal").to_dict()
            {'preset': {'name': 'forget_bias'}, 'hh': {'name': 'orthogonal'}}
        """
        data: dict[str, Any] = {}
        if self._preset is not None:
            data["preset"] = self._preset.to_config()
        for key, init in self._entries.items():
            data[format_key(key)] = init.to_config()
        return data

    def to_json(self) -> str:
        """`to_dict` as a JSON string."""
        return json.dumps(self.to_dict())

    # -- resolution ------------------------------------------------------------------------------
    def resolve(self, kind: CellKind | str) -> Resolved:
        """Validate against a cell kind and expand the preset: what each role and gate gets.

        A role-wide entry replaces the preset's per-gate entries of that role; a per-gate entry
        overrides the role-wide one for its gate.

        Args:
            kind: A `CellKind` or its name (``"lstm"``, ``"gru"``, ...; see `CELL_KINDS`).

        Returns:
            What each ``(role, gate)`` of that kind gets.

        Raises:
            SpecError: An unknown cell kind name, a role or gate this kind does not have, or an
                init that does not fit its block (a fused init on an ungated role, for example).

        Examples:
            >>> from rnninit import Spec
            >>> resolved = Spec.parse("forget_bias hh=orthogonal").resolve("lstm")
            >>> str(resolved.entries[("bias", "f")])
            'constant(1.0)'
        """
        kind = cell_kind(kind)
        merged: dict[Key, Init] = {}
        if self._preset is not None:
            try:
                merged = dict(self._preset.build(kind))
            except SpecError as exc:
                if exc.position is not None or self._preset_position is None:
                    raise
                raise SpecError(exc.message, token=exc.token, position=self._preset_position) from None
        own: dict[Key, Init] = {}
        for (role_name, gate), init in self._entries.items():
            pos = self._positions.get((role_name, gate))
            entry_pos = self._entry_positions.get((role_name, gate))
            role = kind.role(role_name, position=entry_pos)
            key_gate = gate if gate is not None else role_name
            if gate is not None:
                gate = kind.canonical_gate(role, gate, position=pos)
            elif init.fused and not role.gated:
                raise SpecError(
                    f"{init} is fused, but role '{role.name}' of {kind.a_cell} has no gates to fuse",
                    token=format_key((role_name, None)),
                    position=pos,
                )
            if (role.name, gate) in own:
                raise SpecError(
                    f"'{format_key((role.name, gate))}' is given twice (once by a gate alias)",
                    token=key_gate,
                    position=pos,
                )
            own[(role.name, gate)] = init
            _check_entry(kind, role, gate, init, entry_pos)
        for key in own:
            if key[1] is None:  # a role-wide entry replaces the preset's per-gate entries
                merged = {k: v for k, v in merged.items() if k[0] != key[0]}
        merged.update(own)
        _check_fused(merged, {k: v for k, v in self._entry_positions.items() if k in merged})
        for (role_name, gate), init in merged.items():
            if (role_name, gate) not in own:
                _check_entry(kind, kind.role(role_name), gate, init, None)
        return Resolved(kind, merged)

    def resolve_for(self, kinds: Sequence[CellKind]) -> list[Resolved]:
        """Resolve against every cell kind of one model: one `Resolved` per item of ``kinds``.

        With one kind this is `resolve`. In a model that mixes kinds (an LSTM with ``proj_size``
        and a GRU), an entry naming a role or gate that only some of them have applies to those:
        ``bias[f]`` and ``proj`` to the LSTM, ``bias_hn`` to the GRU. An entry that fits none of them
        is the error `resolve` gives for it, so a typo is still caught.

        Args:
            kinds: The cell kinds of a model's cells, one per cell (repeats allowed).

        Returns:
            One `Resolved` per item of ``kinds``, in order.

        Raises:
            SpecError: An entry that fits none of the kinds, or what `resolve` raises.

        Examples:
            >>> from rnninit import Spec, CELL_KINDS
            >>> lstm, gru = Spec.parse("bias[f]=1.0").resolve_for([CELL_KINDS["lstm"], CELL_KINDS["gru"]])
            >>> sorted(lstm.entries), sorted(gru.entries)
            ([('bias', 'f')], [])
        """
        distinct = list({id(kind): kind for kind in kinds}.values())
        if not distinct:
            return []
        fits = {key: [kind for kind in distinct if _fits(key, kind)] for key in self._entries}
        for key, fitting in fits.items():
            if not fitting:
                self.resolve(distinct[0])  # raises the precise error for this entry
        by_kind: dict[int, Resolved] = {}
        for kind in distinct:
            keep = {key for key, fitting in fits.items() if any(k is kind for k in fitting)}
            by_kind[id(kind)] = self._restricted(keep).resolve(kind)
        return [by_kind[id(kind)] for kind in kinds]

    def _restricted(self, keys: set[Key]) -> Spec:
        """This spec with only the entries in ``keys`` (positions kept for error messages)."""
        if keys == set(self._entries):
            return self
        out = Spec({k: v for k, v in self._entries.items() if k in keys}, preset=self._preset)
        out._positions = self._positions
        out._entry_positions = self._entry_positions
        out._preset_position = self._preset_position
        return out


def _reject_free_values(data: Any, where: str = "") -> None:
    """A spec dict whose value is a free argument (``"?"``) is a family: say so, and to tune it."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            _reject_free_values(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, str) and data.strip().startswith("?"):
        raise SpecError(
            f"'{where}' is a free argument ('{data}'): this is a spec family, not a spec. Tune it first "
            "(rnninit.tune(SpecFamily.from_dict(...), ...), or `rnninit tune`) and use the spec it returns"
        )


def _fits(key: Key, kind: CellKind) -> bool:
    """Whether ``kind`` has the role (and gate) an entry names."""
    role_name, gate = key
    try:
        role = kind.role(role_name)
        if gate is not None:
            kind.canonical_gate(role, gate)
    except SpecError:
        return False
    return True


SpecLike = Union[Spec, str, Mapping[str, Any]]
"""What every ``spec`` argument accepts: a `Spec`, a spec string or preset name, or a dict (`Spec.coerce`)."""


def _check_fused(entries: Mapping[Key, Init], positions: Mapping[Key, int] | None = None) -> None:
    for (role, gate), init in entries.items():
        if gate is None and init.fused:
            gated = [k for k in entries if k[0] == role and k[1] is not None]
            if gated:
                raise SpecError(
                    f"'{role}={init}' is fused over all gates, so it cannot be combined with "
                    f"per-gate entries ({', '.join(map(format_key, gated))}); "
                    "drop fused=true or the per-gate entries",
                    token=format_key(gated[0]),
                    position=(positions or {}).get(gated[0]),
                )


def _check_entry(kind: CellKind, role: RoleDef, gate: str | None, init: Init, position: int | None) -> None:
    """Check what can be checked of ``init`` on ``role``/``gate`` before any sizes are known.

    A representative block (every size 2, so square blocks stay square) goes through
    `Init.validate`: the init's block kind (orthogonal needs a matrix), chrono's gate rules,
    fused on a single gate. Checks that need real sizes (identity on a non-square block) happen
    when the plan is made, still before anything is written.
    """
    fused = init.fused and gate is None and role.gated
    rows = 2 * len(kind.gates) if fused else 2
    block = Block(
        role=role.name,
        gate=gate if gate is not None or fused or not role.gated else kind.gates[0],
        shape=(rows, 2) if role.form == "matrix" else (rows,),
        form=role.form,
        hidden_size=2,
        gates=kind.gates,
        gate_semantics=kind.gate_semantics,
        fused=fused,
        from_gate_entry=gate is not None,
    )
    try:
        init.validate(block)
    except SpecError as exc:
        # the representative block's sizes are not the cell's: leave them out of the message
        message = exc.message.replace(f" of shape {block.shape}", "")
        where = format_key((role.name, gate))
        raise SpecError(f"{where}={init}: {message}", token=where, position=position) from None


def _preset_from_call(call: Call) -> PresetCall:
    for value in (*call.args, *(v for _, v in call.kwargs)):
        if isinstance(value, Call):
            raise SpecError(
                f"preset {call.name} takes numbers, got '{value.name}'", token=value.name, position=value.pos
            )
    try:
        return PresetCall.make(call.name, *call.args, **dict(call.kwargs))
    except SpecError as exc:
        found = PRESETS.get(call.name)
        raise locate_error(exc, call, list(found.parameters()) if found else []) from None


def _preset_from_text(text: str) -> PresetCall:
    parsed = parse(text)
    if parsed.entries or parsed.preset is None:
        raise SpecError(f"expected a preset such as 'chrono(t_max=100)', got {text!r}", token=text)
    return _preset_from_call(parsed.preset)


__all__ = ["Key", "PresetCall", "Resolved", "Spec", "SpecLike", "format_key", "parse_key"]
