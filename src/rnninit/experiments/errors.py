"""Errors of the experiments package."""

from rnninit.errors import RnninitError


class ConfigError(RnninitError, ValueError):
    """An experiment file is invalid; found before any run starts. The message names the entry."""
