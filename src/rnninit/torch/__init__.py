"""PyTorch backend: apply a spec to built-in and custom recurrent modules; cells initialized from a spec.

>>> import torch, rnninit.torch as rt
>>> rt.apply("ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0", torch.nn.LSTM(8, 16), seed=0)
ApplyResult(seed=0, initialized=12 blocks, untouched=0 blocks)
>>> lstm = rt.LSTM(8, 16, init="forget_bias", seed=0)   # a drop-in torch.nn.LSTM
"""

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
    "apply",
    "declare",
    "declare_wrapped",
    "functional",
    "model_layout",
]
