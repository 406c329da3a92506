"""Declared layouts: a custom cell's tensors mapped to roles and gates by one dict."""

from __future__ import annotations

import numpy as np
import pytest

from rnninit.errors import LayoutError, SpecError
from rnninit.layout.declared import Declaration, Part, declared_layout, parse_declaration
from rnninit.layout.storage import ModelLayout
from rnninit.plan import make_plan


def model(shapes, roles, **kwargs) -> ModelLayout:
    cells, tensors = declared_layout(shapes, roles, **kwargs)
    return ModelLayout(tuple(cells), tensors)


def test_parse_declaration_reads_parts_gates_additivity_and_address():
    assert parse_declaration("ih") == Declaration((Part("ih", None),))
    assert parse_declaration(" hh[ i , f ] ") == Declaration((Part("hh", ("i", "f")),))
    assert parse_declaration("+bias") == Declaration((Part("bias", None, additive=True),))
    assert parse_declaration("ih[i,f,g,o], highway_ih, + extra") == Declaration(
        (Part("ih", ("i", "f", "g", "o")), Part("highway_ih", None), Part("extra", None, additive=True))
    )
    assert parse_declaration("hh @ layer 2 reverse") == Declaration((Part("hh", None),), 2, 1, True)
    assert parse_declaration("hh@l1") == Declaration((Part("hh", None),), 1, 0, True)


@pytest.mark.parametrize("text", ["", "ih[", "ih[]", "1ih", "ih[f,]", 3, "ih,", "++bias", "ih, ih"])
def test_an_invalid_declaration_is_a_layout_error(text):
    with pytest.raises(LayoutError, match="invalid role declaration"):
        parse_declaration(text)


@pytest.mark.parametrize("text", ["hh @", "hh @ sideways", "hh @ layer", "hh @ layer 1 upward"])
def test_an_invalid_address_is_a_layout_error(text):
    with pytest.raises(LayoutError, match="invalid cell address"):
        parse_declaration(text)


def test_an_elman_like_cell_with_two_additive_biases():
    layout = model(
        {"w": (4, 3), "u": (4, 4), "b1": (4,), "b2": (4,)},
        {"w": "ih", "u": "hh", "b1": "bias", "b2": "+bias"},
    )
    cell = layout.cells[0]
    assert cell.sizes["hidden"] == 4 and cell.sizes["input"] == 3
    new = make_plan("bias=2 hh=identity", layout, seed=0).new_arrays(
        {k: np.zeros(s) for k, s in layout.tensors.items()}
    )
    np.testing.assert_array_equal(new["b1"], np.full(4, 2.0))
    np.testing.assert_array_equal(new["b2"], np.zeros(4))
    np.testing.assert_array_equal(new["u"], np.eye(4))


def test_gates_stack_in_the_declared_order_and_transpose_is_honoured():
    hidden = 3
    layout = model(
        {"W": (5, 4 * hidden), "b": (4 * hidden,)},
        {"W": "ih[i,c,f,o]", "b": "bias[i,c,f,o]"},  # Keras order, with Keras' alias c for g
        kind="lstm",
        transpose=True,
        path="cell",
    )
    assert set(layout.tensors) == {"cell.W", "cell.b"}
    spec = "ih=zeros ih[f]=1 bias=zeros bias[f]=7"
    new = make_plan(spec, layout, seed=0).new_arrays({k: np.zeros(s) for k, s in layout.tensors.items()})
    expected_bias = np.zeros(12)
    expected_bias[6:9] = 7  # f is the third block in i, c, f, o
    np.testing.assert_array_equal(new["cell.b"], expected_bias)
    assert new["cell.W"][:, 6:9].min() == 1 and new["cell.W"].sum() == 5 * 3


def test_a_role_the_kind_lacks_becomes_a_cell_specific_role():
    layout = model({"u": (4, 4), "peep_f": (4,)}, {"u": "hh", "peep_f": "peephole"})
    assert "peephole" in layout.cells[0].kind.role_names
    plan = make_plan("peephole=0.5", layout, seed=0)
    np.testing.assert_array_equal(plan.assignments[0].value, np.full(4, 0.5))


