"""Read a YAML or JSON file a user names (a spec file, an experiment file), safely and plainly.

- YAML is read with PyYAML's safe loader (plain data, never Python objects), and numbers are
  numbers as in YAML 1.2 and JSON: ``1e-3`` is a float (YAML 1.1 reads it as the string "1e-3").
- Nesting is bounded (`MAX_DEPTH` levels): a file nested thousands of levels deep is an
  error that says so, not a ``RecursionError``. The depth is measured once per distinct node, so
  YAML aliases that repeat one list millions of times cost nothing.
- Errors are the caller's `RnninitError` subclass, one bounded line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from rnninit.errors import RnninitError, shown

#: Deepest nesting of lists and mappings a spec or experiment file may use (they need about 5).
MAX_DEPTH = 64


class _Loader(yaml.SafeLoader):
    """The safe loader, with YAML 1.2's floats: an exponent without a dot (``1e-3``, ``5E+2``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def parse_data(text: str, *, json_only: bool = False) -> Any:
    """The data in ``text`` (YAML, or JSON with ``json_only``); raises ``ValueError`` or
    ``yaml.YAMLError`` for bad syntax and ``RecursionError`` for absurd nesting."""
    return json.loads(text) if json_only else yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def load_data_file(path: str | Path, *, what: str, error: type[RnninitError]) -> Any:
    """The data in the YAML or JSON file ``path`` (JSON when it ends in ``.json``).

    ``what`` names the file in messages ("spec file"); ``error`` is the exception to raise.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise error(f"{what} {shown(str(path))} is not text (it is not UTF-8)") from None
    except OSError as exc:
        raise error(f"cannot read {what} {shown(str(path))}: {exc.strerror or exc}") from None
    kind = path.suffix.lstrip(".") or "YAML"
    try:
        data = parse_data(text, json_only=path.suffix == ".json")
    except RecursionError:
        raise error(f"{what} {shown(str(path))} nests too deeply (more than {MAX_DEPTH} levels)") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise error(f"{what} {shown(str(path))} is not valid {kind}: {shown(exc, 300)}") from None
    check_depth(data, lambda reason: error(f"{what} {shown(str(path))} {reason}"))
    return data


def check_depth(data: Any, fail: Callable[[str], Exception]) -> None:
    """Raise ``fail(reason)`` if lists and mappings in ``data`` nest more than `MAX_DEPTH`
    levels, or if one contains itself (YAML can say so with an alias).

    Iterative, and each distinct container is walked once (the height below it is remembered), so
    aliases that repeat a list millions of times cost nothing."""
    if not isinstance(data, (dict, list)):
        return
    too_deep = f"nests too deeply (more than {MAX_DEPTH} levels)"
    heights: dict[int, int] = {}
    path: set[int] = {id(data)}
    stack = [(data, iter(_children(data)))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if id(child) in path:
                raise fail("contains itself (a YAML alias inside its own anchor)")
            if id(child) in heights:
                if len(stack) + heights[id(child)] > MAX_DEPTH:
                    raise fail(too_deep)
                continue
            if len(stack) + 1 > MAX_DEPTH:
                raise fail(too_deep)
            path.add(id(child))
            stack.append((child, iter(_children(child))))
            break
        else:
            stack.pop()
            path.discard(id(node))
            heights[id(node)] = 1 + max((heights[id(c)] for c in _children(node)), default=0)


def _children(node: dict | list) -> list:
    values = node.values() if isinstance(node, dict) else node
    return [v for v in values if isinstance(v, (dict, list))]
