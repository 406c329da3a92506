"""One init from any of its forms, text included: what a spec entry, a config file or ``init_`` accepts.

The inits layer reads configs (`rnninit.inits.init_from_config`); text is the spec language,
parsed here (`rnninit.spec.parse.parse_init`), so the inits never import the spec.
"""

from __future__ import annotations

from typing import Any

from rnninit import inits
from rnninit.inits import Init
from rnninit.spec.parse import parse_init


def init_from_config(config: dict[str, Any] | str | float | int | Init) -> Init:
    """Inverse of `Init.to_config`; also takes an init string, a bare number (a constant) or an
    `Init`. An argument that takes an init may be written as text in a config.

    Args:
        config: ``{"name": ..., <arguments>}``, an init in the spec language
            (``"orthogonal(gain=2.0)"``), a number (a constant), or an `Init` (returned as it is).

    Returns:
        The init.

    Raises:
        SpecError: The config is malformed, or names an unknown init or argument or a value out
            of range.

    Examples:
        >>> init_from_config("normal(std=0.5)") == init_from_config({"name": "normal", "std": 0.5})
        True
    """
    return inits.init_from_config(config, parse=parse_init)


__all__ = ["init_from_config"]
