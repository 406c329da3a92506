"""Wrapped built-ins (weight-dropped LSTMs), tied weights and skipped parameters: never a silent result.

The two wrappers reproduce the designs of fastai's ``WeightDropout`` (fastai/text/models/awd_lstm.py:
the raw weight is a parameter of the wrapper, ``module._parameters[name]`` holds its dropout) and
Salesforce's ``WeightDrop`` (awd-lstm-lm/weight_drop.py: the raw weight is re-registered on the
wrapped module as ``name + '_raw'`` and the original becomes a plain attribute).
"""

import pytest
import torch
import torch.nn.functional as F
from helpers import assert_torch_unchanged, torch_state
from torch import nn

import rnninit as ri
import rnninit.torch as rt

SPEC = "ih=glorot_uniform hh=orthogonal bias=normal(std=0.1) bias[f]=1.0"


class WeightDropout(nn.Module):
    """fastai's design."""

    def __init__(self, module, weight_p=0.5, layer_names=("weight_hh_l0",)):
        super().__init__()
        self.module, self.weight_p, self.layer_names = module, weight_p, layer_names
        for layer in self.layer_names:
            w = getattr(self.module, layer)
            self.register_parameter(f"{layer}_raw", nn.Parameter(w.data))
            self.module._parameters[layer] = F.dropout(w, p=self.weight_p, training=False)

    def _setweights(self):
        for layer in self.layer_names:
            raw_w = getattr(self, f"{layer}_raw")
            self.module._parameters[layer] = F.dropout(raw_w, p=self.weight_p, training=self.training)

    def forward(self, *args):
        self._setweights()
        return self.module.forward(*args)


class WeightDrop(nn.Module):
    """Salesforce's design."""

    def __init__(self, module, weights=("weight_hh_l0",), dropout=0.5):
        super().__init__()
        self.module, self.weights, self.dropout = module, weights, dropout
        for name_w in self.weights:
            w = getattr(self.module, name_w)
            del self.module._parameters[name_w]
            self.module.register_parameter(name_w + "_raw", nn.Parameter(w.data))

    def _setweights(self):
        for name_w in self.weights:
            raw_w = getattr(self.module, name_w + "_raw")
            setattr(self.module, name_w, F.dropout(raw_w, p=self.dropout, training=self.training))

    def forward(self, *args):
        self._setweights()
        return self.module.forward(*args)


ALL_HH = ("weight_hh_l0", "weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse")


def bare_lstm():
    return nn.LSTM(3, 4, num_layers=2, bidirectional=True)


def effective_state(module, renames):
    """The built-in's parameters, read through the wrapper's renamed copies."""
    out = {}
    for name, _ in bare_lstm().named_parameters():
        out[name] = module.get_parameter(renames.get(name, f"module.{name}")).detach().clone()
    return out


@pytest.mark.parametrize("forward_first", [False, True], ids=["fresh", "after-a-training-forward"])
def test_fastai_weight_dropout_declared_in_one_line_gets_the_bare_lstms_numbers(forward_first):
    wrapped = WeightDropout(bare_lstm(), layer_names=ALL_HH)
    if forward_first:  # module._parameters now hold dropout outputs, not parameters
        wrapped.train()
        wrapped(torch.zeros(2, 1, 3))
    rt.declare_wrapped(wrapped)
    result = rt.apply(SPEC, wrapped, seed=5)
    bare = bare_lstm()
    rt.apply(SPEC, bare, seed=5)
    got = effective_state(wrapped, {name: f"{name}_raw" for name in ALL_HH})
    for name, value in bare.named_parameters():
        torch.testing.assert_close(got[name], value.detach(), rtol=0, atol=0, msg=name)
    assert result.skipped == () and len(result.plan.assignments) == 48
    assert ri.audit(wrapped, SPEC).ok


def test_salesforce_weight_drop_is_declared_with_the_same_one_liner():
    wrapped = rt.declare_wrapped(WeightDrop(bare_lstm(), weights=ALL_HH))
    rt.apply(SPEC, wrapped, seed=5)
    bare = bare_lstm()
    rt.apply(SPEC, bare, seed=5)
    got = effective_state(wrapped, {name: f"module.{name}_raw" for name in ALL_HH})
    for name, value in bare.named_parameters():
        torch.testing.assert_close(got[name], value.detach(), rtol=0, atol=0, msg=name)


def test_a_wrapped_lstm_inside_a_model_names_the_wrapper_and_how_to_declare_it():
    model = nn.Sequential(nn.Linear(3, 3), WeightDrop(nn.LSTM(3, 4)))
    before = torch_state(model)
    with pytest.raises(ri.LayoutError) as info:
        rt.apply(SPEC, model, seed=0)
    message = str(info.value)
    assert (
        "1.module.weight_hh_l0 is not a parameter" in message and "'1.module.weight_hh_l0_raw' is" in message
    )
    assert (
        "declare_wrapped(model[1], inner='module', renamed={'weight_hh_l0': 'module.weight_hh_l0_raw'})"
        in message
    )
    assert_torch_unchanged(model, before)

    rt.declare_wrapped(model[1], inner="module", renamed={"weight_hh_l0": "module.weight_hh_l0_raw"})
    rt.apply(SPEC, model, seed=0)
    reference = nn.LSTM(3, 4)
    rt.apply(SPEC, nn.Sequential(nn.Linear(3, 3), reference), seed=0)  # same path "1"
    assert torch.equal(model[1].module.weight_hh_l0_raw, reference.weight_hh_l0)


