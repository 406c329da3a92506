"""Spec families: specs with free arguments (``?``) that `rnninit.tune` fills in.

::

    family = SpecFamily.parse("ih=normal(std=1.0) hh=normal(std=?) bias=zeros")
    family.free_arguments          # (FreeArgument(name='hh.std', low=0.001, high=10.0, ...),)
    family.fill({"hh.std": 0.125}) # Spec.parse("ih=normal(std=1.0) hh=normal(std=0.125) bias=zeros")

A free argument is ``?`` or ``?[low, high]`` in place of a real-valued argument of an init
(``normal(std=?)``, ``orthogonal(gain=?[0.5, 2])``, ``bias[f]=?`` for ``constant(value=?)``) or of a
preset (``chrono(t_max=?)``, ``irnn(std=?)``, ``forget_bias(value=?)``). A family parses,
round-trips (``SpecFamily.parse(str(f)) == f``, ``SpecFamily.from_dict(f.to_dict()) == f``) and
reports errors with their position like a `Spec`; it is not a spec, and
``apply``/``audit`` refuse it with an error that says to tune it first.

Each free argument is named ``<key>.<argument>`` (``hh.std``, ``bias[f].value``,
``hh.base.std`` inside ``spectral(base=normal(std=?))``) or ``<preset>.<argument>``
(``chrono.t_max``). Without bounds it gets the default range of its argument
(`DEFAULT_BOUNDS`); a range with ``low > 0`` is searched on a log scale.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnninit.arguments import is_number
from rnninit.errors import SpecError
from rnninit.spec.parse import Call, Entry, Free, Parsed, free_arguments, parse
from rnninit.spec.presets import PRESETS
from rnninit.spec.spec import Spec, _sort_key

DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "std": (1e-3, 10.0),
    "gain": (1e-3, 10.0),
    "radius": (1e-3, 10.0),
    "t_max": (3.0, 1e4),
    "value": (-10.0, 10.0),
    "mean": (-10.0, 10.0),
    "low": (-10.0, 10.0),
    "high": (-10.0, 10.0),
}
"""Search range of a free argument written without bounds, by argument name. Scales (std, gain, radius) span
four decades around the usual ~1/sqrt(fan) and ~1 values; t_max spans 3 to 10⁴ steps (chrono needs > 2);
additive values (biases, means, bounds of a uniform) span [-10, 10].
"""


@dataclass(frozen=True)
class FreeArgument:
    """One ``?`` of a family: its name, the init or preset it belongs to, its search range.

    ``log``: searched on a log scale (the range is positive). ``bounded``: the range was written
    (``?[low, high]``) rather than taken from `DEFAULT_BOUNDS`. ``position``: offset of the
    ``?`` in the family's text (``None`` for a family built from a dict).

    `SpecFamily.free_arguments` lists them; a family's text, not this class, makes them.

    Attributes:
        name: ``<key>.<argument>`` (``hh.std``, ``bias[f].value``, ``hh.base.std``) or
            ``<preset>.<argument>`` (``chrono.t_max``): the name `SpecFamily.fill` takes.
        owner: The init or preset the argument belongs to (``"normal"``, ``"chrono"``).
        argument: The argument's name in it (``"std"``).
        low: The lower end of the search range.
        high: The upper end, ``high > low``.
        log: Searched on a log scale (``low > 0``).
        bounded: The range was written (``?[low, high]``), not taken from `DEFAULT_BOUNDS`.
        position: Offset of the ``?`` in the family's text, ``None`` for a family built from a dict;
            not compared.

    Examples:
        >>> from rnninit.spec import SpecFamily
        >>> family = SpecFamily.parse("hh=orthogonal(gain=?) bias[f]=?[-1, 3]")
        >>> gain, forget = family.free_arguments
        >>> gain.name, gain.low, gain.high, gain.log, gain.representative
        ('hh.gain', 0.001, 10.0, True, 0.1)
        >>> forget.name, forget.owner, forget.bounded, forget.log, forget.representative
        ('bias[f].value', 'constant', True, False, 1.0)
    """

    name: str
    owner: str
    argument: str
    low: float
    high: float
    log: bool
    bounded: bool
    position: int | None = dataclasses.field(default=None, compare=False)

    @property
    def representative(self) -> float:
        """The middle of the range (geometric on a log scale): the point a family is validated at."""
        if self.log:
            return math.sqrt(self.low * self.high)
        return (self.low + self.high) / 2.0

    def to_dict(self) -> dict[str, Any]:
        """The argument as plain data (``scale`` is ``"log"`` or ``"linear"``; no ``position``)."""
        return {
            "name": self.name,
            "owner": self.owner,
            "argument": self.argument,
            "low": self.low,
            "high": self.high,
            "scale": "log" if self.log else "linear",
            "bounded": self.bounded,
        }


def _arg_names(owner: str, is_preset: bool) -> list[str]:
    if is_preset:
        found = PRESETS.get(owner)
        return list(found.parameters()) if found else []
    from rnninit.inits import INITS

    cls = INITS.get(owner)
    return list(cls.arg_names()) if cls else []


def _arg_type(owner: str, argument: str, is_preset: bool) -> str | None:
    """The declared type of an argument ('float', 'int', 'bool', 'Init', …), ``None`` if unknown."""
    if is_preset:
        return "float" if argument in _arg_names(owner, True) else None
    from rnninit.inits import INITS

    cls = INITS.get(owner)
    if cls is None:
        return None
    for f in dataclasses.fields(cls):
        if f.name == argument:
            return str(f.type)
    return None


def _named_args(call: Call, is_preset: bool) -> list[tuple[str, Any]]:
    """``call``'s arguments as (name, value), positional ones named by their slot where known."""
    names = _arg_names(call.name, is_preset)
    out = []
    for i, value in enumerate(call.args):
        out.append((names[i] if i < len(names) else f"arg{i}", value))
    out.extend(call.kwargs)
    return out


