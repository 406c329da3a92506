"""Checks of the constructor arguments of rnninit's PyTorch cells and sequence modules.

Each returns the argument normalized (``int``, ``float``) or raises a
`CellArgumentError` (a ``ValueError``, as ``torch.nn.LSTM``'s are) that names the
module, the argument, what would be valid and what was given. ``True`` is never a size: every integer
argument goes through `check_integer`.
"""

from __future__ import annotations

import warnings

from rnninit import arguments
from rnninit.errors import CellArgumentError, one_of, shown
from rnninit.torch.functional import ACTIVATIONS


def check_integer(owner: str, name: str, value: object, *, minimum: int) -> int:
    """``value`` as an ``int`` if it is an integer (not a bool) ``>= minimum`` (0 or 1): the one rule,
    `rnninit.arguments.check_integer`, with this module's error and wording."""
    expected = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum)
    return arguments.check_integer(
        value, f"{owner}: {name}", error=CellArgumentError, minimum=minimum, expected=expected
    )


def check_sizes(owner: str, input_size: object, hidden_size: object) -> tuple[int, int]:
    return (
        check_integer(owner, "input_size", input_size, minimum=1),
        check_integer(owner, "hidden_size", hidden_size, minimum=1),
    )


def check_dropout(owner: str, dropout: object, num_layers: int) -> float:
    """The dropout probability; nonzero with one layer warns (it does nothing), as ``torch.nn.RNNBase``."""
    if not arguments.is_number(dropout) or not 0 <= float(dropout) <= 1:
        raise CellArgumentError(
            f"{owner}: dropout must be a number in [0, 1] (the probability of zeroing an element), "
            f"got {shown(dropout)}"
        )
    if float(dropout) > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,  # the caller of the base constructor that checks it
        )
    return float(dropout)


def check_nonlinearity(owner: str, nonlinearity: object) -> str:
    if not isinstance(nonlinearity, str) or nonlinearity not in ACTIVATIONS:
        raise CellArgumentError(
            f"{owner}: nonlinearity must be one of {one_of(ACTIVATIONS)}, got {shown(nonlinearity)}"
        )
    return nonlinearity


def check_proj_size(owner: str, proj_size: object, hidden_size: int) -> int:
    """An LSTM's projection size: ``0`` (no projection) up to ``hidden_size - 1``."""
    proj_size = check_integer(owner, "proj_size", proj_size, minimum=0)
    if proj_size >= hidden_size:
        raise CellArgumentError(
            f"{owner}: proj_size has to be smaller than hidden_size, got proj_size={proj_size}, "
            f"hidden_size={hidden_size}"
        )
    return proj_size
