"""The names a speed benchmark accepts (no torch import: the CLI parser uses them)."""

from __future__ import annotations

from rnninit.errors import BenchError  # noqa: F401 (its first home; rnninit.errors defines it)
from rnninit.named_cells import cell_names

#: The cells a speed benchmark times: the named cells that have an rnninit drop-in for a built-in.
CELLS = cell_names("dropin")
BACKENDS = ("auto", "kernels", "builtin", "loop")  # as rnninit.torch.fast.BACKENDS
DTYPE_NAMES = ("float32", "float64")
DEVICES = ("cpu", "cuda")
