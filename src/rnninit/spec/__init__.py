"""The spec: a declaration of which init each role and gate of a cell receives."""

from rnninit.spec.presets import PRESETS, Preset
from rnninit.spec.spec import Key, PresetCall, Resolved, Spec, SpecLike, format_key, parse_key

__all__ = [
    "PRESETS",
    "Key",
    "Preset",
    "PresetCall",
    "Resolved",
    "Spec",
    "SpecLike",
    "format_key",
    "parse_key",
]
