"""rnninit.torch.apply on the library's cells, on torch.nn's, and on models that mix them with other
layers."""

import pytest
import torch
from torch import nn

import rnninit as ri
import rnninit.torch as rt

IN, H = 3, 4


def _rows(tensor, k, size=H):
    return tensor.detach()[k * size : (k + 1) * size]


# -- per-gate blocks in PyTorch's gate order --------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        rt.LSTM(IN, H, num_layers=2, bidirectional=True),
        nn.LSTM(IN, H, 2, bidirectional=True),
        rt.LSTMCell(IN, H),
    ],
)
def test_lstm_gate_blocks_land_in_i_f_g_o_rows(module):
    spec = "ih=zeros hh=zeros bias=zeros " + " ".join(
        f"ih[{g}]={k + 1}.0 hh[{g}]={10 * (k + 1)}.0" for k, g in enumerate("ifgo")
    )
    rt.apply(spec, module, seed=0)
    suffixes = [""] if isinstance(module, rt.LSTMCell) else ["_l0", "_l1_reverse"]
    for suffix in suffixes:
        for k in range(4):
            assert torch.all(_rows(getattr(module, "weight_ih" + suffix), k) == k + 1)
            assert torch.all(_rows(getattr(module, "weight_hh" + suffix), k) == 10 * (k + 1))


@pytest.mark.parametrize(
    "module", [rt.GRU(IN, H, num_layers=2), nn.GRU(IN, H, 2), rt.GRUCell(IN, H), nn.GRUCell(IN, H)]
)
def test_gru_gate_blocks_land_in_r_z_n_rows_and_bias_hn_is_its_own_role(module):
    rt.apply(
        "ih[r]=1.0 ih[z]=2.0 ih[n]=3.0 bias[r]=4.0 bias[z]=5.0 bias[n]=6.0 bias_hn=7.0 hh=0.5", module, seed=0
    )
    suffix = "_l1" if hasattr(module, "num_layers") else ""
    w, b_ih, b_hh = (getattr(module, n + suffix) for n in ("weight_ih", "bias_ih", "bias_hh"))
    for k, value in enumerate((1.0, 2.0, 3.0)):
        assert torch.all(_rows(w, k) == value)
    assert torch.equal(b_ih.detach(), torch.tensor([4.0] * H + [5.0] * H + [6.0] * H))
    # r and z: the effective bias is b_ih + b_hh, so b_hh gets zeros; n: b_hn is bias_hn, inside r ⊙ (...)
    assert torch.equal(b_hh.detach(), torch.tensor([0.0] * (2 * H) + [7.0] * H))


def test_lstm_forget_gate_bias_really_is_the_forget_gate():
    # all weights zero, f saturated open and i shut: the cell state passes through unchanged
    lstm = rt.LSTM(IN, H, init="ih=zeros hh=zeros bias=zeros bias[f]=50.0 bias[i]=-50.0", dtype=torch.float64)
    c0 = torch.randn(1, 2, H, dtype=torch.float64)
    _, (_, c_n) = lstm(
        torch.randn(6, 2, IN, dtype=torch.float64), (torch.zeros(1, 2, H, dtype=torch.float64), c0)
    )
    torch.testing.assert_close(c_n, c0)


def test_gru_update_gate_bias_really_is_z():
    gru = rt.GRU(
        IN, H, init="ih=normal hh=normal bias=zeros bias_hn=zeros bias[z]=50.0", dtype=torch.float64, seed=0
    )
    h0 = torch.randn(1, 2, H, dtype=torch.float64)
    _, h_n = gru(torch.randn(6, 2, IN, dtype=torch.float64), h0)
    torch.testing.assert_close(h_n, h0)


def test_effective_bias_goes_to_bias_ih_and_bias_hh_gets_zeros():
    elman, lstm = rt.Elman(IN, H, num_layers=2), nn.LSTM(IN, H)
    rt.apply("bias=0.5", elman, seed=0)
    rt.apply("bias=zeros bias[f]=1.0", lstm, seed=0)
    for suffix in ("_l0", "_l1"):
        assert torch.all(getattr(elman, "bias_ih" + suffix) == 0.5)
        assert torch.all(getattr(elman, "bias_hh" + suffix) == 0)
    effective = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert torch.equal(effective, torch.tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)))
    assert torch.all(lstm.bias_hh_l0 == 0)


def test_pytorch_default_effective_bias_is_spread_like_the_sum_of_two_uniforms():
    # torch's default draws b_ih and b_hh ~ U(±1/√H) each; the effective sum then spans ±2/√H
    lstm = rt.LSTM(2, 100, seed=0)
    effective = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert torch.all(lstm.bias_hh_l0 == 0)
    assert effective.abs().max() > 1 / 10  # beyond one uniform's bound: it is the two-term sum
    assert effective.abs().max() <= 2 / 10
    assert torch.all(lstm.weight_hh_l0.abs() <= 1 / 10)


