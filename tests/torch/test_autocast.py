"""Under autocast, rnninit's modules give the built-ins' output dtypes, values and gradients.

Autocast decides dtypes op by op and device by device: on a CPU with bfloat16, ``nn.RNN`` and
``nn.LSTM`` return bfloat16 while ``nn.GRU`` returns float32 (its products run in bfloat16 inside).
Every backend runs PyTorch's own op under autocast, and packed sequences take the reference loop, whose
ops are the built-in's; the tests below compare bit for bit.
"""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

import rnninit.torch as rt
import rnninit.torch.fast as fast

T, B, D, H = 5, 3, 4, 6
KINDS = {
    "lstm": (rt.LSTM, nn.LSTM, {}),
    "lstm_proj": (rt.LSTM, nn.LSTM, {"proj_size": 4}),
    "gru": (rt.GRU, nn.GRU, {}),
    "rnn_tanh": (rt.Elman, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.Elman, nn.RNN, {"nonlinearity": "relu"}),
}
CELLS = {
    "lstm": (rt.LSTMCell, nn.LSTMCell),
    "gru": (rt.GRUCell, nn.GRUCell),
    "rnn": (rt.ElmanCell, nn.RNNCell),
}


def run(module, x):
    """Output, final states and parameter gradients of one forward and backward under CPU autocast."""
    module.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output, final = module(x)
    if isinstance(output, torch.nn.utils.rnn.PackedSequence):
        output = output.data
    finals = list(final) if isinstance(final, tuple) else [final]
    (output.float().sum() + sum(f.float().sum() for f in finals)).backward()
    return [output, *finals], [p.grad for p in module.parameters()]


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize(
    ("path", "packed"),
    [("auto", False), ("kernels", False), ("builtin", False), ("loop", False), ("auto", True)],
    ids=["auto", "kernels", "builtin", "loop", "packed"],  # a packed sequence runs the loop on every backend
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_outputs_and_gradients_under_cpu_autocast_are_the_builtins(kind, path, packed):
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 2, "bidirectional": True, **extra}
    ours, theirs = ours_cls(D, H, seed=0, **config), theirs_cls(D, H, **config)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, D, generator=torch.Generator().manual_seed(1))
    if packed:
        x = pack_padded_sequence(x, torch.tensor([5, 3, 2]))
    with fast.use_backend(path):
        got, got_grads = run(ours, x)
    want, want_grads = run(theirs, x)
    for g, w in zip(got + got_grads, want + want_grads, strict=True):
        assert g.dtype == w.dtype
        assert torch.equal(g, w)


def test_the_builtins_autocast_dtypes_differ_by_cell_on_a_cpu():
    # What the test above holds rnninit to: autocast's per-op rules, not one dtype for all.
    x = torch.randn(T, B, D)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        dtypes = {
            name: cls(D, H)(x)[0].dtype for name, cls in (("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU))
        }
    assert dtypes == {"rnn": torch.bfloat16, "lstm": torch.bfloat16, "gru": torch.float32}


@pytest.mark.parametrize("kind", list(CELLS))
def test_cells_under_cpu_autocast_are_the_builtins(kind):
    ours_cls, theirs_cls = CELLS[kind]
    ours, theirs = ours_cls(D, H, seed=0), theirs_cls(D, H)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(B, D, generator=torch.Generator().manual_seed(2))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got, want = ours(x), theirs(x)
    for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
        assert g.dtype == w.dtype
        assert torch.equal(g, w)
