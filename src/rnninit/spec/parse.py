"""The spec string language: tokenizer and recursive-descent parser.

Grammar (whitespace separates items at the top level and is otherwise ignored)::

    spec     := item ((';')* item)*
    item     := preset | entry
    preset   := NAME [ '(' args ')' ]                       e.g. chrono(t_max=100)
    entry    := NAME [ '[' NAME (',' NAME)* ']' ] '=' value e.g. bias[i,f]=constant(1.0)
    value    := NUMBER | free | NAME [ '(' args ')' ]       a bare number means constant(NUMBER)
    args     := [ arg (',' arg)* ]
    arg      := [ NAME '=' ] argvalue
    argvalue := NUMBER | free | 'true' | 'false' | NAME [ '(' args ')' ]
    free     := '?' [ '[' NUMBER ',' NUMBER ']' ]             a free argument, e.g. std=?[0.01,2]

A ``?`` makes the text a spec *family* (`rnninit.spec.family.SpecFamily`), whose free
arguments ``rnninit.tune`` fills in; `Spec.parse` rejects it, saying so.

Every failure is a `SpecError` naming the token and its position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rnninit.errors import SpecError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[=()\[\],;?])
    """,
    re.VERBOSE,
)

#: How deeply calls may nest (``spectral(base=normal(...))`` is depth 2); deeper is an error, not a crash.
MAX_DEPTH = 16

#: Bare words that stand for non-finite numbers; they parse as numbers so the type check can reject them.
_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "infinity": float("inf")}


@dataclass(frozen=True)
class Token:
    kind: str  # 'number', 'name', 'punct', 'end'
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise SpecError(
                f"unexpected character {text[pos]!r} in spec; a spec looks like "
                "'ih=normal(std=0.5) hh=orthogonal bias[f]=1.0'",
                token=text[pos],
                position=pos,
            )
        kind = match.lastgroup
        assert kind is not None
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Free:
    """A free argument ``?`` (optionally bounded, ``?[low,high]``) at ``pos`` in the spec text."""

    low: float | None = None
    high: float | None = None
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        if self.low is None:
            return "?"
        return f"?[{self.low!r}, {self.high!r}]"


@dataclass(frozen=True)
class Call:
    """A parsed ``name(args)`` before it is checked against the init or preset registry."""

    name: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]
    pos: int
    #: Where each argument was written: (argument index or name, its source text, its position).
    spans: tuple[tuple[int | str, str, int], ...] = ()

    def locate(self, arg_names: tuple[str, ...] | list[str], arg: str | None) -> tuple[str, int] | None:
        """Source text and position of argument ``arg`` (by name, or by its positional slot)."""
        keyword_first = sorted(self.spans, key=lambda span: isinstance(span[0], int))
        for key, text, pos in keyword_first:
            named = arg_names[key] if isinstance(key, int) and key < len(arg_names) else key
            if named == arg:
                return text, pos
        return None


@dataclass(frozen=True)
class Entry:
    role: str
    gates: tuple[tuple[str, int], ...]  # (gate, position); empty for a role-wide entry
    value: Call
    pos: int


@dataclass(frozen=True)
class Parsed:
    preset: Call | None
    entries: tuple[Entry, ...]


