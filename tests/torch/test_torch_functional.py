"""The functional layers and steps equal PyTorch's own modules, and layers equal their steps looped."""

import pytest
import torch
from torch import nn

from rnninit.torch import functional as Fr

T, B, IN, H = 6, 3, 4, 5


def _x(dtype=torch.float64):
    return torch.randn(T, B, IN, dtype=dtype)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_layer_equals_nn_rnn(nonlinearity):
    torch.manual_seed(0)
    rnn = nn.RNN(IN, H, nonlinearity=nonlinearity, dtype=torch.float64)
    x, h0 = _x(), torch.randn(1, B, H, dtype=torch.float64)
    want, want_h = rnn(x, h0)
    got, got_h = Fr.elman_layer(x, h0[0], *[p for p in rnn.parameters()], nonlinearity=nonlinearity)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(got_h, want_h[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("proj_size", [0, 2])
def test_lstm_layer_equals_nn_lstm(proj_size):
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, H, proj_size=proj_size, dtype=torch.float64)
    out_size = proj_size or H
    x = _x()
    h0, c0 = torch.randn(1, B, out_size, dtype=torch.float64), torch.randn(1, B, H, dtype=torch.float64)
    want, (want_h, want_c) = lstm(x, (h0, c0))
    w_hr = lstm.weight_hr_l0 if proj_size else None
    got, (got_h, got_c) = Fr.lstm_layer(
        x, (h0[0], c0[0]), lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0, w_hr
    )
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(got_h, want_h[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(got_c, want_c[0], rtol=0, atol=1e-12)


def test_gru_layer_equals_nn_gru():
    torch.manual_seed(0)
    gru = nn.GRU(IN, H, dtype=torch.float64)
    x, h0 = _x(), torch.randn(1, B, H, dtype=torch.float64)
    want, want_h = gru(x, h0)
    got, got_h = Fr.gru_layer(x, h0[0], *gru.parameters())
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(got_h, want_h[0], rtol=0, atol=1e-12)


def test_reverse_layer_equals_forward_layer_on_flipped_input():
    torch.manual_seed(0)
    gru = nn.GRU(IN, H, dtype=torch.float64)
    x, h0 = _x(), torch.randn(B, H, dtype=torch.float64)
    rev, rev_h = Fr.gru_layer(x, h0, *gru.parameters(), reverse=True)
    fwd, fwd_h = Fr.gru_layer(x.flip(0), h0, *gru.parameters())
    torch.testing.assert_close(rev, fwd.flip(0), rtol=0, atol=1e-12)
    torch.testing.assert_close(rev_h, fwd_h, rtol=0, atol=1e-12)


def _loop(cell, x, h, reverse=False):
    steps = x.unbind(0)[::-1] if reverse else x.unbind(0)
    outs = []
    for xt in steps:
        h = cell(xt, h)
        outs.append(h)
    return torch.stack(outs[::-1] if reverse else outs), h


@pytest.mark.parametrize("reverse", [False, True])
def test_indrnn_layer_equals_its_cell_looped(reverse):
    torch.manual_seed(0)
    w, u, b = (
        torch.randn(H, IN, dtype=torch.float64),
        torch.rand(H, dtype=torch.float64),
        torch.randn(H, dtype=torch.float64),
    )
    x, h0 = _x(), torch.randn(B, H, dtype=torch.float64)
    want, want_h = _loop(lambda xt, h: Fr.indrnn_cell(xt, h, w, u, b), x, h0, reverse)
    got, got_h = Fr.indrnn_layer(x, h0, w, u, b, reverse=reverse)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(got_h, want_h, rtol=0, atol=1e-12)
    # the step is h' = relu(W x + b + u ⊙ h), written out
    torch.testing.assert_close(
        want[0 if not reverse else -1], torch.relu(x[0 if not reverse else -1] @ w.T + b + u * h0)
    )


@pytest.mark.parametrize("reverse", [False, True])
def test_minimalrnn_layer_equals_its_cell_looped(reverse):
    torch.manual_seed(0)
    w_x, b_x = torch.randn(H, IN, dtype=torch.float64), torch.randn(H, dtype=torch.float64)
    u_h, u_z = torch.randn(H, H, dtype=torch.float64), torch.randn(H, H, dtype=torch.float64)
    b_u = torch.randn(H, dtype=torch.float64)
    x, h0 = _x(), torch.randn(B, H, dtype=torch.float64)
    want, want_h = _loop(lambda xt, h: Fr.minimalrnn_cell(xt, h, w_x, b_x, u_h, u_z, b_u), x, h0, reverse)
    got, got_h = Fr.minimalrnn_layer(x, h0, w_x, b_x, u_h, u_z, b_u, reverse=reverse)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
    torch.testing.assert_close(got_h, want_h, rtol=0, atol=1e-12)
    # the step written out: z = tanh(W_x x + b_x), u = σ(U_h h + U_z z + b_u), h' = u h + (1 - u) z
    t = -1 if reverse else 0
    z = torch.tanh(x[t] @ w_x.T + b_x)
    u = torch.sigmoid(h0 @ u_h.T + z @ u_z.T + b_u)
    torch.testing.assert_close(want[t], u * h0 + (1 - u) * z)


def test_lengths_stop_each_sequence_at_its_end():
    torch.manual_seed(0)
    lstm = nn.LSTM(IN, H, dtype=torch.float64)
    x = _x()
    h0, c0 = torch.randn(B, H, dtype=torch.float64), torch.randn(B, H, dtype=torch.float64)
    lengths = torch.tensor([T, 2, 4])
    weights = list(lstm.parameters())
    out, (h, c) = Fr.lstm_layer(x, (h0, c0), *weights, lengths=lengths)
    for b, n in enumerate(lengths.tolist()):
        want, (want_h, want_c) = Fr.lstm_layer(x[:n, b : b + 1], (h0[b : b + 1], c0[b : b + 1]), *weights)
        torch.testing.assert_close(out[:n, b], want[:, 0], rtol=0, atol=1e-12)
        assert torch.all(out[n:, b] == 0)
        torch.testing.assert_close(h[b], want_h[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(c[b], want_c[0], rtol=0, atol=1e-12)
        rev, (rev_h, _) = Fr.lstm_layer(
            x[:n, b : b + 1], (h0[b : b + 1], c0[b : b + 1]), *weights, reverse=True
        )
        got_rev, (got_rev_h, _) = Fr.lstm_layer(x, (h0, c0), *weights, reverse=True, lengths=lengths)
        torch.testing.assert_close(got_rev[:n, b], rev[:, 0], rtol=0, atol=1e-12)
        torch.testing.assert_close(got_rev_h[b], rev_h[0], rtol=0, atol=1e-12)


def test_unknown_nonlinearity_is_a_value_error_naming_the_valid_ones():
    with pytest.raises(ValueError, match="'tanh', 'relu'"):
        Fr.activation("sigmoid")
