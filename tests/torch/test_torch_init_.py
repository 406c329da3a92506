"""``rnninit.torch.init_``: one tensor in place, per gate block, the same numbers as a spec on a
declared cell, and no change at all on bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rnninit as ri
import rnninit.torch as rt
from rnninit.layout.tensor import tensor_declaration, tensor_kind


class Holder(torch.nn.Module):
    """A cell that declares one parameter the way ``init_`` sees a lone tensor."""

    def __init__(self, shape: tuple[int, ...], gates: int):
        super().__init__()
        self.W = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        self.rnninit_roles = {"W": tensor_declaration(gates)}
        self.rnninit_kind = tensor_kind(gates)


CASES = [
    ((12, 5), 1, "orthogonal"),
    ((12, 5), 4, "orthogonal(gain=2.0)"),
    ((12, 5), 4, "orthogonal(fused=true)"),
    ((9, 9), 3, "glorot_uniform"),
    ((12, 4), 3, "identity(gain=0.5)"),
    ((16, 4), 4, "torch_default"),
    ((16,), 4, "normal(std=0.5)"),
    ((16,), 1, "uniform(minval=-1, maxval=1)"),
    ((8, 4), 2, "spectral(radius=0.9)"),
]


@pytest.mark.parametrize(("shape", "gates", "init"), CASES, ids=[f"{c[2]}-{c[1]}" for c in CASES])
def test_init_gives_the_numbers_of_the_spec_applied_to_a_declared_cell(shape, gates, init):
    tensor = torch.empty(shape, dtype=torch.float64)
    assert rt.init_(tensor, init, gates=gates, seed=7) is tensor
    cell = Holder(shape, gates)
    rt.apply(f"tensor={init}", cell, seed=7)
    assert torch.equal(tensor, cell.W.detach())


def test_each_gate_block_is_orthogonal_on_its_own_unless_fused():
    lstm = torch.nn.LSTM(8, 16)
    w = rt.init_(lstm.weight_hh_l0, "orthogonal", gates=4, seed=0).detach().double()
    for k in range(4):
        block = w[16 * k : 16 * (k + 1)]
        assert torch.allclose(block @ block.T, torch.eye(16, dtype=torch.float64), atol=1e-6)
    fused = rt.init_(lstm.weight_hh_l0, "orthogonal(fused=true)", gates=4, seed=0).detach().double()
    assert torch.allclose(fused.T @ fused, torch.eye(16, dtype=torch.float64), atol=1e-6)
    block = fused[:16]
    assert not torch.allclose(block @ block.T, torch.eye(16, dtype=torch.float64), atol=0.1)


def test_fans_are_per_gate_block():
    # glorot_uniform on a (4·H, in) matrix: each block is U(±sqrt(6 / (H + in))), not sqrt(6 / (4H + in))
    hidden, inputs = 100, 60
    w = rt.init_(torch.empty(4 * hidden, inputs, dtype=torch.float64), "glorot_uniform", gates=4, seed=1)
    bound = math.sqrt(6.0 / (hidden + inputs))
    assert float(w.abs().max()) <= bound
    # 24000 uniform draws: the largest |w| is within 0.1% of the bound unless p < 1e-10
    assert float(w.abs().max()) > 0.999 * bound


def test_fills_in_place_under_no_grad_keeping_dtype_and_device():
    param = torch.nn.Parameter(torch.zeros(6, 3, dtype=torch.float32))
    before = param.data_ptr()
    out = rt.init_(param, "normal(std=0.5)", gates=2, seed=3)  # copy_ into a leaf that requires grad
    assert out is param and param.data_ptr() == before
    assert param.dtype == torch.float32 and param.requires_grad and param.grad_fn is None
    as_double = rt.init_(torch.empty(6, 3, dtype=torch.float64), "normal(std=0.5)", gates=2, seed=3)
    assert torch.equal(param.detach(), as_double.float())


def test_seed_none_follows_torch_manual_seed():
    def draw(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return rt.init_(torch.empty(5, 5), "normal")

    assert torch.equal(draw(1), draw(1))
    assert not torch.equal(draw(1), draw(2))


def test_an_init_object_a_string_a_dict_and_a_number_are_accepted():
    from rnninit.inits import Orthogonal

    a = rt.init_(torch.empty(4, 4), Orthogonal(gain=2.0), seed=0)
    b = rt.init_(torch.empty(4, 4), "orthogonal(gain=2)", seed=0)
    c = rt.init_(torch.empty(4, 4), {"name": "orthogonal", "gain": 2}, seed=0)
    assert torch.equal(a, b) and torch.equal(b, c)
    assert torch.equal(rt.init_(torch.empty(3), 0.25), torch.full((3,), 0.25))


BAD = [
    (lambda: torch.zeros(5, 3), {"init": "normal", "gates": 2}, ri.LayoutError, "do not split into gates=2"),
    (lambda: torch.zeros(4, 3), {"init": "normal", "gates": 0}, ri.LayoutError, "positive integer"),
    (lambda: torch.zeros(4, 3), {"init": "normal", "gates": True}, ri.LayoutError, "positive integer"),
    (lambda: torch.zeros(2, 2, 2), {"init": "normal"}, ri.LayoutError, "vector or a matrix"),
    (lambda: torch.zeros(0, 3), {"init": "normal"}, ri.LayoutError, "must not be empty"),
    (lambda: torch.zeros(4, 3, dtype=torch.int64), {"init": "normal"}, rt.TensorTypeError, "floating-point"),
    (lambda: np.zeros((4, 3)), {"init": "normal"}, rt.TensorTypeError, "torch.Tensor"),
    (lambda: torch.zeros(4, 3), {"init": "nrmal"}, ri.SpecError, "did you mean 'normal'"),
    (lambda: torch.zeros(4, 3), {"init": "normal(stdev=1)"}, ri.SpecError, "no argument 'stdev'"),
    (lambda: torch.zeros(6, 4), {"init": "identity", "gates": 2}, ri.SpecError, "square"),
    (lambda: torch.zeros(8), {"init": "chrono(t_max=10)", "gates": 4}, ri.SpecError, "forget gate"),
    (lambda: torch.zeros(4, 3), {"init": "orthogonal(fused=true)"}, ri.SpecError, "no gates to fuse"),
    (lambda: torch.zeros(4, 3), {"init": "normal", "seed": -1}, ri.SeedError, "seed"),
]


@pytest.mark.parametrize(("make", "kwargs", "error", "message"), BAD, ids=[b[3] for b in BAD])
def test_bad_input_is_a_clear_error_and_leaves_the_tensor_and_torch_rng_unchanged(
    make, kwargs, error, message
):
    tensor = make()
    before = tensor.clone() if isinstance(tensor, torch.Tensor) else tensor.copy()
    kwargs = dict(kwargs)
    init = kwargs.pop("init")
    rng = torch.get_rng_state()
    with pytest.raises(error, match=message) as caught:
        rt.init_(tensor, init, **kwargs)
    assert isinstance(caught.value, ri.RnninitError)
    assert (tensor == before).all()
    assert torch.equal(torch.get_rng_state(), rng)  # no seed was drawn for a call that fails
