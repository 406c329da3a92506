"""PyTorch backend: apply a spec to built-in and custom recurrent modules; cells initialized from a spec.

Examples:
    >>> import torch, rnninit.torch as rt
    >>> rt.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", torch.nn.LSTM(8, 16), seed=0)
    ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
    >>> lstm = rt.LSTM(8, 16, init="forget_bias", seed=0)   # a drop-in torch.nn.LSTM
    >>> _ = rt.init_(lstm.weight_hh_l0, "orthogonal", gates=4, seed=0)   # one tensor, per gate block
"""

from rnninit.errors import TensorTypeError
from rnninit.torch import functional
from rnninit.torch.apply import ApplyResult, apply
from rnninit.torch.cells import (
    GRU,
    LSTM,
    Elman,
    ElmanCell,
    GRUCell,
    IndRNN,
    IndRNNCell,
    LSTMCell,
    MinimalRNN,
    MinimalRNNCell,
)
from rnninit.torch.declare import declare, declare_wrapped
from rnninit.torch.init import init_
from rnninit.torch.layouts import model_layout

__all__ = [
    "GRU",
    "LSTM",
    "ApplyResult",
    "Elman",
    "ElmanCell",
    "GRUCell",
    "IndRNN",
    "IndRNNCell",
    "LSTMCell",
    "MinimalRNN",
    "MinimalRNNCell",
    "TensorTypeError",
    "apply",
    "declare",
    "declare_wrapped",
    "functional",
    "init_",
    "model_layout",
]
