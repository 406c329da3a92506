"""The error a diagnosis raises for bad input (an unknown cell, a wrong input shape, a bad size)."""

from __future__ import annotations

from rnninit.errors import RnninitError


class DynamicsError(RnninitError, ValueError):
    """A diagnosis was asked for something it cannot do; the message says what would be valid."""
