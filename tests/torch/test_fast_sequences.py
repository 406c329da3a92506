"""The whole-sequence layers of rnninit.torch.fast against torch.nn.LSTM/GRU/RNN, and gradcheck."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnninit.torch.fast import elman_sequence, gru_sequence, lstm_sequence

STEPS, BATCH, INPUT, HIDDEN = 6, 3, 5, 4
TOL = {torch.float64: 1e-9, torch.float32: 1e-5}


def builtin_and_fast(kind: str, bias: bool = True):
    """A built-in one-layer module and a function ``(x, state, params) -> (y, final states)`` of ours."""
    if kind == "lstm":
        module = nn.LSTM(INPUT, HIDDEN, bias=bias)

        def fast(x, state, params):
            y, h, c = lstm_sequence(x, state[0][0], state[1][0], *params)
            return y, (h, c)

    elif kind == "gru":
        module = nn.GRU(INPUT, HIDDEN, bias=bias)

        def fast(x, state, params):
            y, h = gru_sequence(x, state[0][0], *params)
            return y, (h,)

    else:
        module = nn.RNN(INPUT, HIDDEN, bias=bias, nonlinearity=kind.split("_")[1])

        def fast(x, state, params):
            y, h = elman_sequence(x, state[0][0], *params, nonlinearity=kind.split("_")[1])
            return y, (h,)

    return module, fast


def layer_params(module: nn.Module) -> tuple:
    """``(w_ih, w_hh, b_ih, b_hh)`` of layer 0, ``None`` for absent biases."""
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return tuple(getattr(module, f"{name}_l0", None) for name in names)


def initial_state(kind: str, dtype) -> tuple:
    shape = (1, BATCH, HIDDEN)
    if kind == "lstm":
        return tuple(torch.randn(shape, dtype=dtype, requires_grad=True) for _ in range(2))
    return torch.randn(shape, dtype=dtype, requires_grad=True)


@pytest.mark.parametrize("kind", ["lstm", "gru", "elman_tanh", "elman_relu"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_outputs_and_all_gradients_equal_the_builtin(kind, dtype, bias):
    torch.manual_seed(0)
    module, fast = builtin_and_fast(kind, bias)
    module = module.to(dtype)
    x = torch.randn(STEPS, BATCH, INPUT, dtype=dtype, requires_grad=True)
    state = initial_state(kind, dtype)
    y_ref, final_ref = module(x, state)
    final_ref = final_ref if isinstance(final_ref, tuple) else (final_ref,)
    states = state if isinstance(state, tuple) else (state,)
    params = [p for p in layer_params(module) if p is not None]
    y, final = fast(x, states, layer_params(module))
    seeds = [torch.randn_like(y_ref)] + [torch.randn_like(t) for t in final_ref]
    wrt = (x, *states, *params)
    grads_ref = torch.autograd.grad((y_ref, *final_ref), wrt, seeds)
    grads = torch.autograd.grad((y, *final), wrt, [seeds[0]] + [s[0] for s in seeds[1:]])
    tol = TOL[dtype]
    torch.testing.assert_close(y, y_ref, atol=tol, rtol=0)
    for got, want in zip(final, final_ref):
        torch.testing.assert_close(got, want[0], atol=tol, rtol=0)
    for got, want in zip(grads, grads_ref):
        torch.testing.assert_close(got, want, atol=tol, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "gru", "elman_tanh", "elman_relu"])
def test_hand_derived_backward_passes_gradcheck_in_float64(kind):
    torch.manual_seed(1)
    module, fast = builtin_and_fast(kind)
    module = module.double()
    x = torch.randn(STEPS, BATCH, INPUT, dtype=torch.float64)
    states = initial_state(kind, torch.float64)
    states = states if isinstance(states, tuple) else (states,)
    inputs = [t.detach().clone().requires_grad_() for t in (x, *states, *layer_params(module))]
    n_states = len(states)

    def run(x, *rest):
        y, final = fast(x, rest[:n_states], rest[n_states:])
        return (y, *final)

    assert torch.autograd.gradcheck(run, inputs, eps=1e-6, atol=1e-7)


def test_backward_twice_with_retain_graph_gives_the_same_gradients():
    torch.manual_seed(2)
    module = nn.LSTM(INPUT, HIDDEN).double()
    x = torch.randn(STEPS, BATCH, INPUT, dtype=torch.float64, requires_grad=True)
    h0 = torch.zeros(BATCH, HIDDEN, dtype=torch.float64)
    y, h, c = lstm_sequence(x, h0, h0, *layer_params(module))
    loss = (y**2).sum() + h.sum()
    first = torch.autograd.grad(loss, x, retain_graph=True)[0]
    second = torch.autograd.grad(loss, x)[0]
    torch.testing.assert_close(first, second, rtol=0, atol=0)


def test_only_the_requested_gradients_are_computed():
    torch.manual_seed(3)
    module = nn.GRU(INPUT, HIDDEN).double()
    for p in module.parameters():
        p.requires_grad_(False)
    module.weight_hh_l0.requires_grad_(True)
    x = torch.randn(STEPS, BATCH, INPUT, dtype=torch.float64)
    y, _ = gru_sequence(x, torch.zeros(BATCH, HIDDEN, dtype=torch.float64), *layer_params(module))
    y.sum().backward()
    assert module.weight_hh_l0.grad is not None and module.weight_hh_l0.grad.abs().sum() > 0
    assert module.weight_ih_l0.grad is None


def test_an_unknown_nonlinearity_is_a_value_error_naming_the_valid_ones():
    module = nn.RNN(INPUT, HIDDEN)
    with pytest.raises(ValueError, match="valid: 'tanh', 'relu'"):
        x, h0 = torch.zeros(STEPS, BATCH, INPUT), torch.zeros(BATCH, HIDDEN)
        elman_sequence(x, h0, *layer_params(module), "gelu")


@pytest.mark.parametrize("kind", ["lstm", "gru", "elman_tanh"])
def test_a_single_step_sequence_matches_the_builtin(kind):
    torch.manual_seed(5)
    module, fast = builtin_and_fast(kind)
    module = module.double()
    x = torch.randn(1, BATCH, INPUT, dtype=torch.float64, requires_grad=True)
    state = initial_state(kind, torch.float64)
    states = state if isinstance(state, tuple) else (state,)
    y_ref = module(x, state)[0]
    y = fast(x, states, layer_params(module))[0]
    params = [p for p in layer_params(module) if p is not None]
    torch.testing.assert_close(y, y_ref, rtol=0, atol=1e-12)
    for got, want in zip(torch.autograd.grad(y.sum(), params), torch.autograd.grad(y_ref.sum(), params)):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
