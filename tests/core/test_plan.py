"""``make_plan``: validate and sample every block before anything is written; ``new_arrays`` writes
effective values (the first placement gets the value, redundant ones zeros)."""

from __future__ import annotations

import numpy as np
import pytest
from core_blocks import torch_layout

from rnninit.errors import SpecError
from rnninit.plan import make_plan


def zeros_like_layout(layout) -> dict[str, np.ndarray]:
    return {name: np.zeros(shape) for name, shape in layout.tensors.items()}


def test_new_arrays_put_the_effective_bias_in_the_first_tensor_and_zeros_in_the_second():
    layout = torch_layout("lstm", 3, 4)
    plan = make_plan("bias=zeros bias[f]=1.5", layout, seed=0)
    current = {name: np.full(shape, 9.0) for name, shape in layout.tensors.items()}
    new = plan.new_arrays(current)
    assert set(new) == {"rnn.bias_ih_l0", "rnn.bias_hh_l0"}  # untouched tensors are not returned
    np.testing.assert_array_equal(
        new["rnn.bias_ih_l0"], [0, 0, 0, 0, 1.5, 1.5, 1.5, 1.5, 0, 0, 0, 0, 0, 0, 0, 0]
    )
    np.testing.assert_array_equal(new["rnn.bias_hh_l0"], np.zeros(16))
    assert current["rnn.bias_ih_l0"][0] == 9.0  # the input arrays are not modified


def test_gru_n_gate_bias_and_bias_hn_are_separate_blocks():
    layout = torch_layout("gru", 3, 2)
    new = make_plan("bias=1 bias_hn=5", layout, seed=0).new_arrays(zeros_like_layout(layout))
    np.testing.assert_array_equal(new["rnn.bias_ih_l0"], [1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(new["rnn.bias_hh_l0"], [0, 0, 0, 0, 5, 5])


def test_roles_the_spec_does_not_name_are_untouched_and_recorded():
    layout = torch_layout("lstm", 3, 4, proj_size=2)
    plan = make_plan("hh=orthogonal", layout, seed=0)
    records = plan.records()
    assert {r["role"] for r in records if r["init"] is None} == {"ih", "bias", "proj"}
    assert {r["role"] for r in records if r["init"] == "orthogonal"} == {"hh"}
    hh = next(r for r in records if r["role"] == "hh" and r["gate"] == "g")
    assert hh["tensors"] == ["rnn.weight_hh_l0"] and hh["shape"] == [4, 2]


def test_an_invalid_block_anywhere_fails_the_whole_plan_with_the_cell_and_key():
    layout = torch_layout("lstm", 3, 4, proj_size=2, num_layers=2)  # hh blocks are 4x2
    with pytest.raises(SpecError, match=r"rnn \(layer 0\), hh\[i\]: identity needs a square block"):
        make_plan("ih=normal hh=identity", layout, seed=0)


def test_fused_values_are_split_over_the_gate_blocks_in_canonical_order():
    layout = torch_layout("gru", 5, 6)
    plan = make_plan("hh=orthogonal(fused=true)", layout, seed=0)
    assert [a.slot.gate for a in plan.assignments] == ["r", "z", "n"]
    assert all(a.fused for a in plan.assignments)
    stacked = np.concatenate([a.value for a in plan.assignments])
    np.testing.assert_allclose(stacked.T @ stacked, np.eye(6), atol=1e-9)


def test_a_preset_name_or_a_dict_is_accepted_as_the_spec():
    layout = torch_layout("lstm", 3, 4)
    by_name = make_plan("forget_bias", layout, seed=1)
    by_dict = make_plan({"preset": "forget_bias"}, layout, seed=1)
    for a, b in zip(by_name.assignments, by_dict.assignments, strict=True):
        np.testing.assert_array_equal(a.value, b.value)


def test_a_layout_must_cover_every_tensor_element_exactly_once():
    from rnninit.errors import LayoutError
    from rnninit.layout.storage import ModelLayout

    layout = torch_layout("lstm", 3, 4)
    missing = dict(layout.tensors, extra=(2,))
    with pytest.raises(LayoutError, match="parts of tensor 'extra' are not covered"):
        ModelLayout(layout.cells, missing)
    with pytest.raises(LayoutError, match="covered twice"):
        ModelLayout(layout.cells + layout.cells, layout.tensors)
    with pytest.raises(LayoutError, match="placed in unknown tensor 'rnn.weight_ih_l0'"):
        ModelLayout(layout.cells, {})
