"""Where `DynamicsError` was first defined; every rnninit error now lives in
`rnninit.errors`, and this name stays for code that imports it from here."""

from rnninit.errors import DynamicsError

__all__ = ["DynamicsError"]
