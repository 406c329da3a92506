"""Framework-neutral initializers and their registry.

``INITS`` maps each canonical name to its class; :func:`make_init` builds one from a name and
arguments, with errors that list the valid names and arguments.
"""

from __future__ import annotations

from typing import Any

from rnninit.errors import SpecError, did_you_mean, one_of, shown
from rnninit.inits.base import BLOCK_KINDS, Block, Init
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

#: Other frameworks' names for an init that means exactly the same here (Keras' ``random_normal``,
#: PyTorch's ``xavier_*``); a spec may use them and is written back with the canonical name.
INIT_ALIASES: dict[str, str] = {
    "random_normal": "normal",
    "random_uniform": "uniform",
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
}


def make_init(name: str, *args: Any, **kwargs: Any) -> Init:
    """Build an init by name; positional arguments fill arguments in declared order.

    Names in :data:`INIT_ALIASES` and argument aliases (:attr:`Init.aliases`, e.g. Keras' ``stddev``
    for ``std``) are accepted and normalized, so the init is the same as with the canonical names.
    """
    cls = INITS.get(INIT_ALIASES.get(name, name))
    if cls is None:
        known = [*INITS, *INIT_ALIASES]
        raise SpecError(
            f"unknown init '{name}'{did_you_mean(name, known)}; valid inits: {one_of(INITS)}",
            token=name,
        )
    name = cls.name
    for alias, canonical in cls.aliases.items():
        if alias in kwargs:
            if canonical in kwargs:
                raise SpecError(
                    f"{name}: '{alias}' is another name for '{canonical}', and both are given; keep one",
                    token=alias,
                )
            kwargs[canonical] = kwargs.pop(alias)
    names = cls.arg_names()
    if len(args) > len(names):
        raise SpecError(
            f"{name} takes at most {len(names)} arguments ({', '.join(names)}), got {len(args)}",
            token=name,
        )
    for arg_name, value in zip(names, args, strict=False):
        if arg_name in kwargs:
            raise SpecError(f"{name}: argument '{arg_name}' given twice", token=arg_name)
        kwargs[arg_name] = value
    unknown = [k for k in kwargs if k not in names]
    if unknown:
        bad = unknown[0]
        valid = one_of(names) if names else "none"
        if cls.aliases:
            valid += " (also " + ", ".join(f"'{a}' for '{c}'" for a, c in cls.aliases.items()) + ")"
        hint = did_you_mean(bad, [*names, *cls.aliases])
        raise SpecError(
            f"{name} has no argument '{bad}'{hint}; valid arguments: {valid}",
            token=bad,
        )
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required argument is missing
        required = [n for n in names if n in _required(cls)]
        raise SpecError(
            f"{name} needs argument(s) {', '.join(required)}, e.g. {name}({required[0]}=...)",
            token=name,
        ) from exc


def _required(cls: type[Init]) -> set[str]:
    import dataclasses

    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def init_from_config(config: dict[str, Any] | str | float | int | Init) -> Init:
    """Inverse of :meth:`Init.to_config`; also takes an init string or a bare number (constant)."""
    if isinstance(config, Init):
        return config
    if isinstance(config, bool):
        raise SpecError(f"an init must be a name, a number or a dict, got {shown(config)}")
    if isinstance(config, (int, float)):
        return make_init("constant", value=float(config))
    if isinstance(config, str):
        from rnninit.spec.parse import parse_init

        return parse_init(config)
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
            kwargs[key] = init_from_config(value)  # a nested init, as a config or a string
    return make_init(config["name"], **kwargs)


def _init_arguments(name: str) -> set[str]:
    """Arguments of init ``name`` that take an init (``spectral``'s ``base``)."""
    import dataclasses

    cls = INITS.get(name)
    return {f.name for f in dataclasses.fields(cls) if str(f.type) == "Init"} if cls else set()


__all__ = [
    "BLOCK_KINDS",
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