def test_proj_is_its_own_role():
    lstm = rt.LSTM(
        IN,
        6,
        proj_size=3,
        num_layers=2,
        init="ih=normal hh=normal bias=zeros proj=orthogonal(gain=2.0)",
        seed=0,
    )
    for suffix in ("_l0", "_l1"):
        w = getattr(lstm, "weight_hr" + suffix).detach().double()
        torch.testing.assert_close(
            w @ w.T, 4 * torch.eye(3, dtype=torch.float64), atol=1e-6, rtol=0
        )  # float32 storage
        assert getattr(lstm, "weight_hh" + suffix).shape == (24, 3)


def test_indrnn_and_minimalrnn_roles_land_in_their_tensors():
    ind = rt.IndRNN(IN, H, num_layers=2, bidirectional=True, init="ih=1.0 hh=2.0 bias=3.0")
    for suffix in ("_l0", "_l0_reverse", "_l1", "_l1_reverse"):
        assert torch.all(getattr(ind, "weight_ih" + suffix) == 1) and getattr(
            ind, "weight_hh" + suffix
        ).shape == (H,)
        assert torch.all(getattr(ind, "weight_hh" + suffix) == 2) and torch.all(
            getattr(ind, "bias" + suffix) == 3
        )
    cell = rt.MinimalRNNCell(IN, H, init="ih=1.0 input_bias=2.0 hh=3.0 zh=4.0 bias=5.0")
    for name, value in (("weight_ih", 1), ("bias_ih", 2), ("weight_hh", 3), ("weight_zh", 4), ("bias", 5)):
        assert torch.all(getattr(cell, name) == value), name
    rt.apply("forget_bias(value=2.5)", cell, seed=0)  # u plays the forget gate's part
    assert torch.all(cell.bias == 2.5)


def test_indrnn_preset_bounds_the_recurrent_weights():
    ind = rt.IndRNN(IN, 50, init="indrnn(t_max=100)", seed=0)
    u = ind.weight_hh_l0.detach()
    assert u.min() >= 0 and u.max() <= 2 ** (1 / 100)
    assert torch.all(ind.bias_l0 == 0)


# -- seeding -----------------------------------------------------------------------------------------


def _state(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize(
    "cls", [rt.LSTM, rt.GRU, rt.Elman, rt.IndRNN, rt.MinimalRNN, rt.LSTMCell, rt.MinimalRNNCell]
)
def test_seed_none_follows_torch_manual_seed(cls):
    torch.manual_seed(3)
    a = _state(cls(IN, H))
    torch.manual_seed(3)
    b = _state(cls(IN, H))
    torch.manual_seed(4)
    c = _state(cls(IN, H))
    assert _equal(a, b)
    assert not _equal(a, c)


@pytest.mark.parametrize("cls", [rt.LSTM, rt.GRU, rt.Elman, rt.IndRNN, rt.MinimalRNN, rt.GRUCell])
def test_int_seed_is_deterministic_and_ignores_torchs_generator(cls):
    torch.manual_seed(0)
    a = _state(cls(IN, H, seed=11))
    torch.manual_seed(1)
    b = _state(cls(IN, H, seed=11))
    c = _state(cls(IN, H, seed=12))
    assert _equal(a, b)
    assert not _equal(a, c)


def test_seed_none_apply_draws_from_torchs_generator():
    lstm = nn.LSTM(IN, H)
    torch.manual_seed(5)
    first = rt.apply("ih=normal hh=orthogonal", lstm).seed
    torch.manual_seed(5)
    assert rt.apply("ih=normal hh=orthogonal", lstm).seed == first


def test_library_lstm_and_builtin_lstm_get_the_same_numbers_from_one_spec_and_seed():
    spec = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0 proj=normal(std=0.2)"
    ours = rt.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=2, init=spec, seed=9)
    theirs = nn.LSTM(IN, H, num_layers=2, bidirectional=True, proj_size=2)
    rt.apply(spec, theirs, seed=9)
    assert _equal(_state(ours), _state(theirs))


def test_reset_parameters_reinitializes_from_the_same_spec_and_seed():
    gru = rt.GRU(IN, H, init="orthogonal", seed=2)
    before = _state(gru)
    with torch.no_grad():
        for p in gru.parameters():
            p.add_(1.0)
    gru.reset_parameters()
    assert _equal(before, _state(gru))


# -- atomic failure and bad input ------------------------------------------------------------------------