@pytest.mark.parametrize(
    ("shapes", "roles", "kwargs", "message"),
    [
        ({"u": (4, 4)}, {"v": "hh"}, {}, "declared tensor 'v' does not exist; tensors: u"),
        ({"u": (4, 4), "b": (4,)}, {"u": "hh", "b": "bias[x]"}, {"kind": "lstm"}, "unknown gate 'x'"),
        (
            {"u": (4, 4)},
            {"u": "hh[i]"},
            {},
            "role 'hh' of an elman cell has no gates.*declare its kind \\('lstm'",
        ),
        ({"u": (10, 4)}, {"u": "hh"}, {"kind": "lstm"}, "cannot be split into 4 blocks"),
        ({"u": (4, 4), "b": (4, 1)}, {"u": "hh", "b": "bias"}, {}, "role 'bias' is a vector"),
        ({"u": (4,)}, {"u": "hh"}, {}, "role 'hh' is a matrix"),
        (
            {"u": (4, 4), "w": (5, 3)},
            {"u": "hh", "w": "ih"},
            {},
            "has 5 rows per block, but the cell's hidden size is 4",
        ),
        ({"u": (8, 4)}, {"u": "hh[i,f]"}, {"kind": "lstm"}, "declared for some gates but not gate 'g'"),
        (
            {"t": (2, 2, 2), "u": (2, 2)},
            {"t": "extra", "u": "hh"},
            {},
            "only vectors and matrices can be declared",
        ),
    ],
)
def test_declarations_that_do_not_fit_the_shapes_are_layout_errors(shapes, roles, kwargs, message):
    with pytest.raises(LayoutError, match=message):
        declared_layout(shapes, roles, **kwargs)


def test_a_custom_role_on_some_gates_only_is_addressed_per_gate():
    # a peephole LSTM: one diagonal weight per gate that sees the cell state (Gers & Schmidhuber 2000)
    shapes = {"W": (16, 3), "U": (16, 4), "b": (16,), "p_i": (4,), "p_f": (4,), "p_o": (4,)}
    roles = {
        "W": "ih",
        "U": "hh",
        "b": "bias",
        "p_i": "peephole[i]",
        "p_f": "peephole[f]",
        "p_o": "peephole[o]",
    }
    layout = model(shapes, roles, kind="lstm")
    peephole = layout.cells[0].kind.role("peephole")
    assert peephole.gates == ("i", "f", "o") and peephole.custom
    new = make_plan("peephole=0.5 peephole[f]=1.0", layout, seed=0).new_arrays(
        {k: np.zeros(s) for k, s in layout.tensors.items()}
    )
    assert (
        new["p_i"].tolist() == [0.5] * 4
        and new["p_f"].tolist() == [1.0] * 4
        and new["p_o"].tolist() == [0.5] * 4
    )
    with pytest.raises(SpecError, match=r"role 'peephole' of a lstm cell has blocks for gates i, f, o only"):
        make_plan("peephole[g]=1.0", layout, seed=0)


def test_extra_blocks_after_the_gates_of_a_fused_tensor_are_their_own_roles():
    # AllenNLP's AugmentedLstm with highway: input_linearity stacks i, f, g, o, a highway gate and a
    # highway projection (6H rows); state_linearity stacks i, f, g, o and the highway gate (5H rows).
    hidden, inputs = 4, 3
    shapes = {"input_linearity.weight": (6 * hidden, inputs), "state_linearity.weight": (5 * hidden, hidden)}
    shapes["state_linearity.bias"] = (5 * hidden,)
    roles = {
        "input_linearity.weight": "ih[i,f,g,o], highway_ih, highway_proj",
        "state_linearity.weight": "hh[i,f,g,o], highway_hh",
        "state_linearity.bias": "bias[i,f,g,o], highway_bias",
    }
    layout = model(shapes, roles, kind="lstm")
    spec = (
        "ih=zeros hh=identity bias=zeros bias[f]=1.0 "
        "highway_ih=1.0 highway_proj=2.0 highway_hh=3.0 highway_bias=4.0"
    )
    new = make_plan(spec, layout, seed=0).new_arrays({k: np.zeros(s) for k, s in layout.tensors.items()})
    w_in, w_state, b = (
        new["input_linearity.weight"],
        new["state_linearity.weight"],
        new["state_linearity.bias"],
    )
    assert (w_in[:16] == 0).all() and (w_in[16:20] == 1).all() and (w_in[20:] == 2).all()
    assert all(np.array_equal(w_state[k * 4 : (k + 1) * 4], np.eye(4)) for k in range(4))
    assert (w_state[16:] == 3).all()
    assert b.tolist() == [0.0] * 4 + [1.0] * 4 + [0.0] * 8 + [4.0] * 4


