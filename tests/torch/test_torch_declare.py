"""Custom cells: roles declared by a class attribute or rnninit.torch.declare, then apply on them."""

import pytest
import torch
from helpers import assert_torch_unchanged, torch_state
from torch import nn

import rnninit as ri
import rnninit.torch as rt

IN, H = 3, 4


class ElmanLike(nn.Module):
    rnninit_roles = {"W_ih": "ih", "W_hh": "hh", "b": "bias"}

    def __init__(self):
        super().__init__()
        self.W_ih = nn.Parameter(torch.empty(H, IN))
        self.W_hh = nn.Parameter(torch.empty(H, H))
        self.b = nn.Parameter(torch.empty(H))


class StackedLSTM(nn.Module):
    """An LSTM cell that stacks its gates f, i, o, g and stores matrices (in, out), as x @ W does."""

    rnninit_roles = {"W": "ih[f,i,o,g]", "U": "hh[f,i,o,g]", "b": "bias[f,i,o,g]"}
    rnninit_kind = "lstm"
    rnninit_transpose = True

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.zeros(IN, 4 * H))
        self.U = nn.Parameter(torch.zeros(H, 4 * H))
        self.b = nn.Parameter(torch.zeros(4 * H))


class Undeclared(nn.Module):
    def __init__(self):
        super().__init__()
        self.ih = nn.Linear(IN, H)
        self.hh = nn.Linear(H, H, bias=False)
        self.gain = nn.Parameter(torch.full((H,), 7.0))


def test_class_attribute_declaration_is_enough_for_apply():
    cell = ElmanLike()
    rt.apply("ih=1.0 hh=identity bias=3.0", cell, seed=0)
    assert torch.all(cell.W_ih == 1)
    assert torch.equal(cell.W_hh.detach(), torch.eye(H))
    assert torch.all(cell.b == 3)


def test_declared_gate_order_and_transposed_storage_are_respected():
    cell = StackedLSTM()
    rt.apply("ih=zeros hh=zeros bias=zeros bias[f]=1.0 ih[g]=2.0 hh[o]=identity", cell, seed=0)
    assert torch.equal(cell.b.detach(), torch.tensor([1.0] * H + [0.0] * (3 * H)))  # f is declared first
    assert torch.all(cell.W[:, 3 * H :] == 2) and torch.all(
        cell.W[:, : 3 * H] == 0
    )  # g is the last column block
    assert torch.equal(cell.U[:, 2 * H : 3 * H].detach(), torch.eye(H))


def test_declare_on_a_class_and_on_an_instance():
    cell = Undeclared()
    rt.declare(cell, {"ih.weight": "ih", "ih.bias": "bias", "hh.weight": "hh", "gain": "gain"})
    rt.apply("ih=1.0 hh=2.0 bias=3.0 gain=ones", cell, seed=0)  # 'gain' is a role of this cell's own
    assert torch.all(cell.ih.weight == 1) and torch.all(cell.hh.weight == 2)
    assert torch.all(cell.ih.bias == 3) and torch.all(cell.gain == 1)
    assert "rnninit_roles" not in vars(Undeclared)  # the class itself is not changed

    class Declared(Undeclared):
        pass

    assert rt.declare(Declared, {"ih.weight": "ih", "hh.weight": "hh"}) is Declared
    other = Declared()
    rt.apply("ih=1.0 hh=2.0", other, seed=0, strict=False)
    assert torch.all(other.ih.weight == 1) and torch.all(other.hh.weight == 2)


def test_two_declared_biases_are_additive_when_the_declaration_says_so():
    cell = Undeclared()
    cell.hh = nn.Linear(H, H)
    rt.declare(cell, {"ih.weight": "ih", "hh.weight": "hh", "ih.bias": "bias", "hh.bias": "+bias"})
    rt.apply("bias=0.5", cell, seed=0, strict=False)
    assert torch.all(cell.ih.bias == 0.5) and torch.all(cell.hh.bias == 0)


def test_two_tensors_with_one_role_and_no_plus_are_refused_not_summed():
    cell = Undeclared()
    cell.hh = nn.Linear(H, H)
    before = torch_state(cell)
    with pytest.raises(ri.LayoutError, match=r"'ih.bias' and 'hh.bias' are both declared as bias.*'\+bias'"):
        rt.declare(cell, {"ih.weight": "ih", "hh.weight": "hh", "ih.bias": "bias", "hh.bias": "bias"})
    cell.hh_reverse = nn.Linear(H, H, bias=False)  # e.g. a wrapper's reverse direction
    before = torch_state(cell)
    with pytest.raises(
        ri.LayoutError, match=r"'hh.weight' and 'hh_reverse.weight' are both declared as hh.*'hh @ reverse'"
    ):
        rt.declare(cell, {"ih.weight": "ih", "hh.weight": "hh", "hh_reverse.weight": "hh"})
    assert_torch_unchanged(cell, before)
    assert "rnninit_roles" not in vars(cell)


def test_strict_mode_lists_undeclared_parameters_and_non_strict_leaves_them():
    cell = rt.declare(Undeclared(), {"ih.weight": "ih", "hh.weight": "hh"})
    before = torch_state(cell)
    with pytest.raises(ri.LayoutError, match=r"gain, ih\.bias") as info:
        rt.apply("ih=1.0 hh=2.0", cell, seed=0)
    assert "strict=False" in str(info.value)
    assert_torch_unchanged(cell, before)
    rt.apply("ih=1.0 hh=2.0", cell, seed=0, strict=False)
    assert torch.all(cell.ih.weight == 1) and torch.equal(cell.ih.bias, before["ih.bias"])
    assert torch.all(cell.gain == 7)


def test_declaration_errors_name_the_problem_and_change_nothing():
    cell = Undeclared()
    with pytest.raises(
        ri.LayoutError, match="'W' does not exist; tensors: gain, hh.weight, ih.bias, ih.weight"
    ):
        rt.declare(cell, {"W": "ih"})
    with pytest.raises(ri.LayoutError, match="invalid role declaration 'ih\\['"):
        rt.declare(cell, {"ih.weight": "ih["})
    with pytest.raises(ri.LayoutError, match=r"cannot be split into 3 blocks \(ih\[r\], ih\[z\], ih\[n\]\)"):
        rt.declare(cell, {"ih.weight": "ih", "hh.weight": "hh[r,z,n]"}, kind="gru")
    with pytest.raises(ri.SpecError, match="unknown cell 'lstn'"):
        rt.declare(cell, {"ih.weight": "ih"}, kind="lstn")
    assert not hasattr(cell, "rnninit_roles")


def test_a_model_of_custom_and_library_cells_initializes_each_with_its_own_path():
    model = nn.ModuleDict(
        {"a": ElmanLike(), "b": ElmanLike(), "c": rt.ElmanCell(IN, H), "out": nn.Linear(H, 2)}
    )
    out_before = model["out"].weight.clone()
    result = rt.apply("ih=normal(std=1.0) hh=orthogonal bias=zeros", model, seed=0)
    assert not torch.equal(model["a"].W_ih, model["b"].W_ih)  # each block has its own stream
    assert torch.equal(model["out"].weight, out_before)
    assert {r["path"] for r in result.records} == {"a", "b", "c"}