class Mixed(nn.Module):
    """Several cells (library and built-in) plus layers rnninit must not touch."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, IN)
        self.gru = rt.GRU(IN, H, bidirectional=True)
        self.lstm = nn.LSTM(2 * H, H, proj_size=2)
        self.cell = rt.IndRNNCell(2, H)
        self.norm = nn.LayerNorm(H)
        self.head = nn.Linear(H, 1)


def test_a_bad_spec_leaves_every_weight_unchanged():
    model = Mixed()
    before = _state(model)
    # identity is fine for the GRU's square hh blocks, impossible for the projected LSTM's (4H, P) ones
    with pytest.raises(ri.SpecError, match="identity"):
        rt.apply("ih=normal hh=identity bias=ones", model, seed=0)
    with pytest.raises(ri.SpecError, match="unknown gate"):
        rt.apply("ih=normal bias[x]=1.0", model, seed=0)
    assert _equal(before, _state(model))


def test_constructor_rejects_a_bad_spec_with_a_typed_error():
    with pytest.raises(ri.SpecError, match="unknown role 'hx'"):
        rt.LSTM(IN, H, init="hx=orthogonal")
    with pytest.raises(ri.SpecError, match="forget gate"):
        rt.Elman(IN, H, init="forget_bias")


def test_apply_on_a_model_initializes_every_cell_and_leaves_other_layers_untouched():
    model = Mixed()
    before = _state(model)
    rt.apply("ih=1.0 hh=2.0 bias=zeros", model, seed=0)  # proj is not a role of every cell here: left alone
    after = _state(model)
    for name in before:
        if name.split(".")[0] not in ("gru", "lstm", "cell") or "weight_hr" in name:
            assert torch.equal(before[name], after[name]), name
        elif "weight_ih" in name:
            assert torch.all(after[name] == 1), name
    assert torch.all(model.cell.weight_hh == 2) and torch.all(model.gru.weight_hh_l0_reverse == 2)
    paths = {r["path"] for r in rt.apply("ih=1.0", model, seed=0).records}
    assert paths == {"gru", "lstm", "cell"}


@pytest.mark.parametrize("bad", [{"input_size": 0}, {"hidden_size": -1}, {"num_layers": 0}, {"dropout": 1.5}])
def test_bad_sizes_are_value_errors(bad):
    kwargs = {"input_size": IN, "hidden_size": H, **bad}
    with pytest.raises(ValueError):
        rt.GRU(**kwargs)


def test_wrong_input_or_state_shape_is_a_value_error_that_names_the_expected_shape():
    lstm = rt.LSTM(IN, H, num_layers=2)
    with pytest.raises(ValueError, match="input_size=3"):
        lstm(torch.zeros(5, 2, IN + 1))
    with pytest.raises(ValueError, match=r"\(2, 2, 4\)"):
        lstm(torch.zeros(5, 2, IN), (torch.zeros(1, 2, H), torch.zeros(1, 2, H)))


def test_bias_false_modules_have_no_bias_tensors_and_still_initialize():
    for module in (
        rt.LSTM(IN, H, bias=False),
        rt.IndRNN(IN, H, bias=False),
        rt.MinimalRNNCell(IN, H, bias=False),
    ):
        assert not [n for n, _ in module.named_parameters() if "bias" in n]
        rt.apply("ih=normal hh=identity", module, seed=0)
        assert all(torch.isfinite(p).all() for p in module.parameters())


def test_roles_the_init_spec_leaves_out_get_pytorchs_default_not_uninitialized_memory():
    gru = rt.GRU(IN, 100, init="ih=normal hh=orthogonal", seed=0)  # no bias at all
    b_hn = gru.bias_hh_l0.detach()[200:]
    assert b_hn.abs().max() <= 0.1 and b_hn.std() > 0.04  # U(±1/√H) has std 0.0577
    effective = (gru.bias_ih_l0 + gru.bias_hh_l0).detach()[:200]  # the sum of two U(±1/√H)
    assert effective.abs().max() <= 0.2 and effective.std() > 0.06  # triangular, std 0.0816


def test_a_spec_that_sets_bias_zeroes_b_hn_by_the_effective_bias_rule():
    gru = rt.GRU(IN, 100, init="ih=normal hh=orthogonal bias=zeros", seed=0)  # no bias_hn
    assert torch.all(gru.bias_hh_l0 == 0) and torch.all(gru.bias_ih_l0 == 0)
    named = rt.GRU(IN, 100, init="ih=normal hh=orthogonal bias=zeros bias_hn=0.5", seed=0)
    assert torch.all(named.bias_hh_l0.detach()[200:] == 0.5)


@pytest.mark.parametrize(
    "init",
    [
        "ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0",
        ri.Spec.parse("ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0"),
        {"ih": "normal(std=0.1)", "hh": "orthogonal", "bias": "zeros", "bias[f]": 1.0},
    ],
    ids=["string", "spec", "dict"],
)
def test_init_accepts_a_string_a_spec_or_a_dict(init):
    want = rt.LSTM(IN, H, init="ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0", seed=4)
    got = rt.LSTM(IN, H, init=init, seed=4)
    assert _equal(_state(got), _state(want))
    assert rt.LSTM(IN, H, init="forget_bias", seed=4).init_spec == ri.Spec.parse("forget_bias")


def test_a_bad_seed_is_a_typed_error():
    with pytest.raises(ri.SeedError, match="seed must be an integer"):
        rt.GRU(IN, H, seed=-1)