class _Parser:
    def __init__(self, text: str):
        if not isinstance(text, str):
            raise SpecError(f"a spec string must be a str, got {type(text).__name__}")
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    # -- helpers --------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, text: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == text

    def expect(self, text: str, context: str) -> Token:
        if not self.at(text):
            found = self.tok.text or "end of spec"
            raise SpecError(
                f"expected '{text}' {context}, found '{found}'", token=found, position=self.tok.pos
            )
        return self.advance()

    def expect_name(self, context: str) -> Token:
        if self.tok.kind != "name":
            found = self.tok.text or "end of spec"
            raise SpecError(f"expected a name {context}, found '{found}'", token=found, position=self.tok.pos)
        return self.advance()

    # -- grammar --------------------------------------------------------------------------
    def spec(self) -> Parsed:
        preset: Call | None = None
        entries: list[Entry] = []
        while True:
            while self.at(";"):
                self.advance()
            if self.tok.kind == "end":
                break
            name = self.expect_name("at the start of an item (a role such as 'ih', or a preset)")
            if self.at("[") or self.at("="):
                entries.append(self.entry(name))
            else:
                call = self.call_rest(name)
                if preset is not None:
                    raise SpecError(
                        f"a spec takes at most one preset, found '{preset.name}' and '{call.name}' "
                        "(put overrides after the preset as role=init entries)",
                        token=call.name,
                        position=call.pos,
                    )
                if entries:
                    raise SpecError(
                        f"the preset '{call.name}' must come first, before role=init entries",
                        token=call.name,
                        position=call.pos,
                    )
                preset = call
        return Parsed(preset, tuple(entries))

    def entry(self, role: Token) -> Entry:
        gates: list[tuple[str, int]] = []
        if self.at("["):
            self.advance()
            while True:
                gate = self.expect_name(f"as a gate of role '{role.text}'")
                gates.append((gate.text, gate.pos))
                if self.at(","):
                    self.advance()
                    continue
                self.expect("]", "to close the gate list")
                break
        self.expect("=", f"after '{role.text}'")
        value = self.value(f"after '{role.text}='")
        return Entry(role.text, tuple(gates), value, role.pos)

    def value(self, context: str) -> Call:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Call("constant", (_number(tok),), (), tok.pos, ((0, tok.text, tok.pos),))
        if tok.kind == "punct" and tok.text == "?":  # a bare '?' is constant(?), as a bare number is
            free = self.free()
            text = self.text[tok.pos : self.tokens[self.i - 1].pos + 1]
            return Call("constant", (free,), (), tok.pos, ((0, text, tok.pos),))
        name = self.expect_name(f"(an init such as normal(std=0.1), or a number) {context}")
        return self.call_rest(name)

    def call_rest(self, name: Token) -> Call:
        args: list[Any] = []
        kwargs: list[tuple[str, Any]] = []
        spans: list[tuple[int | str, str, int]] = []
        if self.at("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise SpecError(
                    f"inits nest more than {MAX_DEPTH} deep at {name.text}(...)",
                    token=name.text,
                    position=name.pos,
                )
            self.advance()
            if not self.at(")"):
                while True:
                    start = self.tok.pos
                    if (
                        self.tok.kind == "name"
                        and self.tokens[self.i + 1].kind == "punct"
                        and self.tokens[self.i + 1].text == "="
                    ):
                        key = self.advance()
                        self.advance()
                        if any(k == key.text for k, _ in kwargs):
                            raise SpecError(
                                f"argument '{key.text}' given twice to {name.text}",
                                token=key.text,
                                position=key.pos,
                            )
                        kwargs.append((key.text, self.arg_value(name.text)))
                        slot: int | str = key.text
                    else:
                        if kwargs:
                            raise SpecError(
                                f"positional argument after keyword argument in {name.text}(...)",
                                token=self.tok.text,
                                position=self.tok.pos,
                            )
                        args.append(self.arg_value(name.text))
                        slot = len(args) - 1
                    end = self.tokens[self.i - 1]
                    spans.append((slot, self.text[start : end.pos + len(end.text)], start))
                    if self.at(","):
                        self.advance()
                        if self.at(")"):  # a trailing comma, as in Python
                            break
                        continue
                    break
            self.expect(")", f"to close {name.text}(...)")
            self.depth -= 1
        return Call(name.text, tuple(args), tuple(kwargs), name.pos, tuple(spans))

    def free(self) -> Free:
        """``?`` or ``?[low, high]``: a free argument and its optional bounds."""
        start = self.advance()
        if not self.at("["):
            return Free(pos=start.pos)
        self.advance()
        bounds = []
        for which in ("lower", "upper"):
            tok = self.tok
            if tok.kind != "number":
                found = tok.text or "end of spec"
                raise SpecError(
                    f"expected the {which} bound (a number) of a free argument ?[low, high], found '{found}'",
                    token=found,
                    position=tok.pos,
                )
            self.advance()
            value = float(_number(tok))
            if not math.isfinite(value):
                raise SpecError(
                    f"the {which} bound of a free argument must be finite, got {tok.text}",
                    token=tok.text,
                    position=tok.pos,
                )
            bounds.append(value)
            if which == "lower":
                self.expect(",", "between the bounds of a free argument ?[low, high]")
        self.expect("]", "to close the bounds of a free argument ?[low, high]")
        low, high = bounds
        if not low < high:
            raise SpecError(
                f"the bounds of a free argument must have low < high, got ?[{low!r}, {high!r}]",
                token="?",
                position=start.pos,
            )
        return Free(low, high, start.pos)

    def arg_value(self, owner: str) -> Any:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return _number(tok)
        if tok.kind == "punct" and tok.text == "?":
            return self.free()
        if tok.kind == "name":
            if tok.text in ("true", "false"):
                self.advance()
                return tok.text == "true"
            if tok.text.lower() in _NON_FINITE and not (self.tokens[self.i + 1].text == "("):
                self.advance()
                return _NON_FINITE[tok.text.lower()]
            name = self.advance()
            return self.call_rest(name)
        found = tok.text or "end of spec"
        raise SpecError(
            f"expected a value (a number, true/false, an init, or ? for a free argument) in {owner}(...), "
            f"found '{found}'",
            token=found,
            position=tok.pos,
        )


