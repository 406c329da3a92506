"""End-to-end smoke checks of the core and the PyTorch apply that everything else builds on."""

import numpy as np
import pytest
import torch
from helpers import assert_torch_unchanged, torch_state

import rnninit as ri
import rnninit.torch as rt


def test_spec_round_trips_through_string_and_dict():
    spec = ri.Spec.parse("ih=normal(std=0.5) hh=orthogonal(gain=1.0) bias=zeros bias[f]=constant(1.0)")
    assert ri.Spec.parse(str(spec)) == spec
    assert ri.Spec.from_dict(spec.to_dict()) == spec


def test_apply_sets_effective_forget_bias_once_across_two_torch_biases():
    lstm = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    rt.apply("ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0", lstm, seed=0)
    effective = (lstm.bias_ih_l1_reverse + lstm.bias_hh_l1_reverse).detach().numpy()
    np.testing.assert_array_equal(effective[5:10], np.ones(5))
    np.testing.assert_array_equal(np.delete(effective, np.s_[5:10]), np.zeros(15))


def test_failed_apply_changes_no_weight():
    lstm = torch.nn.LSTM(3, 5, proj_size=2)
    before = torch_state(lstm)
    with pytest.raises(ri.SpecError, match="identity needs a square block"):
        rt.apply("ih=normal bias=ones hh=identity", lstm, seed=0)
    assert_torch_unchanged(lstm, before)
