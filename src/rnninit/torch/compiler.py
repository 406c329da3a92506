"""How rnninit's recurrent layers behave under ``torch.compile``: as ``torch.nn.RNN/LSTM/GRU`` do.

TorchDynamo does not trace ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``: it breaks the graph at the module
and runs it eagerly (``torch._dynamo.config.allow_rnn = False``, "Dynamo does not support RNN, GRU,
or LSTM"), while the rest of the model is compiled. rnninit's sequence modules and functional layers
do the same, through :func:`run_eagerly_under_compile`. Measured against the alternatives (docs/speed.md,
``rnninit speed --compile``):

- tracing the layers unrolls the time loop into the graph: compile time grows with the sequence
  length, every new length recompiles, and the fused LSTM kernel fails to lower
  (``aten.mkldnn_rnn_layer``);
- registering the whole-sequence kernels as custom ops (``torch.library.custom_op`` with their
  autograd) compiles, but its steady-state step was no faster than running them eagerly, and a
  compiled graph refuses double backward, which the built-ins (run eagerly) support.

Run eagerly, a layer inside a compiled model keeps everything it has in eager mode: the same outputs
and gradients, double backward, autocast, and the speed of ``rnninit speed``. The single-step cells
(``LSTMCell``, ...) are plain tensor code and are traced and compiled like ``nn.LSTMCell``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import torch

F = TypeVar("F", bound=Callable)


def run_eagerly_under_compile(fn: F) -> F:
    """``fn``, except that under ``torch.compile`` the graph breaks at the call and ``fn`` runs eagerly.

    In eager mode this is a plain call: ``torch._dynamo`` (seconds to import) is imported only once
    Dynamo traces the call, never by eager code. ``torch._disable_dynamo`` is the lazy form of
    ``torch.compiler.disable`` that PyTorch uses for its own eager-only code (optimizers,
    checkpointing).
    """
    disabled = torch._disable_dynamo(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if torch.compiler.is_compiling():
            return disabled(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
