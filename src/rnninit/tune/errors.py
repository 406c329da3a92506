"""Where :class:`~rnninit.errors.TuneError` was first defined; every rnninit error now lives in
:mod:`rnninit.errors`, and this name stays for code that imports it from here."""

from rnninit.errors import TuneError

__all__ = ["TuneError"]
