"""The names a speed benchmark accepts, and its error type (no torch import: the CLI parser uses them)."""

from __future__ import annotations

from rnninit.errors import RnninitError

CELLS = ("lstm", "gru", "elman")
BACKENDS = ("auto", "kernels", "builtin", "loop")  # as rnninit.torch.fast.BACKENDS
DTYPE_NAMES = ("float32", "float64")
DEVICES = ("cpu", "cuda")


class BenchError(RnninitError, ValueError):
    """A speed benchmark configuration that cannot run (names what would be valid)."""
