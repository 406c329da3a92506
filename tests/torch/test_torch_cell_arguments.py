"""Arguments of rnninit's PyTorch cells and sequence modules: torch.nn's signatures, and a bad argument is a
CellArgumentError, which ``except rnninit.RnninitError`` and ``except ValueError`` both catch."""

import inspect
import typing

import pytest
import torch
from torch import nn

import rnninit as ri
import rnninit.torch as rt
from rnninit.errors import CellArgumentError

IN, H = 3, 4

# (module, a bad argument, what the message must say)
BAD_ARGUMENTS = [
    (rt.Elman, {"input_size": 0}, "Elman: input_size must be a positive integer, got 0"),
    (rt.Elman, {"nonlinearity": "gelu"}, "nonlinearity must be one of 'tanh', 'relu', got 'gelu'"),
    (rt.LSTM, {"hidden_size": True}, "LSTM: hidden_size must be a positive integer, got True"),
    (
        rt.LSTM,
        {"proj_size": H},
        "proj_size has to be smaller than hidden_size, got proj_size=4, hidden_size=4",
    ),
    (rt.LSTM, {"proj_size": -1}, "proj_size must be a non-negative integer, got -1"),
    (rt.GRU, {"num_layers": 0}, "GRU: num_layers must be a positive integer, got 0"),
    (rt.GRU, {"dropout": 1.5}, r"dropout must be a number in \[0, 1\]"),
    (rt.IndRNN, {"nonlinearity": "sigmoid"}, "IndRNN: nonlinearity must be one of 'tanh', 'relu'"),
    (rt.MinimalRNN, {"num_layers": 1.5}, "MinimalRNN: num_layers must be a positive integer, got 1.5"),
    (rt.ElmanCell, {"nonlinearity": "gelu"}, "ElmanCell: nonlinearity must be one of 'tanh', 'relu'"),
    (rt.LSTMCell, {"hidden_size": -1}, "LSTMCell: hidden_size must be a positive integer, got -1"),
    (rt.GRUCell, {"input_size": 2.0}, "GRUCell: input_size must be a positive integer, got 2.0"),
    (
        rt.IndRNNCell,
        {"nonlinearity": None},
        "IndRNNCell: nonlinearity must be one of 'tanh', 'relu', got None",
    ),
    (rt.MinimalRNNCell, {"input_size": False}, "MinimalRNNCell: input_size must be a positive integer"),
]


@pytest.mark.parametrize(
    ("module", "bad", "message"),
    BAD_ARGUMENTS,
    ids=[f"{m.__name__}-{next(iter(b))}" for m, b, _ in BAD_ARGUMENTS],
)
def test_a_bad_argument_is_a_cell_argument_error_caught_as_rnninit_error_and_as_value_error(
    module, bad, message
):
    kwargs = {"input_size": IN, "hidden_size": H, **bad}
    with pytest.raises(ri.RnninitError, match=message) as caught:
        module(**kwargs)
    assert isinstance(caught.value, CellArgumentError)
    with pytest.raises(ValueError, match=message):  # what code written for the frameworks' own catches
        module(**kwargs)


@pytest.mark.parametrize(
    ("module", "call"),
    [
        (rt.LSTM(IN, H), lambda m: m(torch.zeros(5, 2, IN + 1))),
        (rt.GRU(IN, H), lambda m: m(torch.zeros(2, 5, 2, IN))),
        (rt.Elman(IN, H, num_layers=2), lambda m: m(torch.zeros(5, 2, IN), torch.zeros(1, 2, H))),
        (rt.LSTMCell(IN, H), lambda m: m(torch.zeros(2, IN + 1))),
        (rt.IndRNNCell(IN, H), lambda m: m(torch.zeros(1, 2, IN))),
    ],
    ids=["features", "dims", "state", "cell-features", "cell-dims"],
)
def test_a_wrong_input_or_state_shape_is_a_cell_argument_error(module, call):
    name = type(module).__name__
    with pytest.raises(CellArgumentError, match=f"^{name}: (expected|input has)"):
        call(module)


def _positional(signature: inspect.Signature) -> list[tuple[str, object]]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [
        (p.name, p.default) for p in signature.parameters.values() if p.kind in kinds and p.name != "self"
    ]


def _torch_signature(cls) -> inspect.Signature:
    """torch.nn's documented signature (nn.LSTM/GRU/RNN declare it as an overload of ``*args, **kwargs``)."""
    overloads = [
        o for o in typing.get_overloads(cls.__init__) if "input_size" in inspect.signature(o).parameters
    ]
    return inspect.signature(overloads[0] if overloads else cls.__init__)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (rt.Elman, nn.RNN),
        (rt.LSTM, nn.LSTM),
        (rt.GRU, nn.GRU),
        (rt.ElmanCell, nn.RNNCell),
        (rt.LSTMCell, nn.LSTMCell),
        (rt.GRUCell, nn.GRUCell),
    ],
    ids=lambda c: c.__name__,
)
def test_drop_ins_take_torch_nn_arguments_in_torch_nn_order_with_its_defaults(ours, theirs):
    theirs_positional = [p for p in _positional(_torch_signature(theirs)) if p[0] not in ("device", "dtype")]
    assert _positional(inspect.signature(ours)) == theirs_positional
    keyword_only = [
        p.name
        for p in inspect.signature(ours).parameters.values()
        if p.kind == inspect.Parameter.KEYWORD_ONLY
    ]
    assert keyword_only == ["init", "seed", "device", "dtype"]
