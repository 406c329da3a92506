"""How rnninit's recurrent layers behave under ``torch.compile``: run eagerly behind a graph break.

TorchDynamo does not trace ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` (``torch._dynamo.config.allow_rnn =
False``, "Dynamo does not support RNN, GRU, or LSTM"): meeting one, it gives up on the whole calling
function, which then runs eagerly (``torch._dynamo.explain`` counts no graph at all for
``Linear -> nn.GRU -> Linear``). rnninit's sequence modules and functional layers make Dynamo break
the graph at the call instead (`run_eagerly_under_compile`): the layer runs eagerly and the
code around it is compiled. Measured against the alternatives (``benchmarks/compile_alternatives.py``,
docs/speed.md):

- letting Dynamo trace the layers unrolls the time loop into the graph: minutes of compiling for a
  50-step sequence, every new length recompiles, the steady state is several times slower, and the
  fused LSTM kernel fails to lower (``aten.mkldnn_rnn_layer``);
- registering the whole-sequence kernels as custom ops (``torch.library.custom_op`` with their
  autograd) keeps the model in one graph; its steady state and compile time measured the same as
  the graph break's, within noise, and it would cover only the kernels (a float32 LSTM on a CPU and
  every layer on a GPU run the built-in op, which must run eagerly anyway), with autocast needing
  rules of its own.

Run eagerly, a layer keeps everything it has in eager mode: the same outputs and gradients, double
backward, autocast, and the speed of ``rnninit speed``. What torch.compile does to the code around it
is its own: a double backward through compiled parts of a model is refused by AOTAutograd ("does
not currently support double backward"), which the built-ins avoid only because nothing around them
gets compiled. The single-step cells (``LSTMCell``, ...) are plain tensor code and are traced and
compiled like ``nn.LSTMCell``.
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
