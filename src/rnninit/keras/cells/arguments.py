"""Checks of the constructor arguments of rnninit's Keras cells.

Each returns the argument normalized or raises a `CellArgumentError` (a
``ValueError``, as Keras' own are) that names the cell, the argument, what would be valid and what was
given. ``True`` is never a number of units: the integer check is `check_units`.
"""

from __future__ import annotations

import keras

from rnninit.arguments import check_integer
from rnninit.errors import CellArgumentError, one_of, shown

#: The activations of ``ElmanCell`` and ``IndRNNCell``, by name.
ACTIVATIONS = {"tanh": keras.ops.tanh, "relu": keras.ops.relu}


def check_units(owner: str, units: object) -> int:
    expected = "a positive integer"
    return check_integer(units, f"{owner}: units", error=CellArgumentError, minimum=1, expected=expected)


def check_activation(owner: str, activation: object) -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise CellArgumentError(
            f"{owner}: activation must be one of {one_of(ACTIVATIONS)}, got {shown(activation)}"
        )
    return activation
