"""Typed exceptions: each names what is wrong and what would be valid.

Every error a user can cause derives from :class:`RnninitError`, so one ``except`` clause
catches them all; each also derives from the builtin a caller would naturally expect.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class RnninitError(Exception):
    """Base class of every error raised by rnninit for bad input."""


class SpecError(RnninitError, ValueError):
    """A spec is malformed, or does not fit the cell it is used on.

    ``token`` is the offending piece of text (if any) and ``position`` its 0-based offset in
    the spec string it came from (if it came from one).
    """

    def __init__(self, message: str, *, token: str | None = None, position: int | None = None):
        where = ""
        if token is not None and position is not None:
            where = f" (at '{token}', position {position})"
        elif token is not None:
            where = f" (at '{token}')"
        super().__init__(message + where)
        self.token = token
        self.position = position


class LayoutError(RnninitError, ValueError):
    """A module or layer has parameters that no layout explains, or a layout is inconsistent."""


class CellArgumentError(RnninitError, ValueError):
    """A bad argument to one of rnninit's cells or sequence modules (PyTorch or Keras).

    A size that is not a positive integer, an unknown nonlinearity, a dropout outside ``[0, 1]``, a
    ``proj_size`` not below ``hidden_size``; at call time, an input or state of the wrong shape. The
    message names the argument and what would be valid. It is a ``ValueError``, as the same mistake
    is for ``torch.nn.LSTM``, so code written for the built-ins catches it unchanged.
    """


def did_you_mean(word: str, valid: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest valid word, or an empty string."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def one_of(valid: Iterable[str]) -> str:
    """Format a list of valid alternatives for an error message."""
    return ", ".join(f"'{v}'" for v in valid)