def test_an_undeclared_fastai_wrapper_is_refused_fresh_or_after_a_forward():
    fresh = nn.Sequential(WeightDropout(nn.LSTM(3, 4)))
    with pytest.raises(ri.LayoutError, match=r"0.module.weight_hh_l0 shares storage with 0.weight_hh_l0_raw"):
        rt.apply(SPEC, fresh, seed=0)
    trained = nn.Sequential(WeightDropout(nn.LSTM(3, 4)))
    trained.train()
    trained(torch.zeros(2, 1, 3))
    with pytest.raises(ri.LayoutError, match=r"is a tensor computed at each forward pass") as info:
        rt.apply(SPEC, trained, seed=0)
    assert "declare_wrapped(model[0], inner='module', renamed={'weight_hh_l0': 'weight_hh_l0_raw'})" in str(
        info.value
    )


def test_layer_by_layer_declaration_has_the_built_ins_block_identities():
    class Wrapper(nn.Module):  # a wrapper that renames every weight of a 2-layer bidirectional LSTM
        def __init__(self):
            super().__init__()
            for name, p in bare_lstm().named_parameters():
                self.register_parameter(name.replace("weight", "w").replace("bias", "b"), p)

    roles = {}
    for layer in (0, 1):
        for suffix, where in (("", ""), ("_reverse", " reverse")):
            address = f" @ layer {layer}{where}"
            roles |= {
                f"w_ih_l{layer}{suffix}": "ih" + address,
                f"w_hh_l{layer}{suffix}": "hh" + address,
                f"b_ih_l{layer}{suffix}": "bias" + address,
                f"b_hh_l{layer}{suffix}": "+bias" + address,
            }
    wrapper = rt.declare(Wrapper(), roles, kind="lstm")
    rt.apply(SPEC, wrapper, seed=9)
    bare = bare_lstm()
    rt.apply(SPEC, bare, seed=9)
    for name, value in bare.named_parameters():
        mine = wrapper.get_parameter(name.replace("weight", "w").replace("bias", "b"))
        assert torch.equal(mine, value), name


def test_a_declaration_that_leaves_out_the_reverse_direction_reports_it():
    wrapped = WeightDrop(nn.LSTM(3, 4, bidirectional=True))
    declared = {"module.weight_hh_l0_raw": "hh", "module.weight_ih_l0": "ih"}
    rt.declare(wrapped, declared | {"module.bias_ih_l0": "bias", "module.bias_hh_l0": "+bias"}, kind="lstm")
    with pytest.raises(ri.LayoutError, match=r"no layout explains: module.bias_hh_l0_reverse"):
        rt.apply(SPEC, wrapped, seed=0)
    result = rt.apply(SPEC, wrapped, seed=0, strict=False)
    reverse = ("bias_hh_l0_reverse", "bias_ih_l0_reverse", "weight_hh_l0_reverse", "weight_ih_l0_reverse")
    assert result.skipped == tuple(f"module.{name}" for name in reverse)
    assert "skipped=4 parameters: module.bias_hh_l0_reverse" in repr(result)
    report = ri.audit(wrapped, SPEC, strict=False)
    assert any("module.weight_hh_l0_reverse" in note and "not audited" in note for note in report.notes)


def test_a_partial_declaration_of_a_fastai_wrapper_points_to_declare_wrapped():
    wrapped = WeightDropout(nn.LSTM(3, 4))
    declared = {"weight_hh_l0_raw": "hh", "module.weight_ih_l0": "ih", "module.bias_ih_l0": "bias"}
    rt.declare(wrapped, declared | {"module.bias_hh_l0": "+bias"}, kind="lstm")
    with pytest.raises(
        ri.LayoutError, match=r"weight_hh_l0_raw shares storage with module.weight_hh_l0.*declare_wrapped"
    ):
        rt.apply(SPEC, wrapped, seed=0, strict=False)


def test_tied_weights_are_refused_naming_both_and_nothing_is_written():
    a, b = nn.LSTMCell(3, 4), nn.LSTMCell(3, 4)
    b.weight_hh = a.weight_hh  # tied
    model = nn.ModuleDict({"a": a, "b": b})
    before = torch_state(model)
    with pytest.raises(ri.LayoutError, match=r"a.weight_hh and b.weight_hh share storage \(tied weights\)"):
        rt.apply(SPEC, model, seed=0)
    assert_torch_unchanged(model, before)
    c = nn.LSTMCell(3, 4)
    c.weight_ih = nn.Parameter(a.weight_ih.detach()[:, :])  # a view: shares memory, another Parameter
    with pytest.raises(ri.LayoutError, match=r"share storage"):
        rt.apply(SPEC, nn.ModuleDict({"a": a, "c": c}), seed=0)
