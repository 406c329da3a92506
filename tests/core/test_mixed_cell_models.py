"""One spec over a model that mixes cell kinds: entries reach the cells that have their role/gate."""

import numpy as np
import pytest
import torch
from helpers import assert_torch_unchanged, torch_state
from torch import nn

import rnninit as ri
import rnninit.torch as rt


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, proj_size=2)
        self.gru = nn.GRU(2, 4)


def effective(module, name_ih, name_hh, rows):
    return (getattr(module, name_ih) + getattr(module, name_hh)).detach().numpy()[rows]


def test_gate_and_role_entries_apply_only_to_the_cells_that_have_them():
    model = Mixed()
    gru_hn_before = model.gru.bias_hh_l0.detach().clone()
    rt.apply("ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0 proj=zeros bias_hn=0.5", model, seed=0)
    # LSTM: forget gate rows 5:10 of the effective bias are 1, the rest 0; projection zero
    np.testing.assert_array_equal(effective(model.lstm, "bias_ih_l0", "bias_hh_l0", slice(5, 10)), np.ones(5))
    np.testing.assert_array_equal(effective(model.lstm, "bias_ih_l0", "bias_hh_l0", slice(0, 5)), np.zeros(5))
    assert torch.count_nonzero(model.lstm.weight_hr_l0) == 0
    # GRU: no forget gate named f, so its r/z biases are the role-wide zeros; b_hn is 0.5
    np.testing.assert_array_equal(effective(model.gru, "bias_ih_l0", "bias_hh_l0", slice(0, 8)), np.zeros(8))
    np.testing.assert_array_equal(model.gru.bias_hh_l0.detach().numpy()[8:12], np.full(4, 0.5))
    assert not torch.equal(model.gru.bias_hh_l0.detach(), gru_hn_before)


def test_an_entry_that_fits_no_cell_of_the_model_is_still_an_error_and_changes_nothing():
    model = Mixed()
    before = torch_state(model)
    with pytest.raises(ri.SpecError, match="unknown gate 'q'"):
        rt.apply("ih=normal(std=0.1) bias[q]=1.0", model, seed=0)
    with pytest.raises(ri.SpecError, match="unknown role 'peephole'"):
        rt.apply("peephole=zeros", model, seed=0)
    assert_torch_unchanged(model, before)


def test_the_audit_reads_a_mixed_spec_the_same_way():
    model = Mixed()
    spec = "ih=normal(std=0.1) hh=orthogonal bias=zeros bias[f]=1.0 proj=zeros bias_hn=0.5"
    rt.apply(spec, model, seed=0)
    assert ri.audit(model, spec).ok
    model.lstm.bias_ih_l0.data[5:10] += 1.0  # the forget bias is now 2: the audit must say so
    report = ri.audit(model, spec)
    assert not report.ok
    assert any("bias[f]" in f.message or "bias_ih_l0" in f.message for f in report.findings)
