"""Every backend of rnninit.torch.fast gives rt.LSTM/GRU/Elman the built-ins' outputs and gradients."""

import pytest
import torch
from torch import nn

import rnninit.torch as rt
import rnninit.torch.fast as fast
from rnninit.torch.fast import backend

T, B, IN, H = 5, 3, 4, 6
TOL = {torch.float64: 1e-9, torch.float32: 1e-5}
KINDS = {
    "lstm": (rt.LSTM, nn.LSTM, {}),
    "gru": (rt.GRU, nn.GRU, {}),
    "rnn_tanh": (rt.Elman, nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (rt.Elman, nn.RNN, {"nonlinearity": "relu"}),
}


def outputs_and_grads(module, x, hx):
    x = x.clone().requires_grad_(True)
    hx = tuple(h.clone().requires_grad_(True) for h in hx)
    output, state = module(x, hx if len(hx) == 2 else hx[0])
    states = list(state) if isinstance(state, tuple) else [state]
    gen = torch.Generator().manual_seed(7)
    loss = sum(
        (t * torch.randn(t.shape, generator=gen, dtype=x.dtype).to(t.device)).sum() for t in [output, *states]
    )
    loss.backward()
    grads = [x.grad, *(h.grad for h in hx), *(p.grad for p in module.parameters())]
    return [output, *states], grads


#: Every device this machine has: the parity tests run on a GPU too where there is one (cuDNN is the
#: built-in there), and never need one.
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", ["kernels", "builtin", "loop"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_two_layer_bidirectional_module_matches_torch_builtin_on_every_backend(kind, dtype, name, device):
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 2, "bidirectional": True, "batch_first": True, "dtype": dtype, **extra}
    ours, theirs = ours_cls(IN, H, seed=1, **config), theirs_cls(IN, H, **config)
    theirs.load_state_dict(ours.state_dict())
    ours.to(device), theirs.to(device)
    torch.manual_seed(0)
    x = torch.randn(B, T, IN, dtype=dtype).to(device)
    hx = [torch.randn(4, B, H, dtype=dtype).to(device) for _ in range(2 if kind == "lstm" else 1)]
    with fast.use_backend(name):
        got, got_grads = outputs_and_grads(ours, x, hx)
    want, want_grads = outputs_and_grads(theirs, x, hx)
    for g, w in zip(got + got_grads, want + want_grads, strict=True):
        torch.testing.assert_close(g, w, rtol=TOL[dtype], atol=TOL[dtype])


def test_auto_uses_the_fused_builtin_only_for_float32_lstm_on_cpu():
    x32, x64 = torch.zeros(2, 1, 1), torch.zeros(2, 1, 1, dtype=torch.float64)
    assert backend.resolve("lstm", x32) == ("builtin" if torch.backends.mkldnn.is_available() else "kernels")
    assert backend.resolve("lstm", x64) == "kernels"
    assert backend.resolve("gru", x32) == "kernels"
    assert backend.resolve("elman", x32) == "kernels"


def test_a_projection_takes_the_loop_unless_the_builtin_is_asked_for():
    x = torch.zeros(2, 1, 1, dtype=torch.float64)
    assert backend.resolve("lstm", x, projected=True) == "loop"
    with fast.use_backend("kernels"):
        assert backend.resolve("lstm", x, projected=True) == "loop"
    with fast.use_backend("builtin"):
        assert backend.resolve("lstm", x, projected=True) == "builtin"


@pytest.mark.parametrize("name", ["auto", "kernels", "builtin", "loop"])
def test_under_autocast_every_backend_resolves_to_the_builtin(name):
    x = torch.zeros(2, 1, 1)
    with fast.use_backend(name):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert backend.resolve("gru", x) == "builtin"
            assert backend.resolve("lstm", x, projected=True) == "builtin"
        assert backend.resolve("gru", x) == {"auto": "kernels"}.get(name, name)  # autocast off again


def test_use_backend_restores_the_previous_choice_even_after_an_error():
    assert fast.get_backend() == "auto"
    with pytest.raises(RuntimeError), fast.use_backend("loop"):
        assert fast.get_backend() == "loop"
        raise RuntimeError("inside")
    assert fast.get_backend() == "auto"


def test_an_unknown_backend_is_a_value_error_listing_the_valid_ones():
    with pytest.raises(ValueError, match="'auto', 'kernels', 'builtin', 'loop'"):
        fast.set_backend("cudnn")
    assert fast.get_backend() == "auto"


@pytest.mark.parametrize("name", ["kernels", "builtin"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "elman"])
def test_a_layer_with_only_one_of_its_two_biases_matches_the_loop(kind, name):
    from rnninit.torch import functional as Fr

    torch.manual_seed(4)
    gates = {"lstm": 4, "gru": 3, "elman": 1}[kind]
    x = torch.randn(T, B, IN, dtype=torch.float64)
    h = torch.randn(B, H, dtype=torch.float64)
    w_ih = torch.randn(gates * H, IN, dtype=torch.float64)
    w_hh = torch.randn(gates * H, H, dtype=torch.float64)
    b_hh = torch.randn(gates * H, dtype=torch.float64)
    layer = {"lstm": Fr.lstm_layer, "gru": Fr.gru_layer, "elman": Fr.elman_layer}[kind]
    state = (h, h.clone()) if kind == "lstm" else h
    results = {}
    for backend_name in (name, "loop"):
        with fast.use_backend(backend_name):
            results[backend_name] = layer(x, state, w_ih, w_hh, None, b_hh, reverse=True)
    torch.testing.assert_close(results[name], results["loop"], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["kernels", "builtin", "loop"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_every_backend_runs_on_a_device_other_than_the_cpu(kind, name):
    # "meta" tensors have a device and shapes but no data: code that assumes a CPU (.numpy(), .item(),
    # CPU-only ops, tensors created without a device) fails here, without needing a GPU.
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 2, "bidirectional": True, "device": "meta", **extra}
    ours, theirs = ours_cls(IN, H, **config), theirs_cls(IN, H, **config)
    x = torch.empty(T, B, IN, device="meta", requires_grad=True)
    with fast.use_backend(name):
        output, _ = ours(x)
        output.sum().backward()
    assert output.device.type == "meta" and output.shape == theirs(x)[0].shape
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in ours.parameters())


@pytest.mark.parametrize("kind", list(KINDS))
def test_on_the_builtin_backend_a_stack_is_one_builtin_call_dropout_included(kind):
    # The whole stack runs as torch.nn.LSTM/GRU/RNN run it, so even dropout between layers in training
    # mode draws the same random numbers: the outputs are equal bit for bit.
    ours_cls, theirs_cls, extra = KINDS[kind]
    config = {"num_layers": 3, "bidirectional": True, "dropout": 0.5, **extra}
    ours, theirs = ours_cls(IN, H, seed=1, **config), theirs_cls(IN, H, **config)
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(T, B, IN, generator=torch.Generator().manual_seed(3))
    with fast.use_backend("builtin"):
        torch.manual_seed(11)
        got = ours(x)
    torch.manual_seed(11)
    want = theirs(x)
    assert torch.equal(got[0], want[0])
