"""The spec: a declaration of which init each role and gate of a cell receives."""

from rnninit.spec.family import DEFAULT_BOUNDS, FreeArgument, SpecFamily  # noqa: E402 - builds on Spec
from rnninit.spec.init_config import init_from_config
from rnninit.spec.presets import PRESETS, Preset
from rnninit.spec.spec import Key, PresetCall, Resolved, Spec, SpecLike, format_key, parse_key

__all__ = [
    "DEFAULT_BOUNDS",
    "PRESETS",
    "FreeArgument",
    "Key",
    "Preset",
    "PresetCall",
    "Resolved",
    "Spec",
    "SpecFamily",
    "SpecLike",
    "format_key",
    "init_from_config",
    "parse_key",
]