def test_presets_leave_cell_specific_roles_alone():
    shapes = {"W": (16, 3), "U": (16, 4), "b": (16,), "p": (12,)}
    layout = model(shapes, {"W": "ih", "U": "hh", "b": "bias", "p": "peephole[i,f,o]"}, kind="lstm")
    for preset in ("keras_default", "pytorch_default", "chrono(t_max=10)", "forget_bias"):
        plan = make_plan(preset, layout, seed=0)
        assert {slot.role for _, slot in plan.untouched} == {"peephole"}, preset


def test_a_declaration_for_several_layers_and_directions_builds_one_cell_each():
    shapes = {"u0": (4, 4), "u0r": (4, 4), "u1": (4, 4), "u1r": (4, 4), "b0": (4,)}
    roles = {
        "u0": "hh",
        "u0r": "hh @ reverse",
        "u1": "hh @ layer 1",
        "u1r": "hh @ layer 1 reverse",
        "b0": "bias",
    }
    cells, _ = declared_layout(shapes, roles, path="m")
    assert [(c.layer, c.direction) for c in cells] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [c.name for c in cells] == [
        "m (layer 0, forward)",
        "m (layer 0, reverse)",
        "m (layer 1, forward)",
        "m (layer 1, reverse)",
    ]
    with pytest.raises(LayoutError, match=r"declares nothing for layer 0 reverse"):
        declared_layout({"u0": (4, 4), "u1r": (4, 4)}, {"u0": "hh", "u1r": "hh @ layer 1 reverse"})


def test_an_lstm_hh_with_rows_beyond_its_gates_is_refused_with_the_extra_blocks_to_declare():
    # AllenNLP's highway state linearity, (5H, H) stored (out, in) and (H, 5H) stored (in, out)
    for shape, transpose in (((20, 4), False), ((4, 20), True)):
        with pytest.raises(
            LayoutError, match=r"4 gate blocks of 4 rows and 4 more rows.*'hh\[i,f,g,o\], my_block'"
        ):
            declared_layout({"u": shape}, {"u": "hh"}, kind="lstm", transpose=transpose)
        cells, _ = declared_layout({"u": shape}, {"u": "hh, my_block"}, kind="lstm", transpose=transpose)
        assert [s.role for s in cells[0].slots] == ["hh"] * 4 + ["my_block"]


def test_an_lstm_hh_reads_the_declared_projection():
    # ELMo's LstmCellWithProjection: cell size 6, projected state 2
    shapes = {"w": (24, 3), "u": (24, 2), "p": (2, 6)}
    cells, _ = declared_layout(shapes, {"w": "ih", "u": "hh", "p": "proj"}, kind="lstm")
    assert cells[0].sizes["hidden"] == 6 and cells[0].sizes["proj"] == 2
    with pytest.raises(LayoutError, match=r"declare the projection's weight as 'proj'"):
        declared_layout(shapes, {"w": "ih", "u": "hh"}, kind="lstm")
    with pytest.raises(LayoutError, match=r"reads the projected state, which has 3 entries"):
        declared_layout({**shapes, "p": (3, 6)}, {"w": "ih", "u": "hh", "p": "proj"}, kind="lstm")
