"""Which implementation runs a whole LSTM, GRU or Elman layer: the choice, and how to change it.

Three implementations compute the same function (outputs and gradients equal to rounding):

- ``"kernels"``: rnninit's whole-sequence layers with hand-derived backwards
  (`rnninit.torch.fast.lstm`, ``.gru``, ``.elman``). Plain PyTorch ops, any dtype and device.
- ``"builtin"``: PyTorch's own fused kernel (``torch._VF.lstm/gru/rnn_*``, what ``torch.nn.LSTM``
  calls: oneDNN for float32 LSTM on a CPU, cuDNN on a GPU): for one layer here, for the whole stack
  in the sequence modules (`rnninit.torch.cells.builtin.BuiltinLayers.run_stack`).
- ``"loop"``: the reference step-by-step loop of `rnninit.torch.functional`, differentiated by
  autograd op by op (also used for packed sequences, which the others skip, and for LSTM
  projections, which the kernels skip).

``"auto"`` (the default) picks, from measurements (``rnninit speed``, docs/speed.md): the built-in
kernel where PyTorch has a fused one that the kernels do not beat (float32 LSTM on a CPU, whose
oneDNN kernel runs its GEMMs at the machine's matrix-multiply rate; any CUDA tensor, where cuDNN
runs), else the kernels (GRU and Elman in any dtype, LSTM in float64 on a CPU), which take 0.6-1.0x the
built-in's time there; an LSTM projection takes the loop. Under autocast every choice runs the
built-in op (`resolve`).

Every backend supports double backward (``create_graph=True``) where the built-in does: the kernels'
backward is hand-derived and not itself differentiable, so when autograd records it
(``create_graph=True``) it recomputes the layer with the reference loop and differentiates that
(`rnninit.torch.fast.autograd.differentiable_vjp`).

Examples:
    >>> import rnninit.torch.fast as fast
    >>> with fast.use_backend("loop"):
    ...     pass  # every rnninit layer inside runs the reference loop
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from rnninit.errors import CellArgumentError

BACKENDS = ("auto", "kernels", "builtin", "loop")

_current = "auto"
_ONEDNN = torch.backends.mkldnn.is_available()  # checked once: resolve() runs on every call


def get_backend() -> str:
    """The backend layers use now (one of `BACKENDS`)."""
    return _current


def set_backend(name: str) -> None:
    """Make every rnninit LSTM/GRU/Elman layer use ``name`` (one of `BACKENDS`) from now on."""
    global _current
    if name not in BACKENDS:
        raise CellArgumentError(f"unknown backend {name!r}; valid: {', '.join(repr(b) for b in BACKENDS)}")
    _current = name


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Use backend ``name`` inside a ``with`` block, then restore the previous one."""
    previous = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


def resolve(kind: str, x: torch.Tensor, *, projected: bool = False) -> str:
    """The concrete backend (``kernels``, ``builtin`` or ``loop``) for a ``kind`` layer on input ``x``.

    Under autocast every backend runs the built-in op: autocast decides the dtype op by op and
    device by device (on a CPU ``nn.RNN`` and ``nn.LSTM`` return bfloat16, ``nn.GRU`` float32 with
    bfloat16 products inside), and running PyTorch's own op is what makes dtypes and numerics the
    built-in's. ``projected`` (an LSTM with ``proj_size``) is something the kernels do not do.
    """
    if autocast_enabled(x):
        return "builtin"
    chosen = _current
    if chosen == "auto":
        if projected:
            return "loop"
        if x.is_cuda or (kind == "lstm" and x.dtype is torch.float32 and _ONEDNN and x.is_cpu):
            return "builtin"
        return "kernels"
    if chosen == "kernels" and projected:
        return "loop"
    return chosen


def autocast_enabled(x: torch.Tensor) -> bool:
    """Whether autocast is on for ``x``'s device type (never, for a type autocast does not know)."""
    try:
        return torch.is_autocast_enabled(x.device.type)
    except RuntimeError:  # e.g. "meta": autocast has no dispatch key for it
        return False
