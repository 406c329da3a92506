"""The error a tune raises for bad input (an unknown cell, a family no point of which can be measured)."""

from __future__ import annotations

from rnninit.errors import RnninitError


class TuneError(RnninitError, ValueError):
    """A tune was asked for something it cannot do; the message says what would be valid."""