def _canonical_args(call: Call, is_preset: bool) -> list[tuple[str, Any]]:
    """`_named_args` in the owner's declared argument order (so the written order, or a YAML
    dump's sorted keys, do not change the canonical text)."""
    order = {name: i for i, name in enumerate(_arg_names(call.name, is_preset))}
    return sorted(_named_args(call, is_preset), key=lambda kv: order.get(kv[0], len(order)))


def _entry_key(entry: Entry) -> str:
    if not entry.gates:
        return entry.role
    return f"{entry.role}[{','.join(g for g, _ in entry.gates)}]"


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Free):
        return str(value)
    if isinstance(value, Call):
        args = _canonical_args(value, False)
        if not args:
            return value.name
        return f"{value.name}(" + ", ".join(f"{k}={_render(v)}" for k, v in args) + ")"
    return str(value)


def _render_value(call: Call) -> str:
    """An entry's value: a bare number or ``?`` for a one-argument constant, else the call."""
    if call.name == "constant" and len(call.args) == 1 and not call.kwargs:
        return _render(call.args[0])
    return _render(call)


def _config(value: Any, is_preset: bool = False) -> Any:
    if isinstance(value, Free):
        return str(value)
    if isinstance(value, Call):
        return {"name": value.name, **{k: _config(v) for k, v in _canonical_args(value, is_preset)}}
    return value


def _substitute(value: Any, values: Mapping[int, float]) -> Any:
    """``value`` with each `Free` replaced by ``values[free.pos]``."""
    if isinstance(value, Free):
        return values[value.pos]
    if isinstance(value, Call):
        return dataclasses.replace(
            value,
            args=tuple(_substitute(v, values) for v in value.args),
            kwargs=tuple((k, _substitute(v, values)) for k, v in value.kwargs),
        )
    return value


