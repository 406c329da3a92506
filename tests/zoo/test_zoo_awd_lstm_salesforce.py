"""Salesforce's weight-dropped LSTM (salesforce/awd-lstm-lm, weight_drop.py: ``WeightDrop``) around the
LSTM of PyTorch's word-language model (pytorch/examples, word_language_model/model.py: ``RNNModel``).

What matters in the designs: ``WeightDrop`` deletes each listed weight from the wrapped module's
parameters and registers the raw weight *on the wrapped module* as ``name + '_raw'``
(``module.weight_hh_l1_reverse_raw``); at each forward it sets the dropout of the raw weight back as a
plain attribute, and it turns ``flatten_parameters`` into a no-op. Here it wraps every recurrent weight of
a two-layer bidirectional ``nn.LSTM``, so the renamed tensors span layers and directions, and one
``rt.declare_wrapped(..., renamed="module.{name}_raw")`` gives them the bare ``nn.LSTM``'s block
identities. ``RNNModel`` ties its decoder's weight to its encoder's (``decoder.weight = encoder.weight``,
Press & Wolf 2017): shared storage that belongs to no recurrent cell, so it is neither touched nor refused.
"""

import numpy as np
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

import rnninit.torch as rt

TOKENS, EMB, HID, LAYERS = 50, 32, 16, 2
SPEC = "ih=glorot_uniform hh=orthogonal bias=zeros bias[f]=1.0"
RECURRENT = [f"weight_hh_l{k}{s}" for k in range(LAYERS) for s in ("", "_reverse")]


class WeightDrop(nn.Module):
    """Salesforce's design: the raw weight is re-registered on the wrapped module."""

    def __init__(self, module, weights, dropout=0.0):
        super().__init__()
        self.module, self.weights, self.dropout = module, weights, dropout
        if isinstance(module, nn.RNNBase):
            module.flatten_parameters = lambda *args, **kwargs: None
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


class RNNModel(nn.Module):
    """The word-language model with an LSTM: encoder, recurrent module, decoder tied to the encoder."""

    def __init__(self, wdrop=0.5):
        super().__init__()
        self.encoder = nn.Embedding(TOKENS, EMB)
        lstm = nn.LSTM(EMB, HID, LAYERS, bidirectional=True)
        self.rnn = rt.declare_wrapped(WeightDrop(lstm, RECURRENT, dropout=wdrop), renamed="module.{name}_raw")
        self.decoder = nn.Linear(2 * HID, TOKENS)
        self.decoder.weight = self.encoder.weight  # tie_weights: needs 2 * HID == EMB

    def forward(self, tokens):
        output, _ = self.rnn(self.encoder(tokens))
        return self.decoder(output)


def test_every_block_of_every_layer_and_direction_is_the_bare_lstms():
    model = RNNModel()
    embedding = model.encoder.weight.detach().clone()
    rt.apply(SPEC, model, seed=0)
    bare = nn.LSTM(EMB, HID, LAYERS, bidirectional=True)
    rt.apply(SPEC, nn.ModuleDict({"rnn": bare}), seed=0)  # the same path: the same block identities
    lstm = model.rnn.module
    for name, value in bare.named_parameters():
        stored = f"{name}_raw" if name in RECURRENT else name
        assert torch.equal(lstm.get_parameter(stored), value), name
    for k in range(LAYERS):
        for suffix in ("", "_reverse"):
            w_ih = numpy(getattr(lstm, f"weight_ih_l{k}{suffix}"))
            w_hh = numpy(getattr(lstm, f"weight_hh_l{k}{suffix}_raw"))
            bias = numpy(getattr(lstm, f"bias_ih_l{k}{suffix}") + getattr(lstm, f"bias_hh_l{k}{suffix}"))
            for gate in range(4):  # i, f, g, o
                assert_glorot_uniform(rows(w_ih, gate, HID), fan_in=w_ih.shape[1], fan_out=HID)
                assert_orthogonal(rows(w_hh, gate, HID))
            np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], HID))
    assert torch.equal(model.encoder.weight, embedding) and model.decoder.weight is model.encoder.weight


def test_the_model_runs_in_training_and_the_audit_names_a_planted_mistake():
    model = RNNModel()
    rt.apply(SPEC, model, seed=1)
    model.train()
    logits = model(torch.randint(0, TOKENS, (7, 2)))
    assert logits.shape == (7, 2, TOKENS) and torch.isfinite(logits).all()
    assert_audits_clean(model, SPEC)
    with torch.no_grad():  # the forget bias of 1 in both biases of the second layer's reverse cell
        model.rnn.module.bias_hh_l1_reverse[HID : 2 * HID] = 1.0
    assert_caught(model, SPEC, tensor="rnn.module.bias_hh_l1_reverse", role="bias", gate="f")


def test_describe_round_trips():
    model = RNNModel()
    rt.apply(SPEC, model, seed=2)
    described, report = describe_round_trip(model, RNNModel(), SPEC, rt.apply, seed=3)
    assert report.ok, f"{described}\n{report.to_text()}"
