"""Arguments given by users: binding a call's arguments to names, and the checks every value gets.

Python's ``True`` is an ``int`` and ``1``; here it is never a count, a size, a seed or a scale, so the
checks below refuse a bool wherever a number is asked for. Each check raises the error type of the
layer that asks (a `SpecError` for a spec, a ``ConfigError`` for a config
file, ...), so callers catch what their layer documents.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeGuard

from rnninit.errors import Arg, SpecError, did_you_mean, one_of, shown

#: An error class, or any callable that builds the exception to raise from a message (from its parts,
#: when the message names an `Arg`).
ErrorType = Callable[..., Exception]


def is_integer(value: object) -> TypeGuard[numbers.Integral]:
    """Whether ``value`` is an integer (NumPy's included) and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[numbers.Real]:
    """Whether ``value`` is a real number (an integer or a float, NumPy's included) and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_integer(
    value: object,
    name: str | Arg,
    *,
    error: ErrorType,
    minimum: int | None = None,
    maximum: int | None = None,
    expected: str | None = None,
) -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) within ``[minimum, maximum]``.

    Otherwise ``error(f"{name} must be {expected}, got {shown(value)}")``; ``expected`` defaults to
    ``"an integer >= {minimum}"`` (or ``"an integer"``). A ``name`` given as an
    `Arg` stays a part of its own (``error(name, " must be ...")``), so the
    command line can name its flag instead.

    Examples:
        >>> check_integer(3, "hidden", error=ValueError, minimum=1)
        3
        >>> check_integer(True, "hidden", error=ValueError, minimum=1)
        Traceback (most recent call last):
        ...
        ValueError: hidden must be an integer >= 1, got True
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
        if (minimum is None or number >= minimum) and (maximum is None or number <= maximum):
            return number
    if expected is None:
        expected = "an integer" if minimum is None else f"an integer >= {minimum}"
    if isinstance(name, Arg):
        raise error(name, f" must be {expected}, got {shown(value)}")
    raise error(f"{name} must be {expected}, got {shown(value)}")


def finite_float(owner: str, arg: str, value: int | float) -> float:
    """``value`` (a number) as a float; NaN, infinities and integers too large for a float are a
    `SpecError` naming ``owner``'s argument ``arg``."""
    try:
        converted = float(value)
    except OverflowError:
        converted = math.inf
    if not math.isfinite(converted):
        echoed = repr(value) if isinstance(value, float) else "an integer too large for a float"
        raise SpecError(f"{owner}: {arg} must be a finite number, got {echoed}", token=arg)
    return converted


def bind_arguments(
    owner: str,
    call: str,
    names: Sequence[str],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    *,
    required: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The arguments of a call to ``call`` (an init or a preset, named ``owner`` in messages) by name.

    Positional arguments fill ``names`` in order; ``aliases`` (other name -> argument) are accepted
    and replaced by the argument's own name. A surplus positional argument, an unknown name, an
    argument given twice (also through an alias) and a missing ``required`` one are each a
    `SpecError` whose ``token`` is the offending name (``call`` for a count).

    Examples:
        >>> bind_arguments("normal", "normal", ("mean", "std"), (0.0,), {"std": 2.0})
        {'mean': 0.0, 'std': 2.0}
    """
    aliases = aliases or {}
    given = dict(kwargs)
    for alias, canonical in aliases.items():
        if alias in given:
            if canonical in given:
                raise SpecError(
                    f"{owner}: '{alias}' is another name for '{canonical}', and both are given; keep one",
                    token=alias,
                )
            given[canonical] = given.pop(alias)
    if len(args) > len(names):
        raise SpecError(
            f"{owner} takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}",
            token=call,
        )
    bound = dict(zip(names, args, strict=False))
    for key in given:
        if key in bound:
            raise SpecError(f"{owner}: argument '{key}' given twice", token=key)
    for key, value in given.items():
        if key not in names:
            valid = one_of(names) if names else "none"
            if aliases:
                valid += " (also " + ", ".join(f"'{a}' for '{c}'" for a, c in aliases.items()) + ")"
            hint = did_you_mean(key, [*names, *aliases])
            raise SpecError(f"{owner} has no argument '{key}'{hint}; valid arguments: {valid}", token=key)
        bound[key] = value
    missing = [name for name in names if name in required and name not in bound]
    if missing:
        listed = ("arguments " if len(missing) > 1 else "argument ") + ", ".join(f"'{m}'" for m in missing)
        raise SpecError(f"{owner} needs {listed}, e.g. {call}({missing[0]}=...)", token=call)
    return bound


__all__ = ["bind_arguments", "check_integer", "finite_float", "is_integer", "is_number"]