class SpecFamily:
    """A spec with free arguments. Build one with `parse`, `from_dict` or `load`;
    `fill` gives the `Spec` at a point; `rnninit.tune` chooses the point.

    A free argument is written ``?`` (its default range, `DEFAULT_BOUNDS`) or ``?[low, high]``
    in place of an init's or a preset's argument. A family is checked when it is built: its
    structure at the middle of every range, and each bound on its own, so every point of the
    ranges is a valid spec.

    Args:
        parsed: The parsed family text (the constructors give it).
        positions: Whether the free arguments keep their offsets in the text (for error
            messages).

    Raises:
        SpecError: No free argument, a malformed family, a free argument with no default range,
            or a bound the init or preset rejects.

    Examples:
        >>> from rnninit import SpecFamily
        >>> family = SpecFamily.parse("ih=normal(std=1.0) hh=normal(std=?[0.01, 1])")
        >>> family.names, str(family.fill([0.1]))
        (('hh.std',), 'ih=normal hh=normal(std=0.1)')
    """

    __slots__ = ("_free", "_parsed")

    def __init__(self, parsed: Parsed, *, positions: bool = True):
        self._parsed = parsed
        self._free = self._collect(parsed, positions)
        if not self._free:
            raise SpecError(
                f"'{self}' has no free argument ('?'): it is a spec, and there is nothing to tune "
                "(write e.g. hh=normal(std=?) to let rnninit choose the std)"
            )
        middle = [a.representative for a in self._free]
        self.fill(middle)  # the family's structure (roles, inits, presets) is checked here
        for i, arg in enumerate(self._free):  # and every bound must be a value the argument accepts
            for which, bound in (("lower", arg.low), ("upper", arg.high)):
                try:
                    self.fill([*middle[:i], bound, *middle[i + 1 :]])
                except SpecError as exc:
                    raise SpecError(
                        f"free argument '{arg.name}': its {which} bound {bound!r} is not a valid value "
                        f"({exc.message}); give bounds inside the valid range, "
                        f"e.g. {arg.argument}=?[low, high]",
                        token="?",
                        position=arg.position,
                    ) from None

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> SpecFamily:
        """Parse the one-line form, e.g. ``"ih=normal(std=1.0) hh=normal(std=?[0.01, 1])"``.

        Args:
            text: The family in the spec language, with ``?`` for each free argument.

        Returns:
            The family.

        Raises:
            SpecError: As for the class: malformed text, no ``?``, no range, or an invalid bound.
        """
        return cls(parse(text))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpecFamily:
        """Inverse of `to_dict`: values are init configs, init strings or numbers, and a free
        argument is the string ``"?"`` or ``"?[low, high]"``."""
        if not isinstance(data, Mapping):
            raise SpecError(
                f"a spec family dict must be a mapping of role to init, got {type(data).__name__}"
            )
        parts: list[str] = []
        for key, value in data.items():
            if key == "preset":
                parts.insert(0, _dict_call(value, "preset"))
            else:
                if not isinstance(key, str):
                    raise SpecError(
                        f"a spec family key must be a string such as 'hh' or 'bias[f]', got {key!r}"
                    )
                parts.append(f"{key}={_dict_call(value, key)}")
        text = " ".join(parts)
        try:
            return cls(parse(text), positions=False)
        except SpecError as exc:
            raise SpecError(
                f"in the spec family dict (read as '{text}'): {exc.message}", token=exc.token
            ) from None

    @classmethod
    def load(cls, path: str | Path) -> SpecFamily:
        """Read a family from a YAML or JSON file: a one-line string, ``{"family": "..."}``, or a dict."""
        import yaml

        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise SpecError(f"cannot read spec family file {str(path)!r}: {exc.strerror}") from None
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise SpecError(f"spec family file {str(path)!r} is not valid: {exc}") from None
        if isinstance(data, Mapping) and set(data) == {"family"}:
            data = data["family"]
        if isinstance(data, str):
            return cls.parse(data)
        if isinstance(data, Mapping):
            return cls.from_dict(data)
        raise SpecError(
            f"spec family file {str(path)!r} must hold a family string or a mapping of role to init"
        )

    @classmethod
    def coerce(cls, family: SpecFamily | str | Mapping[str, Any]) -> SpecFamily:
        """Accept a `SpecFamily`, a family string or a family dict."""
        if isinstance(family, SpecFamily):
            return family
        if isinstance(family, str):
            return cls.parse(family)
        if isinstance(family, Mapping):
            return cls.from_dict(family)
        if isinstance(family, Spec):
            raise SpecError(
                f"'{family}' is a Spec with no free argument; write '?' where rnninit should choose"
            )
        raise SpecError(f"expected a spec family (a string with '?', or a dict), got {type(family).__name__}")

    @staticmethod
    def is_family(text: str) -> bool:
        """Whether ``text`` parses and has at least one free argument ``?``."""
        try:
            return bool(free_arguments(parse(text)))
        except SpecError:
            return False

    # -- views --------------------------------------------------------------------------------
    @property
    def free_arguments(self) -> tuple[FreeArgument, ...]:
        return self._free

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self._free)

    def fill(self, values: Mapping[str, float] | Sequence[float]) -> Spec:
        """The `Spec` with every free argument set: ``values`` by name, or in the order of
        `free_arguments`. A value the init or preset rejects is a `SpecError`.

        Args:
            values: One finite number per free argument: a dict by `names`, or a sequence in the
                order of `free_arguments`.

        Returns:
            The spec at that point.

        Raises:
            SpecError: A value missing, extra or not finite, an unknown name, or a value the init
                or preset rejects.

        Examples:
            >>> from rnninit import SpecFamily
            >>> str(SpecFamily.parse("hh=orthogonal(gain=?[0.5, 2])").fill({"hh.gain": 1.5}))
            'hh=orthogonal(gain=1.5)'
        """
        if isinstance(values, Mapping):
            unknown = [k for k in values if k not in self.names]
            if unknown:
                raise SpecError(
                    f"'{unknown[0]}' is not a free argument of '{self}'; "
                    f"its free arguments: {', '.join(self.names)}"
                )
            missing = [n for n in self.names if n not in values]
            if missing:
                raise SpecError(f"no value for free argument '{missing[0]}' of '{self}'")
            ordered = [values[n] for n in self.names]
        else:
            ordered = list(values)
            if len(ordered) != len(self._free):
                raise SpecError(f"'{self}' has {len(self._free)} free arguments, got {len(ordered)} values")
        for arg, value in zip(self._free, ordered, strict=True):
            if not is_number(value) or not math.isfinite(value):
                raise SpecError(f"free argument '{arg.name}' needs a finite number, got {value!r}")
        by_pos = {free.pos: float(v) for free, v in zip(self._frees(), ordered, strict=True)}
        preset = _substitute(self._parsed.preset, by_pos) if self._parsed.preset is not None else None
        entries = tuple(
            dataclasses.replace(e, value=_substitute(e.value, by_pos)) for e in self._parsed.entries
        )
        return Spec._from_parsed(Parsed(preset, entries))

    def __str__(self) -> str:
        parts = []
        preset = self._parsed.preset
        if preset is not None:
            args = _canonical_args(preset, True)
            parts.append(
                preset.name + (f"({', '.join(f'{k}={_render(v)}' for k, v in args)})" if args else "")
            )
        for entry in sorted(
            self._parsed.entries, key=lambda e: _sort_key((e.role, e.gates[0][0] if e.gates else None))
        ):
            parts.append(f"{_entry_key(entry)}={_render_value(entry.value)}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"SpecFamily.parse({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpecFamily):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self._parsed.preset is not None:
            data["preset"] = _config(self._parsed.preset, is_preset=True)
        for entry in sorted(
            self._parsed.entries, key=lambda e: _sort_key((e.role, e.gates[0][0] if e.gates else None))
        ):
            value = entry.value
            bare = value.name == "constant" and len(value.args) == 1 and not value.kwargs
            data[_entry_key(entry)] = _config(value.args[0]) if bare else _config(value)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    # -- internals -------------------------------------------------------------------------------
    def _frees(self) -> list[Free]:
        return free_arguments(self._parsed)

    @staticmethod
    def _collect(parsed: Parsed, positions: bool) -> tuple[FreeArgument, ...]:
        found: list[tuple[int, FreeArgument]] = []

        def walk(call: Call, prefix: str, is_preset: bool) -> None:
            for argument, value in _named_args(call, is_preset):
                if isinstance(value, Call):
                    walk(value, f"{prefix}.{argument}", False)
                elif isinstance(value, Free):
                    name = f"{prefix}.{argument}"
                    found.append(
                        (value.pos, _free_argument(value, call.name, argument, name, is_preset, positions))
                    )

        if parsed.preset is not None:
            walk(parsed.preset, parsed.preset.name, True)
        for entry in parsed.entries:
            walk(entry.value, _entry_key(entry), False)
        found.sort(key=lambda item: item[0])  # text order, which fill() relies on
        names = [a.name for _, a in found]
        for name in names:
            if names.count(name) > 1:
                raise SpecError(f"free argument '{name}' is written twice", token=name)
        return tuple(a for _, a in found)


def _free_argument(
    free: Free, owner: str, argument: str, name: str, is_preset: bool, positions: bool
) -> FreeArgument:
    where = free.pos if positions else None
    kind = "preset" if is_preset else "init"
    declared = _arg_type(owner, argument, is_preset)
    if declared is not None and declared != "float":
        what = {
            "bool": "true or false",
            "int": "an integer",
            "int | None": "an integer",
            "Init": "an init",
        }.get(declared, declared)
        raise SpecError(
            f"'{argument}' of {kind} {owner} takes {what}, so it cannot be a free argument "
            "(only real-valued arguments such as std, gain, value or t_max can be '?')",
            token="?",
            position=where,
        )
    if free.low is not None and free.high is not None:  # written together (?[low, high]) or not at all
        low, high, bounded = float(free.low), float(free.high), True
    elif argument in DEFAULT_BOUNDS:
        low, high = DEFAULT_BOUNDS[argument]
        bounded = False
    else:
        raise SpecError(
            f"free argument '{name}' has no default range: give one, e.g. {argument}=?[0.1, 10]",
            token="?",
            position=where,
        )
    return FreeArgument(name, owner, argument, low, high, low > 0, bounded, where)


def _dict_call(value: Any, where: str) -> str:
    """One value of a family dict as spec text (a config dict becomes ``name(k=v, ...)``)."""
    if isinstance(value, bool):
        raise SpecError(f"'{where}': an init must be a name, a number, '?' or a dict, got {value!r}")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        name = value.get("name")
        if not isinstance(name, str):
            raise SpecError(f"'{where}': an init or preset dict needs a 'name' string, got {dict(value)!r}")
        args = [f"{k}={_dict_arg(v, where)}" for k, v in value.items() if k != "name"]
        return f"{name}({', '.join(args)})" if args else name
    raise SpecError(f"'{where}': an init must be a name, a number, '?' or a dict, got {type(value).__name__}")


def _dict_arg(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return _dict_call(value, where)
    if isinstance(value, (int, float, str)):
        return repr(value) if not isinstance(value, str) else value
    raise SpecError(f"'{where}': an argument must be a number, true/false, '?' or an init, got {value!r}")


__all__ = ["DEFAULT_BOUNDS", "FreeArgument", "SpecFamily"]