def _number(tok: Token) -> int | float:
    text = tok.text
    if re.fullmatch(r"[-+]?[0-9]+", text):
        if len(text) > 400:  # beyond any float; also keeps int() below Python's digit limit
            raise SpecError(
                "a number in a spec must be finite, got an integer too large for a float",
                token=text[:20] + "...",
                position=tok.pos,
            )
        return int(text)
    return float(text)


def parse(text: str) -> Parsed:
    """Parse a spec string into its syntax tree (no registry look-ups yet); free arguments (``?``)
    stay in the tree as `Free` values."""
    return _Parser(text).spec()


def free_arguments(parsed: Parsed) -> list[Free]:
    """Every `Free` in ``parsed``, in the order they were written."""
    found: list[Free] = []

    def walk(value: Any) -> None:
        if isinstance(value, Free):
            found.append(value)
        elif isinstance(value, Call):
            for item in (*value.args, *(v for _, v in value.kwargs)):
                walk(item)

    if parsed.preset is not None:
        walk(parsed.preset)
    for entry in parsed.entries:
        walk(entry.value)
    return sorted(found, key=lambda free: free.pos)


def reject_free(parsed: Parsed) -> None:
    """A `SpecError` at the first ``?``: a spec family cannot be used as a spec."""
    found = free_arguments(parsed)
    if found:
        raise SpecError(
            f"'{found[0]}' is a free argument: this is a spec family, not a spec. Tune it first "
            "(rnninit.tune(family, cell=..., hidden=..., T=...), or the `rnninit tune` command) "
            "and use the spec it returns, or write a number instead of '?'",
            token="?",
            position=found[0].pos,
        )


def build_init(call: Call):
    """Turn a parsed call into an `Init`; errors carry the call's position."""
    import dataclasses

    from rnninit.inits import INIT_ALIASES, INITS, make_init

    cls = INITS.get(INIT_ALIASES.get(call.name, call.name))
    names = cls.arg_names() if cls else ()
    # arguments that take a name (``mode=fan_in``): a bare word is that name, even one that is also
    # an init's (``distribution=uniform``)
    words = {f.name for f in dataclasses.fields(cls) if str(f.type) == "str"} if cls else set()
    words |= {alias for alias, canonical in (cls.aliases if cls else {}).items() if canonical in words}

    def convert(value: Any, arg: str | None) -> Any:
        if isinstance(value, Call):
            if not value.args and not value.kwargs and (arg in words or value.name not in INITS):
                return value.name  # a bare word: the init's type check names it
            return build_init(value)  # an init, or an unknown init name: make_init says so
        return value

    try:
        args = [convert(a, names[i] if i < len(names) else None) for i, a in enumerate(call.args)]
        kwargs = {k: convert(v, k) for k, v in call.kwargs}
        return make_init(call.name, *args, **kwargs)
    except SpecError as exc:
        raise locate_error(exc, call, names) from None


def locate_error(exc: SpecError, call: Call, arg_names: tuple[str, ...] | list[str]) -> SpecError:
    """``exc`` with the position of the offending argument of ``call`` (or of the call itself).

    Init and preset validation name the argument they reject as the error's ``token``; here that
    name is mapped back to the argument's source text, e.g. ``std=-1`` at its offset.
    """
    if exc.position is not None:
        return exc
    found = call.locate(arg_names, exc.token)
    if found is not None:
        return SpecError(exc.message, token=found[0], position=found[1])
    return SpecError(exc.message, token=exc.token or call.name, position=call.pos)


def parse_init(text: str):
    """Parse one init, e.g. ``'normal(std=0.5)'`` or ``'1.0'``."""
    parser = _Parser(text)
    call = parser.value("")
    if parser.tok.kind != "end":
        raise SpecError(
            f"unexpected '{parser.tok.text}' after the init", token=parser.tok.text, position=parser.tok.pos
        )
    reject_free(Parsed(None, (Entry("", (), call, 0),)))
    return build_init(call)
