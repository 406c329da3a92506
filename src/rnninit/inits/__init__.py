"""Framework-neutral initializers and their registry.

``INITS`` maps each canonical name to its class; `make_init` builds one from a name and
arguments, with errors that list the valid names and arguments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rnninit.arguments import bind_arguments, is_number
from rnninit.errors import SpecError, did_you_mean, one_of, shown
from rnninit.inits.base import BLOCK_FORMS, Block, Init
from rnninit.inits.chrono import Chrono
from rnninit.inits.constant import Constant, Ones, Zeros
from rnninit.inits.random import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    KaimingNormal,
    KaimingUniform,
    LecunNormal,
    LecunUniform,
    Normal,
    TorchDefault,
    TruncatedNormal,
    Uniform,
    VarianceScaling,
)
from rnninit.inits.structured import Identity, Orthogonal, Spectral, orthogonal_matrix, spectral_radius

INITS: dict[str, type[Init]] = {
    cls.name: cls
    for cls in (
        Normal,
        TruncatedNormal,
        Uniform,
        Constant,
        Zeros,
        Ones,
        Orthogonal,
        Identity,
        GlorotUniform,
        GlorotNormal,
        HeUniform,
        HeNormal,
        LecunUniform,
        LecunNormal,
        VarianceScaling,
        KaimingUniform,
        KaimingNormal,
        TorchDefault,
        Chrono,
        Spectral,
    )
}
"""Every init by its spec name (``"orthogonal"`` -> `Orthogonal`): what `make_init` builds from."""

INIT_ALIASES: dict[str, str] = {
    "random_normal": "normal",
    "random_uniform": "uniform",
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
}
"""Other names an init is known by (Keras' ``random_normal``, ...) -> its spec name."""


def make_init(name: str, *args: Any, **kwargs: Any) -> Init:
    """Build an init by name; positional arguments fill arguments in declared order.

    Names in `INIT_ALIASES` and argument aliases (`Init.aliases`, e.g. Keras' ``stddev``
    for ``std``) are accepted and normalized, so the init is the same as with the canonical names.

    Args:
        name: The init's name (``"normal"``, ``"orthogonal"``, ...) or an alias of it.
        *args: Argument values, in the init's declared order.
        **kwargs: Argument values by name (or alias).

    Returns:
        The init.

    Raises:
        SpecError: An unknown init or argument, a missing required argument, or a value of the
            wrong type or out of range (the message names it and what would be valid).

    Examples:
        >>> from rnninit.inits import make_init
        >>> make_init("random_normal", stddev=0.5) == make_init("normal", 0.0, 0.5)
        True
        >>> str(make_init("orthogonal", gain=2.0))
        'orthogonal(gain=2.0)'
    """
    cls = INITS.get(INIT_ALIASES.get(name, name))
    if cls is None:
        known = [*INITS, *INIT_ALIASES]
        raise SpecError(
            f"unknown init '{name}'{did_you_mean(name, known)}; valid inits: {one_of(INITS)}",
            token=name,
        )
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    bound = bind_arguments(
        cls.name, cls.name, cls.arg_names(), args, kwargs, required=required, aliases=cls.aliases
    )
    return cls(**bound)


def init_from_config(
    config: dict[str, Any] | str | float | int | Init, *, parse: Callable[[str], Init] | None = None
) -> Init:
    """Inverse of `Init.to_config`; also takes a bare number (a constant) or an `Init`.

    An init written as text (``"normal(std=0.5)"``, alone or for an argument that takes an init) is the
    spec language, which lives above the inits: `rnninit.init_from_config` reads it, by passing
    its parser as ``parse``. Without ``parse``, text is a `SpecError` that says so.

    Args:
        config: ``{"name": ..., <arguments>}`` (nested inits nest), a number (a constant), text
            (with ``parse``), or an `Init` (returned as it is).
        parse: The spec language's init parser, for text.

    Returns:
        The init.

    Raises:
        SpecError: The config is not one of those forms, or names an unknown init or argument or
            a value out of range; text without ``parse``.

    Examples:
        >>> from rnninit.inits import init_from_config
        >>> str(init_from_config({"name": "normal", "std": 0.5})), str(init_from_config(1.5))
        ('normal(std=0.5)', 'constant(1.5)')
    """
    if isinstance(config, Init):
        return config
    if is_number(config):
        return make_init("constant", value=float(config))
    if isinstance(config, bool):
        raise SpecError(f"an init must be a name, a number or a dict, got {shown(config)}")
    if isinstance(config, str):
        if parse is None:
            raise SpecError(
                f"an init written as text ({config!r}) is read by rnninit.init_from_config (the spec "
                "language); rnninit.inits.init_from_config takes a dict, a number or an Init"
            )
        return parse(config)
    if not isinstance(config, dict) or "name" not in config:
        raise SpecError(
            f"an init config must be a dict with a 'name' key (e.g. {{'name': 'normal', 'std': 0.5}}), "
            f"got {shown(config)}"
        )
    kwargs = {k: v for k, v in config.items() if k != "name"}
    if not isinstance(config["name"], str):
        raise SpecError(f"an init's name must be a string, got {shown(config['name'])}")
    takes_init = _init_arguments(config["name"])
    for key, value in kwargs.items():
        if isinstance(value, dict) or (key in takes_init and isinstance(value, str)):
            kwargs[key] = init_from_config(value, parse=parse)  # a nested init, as a config or text
    return make_init(config["name"], **kwargs)


def _init_arguments(name: str) -> set[str]:
    """Arguments of init ``name`` that take an init (``spectral``'s ``base``)."""
    cls = INITS.get(name)
    return {f.name for f in dataclasses.fields(cls) if str(f.type) == "Init"} if cls else set()


__all__ = [
    "BLOCK_FORMS",
    "Block",
    "INITS",
    "INIT_ALIASES",
    "Init",
    "init_from_config",
    "make_init",
    "orthogonal_matrix",
    "spectral_radius",
    *[cls.__name__ for cls in INITS.values()],
]
