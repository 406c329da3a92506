"""fastai's AWD-LSTM (fastai/text/models/awd_lstm.py: ``WeightDropout`` and ``AWD_LSTM``, Merity et al. 2017).

What matters in its design: ``AWD_LSTM`` stacks ``n_layers`` one-layer ``nn.LSTM`` s (bidirectional
with ``bidir=True``) in a ``ModuleList``, each wrapped in ``WeightDropout``. The wrapper deletes the
LSTM's ``weight_hh_l0`` parameter, keeps the raw weight as its own parameter ``weight_hh_l0_raw``, and
puts a plain tensor back on the LSTM (a clone, then at every forward a dropout of the raw weight): so
the parameter that holds the recurrent weights is renamed, and ``module.weight_hh_l0`` is computed,
never a parameter. Only ``weight_hh_l0`` is wrapped; the reverse direction's ``weight_hh_l0_reverse``
stays an ordinary parameter. One ``rt.declare_wrapped(WeightDropout)`` declares every layer.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_checks import (
    assert_audits_clean,
    assert_caught,
    assert_glorot_uniform,
    assert_orthogonal,
    describe_round_trip,
    numpy,
    rows,
)

import rnninit as ri
import rnninit.torch as rt

VOCAB, EMB, HID, LAYERS = 50, 16, 32, 3
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"


class WeightDropout(nn.Module):
    """fastai's design: the raw weight is the wrapper's parameter, the module gets a computed tensor."""

    def __init__(self, module, weight_p, layer_names="weight_hh_l0"):
        super().__init__()
        self.module, self.weight_p = module, weight_p
        self.layer_names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
        for layer in self.layer_names:
            w = getattr(self.module, layer)
            delattr(self.module, layer)
            self.register_parameter(f"{layer}_raw", nn.Parameter(w.data))
            setattr(self.module, layer, w.clone())
            if isinstance(self.module, nn.RNNBase):
                self.module.flatten_parameters = lambda: None

    def _setweights(self):
        for layer in self.layer_names:
            raw_w = getattr(self, f"{layer}_raw")
            setattr(self.module, layer, F.dropout(raw_w, p=self.weight_p) if self.training else raw_w.clone())

    def forward(self, *args):
        self._setweights()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)  # weights not flattened
            return self.module(*args)


rt.declare_wrapped(
    WeightDropout
)  # every instance: the inner nn.LSTM's layout, weight_hh_l0 kept as weight_hh_l0_raw


def lstm(layer, bidir):  # AWD_LSTM._one_rnn's sizes: emb -> hid -> ... -> emb, halved per direction
    n_in, n_out = EMB if layer == 0 else HID, (HID if layer != LAYERS - 1 else EMB) // (2 if bidir else 1)
    return nn.LSTM(n_in, n_out, 1, batch_first=True, bidirectional=bidir)


class AWD_LSTM(nn.Module):  # noqa: N801 - fastai's name
    """The design without its embedding and hidden dropouts (no parameters of their own)."""

    def __init__(self, bidir=True, weight_p=0.5, wrap=True):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, EMB)
        self.rnns = nn.ModuleList(
            [WeightDropout(lstm(k, bidir), weight_p) if wrap else lstm(k, bidir) for k in range(LAYERS)]
        )

    def forward(self, tokens):
        output = self.encoder(tokens)
        for rnn in self.rnns:
            output, _ = rnn(output)
        return output


def test_every_block_is_where_the_lstms_read_it_and_equals_the_unwrapped_models():
    model = AWD_LSTM()
    result = rt.apply(SPEC, model, seed=0)
    assert len(result.plan.assignments) == LAYERS * 2 * 12 and result.skipped == ()
    bare = AWD_LSTM(wrap=False)  # the same LSTMs at the same paths, no wrapper
    rt.apply(SPEC, bare, seed=0)
    for layer, (wrapped, plain) in enumerate(zip(model.rnns, bare.rnns, strict=True)):
        hidden = plain.hidden_size
        for suffix in ("", "_reverse"):
            stored = "weight_hh_l0_raw" if not suffix else "module.weight_hh_l0_reverse"
            w_hh = wrapped.get_parameter(stored)
            assert torch.equal(w_hh, getattr(plain, f"weight_hh_l0{suffix}")), (layer, suffix)
            w_ih = numpy(wrapped.module.get_parameter(f"weight_ih_l0{suffix}"))
            bias = numpy(
                getattr(wrapped.module, f"bias_ih_l0{suffix}")
                + getattr(wrapped.module, f"bias_hh_l0{suffix}")
            )
            for k in range(4):  # i, f, g, o
                assert_orthogonal(rows(numpy(w_hh), k, hidden))
                assert_glorot_uniform(rows(w_ih, k, hidden), fan_in=w_ih.shape[1], fan_out=hidden)
            np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], hidden))


def test_the_model_runs_and_stays_audited_clean_after_a_training_forward():
    model = AWD_LSTM()
    rt.apply(SPEC, model, seed=1)
    tokens = torch.randint(0, VOCAB, (2, 7))
    model.train()
    out = model(tokens)
    assert out.shape == (2, 7, EMB) and torch.isfinite(out).all()
    dropped = model.rnns[0].module.weight_hh_l0  # a dropout of the raw weight, not a parameter
    assert not isinstance(dropped, nn.Parameter) and (dropped == 0).float().mean() > 0.3
    assert_audits_clean(model, SPEC)
    model.eval()
    model(tokens)
    torch.testing.assert_close(model.rnns[0].module.weight_hh_l0, model.rnns[0].weight_hh_l0_raw)


def test_a_planted_mistake_in_a_raw_weight_is_named_by_its_stored_name():
    model = AWD_LSTM()
    rt.apply(SPEC, model, seed=2)
    assert_audits_clean(model, SPEC)
    with torch.no_grad():
        hidden = model.rnns[1].module.hidden_size
        model.rnns[1].weight_hh_l0_raw[3 * hidden :] *= 2  # the output gate's block
    assert_caught(model, SPEC, tensor="rnns.1.weight_hh_l0_raw", role="hh", gate="o")


def test_describe_round_trips():
    model = AWD_LSTM()
    rt.apply(SPEC, model, seed=3)
    described, report = describe_round_trip(model, AWD_LSTM(), SPEC, rt.apply, seed=4)
    assert report.ok, f"{described}\n{report.to_text()}"


def test_an_undeclared_wrapper_is_refused_with_the_line_to_write():
    class Undeclared(WeightDropout):
        rnninit_wraps = None

    model = nn.Sequential(Undeclared(lstm(0, bidir=True), 0.5))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ri.LayoutError) as info:
        rt.apply(SPEC, model, seed=0)
    assert "0.module.weight_hh_l0 is not a parameter" in str(info.value)
    assert "declare_wrapped(model[0], inner='module', renamed={'weight_hh_l0': 'weight_hh_l0_raw'})" in str(
        info.value
    )
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
